"""Scenario arithmetic against hand-computed values: the world-total rules, one national rate and one city rule,
the rules on parameters, and the seeded per-scenario sensitivity."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from helpers.analysis import sensitivity
from helpers.analysis.scenarios import (
    REST_FIXED,
    WORLD_FIXED,
    city_estimates,
    comparison_table,
    headline_city,
    national_rate,
    national_results,
    national_table,
    rates_by_population,
    read_results,
    resolve_scenario,
    write_results,
)
from helpers.data.cleaning import clean_article_figures, empty_cities, write_processed
from helpers.data.io import load_raw
from helpers.data.scenarios_file import ScenariosFile, load_spec, scenario_names
from helpers.data.schemas import ARTICLE_FIGURES
from helpers.errors import ParameterError
from helpers.report.sensitivity_step import run_step

REST_POPULATION = 7_909_295_151 - 1_425_893_465  # UN WPP 2022, mid-2021: the world minus China = 6,483,401,686
SHENZHEN_PEOPLE = 6220 / 372.8 * 1000  # people per sq mi the printed 6,220 implies at 372.8: 16,684.549


@pytest.fixture(scope="module")
def figures() -> pd.DataFrame:
    return clean_article_figures(load_raw("article_figures.csv", ARTICLE_FIGURES))[0]


@pytest.fixture(scope="module")
def values(figures) -> dict[str, float]:
    return dict(zip(figures["figure_id"], figures["value"], strict=True))


@pytest.fixture(scope="module")
def spec() -> ScenariosFile:
    return load_spec()


def test_the_file_defines_both_scenarios():
    assert scenario_names() == ["conservative", "high"]


def test_conservative_with_the_stated_population(values):
    s = resolve_scenario("conservative", values)
    assert (s.china_cameras, s.china_population, s.stated_rate) == (540e6, 1.46e9, 372.8)
    r = national_results(s)
    assert r["china_per_1000"] == pytest.approx(369.8630137)  # 540e6 / 1.46e9 * 1000
    assert r["china_share_of_world"] == pytest.approx(0.54)  # 540e6 / 1e9, a fraction
    assert r["rest_of_world_cameras"] == pytest.approx(460e6)  # 1e9 - 540e6
    assert r["rest_of_world_population"] == REST_POPULATION  # one source: not 7.909e9 - the article's 1.46e9
    # 460e6 / 6,483,401,686 * 1000 = 70.9504 (the mixed 460e6 / (7.909e9 - 1.46e9) gave 71.33)
    assert r["rest_of_world_per_1000"] == pytest.approx(70.95041, rel=1e-6)
    # one source on both sides: 540e6 / 1,425,893,465 * 1000 = 378.7099 (UN's China) / 70.9504 = 5.3377
    assert r["china_per_1000_un"] == pytest.approx(378.70992, rel=1e-6)
    assert r["china_to_rest_ratio"] == pytest.approx(5.337671, rel=1e-6)
    # the alternative, the article's 1.46 billion on both sides: the rest 460e6 / (7,909,295,151 - 1.46e9) * 1000
    # = 71.3257; 369.8630 / 71.3257 = 5.1856 (the mixed 369.8630 / 70.9504 = 5.21 is never computed)
    assert r["rest_of_world_per_1000_scenario_population"] == pytest.approx(71.32577, rel=1e-5)
    assert r["china_to_rest_ratio_scenario_population"] == pytest.approx(5.185556, rel=1e-6)
    # the world total goes with this scenario: both rules agree
    assert national_results(s, WORLD_FIXED) == national_results(s, REST_FIXED)


def test_the_world_total_under_the_high_scenario(values):
    s = resolve_scenario("high", values)
    assert s.world_rule == REST_FIXED  # the file's named assumption
    fixed, rest = national_results(s, WORLD_FIXED), national_results(s, REST_FIXED)
    # world fixed at 1e9: the rest shrinks to 1e9 - 626e6 = 374e6, China's share 62.6%,
    # 374e6 / 6,483,401,686 * 1000 = 57.686 per 1,000, ratio (UN both sides) 626e6 / 1,425,893,465 * 1000 = 439.023
    # / 57.686 = 7.6106
    assert (fixed["world_cameras"], fixed["china_share_of_world"]) == pytest.approx((1e9, 0.626))
    assert fixed["rest_of_world_per_1000"] == pytest.approx(57.6858, abs=1e-4)
    assert fixed["china_to_rest_ratio"] == pytest.approx(7.6106, abs=1e-4)
    # rest of the world fixed at 460e6: the world is 1.086e9, China's share 626 / 1086 = 57.6%, 70.9504 per 1,000,
    # ratio 439.023 / 70.9504 = 6.1877 (UN both sides); the article's China both sides: 428.767 / 71.3257 = 6.0114
    assert (rest["world_cameras"], rest["china_share_of_world"]) == pytest.approx((1.086e9, 626 / 1086))
    assert rest["rest_of_world_per_1000"] == pytest.approx(70.9504, abs=1e-4)
    assert rest["china_to_rest_ratio"] == pytest.approx(6.1877, abs=1e-4)
    assert rest["china_to_rest_ratio_scenario_population"] == pytest.approx(6.0114, abs=1e-4)
    assert national_results(s) == rest  # single-valued results follow the file's rule
    table = national_table(s).set_index("quantity")
    assert list(table.columns) == ["unit", WORLD_FIXED, REST_FIXED]
    assert table.loc["china_share_of_world", WORLD_FIXED] == pytest.approx(0.626)
    assert table.loc["china_share_of_world", REST_FIXED] == pytest.approx(626 / 1086)


def test_high_with_the_implied_population(values):
    s = resolve_scenario("high", values, population="implied")
    assert s.china_population == pytest.approx(1.4484035e9, rel=1e-7)  # 626e6 / 432.2 * 1000
    assert national_rate(s) == pytest.approx(432.2)


def test_user_population_and_user_scenario(values):
    s = resolve_scenario("high", values, population=1.4e9)
    assert s.population_assumption == "user value"
    assert national_rate(s) == pytest.approx(447.142857)  # 626e6 / 1.4e9 * 1000
    custom = resolve_scenario("mine", values, china_cameras="700,000,000")
    assert custom.china_cameras == 7e8 and custom.stated_rate is None
    # 'implied' for a scenario without a printed rate falls back to the conservative pair: 540e6/372.8*1000
    assert resolve_scenario("mine", values, china_cameras=7e8, population="implied").china_population == \
        pytest.approx(1.448497854e9)


@pytest.mark.parametrize(("name", "kwargs", "message"), [
    ("medium", {}, "parameter 'scenario': unknown scenario 'medium'; valid names: conservative, high"),
    ("../x", {}, "parameter 'scenario': a scenario name must be 1 to 64 characters, start with a letter or digit"),
    ("high\n", {}, "parameter 'scenario': a scenario name must be 1 to 64 characters"),  # "$" let the newline pass
    ("x" * 65, {"china_cameras": 7e8}, "parameter 'scenario': a scenario name must be 1 to 64 characters"),
    ("common", {"china_cameras": 7e8}, "parameter 'scenario': 'common' is reserved"),
    ("high", {"china_cameras": -1}, "parameter 'china_cameras' must be greater than 0, got -1"),
    ("high", {"china_cameras": "lots"}, "parameter 'china_cameras' must be a number, got 'lots'"),
    ("high", {"china_cameras": 1.2e9, "world_rule": WORLD_FIXED},
     "exceeds world_cameras (1,000,000,000): China's share would be 120%"),
    ("high", {"world_rule": "both"}, "world-total rule must be one of world_fixed, rest_of_world_fixed"),
    ("high", {"population": "guess"},
     "parameter 'population' must be one of stated, implied, un_wpp_2022, nbs_2021 or a number"),
    ("high", {"population": 0}, "parameter 'population' must be greater than 0, got 0"),
    ("high", {"world_population": 1e9}, "world_population (1,000,000,000) must exceed China's population"),
])
def test_bad_values_name_the_rule(values, name, kwargs, message):
    with pytest.raises(ParameterError) as err:
        resolve_scenario(name, values, **kwargs)
    assert message in str(err.value)


def test_more_cameras_than_the_world_only_rules_out_the_world_fixed_column(values):
    s = resolve_scenario("high", values, china_cameras=1.2e9)  # rest of the world fixed: world 1.2e9 + 460e6
    assert national_results(s)["world_cameras"] == pytest.approx(1.66e9)
    assert national_table(s)[WORLD_FIXED].isna().all()


def test_one_city_rule_and_one_national_rate(values, figures):
    high = city_estimates(resolve_scenario("high", values), figures).set_index("city")
    # 626e6 / 1.46e9 * 1000 = 428.767 per 1,000 x 16,684.549 people per sq mi / 1000 = 7,153.79
    assert high.loc["Shenzhen", "per_sq_mi"] == pytest.approx(428.767123 * SHENZHEN_PEOPLE / 1000)
    assert high.loc["Shenzhen", "per_sq_mi"] == pytest.approx(7153.786, abs=1e-3)
    # at the population the article's own high rate implies, the same rule gives 6,220 x 432.2 / 372.8 = 7,211.06
    implied = city_estimates(resolve_scenario("high", values, population="implied"), figures).set_index("city")
    assert implied.loc["Shenzhen", "per_sq_mi"] == pytest.approx(6220 * 432.2 / 372.8)
    assert high.loc["Delhi", "per_sq_mi"] == 1446  # outside China: as stated
    assert bool(high.loc["Osaka", "upper_bound"])
    assert high.loc["Shenzhen", "per_km2"] == pytest.approx(high.loc["Shenzhen", "per_sq_mi"] / 2.589988110336)
    assert headline_city(figures) == "Shenzhen"  # the highest derived density the article prints


def test_table_cities_use_the_national_rate(values, figures):
    cities = pd.DataFrame({"source": "t", "source_row": [2, 3], "city": ["Shenzhen", "London"],
                           "country": ["China", "United Kingdom"], "country_code": ["CHN", "GBR"],
                           "cameras": [400_000.0, 691_000.0], "population": [12_591_696.0, 9_425_622.0],
                           "stated_per_1000": [31.77, 73.31], "stated_per_sq_mi": [520.08, 1138.48],
                           "area_sq_mi": [400_000 / 520.08, 691_000 / 1138.48], "area_km2": [1.0, 1.0]})
    est = city_estimates(resolve_scenario("conservative", values, population="implied"), figures, cities)
    table = est[est["basis"] == "t population / area x national rate"]
    assert table["city"].tolist() == ["Shenzhen"]
    # 372.8 / 1000 x 12,591,696 / 769.1124 = 6,103.4
    assert table["per_sq_mi"].iloc[0] == pytest.approx(6103.38, abs=0.01)
    assert table["counted_per_sq_mi"].iloc[0] == 520.08


# --- sensitivity ------------------------------------------------------------------------------------

def test_input_distributions_from_the_file(values, figures, spec):
    cons = sensitivity.setup(spec, figures, resolve_scenario("conservative", values, spec=spec))
    # 54 percent is [53.5, 54.5]% (its rounding), "approximately 1 billion" triangular on [0.9, 1.1] billion
    # (world_spread 0.10): the count's ends [0.535 x 0.9e9, 0.545 x 1.1e9] = [481.5e6, 599.5e6] around 540e6
    assert (cons.cameras.low, cons.cameras.high) == pytest.approx((481.5e6, 599.5e6))
    assert (cons.cameras.share.low, cons.cameras.share.high) == pytest.approx((0.535, 0.545))
    assert (cons.cameras.world.low, cons.cameras.world.mode, cons.cameras.world.high) == pytest.approx((0.9e9, 1e9,
                                                                                                         1.1e9))
    # implied: [539.5e6 / 372.85, 540.5e6 / 372.75] x 1000 = [1.446963e9, 1.450034e9]; stated [1.455e9, 1.465e9];
    # UN WPP 2022 1,425,893,465 and the statistics bureau's 1,412,600,000 (typed in full): the hull is
    # [1,412,600,000, 1,465,000,000]
    assert (cons.population.low, cons.population.high) == pytest.approx((1.4126e9, 1.465e9))
    high = sensitivity.setup(spec, figures, resolve_scenario("high", values, spec=spec))
    # the same relative range for 626e6: [626e6 x 481.5 / 540, 626e6 x 599.5 / 540] = [558.18e6, 694.98e6]
    assert (high.cameras.low, high.cameras.high) == pytest.approx((626e6 * 481.5 / 540, 626e6 * 599.5 / 540))
    # its implied population [625.5e6 / 432.25, ...] x 1000 = 1.447079e9 lies inside the same hull
    assert (high.population.low, high.population.high) == pytest.approx((1.4126e9, 1.465e9))
    assert (cons.seed, cons.draws, cons.percentiles) == (20211231, 10000, (5.0, 25.0, 50.0, 75.0, 95.0))


def test_sensitivity_is_reproducible_and_per_scenario(values, figures, spec):
    cons = sensitivity.setup(spec, figures, resolve_scenario("conservative", values, spec=spec), draws=2000)
    high = sensitivity.setup(spec, figures, resolve_scenario("high", values, spec=spec), draws=2000)
    first, again = sensitivity.monte_carlo(cons), sensitivity.monte_carlo(cons)
    pd.testing.assert_frame_equal(first, again)
    other = sensitivity.monte_carlo(sensitivity.setup(spec, figures, resolve_scenario("conservative", values),
                                                      seed=1, draws=2000))
    assert not first.equals(other)
    # common random numbers: each high draw is the conservative one scaled by 626 / 540
    np.testing.assert_allclose(sensitivity.monte_carlo(high)["china_cameras"] / first["china_cameras"], 626 / 540)
    rate = first["china_per_1000"]
    # 481.5e6 / 1.465e9 * 1000 = 328.67 and 599.5e6 / 1.4126e9 * 1000 = 424.39 (the statistics bureau's population)
    assert rate.min() >= 481.5e6 / 1.465e9 * 1000
    assert rate.max() <= 599.5e6 / 1.4126e9 * 1000
    assert rate.max() > 572.25e6 / (539.5e6 / 372.85 * 1000) * 1000  # beyond the old implied-stated range (395.48)
    summary = sensitivity.summarise(first, cons.percentiles).set_index("quantity").loc["china_per_1000"]
    assert summary["min"] <= summary["p5"] <= summary["p50"] <= summary["p95"] <= summary["max"]


def test_triangular_quantiles_by_hand():
    world = sensitivity.Triangular("w", 0.9, 1.0, 1.1, "")
    # below the peak: 0.9 + sqrt(u x 0.2 x 0.1); above: 1.1 - sqrt((1 - u) x 0.2 x 0.1)
    # u = 0.125: 0.9 + sqrt(0.0025) = 0.95; u = 0.5: the peak 1.0; u = 0.875: 1.1 - 0.05 = 1.05
    u = np.array([0.0, 0.125, 0.5, 0.875, 1.0])
    np.testing.assert_allclose(world.quantile(u), [0.9, 0.95, 1.0, 1.05, 1.1])
    np.testing.assert_allclose(sensitivity.Triangular("p", 2.0, 2.0, 2.0, "").quantile(u), 2.0)  # no spread


def test_count_world_and_share_are_drawn_jointly(values, figures, spec):
    cons = sensitivity.setup(spec, figures, resolve_scenario("conservative", values, spec=spec))
    draws = sensitivity.monte_carlo(cons)
    # the conservative count is the one the world total goes with: count = share x world, draw by draw
    np.testing.assert_allclose(draws["china_cameras"], draws["china_share_of_world"] * draws["world_cameras"])
    assert draws["china_share_of_world"].between(0.535, 0.545).all()
    assert draws["world_cameras"].between(0.9e9, 1.1e9).all()
    # not flat-topped: a triangle on +-10% puts 1 - (8 / 10)^2 = 36% of the world totals within +-2% of 1 billion
    # (a uniform would put 20%); the share's +-0.93% blurs the count a little: between 30% and 42% of the counts
    near = ((draws["world_cameras"] / 1e9 - 1).abs() < 0.02).mean()
    assert near == pytest.approx(0.36, abs=0.02)
    assert 0.30 < ((draws["china_cameras"] / 540e6 - 1).abs() < 0.02).mean() < 0.42
    # the high scenario under rest_of_world_fixed, both inputs pinned at their high ends (0.545, 1.1e9):
    # factor 0.545 x 1.1 / 0.54 = 1.1101852; count 626e6 x 1.1101852 = 694.976e6; the world is the count plus the
    # drawn rest, 1.1e9 - 540e6 x 1.1101852 = 500.5e6: 1,195.476e6; share 694.976 / 1,195.476 = 0.581338
    high = sensitivity.setup(spec, figures, resolve_scenario("high", values, spec=spec)).cameras
    pinned = sensitivity.Cameras(sensitivity.Uniform("s", 0.545, 0.545, ""),
                                 sensitivity.Triangular("w", 1.1e9, 1.1e9, 1.1e9, ""), 0.54, 1e9, high.count,
                                 high.world_total, high.reference, high.rule, "").draw(1, 2)
    assert pinned["china_cameras"].iloc[0] == pytest.approx(694.9759e6, rel=1e-6)
    assert pinned["world_cameras"].iloc[0] == pytest.approx(1195.4759e6, rel=1e-6)
    assert pinned["china_share_of_world"].iloc[0] == pytest.approx(0.581338, rel=1e-5)


def test_tornado_and_city_intervals(values, figures, spec):
    s = resolve_scenario("conservative", values, spec=spec)
    st = sensitivity.setup(spec, figures, s, draws=4000)
    result = sensitivity.run(st, s, figures)
    national = result.tornado[result.tornado["output"] == "China: cameras per 1,000 people"]
    # cameras alone: (599.5e6 - 481.5e6) / 1.46e9 * 1000 = 80.822 per 1,000
    # population alone: 540e6 x 1000 x (1 / 1.4126e9 - 1 / 1.465e9) = 382.2738 - 368.6007 = 13.6731
    assert national["input"].tolist() == [sensitivity.CAMERAS, sensitivity.POPULATION]  # largest swing first
    assert national["swing"].tolist() == pytest.approx([80.822, 13.673], abs=1e-3)
    shenzhen = result.tornado[result.tornado["output"].str.startswith("Shenzhen")]
    # 369.863 x 16,684.549 / 1000 = 6,171.0: the same number as city_estimates for this scenario
    central = city_estimates(s, figures).set_index("city").loc["Shenzhen", "per_sq_mi"]
    assert shenzhen["central"].iloc[0] == pytest.approx(central) == pytest.approx(6170.998, abs=1e-3)
    assert shenzhen["input"].iloc[0] == sensitivity.CAMERAS  # the national count moves a city most
    row = result.cities.set_index("city").loc["Shenzhen"]
    assert row["per_sq_mi"] == pytest.approx(central)
    assert row["p5"] < central < row["p95"]
    # the city interval is the national rate's, scaled: p5 within 0.1% of the rate's p5 x 16,684.549 / 1000
    rate = result.summary.set_index("quantity").loc["china_per_1000"]
    assert row["p5"] == pytest.approx(rate["p5"] * SHENZHEN_PEOPLE / 1000, rel=1e-3)


def _chinese_table(source: str, rows: list[tuple]) -> pd.DataFrame:
    """A city table of Chinese cities: (city, cameras, population, stated per 1,000, stated per sq mi)."""
    out = pd.DataFrame(rows, columns=["city", "cameras", "population", "stated_per_1000", "stated_per_sq_mi"])
    out["area_sq_mi"] = out["cameras"] / out["stated_per_sq_mi"]
    return out.assign(source=source, source_row=range(2, 2 + len(out)), country="China", country_code="CHN",
                      area_km2=out["area_sq_mi"] * 2.589988)


def test_rule_ratios_and_the_intervals_with_the_rules_uncertainty(values, figures, spec):
    s = resolve_scenario("conservative", values, spec=spec)  # 540e6 / 1.46e9 x 1000 = 369.863 per 1,000
    rows = [("Shenzhen", 400_000.0, 12_591_696.0, 31.77, 520.08), ("Wuhan", 100_000.0, 10_000_000.0, 10.0, 100.0)]
    cities = pd.concat([_chinese_table("t1", rows), _chinese_table("t2", rows[:1])], ignore_index=True)
    # counted / rule = (cameras / area) / (rate / 1000 x population / area) = (cameras / population x 1000) / rate:
    # Shenzhen 31.7670 / 369.863 = 0.085889, Wuhan 10 / 369.863 = 0.027037; Shenzhen's copy in t2 counts once
    assert sensitivity.rule_ratios(s, cities) == pytest.approx([0.027037, 0.085889], abs=1e-6)
    assert len(sensitivity.rule_ratios(s, None)) == 0
    # every draw times one of the ratios, drawn with replacement: 1,000 x {0.1, 10} is 100 or 10,000, about half each
    ruled = sensitivity.with_rule_error(np.full((2, 4000), 1000.0), np.array([0.1, 10.0]), 7, ["a", "b"])
    assert set(np.unique(ruled)) == {100.0, 10_000.0}
    assert (ruled == 100.0).mean() == pytest.approx(0.5, abs=0.03)
    assert not np.array_equal(ruled[0], ruled[1])  # each city its own stream
    st = sensitivity.setup(spec, figures, s, draws=2000)
    rate = sensitivity.monte_carlo(st)["china_per_1000"].to_numpy()
    inputs = sensitivity.city_inputs(s, figures)
    # a rule without error (every ratio 1) gives the plain interval; no counted city gives none
    exact = sensitivity.city_intervals(st, rate, inputs, np.array([1.0]))
    np.testing.assert_allclose(exact[["rule_p5", "rule_p50", "rule_p95"]].to_numpy(),
                               exact[["p5", "p50", "p95"]].to_numpy())
    assert sensitivity.city_intervals(st, rate, inputs)["rule_p5"].isna().all()
    # ratios {0.1, 10}: Shenzhen's 5th percentile with the rule's uncertainty lies among the x0.1 draws, its 95th
    # among the x10 draws: about 6,171 / 10 and 6,171 x 10 (within the national spread, 0.85-1.15 x)
    wide = sensitivity.city_intervals(st, rate, inputs, np.array([0.1, 10.0])).set_index("city").loc["Shenzhen"]
    assert 0.085 * 6171 < wide["rule_p5"] < 0.115 * 6171 and 8.5 * 6171 < wide["rule_p95"] < 11.5 * 6171


def test_tornado_tables_show_the_exact_input_ends(values, figures, spec, tmp_path):
    from helpers.data.units import round_columns
    from helpers.report.tables import save_table

    s = resolve_scenario("conservative", values, spec=spec)
    st = sensitivity.setup(spec, figures, s, draws=10)
    cities = _chinese_table("t", [("Shenzhen", 400_000.0, 12_591_696.0, 31.77, 520.08)])
    tornado = sensitivity.tornado(st, s, sensitivity.city_inputs(s, figures, cities), "Shenzhen")
    save_table(round_columns(tornado), "tornado", folder=tmp_path, caption="test")
    stored = pd.read_csv(tmp_path / "tornado.csv")
    population = stored[stored["input"] == "city population"].iloc[0]
    # 12,591,696 is given to the person: its ends are 12,591,695.5 and 12,591,696.5, not 12,591,700 at both ends
    assert (population["input_low"], population["input_high"]) == (12_591_695.5, 12_591_696.5)
    markdown = (tmp_path / "tornado.md").read_text(encoding="utf-8")
    assert "| city population | 12,591,695.5 | 12,591,696.5 |" in markdown
    # the count's ends 0.535 x 0.9e9 = 481.5e6 and 0.545 x 1.1e9 = 599.5e6, shown in millions as the national
    # tables show counts, with the decimals they need (at most 2): 481.5 and 599.5
    assert "| China's camera count (million) | 481.5 | 599.5 |" in markdown


def test_the_sensitivity_step_writes_per_scenario(figures, tmp_path):
    clean = tmp_path / "clean"
    write_processed(clean, figures, empty_cities(), pd.DataFrame(columns=["source", "row", "column", "before", "after",
                                                                          "rule"]))
    for name in ("conservative", "high"):
        run_step(scenario=name, cleaning_dir=clean, output_dir=tmp_path / name, n_draws=500)
    cons, high = sensitivity.read(tmp_path / "conservative"), sensitivity.read(tmp_path / "high")
    assert cons.data["setup"]["scenario"] == "conservative" and cons.data["setup"]["draws"] == 500
    assert cons.data["central"]["china_per_1000"] == pytest.approx(369.8630137)
    assert high.data["summary"]["china_per_1000"]["p50"] > cons.data["summary"]["china_per_1000"]["p95"]
    assert set(cons.cities["city"]) == {"Shenzhen", "Wuhan", "Shanghai", "Qingdao"}
    first = (tmp_path / "high" / "sensitivity.json").read_bytes()
    run_step(scenario="high", cleaning_dir=clean, output_dir=tmp_path / "high", n_draws=500)
    assert (tmp_path / "high" / "sensitivity.json").read_bytes() == first
    assert sensitivity.read_for({"high": tmp_path / "high"}, "mine") is None  # a scenario of parameters only


def test_rates_by_population_source(values, spec):
    table = rates_by_population(values, {"conservative": None, "high": None, "mine": 700e6}, spec)
    rates = table.set_index(["scenario", "population_source"])["china_per_1000"]
    assert list(table["population_source"].unique()) == ["stated", "implied", "un_wpp_2022", "nbs_2021"]
    assert rates["conservative", "stated"] == pytest.approx(369.863014, rel=1e-8)  # 540e6 / 1.46e9 * 1000
    assert rates["conservative", "implied"] == pytest.approx(372.8)  # 540e6 / (540e6 / 372.8 * 1000) * 1000
    assert rates["high", "implied"] == pytest.approx(432.2)  # its own printed pair: 626e6 / 432.2
    assert rates["conservative", "un_wpp_2022"] == pytest.approx(378.709920, rel=1e-8)  # 540e6 / 1,425,893,465
    assert rates["conservative", "nbs_2021"] == pytest.approx(382.273821, rel=1e-8)  # 540e6 / 1.4126e9 * 1000
    assert rates["high", "nbs_2021"] == pytest.approx(443.154467, rel=1e-8)  # 626e6 / 1.4126e9 * 1000
    assert rates["mine", "nbs_2021"] == pytest.approx(495.540139, rel=1e-8)  # 700e6 / 1.4126e9 * 1000
    # 'mine' has no printed rate: its implied population is the conservative pair's, 1,448,497,854
    assert rates["mine", "implied"] == pytest.approx(700e6 / (540e6 / 372.8 * 1000) * 1000)  # 483.259


def test_band_differences_decides_whether_the_steps_band_is_this_runs(figures, values, spec, tmp_path):
    clean = tmp_path / "clean"
    write_processed(clean, figures, empty_cities(), pd.DataFrame(columns=["source", "row", "column", "before", "after",
                                                                          "rule"]))
    run_step(scenario="conservative", cleaning_dir=clean, output_dir=tmp_path / "cons", n_draws=300)
    written = sensitivity.read(tmp_path / "cons")

    def differences(n_draws=300, seed=None, **overrides):
        s = resolve_scenario("conservative", values, spec=spec, **overrides)
        st = sensitivity.setup(spec, figures, s, draws=n_draws, seed=seed, china_cameras=overrides.get("china_cameras"))
        return sensitivity.band_differences(written, sensitivity.band_inputs(st, s, figures))

    assert differences() == []  # the step's own inputs: its band may be shown
    # 700 million: the central count and the count the draws scale (700e6 instead of 540e6) differ, and the
    # implied pair falls back to the conservative figures (same numbers), so the population range does not
    cams = differences(china_cameras=700e6)
    assert "china_cameras" in cams and "setup.cameras.count" in cams
    assert "china_population" not in cams
    # the implied population (540e6 / 372.8 x 1000 = 1,448,497,854) instead of the stated 1.46 billion
    assert "china_population" in differences(population="implied")
    assert differences(seed=1) == ["setup.seed"]
    assert differences(n_draws=301) == ["setup.draws"]
    assert sensitivity.band_differences(None, {}) != []  # no step run at all: never "the same"
    unrecorded = sensitivity.Written({k: v for k, v in written.data.items() if k != "inputs"}, written.histogram,
                                     written.cities, written.tornado)
    assert differences() == [] and sensitivity.band_differences(unrecorded, written.data["inputs"]) != []


def test_results_round_trip_and_compare(values, tmp_path, figures, spec):
    dirs = {name: tmp_path / name for name in ("high", "conservative")}  # the pipeline's order, not alphabetical
    sens = {}
    for name, folder in dirs.items():
        s = resolve_scenario(name, values)
        est = city_estimates(s, figures).set_index("city")
        write_results(folder, s, national_results(s), {"Shenzhen per sq mi": est.loc["Shenzhen", "per_sq_mi"]})
        st = sensitivity.setup(spec, figures, s, draws=300)
        sens[name] = {"summary": sensitivity.summarise(sensitivity.monte_carlo(st), st.percentiles)
                      .set_index("quantity").to_dict(orient="index")}
    first = (dirs["high"] / "results.json").read_bytes()
    s = resolve_scenario("high", values)
    write_results(dirs["high"], s, national_results(s),
                  {"Shenzhen per sq mi": city_estimates(s, figures).set_index("city").loc["Shenzhen", "per_sq_mi"]})
    assert (dirs["high"] / "results.json").read_bytes() == first
    (tmp_path / "stale").mkdir()  # a folder lying on disk that the pipeline does not name is never read
    (tmp_path / "stale" / "results.json").write_text("{}")
    results = read_results(dirs)
    assert list(results) == ["high", "conservative"]
    table = comparison_table(results, sens).set_index("quantity")
    assert list(table.columns) == ["high", "conservative"]
    assert table.loc["china_cameras", "high"] == 626e6
    assert table.loc["china_share_of_world (world total fixed)", "high"] == pytest.approx(0.626)
    assert table.loc["china_share_of_world (rest of world fixed)", "high"] == pytest.approx(626 / 1086)
    # each scenario's own sensitivity, no longer one pooled range
    assert table.loc["china_per_1000 p50 (sensitivity)", "high"] == sens["high"]["summary"]["china_per_1000"]["p50"]
    assert table.loc["china_per_1000 p50 (sensitivity)", "high"] > table.loc["china_per_1000 p95 (sensitivity)",
                                                                             "conservative"]
    assert table.loc["Shenzhen per sq mi", "high"] == pytest.approx(7153.786, abs=1e-3)
    assert json.loads(first)["national"]["china_per_1000"] == pytest.approx(428.767123)  # 626e6/1.46e9*1000
    assert set(json.loads(first)["national_by_rule"]) == {WORLD_FIXED, REST_FIXED}


def test_missing_results_are_explained(tmp_path):
    with pytest.raises(ParameterError, match=r"no results for scenario 'high'.*run notebooks/03_scenarios\.ipynb"):
        read_results({"high": tmp_path / "high"})
    with pytest.raises(ParameterError, match="names no scenario"):
        read_results({})
