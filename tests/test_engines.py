"""The kernel engine's fast paths: kernels started ahead (one per run), silent pre-imports, no rfc3987_syntax.

Nothing here is timed: `make bench` shows the speed; these tests show that the fast paths change no byte.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from helpers.pipeline.engines import (
    Execution,
    KernelEngine,
    StepFailure,
    notebook_imports,
    preload_code,
)
from helpers.pipeline.executed import coalesce_streams, normalize_executed
from helpers.pipeline.plain_runs import PythonEngine
from helpers.pipeline.records import environment_digest

META = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"}}


def notebook(path: Path, *sources: str) -> Path:
    cells = [new_markdown_cell("# t"), new_code_cell("x = 1", metadata={"tags": ["parameters"]})]
    cells += [new_code_cell(s) for s in sources]
    nbformat.write(new_notebook(cells=cells, metadata=META), path)
    return path


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] not in "ZX"
    except (OSError, IndexError):
        return False


# ----------------------------------------------------------------------------- pure functions
def test_notebook_imports_lists_top_level_imports_in_order(tmp_path):
    nb = notebook(tmp_path / "a.ipynb", "import pandas as pd\nfrom helpers import audit, density\n%matplotlib inline",
                  "from helpers.report.tables import save_table\nimport os, json\nif True:\n    import never_here\n"
                  "from . import relative")
    assert notebook_imports([nb, tmp_path / "missing.ipynb"]) == (
        "pandas", "helpers", "helpers.audit", "helpers.density", "helpers.report.tables",
        "helpers.report.tables.save_table", "os", "json")


def test_preload_code_imports_and_leaves_no_name_behind():
    scope: dict = {}
    exec(preload_code(["json", "no_such_module_here", "os.path"]), scope)
    assert set(scope) == {"__builtins__"}
    assert "json" in sys.modules


def test_coalesce_streams_joins_only_consecutive_outputs_of_one_stream():
    outs = [{"output_type": "stream", "name": "stdout", "text": "a"},
            {"output_type": "stream", "name": "stdout", "text": ["\n", "b\n"]},
            {"output_type": "stream", "name": "stderr", "text": "w\n"},
            {"output_type": "stream", "name": "stdout", "text": "c\n"},
            {"output_type": "execute_result", "data": {}}]
    assert coalesce_streams(outs) == [{"output_type": "stream", "name": "stdout", "text": "a\nb\n"},
                                      {"output_type": "stream", "name": "stderr", "text": "w\n"},
                                      {"output_type": "stream", "name": "stdout", "text": "c\n"},
                                      {"output_type": "execute_result", "data": {}}]
    nb = {"metadata": {}, "cells": [{"id": "x", "metadata": {}, "outputs": outs[:2]}]}
    assert normalize_executed(nb, Path("/"))["cells"][0]["outputs"] == [
        {"output_type": "stream", "name": "stdout", "text": "a\nb\n"}]


def test_environment_digest_is_stable_and_package_versions_are_the_metadata_ones():
    from importlib import metadata

    from helpers.pipeline.quick import PACKAGES, package_versions

    assert environment_digest() == environment_digest()
    versions = package_versions()
    assert {n: versions[n] for n in PACKAGES} == {n: metadata.version(n) for n in PACKAGES}


@pytest.mark.slow
def test_no_rfc3987_syntax_and_notebooks_still_validate(tmp_path):
    """The runner never imports rfc3987_syntax (jsonschema issue 1428); nbformat validates and writes the same."""
    nb = notebook(tmp_path / "a.ipynb", "print('hello')")
    code = ("import sys\n"
            "from helpers.pipeline.engines import lean_jupyter_imports\n"
            "lean_jupyter_imports()\n"
            "import nbformat, papermill, jsonschema\n"
            "nb = nbformat.read(sys.argv[1], as_version=4)\n"
            "nbformat.validate(nb)\n"
            "assert sys.modules.get('rfc3987_syntax') is None\n"
            "assert 'iri' not in jsonschema.FormatChecker.checkers\n"
            "sys.stdout.write(nbformat.writes(nb))\n")
    lean = subprocess.run([sys.executable, "-c", code, str(nb)], capture_output=True, text=True, check=True).stdout
    plain = subprocess.run([sys.executable, "-c", "import sys, nbformat; sys.stdout.write(nbformat.writes("
                            "nbformat.read(sys.argv[1], as_version=4)))", str(nb)],
                           capture_output=True, text=True, check=True).stdout
    assert lean == plain


# Threads of a fresh interpreter importing Jupyter modules at once, as the runner's do (a notebook's run imports
# papermill, a pool thread makes a kernel manager, the HTML writer warms nbconvert). Plain imports this way failed
# 4 times in 8 ("partially initialized module 'jupyter_client.manager'", or _DeadlockError); the runner crashed so
# when only notebook 02 re-ran.
RACE = ("import sys, threading\n"
        "from helpers.pipeline.engines import jupyter_module\n"
        "names = ['papermill', 'jupyter_client.kernelspec', 'jupyter_client.manager', 'nbconvert']\n"
        "barrier, errors = threading.Barrier(len(names)), []\n"
        "def load(name):\n"
        "    barrier.wait()\n"
        "    try:\n"
        "        jupyter_module(name)\n"
        "    except BaseException as exc:\n"
        "        errors.append(f'{name}: {type(exc).__name__}: {exc}')\n"
        "threads = [threading.Thread(target=load, args=(n,)) for n in names]\n"
        "[t.start() for t in threads]\n"
        "[t.join() for t in threads]\n"
        "print(errors)\n")


@pytest.mark.slow
def test_jupyter_modules_imported_by_several_threads_at_once_come_whole():
    for _ in range(4):  # each a fresh interpreter: the modules are imported for the first time
        proc = subprocess.run([sys.executable, "-c", RACE], capture_output=True, text=True, check=True)
        assert proc.stdout.strip() == "[]", proc.stdout


def test_the_runner_imports_jupyter_modules_only_through_jupyter_module():
    """A lazy ``import papermill`` (or nbclient, jupyter_client, nbformat, nbconvert) inside a function of the
    runner's modules would bypass the lock; module-level imports happen before any thread starts."""
    import ast

    jupyter = {"papermill", "nbclient", "jupyter_client", "nbformat", "nbconvert"}
    found = []
    helpers = Path(__file__).resolve().parents[1] / "helpers"
    for path in [*sorted((helpers / "pipeline").glob("*.py")), helpers / "report" / "gather.py"]:
        module = path.relative_to(helpers).with_suffix("").as_posix()
        for func in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for node in ast.walk(func):
                    names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                             [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
                    found += [f"{module}.py:{node.lineno} {n}" for n in names if n.split(".")[0] in jupyter]
    assert found == []


# ----------------------------------------------------------------------------- kernels
PROBE = ("import os, sys\n"
         "print(os.getpid(), os.getcwd())\n"
         "print(sorted(k for k in globals() if not k.startswith('_') and k not in ('In', 'Out', 'exit', 'quit', "
         "'get_ipython', 'open')))")
FIGURE = ("import matplotlib.pyplot as plt\nimport pandas as pd\n"
          "fig, ax = plt.subplots(figsize=(2, 1.5))\nax.plot([1, 2, 3])\n"
          "pd.DataFrame({'a': [1, 2]})")


def run_engine(engine: KernelEngine, nb: Path, out: Path, preload: tuple[str, ...] = ()) -> dict:
    engine.expect(1, nb.parent, out.parent / ".pool", preload)
    engine(Execution(nb, {"x": 2}, out, nb.parent, out.with_suffix(".log")))
    return json.loads(out.read_text(encoding="utf-8"))


def stdout(nb: dict) -> list[str]:
    """The lines the probe cell printed."""
    cell = [c for c in nb["cells"] if c["cell_type"] == "code"][2]
    return "".join("".join(o["text"]) for o in cell["outputs"] if o.get("name") == "stdout").splitlines()


def strip_timing(nb: dict) -> dict:
    return normalize_executed(nb, Path("/"))


@pytest.mark.slow
def test_pooled_kernels_are_fresh_and_leave_no_trace(tmp_path):
    """Each run gets its own kernel (never reused), execution counts start at 1, the pre-imports leave no name,
    and the executed notebook is byte for byte the one a kernel started on demand without pre-imports gives."""
    nb = notebook(tmp_path / "probe.ipynb", PROBE, FIGURE)
    warm, cold = KernelEngine(2), KernelEngine(1, warm=False)
    try:
        first = run_engine(warm, nb, tmp_path / "w1.ipynb", ("pandas", "matplotlib.pyplot", "json"))
        second = run_engine(warm, nb, tmp_path / "w2.ipynb", ("pandas", "matplotlib.pyplot", "json"))
        plain = run_engine(cold, nb, tmp_path / "c1.ipynb")
    finally:
        warm.close()
        cold.close()
    probe, probe2 = stdout(first), stdout(second)
    assert probe[0].split()[0] != probe2[0].split()[0], "a kernel was reused"
    assert probe[0].split()[1] == str(tmp_path)  # the kernel runs in the notebook's folder
    counts = [c["execution_count"] for c in first["cells"] if c["cell_type"] == "code"]
    assert counts == [1, 2, 3, 4]  # the parameters cell, the injected one, then two cells: the warm-up counted none
    assert json.loads(probe[1].replace("'", '"')) == ["os", "sys", "x"]  # no name left by the pre-imports

    def without_pid(nb: dict) -> str:
        nb = strip_timing(nb)
        for cell in nb["cells"]:
            for o in cell.get("outputs", []):
                if o.get("name") == "stdout":
                    o["text"] = ["<pid>"]
        nb["metadata"]["papermill"].pop("output_path", None)
        return json.dumps(nb, sort_keys=True)

    assert without_pid(first) == without_pid(plain)
    assert "image/png" in json.dumps(first)  # the inline figure is there


def wait_for(condition, what: str, seconds: float = 60) -> None:
    """Poll ``condition`` (a state of other processes, which send no event) until true; fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{what} within {seconds:.0f} s"
        time.sleep(0.05)


@pytest.mark.slow
def test_stop_kills_running_and_waiting_kernels_at_once(tmp_path):
    engine = KernelEngine(2)
    nb = notebook(tmp_path / "slow.ipynb", "import pathlib, time\npathlib.Path('running').touch()\ntime.sleep(60)")
    engine.expect(3, tmp_path, tmp_path / ".pool", ("json",))
    errors: list[BaseException] = []

    def work() -> None:
        try:
            engine(Execution(nb, {}, tmp_path / "o.ipynb", tmp_path, tmp_path / "o.log"))
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=work)
    thread.start()
    wait_for((tmp_path / "running").exists, "the notebook did not start")
    wait_for(lambda: len(engine.processes()) >= 2, "no kernel was started ahead")
    pids = engine.processes()  # the running kernel and at least one started ahead
    engine.stop()
    thread.join(timeout=10)
    wait_for(lambda: not [p for p in pids if alive(p)], "kernels outlived stop()", 5)
    assert not thread.is_alive() and errors and isinstance(errors[0], StepFailure)


@pytest.mark.slow
def test_close_kills_kernels_started_ahead_and_not_used(tmp_path):
    engine = KernelEngine(2)
    engine.expect(5, tmp_path, tmp_path / ".pool", ())
    wait_for(lambda: len(engine.processes()) >= 2, "two kernels were not started ahead")
    pids = engine.processes()
    engine.close()
    wait_for(lambda: not [p for p in pids if alive(p)], "kernels outlived close()", 5)
    assert sorted(p.name for p in (tmp_path / ".pool").iterdir())[0].startswith(f"pool-{os.getpid()}-")


def test_python_engine_accepts_the_jobs_argument():
    assert PythonEngine(4).name == "python"
