"""Numbers as people print them: "6,220", "1.46 billion", "54 percent", "9.43M", "less than 6"."""

from __future__ import annotations

import re
from dataclasses import dataclass

from helpers.errors import RawDataError

_QUALIFIERS = {
    "approximately": "approximate", "about": "approximate", "around": "approximate", "roughly": "approximate",
    "nearly": "approximate", "some": "approximate",
    "less than": "upper_bound", "fewer than": "upper_bound", "under": "upper_bound", "below": "upper_bound",
    "up to": "upper_bound", "at most": "upper_bound", "<": "upper_bound",
    "more than": "lower_bound", "over": "lower_bound", "at least": "lower_bound", "above": "lower_bound",
    ">": "lower_bound",
}
_SCALES = {
    "": 1.0, "percent": 1.0, "per cent": 1.0, "%": 1.0,
    "k": 1e3, "thousand": 1e3,
    "m": 1e6, "mn": 1e6, "mil": 1e6, "million": 1e6, "millions": 1e6,
    "b": 1e9, "bn": 1e9, "billion": 1e9, "billions": 1e9,
}
# Vague quantities: the smallest value the words allow, kept as a lower bound.
_ORDERS_OF_MAGNITUDE = {"tens": 10.0, "hundreds": 100.0, "thousands": 1e3}
_PREFIX = "|".join(sorted((re.escape(k) for k in _QUALIFIERS), key=len, reverse=True))
_SCALE = "|".join(sorted((re.escape(k) for k in _SCALES if k), key=len, reverse=True))
_NUMBER_RE = re.compile(
    rf"^(?:(?P<prefix>{_PREFIX})\s*)?(?P<number>\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
    rf"\s*(?P<scale>{_SCALE})?$",
    re.IGNORECASE,
)
_VAGUE_RE = re.compile(rf"^(?P<order>{'|'.join(_ORDERS_OF_MAGNITUDE)}) of (?P<scale>{_SCALE})$", re.IGNORECASE)


@dataclass(frozen=True)
class ParsedValue:
    """A number and how to read it: exact, approximate, or a bound (censored value)."""

    value: float
    qualifier: str  # one of helpers.schemas.QUALIFIERS


def parse_value_text(text: object) -> ParsedValue:
    """Parse a printed number; raise ValueError saying what could not be read.

    "less than 6" is an upper bound of 6, never an exact 6; "tens of millions" a lower bound of
    10 million; "approximately 1 billion" an approximate 1e9; "54 percent" is 54.
    """
    raw = " ".join(str(text).replace("\u00a0", " ").split())
    match = _NUMBER_RE.match(raw)
    if match:
        number = float(match["number"].replace(",", ""))
        scale = _SCALES[(match["scale"] or "").lower()]
        qualifier = _QUALIFIERS[match["prefix"].lower()] if match["prefix"] else "exact"
        return ParsedValue(number * scale, qualifier)
    vague = _VAGUE_RE.match(raw)
    if vague:
        value = _ORDERS_OF_MAGNITUDE[vague["order"].lower()] * _SCALES[vague["scale"].lower()]
        return ParsedValue(value, "lower_bound")
    if raw.startswith("-"):
        raise ValueError(f"{text!r} is negative")
    raise ValueError(f"{text!r} is not a number this project can read (examples: '6,220', '1.46 billion', "
                     "'54 percent', '9.43M', 'less than 6')")


def parse_cell(text: object, where: str) -> ParsedValue:
    """parse_value_text, with errors raised as RawDataError naming ``where`` (file, row, column)."""
    try:
        return parse_value_text(text)
    except ValueError as exc:
        raise RawDataError(f"{where}: {exc}") from None
