"""What an executed notebook becomes before it is published: the same bytes on every run and machine
(`normalize_executed`), and its HTML copy (`HtmlWriter`)."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from helpers.pipeline.engines import jupyter_module
from helpers.pipeline.notebook_source import trim_metadata

TIMING_KEYS = ("start_time", "end_time", "duration")


def normalize_executed(nb: dict[str, Any], root: Path, replace: Mapping[str, str] = {}) -> dict[str, Any]:
    """Make an executed notebook the same on every run and machine.

    Drops papermill's timings and output path, makes the input path root-relative, drops cell
    execution timestamps, fixes the injected cell's id, joins consecutive stream outputs of one stream
    (the kernel sends a printed line in one or two messages depending on when its output thread flushes),
    rewrites staging folder names (``replace``) to the published ones in every string, and keeps only the
    metadata a run writes (`notebook_source.trim_metadata`: nothing JupyterLab added to the source on saving).
    Works in place and returns ``nb``.
    """
    trim_metadata(nb)
    meta = nb.get("metadata", {}).get("papermill")
    if isinstance(meta, dict):
        for key in (*TIMING_KEYS, "output_path"):
            meta.pop(key, None)
        if meta.get("input_path"):
            src = Path(meta["input_path"])
            meta["input_path"] = src.relative_to(root).as_posix() if src.is_relative_to(root) else src.name
    for cell in nb.get("cells", []):
        cell_meta = cell.get("metadata", {})
        cell_meta.pop("execution", None)
        for key in TIMING_KEYS:
            cell_meta.get("papermill", {}).pop(key, None)
        if "injected-parameters" in cell_meta.get("tags", []) and "id" in cell:
            cell["id"] = "injected-parameters"
        if cell.get("outputs"):
            cell["outputs"] = coalesce_streams(cell["outputs"])
    if replace:
        text = json.dumps(nb)
        for old, new in sorted(replace.items(), key=lambda kv: -len(kv[0])):
            text = text.replace(json.dumps(old)[1:-1], json.dumps(new)[1:-1])
        nb.clear()
        nb.update(json.loads(text))
    return nb


def coalesce_streams(outputs: list[Any]) -> list[Any]:
    """``outputs`` with each run of consecutive stream outputs of the same stream joined into one."""
    out: list[Any] = []
    for o in outputs:
        prev = out[-1] if out else None
        if (prev is not None and o.get("output_type") == "stream" and prev.get("output_type") == "stream"
                and o.get("name") == prev.get("name")):
            text = "".join(prev["text"]) if isinstance(prev["text"], list) else prev["text"]
            out[-1] = {**prev, "text": text + ("".join(o["text"]) if isinstance(o["text"], list) else o["text"])}
        else:
            out.append(o)
    return out


class HtmlWriter:
    """nbconvert's HTMLExporter, created once and used under a lock; `warm` prepares it in the background."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._exporter: Any = None
        self._warming: threading.Thread | None = None

    def warm(self) -> None:
        """Import nbconvert and load its templates in a daemon thread, while the first notebook runs."""
        if self._warming is None:
            self._warming = threading.Thread(target=self._warm, name="html-warm", daemon=True)
            self._warming.start()

    def _warm(self) -> None:
        nbformat = jupyter_module("nbformat")
        with contextlib.suppress(Exception):
            self(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("warm-up")]))

    def __call__(self, nb: Any) -> str:
        HTMLExporter = jupyter_module("nbconvert").HTMLExporter

        with self._lock:
            if self._exporter is None:
                self._exporter = HTMLExporter()
            body, _ = self._exporter.from_notebook_node(nb)
        return body

