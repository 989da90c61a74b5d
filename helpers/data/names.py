"""Keys for matching place names written in different ways."""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd
import pyarrow as arrow
import pyarrow.compute as pc

from helpers.data.text_arrays import as_arrow, mask

_KEY = r"^[a-z0-9]+(?: [a-z0-9]+)*$"  # a lower-cased name that is already its own key (unless it ends in " city")


def match_key(name: str) -> str:
    """Comparison key for a city name: no accents, case, punctuation or trailing 'city'.

    ``"New York City"``, ``"new york"`` and ``"Ji'nan"``/``"Jinan"`` pairs map to the same key.
    """
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    plain = re.sub(r"[^a-z0-9 ]+", "", plain.casefold())
    plain = re.sub(r"\s+", " ", plain).strip()
    return re.sub(r"\s+city$", "", plain)


def match_keys(names: pd.Series | list[str]) -> np.ndarray:
    """`match_key` of every name at once, as an object array (`key_array`); missing names give ""."""
    return np.asarray(key_array(names).to_numpy(zero_copy_only=False), dtype=object)


def key_array(names: pd.Series | list[str]) -> arrow.Array:
    """`match_key` of every name at once, as an Arrow string array; missing names give "".

    ASCII names go through Arrow string kernels (`match_key`'s steps, lower case, only a-z, 0-9 and spaces kept,
    runs of spaces made one, ends stripped, a trailing " city" removed; after the second step only spaces are
    left, so Python's and RE2's ``\\s`` agree). A lower-cased name that is already a key (words of a-z and 0-9
    joined by single spaces, not ending in " city") is its own key and skips those steps. Other names are keyed
    by `match_key` itself, once per distinct name: Arrow's Unicode tables are newer than Python's, so their NFKD
    can differ.
    """
    text = as_arrow(names)
    lower, other = pc.ascii_lower(text), ~mask(pc.string_is_ascii(text))
    steps = ~other & (~mask(pc.match_substring_regex(lower, _KEY)) | mask(pc.ends_with(lower, " city")))
    keys = lower
    if steps.any():
        keys = pc.replace_with_mask(lower, arrow.array(steps), _ascii_keys(lower.filter(arrow.array(steps))))
    if other.any():
        names = text.filter(arrow.array(other))
        distinct = pc.unique(names)
        keyed = arrow.array([match_key(n) for n in distinct.to_pylist()], arrow.large_string())
        keys = pc.replace_with_mask(keys, arrow.array(other), keyed.take(pc.index_in(names, value_set=distinct)))
    return keys


def _ascii_keys(lower: arrow.Array) -> arrow.Array:
    """`match_key`'s steps on lower-cased ASCII names, by Arrow kernels."""
    keys = pc.replace_substring_regex(lower, r"[^a-z0-9 ]+", "")
    keys = pc.utf8_trim(pc.replace_substring_regex(keys, r" +", " "), " ")
    return pc.replace_substring_regex(keys, r" city$", "")
