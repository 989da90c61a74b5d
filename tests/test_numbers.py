"""Headline numbers for a paper (helpers/report/numbers.py): read from the step folders, checked against the tables."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from helpers.paths import OUTPUTS
from helpers.pipeline.steps import scenario_names
from helpers.report.numbers import collect, large, macro_name, to_json, to_tex


def step_dirs() -> dict[str, object]:
    dirs = {"02_density": OUTPUTS / "02_density", "04_compare": OUTPUTS / "04_compare"}
    for name in scenario_names():
        dirs[f"sensitivity/{name}"] = OUTPUTS / "sensitivity" / name
        dirs[f"03_scenarios/{name}"] = OUTPUTS / "03_scenarios" / name
    return dirs


@pytest.fixture(scope="module")
def numbers() -> dict:
    if not (OUTPUTS / "04_compare" / "scenario_comparison.csv").is_file():
        pytest.skip("no outputs: run `make reproduce` first")
    return {n.key: n for n in collect(step_dirs())}


def _close(text: str, value: float, decimals: int) -> bool:
    return float(text.replace(",", "")) == pytest.approx(round(value, decimals))


def test_scenario_numbers_are_the_comparison_tables(numbers):
    comparison = pd.read_csv(OUTPUTS / "04_compare" / "scenario_comparison.csv").set_index("quantity")
    for name in comparison.columns:
        col = comparison[name]
        assert _close(numbers[f"{name}.rate"].text, col["china_per_1000"], 1)
        assert _close(numbers[f"{name}.share_world_fixed"].text, col["china_share_of_world (world total fixed)"], 3)
        assert _close(numbers[f"{name}.share_rest_fixed"].text, col["china_share_of_world (rest of world fixed)"], 3)
        for stat, key in (("p5", "sens_low"), ("p50", "sens_median"), ("p95", "sens_high")):
            assert _close(numbers[f"{name}.{key}"].text, col[f"china_per_1000 {stat} (sensitivity)"], 1)
        assert numbers[f"{name}.rate_printed"].value == col["stated_rate"]


def test_audit_counts_are_the_audit_tables(numbers):
    audit = pd.read_csv(OUTPUTS / "02_density" / "claims_audit.csv")
    assert numbers["audit.figures"].text == str(len(audit))
    assert int(numbers["audit.inconsistent"].text) == (audit["verdict"] == "inconsistent").sum()
    # one key per verdict (the rank verdicts and "cannot be checked against the quoted edition" included): every
    # row counted once
    assert sum(int(numbers[f"audit.{k}"].text) for k in ("consistent", "bound", "identity", "edition", "unquoted",
                                                          "rank_holds", "rank_rule_only", "rank_fails",
                                                          "inconsistent", "uncheckable")) == len(audit)


def test_population_and_city_numbers_are_the_tables(numbers):
    implied = pd.read_csv(OUTPUTS / "02_density" / "implied_china_population.csv").set_index("basis")
    both = implied.loc[next(b for b in implied.index if b.startswith("both pairs"))]
    assert numbers["population.implied"].value == both["population"]
    assert numbers["population.implied"].text == f"{both['population'] / 1e9:.4f} billion"
    method = pd.read_csv(OUTPUTS / "02_density" / "chinese_city_method.csv").set_index("city")
    shenzhen = method.loc["Shenzhen"]
    assert numbers["shenzhen.rule_over_counted"].text == \
        f"{shenzhen['method_per_sq_mi'] / shenzhen['counted_per_sq_mi']:.1f}"


def test_every_number_has_a_macro_and_a_source(numbers):
    tex = to_tex(list(numbers.values()))
    data = json.loads(to_json(list(numbers.values())))
    for key, n in numbers.items():
        assert re.fullmatch(r"cctv[A-Za-z]+", n.macro), key
        assert f"\\newcommand\\{n.macro}{{" in tex
        assert data[key]["source"].split(":")[0].split("/")[0] in ("02_density", "03_scenarios", "sensitivity")
    assert to_tex(list(numbers.values())) == tex  # stable


def test_published_numbers_match_what_the_tables_give():
    published = OUTPUTS / "numbers" / "numbers.json"
    if not published.is_file():
        pytest.skip("outputs/numbers/ not published yet (run `make reproduce`)")
    assert published.read_text() == to_json(collect(step_dirs()))


def test_formats_and_macro_names():
    assert large(540e6) == "540 million" and large(1.46e9) == "1.46 billion"
    assert large(1448403670.0, 4) == "1.4484 billion"
    assert macro_name("high.sens_low") == "HighSensLow"
    assert macro_name("scenario2.rate") == "ScenarioTwoRate"


def test_headline_numbers_are_keyed_per_table(tmp_path):
    """Two tables' Shenzhen on a scenario's headline used to give one key twice ("keys read twice"): the reference
    table (the one the claims audit names) keeps ``<city>_table``, another table gets ``<city>_table_<table>``."""
    density, scenario = tmp_path / "02_density", tmp_path / "03_scenarios" / "conservative"
    density.mkdir()
    scenario.mkdir(parents=True)
    pd.DataFrame({"figure_id": ["shenzhen_per_sq_mi"], "metric": ["cameras_per_sq_mi"], "entity": ["Shenzhen"],
                  "value_text": ["6,220"], "stated": [6220.0], "recomputed": [6103.38],
                  "verdict": ["differs by edition"], "table": ["t2021"]}).to_csv(density / "claims_audit.csv",
                                                                                  index=False)
    headline = {"Shenzhen per sq mi (article's people per sq mi x national rate)": 6220.0,
                "Shenzhen per sq mi (t2021 population / area x national rate)": 6103.0,
                "Shenzhen per sq mi (t2025 population / area x national rate)": 8091.0}
    results = {"scenario": {"china_cameras": 540e6, "china_population": 1.46e9, "stated_rate": 372.8,
                            "world_rule": "rest_of_world_fixed"},
               "national": {"china_per_1000": 369.9, "china_share_of_world": 0.54, "world_cameras": 1e9,
                            "rest_of_world_per_1000": 70.9, "china_to_rest_ratio": 5.2},
               "headline": headline}
    (scenario / "results.json").write_text(json.dumps(results), encoding="utf-8")
    found = {n.key: n.value for n in collect({"02_density": density, "03_scenarios/conservative": scenario})}
    assert found["conservative.shenzhen_article"] == 6220.0
    assert found["conservative.shenzhen_table"] == 6103.0  # t2021: the table the audit checked against
    assert found["conservative.shenzhen_table_t2025"] == 8091.0
    assert macro_name("conservative.shenzhen_table_t2025") == "ConservativeShenzhenTableTTwoZeroTwoFive"


def test_the_rules_median_is_the_counted_vs_rule_figures(numbers):
    # the paper's "median ... times the counted density" is the figure's: the rule at the printed rate 372.8 (not a
    # scenario's 369.9) over the counted density, the caption's "(median 14.5)"; at 369.9 it would be 14.5 x 369.9 /
    # 372.8 = 14.4, the number the paper gave before
    caption = json.loads((OUTPUTS / "02_density" / "counted_vs_rule.json").read_text(encoding="utf-8"))["caption"]
    median = numbers["printed_rule.rule_over_counted_median"].text
    assert f"(median {median})" in caption
    low, high = (numbers[f"printed_rule.rule_over_counted_{s}"].text for s in ("min", "max"))
    assert f"The rule gives {low} to {high} times the counted density" in caption
    assert f"The {numbers['printed_rule.counted_cities'].text} counted Chinese cities" in caption
