"""The short cuts that make cleaning a million-row city table fast give exactly what their Python definitions give.

Each vectorized path of `data.city_tables` and `data.names` that skips work for most cells is checked against
the one-value-at-a-time expression it stands for, on generated values (hypothesis) and on hand-picked edge cases
(non-ASCII digits and spaces, tabs, grouped and scaled numbers, missing markers, leading zeros).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.data.city_tables import _blank_rows, _resolve_countries, _schema, _tidy, damaged_names, gazetteer
from helpers.data.cleaning import FLOAT_FORMAT, CleaningLog
from helpers.data.countries import resolve_country
from helpers.data.io import validate
from helpers.data.names import key_array, match_key, match_keys
from helpers.data.number_cells import (
    MISSING_MARKERS,
    _parse_other,
    canonical_numbers,
    parse_numbers,
    python_texts,
    read_numbers,
    reformatted,
)
from helpers.data.schemas import CITIES
from helpers.data.text_arrays import TEXT, as_arrow, byte_at, stripped
from helpers.errors import RawDataError

# ASCII names of every shape match_key handles (words, runs of spaces, punctuation, a trailing "city"), a few
# non-ASCII letters and spaces
NAME_CHARS = "abcXYZ019 .'-\t" + "\u00e9\u00df\u00a0\u2009"
NAMES = ["New York City", "new york", "city", "City", " city", "x city", "x  city ", "xcity", "Ji'nan", "Medellín",
         "a\tb", "a\u00a0b", "ＡＢＣ city", "İstanbul", "", "007", "A  B", " a", "a ", "Ho Chi Minh City", "CITY 12"]


@given(st.lists(st.text(alphabet=NAME_CHARS, max_size=14), max_size=30))
@settings(max_examples=300, deadline=None)
def test_key_array_is_match_key_of_each_name(names):
    assert key_array(names).to_pylist() == [match_key(n) for n in names]


def test_key_array_edge_names_and_arrow_input():
    expected = [match_key(n) for n in NAMES]
    assert key_array(NAMES).to_pylist() == expected
    assert key_array(pa.array(NAMES, pa.string())).to_pylist() == expected  # Arrow arrays are taken as they are
    assert list(match_keys(pa.array([*NAMES, None], pa.large_string()))) == [*expected, ""]


def test_as_arrow_takes_arrow_strings_as_they_are():
    assert as_arrow(pa.chunked_array([["a", None], ["b"]], pa.string())).to_pylist() == ["a", "", "b"]
    assert as_arrow(pd.Series(["a", None, 3], dtype=object)).to_pylist() == ["a", "", "3"]


def _damaged_names_by_python(df: pd.DataFrame, source: str) -> tuple[list[str], list[tuple]]:
    """damaged_names' definition, one (country, city) pair at a time: (warnings, log rows)."""
    damaged, valid = gazetteer()
    warnings, log = [], []
    for code, city in df[["country_code", "city"]].drop_duplicates().itertuples(index=False, name=None):
        key = (code, match_key(city))
        if city.isascii() and key in damaged and key not in valid:
            lines = df.loc[(df["city"] == city) & (df["country_code"] == code), "source_row"].tolist()
            log += [(source, line, "city", city, damaged[key], "warning: damaged name?") for line in lines]
            warnings.append(f"{source}: city {city!r} looks like {damaged[key]!r} with letters lost; "
                            "fix it with city_names in a corrections file")
    return warnings, log


def test_damaged_names_are_the_python_definition():
    cities = ["Medelln", "Bogot", "Brasilia", "Xian", "Medellín", "So Paulo", "medelln", "Medelln City", "Lyon",
              "Medelln", "Bogot", "Taubat", "Zürich", "Bogot\u00e1", "So  Paulo", ""]
    codes = ["COL", "COL", "BRA", "CHN", "COL", "BRA", "COL", "COL", "FRA", "ESP", "COL", "BRA", "CHE", "COL",
             "BRA", "FRA"]
    df = pd.DataFrame({"source_row": range(2, 2 + len(cities)), "city": cities, "country_code": codes})
    log = CleaningLog()
    warnings = damaged_names(df, "t", log)
    expected_warnings, expected_log = _damaged_names_by_python(df, "t")
    assert warnings == expected_warnings and len(warnings) >= 3
    assert list(log.frame().itertuples(index=False, name=None)) == expected_log


