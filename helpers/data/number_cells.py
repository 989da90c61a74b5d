"""Numbers in a city table's cells, read a column at a time: plain and thousands-grouped numbers by Arrow kernels,
missing markers, and the few other cells ("9.43M", "about 5") one by one in Python.

Each column is matched once against the plain form (ASCII digits with at most one point, not last); only the
other cells are looked at again (grouped, missing, or read in Python). Whether a number's text is how the project
writes it is told from the bytes of its text (`canonical_numbers`), so only the other texts are formatted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
import pyarrow as arrow
import pyarrow.compute as pc

from helpers.data.float_text import format_floats
from helpers.data.text_arrays import as_arrow, byte_at, mask, stripped
from helpers.data.values import parse_value_text

MISSING_MARKERS = {"n/a", "na", "-", "\u2013", "\u2014", "?", "none", "null"}
_SCALE = {"": 1.0, "k": 1e3, "thousand": 1e3, "m": 1e6, "mn": 1e6, "million": 1e6, "b": 1e9, "bn": 1e9,
          "billion": 1e9}
_PLAIN = re.compile(r"^(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)\s*(?P<scale>k|thousand|mn?|million"
                    r"|bn?|billion)?$", re.IGNORECASE)
_SIMPLE = r"^(?:\d+(?:\.\d+)?|\.\d+)$"  # Arrow (RE2) patterns: \d is ASCII only, so other digits go to _PLAIN
_GROUPED = r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?$"
_REPR = r"^(?:0|[1-9]\d*)\.(?:0|\d*[1-9])$"  # how Python's str writes a float in [1e-4, 1e16) (or 0.0)
_MARKERS = arrow.array(sorted(MISSING_MARKERS), type=arrow.large_string())
_SURE_DIGITS = 15  # a decimal of at most 15 digits is the shortest text of the float it reads as (DBL_DIG)


@dataclass(frozen=True)
class Numbers:
    """One column's cells read: value (NaN where missing or unreadable) and printed step of each cell, and
    which cells are plain (``simple``), missing markers, or read in Python (``odd``, each with its problem)."""

    value: np.ndarray
    step: np.ndarray
    decimals: np.ndarray  # digits after the point of a plain or grouped number (0 elsewhere)
    simple: np.ndarray
    marker: np.ndarray
    odd: np.ndarray  # positions
    problems: list[str]  # of the odd cells: why one is not an exact non-negative number ("" when it is)


def read_numbers(shown: arrow.Array) -> Numbers:
    """The numbers of stripped cells (`parse_numbers`): Arrow kernels for plain and grouped numbers, Python for
    the few other cells."""
    size = len(shown)
    value, step, decimals = np.full(size, np.nan), np.full(size, np.nan), np.zeros(size, dtype=np.int64)
    simple = mask(pc.match_substring_regex(shown, _SIMPLE))
    value[simple], decimals[simple] = _plain(shown.filter(arrow.array(simple)))
    rest = np.flatnonzero(~simple)  # a plain number is neither missing nor grouped
    others = shown.take(rest)
    marker = np.zeros(size, dtype=bool)
    marker[rest] = mask(pc.is_in(pc.utf8_lower(others), value_set=_MARKERS))
    missing = marker[rest] | mask(pc.equal(others, ""))
    grouped = ~missing & mask(pc.match_substring_regex(others, _GROUPED))
    at = rest[grouped]
    value[at], decimals[at] = _plain(pc.replace_substring(others.filter(arrow.array(grouped)), ",", ""))
    fast = simple.copy()
    fast[at] = True
    step[fast] = 10.0 ** -decimals[fast]
    odd = rest[~missing & ~grouped]  # scale words ("9.43M") and other forms: the few cells visited one by one
    read = [_parse_other(cell) for cell in shown.take(odd).to_pylist()]
    if read:
        value[odd], step[odd] = [v for v, _, _ in read], [s for _, s, _ in read]
    return Numbers(value, step, decimals, simple, marker, odd, [why for _, _, why in read])


def _plain(digits: arrow.Array) -> tuple[np.ndarray, np.ndarray]:
    """(value, digits after the point) of texts of ASCII digits with at most one point."""
    dot = pc.find_substring(digits, ".").to_numpy()
    decimals = np.where(dot >= 0, pc.binary_length(digits).to_numpy() - dot - 1, 0)
    return pc.cast(digits, arrow.float64()).to_numpy(), decimals


def parse_numbers(texts: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(value, printed step, problem) of each cell: "9.43M" is 9.43e6 printed to the 1e4, "" is missing.

    The step is the unit of the last printed digit, so a value stands for [value - step/2, value + step/2].
    A problem is the reason a non-empty cell is not an exact non-negative number ("" when it is fine).
    Plain and thousands-grouped numbers are parsed by Arrow kernels; only cells of other forms (a scale word,
    a qualifier) are visited in Python.
    """
    numbers = read_numbers(stripped(texts))
    problem = np.full(len(texts), "", dtype=object)
    problem[numbers.odd] = numbers.problems
    index = texts.index
    return (pd.Series(numbers.value, index=index), pd.Series(numbers.step, index=index),
            pd.Series(problem, index=index, dtype=object))


