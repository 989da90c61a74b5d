"""Keys for matching place names written in different ways."""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from helpers.text_arrays import as_arrow


def match_key(name: str) -> str:
    """Comparison key for a city name: no accents, case, punctuation or trailing 'city'.

    ``"New York City"``, ``"new york"`` and ``"Ji'nan"``/``"Jinan"`` pairs map to the same key.
    """
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    plain = re.sub(r"[^a-z0-9 ]+", "", plain.casefold())
    plain = re.sub(r"\s+", " ", plain).strip()
    return re.sub(r"\s+city$", "", plain)


def match_keys(names: pd.Series | list[str]) -> np.ndarray:
    """`match_key` of every name at once (Arrow string kernels, no Python per name); missing names give "".

    The steps are `match_key`'s: NFKD, non-ASCII dropped, lower case, only a-z, 0-9 and spaces kept, runs of
    spaces made one, ends stripped, a trailing " city" removed (after the third step only spaces are left, so
    Python's and RE2's ``\\s`` agree).
    """
    text = pc.utf8_normalize(as_arrow(names), form="NFKD")
    text = pc.replace_substring_regex(text, r"[^\x00-\x7f]+", "")
    text = pc.replace_substring_regex(pc.ascii_lower(text), r"[^a-z0-9 ]+", "")
    text = pc.utf8_trim(pc.replace_substring_regex(text, r" +", " "), " ")
    text = pc.replace_substring_regex(text, r" city$", "")
    return np.asarray(text.to_numpy(zero_copy_only=False), dtype=object)
