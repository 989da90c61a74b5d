"""Read tables and validate them against a pandera schema, with one clear error per bad file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from helpers.data.checksums import SUMS_FILE, verify
from helpers.data.schemas import ARTICLE_FIGURES_CLEAN, CITIES
from helpers.data.table_facts import source_decimals
from helpers.errors import RawDataError
from helpers.paths import DATA_RAW, relative, resolve

HEADER_LINES = 1  # a data row's file line = its 1-based row number + HEADER_LINES
# how a table is read with every cell as text: blank cells missing, blank lines kept as rows (so a row's line is known)
TEXT_CELLS = {"dtype": str, "keep_default_na": False, "na_values": [""], "skip_blank_lines": False}


def read_text_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV with every cell as text (blank cells become missing), keeping blank lines; pandas' errors name
    the fault."""
    path = resolve(path)
    try:
        return pd.read_csv(path, encoding="utf-8-sig", **TEXT_CELLS)
    except FileNotFoundError:
        raise RawDataError(f"{relative(path)}: file not found") from None
    except pd.errors.EmptyDataError:
        raise RawDataError(f"{relative(path)}: the file is empty (no header row, no data)") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise RawDataError(f"{relative(path)}: cannot be read as UTF-8 CSV ({exc})") from None


def _where(index: object) -> str:
    row = int(index) + 1  # type: ignore[call-overload]
    return f"row {row} (line {row + HEADER_LINES})"


def _describe(failures: pd.DataFrame, schema: pa.DataFrameSchema) -> list[str]:
    """Turn pandera's failure cases into one readable line per problem."""
    lines: list[str] = []
    seen: set[tuple[str, object]] = set()
    for case in failures.itertuples(index=False):
        check, column, value, index = str(case.check), case.column, case.failure_case, case.index
        if check == "column_in_dataframe":
            expected = ", ".join(schema.columns)
            lines.append(f"column '{value}' is missing (expected columns: {expected})")
        elif check == "column_in_schema":
            lines.append(f"column '{value}' is not expected (expected: {', '.join(schema.columns)})")
        elif check == "column_ordered":
            lines.append(f"column '{value}' is out of order (expected: {', '.join(schema.columns)})")
        elif index is None or pd.isna(index):
            continue  # a consequence of another failure in the same column (e.g. a failed cast)
        elif (column, index) in seen and check.startswith("dtype("):
            continue  # the failed coercion of the same cell was already reported
        else:
            seen.add((column, index))
            if check.startswith("coerce_dtype"):
                wanted = check[len("coerce_dtype('"):-2]
                lines.append(f"{_where(index)}, column '{column}': {value!r} is not a valid {wanted}")
            elif check == "field_uniqueness":
                lines.append(f"{_where(index)}, column '{column}': {value!r} is repeated")
            elif check == "not_nullable":
                lines.append(f"{_where(index)}, column '{column}': value is missing")
            else:
                lines.append(f"{_where(index)}, column '{column}': {value!r} fails {check}")
    return lines


def duplicate_rows(df: pd.DataFrame) -> list[tuple[object, object]]:
    """(index, index of its first occurrence) of every row that repeats an earlier one, in row order.

    A missing cell equals a missing or an empty one; vectorized: only the repeated rows are visited in Python.
    """
    texts = [c for c in df.columns if isinstance(df[c].dtype, pd.StringDtype)][:2]
    if df.empty or any(df[c].is_unique for c in df.select_dtypes("number").columns) or any(
            df[c].fillna("").is_unique for c in texts):
        return []  # a column of distinct values (a row number, a name) leaves no two rows alike
    cells = pd.DataFrame({i: (c.astype(object).where(c.notna(), "") if not pd.api.types.is_numeric_dtype(c) else c)
                          for i, (_, c) in enumerate(df.items())})
    repeated = cells.duplicated(keep="first").to_numpy()
    if not repeated.any():
        return []
    group = cells.groupby(list(cells.columns), dropna=False, sort=False).ngroup().to_numpy()
    first: dict[int, object] = {}
    for g, index, rep in zip(group, df.index, repeated, strict=True):
        if not rep:
            first.setdefault(int(g), index)
    return [(index, first[int(g)]) for g, index, rep in zip(group, df.index, repeated, strict=True) if rep]


def validate(df: pd.DataFrame, schema: pa.DataFrameSchema, source: str) -> pd.DataFrame:
    """Validate ``df`` against ``schema``; raise one RawDataError listing every problem.

    ``df`` is coerced in place and returned (every caller passes a frame of its own)."""
    problems = [f"{_where(index)}: duplicates {_where(first)}" for index, first in duplicate_rows(df)]
    try:
        out = schema.validate(df, lazy=True, inplace=True)
    except pa.errors.SchemaErrors as exc:
        problems.extend(_describe(exc.failure_cases, schema))
        out = None
    if problems:
        listing = "\n  ".join(problems)
        raise RawDataError(f"{source}: {len(problems)} problem(s) against the {schema.name} schema:\n  {listing}")
    return out


def load_table(path: str | Path, schema: pa.DataFrameSchema) -> pd.DataFrame:
    """Read a CSV as text and return it validated and typed by ``schema``."""
    return validate(read_text_table(path), schema, relative(resolve(path)))


def load_raw(name: str, schema: pa.DataFrameSchema, folder: Path = DATA_RAW) -> pd.DataFrame:
    """Load ``<folder>/<name>`` (default data/raw/) after checking its recorded sha256."""
    path = folder / name
    verify(path, folder / SUMS_FILE.name)
    return load_table(path, schema)


TABLE_RATE_DECIMALS = "table_rate_decimals"  # a key of cities.attrs: see load_processed


def load_processed(processed_dir: str | Path, country: str | None = None
                   ) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Cleaned article figures and city table written by notebook 01 (cities: None if there are none).

    ``country`` (an ISO3 code): that country's cities only, with their row labels in the whole table, read and
    validated without the other rows (a step that uses one country's rows of a large table). The one fact of
    the whole table a row's densities need, the decimals of its stated rates per 1,000, is kept in
    ``cities.attrs[TABLE_RATE_DECIMALS]`` (read by `helpers.analysis.density.city_densities`).
    """
    folder = resolve(processed_dir)
    figures_path, cities_path = folder / "article_figures.csv", folder / "cities.csv"
    if not figures_path.is_file():
        raise RawDataError(
            f"{relative(figures_path)} not found: run notebooks/01_data_cleaning.ipynb first "
            f"(or `make reproduce`) with processed_dir={processed_dir!r}"
        )
    figures = load_table(figures_path, ARTICLE_FIGURES_CLEAN)
    cities = _load_cities(cities_path, country) if cities_path.is_file() else None
    return figures, (cities if cities is not None and len(cities) else None)


def _load_cities(path: Path, country: str | None) -> pd.DataFrame:
    text = read_text_table(path)
    rates = _floats(text["stated_per_1000"]) if (
        country is not None and {"stated_per_1000", "country_code"} <= set(text.columns)) else None
    if rates is None:  # a cell the schema will name: validate every row
        return validate(text, CITIES, relative(path))
    rows = text[text["country_code"].eq(country).fillna(False).to_numpy(dtype=bool)]
    cities = validate(rows, CITIES, relative(path))
    cities.attrs[TABLE_RATE_DECIMALS] = source_decimals(rates)
    return cities


def _floats(texts: pd.Series) -> pd.Series | None:
    """The column as floats, None when a cell is not a number (the schema names it)."""
    try:
        return texts.astype(float)
    except (ValueError, TypeError):
        return None
