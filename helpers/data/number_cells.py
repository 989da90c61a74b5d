"""Numbers in a city table's cells, read a column at a time with pandas' string methods.

Plain numbers ("120", "73.31", ".5") and thousands-grouped ones ("1,234.5") are read by ``astype(float)`` (ASCII
digits only); missing markers ("n/a", "-") and empty cells are missing; the few other cells ("9.43M", "about 5")
are read by `helpers.data.values.parse_value_text`, once per distinct text.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.data.csv_files import float_texts
from helpers.data.values import parse_value_text

MISSING_MARKERS = {"n/a", "na", "-", "\u2013", "\u2014", "?", "none", "null"}
_SIMPLE = r"[0-9]+(?:\.[0-9]+)?|\.[0-9]+"  # a plain number of ASCII digits
_GROUPED = r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?"  # a number with thousands separators
_WRITTEN = r"(?:0|[1-9][0-9]*)(?:\.[0-9]*[1-9])?"  # FLOAT_FORMAT's layout of a number in [1e-4, 1e10)


@dataclass(frozen=True)
class Numbers:
    """One column's stripped cells read: value (NaN where missing or unreadable), whether a cell is a missing
    marker, and the problem of each cell ("" when it is fine, or why it is not an exact non-negative number)."""

    value: pd.Series
    marker: pd.Series
    problem: pd.Series


def read_numbers(shown: pd.Series) -> Numbers:
    """The numbers of stripped cells ("" where missing): "9.43M" is 9.43e6, "1,234" 1234, "n/a" and "" missing,
    "about 5" a problem (not an exact number)."""
    shown = shown.astype("str")
    plain = shown.str.fullmatch(_SIMPLE) | shown.str.fullmatch(_GROUPED)
    marker = shown.str.lower().isin(MISSING_MARKERS)
    digits = shown.where(plain).str.replace(",", "", regex=False)
    value = digits.astype(float)
    problem = pd.Series("", index=shown.index, dtype="str")
    other = ~plain & ~marker & shown.ne("")
    if other.any():
        texts = shown[other]
        read = {text: _parse_other(text) for text in texts.unique()}
        value[other] = texts.map({text: number for text, (number, _) in read.items()}).astype(float)
        problem[other] = texts.map({text: why for text, (_, why) in read.items()})
    return Numbers(value, marker, problem)


def stripped(texts: pd.Series) -> pd.Series:
    """The cells as text, whitespace stripped from both ends, missing cells as ""."""
    return texts.astype("str").fillna("").str.strip()


def _parse_other(cell: str) -> tuple[float, str]:
    """(value, problem) of a cell that is not a plain number: a number with a scale word, or any text."""
    try:
        parsed = parse_value_text(cell)
    except ValueError as exc:
        return np.nan, str(exc)
    if parsed.qualifier != "exact":
        return np.nan, f"{cell!r} is not an exact number"
    return parsed.value, ""


def reformatted(shown: pd.Series, value: pd.Series) -> pd.DataFrame:
    """The numbers whose stripped text is not how the project writes them, neither ``FLOAT_FORMAT`` of the value
    ("1,234" -> "1234", "2.50" -> "2.5") nor Python's str of it ("12.0"): columns ``text`` and ``written``, indexed
    as ``shown``.

    A text of at most 10 digits with no sign, leading or trailing zero, not below 1e-4 (`_WRITTEN`), is what the
    format prints: only the other numbers are formatted, and Python's str is asked only of those that differ from
    the format and have no comma."""
    point = shown.str.contains(".", regex=False)
    written_already = shown.str.fullmatch(_WRITTEN) & shown.str.len().le(10 + point) & ~shown.str.startswith("0.0000")
    some = shown[value.notna() & ~written_already]
    written = float_texts(value[some.index])
    some = some[some.ne(written)]
    ask = some[~some.str.contains(",", regex=False)]  # str never writes a comma
    python = [str(v) == t for v, t in zip(value[ask.index].tolist(), ask.tolist(), strict=True)]
    some = some.drop(ask.index[np.array(python, dtype=bool)])
    return pd.DataFrame({"text": some, "written": written[some.index]})
