"""Tables in two kinds, byte-identical on every run.

* The **data table** (``<name>.csv``): every column and every row, floats at 10 significant digits. It is what
  code reads back; nothing in it is rounded for display.
* The **presentation table** (``<name>.md`` and ``<name>.tex``): what a reader needs, with human headers and units
  (`HEADERS`), internal columns left out (`INTERNAL`), one number format per column (or per row, where the rows
  are different quantities), the source's own precision kept (a value is shown with the fewest decimals that
  represent it, at most its quantity's `CAP`), bounds shown as bounds ("< 6"). The LaTeX is written by pandas'
  ``Styler.to_latex`` from cells formatted here: booktabs rules, siunitx ``S`` columns (decimals aligned, digits
  grouped by siunitx), ``longtable``/``xltabular`` for long tables, ``tabularx`` where text must wrap, and the label
  ``tab:<name>`` (the gather step renames it with the file: ``tab:national`` -> ``tab:national_high``).

How each table is presented is declared once, in `helpers.report.table_views` (`VIEWS`, by table name, with
`HEADERS`, `INTERNAL` and `CAP`), so notebooks only pass a caption.
Rendering works a column at a time (pandas and NumPy on whole columns), so tables of 10,000 rows stay quick.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.atomic import write_text
from helpers.data.csv_files import write_csv
from helpers.errors import ParameterError
from helpers.paths import check_file_stem
from helpers.report.exports import record
from helpers.report.table_views import (
    CAP,
    COMMON,
    DEFAULT_CAP,
    HEADERS,
    INTERNAL,
    MILLION_DECIMALS,
    MILLION_QUANTITIES,
    View,
    human,
    view_for,
)

MAX_ROWS = 200  # rows of a presentation table; the CSV keeps every row (the caption says so)
LONG_ROWS = 24  # more rows than this: a longtable that breaks across pages, not a float
LATEX_PACKAGES = ("booktabs", "siunitx", "longtable", "tabularx", "xltabular", "array")
# Options every table sets for its siunitx columns (inside its own group, so a paper's preamble is untouched).
SISETUP = (r"\sisetup{group-separator={,}, group-minimum-digits=4, retain-explicit-plus, "
           r"input-comparators={<>}, table-align-text-before=false}")

# --- formatting, a column at a time ------------------------------------------------------------------------------

def _is_number(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def _fixed(values: np.ndarray, decimals: np.ndarray, thousands: bool, plus: bool = False) -> np.ndarray:
    """Each value at its own number of decimals (few distinct ones): one format per distinct count."""
    out = np.empty(len(values), dtype=object)
    sign = "+" if plus else ""
    sep = "," if thousands else ""
    for d in np.unique(decimals):
        at = decimals == d
        out[at] = list(map(f"{{:{sign}{sep}.{int(d)}f}}".format, values[at].tolist()))
    if plus:  # no difference is no sign: "0.00", never "+0.00" or "-0.00"
        zero = np.array([x.lstrip("+-").strip("0.,") == "" for x in out.tolist()], dtype=bool)
        out[zero] = [x.lstrip("+-") for x in out[zero].tolist()]
    return out


def _needed(values: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """Per row of ``values`` (2-D, NaN ignored): the fewest decimals (<= cap) that represent every value exactly."""
    finite = np.where(np.isfinite(values), values, 0.0)
    scale = np.maximum(np.abs(finite), 1.0)
    out = cap.astype(int).copy()
    for d in range(int(cap.max(initial=0)), -1, -1):
        exact = (np.abs(np.round(finite, d) - finite) <= 1e-9 * scale).all(axis=1)
        out = np.where(exact & (d <= cap), d, out)
    return out


def _cap(key: object, caps: Mapping[str, int] | None = None) -> int:
    """The most decimals quantity ``key`` shows: ``caps``' (a display's own), else `CAP`'s."""
    name = str(key).split(" ", 1)[0]
    return (caps or {}).get(name, CAP.get(name, DEFAULT_CAP))


def _column_cap(col: str, view: View, limits: Mapping[str, int] | None = None) -> int:
    """The most decimals a column shows: the view's (by name, or "*"), a count in millions', else `CAP`'s."""
    if col in view.caps or "*" in view.caps:
        return view.caps.get(col, view.caps.get("*", DEFAULT_CAP))
    return MILLION_DECIMALS if col in view.millions else _cap(col, limits)


