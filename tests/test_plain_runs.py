"""The plain-Python engine (``--engine python``): where a run's process comes from and what it starts with.

The runner's own behaviour with this engine (failures, Ctrl-C, kill -9, the outputs lock) is tested end to end in
tests/test_faults.py; these tests look at one run at a time, in this process.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from helpers.paths import PROJECT_ROOT
from helpers.pipeline.engines import Execution, StepFailure
from helpers.pipeline.plain_runs import PythonEngine

pytestmark = pytest.mark.slow  # each test starts processes that import the notebooks' libraries
# A cell that reports, before importing anything, what its process already holds and where it runs.
PROBE = """\
import json, os, sys
json.dump({"preloaded": sorted(m for m in ("pandas", "matplotlib.pyplot", "helpers.analysis") if m in sys.modules),
           "pid": os.getpid(), "parent": os.getppid(), "session": os.getsid(0), "cwd": os.getcwd(),
           "probe": os.environ.get("CCTV_TEST_PROBE")}, open(out, "w"))
"""


def job(tmp_path: Path, *sources: str) -> Execution:
    """One run of a notebook of ``sources`` (after a parameters cell assigning ``out``) in ``tmp_path``."""
    cells = [new_code_cell("out = None", metadata={"tags": ["parameters"]}), *map(new_code_cell, sources)]
    path = tmp_path / "probe.ipynb"
    nbformat.write(new_notebook(cells=cells), path)
    return Execution(path, {"out": str(tmp_path / "probe.json")}, tmp_path / "probe.out.ipynb", tmp_path,
                     tmp_path / "probe.log")


def test_a_run_is_forked_with_the_libraries_imported_and_this_processs_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("CCTV_TEST_PROBE", "set after the server may have started")
    PythonEngine().notebook(job(tmp_path, PROBE))
    seen = json.loads((tmp_path / "probe.json").read_text())
    # pandas and pyplot come from the forkserver's preload; helpers/ is imported by each run (the notebooks' own
    # modules, such as helpers.analysis, only by their cells), so an edit is always seen
    assert seen["preloaded"] == ["matplotlib.pyplot", "pandas"]
    assert seen["parent"] != os.getpid()  # forked by the server, not started by this process
    assert seen["session"] == seen["pid"]  # its own process group, which Engine.stop kills
    assert seen["cwd"] == str(tmp_path)
    assert seen["probe"] == "set after the server may have started"


def run_in_daemon(execution: Execution, report: Path) -> None:
    """In a daemonic process (as a Dask worker is): run ``execution``, write this process's id to ``report``."""
    PythonEngine().notebook(execution)
    report.write_text(str(os.getpid()))


def test_in_a_daemonic_process_a_run_starts_a_fresh_interpreter(tmp_path):
    """multiprocessing lets no daemonic process start children, so a Dask worker's runs start ``python`` itself."""
    report = tmp_path / "daemon.pid"
    worker = multiprocessing.get_context("spawn").Process(target=run_in_daemon, args=(job(tmp_path, PROBE), report),
                                                          daemon=True)
    worker.start()
    worker.join(120)
    assert worker.exitcode == 0
    seen = json.loads((tmp_path / "probe.json").read_text())
    assert seen["parent"] == int(report.read_text())  # started by the daemonic process itself
    assert seen["preloaded"] == [] and seen["session"] == seen["pid"]


DRIVER = """\
import os, sys
from pathlib import Path
from helpers.pipeline.engines import Execution, StepFailure
from helpers.pipeline.plain_runs import PythonEngine

here = Path(sys.argv[1])
with open(here / "imports.txt", "a") as seen:  # no __name__ guard: what a forked run would run again
    seen.write(__name__ + "\\n")
if __name__ != "__main__" and os.environ.get("FAIL_IF_IMPORTED_AGAIN"):
    raise RuntimeError("imported again")
if __name__ == "__main__":
    try:
        PythonEngine().notebook(Execution(here / "probe.ipynb", {"out": str(here / "probe.json")}, here / "out.ipynb",
                                          here, here / "probe.log"))
        print("ran in", os.getpid())
    except StepFailure as exc:
        print(exc)
"""


def drive(tmp_path: Path, *how: str, **env: str) -> subprocess.CompletedProcess:
    (tmp_path / "drive.py").write_text(DRIVER, encoding="utf-8")
    done = subprocess.run([sys.executable, *how, str(tmp_path)], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT), **env})
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def test_a_script_that_drives_the_runner_is_not_run_again_by_its_runs(tmp_path):
    """A forked run would import a script's ``__main__`` file again (as multiprocessing does), running the script's
    unguarded lines once more; under a script, runs start a fresh interpreter instead."""
    job(tmp_path, PROBE)
    done = drive(tmp_path, str(tmp_path / "drive.py"))
    assert (tmp_path / "imports.txt").read_text() == "__main__\n"  # the script ran once
    assert json.loads((tmp_path / "probe.json").read_text())["parent"] == int(done.stdout.split()[-1])


def test_a_run_that_ends_before_its_first_cell_says_so(tmp_path):
    """A module run with ``python -m`` is imported again by every forked run, as ``__mp_main__``; one that fails
    then ends the run before its first cell, and the failure says so."""
    job(tmp_path, PROBE)
    done = drive(tmp_path, "-m", "drive", FAIL_IF_IMPORTED_AGAIN="1")
    assert (tmp_path / "imports.txt").read_text() == "__main__\n__mp_main__\n"
    assert done.stdout.strip() == "its process ended (exit 1) before running a cell; see the messages above"
    assert "RuntimeError: imported again" in done.stderr  # the messages above: the run's log was not open yet


def test_a_failing_cell_is_named(tmp_path):
    with pytest.raises(StepFailure, match=r"^cell 2 \('raise ValueError\(\"no\"\)'\): ValueError: no$"):
        PythonEngine().notebook(job(tmp_path, "x = 1", 'raise ValueError("no")'))
    assert "Traceback" in (tmp_path / "probe.log").read_text()
