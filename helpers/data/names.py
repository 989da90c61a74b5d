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

    `match_key`'s steps through pandas' string methods: Unicode NFKD, what is not ASCII dropped, lower case, only
    a-z, 0-9 and spaces kept, runs of spaces made one, ends stripped, a trailing " city" removed.
    """
    names = pd.Series(names, dtype="str").fillna("")
    plain = names.str.normalize("NFKD").str.encode("ascii", "ignore").str.decode("ascii")
    keys = (plain.str.lower().str.replace(r"[^a-z0-9 ]+", "", regex=True).str.replace(r" +", " ", regex=True)
            .str.strip(" ").str.replace(r" city$", "", regex=True))
    return keys.to_numpy(dtype=object)
