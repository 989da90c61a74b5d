"""The short cuts that make cleaning a million-row city table fast give exactly what their Python definitions give.

Each vectorized path of `helpers.city_tables` and `helpers.names` that skips work for most cells is checked against
the one-value-at-a-time expression it stands for, on generated values (hypothesis) and on hand-picked edge cases
(non-ASCII digits and spaces, tabs, grouped and scaled numbers, missing markers, leading zeros).
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.city_tables import damaged_names, gazetteer
from helpers.cleaning import CleaningLog
from helpers.names import key_array, match_key, match_keys
from helpers.text_arrays import as_arrow

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
