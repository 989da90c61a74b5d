"""The column-at-a-time cleaning of `data.city_tables`, `data.number_cells` and `data.names` gives what the
one-value-at-a-time definitions give, on generated values (hypothesis) and on hand-picked edge cases (non-ASCII
digits and spaces, tabs, grouped and scaled numbers, missing markers, leading zeros).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.data.city_tables import _blank_rows, _resolve_countries, _schema, _tidy, damaged_names, gazetteer
from helpers.data.cleaning import FLOAT_FORMAT, CleaningLog
from helpers.data.countries import resolve_country
from helpers.data.io import validate
from helpers.data.names import match_key, match_keys
from helpers.data.number_cells import MISSING_MARKERS, read_numbers, reformatted, stripped
from helpers.data.schemas import CITIES
from helpers.data.values import parse_value_text
from helpers.errors import RawDataError

# ASCII names of every shape match_key handles (words, runs of spaces, punctuation, a trailing "city"), a few
# non-ASCII letters and spaces
NAME_CHARS = "abcXYZ019 .'-\t" + "\u00e9\u00df\u00a0\u2009"
NAMES = ["New York City", "new york", "city", "City", " city", "x city", "x  city ", "xcity", "Ji'nan", "Medellín",
         "a\tb", "a\u00a0b", "ＡＢＣ city", "İstanbul", "", "007", "A  B", " a", "a ", "Ho Chi Minh City", "CITY 12"]


@given(st.lists(st.text(alphabet=NAME_CHARS, max_size=14), max_size=30))
@settings(max_examples=100, deadline=None)
def test_match_keys_is_match_key_of_each_name(names):
    assert list(match_keys(names)) == [match_key(n) for n in names]


def test_match_keys_edge_names_and_missing():
    assert list(match_keys(pd.Series([*NAMES, None], dtype=object))) == [*(match_key(n) for n in NAMES), ""]


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


def test_read_numbers_by_hand():
    cells = pd.Series(["1", " 2.50 ", "1,234", "9.43M", "n/a", "", None, ".5", "12 k", "007", "about 5", "6,22"],
                      dtype=object)
    numbers = read_numbers(stripped(cells))
    # "9.43M" is 9.43 million, "12 k" 12 thousand, "007" 7; "n/a", "" and None are missing, "n/a" a marker;
    # "about 5" is not exact and "6,22" not a number: both problems
    assert numbers.value.tolist()[:4] == [1.0, 2.5, 1234.0, 9.43e6] and numbers.value.iloc[4:7].isna().all()
    assert numbers.value.tolist()[7:10] == [0.5, 12e3, 7.0] and numbers.value.iloc[10:].isna().all()
    assert numbers.marker.tolist() == [False] * 4 + [True] + [False] * 7
    assert numbers.problem.tolist()[:10] == [""] * 10
    assert numbers.problem.iloc[10] == "'about 5' is not an exact number"
    assert "is not a number this project can read" in numbers.problem.iloc[11]


def _numbers_by_python(cells: list[str]) -> tuple[list, list, list]:
    """read_numbers' definition, one cell at a time: (value, problem, missing marker)."""
    values, problems, markers = [], [], []
    for cell in cells:
        text = cell.strip()
        marker = text.lower() in MISSING_MARKERS
        value, why = np.nan, ""
        if re.fullmatch(r"[0-9]+(\.[0-9]+)?|\.[0-9]+|[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?", text):
            value = float(text.replace(",", ""))
        elif text and not marker:
            try:
                parsed = parse_value_text(text)
                value, why = (parsed.value, "") if parsed.qualifier == "exact" else (np.nan, f"{text!r} is not an "
                                                                                             "exact number")
            except ValueError as exc:
                why = str(exc)
        values.append(value), problems.append(why), markers.append(marker)
    return values, problems, markers


def _same_floats(left: list[float], right: list[float]) -> bool:
    return all((a == b) or (np.isnan(a) and np.isnan(b)) for a, b in zip(left, right, strict=True))


