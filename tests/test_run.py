"""The batch runner on tiny throwaway notebooks: order, incrementality, failures, manifest, CLI.

Most tests use an in-process executor (the notebooks' code cells exec'd in this interpreter); the
tests marked ``slow`` start real kernels through papermill.
"""

from __future__ import annotations

import fcntl
import io
import json
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from helpers.checksums import sha256
from helpers.pipeline import Pipeline, PipelineError, Step, default_pipeline
from helpers.run import (
    ABSENT,
    BLOCKED,
    FAILED,
    RAN,
    SKIPPED,
    Execution,
    Options,
    Runner,
    StepFailure,
    main,
    normalize_executed,
    script_cells,
)

META = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"}}
HEAD = "from pathlib import Path\nout = Path(root, 'out')\nout.mkdir(exist_ok=True)"
NOTEBOOKS = {  # name: (parameters cell, further code cells)
    "a": ("root = ''\nfactor = 1", [HEAD, "n = int(Path(root, 'data', 'in.txt').read_text()) * factor\n"
                                          "(out / 'a.txt').write_text(str(n))"]),
    "b": ("root = ''", [HEAD, "(out / 'b.txt').write_text(str(int((out / 'a.txt').read_text()) + 1))"]),
    "c": ("root = ''\nfail = False", [HEAD + "\n(out / 'c.txt').write_text('partial' if fail else 'c')\n"
                                      "if fail:\n    (out / 'c_new.txt').write_text('new')",
                                      "assert not fail, 'deliberate failure'"]),
    "d": ("root = ''", [HEAD, "(out / 'd.txt').write_text((out / 'c.txt').read_text() + 'd')"]),
}


def write_notebook(path: Path, parameters: str, cells: list[str]) -> Path:
    """A stored-clean notebook: title, tagged parameters cell, code cells."""
    nb = new_notebook(cells=[new_markdown_cell("# test"), new_code_cell(parameters, metadata={"tags": ["parameters"]}),
                             *(new_code_cell(c) for c in cells)], metadata=META)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def make_project(root: Path) -> Path:
    """a -> b and c -> d: two independent chains."""
    for name, (params, cells) in NOTEBOOKS.items():
        write_notebook(root / "nb" / f"{name}.ipynb", params, cells)
    (root / "data").mkdir(parents=True, exist_ok=True)
    (root / "data" / "in.txt").write_text("3")
    (root / "lib").mkdir(exist_ok=True)
    (root / "lib" / "helper.py").write_text("X = 1\n")
    return root


def pipeline_for(root: Path, outputs_dir: str = "outputs", **_: str) -> Pipeline:
    def step(name: str, after: str | None = None, inputs: tuple[str, ...] = ()) -> Step:
        return Step(name, f"nb/{name}.ipynb", {"root": str(root)}, inputs=inputs,
                    outputs=(f"out/{name}*.txt",), after=(f"common/{after}",) if after else ())

    steps = (step("a", inputs=("data/*.txt",)), step("b", "a"), step("c"), step("d", "c"))
    return Pipeline(root=root, steps=steps, outputs_dir=outputs_dir, code=("lib/*.py",))


