"""The notebooks run with plain papermill from any directory, article-only or on the real table, given their folders."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from papermill.exceptions import PapermillExecutionError

from helpers.data.fetch import CACHE_ENV
from helpers.paths import OUTPUTS

pytestmark = pytest.mark.slow
SCENARIOS = ("conservative", "high")  # the scenarios of data/raw/scenarios.yml


@pytest.fixture(scope="module")
def article_cleaned(built_once) -> Path:
    """Notebook 01 article-only through papermill (clean/) and the sensitivity step at 2,000 draws for each
    scenario of the file (sens/<scenario>/), built once per session; the tests only read them."""
    import papermill

    from helpers.paths import NOTEBOOKS
    from helpers.report.sensitivity_step import run_step as sensitivity_step

    def build(root: Path) -> None:
        (root / "cwd").mkdir()
        papermill.execute_notebook(str(NOTEBOOKS / "01_data_cleaning.ipynb"), str(root / "01.executed.ipynb"),
                                   parameters={"city_tables": [], "output_dir": str(root / "clean")},
                                   kernel_name="python3", cwd=str(root / "cwd"), progress_bar=False)
        for scenario in SCENARIOS:  # the sensitivity step runs once per scenario of the file
            sensitivity_step(scenario=scenario, cleaning_dir=root / "clean", output_dir=root / "sens" / scenario,
                             n_draws=2000)

    return built_once("papermill-article-cleaned", build)


def test_article_only_pipeline(run_notebook, tmp_path, article_cleaned):
    clean, dens = article_cleaned / "clean", tmp_path / "density"
    assert len(pd.read_csv(clean / "cities.csv")) == 0
    assert len(pd.read_csv(clean / "article_figures.csv")) == 28  # 22 numbers and 6 ranks the article states
    run_notebook("02_density", cleaning_dir=str(clean), output_dir=str(dens))
    audit = pd.read_csv(dens / "claims_audit.csv").set_index("figure_id")
    assert audit.loc["china_per_1000_conservative", "verdict"] == "inconsistent"
    assert audit.loc["china_per_1000_conservative", "cause"] == "implied population"
    assert audit.loc["tokyo_per_1000", "verdict"] == "cannot be checked"
    assert audit.loc["world_cameras", "verdict"] == "arithmetic identity"
    assert not (dens / "city_densities.csv").exists()
    sens_dirs = {scenario: str(article_cleaned / "sens" / scenario) for scenario in SCENARIOS}
    dirs = {}
    # 'conservative' through papermill: test_another_count_under_a_scenario_draws_its_own_band
    for scenario, extra in (("mine", {"china_cameras": 700_000_000}), ("high", {})):
        dirs[scenario] = str(tmp_path / scenario)
        run_notebook("03_scenarios", scenario=scenario, cleaning_dir=str(clean), sensitivity_dirs=sens_dirs,
                     output_dir=dirs[scenario], **extra)
    high = pd.read_csv(tmp_path / "high" / "city_estimates.csv").set_index(["city", "basis"])
    # 626e6 / 1.46e9 * 1000 = 428.767 per 1,000 x 6220 / 372.8 * 1000 people per sq mi / 1000 = 7,153.79
    shenzhen = high.loc[("Shenzhen", "article's people per sq mi x national rate")]
    assert shenzhen["per_sq_mi"] == pytest.approx(7153.79, abs=0.01)
    assert shenzhen["p5"] < shenzhen["per_sq_mi"] < shenzhen["p95"]  # the sensitivity step's city interval
    assert (tmp_path / "high" / "tornado.png").is_file()
    assert (tmp_path / "mine" / "tornado.png").is_file()  # a scenario the step never ran draws its own
    run_notebook("04_compare", scenario_dirs=dirs, sensitivity_dirs=sens_dirs, output_dir=str(tmp_path / "cmp"))
    comparison = pd.read_csv(tmp_path / "cmp" / "scenario_comparison.csv").set_index("quantity")
    assert list(comparison.columns) == ["mine", "high"]  # the scenarios given, in their order (not the file's)
    assert comparison.loc["china_per_1000", "high"] == pytest.approx(626e6 / 1.46e9 * 1000)
    assert comparison.loc["china_per_1000", "mine"] == pytest.approx(700e6 / 1.46e9 * 1000)
    # 626 / 1086 = 0.576427: the rest of the world held at 1e9 - 540e6
    assert comparison.loc["china_share_of_world (rest of world fixed)", "high"] == pytest.approx(0.576427)
    assert comparison.loc["Shenzhen per sq mi (article's people per sq mi x national rate)", "high"] == \
        pytest.approx(shenzhen["per_sq_mi"])  # one number for a scenario, everywhere
    assert pd.isna(comparison.loc["china_per_1000 p50 (sensitivity)", "mine"])  # no sensitivity run for 'mine'
    with pytest.raises(PapermillExecutionError) as err:
        run_notebook("03_scenarios", scenario="medium", cleaning_dir=str(clean), sensitivity_dirs=sens_dirs,
                     output_dir=str(tmp_path / "medium"))
    assert "valid names: conservative, high" in err.value.evalue
    assert err.value.cell_index == 3


def test_another_count_under_a_scenario_draws_its_own_band(run_notebook, tmp_path, article_cleaned):
    """notebook 03 with china_cameras=700e6 under 'conservative' never shows the step's band for 540 million."""
    clean, sens = article_cleaned / "clean", article_cleaned / "sens" / "conservative"
    out = tmp_path / "cons700"
    executed = run_notebook("03_scenarios", scenario="conservative", china_cameras=700_000_000, cleaning_dir=str(clean),
                            sensitivity_dirs={"conservative": str(sens)}, output_dir=str(out))
    est = pd.read_csv(out / "city_estimates.csv").set_index(["city", "basis"])
    shenzhen = est.loc[("Shenzhen", "article's people per sq mi x national rate")]
    # 700e6 / 1.46e9 x 1000 = 479.452 per 1,000; x 6220 / 372.8 x 1000 = 16,684.549 people per sq mi / 1000
    # = 7,999.5 per sq mi. Its own band: the count drawn within 0.9412-1.0597 x 700e6 and the population within
    # 1.4126-1.465 billion give a rate within 449.7-525.1, so Shenzhen within 7,503-8,762, its 5th-95th inside
    # that and around its central 7,999.5 (the draws are uniform; the central value is near their middle).
    # The step's band (540 million) is 5,860-6,519 at 2,000 draws, entirely below it.
    assert shenzhen["per_sq_mi"] == pytest.approx(7999.5, abs=0.1)
    assert shenzhen["p5"] < shenzhen["per_sq_mi"] < shenzhen["p95"]
    assert shenzhen["p5"] > 7000  # not the step's 540-million band
    text = "".join(o.get("text", "") for c in executed.cells for o in c.get("outputs", []))
    assert "drawn here instead" in text and "china_cameras" in text
    assert "drawn in notebook 03" in json.loads((out / "sensitivity.json").read_text(encoding="utf-8"))["caption"]
    by_source = pd.read_csv(out / "rates_by_population.csv").set_index(["scenario", "population_source"])
    # this run's count under the statistics bureau's population: 700e6 / 1,412,600,000 x 1000 = 495.5401
    assert by_source.loc[("conservative", "nbs_2021"), "china_per_1000"] == pytest.approx(495.5401, abs=1e-4)
    # the file's other scenario at its own count: 626e6 / 1,425,893,465 x 1000 = 439.0230
    assert by_source.loc[("high", "un_wpp_2022"), "china_per_1000"] == pytest.approx(439.0230, abs=1e-4)