# --- number cells -------------------------------------------------------------------------------

EDGE_CELLS = ["\u0663\u0664", "12\u00a0", "\u00a012", "\t12\t", " 1,234.50 ", "1,234.50", ".5", "5.", "9.43M", "n/a",
              "N/A", "", " ", "007", "-4", "1e5", "12.0", "2.50", "0", "0.0", "00", "0.00001", "0.0001", "0.00012",
              "1234567890", "12345678901", "1,234", "12,34", "1,2345", "01,234", "3 k", "2.5B", "-", "\u2013", "?",
              "none", "Null", "1.", ".", "1.2.3", "+5", "5%", "1 234", "\uff11\uff12", "12\u200b", "inf", "nan",
              "1_000", ",5", "0.1000000000000000055511151231257827", "123456789012345.5", "1234567890123456.0",
              "9" * 400, "about 5", "less than 6", "6.02e23", "100.0", "0.10", "10.05", "3.14159"]
NUMBER_CHARS = "0123456789.,-  \u00a0kKmMnNaA/\u0663"


def _plain_by_python(text: str) -> tuple[float, float] | None:
    """(value, step) of a plain or grouped number (ASCII digits), None for other texts.

    The step of such a number has always been NumPy's power of ten, 10.0 ** -decimals over an array, which is not
    Python's for 5 and 17 decimals (9.999999999999999e-06, not 1e-05)."""
    if not re.fullmatch(r"[0-9]+(\.[0-9]+)?|\.[0-9]+|[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?", text):
        return None
    digits = text.replace(",", "")
    decimals = len(digits) - digits.index(".") - 1 if "." in digits else 0
    return float(digits), float((10.0 ** -np.array([decimals]))[0])


def _numbers_by_python(cells: list[str]) -> tuple[list, list, list, list]:
    """parse_numbers' definition, one cell at a time: (value, step, problem, missing marker)."""
    values, steps, problems, markers = [], [], [], []
    for cell in cells:
        text = cell.strip()
        marker = text.lower() in MISSING_MARKERS
        plain = _plain_by_python(text)
        value, step, why = ((np.nan, np.nan, "") if marker or not text else (*plain, "") if plain
                            else _parse_other(text))
        values.append(value), steps.append(step), problems.append(why), markers.append(marker)
    return values, steps, problems, markers


def _same_floats(left: list[float], right: list[float]) -> bool:
    return all((a == b) or (np.isnan(a) and np.isnan(b)) for a, b in zip(left, right, strict=True))


def _check_numbers(cells: list[str]) -> None:
    value, step, problem = parse_numbers(pd.Series(cells, dtype=object))
    values, steps, problems, markers = _numbers_by_python(cells)
    assert _same_floats(value.tolist(), values) and _same_floats(step.tolist(), steps)
    assert problem.tolist() == problems
    assert read_numbers(stripped(cells)).marker.tolist() == markers


@given(st.lists(st.one_of(st.text(alphabet=NUMBER_CHARS, max_size=12), st.sampled_from(EDGE_CELLS)), max_size=30))
@settings(max_examples=300, deadline=None)
def test_read_numbers_is_the_python_definition(cells):
    _check_numbers(cells)


def test_read_numbers_edge_cells():
    _check_numbers(EDGE_CELLS)
    _check_numbers([])


