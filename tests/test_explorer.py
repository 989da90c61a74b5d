"""The scenario explorer recomputes with the scenario helpers, as tables and as widgets."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers.analysis.scenarios import RULE_LABELS, city_estimates, national_results, resolve_scenario
from helpers.data.cleaning import clean_article_figures
from helpers.data.io import load_raw
from helpers.data.scenarios_file import ScenariosFile, load_spec
from helpers.data.schemas import ARTICLE_FIGURES
from helpers.report import explorer

WORLD_FIXED, REST_FIXED = "world_fixed", "rest_of_world_fixed"
REST_POPULATION = 7_909_295_151 - 1_425_893_465  # UN WPP 2022: the world minus China, mid-2021


@pytest.fixture(scope="module")
def figures() -> pd.DataFrame:
    return clean_article_figures(load_raw("article_figures.csv", ARTICLE_FIGURES))[0]


@pytest.fixture(scope="module")
def values(figures) -> dict[str, float]:
    return explorer.figure_values(figures)


@pytest.fixture(scope="module")
def spec() -> ScenariosFile:
    return load_spec()


def row(table: pd.DataFrame, scenario: str, rule: str) -> pd.Series:
    hits = table[(table["scenario"] == scenario) & (table["world_rule"] == RULE_LABELS[rule])]
    assert len(hits) == 1
    return hits.iloc[0]


def test_both_rules_are_offered():
    assert set(RULE_LABELS) == {WORLD_FIXED, REST_FIXED}


@pytest.mark.parametrize("rule", [WORLD_FIXED, REST_FIXED])
@pytest.mark.parametrize("population", [None, "stated", "implied", 1.41e9])
@pytest.mark.parametrize("name", ["conservative", "high"])
def test_table_is_national_results(figures, values, spec, name, population, rule):
    start = resolve_scenario(name, values, population=population, spec=spec)
    national, _ = explorer.summary(figures, spec, start=start)
    expected = national_results(resolve_scenario(name, values, population=population, world_rule=rule, spec=spec))
    got = row(national, name, rule)
    assert {k: got[k] for k in expected} == expected  # the same helper, the same floats


def test_world_total_rules_by_hand(figures, spec):
    national, _ = explorer.summary(figures, spec)
    high = row(national, "high", REST_FIXED)
    # the rest of the world keeps 1e9 - 540e6 = 460e6 cameras: the world is 460e6 + 626e6 = 1.086e9
    assert high["world_cameras"] == pytest.approx(1.086e9)
    assert high["china_share_of_world"] == pytest.approx(626 / 1086)  # 57.6%
    assert high["rest_of_world_per_1000"] == pytest.approx(460e6 / REST_POPULATION * 1000)  # 70.9
    # with the world total fixed, the rest of the world shrinks to 374 million
    fixed = row(national, "high", WORLD_FIXED)
    assert (fixed["world_cameras"], fixed["china_share_of_world"]) == (1e9, pytest.approx(0.626))
    assert fixed["rest_of_world_per_1000"] == pytest.approx(374e6 / REST_POPULATION * 1000)  # 57.7
    # the conservative count is the one the world total goes with: both rules agree
    cons = [row(national, "conservative", rule) for rule in RULE_LABELS]
    assert cons[0].drop("world_rule").equals(cons[1].drop("world_rule"))
    assert cons[0]["china_per_1000"] == pytest.approx(540e6 / 1.46e9 * 1000)  # 369.86, stated population


def test_city_table_is_city_estimates_of_each_scenario(figures, values, spec):
    _, cities = explorer.summary(figures, spec)
    for name in ("conservative", "high"):
        est = city_estimates(resolve_scenario(name, values, spec=spec), figures)
        chinese = est[est["in_china"]]
        assert cities["city"].tolist() == chinese["city"].tolist()
        assert cities[name].tolist() == chinese["per_sq_mi"].tolist()
    shenzhen = cities[cities["city"] == "Shenzhen"]
    assert len(shenzhen) >= 1
    assert (shenzhen["high"] / shenzhen["conservative"]).tolist() == pytest.approx([626 / 540] * len(shenzhen))


@pytest.mark.parametrize("name", ["mine", "high"])
def test_a_run_with_its_own_count_gets_its_own_rows(figures, values, spec, name):
    start = resolve_scenario(name, values, china_cameras=7e8, spec=spec)
    national, cities = explorer.summary(figures, spec, start=start)
    label = f"{name} (700M)"
    assert row(national, label, WORLD_FIXED)["china_per_1000"] == pytest.approx(7e8 / 1.46e9 * 1000)
    assert row(national, label, REST_FIXED)["world_cameras"] == pytest.approx(1.16e9)  # 460e6 + 700e6
    assert list(cities.columns) == ["city", "basis", "conservative", "high", label]


def test_a_count_above_the_world_has_only_the_rest_fixed_row(figures, values, spec):
    start = resolve_scenario("huge", values, china_cameras=1.2e9, world_rule=REST_FIXED, spec=spec)
    national, _ = explorer.summary(figures, spec, start=start)
    huge = national[national["scenario"] == "huge (1,200M)"]
    assert huge["world_rule"].tolist() == [RULE_LABELS[REST_FIXED]]


def test_without_a_frontend_explore_prints_tables(figures, spec, capsys):
    assert explorer.frontend_available() is False  # pytest is no Jupyter kernel
    explorer.explore(figures, spec)
    out = capsys.readouterr().out
    assert "Scenario explorer as tables" in out
    assert "conservative" in out and "high" in out and "Shenzhen" in out
    # through the display formatter: human headers, whole counts, per sq mi whole (6,171.0 and 7,153.8 for Shenzhen:
    # 369.863... and 428.767... per 1,000 x 16,684.6 people per sq mi / 1,000)
    assert "| China's cameras |" in out and "| 540,000,000 |" in out and "| 6,171 | 7,154 |" in out


def test_widget_builds_and_recomputes(figures, values, spec):
    pytest.importorskip("ipywidgets")
    box = explorer.build_widget(figures, spec, start=resolve_scenario("conservative", values, spec=spec))
    w = box.parts
    # controls first, then the one-line summary, the national table, the cities collapsed in an Accordion
    assert box.children[0] is w.scenario and box.children[-1] is w.city_box and w.city_box.selected_index is None
    assert w.cameras.layout.width == "480px" and w.people.layout.width == "480px"  # at least 400 px of slider
    assert "369.9 per 1,000" in w.headline.value  # 540e6 / 1.46e9 * 1000 = 369.863..., to 1 decimal
    assert ">369.86<" in w.national.value  # the same rate in the table, at most 2 decimals (CAP): 369.863 -> 369.86
    assert ">540<" in w.national.value and "cameras (million)" in w.national.value  # a count, in millions
    assert "text-align: right" in w.national.value
    assert "China&#39;s share of the world&#39;s cameras" in w.national.value  # a human label, not a key
    assert ">6,171<" in w.cities.value  # Shenzhen: 369.863... x 16,684.6 people per sq mi / 1,000, whole (6,171.0)
    w.scenario.value = "high"
    assert w.cameras.value == 626 and w.cameras_typed.value == 626
    assert "428.8 per 1,000" in w.headline.value  # 626e6 / 1.46e9 * 1000 = 428.767...
    w.rule.value = REST_FIXED
    assert ">0.576<" in w.national.value  # 626 / 1086 = 0.57642..., at most 3 decimals (CAP of the share)
    w.rule.value = WORLD_FIXED
    assert ">0.626<" in w.national.value  # 626 / 1000
    w.population.value = "implied"
    assert w.people.disabled and w.people_typed.disabled and "432.2 per 1,000" in w.headline.value  # its stated rate
    w.population.value = explorer.NUMBER
    assert not w.people.disabled
    w.cameras_typed.value = 1100  # typed: the slider follows, and so does the result
    assert w.cameras.value == 1100
    assert "Not possible" in w.headline.value and "exceeds world_cameras" in w.headline.value
    assert w.national.value == ""
    w.rule.value = REST_FIXED
    assert "Not possible" not in w.headline.value
    w.cameras.value = 700  # moved: the typed entry follows; 700e6 / 1.46e9 * 1000 = 479.45...
    assert w.cameras_typed.value == 700 and "700 million cameras" in w.headline.value
    assert "479.5 per 1,000" in w.headline.value
    w.cameras.value = 700.9999999999999  # what Chromium's slider sends for one key press from 700: kept on its step
    assert w.cameras.value == 701.0 and w.cameras_typed.value == 701.0 and "701 million cameras" in w.headline.value


@pytest.mark.slow
def test_in_a_kernel_without_frontend_it_displays_tables_not_widgets(tmp_path):
    """nbclient (what papermill and the batch runner use) executes without stdin: tables, stable bytes."""
    import nbformat
    from nbclient import NotebookClient

    source = ("from helpers.report import explorer\n"
              "from helpers.data.cleaning import clean_article_figures\n"
              "from helpers.data.io import load_raw\n"
              "from helpers.data.scenarios_file import load_spec\n"
              "from helpers.data.schemas import ARTICLE_FIGURES\n"
              "figures = clean_article_figures(load_raw('article_figures.csv', ARTICLE_FIGURES))[0]\n"
              "print(explorer.frontend_available())\n"
              "explorer.explore(figures, load_spec())")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    NotebookClient(nb, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = nb.cells[0].outputs
    streams = [o for o in outputs if o.output_type == "stream"]  # one line may come in two messages (as the
    assert {o.name for o in streams} == {"stdout"}  # kernel's output thread flushes; the runner joins them)
    assert "".join(o.text for o in streams).startswith("False\nScenario explorer as tables")
    bundles = [o.data for o in outputs if o.output_type == "display_data"]
    assert len(bundles) == 2 and all("text/html" in b for b in bundles)
    assert not any("application/vnd.jupyter.widget-view+json" in b for b in bundles)
