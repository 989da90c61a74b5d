"""Densities, unit conversions, intervals, checks and rankings: hand-checked values and properties."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers.analysis.density import (
    COUNTED,
    ESTIMATED,
    add_rankings,
    area_definition_flags,
    check_summary,
    chinese_city_method,
    city_densities,
    city_density,
    derived_city_figures,
    implied_cameras,
    implied_population,
    per_area,
    per_km2_from_sq_mi,
    per_thousand,
    printed_texts,
    relative_difference,
)
from helpers.analysis.verdicts import CONSISTENT, INCONSISTENT, UNCHECKABLE
from helpers.data.csv_files import to_csv
from helpers.data.units import (
    KM2_PER_SQ_MI,
    implied_area,
    km2_to_sq_mi,
    per_km2_to_per_sq_mi,
    per_sq_mi_to_per_km2,
    round_columns,
    round_rows,
    sq_mi_to_km2,
    to_project_unit,
)
from helpers.errors import ParameterError

positive = st.floats(min_value=1e-3, max_value=1e12, allow_nan=False, allow_infinity=False)
counts = st.floats(min_value=0, max_value=1e10, allow_nan=False, allow_infinity=False)


def test_hand_checked_values():
    # 540e6 / 1.46e9 * 1000 = 369.8630...; London 2021: 691000 / 9425622 * 1000 = 73.31081...
    assert per_thousand(540e6, 1.46e9) == pytest.approx(369.8630137, rel=1e-9)
    assert per_thousand(691_000, 9_425_622) == pytest.approx(73.31081, abs=1e-5)
    # 540e6 / 372.8 * 1000 = 1,448,497,854.08
    assert implied_population(540e6, 372.8) == pytest.approx(1_448_497_854.08, abs=0.01)
    # Shenzhen 2021: 400000 cameras at 520.08 per sq mi -> 769.11 sq mi -> 1992.0 km2
    assert implied_area(400_000, 520.08) == pytest.approx(769.1124, abs=1e-4)
    assert sq_mi_to_km2(1.0) == pytest.approx(2.589988110336)
    assert per_km2_from_sq_mi(6220, 1.0) == pytest.approx(6220 / 2.589988110336)
    assert implied_cameras(432.2, 1.46e9) == pytest.approx(631_012_000)
    assert relative_difference(372.8, 369.8630137) == pytest.approx(-0.0078782, abs=1e-7)
    # the city rule: 372.8 per 1,000 x 16,684.55 people per sq mi (6220 / 372.8 x 1000) = 6,220 per sq mi
    assert city_density(372.8, 6220 / 372.8 * 1000) == pytest.approx(6220.0)
    assert to_project_unit(54.0, "percent") == pytest.approx(0.54) and to_project_unit(54.0, "cameras") == 54.0


@pytest.mark.parametrize("population", [0, -1, -1e9])
def test_zero_or_negative_population_is_refused(population):
    with pytest.raises(ParameterError, match=r"population must be positive, got -?\d"):
        per_thousand(100, population)


@pytest.mark.parametrize("area", [0.0, -5.0])
def test_zero_or_negative_area_is_refused(area):
    with pytest.raises(ParameterError, match="area must be positive"):
        per_area(100, area)


def test_negative_cameras_are_refused_elementwise():
    with pytest.raises(ParameterError, match="cameras must not be negative, got -3"):
        per_thousand(pd.Series([5.0, -3.0]), pd.Series([10.0, 10.0]))


def test_missing_values_pass_through():
    out = per_thousand(pd.Series([5.0, np.nan]), pd.Series([1000.0, 1000.0]))
    assert out.iloc[0] == 5.0 and math.isnan(out.iloc[1])


@given(positive)
def test_area_conversion_round_trips(area):
    assert km2_to_sq_mi(sq_mi_to_km2(area)) == pytest.approx(area, rel=1e-12)
    assert sq_mi_to_km2(area) > area  # a square mile is larger than a km²


@given(counts, positive)
def test_density_per_km2_is_density_per_sq_mi_over_the_factor(cameras, area_sq_mi):
    per_sq_mi = per_area(cameras, area_sq_mi)
    per_km2 = per_area(cameras, sq_mi_to_km2(area_sq_mi))
    assert per_km2 == pytest.approx(per_sq_mi_to_per_km2(per_sq_mi), rel=1e-9)
    assert per_km2_to_per_sq_mi(per_km2) == pytest.approx(per_sq_mi, rel=1e-9)
    assert per_km2 == pytest.approx(per_sq_mi / KM2_PER_SQ_MI, rel=1e-9)


@given(counts, positive, st.floats(min_value=0.01, max_value=100))
def test_density_scales_linearly_with_cameras(cameras, population, factor):
    assert per_thousand(cameras * factor, population) == pytest.approx(
        per_thousand(cameras, population) * factor, rel=1e-9, abs=1e-300)


@given(st.floats(min_value=1e-3, max_value=1e6), positive)
def test_implied_quantities_invert_the_density(rate, population):
    cameras = implied_cameras(rate, population)
    assert per_thousand(cameras, population) == pytest.approx(rate, rel=1e-9)
    assert implied_population(cameras, rate) == pytest.approx(population, rel=1e-9)


def _cities() -> pd.DataFrame:
    return pd.DataFrame({
        "source": "t", "source_row": [2, 3, 4, 5],
        "city": ["Alpha", "Beta", "Gamma", "Delta"],
        "country": ["A", "A", "B", "B"],
        "country_code": ["AAA", "AAA", "BBB", "BBB"],
        "cameras": [1000.0, 300.0, 50.0, 10.0],
        "population": [100_000.0, 60_000.0, 10_000.0, 20_000.0],
        "stated_per_1000": [10.0, 5.0, 5.02, 0.5],
        "stated_per_sq_mi": [100.0, 30.0, 5.0, 0.1],
        "area_sq_mi": [10.0, 10.0, 10.0, 100.0],
        "area_km2": [25.9, 25.9, 25.9, 259.0],
    })


def test_city_densities_recompute_and_check_with_intervals():
    out = city_densities(_cities())
    assert out["per_1000"].tolist() == [10.0, 5.0, 5.0, 0.5]
    # Gamma: 50 / 10000 x 1000 = 5.0 with cameras [49.5, 50.5] and population [9999.5, 10000.5]:
    # [4.9498, 5.0503]; the stated 5.02 is [5.015, 5.025]: they overlap, so it agrees within rounding
    gamma = out.iloc[2]
    assert (gamma["per_1000_low"], gamma["per_1000_high"]) == pytest.approx((49.5 / 10000.5 * 1000,
                                                                               50.5 / 9999.5 * 1000))
    assert out["per_1000_check"].tolist() == [CONSISTENT] * 4
    assert out["per_sq_mi"].tolist() == [100.0, 30.0, 5.0, 0.1]
    assert out["people_per_sq_mi"].tolist() == [10_000.0, 6_000.0, 1_000.0, 200.0]
    off = _cities().assign(stated_per_1000=[10.0, 5.0, 5.2, 0.5])  # 5.2 is [5.195, 5.205]: beyond [4.95, 5.05]
    assert city_densities(off)["per_1000_check"].tolist() == [CONSISTENT, CONSISTENT, INCONSISTENT, CONSISTENT]


def test_a_table_without_counts_cannot_be_checked():
    out = city_densities(_cities().assign(cameras=np.nan))
    assert out["per_1000_check"].tolist() == [UNCHECKABLE] * 4
    assert out["per_1000_agrees"].isna().all()  # not False: nothing disagrees
    summary = check_summary(out)
    assert summary.startswith("4 rows: the stated per-1,000 figures cannot be checked")
    assert "0 of" not in summary and "agree" not in summary
    assert check_summary(city_densities(_cities())) == (
        "4 stated per-1,000 figures against cameras / population: 4 consistent within rounding")


def test_printed_texts_come_from_the_cleaning_log():
    cities = _cities()
    log = pd.DataFrame({"source": ["t", "t", "t"], "row": [3, 4, 5], "column": ["population", "cameras", "cameras"],
                        "before": ["0.06M", "5e1", "10"], "after": ["60000", "50", "12"],
                        "rule": ["number_format", "number_format", "value_correction: a source"]})
    cities.loc[3, "cameras"] = 12.0  # the corrected value
    texts = printed_texts(cities, log)
    assert texts.loc[1, "population"] == "0.06M"  # Beta's population was printed to 0.01 million
    assert texts.loc[0, "population"] == "100000"  # not in the log: printed as cleaning writes it
    assert texts.loc[3, "cameras"] == "12"  # a correction's value is its own (exact) text
    out = city_densities(cities, texts)
    # Beta: 300 / [55,000, 65,000] x 1000 = [4.6078, 5.4555] (cameras [299.5, 300.5])
    assert (out.loc[1, "per_1000_low"], out.loc[1, "per_1000_high"]) == pytest.approx((299.5 / 65_000 * 1000,
                                                                                       300.5 / 55_000 * 1000))


def test_estimated_rows_are_told_from_counted_ones():
    cities = pd.concat([_cities(), _cities().iloc[[0, 0, 0]].assign(
        city=["C1", "C2", "C3"], country="China", country_code="CHN", source_row=[6, 7, 8],
        population=[1e5, 2e5, 4e5], cameras=[37_280.0, 74_560.0, 149_120.0], stated_per_1000=372.8)],
        ignore_index=True)
    out = add_rankings(city_densities(cities))
    estimated = out[out["country_code"] == "CHN"]
    # every Chinese row carries 372.8 per 1,000: one national rate applied to each city
    assert (estimated["basis"] == ESTIMATED).all() and (out.loc[out["country_code"] != "CHN", "basis"] == COUNTED).all()
    assert estimated["rank_per_1000"].isna().all()  # never ranked among counted cities
    assert out["rank_per_1000"].dropna().tolist() == [1, 2, 2, 4]


def test_rank_at_precision_by_hand():
    # at 2 decimals 5.001 -> 5.0, 6.996 -> 7.0: the values are 5, 7, 7, NaN, 1; largest first, the two 7s share
    # rank 1, 5 is 3rd (two rows before it), 1 is 4th, NaN unranked
    from helpers.analysis.density import rank_at_precision

    ranks = rank_at_precision(pd.Series([5.001, 7.0, 6.996, np.nan, 1.0], index=[10, 11, 12, 13, 14]), 2)
    assert ranks.tolist() == [3, 1, 1, pd.NA, 4] and ranks.index.tolist() == [10, 11, 12, 13, 14]
    assert str(ranks.dtype) == "Int64"


def test_rankings_share_ties_at_the_printed_precision():
    out = add_rankings(city_densities(_cities()))
    assert out["city"].tolist() == ["Alpha", "Beta", "Gamma", "Delta"]
    assert out["rank_per_1000"].tolist() == [1, 2, 2, 4]  # Beta and Gamma both 5.00 at two decimals
    assert out["rank_per_1000_in_country"].tolist() == [1, 2, 1, 2]
    # floating-point noise below the printed precision never orders two equal figures
    noisy = _cities().assign(stated_per_sq_mi=[100.0, 2.63, 2.63, 0.1], cameras=[1000.0, 780.0, 1052.0, 10.0])
    noisy["area_sq_mi"] = noisy["cameras"] / noisy["stated_per_sq_mi"]
    ranked = add_rankings(city_densities(noisy)).set_index("city")
    assert ranked.loc["Beta", "rank_per_sq_mi"] == ranked.loc["Gamma", "rank_per_sq_mi"] == 2


def test_area_outliers_are_flagged():
    flags = area_definition_flags(city_densities(_cities()))
    assert flags["city"].tolist() == ["Delta"]  # 100 sq mi vs a median of 10
    assert flags["area_vs_median"].iloc[0] == pytest.approx(10.0)


def test_stored_values_are_rounded_per_column():
    # cities.csv stores the implied area at 10 significant digits; cameras / that area is 75.88 plus noise
    area = float("%.10g" % (1052 / 75.88))
    df = pd.DataFrame({"per_sq_mi": [1052 / area], "per_1000": [2 / 3], "population": [1e6 + 0.4]})
    assert to_csv(df).splitlines()[1].startswith("75.88000002,")  # what a table carried before
    rounded = round_columns(df)
    assert to_csv(rounded) == "per_sq_mi,per_1000,population\n75.88,0.6667,1000000\n"  # 2, 4 and 0 decimals
    table = pd.DataFrame({"quantity": ["china_share_of_world", "world_cameras"], "x": [0.57642725, 1.086e9 + 0.3]})
    assert round_rows(table, "quantity")["x"].tolist() == [0.576427, 1.086e9]  # 6 and 0 decimals


def _article() -> pd.DataFrame:
    return pd.DataFrame({
        "figure_id": ["china_per_1000_conservative", "shenzhen_per_sq_mi", "delhi_per_sq_mi"],
        "entity": ["China", "Shenzhen", "Delhi"], "country": ["China", "China", "India"],
        "metric": ["cameras_per_1000", "cameras_per_sq_mi", "cameras_per_sq_mi"],
        "value_text": ["372.8", "6,220", "1,446"], "value": [372.8, 6220.0, 1446.0],
        "scenario": ["conservative", "conservative", "none"], "qualifier": "exact"})


def test_derived_city_figures_and_the_method():
    derived = derived_city_figures(_article())
    assert derived["city"].tolist() == ["Shenzhen"]  # Delhi's figure is counted, not derived (scenario none)
    # 6220 / 372.8 x 1000 = 16,684.55 people per sq mi; rounding: [6219.5 / 372.85, 6220.5 / 372.75] x 1000
    row = derived.iloc[0]
    assert row["implied_people_per_sq_mi"] == pytest.approx(16_684.549, abs=1e-3)
    assert (row["people_low"], row["people_high"]) == pytest.approx((6219.5 / 372.85 * 1000,
                                                                     6220.5 / 372.75 * 1000))
    table = pd.DataFrame({"source": "t", "source_row": [2], "city": ["Shenzhen"], "country": ["China"],
                          "country_code": ["CHN"], "cameras": [400_000.0], "population": [12_591_696.0],
                          "stated_per_1000": [31.77], "stated_per_sq_mi": [520.08], "crime_index": [1.0],
                          "area_sq_mi": [400_000 / 520.08], "area_km2": [1.0]})
    method = chinese_city_method(_article(), city_densities(table)).iloc[0]
    # 372.8 / 1000 x 12591696 / 769.1124 = 6,103.38; the table's own count gives 520.08
    assert method["method_per_sq_mi"] == pytest.approx(6103.38, abs=0.01)
    assert method["counted_per_sq_mi"] == 520.08
    assert method["method_low"] < method["method_per_sq_mi"] < method["method_high"]


def real_table(shared_data) -> tuple[pd.DataFrame, pd.DataFrame]:
    from helpers.data.city_tables import read_city_table

    read = read_city_table({"path": str(shared_data / "comparitech_2021_cities.csv"), "name": "comparitech_2021"})
    return read.cities, read.log


def test_the_real_table_ranks_ties_together(shared_data):
    cities, log = real_table(shared_data)
    ranked = add_rankings(city_densities(cities, printed_texts(cities, log))).set_index("city")
    # Chittagong (1052 cameras) and Busan (780) are both printed at 2.63 per sq mi: they share place 99
    assert ranked.loc["Chittagong", "rank_per_sq_mi"] == ranked.loc["Busan", "rank_per_sq_mi"] == 99
    assert (ranked["basis"] == COUNTED).all()  # the 2021 table counts its Chinese cities


def test_a_republished_table_with_rounded_populations(shared_data, tmp_path):
    """The 2021 table with populations printed like "9.43M": exact they fail, with their rounding they fit."""
    from helpers.data.city_tables import read_city_table

    raw = pd.read_csv(shared_data / "comparitech_2021_cities.csv", dtype=str, encoding="utf-8-sig",
                      keep_default_na=False)
    raw["# of People"] = raw["# of People"].map(lambda t: f"{float(t) / 1e6:.2f}M" if t else t)
    path = tmp_path / "republished.csv"
    raw.to_csv(path, index=False)
    read = read_city_table({"path": str(path), "name": "republished"})
    cities = read.cities
    # the rule of old: |cameras / population x 1000 - stated| <= 0.005 with "9.43M" taken as 9,430,000 exactly
    old = (cities["cameras"] / cities["population"] * 1000 - cities["stated_per_1000"]).abs() > 0.005 + 1e-9
    assert int(old.sum()) == 37
    out = city_densities(cities, printed_texts(cities, read.log))
    assert (out["per_1000_check"] == CONSISTENT).all()  # all 134 fit within the population's +-5,000
    london = out.set_index("city").loc["London"]
    # London: 691000 / [9.435e6, 9.425e6] x 1000 = [73.237, 73.316] (cameras +-0.5)
    assert (london["per_1000_low"], london["per_1000_high"]) == pytest.approx((690_999.5 / 9.435e6 * 1000,
                                                                               691_000.5 / 9.425e6 * 1000))


def test_ranks_are_within_each_table_and_a_copy_is_never_a_tie():
    # Tables a and b are the same four rows (b a byte copy of a); c holds one city at 1 per 1,000.
    # Within a (and b): per 1,000 = 1000/100000*1000 = 10, 300/60000*1000 = 5.00, 50/10000*1000 = 5.00,
    # 10/20000*1000 = 0.5 -> ranks 1, 2, 2, 4 (Beta and Gamma tie at two decimals), in-country 1, 2 | 1, 2.
    # Pooled over a + b + c they would be 1, 1, 3, 3, 3, 3, 7, 7 (each city tied with its own copy), c's Zeta 7.
    a = _cities().assign(source="a")
    b = _cities().assign(source="b")
    c = _cities().iloc[[0]].assign(source="c", city="Zeta", cameras=100.0, stated_per_1000=1.0)
    out = add_rankings(city_densities(pd.concat([a, b, c], ignore_index=True)))
    for name in ("a", "b"):
        table = out[out["source"] == name].set_index("city")
        assert table.loc[["Alpha", "Beta", "Gamma", "Delta"], "rank_per_1000"].tolist() == [1, 2, 2, 4]
        assert table.loc[["Alpha", "Beta", "Gamma", "Delta"], "rank_per_1000_in_country"].tolist() == [1, 2, 1, 2]
        # per sq mi 1000/10 = 100, 300/10 = 30, 50/10 = 5, 10/100 = 0.1: 1, 2, 3, 4; no place shared with a copy
        assert table.loc[["Alpha", "Beta", "Gamma", "Delta"], "rank_per_sq_mi"].tolist() == [1, 2, 3, 4]
    assert out.loc[out["city"] == "Zeta", "rank_per_1000"].tolist() == [1]  # first of its own one-row table
    assert out["source"].tolist() == ["a"] * 4 + ["b"] * 4 + ["c"]  # rows by table, then rank


def test_area_flags_use_the_median_of_their_own_table():
    # a: areas 10, 10, 10, 100: median 10, Delta is 10x it and flagged. c: four areas of 100: median 100, none.
    # Pooled (10, 10, 10, 100, 100, 100, 100, 100: median 100) Delta would not be flagged.
    a = _cities().assign(source="a")
    c = _cities().assign(source="c", city=["P", "Q", "R", "S"], cameras=[1000.0] * 4,
                         stated_per_sq_mi=[10.0] * 4, area_sq_mi=[100.0] * 4)
    flags = area_definition_flags(city_densities(pd.concat([a, c], ignore_index=True)))
    assert flags[["source", "city"]].values.tolist() == [["a", "Delta"]]
    assert flags["area_vs_median"].iloc[0] == pytest.approx(10.0)
