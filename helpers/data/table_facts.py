"""What a city table's printed figures say about themselves: the decimals a column carries (`source_decimals`) and
the rows that carry one national rate instead of a count (`estimated_rows`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.data.csv_files import decimals_of, float_texts

COUNTED = "counted"
ESTIMATED = "estimated (one national rate)"
MOST_DECIMALS = 6  # a column's decimals are capped here (and a value printed with an exponent counts as this)


def source_decimals(values: pd.Series, default: int = 2) -> int:
    """Decimal places a column of printed figures carries (its largest, at most `MOST_DECIMALS`), as the project
    writes them (``FLOAT_FORMAT``); ``default`` for an empty column."""
    texts = float_texts(pd.Series(values.dropna().unique(), dtype=float))
    if texts.empty:
        return default
    decimals = decimals_of(texts).where(~texts.str.contains("e"), MOST_DECIMALS)
    return int(min(decimals.max(), MOST_DECIMALS))


def estimated_rows(densities: pd.DataFrame, decimals: int | None = None) -> pd.Series:
    """True for the rows of a country whose rows (two or more, in one table) all carry one rate per 1,000 at the
    table's printed precision (``decimals``: by default `source_decimals` of the stated rates): a national rate
    applied to every city, an estimate, not a count."""
    decimals = source_decimals(densities["stated_per_1000"]) if decimals is None else decimals
    rate = densities["stated_per_1000"].fillna(densities.get("per_1000", pd.Series(np.nan, index=densities.index)))
    rounded = rate.round(decimals)
    keys = [densities["source"], densities["country_code"]] if "source" in densities else [densities["country_code"]]
    groups = rounded.groupby(keys)
    one_rate = groups.transform("nunique").eq(1) & groups.transform("count").ge(2)
    return (one_rate & rounded.notna()).astype(bool)