def test_bad_parameter_stops_at_the_validation_cell(run_notebook, tmp_path):
    with pytest.raises(PapermillExecutionError) as err:
        run_notebook("01_data_cleaning", city_tables=["no_such_table.csv"], output_dir=str(tmp_path / "p"))
    assert err.value.ename == "ParameterError"
    assert "parameter 'city_tables': 'no_such_table.csv' is neither an existing file" in err.value.evalue
    assert err.value.cell_index == 3  # title, parameters, injected parameters, then the check
    assert not (tmp_path / "p").exists()  # nothing written


def test_a_parameter_of_the_wrong_type_is_named(run_notebook, tmp_path):
    with pytest.raises(PapermillExecutionError) as err:
        run_notebook("02_density", approx_tolerance=2, output_dir=str(tmp_path / "p"))
    assert err.value.ename == "ParameterError"
    assert "parameter 'approx_tolerance' of 02_density" in err.value.evalue


def test_unreadable_table_stops_at_the_validation_cell(run_notebook, tmp_path):
    table = tmp_path / "odd.csv"
    table.write_text("Place,Land,Eyes\nOsaka,Japan,3\n")
    with pytest.raises(PapermillExecutionError) as err:
        run_notebook("01_data_cleaning", city_tables=[str(table)], output_dir=str(tmp_path / "p"))
    assert err.value.ename == "RawDataError"
    assert "unknown table layout. Columns found: Place, Land, Eyes" in err.value.evalue
    assert err.value.cell_index == 3
    assert not (tmp_path / "p").exists()


def test_real_table_notebooks_write_the_published_bytes(run_notebook, tmp_path, shared_data, monkeypatch):
    monkeypatch.setenv(CACHE_ENV, str(shared_data))
    clean, dens = tmp_path / "clean", tmp_path / "density"
    run_notebook("01_data_cleaning", output_dir=str(clean))
    cities = pd.read_csv(clean / "cities.csv")
    assert len(cities) == 134
    run_notebook("02_density", cleaning_dir=str(clean), output_dir=str(dens))
    densities = pd.read_csv(dens / "city_densities.csv")
    assert (densities["per_1000_check"] == "consistent within rounding").all()
    audit = pd.read_csv(dens / "claims_audit.csv").set_index("figure_id")
    # the 2021 table is another edition, and no table of the quoted (later) edition is loaded
    assert audit.loc["london_per_1000", "verdict"] == "cannot be checked against the quoted edition"
    flagged = set(pd.read_csv(dens / "area_definition_flags.csv")["city"])
    assert {"Osaka", "Tokyo"} <= flagged
    # plain papermill from another directory gives the same table bytes as the batch runner's published ones
    made = sorted(p for p in dens.iterdir() if p.suffix in (".csv", ".md", ".tex"))
    assert len(made) == 27  # 9 tables (rank_claims_by_area the 9th) x CSV, Markdown, LaTeX
    for table in made:
        assert table.read_bytes() == (OUTPUTS / "02_density" / table.name).read_bytes(), table.name
