"""Numbers as people print them: "6,220", "1.46 billion", "54 percent", "9.43M", "less than 6", "third".

A printed number stands for every value its last printed digit allows: "9.43M" is anything in
[9.425M, 9.435M] (`printed_interval`). Kept light (no numpy, no pandas): the scenarios-file validation imports it.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Sequence
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
# Ranks as an article states them ("ranked the third"): exact whole numbers, with no rounding.
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
             "ninth": 9, "tenth": 10}
_ORDINAL_RE = re.compile(rf"^(?:(?P<word>{'|'.join(_ORDINALS)})|(?P<digits>\d+)(?:st|nd|rd|th))$", re.IGNORECASE)


@dataclass(frozen=True)
class ParsedValue:
    """A number and how to read it: exact, approximate, or a bound (censored value)."""

    value: float
    qualifier: str  # one of helpers.data.schemas.QUALIFIERS


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
    ordinal = _ORDINAL_RE.match(raw)
    if ordinal:
        rank = _ORDINALS[ordinal["word"].lower()] if ordinal["word"] else int(ordinal["digits"])
        return ParsedValue(float(rank), "exact")
    vague = _VAGUE_RE.match(raw)
    if vague:
        value = _ORDERS_OF_MAGNITUDE[vague["order"].lower()] * _SCALES[vague["scale"].lower()]
        return ParsedValue(value, "lower_bound")
    if raw.startswith("-"):
        raise ValueError(f"{text!r} is negative")
    raise ValueError(f"{text!r} is not a number this project can read (examples: '6,220', '1.46 billion', "
                     "'54 percent', '9.43M', 'less than 6', 'third')")


def parse_cell(text: object, where: str) -> ParsedValue:
    """parse_value_text, with errors raised as RawDataError naming ``where`` (file, row, column)."""
    try:
        return parse_value_text(text)
    except ValueError as exc:
        raise RawDataError(f"{where}: {exc}") from None


# --- what a printed number stands for ------------------------------------------------------------

@dataclass(frozen=True)
class Interval:
    """A closed interval of values (infinite ends for bounds)."""

    low: float
    high: float

    @property
    def middle(self) -> float:
        """The value halfway between the ends (the one number quoted for an interval, e.g. the implied population
        both printed pairs allow)."""
        return (self.low + self.high) / 2

    def overlaps(self, other: Interval) -> bool:
        """True when the two intervals share at least one value (agreement within rounding)."""
        return self.low <= other.high and other.low <= self.high


def printed_step(text: object) -> float:
    """The unit of the last printed digit: "9.43M" 1e4, "372.8" 0.1, "6,220" 1, "54 percent" 1.

    0 for ranks ("third") and NaN for words that give no digits ("tens of millions", a bound).
    Integers printed in full are taken to their last digit: "400000" is 1 (a table cannot tell us that
    its trailing zeros are rounding).
    """
    raw = " ".join(str(text).replace("\u00a0", " ").split())
    if _ORDINAL_RE.match(raw):
        return 0.0
    match = _NUMBER_RE.match(raw)
    if not match:
        parse_value_text(raw)  # raises ValueError for unreadable text
        return math.nan
    decimals = len(match["number"].partition(".")[2])
    return 10.0**-decimals * _SCALES[(match["scale"] or "").lower()]


def printed_interval(text: object) -> Interval:
    """Every value a printed number stands for: "9.43M" is [9.425e6, 9.435e6], "less than 6" (-inf, 6].

    "approximately" is read from its digits only here; how much more it allows is the caller's choice.
    """
    parsed = parse_value_text(text)
    if parsed.qualifier == "upper_bound":
        return Interval(-math.inf, parsed.value)
    if parsed.qualifier == "lower_bound":
        return Interval(parsed.value, math.inf)
    half = printed_step(text) / 2
    return Interval(parsed.value - half, parsed.value + half)


def propagate(formula: Callable[..., float], inputs: Sequence[Interval]) -> Interval:
    """The range of a ``formula`` monotone in each input, when each input varies over its interval."""
    corners = [float(formula(*c)) for c in itertools.product(*[(i.low, i.high) for i in inputs])]
    return Interval(min(corners), max(corners))
