"""Clean the article's figures and public city tables into the project's tidy tables, logging every change."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from helpers.atomic import write_text
from helpers.checksums import verify
from helpers.countries import resolve_country
from helpers.density import implied_area
from helpers.errors import ParameterError, RawDataError
from helpers.io import HEADER_LINES, read_text_table, validate
from helpers.paths import DATA_RAW, relative, resolve
from helpers.schemas import ARTICLE_FIGURES_CLEAN, CITIES
from helpers.tables import to_csv
from helpers.units import sq_mi_to_km2
from helpers.values import parse_cell

LAYOUTS_FILE = DATA_RAW / "city_table_layouts.yml"
CANONICAL = ("city", "country", "cameras", "population", "stated_per_1000", "stated_per_sq_mi", "crime_index")
NUMERIC = CANONICAL[2:]
REQUIRED = ("city", "country")
LOG_COLUMNS = ["source", "row", "column", "before", "after", "rule"]
FLOAT_FORMAT = "%.10g"
MISSING_MARKERS = {"n/a", "na", "-", "\u2013", "\u2014", "?", "none", "null"}


@dataclass
class CleaningLog:
    """Every value changed or dropped: source, row (file line), column, before, after, rule."""

    entries: list[dict] = field(default_factory=list)

    def add(self, source: str, row: int, column: str, before: object, after: object, rule: str) -> None:
        self.entries.append({"source": source, "row": row, "column": column,
                             "before": "" if before is None else str(before),
                             "after": "" if after is None else str(after), "rule": rule})

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.entries, columns=LOG_COLUMNS)


# --- layouts ------------------------------------------------------------------------------------

def _header_key(text: str) -> str:
    return " ".join(str(text).replace("\ufeff", "").split()).casefold()


def known_layouts(path: Path = LAYOUTS_FILE) -> dict[str, dict[str, str]]:
    """{layout name: {canonical column: header}} from the layouts file (checksum-verified)."""
    verify(path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {name: dict(spec["columns"]) for name, spec in data["layouts"].items()}


def load_mapping(mapping: dict | str | Path | None) -> dict[str, str] | None:
    """A column mapping given as a dict, or as a YAML file (a ``columns:`` mapping or a flat one)."""
    if mapping is None or isinstance(mapping, dict):
        result = mapping
    else:
        path = resolve(mapping)
        if not path.is_file():
            raise ParameterError(f"parameter 'column_mapping': file {relative(path)} does not exist")
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        result = data.get("columns", data) if isinstance(data, dict) else None
    if result is None:
        return None
    unknown = sorted(set(result) - set(CANONICAL))
    if unknown or not isinstance(result, dict):
        raise ParameterError(f"parameter 'column_mapping': keys {unknown} are not canonical columns; "
                             f"use {', '.join(CANONICAL)}")
    missing = [c for c in REQUIRED if c not in result]
    if missing:
        raise ParameterError(f"parameter 'column_mapping' must map {', '.join(missing)}")
    return {str(k): str(v) for k, v in result.items()}


def match_layout(headers: list[str], mapping: dict[str, str] | None, source: str) -> dict[str, str]:
    """{canonical column: header in the file}; a known layout is recognised without a mapping."""
    present = {_header_key(h): h for h in headers}
    candidates = {"column_mapping": mapping} if mapping else known_layouts()
    for spec in candidates.values():
        if all(_header_key(h) in present for h in spec.values()):
            return {canon: present[_header_key(h)] for canon, h in spec.items()}
    expected = "; ".join(f"{name}: {', '.join(spec.values())}" for name, spec in candidates.items())
    raise RawDataError(f"{source}: unknown table layout. Columns found: {', '.join(map(str, headers))}. "
                       f"Columns expected ({expected}). Pass a column_mapping for a new layout.")


# --- city tables --------------------------------------------------------------------------------

def _tidy_text(value: str) -> str:
    return " ".join(value.replace("\u2019", "'").replace("\u2018", "'").split())


def _clean_row(raw: pd.Series, line: int, columns: dict[str, str], source: str, where: str,
               log: CleaningLog) -> dict:
    out: dict[str, object] = {"source": source, "source_row": line}
    for canon, header in columns.items():
        text = raw[header]
        if canon in ("city", "country"):
            if pd.isna(text) or not str(text).strip():
                raise RawDataError(f"{where}, line {line}, column '{header}': value is missing")
            tidy = _tidy_text(str(text))
            if tidy != text:
                log.add(source, line, canon, text, tidy, "strip_whitespace")
            out[canon] = tidy
        elif pd.isna(text) or not str(text).strip():
            out[canon] = np.nan
        elif str(text).strip().casefold() in MISSING_MARKERS:
            out[canon] = np.nan
            log.add(source, line, canon, text, "", "missing_marker")
        else:
            parsed = parse_cell(text, f"{where}, line {line}, column '{header}'")
            if parsed.qualifier != "exact":
                raise RawDataError(f"{where}, line {line}, column '{header}': {text!r} is not an exact number")
            out[canon] = parsed.value
            if str(text).strip() != FLOAT_FORMAT % parsed.value and str(text).strip() != str(parsed.value):
                rule = "thousands_separator" if "," in str(text) else "number_format"
                log.add(source, line, canon, text, FLOAT_FORMAT % parsed.value, rule)
    try:
        country = resolve_country(out["country"])
    except ValueError as exc:
        raise RawDataError(f"{where}, line {line}, column '{columns['country']}': {exc}") from None
    if country.rule != "exact":
        log.add(source, line, "country", out["country"], country.name, country.rule)
    out["country"], out["country_code"] = country.name, country.code
    return out


def _derive_area(df: pd.DataFrame, log: CleaningLog) -> pd.DataFrame:
    """Implied area = cameras / stated per-square-mile, where both are positive (logged where not)."""
    cams, dens = df["cameras"], df["stated_per_sq_mi"]
    ok = (cams > 0) & (dens > 0)
    df["area_sq_mi"] = np.nan
    df.loc[ok, "area_sq_mi"] = implied_area(cams[ok], dens[ok])
    df["area_km2"] = sq_mi_to_km2(df["area_sq_mi"])
    for r in df[~ok].itertuples():
        log.add(r.source, r.source_row, "area_sq_mi", f"cameras={r.cameras:g}, per_sq_mi={r.stated_per_sq_mi:g}",
                "", "area_not_derivable")
    return df


def read_city_table(path: str | Path, mapping: dict | str | Path | None = None,
                    source: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read a Comparitech-style city table into the CITIES schema; return (cities, cleaning log)."""
    path = resolve(path)
    source = source or path.stem
    where = relative(path)
    raw = read_text_table(path)
    columns = match_layout(list(raw.columns), load_mapping(mapping), where)
    log = CleaningLog()
    rows = []
    for index, record in raw.iterrows():
        line = int(index) + 1 + HEADER_LINES
        if record.isna().all() or not "".join(record.fillna("").astype(str)).strip():
            log.add(source, line, "*", ",".join(record.fillna("").astype(str)), "", "blank_row_dropped")
            continue
        rows.append(_clean_row(record, line, columns, source, where, log))
    df = pd.DataFrame(rows).reindex(columns=["source", "source_row", "city", "country", "country_code", *NUMERIC])
    df = _derive_area(df, log)
    df = df[list(CITIES.columns)].sort_values(["source", "source_row"], kind="mergesort").reset_index(drop=True)
    return validate(df, CITIES, where), log.frame()


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

