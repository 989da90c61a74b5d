"""The ``city_tables`` parameter: each entry a known table name, a CSV path, or a mapping of per-table options.

    city_tables = ["comparitech_2021", "data/mine.csv",
                   {"path": "data/later.csv", "edition": "2023", "column_mapping": "data/later_columns.yml",
                    "corrections": "data/later_fixes.yml", "on_bad_rows": "drop", "name": "later",
                    "encoding": "latin-1"}]

A corrections file (YAML) fixes what a table gets wrong without editing the table; every correction
is written to the cleaning log:

    country_aliases: {q: Israel}              # a country as written -> the country it means
    city_names: {Medelln: Medellín}           # a city as written -> its name
    drop_rows:                                # rows to leave out, each with a reason
      - {line: 12, reason: duplicate of line 11}
      - {city: Xinbei, reason: a district, not a city}
    values:                                   # a value to use instead of the table's, with its source
      - {city: Taiyuan, column: cameras, value: 465255, source: Comparitech 2021, first row}
    on_bad_rows: drop                         # or stop (the default): rows that cannot be read

This module reads no table (no pandas): the batch runner uses it to hash every file an entry names.
"""

from __future__ import annotations

import codecs
import difflib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from helpers.data.yaml_config import load_yaml
from helpers.errors import ParameterError, RawDataError
from helpers.paths import relative, resolve