def _canonical_by_python(text: str) -> bool:
    """The written form, as canonical_numbers has always defined it (its regex, in Python)."""
    return bool(re.fullmatch(r"(?:0|[1-9][0-9]*)(?:\.[0-9]*[1-9])?", text)) and len(text) <= (
        11 if "." in text else 10) and not text.startswith("0.0000")


@given(st.lists(st.one_of(st.from_regex(r"\A[0-9]{0,12}(\.[0-9]{0,8})?\Z"), st.text(alphabet=NUMBER_CHARS, max_size=12),
                          st.sampled_from(EDGE_CELLS)), max_size=30))
@settings(max_examples=300, deadline=None)
def test_canonical_numbers_is_the_python_definition(cells):
    texts = [c.strip() for c in cells]
    assert canonical_numbers(pd.Series(cells, dtype=object)).tolist() == [_canonical_by_python(t) for t in texts]
    for text, canonical in zip(texts, canonical_numbers(pa.array(texts, pa.large_string())), strict=True):
        if canonical:
            assert FLOAT_FORMAT % float(text) == text


def test_canonical_numbers_edge_cells():
    texts = [c.strip() for c in EDGE_CELLS]
    assert canonical_numbers(pd.Series(EDGE_CELLS)).tolist() == [_canonical_by_python(t) for t in texts]


@given(st.lists(st.one_of(st.from_regex(r"\A[0-9]{1,17}\.[0-9]{1,17}\Z"), st.from_regex(r"\A0\.0{0,6}[0-9]{1,8}\Z"),
                          st.floats(min_value=0, max_value=1e20).map(str), st.sampled_from(EDGE_CELLS)), max_size=30))
@settings(max_examples=300, deadline=None)
def test_python_texts_is_str_of_the_value(texts):
    values = np.array([float(t.replace(",", "")) if _plain_by_python(t) else 1.5 for t in texts])
    expected = [str(v) == t for v, t in zip(values.tolist(), texts, strict=True)]
    assert python_texts(pa.array(texts, pa.large_string()), values).tolist() == expected


def _reformatted_by_python(cells: list[str]) -> list[tuple[int, str, str]]:
    """(position, text, written) of each number whose stripped text is neither %.10g nor str of its value."""
    out = []
    for at, (cell, value) in enumerate(zip(cells, _numbers_by_python(cells)[0], strict=True)):
        text, written = cell.strip(), FLOAT_FORMAT % value
        if not np.isnan(value) and text != written and text != str(value):
            out.append((at, text, written))
    return out


@given(st.lists(st.one_of(st.from_regex(r"\A[0-9]{1,13}(\.[0-9]{0,6})?\Z"), st.text(alphabet=NUMBER_CHARS, max_size=12),
                          st.sampled_from(EDGE_CELLS)), max_size=30))
@settings(max_examples=300, deadline=None)
def test_reformatted_is_the_python_definition(cells):
    shown = stripped(cells)
    at, texts, written = reformatted(shown, read_numbers(shown))
    assert list(zip(at.tolist(), texts.to_pylist(), written.to_pylist(), strict=True)) == _reformatted_by_python(cells)


def test_reformatted_edge_cells():
    shown = stripped(EDGE_CELLS)
    at, texts, written = reformatted(shown, read_numbers(shown))
    assert list(zip(at.tolist(), texts.to_pylist(), written.to_pylist(), strict=True)) == _reformatted_by_python(
        EDGE_CELLS)


@given(st.lists(st.text(alphabet="ab0.\u00e9 ", max_size=6), max_size=20), st.integers(-7, 7))
@settings(max_examples=200, deadline=None)
def test_byte_at_is_the_byte_of_the_utf8_text(texts, at):
    def byte(text: str) -> int:
        data = text.encode()
        return data[at] if -len(data) <= at < len(data) else 0

    array = pa.array(["x", *texts], pa.large_string()).slice(1)  # an offset into the buffers, as a filter leaves
    assert byte_at(array, at).tolist() == [byte(t) for t in texts]


