"""The batch runner on tiny throwaway notebooks and a step table of their own.

An in-process engine (code cells exec'd in this interpreter) keeps these fast; tests/test_faults.py drives
the real command line on a copy of the project.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from helpers.data.checksums import sha256
from helpers.pipeline.checks import check_notebooks
from helpers.pipeline.engines import Engine, Execution
from helpers.pipeline.executed import normalize_executed
from helpers.pipeline.plain_runs import indexed_cells
from helpers.pipeline.records import FAILED, RAN, SKIPPED, Options
from helpers.pipeline.run import main
from helpers.pipeline.runner import Runner
from helpers.pipeline.runs import Pipeline, PipelineError, expand
from helpers.pipeline.steps import Param, StepSpec

META = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"}}
NOTEBOOKS = {  # name: (parameters cell, code)
    "a": ("source = 'data/in.txt'\nfactor = 1\noutput_dir = None",
          "from pathlib import Path\nn = int(Path(ROOT, source).read_text()) * factor\n"
          "Path(ROOT, output_dir, 'a.txt').write_text(str(n))\nprint('wrote', Path(ROOT, output_dir, 'a.txt'))"),
    "b": ("a_dir = None\noutput_dir = None",
          "from pathlib import Path\nn = int(Path(ROOT, a_dir, 'a.txt').read_text())\n"
          "assert n >= 0, 'negative input'\nPath(ROOT, output_dir, 'b.txt').write_text(str(n + 1))"),
    "s": ("scenario = 'x'\na_dir = None\noutput_dir = None",
          "from pathlib import Path\nPath(ROOT, output_dir, 's.txt').write_text(scenario)"),
}


def write_notebook(path: Path, parameters: str, code: str) -> Path:
    nb = new_notebook(cells=[new_markdown_cell("# test"), new_code_cell(parameters, metadata={"tags": ["parameters"]}),
                             new_code_cell(code)], metadata=META)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def table(with_b: bool = True) -> tuple[StepSpec, ...]:
    rows = [StepSpec("a", "nb/a.ipynb", parameters={"source": Param("data/in.txt", str, "input", True),
                                                    "factor": Param(1, int, "multiplier")}),
            StepSpec("s", "nb/s.ipynb", uses={"a_dir": "a"}, per_scenario=True, owns={"output_dir": "s/{scenario}"})]
    if with_b:
        rows.append(StepSpec("b", "nb/b.ipynb", uses={"a_dir": "a"}))
    return tuple(rows)


class InProcess(Engine):
    """Runs a notebook's code cells with exec, ROOT set to the project root; records what ran."""

    name = "inprocess"

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root, self.ran = root, []

    def notebook(self, job: Execution) -> None:
        self.ran.append(Path(job.target).stem)
        scope = {"ROOT": str(self.root)}
        for _, code in indexed_cells(Path(job.target), job.parameters):
            exec(code, scope)
        nbformat.write(nbformat.read(job.target, as_version=4), job.output)


@pytest.fixture
def project(tmp_path):
    for name, (params, code) in NOTEBOOKS.items():
        write_notebook(tmp_path / "nb" / f"{name}.ipynb", params, code)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "in.txt").write_text("3")
    return tmp_path


def run(root: Path, *args: str, scenarios=("x", "y"), with_b: bool = True, engine=None):
    """main() on the tiny project; returns (exit code, engine, stdout)."""
    engine = engine or InProcess(root)
    out = io.StringIO()
    code = main(list(args), factory=lambda outputs_dir: expand(table(with_b), list(scenarios), root, outputs_dir),
                engine=engine, stdout=out, progress=False)
    return code, engine, out.getvalue()


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.relative_to(folder).as_posix().startswith(".")
            and p.name != "run-record.json"}


def test_first_run_publishes_every_folder_and_a_stable_manifest(project):
    code, engine, _ = run(project)
    assert code == 0
    assert engine.ran == ["a", "s", "s", "b"]  # a first: s and b read its folder
    out = project / "outputs"
    assert (out / "a" / "a.txt").read_text() == "3"
    assert (out / "b" / "b.txt").read_text() == "4"  # 3 + 1, read from a's folder
    assert (out / "s" / "y" / "s.txt").read_text() == "y"
    assert not (out / ".staging").exists()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["runs"]["a"]["inputs"] == {"data/in.txt": sha256(project / "data" / "in.txt")}
    before = tree(out)
    assert run(project)[0] == 0  # nothing changed: the same bytes, manifest included
    assert tree(out) == before