class InProcess:
    """Executor without Jupyter: exec the code cells here, write the notebook as 'executed'."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, job: Execution) -> None:
        with self.lock:
            self.calls.append(job.notebook.stem)
        shutil.copy(job.notebook, job.output)
        namespace: dict[str, object] = {}
        for i, code in enumerate(script_cells(job.notebook, job.parameters)):
            try:
                exec(code, namespace)
            except Exception as exc:
                raise StepFailure(f"cell {i}: {type(exc).__name__}: {exc}") from exc
            time.sleep(0.01)


def never(job: Execution) -> None:
    raise AssertionError(f"{job.notebook.name} should not have run")


def run(root: Path, execute=None, **options) -> dict:
    results = Runner(pipeline_for(root), Options(jobs=2, **options), execute or InProcess(), progress=False).run()
    return {sid.split("/")[1]: r for sid, r in results.items()}


def statuses(results: dict) -> dict[str, str]:
    return {k: r.status for k, r in results.items()}


def read(root: Path, name: str) -> str:
    return (root / "out" / name).read_text()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "proj")


def test_first_run_respects_dependencies_and_writes_outputs(project):
    results = run(project)
    assert statuses(results) == dict.fromkeys("abcd", RAN)
    assert results["b"].started >= results["a"].finished
    assert results["d"].started >= results["c"].finished
    assert (read(project, "a.txt"), read(project, "b.txt"), read(project, "d.txt")) == ("3", "4", "cd")
    for name in "abcd":
        assert (project / "outputs" / "notebooks" / "common" / f"{name}.ipynb").is_file()
        assert (project / "outputs" / "notebooks" / "common" / f"{name}.html").is_file()
    assert results["b"].record["inputs"] == {"out/a.txt": sha256(project / "out" / "a.txt")}


def test_unchanged_rerun_skips_and_changes_rerun_what_depends_on_them(project):
    run(project)
    assert statuses(run(project, never)) == dict.fromkeys("abcd", SKIPPED)

    (project / "data" / "in.txt").write_text("5")
    results = run(project)
    assert statuses(results) == {"a": RAN, "b": RAN, "c": SKIPPED, "d": SKIPPED}
    assert results["a"].note == "changed: inputs" and read(project, "b.txt") == "6"

    results = run(project, params={"factor": 2})  # only notebook a declares 'factor'
    assert statuses(results) == {"a": RAN, "b": RAN, "c": SKIPPED, "d": SKIPPED}
    assert results["a"].note == "changed: parameters" and read(project, "a.txt") == "10"

    (project / "lib" / "helper.py").write_text("X = 2\n")
    results = run(project, params={"factor": 2})
    assert statuses(results) == dict.fromkeys("abcd", RAN)
    assert results["c"].note == "changed: code"

    nb = project / "nb" / "d.ipynb"
    nb.write_text(nb.read_text().replace("'d')", "'D')"))
    results = run(project, params={"factor": 2})
    assert statuses(results) == {"a": SKIPPED, "b": SKIPPED, "c": SKIPPED, "d": RAN}
    assert results["d"].note == "changed: notebook" and read(project, "d.txt") == "cD"

    (project / "outputs" / "notebooks" / "common" / "b.html").unlink()
    assert statuses(run(project, params={"factor": 2}))["b"] == RAN
    assert statuses(run(project, params={"factor": 2}, force=True)) == dict.fromkeys("abcd", RAN)


def test_only_and_unknown_parameters(project):
    run(project)
    results = run(project, only="c", force=True)
    assert statuses(results) == {"c": RAN}
    with pytest.raises(PipelineError, match="no selected notebook declares 'nope'"):
        run(project, params={"nope": 1})
    with pytest.raises(PipelineError, match="--only zz"):
        run(project, only="zz")


def test_failure_keeps_good_outputs_and_independent_steps_finish(project, capsys):
    assert main(["--jobs", "2"], lambda **kw: pipeline_for(project, **kw), InProcess(), io.StringIO()) == 0
    executed = project / "outputs" / "notebooks" / "common" / "c.ipynb"
    good = executed.read_bytes()

    out = io.StringIO()
    code = main(["--force", "-p", "fail=true"], lambda **kw: pipeline_for(project, **kw), InProcess(), out)
    err = capsys.readouterr().err
    assert code == 1
    assert "FAILED: nb/c.ipynb failed in cell 3: AssertionError: deliberate failure" in err
    assert "outputs/failed/common/c.ipynb" in err and "upstream common/c did not finish" in err
    assert (project / "outputs" / "failed" / "common" / "c.ipynb").is_file()
    assert read(project, "c.txt") == "c" and not (project / "out" / "c_new.txt").exists()
    assert executed.read_bytes() == good
    table = out.getvalue()
    assert re.search(r"^a +- +ran ", table, re.M) and re.search(r"^d +- +blocked ", table, re.M)

    manifest = json.loads((project / "outputs" / "manifest.json").read_text())
    assert manifest["runs"]["common/c"]["status"] == FAILED
    assert manifest["runs"]["common/d"]["status"] == BLOCKED
    assert manifest["runs"]["common/c"]["outputs"]["out/c.txt"] == sha256(project / "out" / "c.txt")

    # the failure left the previous good state in place, so an unchanged rerun has nothing to do
    assert statuses(run(project, never)) == dict.fromkeys("abcd", SKIPPED)


def test_manifest_hashes_match_files_on_disk(project):
    assert main([], lambda **kw: pipeline_for(project, **kw), InProcess(), io.StringIO()) == 0
    manifest = json.loads((project / "outputs" / "manifest.json").read_text())
    assert set(manifest["packages"]) >= {"python", "pandas", "numpy", "matplotlib", "seaborn", "papermill", "pandera"}
    assert set(manifest["git"]) == {"commit", "dirty"}
    for run_ in manifest["runs"].values():
        assert run_["status"] == RAN and run_["parameters"] == {"root": str(project)}
        for rel, digest in {**run_["inputs"], **run_["outputs"]}.items():
            assert sha256(project / rel) == digest, rel
    assert "outputs/notebooks/common/a.html" in manifest["runs"]["common/a"]["outputs"]
    assert "out/a.txt" in manifest["runs"]["common/a"]["outputs"]
    assert "data/in.txt" in manifest["runs"]["common/a"]["inputs"]


def test_absent_notebook_is_reported_and_does_not_block(project):
    (project / "nb" / "a.ipynb").unlink()
    (project / "out").mkdir()
    (project / "out" / "a.txt").write_text("7")
    results = run(project)
    assert statuses(results) == {"a": ABSENT, "b": RAN, "c": RAN, "d": RAN}
    assert results["a"].note == "not yet present: nb/a.ipynb" and read(project, "b.txt") == "8"


def test_cli_list_and_errors(project, capsys):
    def factory(**kw):
        return pipeline_for(project, **kw)

    out = io.StringIO()
    assert main(["--list"], factory, never, out) == 0
    assert "common/b\n  notebook:   nb/b.ipynb" in out.getvalue()
    assert main(["-p", "nope"], factory, never, io.StringIO()) == 2
    assert main(["-p", "scenario=x"], factory, never, io.StringIO()) == 2
    assert "--scenario" in capsys.readouterr().err


def test_normalize_executed_removes_timing():
    nb = {"metadata": {"papermill": {"start_time": "t0", "end_time": "t1", "duration": 1.5, "version": "2.7.0",
                                     "input_path": "/somewhere/nb/x.ipynb", "output_path": "/tmp/x.ipynb"}},
          "cells": [{"id": "r4nd0m", "metadata": {"tags": ["injected-parameters"], "papermill": {
              "start_time": "t", "end_time": "t", "duration": 0.1, "status": "completed"}}},
              {"metadata": {"execution": {"iopub.status.busy": "t"}}}]}
    out = normalize_executed(nb, Path("/somewhere"))
    assert out["metadata"]["papermill"] == {"version": "2.7.0", "input_path": "nb/x.ipynb"}
    assert out["cells"][0] == {"id": "injected-parameters", "metadata": {"tags": ["injected-parameters"],
                                                                         "papermill": {"status": "completed"}}}
    assert out["cells"][1] == {"metadata": {}}


def test_script_cells_inject_parameters_after_the_parameters_cell(tmp_path):
    nb = write_notebook(tmp_path / "x.ipynb", "n = 1", ["%matplotlib inline\ny = n * 2"])
    assert script_cells(nb, {"n": 5, "names": ["a"]}) == ["n = 1", "n = 5\nnames = ['a']", "y = n * 2"]


def test_default_pipeline_takes_scenarios_from_the_file(tmp_path):
    (tmp_path / "notebooks").mkdir()
    write_notebook(tmp_path / "notebooks" / "03_scenarios.ipynb", "scenario = ''", [])
    with pytest.raises(PipelineError, match=r"scenarios\.yml not found"):
        default_pipeline(tmp_path)
    (tmp_path / "data" / "raw").mkdir(parents=True)
    (tmp_path / "data" / "raw" / "scenarios.yml").write_text("scenarios:\n  low: {a: 1}\n  high: {a: 2}\n")
    pipe = default_pipeline(tmp_path)
    assert [s.id for s in pipe.ordered()] == ["common/01_data_cleaning", "common/02_density", "low/03_scenarios",
                                              "high/03_scenarios", "common/04_compare"]
    high = pipe.get("high/03_scenarios")
    assert high.parameters == {"processed_dir": "data/processed", "outputs_dir": "outputs", "scenario": "high"}
    assert "outputs/scenarios/high/**/*" in high.outputs
    assert pipe.get("common/04_compare").after == ("low/03_scenarios", "high/03_scenarios")
    assert [s.id for s in pipe.select(only="03", scenario="high")] == ["high/03_scenarios"]
    assert [s.id for s in pipe.select(scenario="low")][2:] == ["low/03_scenarios", "common/04_compare"]
    (tmp_path / "data" / "raw" / "scenarios.yml").write_text("scenarios:\n  high: {}\n  very_high: {}\n")
    figures = tmp_path / "outputs" / "figures"
    figures.mkdir(parents=True)
    for name in ("high_total.png", "very_high_total.png"):
        (figures / name).write_text("x")
    pipe = default_pipeline(tmp_path)
    assert pipe.outputs_of(pipe.get("high/03_scenarios")) == [figures / "high_total.png"]
    assert pipe.outputs_of(pipe.get("very_high/03_scenarios")) == [figures / "very_high_total.png"]


def test_importing_the_runner_does_not_import_jupyter():
    code = ("import sys, helpers.run; "
            "print(sorted(m for m in ('papermill', 'nbconvert', 'nbformat') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.slow
def test_real_kernels_parallel_failure_and_normalized_output(project, capsys):
    def factory(**kw):
        return pipeline_for(project, **kw)

    assert main(["--jobs", "2"], factory, stdout=io.StringIO()) == 0
    executed = project / "outputs" / "notebooks" / "common" / "b.ipynb"
    nb = json.loads(executed.read_text())
    assert {"start_time", "end_time", "duration", "output_path"}.isdisjoint(nb["metadata"]["papermill"])
    assert all("execution" not in c["metadata"] for c in nb["cells"])
    assert nb["cells"][2]["metadata"]["tags"] == ["injected-parameters"] and read(project, "b.txt") == "4"
    good = (project / "outputs" / "notebooks" / "common" / "c.ipynb").read_bytes()
    first = {p: p.read_bytes() for p in (project / "outputs" / "notebooks" / "common").glob("a.*")}

    out = io.StringIO()
    assert main(["--jobs", "2", "--force", "-p", "fail=yes"], factory, stdout=out) == 1
    assert {p: p.read_bytes() for p in first} == first, "a re-executed notebook differs (timing left in?)"
    err = capsys.readouterr().err
    assert ("FAILED: nb/c.ipynb failed in cell 3 (In [4]: \"assert not fail, 'deliberate failure'\"): "
            "AssertionError: deliberate failure") in err
    results = json.loads((project / "outputs" / "manifest.json").read_text())["runs"]
    assert {k: v["status"] for k, v in results.items()} == {
        "common/a": RAN, "common/b": RAN, "common/c": FAILED, "common/d": BLOCKED}
    failed = json.loads((project / "outputs" / "failed" / "common" / "c.ipynb").read_text())
    errors = [o["ename"] for c in failed["cells"] for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert errors == ["AssertionError"]
    assert (project / "outputs" / "notebooks" / "common" / "c.ipynb").read_bytes() == good
    assert read(project, "c.txt") == "c" and not (project / "out" / "c_new.txt").exists()


def test_one_runner_per_outputs_folder(project):
    (project / "outputs" / ".tmp").mkdir(parents=True)
    with open(project / "outputs" / ".tmp" / "runner.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        with pytest.raises(PipelineError, match="another runner is using outputs"):
            run(project, never)


def test_module_entry_point_lists_the_project_plan(tmp_path):
    out = subprocess.run([sys.executable, "-m", "helpers.run", "--list"], cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "common/01_data_cleaning" in out.stdout and "common/04_compare" in out.stdout