# --- whitespace and blank rows ------------------------------------------------------------------

SPACE_CHARS = "ab' \t\n\x0b\x0c\r\x1c\x1f\x85\u00a0\u2009\u3000\u2028\u2018\u2019\u200b\u180e\ufeff"


@given(st.lists(st.text(alphabet=SPACE_CHARS, max_size=10), max_size=30))
@settings(max_examples=300, deadline=None)
def test_tidy_is_python_whitespace_collapsed(texts):
    straight = [t.replace("\u2019", "'").replace("\u2018", "'") for t in texts]
    assert _tidy(pd.Series(texts, dtype=object)).tolist() == [re.sub(r"\s+", " ", t).strip() for t in straight]


@given(st.lists(st.tuples(*[st.one_of(st.none(), st.text(alphabet=" \t\u00a0\u3000x", max_size=3))] * 3), max_size=20))
@settings(max_examples=200, deadline=None)
def test_blank_rows_are_rows_of_whitespace(rows):
    raw = pd.DataFrame(rows, columns=["a", "b", "c"], dtype=object).astype(TEXT)
    expected = [all((cell or "").strip() == "" for cell in row) for row in rows]
    assert _blank_rows(raw).tolist() == expected


# --- countries and validation -------------------------------------------------------------------

def test_countries_are_resolved_as_each_row_by_python():
    names = ["China", "england (UK)", "Rusia", "Narnia", "", "China", "Côte d'Ivoire", "Narnia", "usa", "UK"]
    df = pd.DataFrame({"source_row": range(2, 2 + len(names)), "country": pd.Series(names, dtype=TEXT)})
    log = CleaningLog()
    out, problems = _resolve_countries(df.copy(), "Country", "t", log)
    expected_log, expected_problems, codes, shown = [], [], [], []
    for line, name in zip(df["source_row"], names, strict=True):
        try:
            country = resolve_country(name) if name else None
        except ValueError as exc:
            country, why = None, str(exc)
            expected_problems.append((line, "Country", why))
        codes.append(country.code if country else "")
        shown.append(country.name if country else name)
        if country and country.rule != "exact":
            expected_log.append(("t", line, "country", name, country.name, country.rule))
    assert out["country_code"].tolist() == codes and out["country"].tolist() == shown
    assert out["country"].dtype == TEXT and out["country_code"].dtype == TEXT
    assert problems == expected_problems and len(problems) == 2
    assert list(log.frame().itertuples(index=False, name=None)) == expected_log


def _cities(names: list[str], population: float = 10.0) -> pd.DataFrame:
    size = len(names)
    return pd.DataFrame({"source": "t", "source_row": range(2, 2 + size), "city": pd.Series(names, dtype=TEXT),
                         "country": pd.Series(["France"] * size, dtype=TEXT),
                         "country_code": pd.Series(["FRA"] * size, dtype=TEXT), "cameras": 1.0,
                         "population": population, "stated_per_1000": 1.0, "stated_per_sq_mi": 1.0, "crime_index": 1.0,
                         "area_sq_mi": 1.0, "area_km2": 2.5})


def _validated(df: pd.DataFrame, schema: object) -> object:
    try:
        return validate(df.copy(), schema, "t.csv")
    except RawDataError as exc:
        return str(exc)


def test_uniqueness_check_is_left_out_only_where_it_cannot_fail():
    distinct, repeated = _cities(["Lyon", "Paris", "lyon"]), _cities(["Lyon", "Paris", "Lyon"])
    assert _schema(distinct) is not CITIES and _schema(repeated) is CITIES
    for df in (distinct, repeated, _cities(["Lyon", "Paris"], population=0.0), _cities([])):
        fast, full = _validated(df, _schema(df)), _validated(df, CITIES)
        if isinstance(full, str):
            assert fast == full
        else:
            pd.testing.assert_frame_equal(fast, full)
    assert "uniqueness" in _validated(repeated, CITIES)
