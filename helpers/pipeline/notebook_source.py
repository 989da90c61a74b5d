"""What of a notebook is its source: its cells' types, ids, text and tags, its kernel and its format version.

JupyterLab adds to a notebook, when it saves, what no run reads: outputs and execution counts, the kernel's full
``language_info``, cell flags such as ``scrolled`` or ``collapsed``, widget state. `source_of` leaves them out,
and the project keeps its notebooks as their source:

- JupyterLab saves the notebooks of ``notebooks/`` as their source (`lab_pre_save`, the contents manager's
  ``pre_save_hook``, set by `make` in the venv's Jupyter config): an open notebook still shows its outputs, the
  file keeps none, so a save in Lab leaves `git status` clean; the outputs of a run are in ``outputs/`` (or
  ``scratch/`` for other parameter values);
- the runner keys a notebook run on `source_digest` (a save in Lab reruns nothing), says which cells changed
  (`describe_change`), and publishes executed notebooks with only the metadata a run writes (`trim_metadata`).
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
from pathlib import Path
from typing import Any

NOTEBOOK_METADATA = ("kernelspec", "language_info", "papermill")  # papermill's: executed notebooks only
CELL_METADATA = ("tags", "papermill")
SHOWN_CHANGES = 4  # a change description names at most this many cells, then says how many more


def trim_metadata(nb: dict[str, Any]) -> dict[str, Any]:
    """Keep only the metadata a run reads or writes (`NOTEBOOK_METADATA`, `CELL_METADATA`); in place, returns
    ``nb``."""
    nb["metadata"] = {k: v for k, v in nb.get("metadata", {}).items() if k in NOTEBOOK_METADATA}
    for cell in nb.get("cells", []):
        cell["metadata"] = {k: v for k, v in cell.get("metadata", {}).items() if k in CELL_METADATA}
    return nb


def source_of(nb: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``nb`` as the project stores it: no outputs or execution counts, the language by name only,
    no metadata beyond the kernel and the cells' tags."""
    out = trim_metadata(copy.deepcopy(nb))
    out["metadata"].pop("papermill", None)
    language = out["metadata"].get("language_info")
    if isinstance(language, dict):
        out["metadata"]["language_info"] = {"name": language.get("name")}
    for cell in out.get("cells", []):
        cell["metadata"].pop("papermill", None)
        if cell.get("cell_type") == "code":
            cell["outputs"], cell["execution_count"] = [], None
        else:
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
    return out


def source_text(nb: dict[str, Any]) -> str:
    """The source as JupyterLab writes a notebook (indent 1, sorted keys, a final newline)."""
    return json.dumps(source_of(nb), sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def _digest(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def read_source(path: str | Path) -> dict[str, Any]:
    """The source of the notebook file ``path``."""
    return source_of(json.loads(Path(path).read_text(encoding="utf-8")))


def source_digest(source: dict[str, Any]) -> str:
    """sha256 of a notebook's source (`source_of`)."""
    return _digest(source)


def cell_digests(source: dict[str, Any]) -> list[str]:
    """One sha256 per cell of a notebook's source, in order (what `describe_change` compares)."""
    return [_digest(cell) for cell in source.get("cells", [])]


def describe_change(name: str, before: list[str], source: dict[str, Any]) -> str:
    """What changed in notebook ``name`` since the source whose `cell_digests` were ``before``, in words, cells
    counted from 0 as they stand now: "notebooks/02_density.ipynb: code of cell 5 changed; cell 9 removed"."""
    cells = source.get("cells", [])
    now = cell_digests(source)
    kind = {"code": "code", "markdown": "text", "raw": "raw text"}
    words = []
    for op, a0, a1, b0, b1 in difflib.SequenceMatcher(a=before, b=now, autojunk=False).get_opcodes():
        for i in range(b0, b1) if op != "equal" else ():  # new cells: paired with an old one changed, else added
            verb = "changed" if op == "replace" and i - b0 < a1 - a0 else "added"
            words.append(f"{kind.get(cells[i].get('cell_type'), 'cell')} of cell {i} {verb}")
        if op in ("replace", "delete") and a1 - a0 > b1 - b0:  # old cells left without a new one
            first = a0 + (b1 - b0)
            words.append(f"cell {first} (as numbered before) removed" if a1 - first == 1
                         else f"cells {first}-{a1 - 1} (as numbered before) removed")
    if len(words) > SHOWN_CHANGES:
        words = [*words[:SHOWN_CHANGES], f"{len(words) - SHOWN_CHANGES} more"]
    return f"{name}: " + ("; ".join(words) if words else "its kernel or format changed")


def lab_pre_save(model: dict[str, Any], path: str, contents_manager: Any, **kwargs: Any) -> None:
    """jupyter_server's ``pre_save_hook``: a notebook of the project's ``notebooks/`` folder is saved as its
    source; any other file is saved as it is."""
    from helpers.paths import PROJECT_ROOT

    if model.get("type") != "notebook" or not isinstance(model.get("content"), dict):
        return
    where = (Path(contents_manager.root_dir) / path.lstrip("/")).resolve()
    if where.parent == (PROJECT_ROOT / "notebooks").resolve():
        source = source_of(model["content"])
        model["content"].clear()
        model["content"].update(source)
