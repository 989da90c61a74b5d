"""Committed notebooks are clean, parameterized and independent of the working directory."""

from __future__ import annotations

import re
import subprocess
import sys

import nbformat
import pytest

from helpers.paths import NOTEBOOKS, PROJECT_ROOT

NOTEBOOK_FILES = sorted(NOTEBOOKS.glob("*.ipynb"))
# The kernel `make` registers; Lab writes its display name into a notebook it saves, so the stored one must match.
KERNEL_DISPLAY = re.search(r'--display-name "([^"]+)"', (PROJECT_ROOT / "Makefile").read_text()).group(1)
FORBIDDEN = re.compile(r"os\.chdir|getcwd|Path\.cwd|\.\./|/work/|/home/|/tmp/")


def test_the_pipeline_notebooks_exist():
    names = [p.stem for p in NOTEBOOK_FILES]
    assert [n[:2] for n in names] == sorted(n[:2] for n in names)
    assert {"01", "02", "03", "04"} <= {n[:2] for n in names}


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=lambda p: p.name)
def test_notebook_is_stored_clean(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert nb.metadata["kernelspec"]["display_name"] == KERNEL_DISPLAY
    assert nb.metadata["language_info"]["name"] == "python"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code), "outputs committed"
    tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged 'parameters'"
    assert nb.cells[tagged[0]].cell_type == "code"
    assert nb.cells[tagged[0]] is code[0], "the parameters cell is the first code cell"
    for i, cell in enumerate(code):
        assert not FORBIDDEN.search(cell.source), f"cell {i} depends on the working directory or a machine path"


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=lambda p: p.name)
def test_notebook_is_stored_as_jupyter_writes_it(path):
    """Sorted keys, one-space indent, a final newline: what JupyterLab and nbformat write, so saving a notebook
    changes only the lines of what was edited (a cell id stored after its source moved in every cell)."""
    text = path.read_text(encoding="utf-8")
    assert text == nbformat.writes(nbformat.read(path, as_version=4)) + "\n"


def test_helpers_import_from_any_directory(tmp_path):
    out = subprocess.run(
        [sys.executable, "-c", "from helpers.paths import PROJECT_ROOT; print(PROJECT_ROOT)"],
        cwd=tmp_path, capture_output=True, text=True, check=True,
    )
    assert out.stdout.strip() == str(PROJECT_ROOT)