@lru_cache(maxsize=4096)
def _parse_other(cell: str) -> tuple[float, float, str]:
    """(value, step, problem) of a cell that is not a plain number: a number with a scale word, or any text."""
    found = _PLAIN.match(cell)
    if found:
        digits = found["num"].replace(",", "")
        scale = _SCALE[(found["scale"] or "").lower()]
        decimals = len(digits) - digits.index(".") - 1 if "." in digits else 0
        return float(digits) * scale, 10.0 ** -decimals * scale, ""
    try:
        parsed = parse_value_text(cell)
    except ValueError as exc:
        return np.nan, np.nan, str(exc)
    if parsed.qualifier != "exact":
        return np.nan, np.nan, f"{cell!r} is not an exact number"
    return parsed.value, np.nan, ""


def canonical_numbers(shown: pd.Series | arrow.Array, numbers: Numbers | None = None) -> np.ndarray:
    """True where a plain number's text is exactly what ``FLOAT_FORMAT`` ("%.10g") prints for its value.

    That is: no sign, no leading or trailing zero, at most 10 digits, and not below 1e-4 (where %g switches to
    an exponent). Told from the bytes of plain numbers; ``numbers``, when given, are `read_numbers` of
    ``shown``, already stripped.
    """
    text = as_arrow(shown) if numbers is not None else stripped(shown)
    numbers = numbers if numbers is not None else read_numbers(text)
    first, second, last = byte_at(text, 0), byte_at(text, 1), byte_at(text, -1)
    length, point = pc.binary_length(text).to_numpy(), numbers.decimals > 0
    leading_zero = (first == ord("0")) & (length >= 2) & (second != ord("."))
    trailing_zero = point & (last == ord("0"))
    plain = numbers.simple & (first != ord(".")) & ~leading_zero & ~trailing_zero
    return plain & (length <= 10 + point) & ~mask(pc.starts_with(text, "0.0000"))


def python_texts(texts: arrow.Array, values: np.ndarray) -> np.ndarray:
    """True where a text is what Python's ``str`` writes for its value (a float read from that text).

    A plain ASCII number of at most 15 digits is the shortest text of its float, so it is Python's exactly when it
    has Python's layout (`_REPR`) and is not below 1e-4 (where str switches to an exponent); a text with a comma
    never is. Other texts are compared with ``str`` itself, one by one.
    """
    sure = mask(pc.match_substring_regex(texts, _SIMPLE))
    sure &= pc.binary_length(texts).to_numpy() - mask(pc.match_substring(texts, ".")) <= _SURE_DIGITS
    same = sure & mask(pc.match_substring_regex(texts, _REPR)) & ~mask(pc.starts_with(texts, "0.0000"))
    rest = np.flatnonzero(~sure & ~mask(pc.match_substring(texts, ",")))
    same[rest] = [str(v) == t for v, t in zip(values[rest].tolist(), texts.take(rest).to_pylist(), strict=True)]
    return same


def reformatted(shown: arrow.Array, numbers: Numbers) -> tuple[np.ndarray, arrow.Array, arrow.Array]:
    """(positions, text, written text) of the numbers whose stripped text is not how the project writes them:
    neither ``FLOAT_FORMAT`` of the value ("1,234" -> "1234", "2.50" -> "2.5") nor Python's str of it ("12.0").

    Texts already in the written form (`canonical_numbers`) are skipped without formatting them."""
    at = np.flatnonzero(~np.isnan(numbers.value) & ~canonical_numbers(shown, numbers))
    texts, written = shown.take(at), format_floats(numbers.value[at], infinities=True)
    other = mask(pc.not_equal(texts, written))
    other[other] = ~python_texts(texts.filter(arrow.array(other)), numbers.value[at][other])
    keep = arrow.array(other)
    return at[other], texts.filter(keep), written.filter(keep)
