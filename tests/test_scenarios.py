"""Scenario arithmetic against hand-computed values, the rules on parameters, the seeded sensitivity."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from helpers.cleaning import clean_article_figures
from helpers.errors import ParameterError
from helpers.io import load_raw
from helpers.scenarios import (
    article_city_estimates,
    comparison_table,
    load_spec,
    monte_carlo,
    national_results,
    read_results,
    resolve_scenario,
    scenario_names,
    sensitivity_setup,
    summarise,
    table_city_estimates,
    write_results,
)
from helpers.schemas import ARTICLE_FIGURES


@pytest.fixture(scope="module")
def figures() -> pd.DataFrame:
    return clean_article_figures(load_raw("article_figures.csv", ARTICLE_FIGURES))[0]


@pytest.fixture(scope="module")
def values(figures) -> dict[str, float]:
    return dict(zip(figures["figure_id"], figures["value"], strict=True))


def test_the_file_defines_both_scenarios():
    assert scenario_names() == ["conservative", "high"]


def test_conservative_with_the_stated_population(values):
    s = resolve_scenario("conservative", values)
    assert (s.china_cameras, s.china_population, s.stated_rate) == (540e6, 1.46e9, 372.8)
    r = national_results(s)
    assert r["china_per_1000"] == pytest.approx(369.8630137)  # 540e6 / 1.46e9 * 1000
    assert r["china_share_of_world"] == pytest.approx(0.54)  # 540e6 / 1e9
    assert r["rest_of_world_cameras"] == pytest.approx(460e6)  # 1e9 - 540e6
    # (1e9 - 540e6) / (7.909e9 - 1.46e9) * 1000 = 460e6 / 6.449e9 * 1000 = 71.3289
    assert r["rest_of_world_per_1000"] == pytest.approx(71.32889, rel=1e-6)
    assert r["china_to_rest_ratio"] == pytest.approx(369.8630137 / 71.3288882, rel=1e-6)  # 5.1853


def test_high_with_the_implied_population(values):
    s = resolve_scenario("high", values, population="implied")
    assert s.china_population == pytest.approx(1.4484035e9, rel=1e-7)  # 626e6 / 432.2 * 1000
    assert national_results(s)["china_per_1000"] == pytest.approx(432.2)
    assert national_results(s)["china_share_of_world"] == pytest.approx(0.626)


def test_user_population_and_user_scenario(values):
    s = resolve_scenario("high", values, population=1.4e9)
    assert s.population_assumption == "user value"
    assert national_results(s)["china_per_1000"] == pytest.approx(447.142857)  # 626e6 / 1.4e9 * 1000
    custom = resolve_scenario("mine", values, china_cameras="700,000,000")
    assert custom.china_cameras == 7e8 and custom.stated_rate is None
    # 'implied' for a scenario without a printed rate falls back to the conservative pair: 540e6/372.8*1000
    assert resolve_scenario("mine", values, china_cameras=7e8, population="implied").china_population == \
        pytest.approx(1.448497854e9)


@pytest.mark.parametrize(("name", "kwargs", "message"), [
    ("medium", {}, "parameter 'scenario': unknown scenario 'medium'; valid names: conservative, high"),
    ("../x", {}, "parameter 'scenario' must be a name of letters"),
    ("high", {"china_cameras": -1}, "parameter 'china_cameras' must be greater than 0, got -1"),
    ("high", {"china_cameras": "lots"}, "parameter 'china_cameras' must be a number, got 'lots'"),
    ("high", {"china_cameras": 1.2e9}, "exceeds world_cameras (1,000,000,000): China's share would be 120%"),
    ("high", {"population": "guess"}, "parameter 'population' must be one of stated, implied or a number"),
    ("high", {"population": 0}, "parameter 'population' must be greater than 0, got 0"),
    ("high", {"world_population": 1e9}, "world_population (1,000,000,000) must exceed China's population"),
])
def test_bad_values_name_the_rule(values, name, kwargs, message):
    with pytest.raises(ParameterError) as err:
        resolve_scenario(name, values, **kwargs)
    assert message in str(err.value)


def test_article_cities_scale_with_the_camera_count(values, figures):
    high = article_city_estimates(resolve_scenario("high", values), figures, 540e6).set_index("city")
    assert high.loc["Shenzhen", "per_sq_mi"] == pytest.approx(6220 * 626 / 540)  # 7,210.4
    assert high.loc["Delhi", "per_sq_mi"] == 1446  # outside China: as stated
    assert bool(high.loc["Osaka", "upper_bound"])
    assert high.loc["Shenzhen", "per_km2"] == pytest.approx(6220 * 626 / 540 / 2.589988110336)


def test_table_cities_use_the_national_rate(values):
    cities = pd.DataFrame({"city": ["Shenzhen", "London"], "country_code": ["CHN", "GBR"],
                           "population": [12_591_696.0, 9_425_622.0], "area_sq_mi": [769.112, 606.95],
                           "stated_per_sq_mi": [520.08, 1138.48]})
    est = table_city_estimates(resolve_scenario("conservative", values, population="implied"), cities)
    assert est["city"].tolist() == ["Shenzhen"]
    # 372.8 / 1000 * 12,591,696 / 769.112 = 6,103.4
    assert est["per_sq_mi"].iloc[0] == pytest.approx(6103.4, abs=0.1)
    assert est["counted_per_sq_mi"].iloc[0] == 520.08


def test_sensitivity_is_reproducible_from_its_seed(values):
    spec = load_spec()
    setup = sensitivity_setup(spec, values, draws=2000)
    # cameras from 540e6 x 0.9 = 486e6 to 626e6 x 1.1 = 688.6e6; population between implied and stated
    assert (setup.camera_low, setup.camera_high) == pytest.approx((486e6, 688.6e6))
    assert (setup.population_low, setup.population_high) == pytest.approx((1.448497854e9, 1.46e9))
    first, again = monte_carlo(setup), monte_carlo(setup)
    pd.testing.assert_frame_equal(first, again)
    other = monte_carlo(sensitivity_setup(spec, values, seed=1, draws=2000))
    assert not first.equals(other)
    summary = summarise(first, setup.percentiles).set_index("quantity")
    rate = summary.loc["china_per_1000"]
    assert rate["min"] <= rate["p5"] <= rate["p25"] <= rate["p50"] <= rate["p75"] <= rate["p95"] <= rate["max"]
    assert rate["min"] >= 486e6 / 1.46e9 * 1000 and rate["max"] <= 688.6e6 / 1.448497854e9 * 1000


def test_results_round_trip_and_compare(values, tmp_path):
    spec = load_spec()
    setup = sensitivity_setup(spec, values, draws=500)
    summary = summarise(monte_carlo(setup), setup.percentiles).set_index("quantity").to_dict(orient="index")
    dirs = {name: tmp_path / name for name in ("high", "conservative")}  # the pipeline's order, not alphabetical
    for name, folder in dirs.items():
        s = resolve_scenario(name, values)
        write_results(folder, s, national_results(s))
    first = (dirs["high"] / "results.json").read_bytes()
    s = resolve_scenario("high", values)
    write_results(dirs["high"], s, national_results(s))
    assert (dirs["high"] / "results.json").read_bytes() == first
    (tmp_path / "stale").mkdir()  # a folder lying on disk that the pipeline does not name is never read
    (tmp_path / "stale" / "results.json").write_text("{}")
    results = read_results(dirs)
    assert list(results) == ["high", "conservative"]
    table = comparison_table(results, summary).set_index("quantity")
    assert list(table.columns) == ["high", "conservative"]
    assert table.loc["china_cameras", "high"] == 626e6
    assert table.loc["china_per_1000 p50 (sensitivity)", "high"] == summary["china_per_1000"]["p50"]
    assert json.loads(first)["national"]["china_per_1000"] == pytest.approx(428.767123)  # 626e6/1.46e9*1000


def test_missing_results_are_explained(tmp_path):
    with pytest.raises(ParameterError, match=r"no results for scenario 'high'.*run notebooks/03_scenarios\.ipynb"):
        read_results({"high": tmp_path / "high"})
    with pytest.raises(ParameterError, match="names no scenario"):
        read_results({})
