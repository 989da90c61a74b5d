"""The Arrow paths that make a million-row table fast give exactly what their plain Python definitions give.

Each vectorized function is checked against the one-value-at-a-time expression it replaces, on generated
values (hypothesis) and on hand-picked edge cases: `helpers.data.names.match_keys` against `match_key`,
`helpers.report.tables.format_floats` against ``"%.10g" %``, `helpers.data.city_tables.canonical_numbers` against
"the text is what %.10g prints", Arrow's whitespace trim against ``str.strip``, and `helpers.data.io.read_text_table`
(Arrow's reader) against pandas' reader.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.data.city_tables import canonical_numbers, parse_numbers
from helpers.data.float_text import format_floats
from helpers.data.io import _read_arrow, read_text_table
from helpers.data.names import match_key, match_keys
from helpers.data.text_arrays import TEXT, stripped
from helpers.report.tables import CSV_FLOAT, to_csv

NAMES = ["New York City", "new york", "Ji'nan", "Medellín", "  São  Paulo city ", "ß-town", "Ǆx", "ＡＢＣ city",
         "a\tcity", "x\u00a0city", "İstanbul", "city", "", "Zürich\u2009 City", "Ho Chi Minh City", "Québec"]


@given(st.lists(st.text(max_size=12), max_size=30))
@settings(max_examples=200, deadline=None)
def test_match_keys_is_match_key_of_each_name(names):
    assert list(match_keys(names)) == [match_key(n) for n in names]


def test_match_keys_edge_names_and_missing():
    assert list(match_keys(NAMES)) == [match_key(n) for n in NAMES]
    assert list(match_keys(pd.Series(["Lyon", None, np.nan]))) == ["lyon", "", ""]


EDGE_FLOATS = [0.0, -0.0, 1.0, 100.0, 12.3, 1e-4, 1e-5, 0.000123456789, 9999999999.0, 1e10, 1e9, 1234567890123.0,
               0.1 + 0.2, 1 / 3, 1e20, 5e-324, -2.5, 123456.789, 1.7976931348623157e308, 25_000_000.0, 0.00012,
               9.99999999995, 9.9999999996, 0.00099999999996, 0.00009999999999999, 2.5e-3, -0.0001, 1234567890.5,
               0.5, 1.5, 12345.67895, 999999999.95]  # rounding carries, ties and the ends of the fixed range


@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=40))
@settings(max_examples=300, deadline=None)
def test_format_floats_is_percent_10g(values):
    array = np.array(values, dtype=float)
    expected = ["" if not np.isfinite(v) else CSV_FLOAT % v for v in array.tolist()]
    assert format_floats(array).to_pylist() == expected


@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=40))
@settings(max_examples=200, deadline=None)
def test_format_floats_with_infinities_writes_them_as_python_does(values):
    # with infinities=True only NaN is empty: inf and -inf are "%.10g" % v ("inf", "-inf"), like every other value
    array = np.array(values, dtype=float)
    expected = ["" if np.isnan(v) else CSV_FLOAT % v for v in array.tolist()]
    assert format_floats(array, infinities=True).to_pylist() == expected


def test_format_floats_many_magnitudes():
    # a million-value spread over every magnitude %.10g writes without an exponent, both signs, plus rounded
    # values as tables hold them: each text is Python's own
    rng = np.random.default_rng(15)
    values = np.concatenate([rng.uniform(-1000, 1000, 50_000), 10 ** rng.uniform(-6, 12, 50_000),
                             -(10 ** rng.uniform(-6, 12, 20_000)), np.round(rng.uniform(0, 100, 20_000), 2),
                             rng.integers(0, 10**9, 20_000).astype(float)])
    assert format_floats(values).to_pylist() == [CSV_FLOAT % v for v in values.tolist()]


def test_format_floats_edge_values():
    array = np.array([*EDGE_FLOATS, np.nan, np.inf, -np.inf])
    assert format_floats(array).to_pylist() == [CSV_FLOAT % v for v in EDGE_FLOATS] + ["", "", ""]


@given(st.one_of(st.from_regex(r"\A[0-9]{1,12}(\.[0-9]{0,8})?\Z"), st.floats(min_value=0, max_value=1e12).map(str)))
@settings(max_examples=300, deadline=None)
def test_canonical_numbers_only_where_percent_10g_prints_the_text(text):
    # canonical means: the text is exactly what %.10g prints for its value (so nothing is logged for it);
    # the check is one-sided by design (a False only costs a Python comparison), so only True is verified.
    if canonical_numbers(pd.Series([text]))[0]:
        assert CSV_FLOAT % float(text) == text


def test_canonical_numbers_examples():
    texts = ["12.3", "12.30", "0", "0.5", "007", "1234567890", "12345678901", "0.00001", "0.0001", "5.0", "1,234"]
    assert canonical_numbers(pd.Series(texts)).tolist() == [True, False, True, True, False, True, False, False,
                                                            True, False, False]


def test_arrow_whitespace_trim_is_python_strip():
    # every code point, at each end of a word: Arrow's utf8_trim_whitespace strips what str.strip() strips
    points = [chr(c) for c in range(0x3100) if not 0xD800 <= c < 0xE000]
    texts = [f"a{c}" for c in points] + [f"{c}a" for c in points]
    assert stripped(pd.Series(texts, dtype=TEXT)).to_pylist() == [t.strip() for t in texts]


def test_parse_numbers_fast_and_slow_forms():
    texts = pd.Series(["1", " 2.50 ", "1,234", "9.43M", "n/a", "", None, ".5", "12 k", "007"], dtype=object)
    value, step, problem = parse_numbers(texts)
    # 2.50 is printed to the 0.01; 9.43M to the 0.01 million = 1e4; "12 k" to 1 thousand; ".5" to 0.1
    assert value.tolist()[:4] == [1.0, 2.5, 1234.0, 9.43e6]
    assert step.tolist()[:4] == [1.0, 0.01, 1.0, pytest.approx(1e4)]
    assert value.iloc[4:7].isna().all() and (problem == "").all()
    assert value.tolist()[7:] == [0.5, 12e3, 7.0] and step.tolist()[7:] == [0.1, 1e3, 1.0]


@pytest.mark.parametrize("text", [
    'City,Country,Cameras\nLondon,England (UK),"627,707"\n"Ho ""Chi"" Minh",Vietnam,\n',
    '\ufeffCity,Country\nA,B\n',
    'a,b\n1,"multi\nline"\n2, spaced \n',
    'a,b\n1,""\n,\n',
    'a,b\r\n1,2\r\n3,4\r\n',
    'a,b\n1\n',  # too few fields: pandas fills, Arrow refuses -> pandas
    'a,a\n1,2\n',  # repeated header: pandas renames -> pandas
    'a,b\n\n1,2\n',  # a blank line keeps its row -> pandas
    'a,,c\n1,2,3\n',  # empty header -> pandas
])
def test_read_text_table_arrow_equals_pandas(tmp_path, text):
    path = tmp_path / "t.csv"
    path.write_text(text, encoding="utf-8")
    expected = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], skip_blank_lines=False,
                           encoding="utf-8-sig")
    pd.testing.assert_frame_equal(read_text_table(path), expected)


def test_arrow_reader_is_used_for_plain_files(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,x\n", encoding="utf-8")
    assert _read_arrow(path) is not None
    path.write_text("a,b\n\n1,x\n", encoding="utf-8")
    assert _read_arrow(path) is None


def test_to_csv_cells_by_type():
    df = pd.DataFrame({"text": ["x", "y,z", None], "float": [1.5, np.nan, 2.0], "int": [1, 2, 3],
                       "flag": pd.array([True, None, False], dtype="boolean"), "mixed": [1, 'q"', np.nan],
                       "nullable": pd.array([1, None, 3], dtype="Int64")})
    assert to_csv(df) == ('text,float,int,flag,mixed,nullable\n'
                          'x,1.5,1,true,1,1\n'
                          '"y,z",,2,,"q""",\n'
                          ',2,3,false,,3\n')
    assert to_csv(df.iloc[:0]) == "text,float,int,flag,mixed,nullable\n"


