"""The project's CSV files: every column, floats as ``"%.10g"``, booleans true/false, missing cells empty, a cell
quoted only where it holds a quote, a comma or a line break, "\n" line ends.

Each column is made into its texts with pandas (each distinct float formatted once), and each row's texts are
joined by Arrow (``pyarrow.compute.binary_join_element_wise``).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as arrow
import pyarrow.compute as pc

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


def _column_texts(column: pd.Series) -> pd.Series:
    """The column's CSV cells as texts ("" where missing; an infinity is missing too), text quoted where needed."""
    if pd.api.types.is_bool_dtype(column):
        flags = column.to_numpy(dtype=bool, na_value=False)
        return pd.Series(np.where(column.isna(), "", np.where(flags, "true", "false")), dtype="str")
    if pd.api.types.is_float_dtype(column):
        return float_texts(column.mask(np.isinf(column.to_numpy(dtype=float, na_value=np.nan))))
    if pd.api.types.is_integer_dtype(column):
        return column.astype("str").fillna("")
    if column.dtype == object and pd.api.types.infer_dtype(column, skipna=True) not in ("string", "empty"):
        codes, distinct = pd.factorize(column, use_na_sentinel=False)  # cells of several types: each as its type
        column = pd.Series(np.array([cell_text(v) for v in distinct], dtype=object)[codes], index=column.index)
    texts = column.astype("str").fillna("")
    quote = texts.str.contains('[",\n]', regex=True)
    return texts.where(~quote, '"' + texts.str.replace('"', '""', regex=False) + '"') if quote.any() else texts


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"' if re.search(r'[",\n]', text) else text


def to_csv(df: pd.DataFrame) -> str:
    """CSV text: every column, floats at 10 significant digits, booleans true/false, "\n" line ends."""
    header = ",".join(_quoted(str(c)) for c in df.columns) + "\n"
    if df.empty:
        return header
    columns = [arrow.array(_column_texts(df.iloc[:, i]), arrow.string()) for i in range(len(df.columns))]
    lines = pc.binary_join_element_wise(*columns, ",")  # each row's cells joined, by Arrow
    return header + "\n".join(lines.to_pylist()) + "\n"


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
