"""The project's CSV files: every column, floats as ``"%.10g"``, booleans true/false, missing cells empty.

Written by pandas' ``DataFrame.to_csv`` (``float_format``, "\\n" line ends, quotes only where a cell needs them);
the few cells pandas would write otherwise are given their text first (`_cells`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from helpers.atomic import atomic_path

FLOAT_FORMAT = "%.10g"  # every float the project writes: 10 significant digits


def cell_text(value: object) -> str:
    """One cell as the CSV writes it: "" when missing, floats as `FLOAT_FORMAT`, booleans true/false."""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if value is None or value is pd.NA or (isinstance(value, float | np.floating) and not np.isfinite(value)):
        return ""
    if isinstance(value, float | np.floating):
        return FLOAT_FORMAT % float(value)
    return str(value)


def _cells(column: pd.Series) -> pd.Series:
    """The column as ``to_csv`` should see it: booleans as true/false (missing: empty), infinities as missing,
    and an object column holding floats or booleans as the texts `cell_text` gives (once per distinct cell)."""
    if pd.api.types.is_bool_dtype(column):
        flags = column.to_numpy(dtype=bool, na_value=False)
        return pd.Series(np.where(column.isna(), "", np.where(flags, "true", "false")), index=column.index)
    if pd.api.types.is_float_dtype(column):
        return column.mask(np.isinf(column.to_numpy(dtype=float, na_value=np.nan)))
    if column.dtype == object and pd.api.types.infer_dtype(column, skipna=True) not in ("string", "empty", "integer"):
        codes, distinct = pd.factorize(column, use_na_sentinel=False)
        return pd.Series(np.array([cell_text(v) for v in distinct], dtype=object)[codes], index=column.index)
    return column


def to_csv(df: pd.DataFrame) -> str:
    """CSV text: every column, floats at 10 significant digits, booleans true/false, "\\n" line ends."""
    cells = pd.DataFrame({i: _cells(df.iloc[:, i]) for i in range(len(df.columns))}, index=df.index)
    cells.columns = [str(c) for c in df.columns]
    text = cells.to_csv(index=False, float_format=FLOAT_FORMAT, lineterminator="\n")
    if len(df.columns) == 1:  # Python's csv writer quotes a row of one empty cell: write it empty
        header, _, body = text.partition("\n")
        text = header + "\n" + "\n".join("" if line == '""' else line for line in body.split("\n"))
    return text


def write_csv(path: str | Path, df: pd.DataFrame) -> Path:
    """Write `to_csv`'s text to ``path`` atomically; return the path."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(to_csv(df).encode("utf-8"))
    return Path(path)


def float_texts(values: pd.Series) -> pd.Series:
    """`FLOAT_FORMAT` of every value as a text column, "" where missing (an infinity as Python writes it, "inf"):
    each distinct value formatted once (told apart by its bits, so -0.0 is "-0")."""
    numbers = values.to_numpy(dtype=float, na_value=np.nan)
    codes, distinct = pd.factorize(numbers.view(np.int64))
    texts = np.array([FLOAT_FORMAT % v for v in distinct.view(float).tolist()], dtype=object)[codes]
    texts[np.isnan(numbers)] = ""
    return pd.Series(texts, index=values.index, dtype="str")


def decimals_of(texts: pd.Series) -> pd.Series:
    """Digits after the point of each text (0 without a point): "73.31" 2, "120" 0."""
    point = texts.str.find(".")
    return (texts.str.len() - point - 1).where(point >= 0, 0).astype(int)
