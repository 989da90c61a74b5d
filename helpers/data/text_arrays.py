"""Columns of text as Arrow string arrays, for the kernels that keep per-row Python off large tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as arrow
import pyarrow.compute as pc

TEXT = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' default text type, held by Arrow


def as_arrow(texts: pd.Series | list | arrow.Array) -> arrow.Array:
    """The cells as one Arrow string array (other cells as their str()), missing cells as ""; an Arrow string
    array is taken as it is."""
    if isinstance(texts, arrow.Array | arrow.ChunkedArray) and texts.type in (arrow.string(), arrow.large_string()):
        array = texts.cast(arrow.large_string())
    else:
        series = texts if isinstance(texts, pd.Series) else pd.Series(texts, dtype=object)
        array = arrow.array(series if series.dtype == TEXT else series.astype(TEXT), type=arrow.large_string())
    array = array.combine_chunks() if isinstance(array, arrow.ChunkedArray) else array
    return pc.fill_null(array, "")


def stripped(texts: pd.Series | list) -> arrow.Array:
    """`as_arrow`, whitespace stripped from both ends (Arrow's whitespace is Python's str.isspace, tested)."""
    return pc.utf8_trim_whitespace(as_arrow(texts))


def text_scalar(text: str) -> arrow.Scalar:
    """A text constant for Arrow's string kernels (of the arrays' type, large_string)."""
    return arrow.scalar(text, arrow.large_string())


def mask(array: arrow.Array | arrow.ChunkedArray) -> np.ndarray:
    """A boolean Arrow result as a NumPy bool array (missing as False)."""
    return np.asarray(pc.fill_null(array, False).to_numpy(zero_copy_only=False), dtype=bool)


def choose(codes: np.ndarray, choices: list[str], index: pd.Index) -> pd.Series:
    """A text column whose row i is ``choices[codes[i]]``, made by Arrow (no Python string per row)."""
    taken = pc.take(arrow.array(choices, arrow.large_string()), arrow.array(np.asarray(codes, dtype=np.int64)))
    return pd.Series(taken, index=index, dtype=TEXT)


def sort_order(frame: pd.DataFrame, keys: list[str]) -> np.ndarray:
    """Row positions of a stable ascending sort by ``keys``, missing values last: pandas' ``sort_values(keys,
    kind="mergesort", na_position="last")``, sorted by Arrow (texts by code point, as Python compares them)."""
    table = arrow.table({str(i): arrow.array(frame[k]) for i, k in enumerate(keys)})
    return pc.sort_indices(table, sort_keys=[(str(i), "ascending", "at_end") for i in range(len(keys))]).to_numpy()


def text_offsets(texts: arrow.Array) -> np.ndarray:
    """Where each text of a large_string array starts in its data buffer, and where the last ends (len + 1)."""
    return np.frombuffer(texts.buffers()[1], dtype=np.int64)[texts.offset:texts.offset + len(texts) + 1]


def byte_at(texts: arrow.Array, at: int) -> np.ndarray:
    """The byte at position ``at`` of each text (from its end where ``at`` is negative), 0 where it has none."""
    texts = texts.cast(arrow.large_string())
    offsets = text_offsets(texts)
    data = texts.buffers()[2]
    if data is None or not data.size:
        return np.zeros(len(texts), dtype=np.uint8)
    place = (offsets[:-1] if at >= 0 else offsets[1:]) + at
    inside = (place >= offsets[:-1]) & (place < offsets[1:])
    return np.where(inside, np.frombuffer(data, dtype=np.uint8)[np.where(inside, place, 0)], 0).astype(np.uint8)
