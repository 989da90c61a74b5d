"""A run with nothing to do is answered before the runner's heavy imports (helpers/pipeline/quick.py), with exactly what
the full check prints and records; anything that the full check could decide otherwise goes the full way.

Runs the project's command line in a copy of the project (article-only, plain Python engine), as
tests/test_faults.py does.
"""

from __future__ import annotations

import fcntl
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ARTICLE_RUN, project_env

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[1]
ARGS = ARTICLE_RUN  # the baseline's options (tests/conftest.py)
PROBE = ("import runpy, sys\n"
         "sys.argv = ['helpers.run', *sys.argv[1:]]\n"
         "try:\n"
         "    runpy.run_module('helpers.run', run_name='__main__', alter_sys=True)\n"
         "except SystemExit as exc:\n"
         "    code = exc.code\n"
         "print('FULL' if 'pydantic' in sys.modules else 'QUICK', code, file=sys.stderr)\n"
         "sys.exit(code)\n")


def run(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", PROBE, *ARGS, *args], cwd=project, env=project_env(project),
                          capture_output=True, text=True, timeout=900)


def path_taken(result: subprocess.CompletedProcess) -> str:
    return result.stderr.strip().splitlines()[-1].split()[0]


@pytest.fixture(scope="module")
def baseline(article_baseline) -> Path:
    """The article-only run published in a copy of the project (tests/conftest.py), shared by the session."""
    return article_baseline


@pytest.fixture
def project(baseline, tmp_path) -> Path:
    copy = tmp_path / "project"
    shutil.copytree(baseline, copy, symlinks=True)
    return copy


def test_nothing_changed_is_answered_quickly_with_what_the_full_check_says(project):
    quick = run(project)
    assert quick.returncode == 0 and path_taken(quick) == "QUICK", quick.stderr[-3000:]
    record = (project / "outputs" / "run-record.json").read_text()
    (project / "outputs" / ".cache" / "quick.json").unlink()
    full = run(project)
    assert full.returncode == 0 and path_taken(full) == "FULL"
    assert quick.stdout == full.stdout and quick.stderr.splitlines()[:-1] == full.stderr.splitlines()[:-1]
    assert json.loads(record) == json.loads((project / "outputs" / "run-record.json").read_text())
    assert path_taken(run(project)) == "QUICK"  # the full no-change run stored its answer again


def append(path: Path, text: str) -> None:
    with open(path, "a") as fh:
        fh.write(text)


def edit_notebook(path: Path) -> None:
    path.write_text(path.read_text().replace('"# ', '"#  ', 1))


CHANGES = {  # what each case changes in the project (its outputs folder at project/outputs)
    "helper": lambda project: append(project / "helpers" / "paths.py", "\n# a comment changes the code digest\n"),
    "notebook": lambda project: edit_notebook(project / "notebooks" / "04_compare.ipynb"),
    "raw": lambda project: append(project / "data" / "raw" / "scenarios.yml", "\n"),
    "published": lambda project: append(project / "outputs" / "04_compare" / "04_compare.html", "\n"),
    "stray": lambda project: (project / "outputs" / "stray.txt").write_text("left by hand"),
    "record": lambda project: (project / "outputs" / ".cache" / "gather.json").write_text("{"),
    "staging": lambda project: (project / "outputs" / ".staging").mkdir(),
}
OTHER_ARGS = {  # cases that change only the command line
    "args": ("-p", "approx_tolerance=0.06"),  # another command line, and another value
    "force": ("--force", "gather"),  # a forced step reruns even when nothing changed
    "bad_jobs": ("--jobs", "0"),  # a usage error the full runner reports (exit 2)
}
# Cases after which the full runner reruns notebooks (every step after "helper", 02 and 04 after "args", 04 after
# "notebook"): for them it is enough to see the quick path decline (`quick.answer` returns None, so helpers/run.py
# goes on to the full check), which costs a fraction of a second instead of the reruns. The full runner's own
# decisions are tested in tests/test_run.py and tests/test_faults.py.
DECLINED_ONLY = {"helper", "notebook", "args"}
ANSWER = ("import sys\n"
          "from helpers.pipeline.quick import answer\n"
          "print('FULL' if answer(sys.argv[1:]) is None else 'QUICK', file=sys.stderr)\n")


@pytest.mark.parametrize("change", [*CHANGES, *OTHER_ARGS])
def test_any_change_goes_the_full_way(project, change):
    if change in CHANGES:
        CHANGES[change](project)
    if change in DECLINED_ONLY:
        result = subprocess.run([sys.executable, "-c", ANSWER, *ARGS, *OTHER_ARGS.get(change, ())], cwd=project,
                                env=project_env(project), capture_output=True, text=True, timeout=120)
        assert result.returncode == 0 and path_taken(result) == "FULL", result.stderr[-3000:]
        return
    result = run(project, *OTHER_ARGS.get(change, ()))
    assert path_taken(result) == "FULL", result.stderr[-3000:]
    if change == "raw":
        assert result.returncode == 2 and "data/raw/scenarios.yml has changed" in result.stderr
    if change == "stray":
        assert result.returncode == 0 and not (project / "outputs" / "stray.txt").exists()
    if change == "bad_jobs":
        assert result.returncode == 2 and "--jobs must be at least 1" in result.stderr


def test_another_runner_holding_the_lock_is_reported_by_the_full_check(project):
    with open(project / "outputs" / ".lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = run(project)
    assert result.returncode == 2 and path_taken(result) == "FULL"
    assert "another runner is using outputs" in result.stderr


def test_forced_runs_go_the_full_way_and_a_plain_run_after_them_is_quick(project):
    forced = run(project, "--force", "04")
    assert forced.returncode == 0 and path_taken(forced) == "FULL"
    assert path_taken(run(project, "--jobs", "1")) == "QUICK"  # --jobs and --force cannot change the answer


def test_decision_drops_jobs_and_forced_steps():
    from helpers.pipeline.quick import decision

    assert decision(["--jobs", "2", "--force", "03", "04", "-p", "a=1", "--jobs=3"]) == ["-p", "a=1"]
