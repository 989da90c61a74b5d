"""Notebooks 01 and 02 run with papermill from any directory, article-only or on the real table."""

from __future__ import annotations

import pandas as pd
import pytest
from papermill.exceptions import PapermillExecutionError

from helpers.fetch import CACHE_ENV
from helpers.paths import TABLES

pytestmark = pytest.mark.slow


def test_article_only_pipeline(run_notebook, tmp_path):
    processed, outputs = tmp_path / "processed", tmp_path / "outputs"
    run_notebook("01_data_cleaning", city_tables=[], processed_dir=str(processed))
    assert len(pd.read_csv(processed / "cities.csv")) == 0
    assert len(pd.read_csv(processed / "article_figures.csv")) == 22
    run_notebook("02_density", processed_dir=str(processed), outputs_dir=str(outputs))
    audit = pd.read_csv(outputs / "tables" / "claims_audit.csv").set_index("figure_id")
    assert audit.loc["china_per_1000_conservative", "verdict"] == "inconsistent"
    assert audit.loc["tokyo_per_1000", "verdict"] == "cannot be checked"
    assert not (outputs / "tables" / "city_densities.csv").exists()
    for scenario in ("conservative", "high"):
        run_notebook("03_scenarios", scenario=scenario, processed_dir=str(processed), outputs_dir=str(outputs))
    run_notebook("03_scenarios", scenario="mine", china_cameras=700_000_000, processed_dir=str(processed),
                 outputs_dir=str(outputs))
    run_notebook("04_compare", outputs_dir=str(outputs))
    comparison = pd.read_csv(outputs / "tables" / "scenario_comparison.csv").set_index("quantity")
    assert list(comparison.columns) == ["conservative", "high", "mine"]
    assert comparison.loc["china_per_1000", "high"] == pytest.approx(626e6 / 1.46e9 * 1000)
    assert comparison.loc["china_per_1000", "mine"] == pytest.approx(700e6 / 1.46e9 * 1000)
    index = (outputs / "figures" / "index.md").read_text()
    assert "## scenarios_per_1000" in index and "## sensitivity_high" in index
    with pytest.raises(PapermillExecutionError) as err:
        run_notebook("03_scenarios", scenario="medium", processed_dir=str(processed), outputs_dir=str(outputs))
    assert "valid names: conservative, high" in err.value.evalue
    assert err.value.cell_index == 3


def test_bad_parameter_stops_at_the_validation_cell(run_notebook, tmp_path):
    with pytest.raises(PapermillExecutionError) as err:
        run_notebook("01_data_cleaning", city_tables=["no_such_table.csv"], processed_dir=str(tmp_path / "p"))
    assert err.value.ename == "ParameterError"
    assert "parameter 'city_tables': 'no_such_table.csv' is neither a known public table" in err.value.evalue
    assert err.value.cell_index == 3  # title, parameters, injected parameters, then the check
    assert not (tmp_path / "p").exists()  # nothing written


def test_unreadable_table_stops_at_the_validation_cell(run_notebook, tmp_path):
    table = tmp_path / "odd.csv"
    table.write_text("Place,Land,Eyes\nOsaka,Japan,3\n")
    with pytest.raises(PapermillExecutionError) as err:
        run_notebook("01_data_cleaning", city_tables=[str(table)], processed_dir=str(tmp_path / "p"))
    assert err.value.ename == "RawDataError"
    assert "unknown table layout. Columns found: Place, Land, Eyes" in err.value.evalue
    assert err.value.cell_index == 3
    assert not (tmp_path / "p").exists()


def test_real_table_pipeline(run_notebook, tmp_path, shared_data, monkeypatch):
    monkeypatch.setenv(CACHE_ENV, str(shared_data))
    processed, outputs = tmp_path / "processed", tmp_path / "outputs"
    run_notebook("01_data_cleaning", processed_dir=str(processed))
    cities = pd.read_csv(processed / "cities.csv")
    assert len(cities) == 134
    run_notebook("02_density", processed_dir=str(processed), outputs_dir=str(outputs))
    densities = pd.read_csv(outputs / "tables" / "city_densities.csv")
    assert densities["per_1000_agrees"].all()
    flagged = set(pd.read_csv(outputs / "tables" / "area_definition_flags.csv")["city"])
    assert {"Osaka", "Tokyo"} <= flagged
    # papermill from another directory gives the same bytes as the batch runner's committed tables
    made = sorted((outputs / "tables").iterdir())
    assert len(made) == 21  # 7 tables x CSV, Markdown, LaTeX
    for table in made:
        assert table.read_bytes() == (TABLES / table.name).read_bytes(), table.name