def test_to_csv_is_chunk_safe():
    # a column held in several Arrow chunks is written as one
    chunked = pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([["a", "b"], ["c"]], pa.large_string())))
    assert to_csv(pd.DataFrame({"c": chunked})) == "c\na\nb\nc\n"


def test_header_only_file_reads_as_empty_table(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b", encoding="utf-8")  # no newline at all
    assert list(read_text_table(path).columns) == ["a", "b"] and read_text_table(path).empty


def test_tidy_whitespace_is_python_whitespace():
    # _tidy's RE2 class stands for Python's \s: every code point Python calls space is collapsed, no other one
    from helpers.data.city_tables import _tidy

    points = [chr(c) for c in range(0x3100) if not 0xD800 <= c < 0xE000]
    texts = pd.Series([f" a{c}{c}b " for c in points], dtype=object)
    straight = [t.replace("\u2019", "'").replace("\u2018", "'") for t in texts]  # curly apostrophes too
    expected = [re.sub(r"\s+", " ", t).strip() for t in straight]
    assert _tidy(texts).tolist() == expected


@given(st.lists(st.integers(0, 2), max_size=30))
@settings(max_examples=100, deadline=None)
def test_choose_is_the_choice_of_each_row(codes):
    from helpers.data.text_arrays import choose

    choices = ["cameras / population", "as printed", ""]
    index = pd.Index(range(10, 10 + len(codes)))
    out = choose(np.array(codes, dtype=int), choices, index)
    pd.testing.assert_series_equal(out, pd.Series([choices[c] for c in codes], index=index, dtype=TEXT))
