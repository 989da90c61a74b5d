"""What a notebook shows: every table through one formatter (`show`), a scenario's settings as a small table
(`settings`), and the files a run exported as links (`exported`).

A table is shown as its presentation (`helpers.report.tables.present` under its view, `VIEWS` by table name):
thousands separators, decimals chosen by quantity (`SHOWN_CAPS` on top of the saved tables' `CAP`: counts whole,
rates per 1,000 at most 2 decimals, per square mile whole), columns in reading order (`reading_order`), internal
columns hidden, human headers. The HTML is pandas' public Styler (``format``, ``hide``, ``relabel_index``,
``set_caption``, ``set_table_styles``) with a fixed uuid, so an executed notebook's bytes are the same every run;
numbers are right-aligned, borders single, and a wide or long table scrolls inside its output. A table without
rows is a sentence ("...: none."), never a header alone. Plain text (``text/plain``) is the same table as
Markdown, so nothing shows a repr with a memory address.
"""

from __future__ import annotations

import dataclasses
import hashlib
import html
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pandas as pd
from pandas.io.formats.style import Styler

from helpers.paths import relative
from helpers.report.exports import written
from helpers.report.table_views import View, view_for
from helpers.report.tables import Presentation, present

# Most decimals a notebook shows, where they differ from the saved tables' (`table_views.CAP`): densities per square
# mile and people per square mile as whole numbers (their decimals are noise to a reader); per km² to 1 decimal.
SHOWN_CAPS: dict[str, int] = {
    "per_sq_mi": 0, "per_sq_mi_low": 0, "per_sq_mi_high": 0, "stated_per_sq_mi": 0, "counted_per_sq_mi": 0,
    "method_per_sq_mi": 0, "method_low": 0, "method_high": 0, "people_per_sq_mi": 0, "people_per_sq_mi_low": 0,
    "people_per_sq_mi_high": 0, "implied_people_per_sq_mi": 0, "table_people_per_sq_mi": 0, "per_km2": 1,
}
# Columns that come in a reading order of their own (a summary's percentiles), wherever a table has them.
READING_ORDER = ("mean", "min", "p5", "p25", "p50", "p75", "p95", "max")
SCROLL_ROWS = 20  # a table of more rows scrolls inside its output (its header stays in view)
STYLES = [  # single borders, right-aligned numbers (per column, below), a header that stays on top when scrolling
    {"selector": "", "props": "border-collapse: collapse; border: none; font-size: 12px; margin: 0;"},
    {"selector": "caption", "props": "caption-side: top; text-align: left; font-weight: bold; padding: 0 0 4px 0;"},
    {"selector": "th", "props": "text-align: left; vertical-align: bottom; padding: 3px 8px; background: white;"
                                " border: none; border-bottom: 1px solid #444; position: sticky; top: 0;"},
    {"selector": "td", "props": "text-align: left; padding: 2px 8px; border: none; border-bottom: 1px solid #ddd;"
                                " white-space: nowrap;"},
]


def reading_order(columns: Iterable[str]) -> list[str]:
    """``columns`` with those of `READING_ORDER` put in that order, in the places they held (the others stay)."""
    columns = list(columns)
    known = [c for c in READING_ORDER if c in columns]
    slots = iter(known)
    return [next(slots) if c in READING_ORDER else c for c in columns]


@dataclass(frozen=True)
class Shown:
    """Something a notebook cell shows: HTML where a frontend renders it, plain text (never a repr) elsewhere."""

    html: str
    text: str

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return self.text


def _slug(headers: list[str], cells: list[list[str]], title: str | None) -> str:
    """A fixed uuid for a table's Styler: a digest of what it shows (two tables of one notebook never share it)."""
    digest = hashlib.sha256(repr((title, headers, cells)).encode()).hexdigest()[:10]
    return f"cctv_{digest}"


def _plain(p: Presentation, title: str | None) -> str:
    """The presentation as a Markdown table (plain text), numbers right-aligned."""
    lines = [title] if title else []
    lines.append("| " + " | ".join(p.headers) + " |")
    lines.append("| " + " | ".join("---:" if n else ":---" for n in p.numeric) + " |")
    lines += ["| " + " | ".join(str(col[i]) for col in p.markdown) + " |" for i in range(p.shown)]
    if p.shown < p.total:
        lines.append(f"(the first {p.shown:,} of {p.total:,} rows)")
    return "\n".join(lines)


