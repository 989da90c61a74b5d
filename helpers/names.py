"""Keys for matching place names written in different ways."""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from helpers.text_arrays import as_arrow, mask


def match_key(name: str) -> str:
    """Comparison key for a city name: no accents, case, punctuation or trailing 'city'.

    ``"New York City"``, ``"new york"`` and ``"Ji'nan"``/``"Jinan"`` pairs map to the same key.
    """
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    plain = re.sub(r"[^a-z0-9 ]+", "", plain.casefold())
    plain = re.sub(r"\s+", " ", plain).strip()
    return re.sub(r"\s+city$", "", plain)


def match_keys(names: pd.Series | list[str]) -> np.ndarray:
    """`match_key` of every name at once; missing names give "".

    ASCII names go through Arrow string kernels (`match_key`'s steps, lower case, only a-z, 0-9 and spaces kept,
    runs of spaces made one, ends stripped, a trailing " city" removed; after the second step only spaces are
    left, so Python's and RE2's ``\\s`` agree). Other names are keyed by `match_key` itself, once per distinct
    name: Arrow's Unicode tables are newer than Python's, so their NFKD can differ.
    """
    text = as_arrow(names)
    keys = pc.ascii_lower(text)
    keys = pc.replace_substring_regex(keys, r"[^a-z0-9 ]+", "")
    keys = pc.utf8_trim(pc.replace_substring_regex(keys, r" +", " "), " ")
    keys = np.asarray(pc.replace_substring_regex(keys, r" city$", "").to_numpy(zero_copy_only=False), dtype=object)
    other = ~mask(pc.string_is_ascii(text))
    if other.any():
        at, distinct = pd.factorize(pd.Series(text.filter(other).to_pylist(), dtype=object))
        keys[other] = np.array([match_key(n) for n in distinct], dtype=object)[at]
    return keys
