"""Shared fixtures."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from filelock import FileLock

from helpers.paths import PROJECT_ROOT, SHARED_DATA
from helpers.pipeline.engines import lean_jupyter_imports

# As in the runner: nbformat's jsonschema never imports rfc3987_syntax, whose Lark grammars took 2.5 s of every
# test process's start (collection imports nbformat); no test checks the "iri" formats it provides.
lean_jupyter_imports()

CITY_TABLE_NAME = "comparitech_2021_cities.csv"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder ../shared/data holding the real public city table; skip where it is absent."""
    if not (SHARED_DATA / CITY_TABLE_NAME).is_file():
        pytest.skip(f"real city table not available: {SHARED_DATA / CITY_TABLE_NAME} does not exist")
    return SHARED_DATA


@pytest.fixture
def run_notebook(tmp_path, monkeypatch):
    """Execute a project notebook with papermill from an unrelated directory; return the executed notebook."""
    import nbformat
    import papermill

    from helpers.paths import NOTEBOOKS

    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()

    def run(name: str, **parameters):
        out = tmp_path / f"{name}.executed.ipynb"
        papermill.execute_notebook(str(NOTEBOOKS / f"{name}.ipynb"), str(out), parameters=parameters,
                                   kernel_name="python3", cwd=str(elsewhere), progress_bar=False)
        return nbformat.read(out, as_version=4)

    return run


@pytest.fixture(scope="session")
def built_once(tmp_path_factory, worker_id) -> Callable[[str, Callable[[Path], None]], Path]:
    """``built_once(name, build)``: the folder ``build`` fills, built once per test session and shared by every
    pytest-xdist worker (the first one to ask builds it under a file lock; the others wait, then read it). Callers
    copy it before changing anything. A build that fails leaves no folder, so the next caller builds it again."""
    if worker_id == "master":  # one process: its own temporary folder
        shared = tmp_path_factory.getbasetemp() / "built_once"
    else:  # the workers' folders share a parent, which is this session's own
        shared = tmp_path_factory.getbasetemp().parent / "built_once"
    shared.mkdir(parents=True, exist_ok=True)

    def get(name: str, build: Callable[[Path], None]) -> Path:
        target, done = shared / name, shared / f"{name}.built"
        with FileLock(str(shared / f"{name}.lock")):
            if not done.exists():
                shutil.rmtree(target, ignore_errors=True)
                target.mkdir()
                try:
                    build(target)
                except BaseException:
                    shutil.rmtree(target, ignore_errors=True)
                    raise
                done.touch()
        return target

    return get


def copy_project(dest: Path) -> Path:
    """The project's tracked and new files (as a commit would hold them), outputs/ left out, copied to ``dest``."""
    listing = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                             cwd=PROJECT_ROOT, capture_output=True, check=True).stdout
    for rel in listing.decode().split("\0"):
        if rel and not rel.startswith("outputs/") and (PROJECT_ROOT / rel).is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(PROJECT_ROOT / rel, dest / rel)
    return dest


def project_env(project: Path) -> dict[str, str]:
    """The environment of a runner started in a copy of the project: its ``helpers``, never the real city table."""
    out = {**os.environ, "PYTHONPATH": str(project)}
    out.pop("CCTV_DATA_DIR", None)
    return out


ARTICLE_RUN = ("--engine", "python", "--jobs", "2", "-p", "city_tables=[]")  # the article-only baseline's options


@pytest.fixture(scope="session")
def article_baseline(built_once) -> Path:
    """A copy of the project (`copy_project`) with the article-only run (`ARTICLE_RUN`) published in its outputs/,
    built once per session for the fault, no-change and sweep tests; each copies it before changing anything."""
    def build(root: Path) -> None:
        if not (PROJECT_ROOT / ".git").exists():
            pytest.skip("not a git checkout: the copy of the project is made from `git ls-files`")
        copy_project(root)
        done = subprocess.run([sys.executable, "-m", "helpers.run", *ARTICLE_RUN], cwd=root, env=project_env(root),
                              capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]

    return built_once("article-baseline", build)