def styled(p: Presentation, title: str | None = None) -> Styler:
    """The presentation as a pandas Styler: human headers, no index, cells escaped, numbers right-aligned, single
    borders, a fixed uuid."""
    cells = [col.tolist() for col in p.markdown]
    frame = pd.DataFrame({i: col for i, col in enumerate(cells)}, index=range(p.shown))
    styler = Styler(frame, cell_ids=False).format(escape="html").hide(axis="index")
    styler = styler.relabel_index(p.headers, axis="columns")
    right = [{"selector": f"td.col{i}, th.col_heading.col{i}", "props": "text-align: right;"}
             for i, number in enumerate(p.numeric) if number]
    groups = [{"selector": f"tr:nth-child({i + 1}) td", "props": "border-top: 1px solid #444;"}
              for i in (p.groups.nonzero()[0].tolist() if p.groups is not None else [])]
    styler = styler.set_table_styles(STYLES + right + groups).set_uuid(_slug(p.headers, cells, title))
    if title:
        styler = styler.set_caption(title)
    return styler


def _shown_view(view: View) -> View:
    """``view`` without the per-row decimals of value columns that `SHOWN_CAPS` gives decimals of their own (a city's
    cameras per square mile is whole whatever its basis)."""
    rows_by = {k: v for k, v in view.rows_by.items() if v == ("*",) or not all(c in SHOWN_CAPS for c in v)}
    return view if rows_by == dict(view.rows_by) else dataclasses.replace(view, rows_by=rows_by)


def _sentence(title: str | None, none: str | None) -> Shown:
    text = f"{title or 'Rows'}: {none or 'none'}."
    return Shown(html=f"<p>{html.escape(text)}</p>", text=text)


def show(df: pd.DataFrame, name: str | None = None, *, view: View | None = None, title: str | None = None,
          none: str | None = None, caps: Mapping[str, int] | None = None) -> Shown:
    """``df`` as a notebook shows it: the presentation of table ``name`` (its view in `VIEWS`; ``view`` overrides,
    default: every column not internal), decimals by quantity (`SHOWN_CAPS`, then ``caps``), a bold ``title`` over
    it. No rows: one sentence, "<title>: <none>." (default "none")."""
    view = _shown_view(view if view is not None else view_for(name or ""))
    if df.empty:
        return _sentence(title, none)
    if view.columns is None:
        df = df[reading_order(df.columns)]
    p = present(df.reset_index(drop=True), view, {**SHOWN_CAPS, **(caps or {})})
    if not view.verbatim:  # a column without a header of its own ("claimed") starts with a capital
        p = dataclasses.replace(p, headers=[h[:1].upper() + h[1:] for h in p.headers])
    if not p.headers:
        return _sentence(title, none)
    box = "overflow: auto; max-width: 100%;" + (" max-height: 32em;" if p.shown > SCROLL_ROWS else "")
    note = "" if p.shown == p.total else f"<p>The first {p.shown:,} of {p.total:,} rows; every row is in the CSV.</p>"
    body = styled(p, title).to_html()
    return Shown(html=f'<div style="{box}">{body}</div>{note}', text=_plain(p, title))


# --- a scenario's settings ---------------------------------------------------------------------------------------

SETTING_LABELS = {  # a dataclass field -> its label; fields left out here are not shown
    "name": "Scenario", "description": "Description", "year": "Year", "china_cameras": "China's cameras",
    "china_population": "China's population", "population_assumption": "Population assumption",
    "stated_rate": "China per 1,000, as printed", "world_cameras": "World cameras (as given)",
    "world_rule": "World total", "reference_cameras": "China's cameras the world total goes with",
    "world_population": "World population (UN)", "un_china_population": "China's population (UN)",
}