def _check_numbers(cells: list[str]) -> None:
    numbers = read_numbers(stripped(pd.Series(cells, dtype=object)))
    values, problems, markers = _numbers_by_python(cells)
    assert _same_floats(numbers.value.tolist(), values)
    assert numbers.problem.tolist() == problems and numbers.marker.tolist() == markers


@given(st.lists(st.one_of(st.text(alphabet=NUMBER_CHARS, max_size=12), st.sampled_from(EDGE_CELLS)), max_size=30))
@settings(max_examples=100, deadline=None)
def test_read_numbers_is_the_python_definition(cells):
    _check_numbers(cells)


def test_read_numbers_edge_cells():
    _check_numbers(EDGE_CELLS)
    _check_numbers([])


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
@settings(max_examples=100, deadline=None)
@pytest.mark.slow
def test_reformatted_is_the_python_definition(cells):
    _check_reformatted(cells)


def test_reformatted_edge_cells():
    _check_reformatted(EDGE_CELLS)


def _check_reformatted(cells: list[str]) -> None:
    shown = stripped(pd.Series(cells, dtype=object))
    found = reformatted(shown, read_numbers(shown).value)
    got = list(zip(found.index.tolist(), found["text"].tolist(), found["written"].tolist(), strict=True))
    assert got == _reformatted_by_python(cells)


# --- whitespace and blank rows ------------------------------------------------------------------

SPACE_CHARS = "ab' \t\n\x0b\x0c\r\x1c\x1f\x85\u00a0\u2009\u3000\u2028\u2018\u2019\u200b\u180e\ufeff"


@given(st.lists(st.text(alphabet=SPACE_CHARS, max_size=10), max_size=30))
@settings(max_examples=100, deadline=None)
def test_tidy_is_python_whitespace_collapsed(texts):
    straight = [t.replace("\u2019", "'").replace("\u2018", "'") for t in texts]
    assert _tidy(pd.Series(texts, dtype=object)).tolist() == [re.sub(r"\s+", " ", t).strip() for t in straight]


def test_tidy_whitespace_is_python_whitespace():
    # every code point Python calls space is collapsed, no other one (none is above U+3000)
    points = [chr(c) for c in range(0x3100) if not 0xD800 <= c < 0xE000]
    texts = pd.Series([f" a{c}{c}b " for c in points], dtype=object)
    straight = [t.replace("\u2019", "'").replace("\u2018", "'") for t in texts]  # curly apostrophes too
    assert _tidy(texts).tolist() == [re.sub(r"\s+", " ", t).strip() for t in straight]


@given(st.lists(st.tuples(*[st.one_of(st.none(), st.text(alphabet=" \t\u00a0\u3000x", max_size=3))] * 3), max_size=20))
@settings(max_examples=100, deadline=None)
def test_blank_rows_are_rows_of_whitespace(rows):
    raw = pd.DataFrame(rows, columns=["a", "b", "c"], dtype=object).astype("str")
    expected = [all((cell or "").strip() == "" for cell in row) for row in rows]
    assert _blank_rows(raw).tolist() == expected


# --- countries and validation -------------------------------------------------------------------

def test_countries_are_resolved_as_each_row_by_python():
    names = ["China", "england (UK)", "Rusia", "Narnia", "", "China", "Côte d'Ivoire", "Narnia", "usa", "UK"]
    df = pd.DataFrame({"source_row": range(2, 2 + len(names)), "country": pd.Series(names, dtype="str")})
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
    assert out["country"].dtype == "str" and out["country_code"].dtype == "str"
    assert problems == expected_problems and len(problems) == 2
    assert list(log.frame().itertuples(index=False, name=None)) == expected_log


def _cities(names: list[str], population: float = 10.0) -> pd.DataFrame:
    size = len(names)
    return pd.DataFrame({"source": "t", "source_row": range(2, 2 + size), "city": pd.Series(names, dtype="str"),
                         "country": pd.Series(["France"] * size, dtype="str"),
                         "country_code": pd.Series(["FRA"] * size, dtype="str"), "cameras": 1.0,
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
