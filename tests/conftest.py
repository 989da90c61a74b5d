"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

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
