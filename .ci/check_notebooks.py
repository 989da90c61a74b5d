"""Fail if a notebook is stored with outputs or execution counts (the pre-commit hook `notebooks-stripped`).

Usage: python .ci/check_notebooks.py [NOTEBOOK ...]   (default: every notebooks/*.ipynb)
Standard library only, so it runs under any Python 3. Strip a notebook in JupyterLab with
Edit > Clear Outputs of All Cells, then save.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def problems(path: Path) -> list[str]:
    """One line per code cell of ``path`` that carries outputs or an execution count."""
    cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    found = []
    for index, cell in enumerate(cells):
        if cell.get("cell_type") != "code":
            continue
        what = []
        if cell.get("outputs"):
            what.append("outputs")
        if cell.get("execution_count") is not None:
            what.append("an execution count")
        if what:
            first = "".join(cell.get("source", "")).splitlines()[:1] or [""]
            found.append(f"{path}: cell {index} ({first[0][:60]!r}) is stored with {' and '.join(what)}")
    return found


def main(argv: list[str]) -> int:
    root = Path(__file__).resolve().parents[1]
    paths = [Path(a) for a in argv] or sorted((root / "notebooks").glob("*.ipynb"))
    found = [line for path in paths if path.suffix == ".ipynb" for line in problems(path)]
    for line in found:
        print(line)
    if found:
        print("Clear the outputs (JupyterLab: Edit > Clear Outputs of All Cells) and save before committing.")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
