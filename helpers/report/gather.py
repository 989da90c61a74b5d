r"""The gather step: flat ``tables/`` and ``figures/`` for a paper, copied from every step's folder, with indexes,
and the headline numbers (``numbers/numbers.tex`` and ``.json``, `helpers.report.numbers`).

A table is a ``.csv``/``.md``/``.tex`` trio written by `helpers.report.tables.save_table`; a figure is a
``.png``/``.svg``/``.pdf`` set with its ``.json`` caption sidecar (`helpers.report.figures.save_figure`). Files of a
per-scenario run get the scenario appended to their name (``national`` -> ``national_high``), and so does the
LaTeX label of a table (``tab:national`` -> ``tab:national_high``). The order is the step table's, never what
happens to lie on disk. Each flat folder has an ``index.md`` (to read) and an ``index.tex`` (for a paper:
``\input`` of every table, a figure environment with its caption for every figure; paths start with
``\outputsdir``, which the paper defines).
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


def run_step(*, step_dirs: Mapping[str, str | Path], tables_dir: str | Path, figures_dir: str | Path,
             numbers_dir: str | Path | None = None) -> None:
    """Copy every table and figure of ``step_dirs`` ({step id: folder}) into the two flat folders; write the
    headline numbers into ``numbers_dir`` when given."""
    tables, figures = resolve(tables_dir), resolve(figures_dir)
    seen: dict[str, str] = {}
    table_rows, figure_entries, table_files = [], [], []
    for step_id, folder in step_dirs.items():
        folder = resolve(folder)
        suffix = f"_{step_id.split('/', 1)[1]}" if "/" in step_id else ""
        for tex in sorted(folder.glob("*.tex")):
            name = tex.stem + suffix
            _claim(seen, name, step_id)
            for fmt in ("csv", "md"):
                shutil.copyfile(folder / f"{tex.stem}.{fmt}", tables / f"{name}.{fmt}")
            write_text(tables / f"{name}.tex", relabel(tex.read_text(encoding="utf-8"), tex.stem, name))
            caption = (folder / f"{tex.stem}.md").read_text(encoding="utf-8").splitlines()[0]
            table_rows.append((name, step_id, caption.removeprefix("Table: ").strip()))
            table_files.append((name, step_id))
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
    write_text(figures / "index.tex", figure_index_tex(figure_entries))
    write_text(tables / "index.tex", table_index_tex(table_files))
    if numbers_dir is not None:
        from helpers.report.numbers import write

        write(step_dirs, numbers_dir)


def relabel(tex: str, stem: str, name: str) -> str:
    """A table's LaTeX with its label following the file's new name (``tab:national`` -> ``tab:national_high``)."""
    if stem == name:
        return tex
    old, new = f"\\label{{tab:{stem}}}", f"\\label{{tab:{name}}}"
    if tex.count(old) != 1:
        raise ProjectError(f"gather: table {stem}.tex should hold one {old}, found {tex.count(old)}")
    return tex.replace(old, new).replace(f"% {stem}: presentation table", f"% {name}: presentation table", 1)


def figure_index_tex(entries: list[tuple[dict, str]]) -> str:
    """``figures/index.tex``: a figure environment per figure, its caption from the sidecar, label ``fig:<name>``,
    at its own size (figures are drawn at the journal's column widths); a float barrier after each step."""
    from helpers.report.tables import latex_escape

    header = ["% Every figure of figures/, in step-table order; written by the gather step (helpers/report/gather.py).",
              "% Needs \\usepackage{graphicx} and \\outputsdir (the outputs folder, e.g. ../outputs)."]
    return _by_step(header, [(step_id, ["\\begin{figure}[htbp]", "\\centering",
                                        f"\\includegraphics{{\\outputsdir/figures/{meta['files']['pdf']['file']}}}",
                                        f"\\caption{{{latex_escape(meta['caption'])}}}",
                                        f"\\label{{fig:{meta['name']}}}", "\\end{figure}"])
                             for meta, step_id in entries])


def table_index_tex(rows: list[tuple[str, str]]) -> str:
    """``tables/index.tex``: ``\\input`` of every presentation table, in step-table order."""
    header = ["% Every presentation table of tables/, in step-table order; written by the gather step.",
              "% Needs the packages each table names and \\outputsdir (the outputs folder, e.g. ../outputs)."]
    return _by_step(header, [(step_id, [f"\\input{{\\outputsdir/tables/{name}.tex}}"]) for name, step_id in rows])


def _by_step(header: list[str], blocks: list[tuple[str, list[str]]]) -> str:
    """An index file: ``header``, then each (run id, lines) block, a float barrier wherever the step changes
    (runs of one per-scenario step count as one) and at the end."""
    lines = [*header, "\\providecommand\\FloatBarrier{}"]
    previous = None
    for step_id, block in blocks:
        step = step_id.split("/")[0]
        if previous is not None and step != previous:
            lines.append("\\FloatBarrier")
        previous = step
        lines += block
    lines.append("\\FloatBarrier")
    return "\n".join(lines) + "\n"


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
    lines = ["# Tables", "", "Every table as CSV (the data: every column, full precision) and as Markdown and LaTeX "
             "(the presentation: human headers and units, the columns a reader needs), in the order of the step table.",
             "", "| table | step | caption |", "|---|---|---|"]
    lines += [f"| [{name}]({name}.md) | `{step}` | {caption.replace('|', '/')} |" for name, step, caption in rows]
    return "\n".join(lines) + "\n"
