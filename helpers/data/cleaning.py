"""Clean the article's figures into a tidy table, and write what notebook 01 produces; the cleaning log.

City tables are read by `helpers.data.city_tables`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from helpers.data.countries import resolve_country
from helpers.data.csv_files import FLOAT_FORMAT, write_csv
from helpers.data.io import HEADER_LINES, validate
from helpers.data.schemas import ARTICLE_FIGURES_CLEAN, CITIES
from helpers.data.values import parse_cell
from helpers.paths import resolve

LOG_COLUMNS = ["source", "row", "column", "before", "after", "rule"]
SOURCE_COLUMNS = ["name", "file", "sha256", "edition", "rows", "dropped_rows"]  # city_sources.csv: one row per table


@dataclass
class CleaningLog:
    """Every value changed or dropped: source, row (file line), column, before, after, rule."""

    entries: list[dict] = field(default_factory=list)
    chunks: list[pd.DataFrame] = field(default_factory=list)

    def add(self, source: str, row: int, column: str, before: object, after: object, rule: str) -> None:
        self.entries.append({"source": source, "row": row, "column": column,
                             "before": "" if before is None else str(before),
                             "after": "" if after is None else str(after), "rule": rule})

    def add_many(self, source: str, rows: pd.Series, column: str, before: object, after: object,
                 rule: object) -> None:
        """One entry per row of ``rows``; ``before``, ``after`` and ``rule`` are Series or one value for all."""
        if len(rows) == 0:
            return
        chunk = pd.DataFrame({"source": source, "row": rows.to_numpy(), "column": column}, index=rows.index)
        for name, value in (("before", before), ("after", after), ("rule", rule)):
            chunk[name] = (value.astype(str).to_numpy() if isinstance(value, pd.Series)
                           else "" if value is None else str(value))
        self.chunks.append(chunk[LOG_COLUMNS])

    def frame(self) -> pd.DataFrame:
        parts = [pd.DataFrame(self.entries, columns=LOG_COLUMNS), *self.chunks]
        return pd.concat(parts, ignore_index=True) if self.chunks else parts[0]


# --- article figures ----------------------------------------------------------------------------

def clean_article_figures(raw: pd.DataFrame, source: str = "article_figures") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Add ``country_code``, ``value`` and ``qualifier`` to the validated raw article figures."""
    log = CleaningLog()
    out = raw.copy()
    codes, values, qualifiers = [], [], []
    for index, fig in out.iterrows():
        line = int(index) + 1 + HEADER_LINES
        parsed = parse_cell(fig["value_text"], f"{source}, line {line}, column 'value_text'")
        values.append(parsed.value)
        qualifiers.append(parsed.qualifier)
        if parsed.qualifier != "exact" or not re.fullmatch(r"[\d.]+", fig["value_text"]):
            after = f"{FLOAT_FORMAT % parsed.value} ({parsed.qualifier})"
            log.add(source, line, "value_text", fig["value_text"], after, "parse_value_text")
        codes.append(None if pd.isna(fig["country"]) else resolve_country(fig["country"]).code)
    out["country_code"], out["value"], out["qualifier"] = codes, values, qualifiers
    return validate(out, ARTICLE_FIGURES_CLEAN, source), log.frame()


# --- output -------------------------------------------------------------------------------------

def write_processed(folder: str | Path, figures: pd.DataFrame, cities: pd.DataFrame, log: pd.DataFrame,
                    sources: pd.DataFrame | None = None) -> dict[str, Path]:
    """Write article_figures.csv, cities.csv, cleaning_log.csv and city_sources.csv (the input tables with
    their sha256, edition, rows and rows dropped by ``on_bad_rows: drop``) to ``folder`` (relative to the root)."""
    folder = resolve(folder)
    log = log.astype({"row": int}).sort_values(["source", "row", "column", "rule"], kind="mergesort")
    sources = sources if sources is not None else pd.DataFrame(columns=SOURCE_COLUMNS)
    return {name: write_csv(folder / f"{name}.csv", df)
            for name, df in (("article_figures", figures), ("cities", cities), ("cleaning_log", log),
                             ("city_sources", sources))}


def empty_cities() -> pd.DataFrame:
    """A city table with the canonical columns and no rows (article-only runs)."""
    return pd.DataFrame({c: pd.Series(dtype=str if c in ("source", "city", "country", "country_code") else float)
                         for c in CITIES.columns}).astype({"source_row": int})