CANONICAL = ("city", "country", "cameras", "population", "stated_per_1000", "stated_per_sq_mi", "crime_index")
NUMERIC = CANONICAL[2:]
BadRows = Literal["stop", "drop"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DropRow(_Strict):
    line: int | None = Field(None, ge=2)
    city: str | None = None
    country: str | None = None
    reason: str = Field(min_length=1)

    @model_validator(mode="after")
    def _names_a_row(self) -> DropRow:
        if self.line is None and self.city is None:
            raise ValueError("a row to drop needs a line or a city")
        return self


class ValueFix(_Strict):
    city: str
    country: str | None = None
    column: Literal["cameras", "population", "stated_per_1000", "stated_per_sq_mi", "crime_index"]
    value: float = Field(ge=0)
    source: str = Field(min_length=1)


class Corrections(_Strict):
    """What a corrections file may say."""

    country_aliases: dict[str, str] = {}
    city_names: dict[str, str] = {}
    drop_rows: list[DropRow] = []
    values: list[ValueFix] = []
    on_bad_rows: BadRows | None = None


class TableEntry(_Strict):
    """One city table and its options."""

    path: str | None = None
    table: str | None = None  # a known public table (helpers/data/fetch.py)
    name: str | None = None  # the table's name in the outputs (default: the file's stem or the table name)
    edition: str | None = None  # e.g. "2021", "2023": which edition of the ranking the table is
    column_mapping: dict[str, str] | str | None = None
    corrections: str | None = None
    on_bad_rows: BadRows | None = None
    encoding: str | None = None  # the file's text encoding (default UTF-8), e.g. "latin-1"

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                codecs.lookup(value)
            except LookupError:
                raise ValueError(f"unknown encoding {value!r}; e.g. utf-8, latin-1, cp1252") from None
        return value

    @model_validator(mode="after")
    def _one_source(self) -> TableEntry:
        if (self.path is None) == (self.table is None):
            raise ValueError("give exactly one of 'path' (a CSV file) or 'table' (a known public table)")
        return self

    @property
    def source(self) -> str:
        return self.name or (self.table if self.table else Path(self.path or "").stem)


def _first_error(exc: ValidationError) -> str:
    """The first of pydantic's errors, on one line (a key or value's line breaks shown as \\n)."""
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"])
    if err["type"] == "extra_forbidden":
        known = [*TableEntry.model_fields, *Corrections.model_fields, *DropRow.model_fields, *ValueFix.model_fields]
        close = difflib.get_close_matches(str(err["loc"][-1]), known, n=1)
        text = f"{where}: unknown key" + (f"; did you mean {close[0]!r}?" if close else "")
    else:
        text = f"{where}: {err['msg']}" if where else err["msg"]
    return text.replace("\r", "\\r").replace("\n", "\\n")


def entries(city_tables: object, column_mapping: object = None) -> list[TableEntry]:
    """The entries of ``city_tables`` as TableEntry; ``column_mapping`` applies to entries without their own."""
    from helpers.data.fetch import TABLES

    if city_tables is None:
        return []
    items = [city_tables] if isinstance(city_tables, str | Path | dict) else city_tables
    if not isinstance(items, list | tuple):
        raise ParameterError(f"parameter 'city_tables' must be a list of table names, paths or mappings, "
                             f"got {city_tables!r}")
    out = []
    for i, item in enumerate(items):
        if isinstance(item, str | Path):
            item = {"table": str(item)} if str(item) in TABLES else {"path": str(item)}
        if not isinstance(item, dict):
            raise ParameterError(f"parameter 'city_tables'[{i}] must be a name, a path or a mapping, got {item!r}")
        try:
            entry = TableEntry(**item)
        except (ValidationError, TypeError) as exc:
            why = _first_error(exc) if isinstance(exc, ValidationError) else str(exc)
            raise ParameterError(f"parameter 'city_tables'[{i}]: {why}") from None
        if entry.column_mapping is None and column_mapping is not None:
            entry = entry.model_copy(update={"column_mapping": column_mapping})
        if entry.table is not None and entry.table not in TABLES:
            raise ParameterError(f"parameter 'city_tables'[{i}]: unknown public table {entry.table!r}; "
                                 f"known: {', '.join(sorted(TABLES))}")
        out.append(entry)
    names = [e.source for e in out]
    if dup := sorted({n for n in names if names.count(n) > 1}):
        raise ParameterError(f"parameter 'city_tables': two tables are named {dup[0]!r}; give one a 'name'")
    return out


def local_file(entry: TableEntry) -> Path:
    """The entry's CSV on this machine: a known table is fetched (or found in the cache) by its pinned sha256."""
    from helpers.data.fetch import fetch_table

    if entry.table is not None:
        return fetch_table(entry.table)
    path = resolve(entry.path or "")
    if not path.is_file():
        raise ParameterError(f"parameter 'city_tables': {not_found(entry.path or '', path)}")
    return path


def not_found(given: str, path: Path) -> str:
    """What an entry's path that names no file is: neither a file nor a known public table, whose names follow."""
    from helpers.data.fetch import TABLES

    return (f"{given!r} is neither an existing file ({relative(path)}) nor a known public table name "
            f"(known: {', '.join(sorted(TABLES))})")


def named_files(entry: TableEntry) -> dict[str, Path | str]:
    """{what: file} for every file the entry names (a known table as its pinned sha256 instead of a path)."""
    from helpers.data.fetch import TABLES

    out: dict[str, Path | str] = {}
    if entry.table is not None:
        out[f"table:{entry.table}"] = TABLES[entry.table].sha256
    else:
        out["path"] = resolve(entry.path or "")
    if isinstance(entry.column_mapping, str):
        out["column_mapping"] = resolve(entry.column_mapping)
    if entry.corrections is not None:
        out["corrections"] = resolve(entry.corrections)
    return out


def load_corrections(entry: TableEntry) -> Corrections:
    """The entry's corrections file, validated (an empty Corrections without one)."""
    if entry.corrections is None:
        return Corrections()
    path = resolve(entry.corrections)
    where = relative(path)
    if not path.is_file():
        raise ParameterError(f"parameter 'city_tables': corrections file {where} does not exist")
    data: Any = load_yaml(path) or {}
    if not isinstance(data, dict):
        raise RawDataError(f"{where}: expected a mapping of {', '.join(Corrections.model_fields)}")
    try:
        return Corrections.model_validate(data)
    except ValidationError as exc:
        raise RawDataError(f"{where}: {_first_error(exc)}") from None
