"""Several city tables read as editions of one ranking: which edition a table is (`table_edition`), when two
editions differ (`editions_differ`), and the same city compared from one table to the next."""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.analysis.density import COUNTED, ESTIMATED, rank_at_precision
from helpers.data.names import match_keys

UNKNOWN_EDITION = "unknown"
# Editions of the public tables helpers.data.fetch knows, when city_tables does not declare one.
KNOWN_TABLE_EDITIONS = {"comparitech_2021": "comparitech:2021"}
TABLE_SERIES = "comparitech"  # a declared edition without a source ("2023") is an edition of Comparitech's ranking
RATE_DECIMALS = 2  # the rankings print cameras per 1,000 people to two decimals; ranks are taken at that precision


def table_edition(name: str, declared: object = None) -> str:
    """The edition of a city table: as declared in ``city_tables`` ("2021" means "comparitech:2021"), else the
    known edition of a public table, else 'unknown'."""
    if isinstance(declared, str) and declared.strip():
        text = declared.strip().lower().replace(" ", "_")
        return text if ":" in text else f"{TABLE_SERIES}:{text}"
    return KNOWN_TABLE_EDITIONS.get(name, UNKNOWN_EDITION)


def editions_differ(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` are known, different editions of the same source ('comparitech:later' and
    'comparitech:2021'); figures from different sources (or an unknown edition) are never an edition difference."""
    if UNKNOWN_EDITION in (a, b) or ":" not in a or ":" not in b:
        return False
    return a != b and a.split(":")[0] == b.split(":")[0]


def per_1000(cities: pd.DataFrame) -> pd.Series:
    """Cameras per 1,000 people: as the table prints it, else from cameras and population."""
    counted = cities["cameras"] / cities["population"] * 1000
    return cities["stated_per_1000"].where(cities["stated_per_1000"].notna(), counted)


def compare_editions(cities: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    """One row per city found in at least two of the tables ``order`` (source names, oldest first).

    For each table: cameras, per 1,000, the rank per 1,000 within that table (ties share the best rank, at
    two decimals; rows estimated from one national rate are not ranked) and the basis (counted or estimated);
    ``estimated in`` names the tables whose row is estimated; then the change between the first and the last
    table holding the city: ``per_1000 change`` only where both rows are counted (an estimate against a count is
    no change of the ranking, so estimated rows are left out of the largest changes), ``rank change`` only where
    both tables rank the city (blank, never 0, where one does not).
    Cities are matched by their name without accents, case or punctuation, and their country code.
    """
    df = cities[cities["source"].isin(order)].assign(
        key=lambda d: pd.Series(match_keys(d["city"]), index=d.index) + "|" + d["country_code"], per_1000=per_1000)
    counted = df["basis"].eq(COUNTED) if "basis" in df else pd.Series(True, index=df.index)
    df["basis"] = df.get("basis", COUNTED)
    df["rank"] = df["per_1000"].where(counted).groupby(df["source"]).transform(
        lambda v: rank_at_precision(v, RATE_DECIMALS))  # estimated rows are not ranked among counted ones
    wide = df.pivot_table(index="key", columns="source", values=["cameras", "per_1000", "rank", "basis"],
                          aggfunc="first", dropna=False)
    names = df.drop_duplicates("key").set_index("key")[["city", "country_code"]]
    present = df.groupby("key")["source"].nunique()
    keys = present[present >= 2].index
    out = names.loc[keys].reset_index(drop=True)
    for src in order:
        for col in ("cameras", "per_1000", "rank", "basis"):
            values = wide[(col, src)].reindex(keys).to_numpy() if (col, src) in wide.columns else np.nan
            out[f"{col} {src}"] = values
    basis = out[[f"basis {s}" for s in order]]
    estimated = basis.eq(ESTIMATED).to_numpy()
    out["estimated in"] = [", ".join(s for s, e in zip(order, row, strict=True) if e) for row in estimated]
    held = basis.notna().to_numpy()
    first = held.argmax(axis=1)  # the first and the last table holding the city
    last = len(order) - 1 - held[:, ::-1].argmax(axis=1)
    ends_counted = ~estimated[np.arange(len(out)), first] & ~estimated[np.arange(len(out)), last]

    def change(col: str) -> np.ndarray:
        values = out[[f"{col} {s}" for s in order]].to_numpy(dtype=float)
        rows = np.arange(len(out))
        return values[rows, last] - values[rows, first]

    out["per_1000 change"] = np.where(ends_counted, change("per_1000"), np.nan)  # estimated rows: no change
    out["rank change"] = -change("rank")  # positive: the city climbed; NaN where either table has no rank
    return out.sort_values(["per_1000 change", "city"], ascending=[False, True], kind="mergesort",
                           na_position="last").reset_index(drop=True)