def test_unchanged_skips_and_a_file_named_by_a_parameter_is_an_input(project):
    run(project)
    code, engine, text = run(project)
    assert code == 0 and engine.ran == []
    assert text.count(SKIPPED) == 4
    (project / "data" / "in.txt").write_text("5")  # the file the parameter 'source' names
    code, engine, _ = run(project)
    assert engine.ran == ["a", "s", "s", "b"] and (project / "outputs" / "b" / "b.txt").read_text() == "6"
    (project / "data" / "other.txt").write_text("7")
    code, engine, _ = run(project, "-p", "source=data/other.txt")
    assert code == 0 and (project / "outputs" / "a" / "a.txt").read_text() == "7"


def test_a_step_rerun_with_identical_output_does_not_rerun_its_dependants(project):
    run(project)
    code, engine, _ = run(project, "--force", "a")
    assert code == 0 and engine.ran == ["a"]


def test_a_dry_run_says_which_dependants_run_only_if_files_change(project):
    run(project)
    code, engine, text = run(project, "--dry-run", "--force", "a")
    assert code == 0 and engine.ran == []
    assert "a: would run (forced)" in text
    # s and b read a's folder: a forced rerun of a that writes the same bytes leaves them skipped (test above)
    assert "s/x: would run only if a writes different files" in text
    assert "b: would run only if a writes different files" in text
    (project / "data" / "in.txt").write_text("5")  # a's input changed: still a prediction for its dependants
    code, _, text = run(project, "--dry-run")
    assert "a: would run (changed: inputs)" in text and "b: would run only if a writes different files" in text


def test_stored_parameter_values_never_reach_a_batch_run(project, capsys):
    write_notebook(project / "nb" / "a.ipynb", "source = 'data/in.txt'\nfactor = 100\noutput_dir = None",
                   NOTEBOOKS["a"][1])
    code, _, _ = run(project)
    assert code == 0
    assert (project / "outputs" / "a" / "a.txt").read_text() == "3"  # factor 1 from the step table, not 100
    assert "warning: nb/a.ipynb stores factor = 100 in its parameters cell; the batch run uses the step table's 1" \
        in capsys.readouterr().err


def test_a_notebook_parameter_missing_from_the_step_table_is_refused(project, capsys):
    write_notebook(project / "nb" / "b.ipynb", "a_dir = None\noutput_dir = None\nextra = 1", NOTEBOOKS["b"][1])
    assert run(project)[0] == 2
    assert "nb/b.ipynb: parameters cell assigns extra, which the step table" in capsys.readouterr().err


def test_a_failure_publishes_nothing(project, capsys):
    run(project)
    before = tree(project / "outputs")
    (project / "data" / "in.txt").write_text("-3")  # a succeeds, b fails on its assert
    code, engine, text = run(project)
    assert code == 1
    assert "b" in engine.ran and FAILED in text
    err = capsys.readouterr().err
    assert "nb/b.ipynb failed: AssertionError: negative input" in err
    assert "nothing published" in err
    assert tree(project / "outputs") == before  # a's new result is not published beside b's old one
    assert not (project / "outputs" / ".staging").exists()


def test_removed_steps_and_scenarios_disappear_from_the_published_tree(project):
    run(project)
    (project / "outputs" / "stray.txt").write_text("left by hand")
    code, _, _ = run(project, scenarios=("x",), with_b=False)
    assert code == 0
    out = project / "outputs"
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == \
        ["a", "manifest.json", "run-record.json", "s"]
    assert [p.name for p in (out / "s").iterdir()] == ["x"]
    assert set(json.loads((out / "manifest.json").read_text())["runs"]) == {"a", "s/x"}


def test_staging_paths_never_reach_the_published_notebooks(project):
    class Echo(InProcess):  # writes the parameters into the executed notebook, as papermill does
        def notebook(self, job: Execution) -> None:
            super().notebook(job)
            nb = nbformat.read(job.output, as_version=4)
            nb.cells.insert(1, new_code_cell(repr(job.parameters)))
            nbformat.write(nb, job.output)

    run(project, engine=Echo(project))
    text = (project / "outputs" / "b" / "b.ipynb").read_text()
    assert "'a_dir': 'outputs/a'" in text and ".staging" not in text


