"""The gather step: flat ``tables/`` and ``figures/`` for a paper, copied from every step's folder, with indexes.

A table is a ``.csv``/``.md``/``.tex`` trio written by `helpers.tables.save_table`; a figure is a
``.png``/``.svg``/``.pdf`` set with its ``.json`` caption sidecar (`helpers.figures.save_figure`). Files of a
per-scenario run get the scenario appended to their name (``national`` -> ``national_high``). The order
is the step table's, never what happens to lie on disk.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from pathlib import Path

from helpers.atomic import write_text
from helpers.errors import ProjectError
from helpers.paths import resolve

TABLE_FORMATS = ("csv", "md", "tex")
FIGURE_FORMATS = ("png", "svg", "pdf")


def _is_figure(sidecar: Path) -> bool:
    try:
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
    except ValueError:
        return False
    return isinstance(meta, dict) and {"name", "caption", "files"} <= set(meta)


def run_step(*, step_dirs: Mapping[str, str | Path], tables_dir: str | Path, figures_dir: str | Path) -> None:
    """Copy every table and figure of ``step_dirs`` ({step id: folder}) into the two flat folders."""
    tables, figures = resolve(tables_dir), resolve(figures_dir)
    seen: dict[str, str] = {}
    table_rows, figure_entries = [], []
    for step_id, folder in step_dirs.items():
        folder = resolve(folder)
        suffix = f"_{step_id.split('/', 1)[1]}" if "/" in step_id else ""
        for tex in sorted(folder.glob("*.tex")):
            name = tex.stem + suffix
            _claim(seen, name, step_id)
            for fmt in TABLE_FORMATS:
                shutil.copyfile(folder / f"{tex.stem}.{fmt}", tables / f"{name}.{fmt}")
            caption = (folder / f"{tex.stem}.md").read_text(encoding="utf-8").splitlines()[0]
            table_rows.append((name, step_id, caption.removeprefix("Table: ").strip()))
        for sidecar in sorted(folder.glob("*.json")):
            if not _is_figure(sidecar):
                continue
            meta = json.loads(sidecar.read_text(encoding="utf-8"))
            name = meta["name"] + suffix
            _claim(seen, f"figure {name}", step_id)
            for fmt in FIGURE_FORMATS:
                shutil.copyfile(folder / meta["files"][fmt]["file"], figures / f"{name}.{fmt}")
                meta["files"][fmt]["file"] = f"{name}.{fmt}"
            meta["name"] = name
            write_text(figures / f"{name}.json", json.dumps(meta, indent=2, sort_keys=True) + "\n")
            figure_entries.append((meta, step_id))
    write_text(figures / "index.md", figure_index(figure_entries))
    write_text(tables / "index.md", table_index(table_rows))


def _claim(seen: dict[str, str], name: str, step_id: str) -> None:
    if name in seen:
        raise ProjectError(f"gather: {name!r} is written by both {seen[name]} and {step_id}; rename one")
    seen[name] = step_id


def figure_index(entries: list[tuple[dict, str]]) -> str:
    """``figures/index.md``: every figure with its caption, preview, formats and the step that made it."""
    lines = ["# Figures", "", "Every figure as PNG (300 dpi), SVG and PDF (TrueType fonts embedded), in the order of "
             "the step table. Regenerate with `make reproduce`.", ""]
    for meta, step_id in entries:
        files = meta["files"]
        params = ", ".join(f"{k}={v}" for k, v in sorted(meta["provenance"].get("parameters", {}).items()))
        lines += [f"## {meta['name']}", "", meta["caption"], "", f"![{meta['name']}]({files['png']['file']})", "",
                  " · ".join(f"[{fmt.upper()}]({files[fmt]['file']})" for fmt in FIGURE_FORMATS), "",
                  f"Made by step `{step_id}`" + (f" with {params}" if params else "") + ".", ""]
    return "\n".join(lines)


def table_index(rows: list[tuple[str, str, str]]) -> str:
    """``tables/index.md``: every table with its caption and the step that made it."""
    lines = ["# Tables", "", "Every table as CSV (full precision), Markdown and LaTeX, in the order of the step table.",
             "", "| table | step | caption |", "|---|---|---|"]
    lines += [f"| [{name}]({name}.md) | `{step}` | {caption.replace('|', '/')} |" for name, step, caption in rows]
    return "\n".join(lines) + "\n"