def _row_cap(key: str, limits: Mapping[str, int] | None = None) -> int:
    """The most decimals of a row of a table of quantities: a count in millions', a density per area none."""
    if _in_millions(key):
        return MILLION_DECIMALS
    return 0 if "per sq mi" in key or "per_sq_mi" in key else _cap(key, limits)


def _in_millions(key: object) -> bool:
    text = str(key)
    return text in MILLION_QUANTITIES or text.split(" ", 1)[0] in MILLION_QUANTITIES


def _numbers(df: pd.DataFrame, cols: list[str], caps: np.ndarray, thousands: bool, percent: bool,
             bounded: np.ndarray | None, groups: np.ndarray | None = None,
             fixed: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Formatted cells of ``cols``: one number of decimals for all the cells of rows of the same group (default:
    the whole column), the fewest that show every value of the group exactly, at most the group's cap."""
    values = df[cols].to_numpy(dtype=float, na_value=np.nan)
    values = np.where(np.abs(values) < 1e-9, 0.0, values)  # float noise (-1.2e-16) is zero, never "-0.00"
    if percent:
        values = values * 100.0
    needed = _needed(values, caps)
    if fixed is not None:
        decimals = fixed
    elif groups is None:
        decimals = np.full(len(values), needed.max(initial=0))
    else:
        decimals = pd.Series(needed).groupby(groups, sort=False).transform("max").to_numpy(dtype=int)
    less = "< " if thousands else "<"
    out = {}
    for j, col in enumerate(cols):
        v = values[:, j]
        missing = ~np.isfinite(v)
        text = _fixed(np.where(missing, 0.0, v), decimals, thousands, plus=percent)
        tiny = ~missing & (np.abs(v) > 1e-9) & (np.abs(v) < 0.5 * 10.0 ** -decimals)  # not float noise
        if tiny.any():  # a nonzero value that would print as zero is shown as a bound
            text[tiny] = [f"{10.0 ** -int(d):.{int(d)}f}" for d in decimals[tiny]]
        marked = tiny | (bounded if bounded is not None else False)
        text[marked & ~missing] = less + text[marked & ~missing]
        text[missing] = ""
        out[col] = text
    return out


def _text(s: pd.Series) -> np.ndarray:
    if pd.api.types.is_bool_dtype(s):
        out = np.where(s.to_numpy(dtype=bool, na_value=False), "yes", "no").astype(object)
        out[s.isna().to_numpy()] = ""  # a nullable boolean's missing cell stays empty
        return out
    out = s.astype(object).where(s.notna(), "").astype(str).to_numpy(dtype=object)
    return out


@dataclass(frozen=True)
class Presentation:
    """The presentation table as text cells: headers, one column of strings per header, numeric flags."""

    headers: list[str]
    markdown: list[np.ndarray]
    latex: list[np.ndarray]
    numeric: list[bool]
    groups: np.ndarray | None  # row starts a new group (after the first)
    shown: int
    total: int
    constant: tuple[str, ...] = ()  # "Header is value" of the columns left out because every row holds one value
    group_first: bool = False  # the first column is the view's group (LaTeX: a row over the group instead)


def _per_row(frame: pd.DataFrame, view: View, columns: list[str]) -> dict[str, str]:
    """The value columns formatted per row: {value column: the column giving each row's quantity}."""
    per_row: dict[str, str] = {}
    for key_col, value_cols in view.rows_by.items():
        if key_col not in frame.columns:
            continue
        targets = [c for c in columns if _is_number(frame[c])] if value_cols == ("*",) else value_cols
        per_row.update({c: key_col for c in targets if c in columns})
    return per_row


def _number_column(frame: pd.DataFrame, col: str, view: View, columns: list[str],
                   per_row: dict[str, str], limits: Mapping[str, int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A numeric column's Markdown and LaTeX cells: decimals by column, or by row quantity across the columns it
    spans (one format for every cell of a quantity); bounds marked."""
    key_col = per_row.get(col)
    keys = frame[key_col].astype(str).to_numpy() if key_col else None
    caps = (np.array([_row_cap(k, limits) for k in keys], dtype=int) if key_col
            else np.full(len(frame), _column_cap(col, view, limits)))
    bound_col = view.bounds.get(col, view.bounds.get("*"))
    bounded = frame[bound_col].to_numpy(dtype=bool, na_value=False) if bound_col in frame.columns else None
    fixed = None
    if key_col and len(frame):
        cols = [c for c in columns if per_row.get(c) == key_col]
        values = frame[cols].to_numpy(dtype=float, na_value=np.nan)
        fixed = pd.Series(_needed(values, caps)).groupby(keys, sort=False).transform("max").to_numpy(dtype=int)
    md, tex = (_numbers(frame, [col], caps, flag, col in view.percent, bounded, keys, fixed)[col]
               for flag in (True, False))
    return md, tex


def _grouped(frame: pd.DataFrame, col: str, text: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A group column shown once per run of equal values, and which rows start a group (after the first)."""
    starts = frame[col].ne(frame[col].shift()).to_numpy()
    groups = starts.copy()
    if len(groups):
        groups[0] = False
    return np.where(starts, text, ""), groups


def _headers(view: View, columns: list[str]) -> list[str]:
    """Each column's header: the view's, else `HEADERS`' (or the name, verbatim), "(%)" after a percentage."""
    headers = [view.headers.get(c) or (c if view.verbatim and c not in COMMON else
                                       HEADERS.get(c, c.replace("_", " "))) for c in columns]
    return [h if c not in view.percent or "%" in h else f"{h} (%)" for c, h in zip(columns, headers, strict=True)]


def _scaled(frame: pd.DataFrame, view: View, columns: list[str], per_row: dict[str, str]) -> pd.DataFrame:
    """Counts shown in millions: the view's `millions` columns, and the rows of a table of quantities whose
    quantity is a count (`MILLION_QUANTITIES`: their label says "(million)", their unit "million ...")."""
    frame = frame.copy()
    for col in view.millions:
        if col in frame.columns and _is_number(frame[col]):
            frame[col] = frame[col] / 1e6
    for key_col in dict.fromkeys(per_row.values()):
        rows = frame[key_col].map(_in_millions).to_numpy(dtype=bool)
        if not rows.any():
            continue
        for col in (c for c, k in per_row.items() if k == key_col):
            frame[col] = frame[col].astype(float).where(~rows, frame[col] / 1e6)
        label = key_col if key_col in columns else next((c for c in ("quantity", "input", "figure") if c in columns),
                                                        None)
        if label is not None:
            frame[label] = frame[label].astype(str).where(~rows, frame[label].astype(str) + " (million)")
        if "unit" in columns:
            frame["unit"] = frame["unit"].astype(str).where(~rows, "million " + frame["unit"].astype(str))
    return frame


def _constant(p_headers: list[str], cells: list[np.ndarray], keep: set[int]) -> list[int]:
    """Columns (indexes) holding one value in every row of two or more, or none: left out of the table."""
    out = []
    for j, col in enumerate(cells):
        values = set(col.tolist())
        if j not in keep and len(col) > 1 and len(values) == 1:
            out.append(j)
    return out


def present(df: pd.DataFrame, view: View | None = None, caps: Mapping[str, int] | None = None) -> Presentation:
    """The presentation table of ``df`` under ``view`` (default: every column not INTERNAL); ``caps``: most decimals
    by quantity where they differ from `CAP` (a notebook's display, `helpers.report.display`)."""
    view = view or View()
    frame = df.iloc[:MAX_ROWS].reset_index(drop=True)
    if view.derive is not None and set(view.needs) <= set(frame.columns):
        frame = view.derive(frame)
    columns = list(view.columns) if view.columns else [c for c in frame.columns if c not in INTERNAL]
    columns = [c for c in columns if c in frame.columns]  # a view's column the table lacks is left out
    per_row = _per_row(frame, view, columns)
    frame = _scaled(frame, view, columns, per_row)
    for col in view.labels:
        if col in frame.columns and not _is_number(frame[col]):
            frame[col] = frame[col].map(lambda x: human(x) if isinstance(x, str) else x)
    numeric = [_is_number(frame[c]) for c in columns]
    md_cells: list[np.ndarray] = []
    tex_cells: list[np.ndarray] = []
    groups = None
    for col, number in zip(columns, numeric, strict=True):
        if number:
            md, tex = _number_column(frame, col, view, columns, per_row, caps)
        else:
            md = _text(frame[col])
            if col == view.group:
                md, groups = _grouped(frame, col, md)
            tex = latex_column(md)
        md_cells.append(md)
        tex_cells.append(tex)
    headers = _headers(view, columns)
    keep = {columns.index(view.group)} if view.group in columns else set()
    drop = _constant(headers, md_cells, keep) if view.constant_to_caption else []
    if len(drop) == len(columns):
        drop = []
    constant = tuple(f"{headers[j]} is {md_cells[j][0]}" for j in drop if md_cells[j][0])
    kept = [j for j in range(len(columns)) if j not in drop]
    group_first = bool(kept) and columns[kept[0]] == view.group and not numeric[kept[0]]
    return Presentation([headers[j] for j in kept], [md_cells[j] for j in kept], [tex_cells[j] for j in kept],
                        [numeric[j] for j in kept], groups, len(frame), len(df), constant, group_first)


# CSV files: helpers.data.csv_files (`to_csv`, `write_csv`, imported above).


# --- Markdown ----------------------------------------------------------------------------------------------------

def _join(columns: list[np.ndarray], sep: str) -> np.ndarray:
    if not columns:
        return np.array([], dtype=object)
    line = columns[0].astype(object)
    for col in columns[1:]:
        line = line + sep + col
    return line


def to_markdown(df: pd.DataFrame, caption: str, view: View | None = None) -> str:
    """A GitHub-flavoured Markdown presentation table, numbers right-aligned, the caption first."""
    p = present(df, view)
    esc = [np.array([x.replace("|", r"\|") for x in col.tolist()], dtype=object) for col in p.markdown]
    align = ["---:" if num else ":---" for num in p.numeric]
    rows = _join(esc, " | ")
    lines = [f"Table: {caption}{_shown_note(p)}", "", "| " + " | ".join(h.replace("|", r"\|") for h in p.headers)
             + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + r + " |" for r in rows.tolist()]
    return "\n".join(lines) + "\n"


def _shown_note(p: Presentation) -> str:
    same = "".join(f" {c} in every row." for c in p.constant)
    return same + ("" if p.shown == p.total else
                   f" (The first {p.shown:,} of {p.total:,} rows; every row is in the CSV.)")


# --- LaTeX -------------------------------------------------------------------------------------------------------

_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                  "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
                  "²": r"$^{2}$", "³": r"$^{3}$", "×": r"$\times$", "≤": r"$\leq$", "≥": r"$\geq$",
                  "±": r"$\pm$", "−": r"$-$", "\u00a0": "~", "<": r"$<$", ">": r"$>$", "|": r"$|$"}
_LATEX_RE = re.compile("|".join(re.escape(k) for k in _LATEX_SPECIAL))


def latex_escape(text: str) -> str:
    """``text`` for LaTeX: special characters escaped, unit symbols (km², ×) in math mode."""
    return _LATEX_RE.sub(lambda m: _LATEX_SPECIAL[m.group(0)], text)


def latex_column(cells: np.ndarray) -> np.ndarray:
    """A column of text cells escaped for LaTeX (one regular-expression pass per cell, no per-cell dispatch)."""
    out = [_LATEX_RE.sub(lambda m: _LATEX_SPECIAL[m.group(0)], x) for x in cells.tolist()]
    # identifiers such as "comparitech:later" or "ihs_markit:2019" may break after ":" in a narrow column
    return np.array([x.replace(":", r":\allowbreak{}") for x in out], dtype=object)


def _table_format(cells: np.ndarray) -> str:
    """siunitx ``table-format`` for a column of plain numbers such as "-12.5", "+0.07", "<6"."""
    parts = [re.fullmatch(r"(<)?([+-])?(\d*)(?:\.(\d+))?", c) for c in cells.tolist() if c]
    parts = [m for m in parts if m]
    if not parts:
        return "1.0"
    comparator = "<" if any(m.group(1) for m in parts) else ""
    sign = "+" if any(m.group(2) for m in parts) else ""
    integer = max(len(m.group(3)) or 1 for m in parts)
    decimals = max(len(m.group(4) or "") for m in parts)
    return f"{comparator}{sign}{integer}.{decimals}"


def _first_sentence(caption: str) -> str:
    m = re.match(r"(.+?\.)(\s|$)", caption)
    short = m.group(1).rstrip(".") if m else caption
    return short if len(short) <= 160 else short[:157].rsplit(" ", 1)[0] + "..."


CHAR_PT = 4.6  # about the width of a character of a \small or \footnotesize table, in points
LINE_PT = 519.0  # \linewidth of the paper (183 mm), in points
HEADER_CHARS = 14  # a header longer than this, over a column that does not wrap, is stacked on lines


def _stacked(header: str) -> str:
    """A LaTeX header on several lines of at most HEADER_CHARS characters (a header must not widen its column)."""
    import textwrap

    kept = header.replace("sq mi", "sq\u00a0mi").replace("per 1,000", "per\u00a01,000")  # never split these
    lines = textwrap.wrap(kept, HEADER_CHARS, break_long_words=False) or [""]
    if len(lines) == 1:
        return latex_escape(kept)
    return r"\shortstack{" + r"\\".join(latex_escape(x) for x in lines) + "}"


def _whole(cells: np.ndarray) -> bool:
    """Every cell a plain whole number (no decimals, sign or bound)."""
    return all(re.fullmatch(r"\d*", x) for x in cells.tolist())


def _layout(p: Presentation) -> tuple[str, list[str], bool]:
    """Column specification, headers and whether text wraps: every column at its natural width when the table fits
    the line, else the long text columns wrap (``X``). Each wrapping column is at least as wide as its longest word
    (never "cam-eras"), and shares the rest of the line by how much text it holds."""
    lengths = [max((len(x) for x in col.tolist()), default=0) for col in p.markdown]
    natural = [(max(n, min(len(h), HEADER_CHARS)) * CHAR_PT + 12) for n, h in zip(lengths, p.headers, strict=True)]
    wraps = [False] * len(lengths)
    if sum(natural) > LINE_PT:
        wraps = [not num and n > HEADER_CHARS for n, num in zip(lengths, p.numeric, strict=True)]
    words = [max((len(w) for x in [*col.tolist(), h] for w in x.split()), default=0)
             for col, h in zip(p.markdown, p.headers, strict=True)]
    fixed = sum(w for w, wrap in zip(natural, wraps, strict=True) if not wrap)
    room = max(LINE_PT - fixed, 0.0)
    floor = [longest * CHAR_PT + 12 for longest, wrap in zip(words, wraps, strict=True) if wrap]
    share = [min(n, 60) for n, wrap in zip(lengths, wraps, strict=True) if wrap]
    widths = _shares(room, floor, share)
    factors = iter([len(widths) * w / sum(widths) for w in widths] if widths else [])
    spec = []
    for col, num, wrap in zip(p.latex, p.numeric, wraps, strict=True):
        if num and _whole(col):
            spec.append("r")  # whole numbers: right-aligned is aligned (and an S column cannot come first in xltabular)
        elif num:
            spec.append(f"S[table-format={_table_format(col)}]")
        elif wrap:
            spec.append(rf">{{\raggedright\arraybackslash\hsize={next(factors):.3f}\hsize}}X")
        else:
            spec.append("l")
    headers = [latex_escape(h) if wrap else _stacked(h) for h, wrap in zip(p.headers, wraps, strict=True)]
    return "".join(spec), headers, any(wraps)


def _shares(room: float, floor: list[float], share: list[float]) -> list[float]:
    """Widths summing to ``room`` (when it allows): each at least its floor, the rest in proportion to ``share``."""
    if not floor:
        return []
    spare = room - sum(floor)
    if spare <= 0:
        return floor
    total = sum(share) or 1.0
    return [f + spare * s / total for f, s in zip(floor, share, strict=True)]


def _group_headings(first: np.ndarray, labels: np.ndarray, width: int) -> np.ndarray:
    """The first cells of a table's rows, each row that starts a group (a label) preceded by a row naming the group
    in italics across the table (kept with the row under it; space above it but the first)."""
    out = first.copy()
    for i in np.flatnonzero(labels != ""):
        space = r"\addlinespace " if i else ""
        label = labels[i].replace(r"\allowbreak{}", "")  # on a row of its own the label never needs to break
        out[i] = rf"{space}\multicolumn{{{width}}}{{@{{}}l}}{{\textit{{{label}}}}} \\* " + out[i]
    return out


def to_latex(df: pd.DataFrame, name: str, caption: str, view: View | None = None) -> str:
    """The presentation table as LaTeX (pandas' ``Styler.to_latex``): booktabs, siunitx ``S`` columns, a
    longtable (``xltabular``) beyond `LONG_ROWS` rows, ``tabularx`` where text wraps, label ``tab:<name>``."""
    p = present(df, view)
    long = p.shown > LONG_ROWS
    group_rows = None
    if p.group_first and len(p.headers) > 1:  # the group's name on a row of its own, over its rows: a column less
        group_rows = p.latex[0]
        p = replace(p, headers=p.headers[1:], markdown=p.markdown[1:], latex=p.latex[1:], numeric=p.numeric[1:])
    spec, headers, wrap = _layout(p)
    cells = [md.copy() if num and _whole(col) else col.copy()  # whole numbers keep their thousands separators
             for col, md, num in zip(p.latex, p.markdown, p.numeric, strict=True)]
    if group_rows is None and p.groups is not None and p.groups.any():
        first = cells[0]
        first[p.groups] = [r"\addlinespace " + x for x in first[p.groups].tolist()]
    for col, num, raw in zip(cells, p.numeric, p.latex, strict=True):  # text in an S column is braced
        if num and not _whole(raw):
            odd = np.array([bool(x) and not re.fullmatch(r"<?[+-]?\d*(\.\d+)?", x) for x in col.tolist()], dtype=bool)
            col[odd] = ["{" + x + "}" for x in col[odd].tolist()]
    if group_rows is not None:
        cells[0] = _group_headings(cells[0], group_rows, len(headers))
    frame = pd.DataFrame(dict(zip(range(len(headers)), cells, strict=True)))
    frame.columns = headers
    styler = frame.style.hide(axis="index")
    full = latex_escape(caption + _shown_note(p))
    short = latex_escape(_first_sentence(caption))
    text = styler.to_latex(column_format=spec, hrules=True, siunitx=True, label=f"tab:{name}",
                           caption=(full, short), environment="longtable" if long else None,
                           position=None if long else "htbp", position_float=None if long else "centering")
    size = r"\footnotesize" if len(headers) > 6 else r"\small"
    if long:  # pages after the first repeat the header rows under "Table N (continued)": a row, not a second
        # caption, which would give the PDF a second anchor of the table's name
        text = text.replace(f"\\caption[]{{{full}}} \\\\",
                            f"\\multicolumn{{{len(headers)}}}{{@{{}}l}}{{\\tablename~\\thetable{{}} (continued)}} "
                            "\\\\", 1)
    if wrap:
        if long:
            text = text.replace(r"\begin{longtable}{", r"\begin{xltabular}{\linewidth}{", 1)
            text = text.replace(r"\end{longtable}", r"\end{xltabular}", 1)
        else:
            text = text.replace(r"\begin{tabular}{", r"\begin{tabularx}{\linewidth}{", 1)
            before, _, after = text.rpartition(r"\end{tabular}")  # the last one: the table's own
            text = before + r"\end{tabularx}" + after
    if not long:
        text = text.replace("\\centering\n", f"\\centering\n{size}\n", 1)
    head = [f"% {name}: presentation table written by helpers/report/tables.py (data: {name}.csv).",
            "% Needs \\usepackage{" + ",".join(LATEX_PACKAGES) + "}.", r"\begingroup", SISETUP]
    if long:
        head.append(size)
    return "\n".join([*head, text.rstrip("\n"), r"\endgroup"]) + "\n"


# --- display in a notebook: helpers.report.display (`table`), through `present` with its own caps ----------


# --- writing -----------------------------------------------------------------------------------------------------

def save_table(df: pd.DataFrame, name: str, *, caption: str, folder: str | Path,
               view: View | None = None) -> dict[str, Path]:
    """Write ``<name>.csv`` (the data table: every column), ``<name>.md`` and ``<name>.tex`` (the presentation
    table, `VIEWS[name]` unless ``view`` is given) to ``folder``; return their paths."""
    check_file_stem(name, "table")
    if df.columns.empty:
        raise ParameterError(f"table {name!r} has no columns")
    folder = Path(folder)
    df = df.reset_index(drop=True)
    view = view if view is not None else view_for(name)
    markdown, latex = to_markdown(df, caption, view), to_latex(df, name, caption, view)
    paths = {
        "csv": write_csv(folder / f"{name}.csv", df),
        "md": write_text(folder / f"{name}.md", markdown),
        "tex": write_text(folder / f"{name}.tex", latex),
    }
    record(paths.values())  # for the notebook's list of exported files (helpers.report.display.exported)
    return paths
