"""Country names as tables write them -> ISO 3166-1 alpha-3 codes and one display name."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import cache

import pycountry

from helpers.data.names import match_key

# Names that pycountry does not know, as they appear in public tables and in the article.
ALIASES: dict[str, str] = {
    "england": "GBR", "england uk": "GBR", "uk": "GBR", "britain": "GBR", "great britain": "GBR",
    "scotland": "GBR", "wales": "GBR",
    "usa": "USA", "us": "USA", "united states of america": "USA", "america": "USA",
    "russia": "RUS", "turkey": "TUR", "turkiye": "TUR", "ivory coast": "CIV", "cote divoire": "CIV",
    "south korea": "KOR", "korea": "KOR", "north korea": "PRK", "iran": "IRN", "vietnam": "VNM",
    "taiwan": "TWN", "syria": "SYR", "laos": "LAO", "bolivia": "BOL", "venezuela": "VEN",
    "tanzania": "TZA", "czech republic": "CZE", "dr congo": "COD", "drc": "COD", "hong kong": "HKG",
    "burma": "MMR", "uae": "ARE",
}
# Display names where pycountry's official short name is not the one readers expect.
DISPLAY: dict[str, str] = {"GBR": "United Kingdom", "USA": "United States", "RUS": "Russia", "KOR": "South Korea",
                           "IRN": "Iran", "VNM": "Vietnam", "TWN": "Taiwan", "TUR": "Turkey", "CIV": "Ivory Coast"}
FUZZY_CUTOFF = 0.85  # difflib similarity above which a misspelt name is taken for a known one


@dataclass(frozen=True)
class Country:
    """A country resolved from a written name, and the rule that resolved it."""

    code: str
    name: str
    rule: str  # "exact", "country_alias" or "country_fuzzy_match"


@cache
def _known() -> dict[str, str]:
    """{match key: alpha-3} for every pycountry name, official and common name, and every alias."""
    known: dict[str, str] = {}
    for c in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            if hasattr(c, attr):
                known.setdefault(match_key(getattr(c, attr)), c.alpha_3)
        known.setdefault(match_key(c.alpha_3), c.alpha_3)
    for alias, code in ALIASES.items():
        known[match_key(alias)] = code
    return known


def display_name(code: str) -> str:
    """The name shown for an alpha-3 code."""
    if code in DISPLAY:
        return DISPLAY[code]
    c = pycountry.countries.get(alpha_3=code)
    return getattr(c, "common_name", c.name)


def resolve_country(text: str) -> Country:
    """Resolve a written country name (stray spaces, accents, '(UK)', misspellings); ValueError if unknown."""
    key = match_key(text)
    known = _known()
    if key in known:
        code = known[key]
        rule = "exact" if text.strip() == display_name(code) else "country_alias"
        return Country(code, display_name(code), rule)
    close = difflib.get_close_matches(key, known, n=1, cutoff=FUZZY_CUTOFF)
    if close:
        code = known[close[0]]
        return Country(code, display_name(code), "country_fuzzy_match")
    raise ValueError(f"unknown country {text!r} (not an ISO 3166 name, a known alias, or a close misspelling)")
