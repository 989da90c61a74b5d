"""The paths that grow with the city table give what their row-by-row definitions give.

`helpers.io.duplicate_rows` (validation), `helpers.density.printed_texts`, `_steps` and `find_city` are checked
against the plain row-by-row versions they replace, on generated tables. `make bench` (``--scale``) times them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import density
from helpers.cleaning import FLOAT_FORMAT
from helpers.density import NUMERIC, REFORMATTED, city_keys, find_city, printed_texts
from helpers.io import duplicate_rows
from helpers.names import match_key
from helpers.values import printed_step


# ----------------------------------------------------------------------------- the row-by-row definitions
def duplicates_by_row(df: pd.DataFrame) -> list[tuple[object, object]]:
    first: dict[tuple, object] = {}
    out = []
    cells = df.astype(object).where(df.notna(), "")
    for index, key in zip(df.index, cells.itertuples(index=False, name=None), strict=True):
        if key in first:
            out.append((index, first[key]))
        else:
            first[key] = index
    return out


def printed_by_row(cities: pd.DataFrame, log: pd.DataFrame | None) -> pd.DataFrame:
    texts = pd.DataFrame({c: cities[c].map(lambda v: "" if pd.isna(v) else FLOAT_FORMAT % v) for c in NUMERIC},
                         index=cities.index)
    if log is None or not len(log):
        return texts
    log = log.astype({"row": int})
    fixed = log["rule"].astype(str).str.startswith("value_correction")
    corrected = set(zip(log.loc[fixed, "source"], log.loc[fixed, "row"], log.loc[fixed, "column"], strict=True))
    printed = log[log["rule"].isin(REFORMATTED) & log["column"].isin(NUMERIC)]
    before = {(s, r, c): b for s, r, c, b in zip(printed["source"], printed["row"], printed["column"],
                                                   printed["before"], strict=True) if (s, r, c) not in corrected}
    for col in NUMERIC:
        keys = list(zip(cities["source"], cities["source_row"].astype(int), [col] * len(cities), strict=True))
        found = pd.Series([before.get(k) for k in keys], index=cities.index)
        texts[col] = found.where(found.notna(), texts[col])
    return texts


def steps_by_row(texts: pd.Series) -> pd.Series:
    def step(text: str) -> float:
        if not text:
            return np.nan
        try:
            value = printed_step(text)
        except ValueError:
            return 0.0
        return 0.0 if np.isnan(value) else value

    return texts.map({t: step(t) for t in texts.unique()}).astype(float)


# ----------------------------------------------------------------------------- generated tables
NUMBERS = st.one_of(st.none(), st.floats(min_value=0, max_value=1e13, allow_nan=False),
                    st.integers(0, 10**9).map(float), st.integers(0, 10**6).map(lambda n: n / 100))
TEXTS = st.sampled_from(["", "120", "73.31", ".5", "5.", "0.0001", "1e+15", "9.43M", "691,000", "n/a", " 7 ",
                         "1.2.3", "٣٤", "12 thousand", "-4", "third", "about 40", "6,220.5"])


@st.composite
def tables(draw):
    n = draw(st.integers(0, 12))
    cities = pd.DataFrame({"source": [draw(st.sampled_from(["t1", "t2"])) for _ in range(n)],
                           "source_row": list(range(2, n + 2)),
                           **{c: [draw(NUMBERS) for _ in range(n)] for c in NUMERIC}})
    cities = cities.astype({c: float for c in NUMERIC})
    entries = draw(st.lists(st.tuples(st.sampled_from(["t1", "t2"]), st.integers(1, n + 2),
                                      st.sampled_from([*NUMERIC, "city"]),
                                      st.sampled_from([*REFORMATTED, "value_correction: x", "missing_marker"]),
                                      st.one_of(st.none(), TEXTS)), max_size=10))
    log = pd.DataFrame(entries, columns=["source", "row", "column", "rule", "before"]).astype(
        {"row": str, "before": "str"}) if entries else None
    return cities, log


@settings(max_examples=200, deadline=None)
@given(tables())
def test_printed_texts_equal_the_row_by_row_version(table):
    cities, log = table
    pd.testing.assert_frame_equal(printed_texts(cities, log), printed_by_row(cities, log))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(TEXTS, NUMBERS.map(lambda v: "" if v is None else FLOAT_FORMAT % v)), max_size=20))
def test_printed_steps_equal_the_row_by_row_version(texts):
    series = pd.Series(texts, dtype="str") if texts else pd.Series([], dtype="str")
    pd.testing.assert_series_equal(density._steps(series), steps_by_row(series))


@settings(max_examples=200, deadline=None)
@given(st.lists(NUMBERS, max_size=12))
def test_source_decimals_equal_the_row_by_row_version(values):
    series = pd.Series([np.nan if v is None else v for v in values], dtype=float)
    present = series.dropna()
    expected = 2 if present.empty else int(min(present.map(
        lambda v: len((FLOAT_FORMAT % v).partition(".")[2]) if "e" not in FLOAT_FORMAT % v else 6).max(), 6))
    assert density.source_decimals(series) == expected


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", None, ""]), st.sampled_from([1.0, 2.0, np.nan]),
                          st.sampled_from([1, 2])), max_size=12), st.booleans())
def test_duplicate_rows_equal_the_row_by_row_version(rows, shuffled):
    df = pd.DataFrame(rows, columns=["city", "value", "n"])
    if shuffled:
        df.index = list(reversed(range(len(df))))
    assert duplicate_rows(df) == duplicates_by_row(df)


def test_find_city_keys_follow_changes_to_the_table():
    cities = pd.DataFrame({"city": ["New York City", "Zürich", "London"], "n": [1, 2, 3]})
    assert find_city(cities, "new york")["n"] == 1 and find_city(cities, "Zurich")["n"] == 2
    assert find_city(cities, "Paris") is None
    cities.loc[2, "city"] = "Paris"  # copy-on-write: the kept keys belong to the old column
    assert find_city(cities, "Paris")["n"] == 3 and find_city(cities, "London") is None
    reordered = cities.sort_values("n", ascending=False)
    assert find_city(reordered, "zurich")["n"] == 2
    assert list(city_keys(reordered["city"])) == [match_key(c) for c in reordered["city"]]


@pytest.mark.parametrize("dtype", ["str", object])
def test_city_keys_match_the_row_by_row_keys(dtype):
    names = pd.Series(["Ji'nan", "Jinan", "São Paulo", "Mexico City", "  Delhi ", "Mexico City"], dtype=dtype)
    assert list(city_keys(names)) == [match_key(n) for n in names]
