"""Competition ranks (1 = largest, ties share the better rank, NaN unranked), overall and within groups, from one
sort of the values: pandas' ``rank(ascending=False, method="min")`` without its per-group machinery."""

from __future__ import annotations

import numpy as np
import pandas as pd


def _ranks_in_order(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Ranks of ``values`` (sorted, largest first, within runs) where ``starts`` marks each run's first position."""
    positions = np.arange(len(values))
    tie_starts = starts.copy()
    tie_starts[1:] |= values[1:] != values[:-1]
    first_of_tie = np.maximum.accumulate(np.where(tie_starts, positions, 0))
    first_of_run = np.maximum.accumulate(np.where(starts, positions, 0))
    return first_of_tie - first_of_run + 1


def _as_ranks(count: int, rows: np.ndarray, ranks: np.ndarray, index: pd.Index) -> pd.Series:
    out = np.zeros(count, dtype=np.int64)
    out[rows] = ranks
    missing = np.ones(count, dtype=bool)
    missing[rows] = False
    return pd.Series(pd.arrays.IntegerArray(out, missing), index=index)


def descending_ranks(values: pd.Series, groups: pd.Series | None = None) -> tuple[pd.Series, pd.Series | None]:
    """Ranks of ``values`` over all rows and, with ``groups``, within each group (rows without a group unranked),
    as pandas' ``rank(ascending=False, method="min")`` and ``groupby(groups).rank(...)`` give them (Int64)."""
    numbers = values.to_numpy(dtype=float, na_value=np.nan)
    rows = np.flatnonzero(~np.isnan(numbers))
    order = rows[np.argsort(-numbers[rows], kind="stable")]  # largest first
    starts = np.zeros(len(order), dtype=bool)
    starts[:1] = True
    overall = _as_ranks(len(numbers), order, _ranks_in_order(numbers[order], starts), values.index)
    if groups is None:
        return overall, None
    codes = pd.factorize(groups, use_na_sentinel=True)[0]
    grouped = order[codes[order] >= 0]
    grouped = grouped[np.argsort(codes[grouped], kind="stable")]  # by group, largest first within each
    group_of = codes[grouped]
    starts = np.ones(len(grouped), dtype=bool)
    starts[1:] = group_of[1:] != group_of[:-1]
    within = _as_ranks(len(numbers), grouped, _ranks_in_order(numbers[grouped], starts), values.index)
    return overall, within
