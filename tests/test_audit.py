"""The claims audit computes its verdicts from the figures (hand-checked on small frames)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from helpers.audit import (
    CONSISTENT,
    INCONSISTENT,
    UNCHECKABLE,
    claims_audit,
    figure_interval,
    implied_china_populations,
)

NATIONAL = [
    # figure_id, metric, value_text, value, qualifier, scenario
    ("world_cameras", "cameras", "approximately 1 billion", 1e9, "approximate", "none"),
    ("china_share_of_world", "share_of_world_cameras", "54 percent", 54.0, "exact", "conservative"),
    ("china_cameras_conservative", "cameras", "540 million", 540e6, "exact", "conservative"),
    ("china_population", "population", "1.46 billion", 1.46e9, "exact", "none"),
    ("china_per_1000_conservative", "cameras_per_1000", "372.8", 372.8, "exact", "conservative"),
    ("china_cameras_high", "cameras", "626 million", 626e6, "exact", "high"),
    ("china_per_1000_high", "cameras_per_1000", "432.2", 432.2, "exact", "high"),
]
CITY_FIGURES = [
    ("shenzhen_per_sq_mi", "cameras_per_sq_mi", "6,220", 6220.0, "exact", "conservative", "Shenzhen", "China"),
    ("osaka_per_sq_mi", "cameras_per_sq_mi", "less than 6", 6.0, "upper_bound", "none", "Osaka", "Japan"),
    ("tokyo_per_1000", "cameras_per_1000", "1.06", 1.06, "exact", "none", "Tokyo", "Japan"),
    ("london_per_1000", "cameras_per_1000", "13.35", 13.35, "exact", "none", "London", "United Kingdom"),
]


def figures(**changes: tuple[str, float]) -> pd.DataFrame:
    rows = [dict(zip(["figure_id", "metric", "value_text", "value", "qualifier", "scenario"], r, strict=True),
                 entity="China", country="China") for r in NATIONAL]
    rows += [dict(zip(["figure_id", "metric", "value_text", "value", "qualifier", "scenario", "entity", "country"],
                      r, strict=True)) for r in CITY_FIGURES]
    df = pd.DataFrame(rows)
    df["paragraph"] = 1
    for fid, (text, value) in changes.items():
        df.loc[df["figure_id"] == fid, ["value_text", "value"]] = [text, value]
    return df


def cities() -> pd.DataFrame:
    # Rows as in the 2021 table: Shenzhen 400000 cameras, 12591696 people, 520.08/sq mi.
    return pd.DataFrame({
        "source": "t", "city": ["Shenzhen", "Osaka", "Tokyo", "London"],
        "country_code": ["CHN", "JPN", "JPN", "GBR"],
        "cameras": [400_000.0, 30_000.0, 39_504.0, 691_000.0],
        "population": [12_591_696.0, 19_110_616.0, 37_339_804.0, 9_425_622.0],
        "stated_per_1000": [31.77, 1.57, 1.06, 73.31],
        "stated_per_sq_mi": [520.08, 5.96, 7.54, 1138.48],
        "area_sq_mi": [400_000 / 520.08, 30_000 / 5.96, 39_504 / 7.54, 691_000 / 1138.48],
    })


def verdicts(audit: pd.DataFrame) -> dict[str, str]:
    return dict(zip(audit["figure_id"], audit["verdict"], strict=True))


@pytest.mark.parametrize(("text", "value", "qualifier", "low", "high"), [
    ("372.8", 372.8, "exact", 372.75, 372.85),
    ("1.46 billion", 1.46e9, "exact", 1.455e9, 1.465e9),
    ("6,220", 6220.0, "exact", 6219.5, 6220.5),
    ("54 percent", 54.0, "exact", 53.5, 54.5),
    ("approximately 1 billion", 1e9, "approximate", 0.95e9, 1.05e9),
    ("less than 6", 6.0, "upper_bound", -math.inf, 6.0),
    ("tens of millions", 1e7, "lower_bound", 1e7, math.inf),
])
def test_figure_interval(text, value, qualifier, low, high):
    interval = figure_interval(text, value, qualifier)
    assert interval.low == pytest.approx(low) and interval.high == pytest.approx(high)


def test_the_article_national_figures():
    audit = claims_audit(figures()).set_index("figure_id")
    # 540e6 / 1.46e9 * 1000 = 369.863, not 372.8
    assert audit.loc["china_per_1000_conservative", "recomputed"] == pytest.approx(369.863, abs=1e-3)
    assert audit.loc["china_per_1000_conservative", "verdict"] == INCONSISTENT
    assert "369.9" in audit.loc["china_per_1000_conservative", "reason"]
    # 540e6 / 372.8 * 1000 = 1.4485 billion people, not 1.46 billion
    assert audit.loc["china_population", "recomputed"] == pytest.approx(1.4485e9, rel=1e-4)
    assert audit.loc["china_population", "verdict"] == INCONSISTENT
    # 54% of 1 billion = 540 million
    assert audit.loc["china_cameras_conservative", "recomputed"] == pytest.approx(540e6)
    assert audit.loc["china_cameras_conservative", "verdict"] == CONSISTENT
    assert audit.loc["china_share_of_world", "verdict"] == CONSISTENT
    # 626e6 / 1.46e9 * 1000 = 428.767
    assert audit.loc["china_per_1000_high", "recomputed"] == pytest.approx(428.767, abs=1e-3)
    assert audit.loc["china_per_1000_high", "verdict"] == INCONSISTENT


def test_changing_a_figure_changes_the_verdict():
    before = verdicts(claims_audit(figures()))
    after = verdicts(claims_audit(figures(china_population=("1.4485 billion", 1.4485e9))))
    assert before["china_per_1000_conservative"] == INCONSISTENT
    assert after["china_per_1000_conservative"] == CONSISTENT  # 540e6/1.4485e9*1000 = 372.80
    assert after["china_per_1000_high"] == CONSISTENT  # 626e6/1.4485e9*1000 = 432.17
    worse = verdicts(claims_audit(figures(china_share_of_world=("64 percent", 64.0))))
    assert worse["china_cameras_conservative"] == INCONSISTENT


def test_both_rates_imply_the_same_population():
    implied = implied_china_populations(figures()).set_index("basis")
    conservative = implied.loc["conservative: cameras / rate x 1,000"]
    high = implied.loc["high: cameras / rate x 1,000"]
    assert conservative["population"] == pytest.approx(1.44850e9, rel=1e-4)
    assert high["population"] == pytest.approx(1.44840e9, rel=1e-4)  # 626e6 / 432.2 * 1000
    assert conservative["low"] <= high["high"] and high["low"] <= conservative["high"]
    stated = implied.loc["stated in the article"]
    assert stated["low"] > conservative["high"]  # 1.455e9 lies above either implied range


def test_city_claims_need_a_table():
    audit = claims_audit(figures()).set_index("figure_id")
    assert audit.loc["tokyo_per_1000", "verdict"] == UNCHECKABLE
    assert audit.loc["tokyo_per_1000", "reason"] == "needs a city table; none was loaded"


def test_city_claims_against_a_table():
    audit = claims_audit(figures(), cities()).set_index("figure_id")
    # Tokyo: 39504 / 37339804 * 1000 = 1.058 -> agrees with 1.06 within rounding
    assert audit.loc["tokyo_per_1000", "verdict"] == CONSISTENT
    # London: 691000 / 9425622 * 1000 = 73.31, not 13.35
    assert audit.loc["london_per_1000", "recomputed"] == pytest.approx(73.3108, abs=1e-4)
    assert audit.loc["london_per_1000", "verdict"] == INCONSISTENT
    # Osaka: the table's 5.96 is below the bound "less than 6"
    assert audit.loc["osaka_per_sq_mi", "verdict"] == CONSISTENT
    # Shenzhen: 372.8/1000 * 12591696 / 769.11 = 6103.4 per sq mi (the article: 6,220)
    assert audit.loc["shenzhen_per_sq_mi", "recomputed"] == pytest.approx(6103.4, abs=0.1)
    assert "national rate" in audit.loc["shenzhen_per_sq_mi", "reason"]
    assert "520.08" in audit.loc["shenzhen_per_sq_mi", "reason"]


def test_figures_with_nothing_to_recompute_from_cannot_be_checked():
    df = figures()
    extra = df.iloc[[0]].assign(figure_id="camera_system_pixels", metric="pixels", value_text="500 million",
                                value=5e8, qualifier="exact")
    audit = claims_audit(pd.concat([df, extra], ignore_index=True)).set_index("figure_id")
    assert audit.loc["camera_system_pixels", "verdict"] == UNCHECKABLE
    assert math.isnan(audit.loc["camera_system_pixels", "recomputed"])
