"""Densities, unit conversions and implied quantities: hand-checked values and properties."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers.density import (
    add_rankings,
    area_definition_flags,
    city_densities,
    implied_area,
    implied_cameras,
    implied_population,
    per_area,
    per_km2_from_sq_mi,
    per_thousand,
    relative_difference,
)
from helpers.errors import ParameterError
from helpers.units import KM2_PER_SQ_MI, km2_to_sq_mi, per_km2_to_per_sq_mi, per_sq_mi_to_per_km2, sq_mi_to_km2

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
        "city": ["Alpha", "Beta", "Gamma", "Delta"],
        "country_code": ["AAA", "AAA", "BBB", "BBB"],
        "cameras": [1000.0, 300.0, 50.0, 10.0],
        "population": [100_000.0, 60_000.0, 10_000.0, 20_000.0],
        "stated_per_1000": [10.0, 5.0, 5.01, 0.5],
        "stated_per_sq_mi": [100.0, 30.0, 5.0, 0.1],
        "area_sq_mi": [10.0, 10.0, 10.0, 100.0],
        "area_km2": [25.9, 25.9, 25.9, 259.0],
    })


def test_city_densities_recompute_and_flag_disagreement():
    out = city_densities(_cities())
    assert out["per_1000"].tolist() == [10.0, 5.0, 5.0, 0.5]
    assert out["per_1000_agrees"].tolist() == [True, True, False, True]  # 5.01 is off by 0.01
    assert out["per_sq_mi"].tolist() == [100.0, 30.0, 5.0, 0.1]
    assert out["people_per_sq_mi"].tolist() == [10_000.0, 6_000.0, 1_000.0, 200.0]


def test_rankings_overall_and_within_country():
    out = add_rankings(city_densities(_cities()))
    assert out["city"].tolist() == ["Alpha", "Beta", "Gamma", "Delta"]
    assert out["rank_per_1000"].tolist() == [1, 2, 2, 4]  # ties share the better rank
    assert out["rank_per_1000_in_country"].tolist() == [1, 2, 1, 2]


def test_area_outliers_are_flagged():
    flags = area_definition_flags(city_densities(_cities()))
    assert flags["city"].tolist() == ["Delta"]  # 100 sq mi vs a median of 10
    assert flags["area_vs_median"].iloc[0] == pytest.approx(10.0)