def settings(obj: object, labels: Mapping[str, str] = SETTING_LABELS, *, title: str | None = None,
             words: Mapping[str, Mapping[object, str]] | None = None) -> Shown:
    """A dataclass (a resolved scenario) as a small labelled table, Setting | Value, instead of its repr: numbers
    with thousands separators (whole numbers without decimals), ``words`` turning a field's values into words."""
    rows = []
    for f in dataclasses.fields(obj):  # type: ignore[arg-type]
        if f.name not in labels:
            continue
        value = getattr(obj, f.name)
        value = (words or {}).get(f.name, {}).get(value, value)
        if value is None:
            text = "none"
        elif isinstance(value, float):
            text = f"{value:,.0f}" if value.is_integer() else f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}"
        else:
            text = str(value)
        rows.append({"setting": labels[f.name], "value": text})
    frame = pd.DataFrame(rows, columns=["setting", "value"])
    view = View(columns=("setting", "value"), headers={"setting": "Setting", "value": "Value"})
    return show(frame, view=view, title=title)


# --- the files a run exported ------------------------------------------------------------------------------------

KINDS = {"png": "PNG", "svg": "SVG", "pdf": "PDF", "csv": "CSV", "md": "Markdown", "tex": "LaTeX", "json": "JSON"}


def _links(paths: list[Path], base: Path) -> dict[str, list[tuple[str, str]]]:
    """{file stem: [(kind, link relative to base)]}, stems in the order first written; a figure's JSON sidecar is
    its "caption"."""
    out: dict[str, list[tuple[str, str]]] = {}
    figures = {p.stem for p in paths if p.suffix == ".png"}
    for path in paths:
        suffix = path.suffix.lstrip(".")
        kind = "caption" if suffix == "json" and path.stem in figures else KINDS.get(suffix, suffix or path.name)
        out.setdefault(path.stem, []).append((kind, Path(os.path.relpath(path, base)).as_posix()))
    return out


def exported(folder: str | Path, *, also: Iterable[str | Path] = (), beside: bool | None = None) -> Shown:
    """The files this run wrote into ``folder`` (`save_table`, `save_figure`, and ``also``), as links by file stem.

    Links are relative to the notebook: the executed copy the batch runner publishes sits beside its files
    (``beside``: bare file names); a notebook open in JupyterLab runs in its own folder (links relative to the
    working directory). ``beside`` None decides by `frontend_available` (papermill and the runner have none).
    """
    folder = Path(folder)
    extra = [Path(p) for p in also if Path(p).is_file()]
    paths = list(dict.fromkeys([*written(folder), *(p.absolute() for p in extra)]))
    if beside is None:
        beside = not frontend_available()
    base = folder.absolute() if beside else Path.cwd()
    links = _links(paths, base)
    where = "" if beside else f" (in {relative(folder)}/)"
    if not links:
        text = f"Files this run exported{where}: none."
        return Shown(html=f"<p>{html.escape(text)}</p>", text=text)
    text = "\n".join([f"Files this run exported{where}, {len(paths)} in all:",
                      *(f"{stem}: " + ", ".join(link for _, link in files) for stem, files in links.items())])
    items = "".join(f"<li><code>{html.escape(stem)}</code>: " + " · ".join(
        f'<a href="{html.escape(quote(link))}">{html.escape(kind)}</a>' for kind, link in files) + "</li>"
        for stem, files in links.items())
    return Shown(html=f"<p><b>Files this run exported</b>{html.escape(where)}, {len(paths)} in all:</p>"
                      f"<ul>{items}</ul>", text=text)


def frontend_available() -> bool:
    """True inside a Jupyter kernel whose current request comes from an interactive frontend.

    JupyterLab and the Notebook send ``allow_stdin: true`` with every execution; papermill, nbclient and
    nbconvert send ``false`` (they cannot answer ``input()``, nor display a widget).
    """
    try:
        import ipywidgets  # noqa: F401
        from IPython import get_ipython
    except ImportError:
        return False
    kernel = getattr(get_ipython(), "kernel", None)
    if kernel is None or not hasattr(kernel, "get_parent"):
        return False
    parent = kernel.get_parent("shell") or {}
    return bool(parent.get("content", {}).get("allow_stdin", False))
