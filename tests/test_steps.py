"""The step table as notebooks see it: checked parameters, folders, and interactive runs kept out of outputs/."""

from __future__ import annotations

import pytest

from helpers.errors import ParameterError
from helpers.paths import PROJECT_ROOT
from helpers.pipeline.steps import STEP_TABLE, check_value, notebook_parameters, stored_parameters


def test_defaults_mean_the_published_folders(capsys):
    p = notebook_parameters("03_scenarios", {"scenario": "high"})
    assert p.output_dir == PROJECT_ROOT / "outputs" / "03_scenarios" / "high"
    assert p.cleaning_dir == PROJECT_ROOT / "outputs" / "01_data_cleaning"
    assert capsys.readouterr().out == ""


def test_an_interactive_run_with_other_values_writes_to_scratch(capsys):
    p = notebook_parameters("03_scenarios", {"scenario": "high", "china_cameras": 7e8})
    assert p.output_dir == PROJECT_ROOT / "scratch" / "03_scenarios" / "high"
    assert p.cleaning_dir == PROJECT_ROOT / "outputs" / "01_data_cleaning"  # still reads the published inputs
    assert "china_cameras differ from the step table's defaults: writing to scratch/03_scenarios/high/" in \
        capsys.readouterr().out
    p = notebook_parameters("03_scenarios", {"scenario": "mine"})  # not a scenario of the file
    assert p.output_dir == PROJECT_ROOT / "scratch" / "03_scenarios" / "mine"


def test_folders_given_explicitly_are_used_as_given(tmp_path):
    p = notebook_parameters("02_density", {"approx_tolerance": 0.5, "output_dir": str(tmp_path / "o"),
                                           "cleaning_dir": str(tmp_path)})
    assert p.output_dir == tmp_path / "o" and p.approx_tolerance == 0.5


def test_parameter_types_come_from_the_table():
    assert check_value("sensitivity", "n_draws", 2.0) == 2
    with pytest.raises(ParameterError, match=r"parameter 'n_draws' of sensitivity: .*fractional part.*got 1\.9"):
        check_value("sensitivity", "n_draws", 1.9)
    with pytest.raises(ParameterError, match="parameter 'approx_tolerance' of 02_density"):
        notebook_parameters("02_density", {"approx_tolerance": 2})


def test_every_notebook_stores_the_table_defaults():
    for row in STEP_TABLE:
        if row.is_notebook:
            stored = stored_parameters(PROJECT_ROOT / row.run)
            assert {k: stored[k] for k in row.parameters} == {k: p.default for k, p in row.parameters.items()}
