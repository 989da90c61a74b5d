"""Keys for matching place names written in different ways."""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd


def match_key(name: str) -> str:
    """Comparison key for a city name: no accents, case, punctuation or trailing 'city'.

    ``"New York City"``, ``"new york"`` and ``"Ji'nan"``/``"Jinan"`` pairs map to the same key.
    """
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    plain = re.sub(r"[^a-z0-9 ]+", "", plain.casefold())
    plain = re.sub(r"\s+", " ", plain).strip()
    return re.sub(r"\s+city$", "", plain)


def match_keys(names: pd.Series | list[str]) -> np.ndarray:
    """`match_key` of every name at once, as an object array; missing names give "".

    ASCII names go through pandas' string methods (`match_key`'s steps: lower case, only a-z, 0-9 and spaces kept,
    runs of spaces made one, ends stripped, a trailing " city" removed); other names through `match_key` itself,
    once per distinct name.
    """
    names = pd.Series(names, dtype="str").fillna("")
    keys = (names.str.lower().str.replace(r"[^a-z0-9 ]+", "", regex=True).str.replace(r" +", " ", regex=True)
            .str.strip(" ").str.replace(r" city$", "", regex=True))
    other = ~names.str.isascii()
    if other.any():
        keys[other] = names[other].map({name: match_key(name) for name in names[other].unique()})
    return keys.to_numpy(dtype=object)
