"""The files a notebook's run exported: `save_table` and `save_figure` record each file they write here, so the
notebook's last cell can list them (`helpers.report.display.exported`) without listing a folder's older files."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

_WRITTEN: dict[Path, None] = {}  # every file recorded in this process, in the order first written


def record(paths: Iterable[str | Path]) -> None:
    """Remember ``paths`` as written by this run (a path written twice keeps its first place)."""
    for path in paths:
        _WRITTEN.setdefault(Path(path).absolute(), None)


def written(folder: str | Path) -> list[Path]:
    """The recorded files directly in ``folder`` that still exist, in the order they were first written."""
    where = Path(folder).absolute()
    return [p for p in _WRITTEN if p.parent == where and p.is_file()]


def forget() -> None:
    """Forget every recorded file (tests; a kernel's new run starts with a fresh process anyway)."""
    _WRITTEN.clear()
