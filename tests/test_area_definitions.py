"""The rank claims rechecked under other definitions of a flagged city's area (city proper vs metropolitan area),
on small tables whose places are counted by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers.analysis import rank_claims
from helpers.analysis.density import COUNTED
from helpers.analysis.verdicts import DOES_NOT_HOLD, HOLDS, HOLDS_UNDER_RULE
from helpers.data.cleaning import clean_article_figures
from helpers.data.io import load_raw
from helpers.data.schemas import ARTICLE_FIGURES


@pytest.fixture(scope="module")
def figures() -> pd.DataFrame:
    return clean_article_figures(load_raw("article_figures.csv", ARTICLE_FIGURES))[0]


def _table() -> pd.DataFrame:
    """Five cities, areas 10, 100, 10, 10, 10 square miles: the median is 10, so Chongqing (100 > 3 x 10) is the one
    flagged city."""
    rows = [("Shenzhen", "China", "CHN", 200_000, 10.0, 500.0), ("Chongqing", "China", "CHN", 300_000, 100.0, 20.0),
            ("Delhi", "India", "IND", 50_000, 10.0, 1000.0), ("London", "United Kingdom", "GBR", 50_000, 10.0, 300.0),
            ("Paris", "France", "FRA", 50_000, 10.0, 100.0)]
    out = pd.DataFrame(rows, columns=["city", "country", "country_code", "population", "area_sq_mi",
                                      "stated_per_sq_mi"])
    return out.assign(source="t", basis=COUNTED, people_per_sq_mi=out["population"] / out["area_sq_mi"],
                      area_km2=out["area_sq_mi"] * 2.589988)


def test_area_variants_shrink_only_the_flagged_cities():
    variants = dict(rank_claims.area_variants(_table(), 3.0))
    assert list(variants) == [rank_claims.PUBLISHED_AREAS, "flagged cities at 3 x their table's median area",
                              rank_claims.AT_MEDIAN]
    threshold = variants["flagged cities at 3 x their table's median area"].set_index("city")
    median = variants[rank_claims.AT_MEDIAN].set_index("city")
    # Chongqing: 100 sq mi -> 3 x 10 = 30 (x 100 / 30 per area: 20 -> 66.67 cameras, 3,000 -> 10,000 people) and
    # -> 10 (x 10: 200 cameras, 30,000 people per square mile); every other row as published
    assert threshold.loc["Chongqing", ["area_sq_mi", "stated_per_sq_mi", "people_per_sq_mi"]].tolist() == \
        pytest.approx([30.0, 200 / 3, 10_000.0])
    assert median.loc["Chongqing", ["area_sq_mi", "stated_per_sq_mi", "people_per_sq_mi"]].tolist() == \
        pytest.approx([10.0, 200.0, 30_000.0])
    assert median.loc["Chongqing", "area_km2"] == pytest.approx(25.89988)
    pd.testing.assert_frame_equal(median.drop(index="Chongqing"), _table().set_index("city").drop(index="Chongqing"))


def test_rank_claims_rechecked_under_each_area_definition(figures):
    by_area = rank_claims.rank_claims_by_area(figures, _table(), 3.0)
    shenzhen = by_area[by_area["city"] == "Shenzhen"].set_index("area_definition")
    # as published: Delhi 1,000 > Shenzhen 500 per sq mi -> 2 of 5; under the rule (372.8 per 1,000 x people per
    # sq mi) Shenzhen 372.8 x 20,000 / 1000 = 7,456 leads Chongqing's 372.8 x 3,000 / 1000 = 1,118.4 and Delhi 1,000
    published = shenzhen.loc[rank_claims.PUBLISHED_AREAS]
    assert (published["rank_as_published"], published["rank_under_rule"], published["verdict"]) == (
        "2 of 5", "1 of 5", HOLDS_UNDER_RULE)
    # Chongqing at 30 sq mi: 372.8 x 10,000 / 1000 = 3,728 < 7,456: Shenzhen still first under the rule
    assert shenzhen.loc["flagged cities at 3 x their table's median area", "verdict"] == HOLDS_UNDER_RULE
    # Chongqing at 10 sq mi: 372.8 x 30,000 / 1000 = 11,184 > 7,456: Shenzhen second under the rule as well
    median = shenzhen.loc[rank_claims.AT_MEDIAN]
    assert (median["rank_as_published"], median["rank_under_rule"], median["verdict"]) == (
        "2 of 5", "2 of 5", DOES_NOT_HOLD)
    assert not shenzhen["same_verdict_under_every_area"].any() and not shenzhen["city_flagged"].any()
    # Delhi first outside China: 1,000 against London's 300 and Paris' 100, whatever Chongqing's area
    delhi = by_area[by_area["city"] == "Delhi"]
    assert delhi["verdict"].eq(HOLDS).all() and delhi["same_verdict_under_every_area"].all()
    summary = rank_claims.area_summary(by_area)
    assert "Delhi (first): holds under every area definition" in summary
    assert ("Shenzhen (first): holds only under the national-rate rule with the areas as published, but flagged "
            "cities at their table's median area: does not hold (2 of 5 as published, 2 of 5 under the rule)"
            ) in summary
