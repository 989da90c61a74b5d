"""Shared fixtures."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from filelock import FileLock

from helpers.paths import SHARED_DATA

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