def write_processed(folder: str | Path, figures: pd.DataFrame, cities: pd.DataFrame,
                    log: pd.DataFrame) -> dict[str, Path]:
    """Write article_figures.csv, cities.csv and cleaning_log.csv to ``folder`` (relative to the root)."""
    folder = resolve(folder)
    log = log.sort_values(["source", "row", "column", "rule"], kind="mergesort")
    return {name: write_text(folder / f"{name}.csv", to_csv(df))
            for name, df in (("article_figures", figures), ("cities", cities), ("cleaning_log", log))}


def empty_cities() -> pd.DataFrame:
    """A city table with the canonical columns and no rows (article-only runs)."""
    return pd.DataFrame({c: pd.Series(dtype=str if c in ("source", "city", "country", "country_code") else float)
                         for c in CITIES.columns}).astype({"source_row": int})


# --- notebook 01 entry points -------------------------------------------------------------------

def resolve_city_tables(city_tables: object) -> list[tuple[str, Path]]:
    """Turn the ``city_tables`` parameter into (source name, local path) pairs, fetching known tables."""
    from helpers.fetch import TABLES, fetch_table

    if city_tables is None:
        return []
    entries = [city_tables] if isinstance(city_tables, str | Path) else city_tables
    if not isinstance(entries, list | tuple):
        raise ParameterError(f"parameter 'city_tables' must be a list of table names or paths, got {city_tables!r}")
    resolved = []
    for entry in entries:
        if str(entry) in TABLES:
            resolved.append((str(entry), fetch_table(str(entry))))
            continue
        path = resolve(entry)
        if not path.is_file():
            raise ParameterError(f"parameter 'city_tables': {entry!r} is neither a known public table "
                                 f"({', '.join(sorted(TABLES))}) nor an existing file ({path})")
        resolved.append((path.stem, path))
    return resolved


def read_city_tables(tables: list[tuple[str, Path]],
                     mapping: dict | str | Path | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read and stack several city tables; return (cities, cleaning log)."""
    if not tables:
        return empty_cities(), CleaningLog().frame()
    parts = [read_city_table(path, mapping, source) for source, path in tables]
    cities = pd.concat([c for c, _ in parts], ignore_index=True)
    cities = cities.sort_values(["source", "source_row"], kind="mergesort").reset_index(drop=True)
    return validate(cities, CITIES, "city tables"), pd.concat([log for _, log in parts], ignore_index=True)
