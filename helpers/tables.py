"""Tables for papers: CSV (full precision), Markdown and LaTeX (booktabs), byte-identical on every run."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.atomic import write_text
from helpers.errors import ParameterError
from helpers.paths import check_file_stem

CSV_FLOAT = "{:.10g}"
_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                  "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def human_number(x: float) -> str:
    """A readable rendering: thousands separators for large values, three significant digits for small."""
    ax = abs(x)
    if ax >= 1e4:
        return f"{x:,.0f}"
    if ax >= 100:
        return f"{x:,.1f}"
    if ax >= 1 or ax == 0:
        return f"{x:.2f}"
    return f"{x:.3g}"


def _cell(value: object, spec: str | None, for_csv: bool) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, float | np.floating):
        if for_csv:
            return CSV_FLOAT.format(float(value))
        return spec.format(float(value)) if spec else human_number(float(value))
    return str(value)


def _rendered(df: pd.DataFrame, formats: dict[str, str], for_csv: bool) -> list[list[str]]:
    return [[_cell(v, formats.get(col), for_csv) for col, v in zip(df.columns, row, strict=True)]
            for row in df.itertuples(index=False, name=None)]


def _numeric(df: pd.DataFrame) -> list[bool]:
    return [pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c]) for c in df.columns]


def _csv_field(text: str) -> str:
    return f'"{text.replace(chr(34), chr(34) * 2)}"' if re.search(r'[",\n]', text) else text


def to_csv(df: pd.DataFrame) -> str:
    """CSV text with floats at 10 significant digits and "\\n" line ends."""
    lines = [",".join(_csv_field(str(c)) for c in df.columns)]
    lines += [",".join(_csv_field(x) for x in row) for row in _rendered(df, {}, for_csv=True)]
    return "\n".join(lines) + "\n"


def to_markdown(df: pd.DataFrame, caption: str, formats: dict[str, str] | None = None) -> str:
    """A GitHub-flavoured Markdown table, numbers right-aligned, the caption above it."""
    def esc(text: str) -> str:
        return text.replace("|", r"\|")

    align = ["---:" if num else ":---" for num in _numeric(df)]
    lines = [f"Table: {caption}", "", "| " + " | ".join(esc(str(c)) for c in df.columns) + " |",
             "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(esc(x) for x in row) + " |" for row in _rendered(df, formats or {}, for_csv=False)]
    return "\n".join(lines) + "\n"


def latex_escape(text: str) -> str:
    """Escape LaTeX's special characters."""
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in text)


def to_latex(df: pd.DataFrame, name: str, caption: str, formats: dict[str, str] | None = None) -> str:
    """A LaTeX table with booktabs rules, a caption and the label ``tab:<name>``."""
    spec = "".join("r" if num else "l" for num in _numeric(df))
    body = [" & ".join(latex_escape(x) for x in row) + r" \\" for row in _rendered(df, formats or {}, for_csv=False)]
    return "\n".join([
        r"\begin{table}[htbp]", r"\centering", rf"\caption{{{latex_escape(caption)}}}", rf"\label{{tab:{name}}}",
        rf"\begin{{tabular}}{{{spec}}}", r"\toprule",
        " & ".join(latex_escape(str(c)) for c in df.columns) + r" \\", r"\midrule", *body, r"\bottomrule",
        r"\end{tabular}", r"\end{table}",
    ]) + "\n"


def save_table(df: pd.DataFrame, name: str, *, caption: str, folder: str | Path,
               formats: dict[str, str] | None = None) -> dict[str, Path]:
    """Write ``<name>.csv``, ``<name>.md`` and ``<name>.tex`` to ``folder``; return their paths.

    ``formats`` maps a column to a format spec for Markdown and LaTeX (e.g. ``{"share": "{:.1%}"}``);
    the CSV always keeps 10 significant digits.
    """
    check_file_stem(name, "table")
    if df.columns.empty:
        raise ParameterError(f"table {name!r} has no columns")
    unknown = sorted(set(formats or {}) - set(map(str, df.columns)))
    if unknown:
        raise ParameterError(f"table {name!r}: formats given for unknown columns {unknown}")
    folder = Path(folder)
    df = df.reset_index(drop=True)
    return {
        "csv": write_text(folder / f"{name}.csv", to_csv(df)),
        "md": write_text(folder / f"{name}.md", to_markdown(df, caption, formats)),
        "tex": write_text(folder / f"{name}.tex", to_latex(df, name, caption, formats)),
    }