def test_runs_elsewhere_never_touch_the_default_outputs(project):
    run(project)
    before = tree(project / "outputs")
    code, _, _ = run(project, "--outputs", str(project / "o2"), "-p", "factor=2")
    assert code == 0
    assert (project / "o2" / "a" / "a.txt").read_text() == "6"
    assert tree(project / "outputs") == before


def test_options_are_checked_before_anything_runs(project, capsys):
    assert run(project, "-p", "facter=2")[0] == 2
    assert "-p facter: no step declares this parameter; did you mean 'factor'?" in capsys.readouterr().err
    assert run(project, "-p", "factor=1.5")[0] == 2
    assert "-p factor=1.5:" in capsys.readouterr().err
    assert run(project, "--force", "zz")[0] == 2
    assert "'zz' names no step" in capsys.readouterr().err
    assert not (project / "outputs").exists()


def test_adding_a_notebook_is_one_row_of_the_table(project):
    write_notebook(project / "nb" / "c.ipynb", "b_dir = None\noutput_dir = None",
                   "from pathlib import Path\nPath(ROOT, output_dir, 'c.txt').write_text('c')")
    rows = (*table(), StepSpec("c", "nb/c.ipynb", uses={"b_dir": "b"}))
    pipeline = expand(rows, ["x"], project)
    assert pipeline.get("c").after == ("b",)
    engine = InProcess(project)
    Runner(pipeline, Options(), engine, progress=False).run()
    assert engine.ran[-1] == "c"


def test_the_project_notebooks_match_the_step_table():
    from helpers.pipeline.runs import default_pipeline

    assert check_notebooks(default_pipeline()) == []


def test_overlapping_folders_are_refused(project):
    with pytest.raises(PipelineError, match="overlaps"):
        expand((StepSpec("a", "nb/a.ipynb"), StepSpec("b", "nb/b.ipynb", owns={"output_dir": "a/b"})), [], project)


def test_normalize_executed_removes_timing_and_staging_paths(tmp_path):
    nb = {"metadata": {"papermill": {"start_time": "t", "end_time": "t", "duration": 1.0, "output_path": "/x",
                                     "input_path": str(tmp_path / "nb" / "a.ipynb"),
                                     "parameters": {"output_dir": "outputs/.staging/a"}}},
          "cells": [{"id": "abc", "metadata": {"tags": ["injected-parameters"], "execution": {"x": 1}},
                     "source": "output_dir = \"outputs/.staging/a\""}]}
    out = normalize_executed(nb, tmp_path, {"outputs/.staging/a": "outputs/a"})
    assert out["metadata"]["papermill"] == {"input_path": "nb/a.ipynb", "parameters": {"output_dir": "outputs/a"}}
    assert out["cells"][0] == {"id": "injected-parameters", "metadata": {"tags": ["injected-parameters"]},
                               "source": "output_dir = \"outputs/a\""}


def test_importing_the_runner_imports_no_jupyter_and_no_pandas():
    code = ("import sys, helpers.pipeline.run, helpers.pipeline.steps, helpers.pipeline.runs; "
            "bad = [m for m in ('papermill', 'nbclient', 'nbconvert', 'pandas', 'matplotlib') if m in sys.modules]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_module_entry_point_lists_the_project_steps():
    out = subprocess.run([sys.executable, "-m", "helpers.run", "--list"], capture_output=True, text=True, check=True)
    for step in ("01_data_cleaning", "02_density", "sensitivity/conservative", "sensitivity/high",
                 "03_scenarios/conservative", "03_scenarios/high", "04_compare", "gather"):
        assert f"\n{step}\n" in f"\n{out.stdout}"
    assert "owns:       outputs/03_scenarios/high" in out.stdout


def test_results_are_ran_then_published_records(project):
    pipeline = expand(table(), ["x"], project)
    runner = Runner(pipeline, Options(), InProcess(project), progress=False)
    results = runner.run()
    assert [r.status for r in results.values()] == [RAN] * 3
    assert isinstance(pipeline, Pipeline)
