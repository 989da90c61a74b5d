"""The step table as notebooks see it: checked parameters, folders, and interactive runs kept out of outputs/."""

from __future__ import annotations

from typing import Annotated

import nbformat
import pytest
from pydantic import Field

from helpers.errors import ParameterError
from helpers.paths import PROJECT_ROOT
from helpers.pipeline.steps import (
    STEP_TABLE,
    InCell,
    StepSpec,
    check_value,
    notebook_parameters,
    spec,
    stored_parameters,
)


def test_defaults_mean_the_published_folders(capsys):
    p = notebook_parameters("03_scenarios", {"scenario": "high"})
    assert p.output_dir == PROJECT_ROOT / "outputs" / "03_scenarios" / "high"
    assert p.cleaning_dir == PROJECT_ROOT / "outputs" / "01_data_cleaning"
    # an interactive run says where its files go, defaults included (issue 26)
    assert capsys.readouterr().out == "default parameters: writing to outputs/03_scenarios/high/, the folder the " \
        "batch runner publishes (the same files for the same inputs)\n"


def test_an_interactive_run_with_other_values_writes_to_scratch(capsys):
    p = notebook_parameters("03_scenarios", {"scenario": "high", "china_cameras": 7e8})
    assert p.output_dir == PROJECT_ROOT / "scratch" / "03_scenarios" / "high"
    assert p.cleaning_dir == PROJECT_ROOT / "outputs" / "01_data_cleaning"  # still reads the published inputs
    assert "china_cameras differ from the defaults (the notebook's saved parameters cell): writing to " \
        "scratch/03_scenarios/high/" in \
        capsys.readouterr().out
    p = notebook_parameters("03_scenarios", {"scenario": "mine"})  # not a scenario of the file
    assert p.output_dir == PROJECT_ROOT / "scratch" / "03_scenarios" / "mine"


def test_folders_given_explicitly_are_used_as_given(tmp_path, capsys):
    p = notebook_parameters("02_density", {"approx_tolerance": 0.5, "output_dir": str(tmp_path / "o"),
                                           "cleaning_dir": str(tmp_path)})
    assert p.output_dir == tmp_path / "o" and p.approx_tolerance == 0.5
    assert capsys.readouterr().out == ""  # a batch run (folders given) prints nothing into the executed notebook


def test_parameter_types_come_from_the_table():
    assert check_value("sensitivity", "n_draws", 2.0) == 2
    with pytest.raises(ParameterError, match=r"parameter 'n_draws' of sensitivity: .*fractional part.*got 1\.9"):
        check_value("sensitivity", "n_draws", 1.9)
    with pytest.raises(ParameterError, match="parameter 'approx_tolerance' of 02_density"):
        notebook_parameters("02_density", {"approx_tolerance": 2})


def test_a_notebook_parameter_default_is_its_parameters_cell_value():
    # notebooks/02_density.ipynb's parameters cell assigns approx_tolerance = 0.05 and area_outlier_factor = 3.0
    row = spec("02_density")
    assert row.parameters["approx_tolerance"].default == 0.05
    assert row.parameters["area_outlier_factor"].default == 3.0
    for row in STEP_TABLE:  # every notebook step: each default is what its parameters cell assigns
        if row.is_notebook:
            stored = stored_parameters(PROJECT_ROOT / row.run)
            assert {k: p.default for k, p in row.parameters.items()} == {k: stored[k] for k in row.parameters}
    # the sensitivity step is a helper: its defaults are written in the table
    assert spec("sensitivity").parameters["n_draws"].default is None


def cell_notebook(path, source: str) -> str:
    """A notebook at ``path`` whose parameters cell is ``source``; its path relative to the project root."""
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": ["parameters"]})
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), path)
    return str(path)  # absolute: PROJECT_ROOT / an absolute path is that path


def test_the_default_follows_the_saved_cell_and_is_checked(tmp_path):
    declared = {"factor": InCell(Annotated[float, Field(gt=1)], "a factor")}
    row = StepSpec("x", cell_notebook(tmp_path / "x.ipynb", "factor = 2.5  # saved"), parameters=declared)
    assert row.parameters["factor"].default == 2.5 and row.parameters["factor"].help == "a factor"
    cell_notebook(tmp_path / "x.ipynb", "factor = 4")  # a saved edit is the new default, read when asked for
    assert row.parameters["factor"].default == 4
    cell_notebook(tmp_path / "x.ipynb", "factor = 0.5")
    with pytest.raises(ParameterError, match=r"x\.ipynb: parameters cell assigns factor: input should be greater "
                                             r"than 1, got 0\.5"):
        _ = row.parameters["factor"].default
    cell_notebook(tmp_path / "x.ipynb", "factor = float('2')")
    with pytest.raises(ParameterError, match=r"assigns factor = float\('2'\), not a literal value"):
        _ = row.parameters["factor"].default
    cell_notebook(tmp_path / "x.ipynb", "other = 1")
    with pytest.raises(ParameterError, match="parameters cell lacks factor, declared for x in the step table"):
        _ = row.parameters["factor"].default
