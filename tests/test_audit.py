"""The claims audit: verdicts, editions, causes and intervals, hand-derived on small frames and on the real table."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pandas as pd
import pytest

from helpers.analysis.audit import (
    DERIVED,
    IMPLIED_POPULATION,
    LATER_EDITION,
    ONE_FORECAST,
    cause_statements,
    causes_table,
    claims_audit,
    claims_by_table,
    editions_differ,
    figure_interval,
    implied_china_populations,
    known_figures,
    reference_table,
    table_edition,
    verdict_counts,
)
from helpers.analysis.verdicts import (
    BOUND,
    CONSISTENT,
    DOES_NOT_HOLD,
    EDITION,
    HOLDS,
    HOLDS_UNDER_RULE,
    IDENTITY,
    INCONSISTENT,
    RANK_VERDICTS,
    UNCHECKABLE,
    UNQUOTED,
    VERDICTS,
    rank_verdict,
    verdict,
)
from helpers.paths import NOTEBOOKS

LATER = "comparitech:later"
NATIONAL = [
    # figure_id, metric, unit, value_text, value, qualifier, scenario, edition
    ("world_cameras", "cameras", "cameras", "approximately 1 billion", 1e9, "approximate", "none", "ihs_markit:2019"),
    ("china_share_of_world", "share_of_world_cameras", "percent", "54 percent", 54.0, "exact", "conservative",
     "ihs_markit:2019"),
    ("china_cameras_conservative", "cameras", "cameras", "540 million", 540e6, "exact", "conservative",
     "ihs_markit:2019"),
    ("china_population", "population", "people", "1.46 billion", 1.46e9, "exact", "none", "article"),
    ("china_per_1000_conservative", "cameras_per_1000", "per 1,000", "372.8", 372.8, "exact", "conservative", LATER),
    ("china_cameras_high", "cameras", "cameras", "626 million", 626e6, "exact", "high", "ihs_markit:2019"),
    ("china_per_1000_high", "cameras_per_1000", "per 1,000", "432.2", 432.2, "exact", "high", LATER),
]
CITY_FIGURES = [
    # figure_id, metric, value_text, value, qualifier, scenario, entity, country
    ("cities_analysed", "cities_analysed", "150", 150.0, "exact", "none", "Comparitech city ranking", None),
    ("shenzhen_per_sq_mi", "cameras_per_sq_mi", "6,220", 6220.0, "exact", "conservative", "Shenzhen", "China"),
    ("osaka_per_sq_mi", "cameras_per_sq_mi", "less than 6", 6.0, "upper_bound", "none", "Osaka", "Japan"),
    ("tokyo_per_1000", "cameras_per_1000", "1.06", 1.06, "exact", "none", "Tokyo", "Japan"),
    ("london_per_1000", "cameras_per_1000", "13.35", 13.35, "exact", "none", "London", "United Kingdom"),
    ("los_angeles_per_1000", "cameras_per_1000", "8.77", 8.77, "exact", "none", "Los Angeles", "United States"),
    ("shenzhen_rank_per_sq_mi", "rank_per_sq_mi", "first", 1.0, "exact", "conservative", "Shenzhen", "China"),
    ("tokyo_rank_population", "rank_population", "first", 1.0, "exact", "none", "Tokyo", "Japan"),
]


def figures(**changes: tuple[str, float]) -> pd.DataFrame:
    cols = ["figure_id", "metric", "unit", "value_text", "value", "qualifier", "scenario", "edition"]
    rows = [dict(zip(cols, r, strict=True), entity="China", country="China") for r in NATIONAL]
    rows += [dict(zip(["figure_id", "metric", "value_text", "value", "qualifier", "scenario", "entity", "country"],
                      r, strict=True), unit="-", edition=LATER) for r in CITY_FIGURES]
    df = pd.DataFrame(rows)
    df["paragraph"] = 1
    for fid, (text, value) in changes.items():
        df.loc[df["figure_id"] == fid, ["value_text", "value"]] = [text, value]
    return df


def cities(**population_text: str) -> pd.DataFrame:
    """Rows as in the 2021 table (source 't'); the area is implied as cameras / per square mile."""
    df = pd.DataFrame({
        "source": "comparitech_2021", "source_row": [2, 3, 4, 5, 6],
        "city": ["Shenzhen", "Osaka", "Tokyo", "London", "Los Angeles"],
        "country": ["China", "Japan", "Japan", "United Kingdom", "United States"],
        "country_code": ["CHN", "JPN", "JPN", "GBR", "USA"],
        "cameras": [400_000.0, 30_000.0, 39_504.0, 691_000.0, 34_959.0],
        "population": [12_591_696.0, 19_110_616.0, 37_339_804.0, 9_425_622.0, 3_983_540.0],
        "stated_per_1000": [31.77, 1.57, 1.06, 73.31, 8.78],
        "stated_per_sq_mi": [520.08, 5.96, 7.54, 1138.48, 74.54],
    })
    df["area_sq_mi"] = df["cameras"] / df["stated_per_sq_mi"]
    df["area_km2"] = df["area_sq_mi"] * 2.589988110336
    return df


def by_id(audit: pd.DataFrame) -> pd.DataFrame:
    return audit.set_index("figure_id")


@pytest.mark.parametrize(("text", "value", "qualifier", "low", "high"), [
    ("372.8", 372.8, "exact", 372.75, 372.85),  # printed to 0.1
    ("1.46 billion", 1.46e9, "exact", 1.455e9, 1.465e9),  # printed to 0.01 billion
    ("9.43M", 9.43e6, "exact", 9.425e6, 9.435e6),  # printed to 0.01 million: +-5,000
    ("6,220", 6220.0, "exact", 6219.5, 6220.5),
    ("54 percent", 54.0, "exact", 53.5, 54.5),
    ("approximately 1 billion", 1e9, "approximate", 0.95e9, 1.05e9),  # +-5% (APPROX_TOLERANCE)
    ("less than 6", 6.0, "upper_bound", -math.inf, 6.0),
    ("tens of millions", 1e7, "lower_bound", 1e7, math.inf),
    ("third", 3.0, "exact", 3.0, 3.0),  # a rank has no rounding
])
def test_figure_interval(text, value, qualifier, low, high):
    interval = figure_interval(text, value, qualifier)
    assert interval.low == pytest.approx(low) and interval.high == pytest.approx(high)


def test_verdict_rule():
    assert verdict(checkable=False, agrees=True) == UNCHECKABLE  # missing inputs never 'disagree'
    assert verdict(checkable=True, agrees=True) == CONSISTENT
    assert verdict(checkable=True, agrees=True, bound=True) == BOUND
    assert verdict(checkable=True, agrees=True, identity=True) == IDENTITY
    assert verdict(checkable=True, agrees=False, editions_differ=True) == EDITION
    assert verdict(checkable=True, agrees=False) == INCONSISTENT
    # an edition difference without a loaded table of the quoted edition cannot be told from an error
    assert verdict(checkable=True, agrees=False, editions_differ=True, quoted_loaded=False) == UNQUOTED
    assert verdict(checkable=True, agrees=True, editions_differ=True, quoted_loaded=False) == CONSISTENT
    # seven verdicts for values, three for ranks, all distinct
    assert len(set(VERDICTS)) == 10 and set(RANK_VERDICTS) <= set(VERDICTS) and CONSISTENT not in RANK_VERDICTS


@pytest.mark.parametrize(("claimed", "published", "under_rule", "expected"), [
    (1, (1, 1), (1, 1), HOLDS),
    (1, (1, 1), (3, 3), HOLDS),  # the table as published decides first
    (1, (4, 4), (1, 1), HOLDS_UNDER_RULE),  # Shenzhen in the 2021 table
    (2, (1, 2), (3, 3), HOLDS),  # a tie spans places 1-2
    (3, (4, 4), (1, 2), DOES_NOT_HOLD),
    (1, None, (1, 1), HOLDS_UNDER_RULE),  # unranked as published (no printed density)
    (1, None, None, DOES_NOT_HOLD),
])
def test_rank_verdict_rule(claimed, published, under_rule, expected):
    assert rank_verdict(claimed, published, under_rule) == expected


def test_editions():
    assert editions_differ("comparitech:later", "comparitech:2021")
    assert not editions_differ("comparitech:later", "comparitech:later")
    assert not editions_differ("comparitech:later", "ihs_markit:2019")  # two sources, not two editions
    assert not editions_differ("comparitech:later", "unknown")
    assert table_edition("comparitech_2021") == "comparitech:2021"
    assert table_edition("mine", "later") == "comparitech:later"
    assert table_edition("mine") == "unknown"


def test_the_article_national_figures():
    audit = by_id(claims_audit(figures()))
    # 540e6 / 1.46e9 * 1000 = 369.863; its interval [539.5e6 / 1.465e9, 540.5e6 / 1.455e9] x 1000 = [368.259, 371.478]
    # misses [372.75, 372.85]
    row = audit.loc["china_per_1000_conservative"]
    assert row["recomputed"] == pytest.approx(369.863, abs=1e-3)
    assert (row["recomputed_low"], row["recomputed_high"]) == pytest.approx((368.259, 371.478), abs=1e-3)
    assert (row["verdict"], row["cause"]) == (INCONSISTENT, IMPLIED_POPULATION)
    # 540e6 / 372.8 * 1000 = 1.44850e9 people, not 1.46e9
    assert audit.loc["china_population", "recomputed"] == pytest.approx(1.4485e9, rel=1e-4)
    # 626e6 / 1.46e9 * 1000 = 428.767; 432.2 / 1000 * 1.46e9 = 631.012e6
    assert audit.loc["china_per_1000_high", "recomputed"] == pytest.approx(428.767, abs=1e-3)
    assert audit.loc["china_cameras_high", "recomputed"] == pytest.approx(631.012e6)
    # The two counts are checked alike, from their rate and the stated population: 372.8 / 1000 x 1.46e9 = 544.288e6,
    # interval [372.75 x 1.455e9, 372.85 x 1.465e9] / 1000 = [542.351e6, 546.225e6], excludes [539.5e6, 540.5e6], as
    # 631.012e6 ([628.8e6, 633.2e6]) excludes 626 million: both inconsistent, for the same cause
    row = audit.loc["china_cameras_conservative"]
    assert row["recomputed"] == pytest.approx(544.288e6)
    assert (row["recomputed_low"], row["recomputed_high"]) == pytest.approx((542.351e6, 546.225e6), rel=1e-6)
    five = ["china_population", "china_per_1000_conservative", "china_cameras_conservative", "china_cameras_high",
            "china_per_1000_high"]
    assert set(audit.loc[five, "verdict"]) == {INCONSISTENT} and set(audit.loc[five, "cause"]) == {IMPLIED_POPULATION}
    # 540 million / 54% is 1 billion: one forecast restated, an identity, not a confirmation
    for fid in ("world_cameras", "china_share_of_world"):
        assert (audit.loc[fid, "verdict"], audit.loc[fid, "cause"]) == (IDENTITY, ONE_FORECAST)
    # one unit for the share: a fraction, the article's "54 percent" included
    assert audit.loc["china_share_of_world", "stated"] == pytest.approx(0.54)
    assert audit.loc["china_share_of_world", "recomputed"] == pytest.approx(0.54)  # 540e6 / 1e9
    assert audit.loc["china_per_1000_conservative", "compared_with"] == "ihs_markit:2019 + article"


def test_the_implied_population_is_the_cause_stated_once():
    fig = figures()
    audit = claims_audit(fig)
    statements = cause_statements(audit, fig)
    text = statements[IMPLIED_POPULATION]
    # the populations both pairs allow at once, the one number the implied-population table gives too: pair 1
    # 539.5e6 / 372.85 to 540.5e6 / 372.75 (x 1,000) = 1.446963e9 to 1.450034e9, pair 2 625.5e6 / 432.25 to
    # 626.5e6 / 432.15 = 1.447079e9 to 1.449728e9; their overlap is pair 2's, its middle 1.448404e9: "1.4484 billion"
    assert "about 1.4484 billion people" in text and "1.46 billion" in text and "5 verdicts" in text
    # one cause, counted once, behind two (count, population, rate) triples
    assert "2 (count, population, rate) triples" in text
    assert "(540 million, 1.46 billion, 372.8) and (626 million, 1.46 billion, 432.2)" in text
    # the pairs' intervals overlap on [625.5e6 / 432.25, 626.5e6 / 432.15] x 1000 = [1.4471e9, 1.4497e9]
    assert "1.4471 billion to 1.4497 billion" in text
    assert not audit["reason"].str.contains("1.4484 billion people").any()  # stated once, in the cause
    table = causes_table(audit, fig).set_index("cause")
    assert table.loc[IMPLIED_POPULATION, "verdicts"] == "5 inconsistent"
    # the forecast is the world total, the share and the count they are checked from
    assert cause_statements(audit, fig)[ONE_FORECAST].startswith(
        "approximately 1 billion, 54 percent, 540 million: one IHS Markit forecast stated 3 ways")


def test_a_consistent_population_turns_the_four_into_identities():
    after = by_id(claims_audit(figures(china_population=("1.4485 billion", 1.4485e9))))
    # 540e6 / 1.4485e9 * 1000 = 372.80 and 626e6 / 1.4485e9 * 1000 = 432.17: within rounding
    assert after.loc["china_per_1000_conservative", "verdict"] == IDENTITY
    assert after.loc["china_per_1000_high", "verdict"] == IDENTITY
    # 372.8 / 1000 x 1.4485e9 = 539.99e6: the conservative count agrees too
    assert after.loc["china_cameras_conservative", "verdict"] == IDENTITY
    worse = by_id(claims_audit(figures(china_share_of_world=("64 percent", 64.0))))
    # 540 million of approximately 1 billion is [0.514, 0.569]: 64% ([0.635, 0.645]) is not in it, and no
    # population explains it
    assert worse.loc["china_share_of_world", "verdict"] == INCONSISTENT
    assert worse.loc["china_share_of_world", "cause"] == ""


def test_both_rates_imply_the_same_population():
    implied = implied_china_populations(figures())
    cons, high, both, stated = (implied.iloc[i] for i in range(4))
    assert cons["population"] == pytest.approx(1.448497854e9)  # 540e6 / 372.8 * 1000
    assert high["population"] == pytest.approx(1.448403517e9)  # 626e6 / 432.2 * 1000
    assert (both["low"], both["high"]) == pytest.approx((625.5e6 / 432.25 * 1000, 626.5e6 / 432.15 * 1000))
    assert stated["low"] == pytest.approx(1.455e9) and stated["low"] > cons["high"]


def test_city_claims_need_a_table():
    audit = by_id(claims_audit(figures()))
    for fid in ("tokyo_per_1000", "london_per_1000", "shenzhen_per_sq_mi", "shenzhen_rank_per_sq_mi"):
        assert audit.loc[fid, "verdict"] == UNCHECKABLE
    assert audit.loc["tokyo_per_1000", "reason"] == "needs a city table; none was loaded"
    # the article's own figures: Shenzhen's 6,220 is the highest per-square-mile figure it prints
    assert "among the cities the article names it is number 1" in audit.loc["shenzhen_rank_per_sq_mi", "reason"]


def test_city_claims_against_the_2021_edition():
    audit = by_id(claims_audit(figures(), cities()))
    # London: 691000 / 9425622 * 1000 = 73.3108, +449.1% against 13.35. Another edition, but no table of the quoted
    # (later) edition is loaded: the difference cannot be told from an error, and is shown as context
    assert audit.loc["london_per_1000", "recomputed"] == pytest.approx(73.3108, abs=1e-4)
    assert audit.loc["london_per_1000", "relative_difference"] == pytest.approx(73.3108 / 13.35 - 1, abs=1e-4)
    assert (audit.loc["london_per_1000", "verdict"], audit.loc["london_per_1000", "cause"]) == (UNQUOTED,
                                                                                                LATER_EDITION)
    assert "+449.1% from the comparitech:2021 edition loaded" in audit.loc["london_per_1000", "reason"]
    assert audit.loc["london_per_1000", "edition"] == LATER
    assert audit.loc["london_per_1000", "compared_with"] == "comparitech:2021"
    # Los Angeles: 34959 / 3983540 * 1000 = 8.7759; its low end 34958.5 / 3983540 * 1000 = 8.775736 misses
    # [8.765, 8.775] by 0.000736: another edition, the quoted one not loaded, the miss shown
    assert audit.loc["los_angeles_per_1000", "verdict"] == UNQUOTED
    assert audit.loc["los_angeles_per_1000", "recomputed_low"] - 8.775 == pytest.approx(0.000736, abs=1e-6)
    # Tokyo: 39504 / 37339804 * 1000 = 1.0580, within [1.055, 1.065]
    assert audit.loc["tokyo_per_1000", "verdict"] == CONSISTENT
    # Osaka: the table's 5.96 satisfies "less than 6"
    assert audit.loc["osaka_per_sq_mi", "verdict"] == BOUND
    # Shenzhen: 372.8 / 1000 x 12591696 people / (400000 / 520.08) sq mi = 6103.38, -1.87% of 6,220
    assert audit.loc["shenzhen_per_sq_mi", "recomputed"] == pytest.approx(6103.38, abs=0.01)
    assert audit.loc["shenzhen_per_sq_mi", "relative_difference"] == pytest.approx(6103.38 / 6220 - 1, abs=1e-5)
    assert (audit.loc["shenzhen_per_sq_mi", "verdict"], audit.loc["shenzhen_per_sq_mi", "cause"]) == (UNQUOTED, DERIVED)
    assert "520.1" in audit.loc["shenzhen_per_sq_mi", "reason"]  # the table's own count-based density, beside it
    # the number of cities analysed belongs to an edition: another edition's table cannot check it
    assert audit.loc["cities_analysed", "verdict"] == UNCHECKABLE
    assert "comparitech:later edition" in audit.loc["cities_analysed", "reason"]
    # no verdict blames the article for an edition difference
    for row in audit[audit["verdict"] == INCONSISTENT].itertuples():
        assert not any(editions_differ(row.edition, e) for e in row.compared_with.split(" + ")), row.Index


def test_the_same_edition_makes_differences_errors():
    audit = by_id(claims_audit(figures(), cities(), editions={"comparitech_2021": LATER}))
    assert audit.loc["london_per_1000", "verdict"] == INCONSISTENT
    # with the same edition the count of cities is checkable: 5 cities in the table, 150 claimed
    assert audit.loc["cities_analysed", "recomputed"] == 5
    assert audit.loc["cities_analysed", "verdict"] == INCONSISTENT
    unknown = by_id(claims_audit(figures(), cities().assign(source="mine")))  # no edition known: not an edition
    assert unknown.loc["london_per_1000", "verdict"] == INCONSISTENT


def test_a_population_printed_to_ten_thousand_flips_los_angeles():
    table = cities()
    table.loc[table["city"] == "Los Angeles", "population"] = 3.98e6
    texts = pd.DataFrame({c: table[c].map(lambda v: f"{v:.10g}") for c in
                          ("cameras", "population", "stated_per_1000", "stated_per_sq_mi")})
    exact = by_id(claims_audit(figures(), table, printed=texts))
    # 3.98e6 taken as exact: 34959 / 3.98e6 * 1000 = 8.7837, outside [8.765, 8.775] (another edition, the quoted
    # one not loaded)
    assert exact.loc["los_angeles_per_1000", "verdict"] == UNQUOTED
    texts.loc[table["city"] == "Los Angeles", "population"] = "3.98M"
    rounded = by_id(claims_audit(figures(), table, printed=texts))
    # "3.98M" is [3.975e6, 3.985e6] and 34959 cameras [34958.5, 34959.5]:
    # [34958.5 / 3.985e6, 34959.5 / 3.975e6] x 1000 = [8.77252, 8.79484], which meets [8.765, 8.775]
    la = rounded.loc["los_angeles_per_1000"]
    assert (la["recomputed_low"], la["recomputed_high"]) == pytest.approx((8.77252, 8.79484), abs=1e-5)
    assert la["verdict"] == CONSISTENT


def test_missing_inputs_cannot_be_checked():
    table = cities()
    table.loc[table["city"] == "London", "cameras"] = np.nan
    table.loc[table["city"] == "Tokyo", "population"] = np.nan
    audit = by_id(claims_audit(figures(), table))
    assert audit.loc["london_per_1000", "verdict"] == UNCHECKABLE
    assert audit.loc["tokyo_per_1000", "verdict"] == UNCHECKABLE
    assert "gives no camera count or population" in audit.loc["london_per_1000", "reason"]


def test_estimated_rows_never_check_a_counted_figure():
    # three British cities all at 73.31 per 1,000: one national rate applied to each, not counts
    table = pd.concat([cities(), cities().iloc[[3, 3]].assign(city=["Leeds", "York"], source_row=[7, 8])],
                      ignore_index=True)
    audit = by_id(claims_audit(figures(), table))
    assert audit.loc["london_per_1000", "verdict"] == UNCHECKABLE
    assert "estimated, not counted" in audit.loc["london_per_1000", "reason"]


def test_ordinal_claims_with_ties_at_the_printed_precision():
    table = cities()
    audit = by_id(claims_audit(figures(), table))
    # Tokyo's 37,339,804 people are the most in the table, as published and under the rule (populations are not
    # touched by it)
    assert audit.loc["tokyo_rank_population", "verdict"] == HOLDS
    assert audit.loc["tokyo_rank_population", ["rank_as_published", "rank_under_rule"]].tolist() == ["1 of 5"] * 2
    # As published, per sq mi: London 1138.48 > Shenzhen 520.08 > Los Angeles 74.54 > Tokyo 7.54 > Osaka 5.96, so
    # Shenzhen is number 2. Under the rule Shenzhen is 372.8 / 1000 x 12591696 / (400000 / 520.08) = 6103.4 > 1138.48:
    # number 1. "first" holds only under the national-rate rule.
    row = audit.loc["shenzhen_rank_per_sq_mi"]
    assert (row["rank_as_published"], row["rank_under_rule"], row["verdict"]) == ("2 of 5", "1 of 5", HOLDS_UNDER_RULE)
    assert "as published (cameras per square mile as printed) number 2 of 5" in row["reason"]
    assert "under the national-rate rule" in row["reason"] and "consistent" not in row["reason"]
    assert row["cause"] == DERIVED and np.isnan(row["relative_difference"])  # a place, not a value
    assert audit.loc["tokyo_rank_population", "cause"] == ""  # holds as published: no cause to explain it
    # "third": number 2 as published, number 1 under the rule -> does not hold
    third = by_id(claims_audit(figures(shenzhen_rank_per_sq_mi=("third", 3.0)), table)).loc["shenzhen_rank_per_sq_mi"]
    assert third["verdict"] == DOES_NOT_HOLD
    # "second" holds as published (London 1138.48 first)
    second = by_id(claims_audit(figures(shenzhen_rank_per_sq_mi=("second", 2.0)), table))
    assert second.loc["shenzhen_rank_per_sq_mi", "verdict"] == HOLDS
    # Tokyo's population reprinted as a tie with Osaka's, at the table's precision: both share places 1-2
    tied = table.assign(population=table["population"].where(table["city"] != "Osaka", 37_339_804.0))
    row = by_id(claims_audit(figures(tokyo_rank_population=("second", 2.0)), tied)).loc["tokyo_rank_population"]
    assert (row["recomputed_low"], row["recomputed_high"]) == (1.0, 2.0)
    assert row["verdict"] == HOLDS and "tied with 1 other" in row["reason"]
    assert row["rank_as_published"] == "1-2 of 5 (tie)"
    # no rank claim is ever "consistent within rounding"; the other rows carry no ranks
    assert not audit.loc[audit["metric"].str.startswith("rank_"), "verdict"].isin([CONSISTENT]).any()
    assert set(audit.loc[~audit["metric"].str.startswith("rank_"), "rank_as_published"]) == {""}


def test_the_real_table_audit(shared_data):
    from helpers.analysis.density import printed_texts
    from helpers.data.city_tables import read_city_table
    from helpers.data.cleaning import clean_article_figures
    from helpers.data.io import load_raw
    from helpers.data.schemas import ARTICLE_FIGURES

    fig = clean_article_figures(load_raw("article_figures.csv", ARTICLE_FIGURES))[0]
    read = read_city_table({"path": str(shared_data / "comparitech_2021_cities.csv"), "name": "comparitech_2021"})
    audit = claims_audit(fig, read.cities, printed=printed_texts(read.cities, read.log))
    # 1 value within rounding (Tokyo per 1,000), 2 ranks hold as published, 4 only under the rule; the 10 city
    # figures that differ from the 2021 edition cannot be checked against the later edition the article quotes
    # 5 inconsistent: the two (count, population, rate) triples, checked alike (test_the_article_national_figures)
    assert verdict_counts(audit) == {CONSISTENT: 1, BOUND: 1, IDENTITY: 2, HOLDS: 2, HOLDS_UNDER_RULE: 4,
                                     DOES_NOT_HOLD: 0, EDITION: 0, UNQUOTED: 10, INCONSISTENT: 5, UNCHECKABLE: 3}
    a = by_id(audit)
    assert set(a.loc[a["verdict"] == INCONSISTENT].index) == {
        "china_population", "china_per_1000_conservative", "china_cameras_conservative", "china_cameras_high",
        "china_per_1000_high"}
    edition = ["london_per_1000", "los_angeles_per_1000", "delhi_per_sq_mi", "seoul_per_sq_mi", "moscow_per_sq_mi",
               "new_york_per_sq_mi"]
    assert set(a.loc[edition, "verdict"]) == {UNQUOTED}
    # 372.8 / 1000 x population x per-sq-mi / cameras, against the printed figure:
    # Shenzhen 12591696 x 520.08 / 400000 x 0.3728 = 6103.38 (-1.87% of 6,220); Wuhan 8473405 x 339.01 / 200000 x
    # 0.3728 = 5354.47 (-1.37% of 5,429); Shanghai 27795702 x 408.49 / 1e6 x 0.3728 = 4232.87 (-2.54% of 4,343);
    # Qingdao 5742486 x 415.8 / 262000 x 0.3728 = 3397.50 (-2.09% of 3,470)
    expected = {"shenzhen": -0.01875, "wuhan": -0.01373, "shanghai": -0.02536, "qingdao": -0.02089}
    for city, diff in expected.items():
        assert a.loc[f"{city}_per_sq_mi", "relative_difference"] == pytest.approx(diff, abs=5e-5)
        assert (a.loc[f"{city}_per_sq_mi", "verdict"], a.loc[f"{city}_per_sq_mi", "cause"]) == (UNQUOTED, DERIVED)
    # The ordinal claims. As published (the 2021 table's printed cameras per sq mi): Delhi 1,826.58, London 1,138.48,
    # Chennai 609.92, then Shenzhen 520.08 -> Shenzhen 4th, not first; under the national-rate rule (above) Shenzhen
    # 6,103, Wuhan 5,354, Shanghai 4,233, Qingdao 3,398 lead, and Delhi's counted 1,826.58 comes after them.
    ranks = [f"{c}_rank_per_sq_mi" for c in expected]
    assert set(a.loc[ranks, "verdict"]) == {HOLDS_UNDER_RULE}
    # ... so their cause is the rule, stated once with the Chinese densities, and a rank has no relative difference
    assert set(a.loc[ranks, "cause"]) == {DERIVED} and a.loc[ranks, "relative_difference"].isna().all()
    causes = causes_table(audit, fig).set_index("cause")
    assert causes.loc[DERIVED, "verdicts"] == ("4 cannot be checked against the quoted edition; "
                                               "4 holds only under the national-rate rule")
    assert "the table as published ranks them Shenzhen 4 (claimed first)" in causes.loc[DERIVED, "statement"]
    assert a.loc[ranks, "rank_under_rule"].str.split(" of ").str[0].tolist() == ["1", "2", "3", "4"]
    assert a.loc["shenzhen_rank_per_sq_mi", "rank_as_published"].startswith("4 of ")
    # Delhi first outside China and Tokyo the largest population hold as published
    assert set(a.loc[["delhi_rank_per_sq_mi_outside_china", "tokyo_rank_population"], "verdict"]) == {HOLDS}
    from helpers.analysis.density import city_densities, derived_city_figures
    from helpers.analysis.rank_claims import ranking

    d = city_densities(read.cities, printed_texts(read.cities, read.log))
    values, _, _ = ranking("rank_per_sq_mi", d, derived_city_figures(fig), rule=False)
    top = d.loc[values.sort_values(ascending=False).index[:4], "city"].tolist()
    assert top == ["Delhi", "London", "Chennai", "Shenzhen"]
    # among Chinese cities as published Wuhan (339.01) is 6th: Shenzhen 520.08, Wuxi 472.66, Qingdao 415.8,
    # Shanghai 408.49 and one more Chinese city print more
    china = values[d["country_code"].eq("CHN")].sort_values(ascending=False)
    assert d.loc[china.index, "city"].tolist().index("Wuhan") == 5
    assert a.loc["cities_analysed", "verdict"] == UNCHECKABLE


NOTEBOOK_NUMBERS = re.compile(r"\d[\d,]*\.\d+|\d{1,3}(?:,\d{3})+|\d{3,}")


@pytest.mark.parametrize("name", ["02_density", "03_scenarios", "04_compare"])
def test_notebook_prose_types_no_number(name):
    """Markdown cells quote no figure of the article and no computed value: code prints them."""
    nb = json.loads((NOTEBOOKS / f"{name}.ipynb").read_text(encoding="utf-8"))
    article = {m.group(0) for t in known_figures(figures()).values() for m in NOTEBOOK_NUMBERS.finditer(t.text)}
    computed = {"369.9", "428.8", "1.4485", "7,211", "7,210", "6,103", "6,171", "57.6", "62.6", "71.3"}
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            text = "".join(cell["source"])
            typed = {n for n in NOTEBOOK_NUMBERS.findall(text)} & (article | computed)
            assert not typed, f"{name}: markdown types {sorted(typed)}"
            assert not re.search(r"\b(540|626) million|1\.46 billion|\b54 ?(%|percent)", text), text


def test_the_audit_checks_one_reference_table_and_a_copy_is_never_a_tie():
    # The 2021 rows and a copy of them ("copy"): pooled, Tokyo's 37,339,804 people would tie with its own copy
    # ("number 1 (tied with 1 other) of 10"); within the reference table it is number 1 of 5.
    both = pd.concat([cities(), cities().assign(source="copy")], ignore_index=True)
    audit = by_id(claims_audit(figures(), both))
    row = audit.loc["tokyo_rank_population"]
    assert (row["recomputed_low"], row["recomputed_high"]) == (1.0, 1.0)
    assert "number 1 of 5" in row["reason"] and "tied" not in row["reason"]
    # Shenzhen 372.8 x its people per sq mi (12591696 x 520.08 / 400000 = 16371.9) / 1000 = 6103.4 beats London's
    # counted 1138.48 among 5 rows: number 1 of 5, not 1 of 10
    assert "of 5" in audit.loc["shenzhen_rank_per_sq_mi", "reason"]
    # every row checked against a table names it; figures that use no table name none
    uses = ["cities_analysed", "shenzhen_per_sq_mi", "osaka_per_sq_mi", "tokyo_per_1000", "london_per_1000",
            "los_angeles_per_1000", "shenzhen_rank_per_sq_mi", "tokyo_rank_population"]
    assert set(audit.loc[uses, "table"]) == {"comparitech_2021"}
    assert set(audit.drop(index=uses)["table"]) == {""}
    # the reference is the first of city_tables when given their order
    assert reference_table(both, ["copy", "comparitech_2021"]) == "copy"
    named = by_id(claims_audit(figures(), both, reference="copy"))
    assert set(named.loc[uses, "table"]) == {"copy"}
    assert "copy: 691,000 cameras" in named.loc["london_per_1000", "reason"]
    assert "table" in claims_audit(figures(), both).columns and "(column table" in \
        audit_caption(claims_audit(figures(), both))


def audit_caption(audit: pd.DataFrame) -> str:
    from helpers.analysis.audit import caption

    return caption(audit, figures())


def test_claims_by_table_checks_each_table_in_turn():
    # Table "later" (declared comparitech:later, the article's own edition) holds London with 126,303 cameras for
    # 9,425,622 people: 126303 / 9425622 x 1000 = 13.39993, against the article's 13.35 ([13.345, 13.355]):
    # no overlap within one edition -> inconsistent. The 2021 table's London, 691000 / 9425622 x 1000 = 73.31,
    # is another edition, and a table of the quoted edition is loaded -> differs by edition. Tokyo's population is
    # number 1 in each table (of 5, of 2).
    later = pd.DataFrame({
        "source": "later", "source_row": [2, 3], "city": ["London", "Tokyo"],
        "country": ["United Kingdom", "Japan"], "country_code": ["GBR", "JPN"],
        "cameras": [126_303.0, 39_504.0], "population": [9_425_622.0, 37_339_804.0],
        "stated_per_1000": [13.40, 1.06], "stated_per_sq_mi": [80.0, 7.54]})
    later["area_sq_mi"] = later["cameras"] / later["stated_per_sq_mi"]
    later["area_km2"] = later["area_sq_mi"] * 2.589988110336
    both = pd.concat([cities(), later], ignore_index=True)
    editions = {"comparitech_2021": "comparitech:2021", "later": LATER}
    rows = claims_by_table(figures(), both, ["comparitech_2021", "later"], editions=editions)
    # 8 figures a table checks (cities analysed, 5 city figures, 2 ranks) x 2 tables, figure by figure
    assert len(rows) == 16 and rows["table"].tolist()[:4] == ["comparitech_2021", "later"] * 2
    r = rows.set_index(["figure_id", "table"])
    assert r.loc[("london_per_1000", "later"), "recomputed"] == pytest.approx(126303 / 9425622 * 1000)
    assert r.loc[("london_per_1000", "later"), "verdict"] == INCONSISTENT
    # a table of the quoted edition ("later") is loaded, so the 2021 table's difference is one of editions
    assert r.loc[("london_per_1000", "comparitech_2021"), "verdict"] == EDITION
    assert "number 1 of 2" in r.loc[("tokyo_rank_population", "later"), "reason"]
    assert "number 1 of 5" in r.loc[("tokyo_rank_population", "comparitech_2021"), "reason"]
    assert r.loc[("shenzhen_per_sq_mi", "later"), "verdict"] == UNCHECKABLE  # not in that table
    # the reference table's rows are the claims audit's
    audit = by_id(claims_audit(figures(), both, editions=editions, reference="comparitech_2021"))
    ref = rows[rows["table"] == "comparitech_2021"].set_index("figure_id")
    assert ref["verdict"].equals(audit.loc[ref.index, "verdict"])
