"""The paths that grow with the city table give what their row-by-row definitions give.

`data.io.duplicate_rows` (validation), `analysis.density.printed_texts`, `text_steps`, `value_steps`,
`cell_intervals` and `find_city` are checked against plain row-by-row versions, on generated tables.
`make bench` (``--scale``) times them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.analysis import density
from helpers.analysis.density import NUMERIC, REFORMATTED, find_city, printed_texts
from helpers.data.cleaning import FLOAT_FORMAT, LOG_COLUMNS, write_processed
from helpers.data.io import TABLE_RATE_DECIMALS, duplicate_rows, load_processed, load_table
from helpers.data.schemas import ARTICLE_FIGURES_CLEAN, CITIES
from helpers.paths import PROJECT_ROOT


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
    texts = pd.DataFrame({c: cities[c].map(lambda v: "" if pd.isna(v) else FLOAT_FORMAT % v).astype("str")
                          for c in NUMERIC}, index=cities.index)
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
        texts[col] = found.where(found.notna(), texts[col]).astype("str")
    return texts


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


@settings(max_examples=100, deadline=None)
@given(tables())
@pytest.mark.slow
def test_printed_texts_equal_the_row_by_row_version(table):
    cities, log = table
    pd.testing.assert_frame_equal(printed_texts(cities, log), printed_by_row(cities, log))


def test_printed_steps_of_texts_by_hand():
    # "73.31": two decimals, step 0.01; "": nothing printed, NaN; "third": a rank, no step, 0; "1,234": a whole
    # number, step 1; "9.43M": two decimals of millions, 0.01 x 1e6 = 10,000; "-4": a sign, a text this project
    # prints itself, 0; the repeated "73.31" reads the same
    texts = pd.Series(["73.31", "", "third", "1,234", "9.43M", "-4", "73.31"], dtype="str")
    expected = pd.Series([0.01, np.nan, 0.0, 1.0, 10_000.0, 0.0, 0.01])
    pd.testing.assert_series_equal(density.text_steps(texts), expected)


@settings(max_examples=100, deadline=None)
@given(st.lists(NUMBERS, max_size=12))
def test_source_decimals_equal_the_row_by_row_version(values):
    series = pd.Series([np.nan if v is None else v for v in values], dtype=float)
    present = series.dropna()
    expected = 2 if present.empty else int(min(present.map(
        lambda v: len((FLOAT_FORMAT % v).partition(".")[2]) if "e" not in FLOAT_FORMAT % v else 6).max(), 6))
    assert density.source_decimals(series) == expected


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", None, ""]), st.sampled_from([1.0, 2.0, np.nan]),
                          st.sampled_from([1, 2])), max_size=12), st.booleans())
def test_duplicate_rows_equal_the_row_by_row_version(rows, shuffled):
    df = pd.DataFrame(rows, columns=["city", "value", "n"])
    if shuffled:
        df.index = list(reversed(range(len(df))))
    assert duplicate_rows(df) == duplicates_by_row(df)


def test_find_city_ignores_accents_case_and_city():
    cities = pd.DataFrame({"city": ["New York City", "Zürich", "London"], "n": [1, 2, 3]})
    assert find_city(cities, "new york")["n"] == 1 and find_city(cities, "Zurich")["n"] == 2
    assert find_city(cities, "Paris") is None
    cities.loc[2, "city"] = "Paris"
    assert find_city(cities, "Paris")["n"] == 3 and find_city(cities, "London") is None
    reordered = cities.sort_values("n", ascending=False)
    assert find_city(reordered, "zurich")["n"] == 2


# ----------------------------------------------------------------------------- downstream of notebook 01
@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.booleans()), max_size=12))
def test_verdicts_of_equal_the_row_by_row_verdicts(pairs):
    from helpers.analysis.verdicts import verdict

    checkable = pd.Series([c for c, _ in pairs], dtype=bool)
    agrees = pd.Series([a for _, a in pairs], dtype=bool)
    assert list(density.verdicts_of(checkable, agrees)) == [verdict(checkable=c, agrees=a) for c, a in pairs]


def generated_cities(n: int, seed: int = 0) -> pd.DataFrame:
    """A cleaned city table of ``n`` rows (every third Chinese), as notebook 01 writes it."""
    rng = np.random.default_rng(seed)
    population = rng.integers(50_000, 25_000_000, n).astype(float)
    cameras = np.maximum(1, (population * rng.uniform(0.1, 120, n) / 1000).round())
    area = rng.uniform(20, 3000, n)
    return pd.DataFrame({
        "source": "t", "source_row": np.arange(2, n + 2), "city": [f"City {i}" for i in range(n)],
        "country": np.where(np.arange(n) % 3 == 0, "China", "India"),
        "country_code": np.where(np.arange(n) % 3 == 0, "CHN", "IND"), "cameras": cameras, "population": population,
        "stated_per_1000": (cameras / population * 1000).round(2), "stated_per_sq_mi": (cameras / area).round(2),
        "crime_index": np.nan, "area_sq_mi": cameras / (cameras / area).round(2),
        "area_km2": cameras / (cameras / area).round(2) * 2.589988110336})


def test_city_densities_leave_the_table_unchanged():
    cities = generated_cities(50)
    before = cities.copy()
    densities = density.city_densities(cities, printed_texts(cities))
    densities["cameras"] = 0.0  # a caller's change stays in its own frame
    pd.testing.assert_frame_equal(cities, before)


def test_table_city_inputs_equal_the_row_by_row_version():
    from helpers.analysis.density import cell_intervals, city_densities
    from helpers.analysis.sensitivity import INPUT_COLUMNS, table_city_inputs

    cities = generated_cities(60)
    printed = printed_texts(cities)
    dens = city_densities(cities, printed)
    dens = dens[(dens["country_code"] == "CHN") & dens["people_per_sq_mi"].notna()]
    iv = cell_intervals(dens, printed.loc[dens.index])
    rows = [{"city": r["city"], "basis": f"{r['source']} population / area x national rate", "a": r["population"],
             "a_low": iv.at[i, "population_low"], "a_high": iv.at[i, "population_high"], "b": r["area_sq_mi"],
             "b_low": iv.at[i, "cameras_low"] / iv.at[i, "stated_per_sq_mi_high"],
             "b_high": iv.at[i, "cameras_high"] / iv.at[i, "stated_per_sq_mi_low"], "scale": 1.0,
             "a_name": "city population", "b_name": "city area"} for i, r in dens.iterrows()]
    expected = pd.DataFrame(rows, columns=INPUT_COLUMNS)
    got = table_city_inputs(cities, printed)
    pd.testing.assert_frame_equal(got.astype({"city": object, "basis": object, "a_name": object, "b_name": object}),
                                  expected.astype({"city": object, "basis": object, "a_name": object,
                                                   "b_name": object}), check_dtype=False)


def test_city_intervals_equal_the_city_by_city_percentiles():
    from helpers.analysis.density import city_density
    from helpers.analysis.sensitivity import Uniform, city_intervals

    rng = np.random.default_rng(3)
    k = 7
    inputs = pd.DataFrame({"city": [f"c{i}" for i in range(k)], "basis": ["b"] * k,
                           "per_sq_mi": rng.uniform(1, 100, k), "a_low": rng.uniform(1, 2, k),
                           "a_high": rng.uniform(2, 3, k), "b_low": rng.uniform(1, 2, k),
                           "b_high": rng.uniform(2, 3, k),
                           "scale": rng.choice([1.0, 1000.0], k), "a_name": "a", "b_name": "b"})

    class St:
        seed, draws, percentiles = 5, 1000, (5.0, 50.0, 95.0)

    rate = rng.uniform(300, 400, St.draws)
    got = city_intervals(St, rate, inputs)
    for j, r in enumerate(inputs.itertuples()):
        a = Uniform(f"city:{r.basis}:{r.city}:a", r.a_low, r.a_high, "").draw(St.seed, St.draws)
        b = Uniform(f"city:{r.basis}:{r.city}:b", r.b_low, r.b_high, "").draw(St.seed, St.draws)
        expected = np.percentile(city_density(rate, a / b * r.scale), St.percentiles)
        assert got.loc[j, ["p5", "p50", "p95"]].to_numpy(dtype=float).tolist() == expected.tolist()


def test_bounded_keeps_every_article_city_and_the_highest_table_estimates():
    from helpers.analysis.scenarios import ARTICLE_BASIS
    from helpers.analysis.sensitivity import bounded

    inputs = pd.DataFrame({"city": ["A", "x1", "x2", "x3", "B", "y1"],
                           "basis": [ARTICLE_BASIS, "t1", "t1", "t1", ARTICLE_BASIS, "t2"],
                           "per_sq_mi": [1.0, 5.0, 9.0, 7.0, 2.0, 1.0]})
    assert bounded(inputs, top=2)["city"].tolist() == ["A", "x2", "x3", "B", "y1"]
    assert bounded(inputs, top=10).equals(inputs)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 6), st.integers(1, 6)), min_size=1, max_size=40), st.booleans())
@pytest.mark.slow
def test_notable_equals_the_full_sort(values, smallest):
    from helpers.report.figures import notable

    df = pd.DataFrame({"city": [f"c{i % 9}" for i in range(len(values))], "x": [float(a) for a, _ in values],
                       "y": [float(b) for _, b in values]})

    def full(col, ascending, frame):
        return frame.sort_values([col, "city"], ascending=[ascending, True], kind="mergesort")["city"].head(2).tolist()

    a, b = df["x"], df["y"]
    gap = (a - b).abs() if smallest else (np.log(a) - np.log(b)).abs()
    expected = full("x", smallest, df) + full("y", smallest, df) + full("gap", False, df.assign(gap=gap))
    expected += [x for x in ["c1", "zz"] if x in set(df["city"])]
    assert notable(df, ["x", "y"], smallest=smallest, extra=["c1", "zz"]) == list(dict.fromkeys(expected))


@settings(max_examples=50, deadline=None)
@given(tables())
@pytest.mark.slow
def test_cell_intervals_from_the_logged_texts_equal_those_from_every_text(table):
    """`cell_intervals` reads the texts of the logged cells (`printed_otherwise`) and formats each distinct value of
    the others once; the row-by-row definition reads every cell's full text (`printed_by_row`, `text_steps`)."""
    from helpers.analysis.density import cell_intervals, printed_otherwise

    cities, log = table
    texts = printed_by_row(cities, log)
    expected = pd.DataFrame(index=cities.index)
    for col in NUMERIC:
        half = density.text_steps(texts[col].astype("str")) / 2
        expected[f"{col}_low"] = cities[col] - half
        expected[f"{col}_high"] = cities[col] + half
    for printed in [printed_otherwise(cities, log), printed_texts(cities, log)] + ([None] if log is None else []):
        pd.testing.assert_frame_equal(cell_intervals(cities, printed), expected)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(
    [-0.0, 0.0, 1e10, 9999999999.0, 1e10 - 0.5, 12.0, -12.0, 0.00012, 5e-5, 120.25])), max_size=20))
def test_value_steps_equal_the_steps_of_each_formatted_value(values):
    """`value_steps` reads the steps of the formatted values with string methods; the definition reads each text
    with `text_steps`, `printed_step` of each (negative, zero, huge, tiny and non-finite values included)."""
    texts = pd.Series(["" if np.isnan(v) else FLOAT_FORMAT % v for v in values], dtype=object)
    expected = density.text_steps(texts.astype("str")).to_numpy()
    np.testing.assert_array_equal(density.value_steps(pd.Series(values, dtype=float)).to_numpy(), expected)


def _country_table(rows: list[tuple]) -> pd.DataFrame:
    cities = pd.DataFrame(rows, columns=["source", "country_code", "cameras", "population", "stated_per_1000"])
    n = len(cities)
    return cities.assign(source_row=range(2, n + 2), city=[f"c{i}" for i in range(n)], stated_per_sq_mi=np.nan,
                         crime_index=np.nan, area_sq_mi=np.nan, area_km2=np.nan).astype(
        {c: float for c in NUMERIC if c != "stated_per_sq_mi"} | {"stated_per_sq_mi": float})


def test_one_countrys_densities_use_the_whole_tables_rate_decimals():
    """CHN rows without a stated rate fall back on cameras / population: 10.004 and 10.001 per 1,000. At the CHN rows'
    own decimals (none stated) they would round alike; the USA row states 3 decimals, so the table's are 3 and
    the two rates differ: counted, in the whole table and in the CHN-only computation alike."""
    cities = _country_table([("t", "CHN", 10_004.0, 1e6, np.nan), ("t", "CHN", 10_001.0, 1e6, np.nan),
                             ("t", "USA", 1234.0, 1e6, 1.234)])
    whole = density.city_densities(cities)
    alone = density.city_densities(cities, country="CHN")
    assert whole["basis"].tolist() == [density.COUNTED] * 3
    pd.testing.assert_frame_equal(alone, whole[whole["country_code"] == "CHN"])
    assert density.city_densities(cities.iloc[:2])["basis"].tolist() == [density.ESTIMATED] * 2  # decimals matter


def test_one_country_loaded_alone_keeps_the_whole_tables_rate_decimals(tmp_path):
    """The rows of the test above, written as notebook 01 writes them and read back for CHN only (as the scenario
    and sensitivity steps do): the two CHN rows, with the table's 3 decimals kept, give the densities of the
    whole table's CHN rows (counted); without the kept decimals they would be estimated."""
    cities = _country_table([("t", "CHN", 10_004.0, 1e6, np.nan), ("t", "CHN", 10_001.0, 1e6, np.nan),
                             ("t", "USA", 1234.0, 1e6, 1.234)])
    cities = cities.assign(country=cities["country_code"].map({"CHN": "China", "USA": "United States"}))
    figures = load_table(PROJECT_ROOT / "outputs" / "01_data_cleaning" / "article_figures.csv", ARTICLE_FIGURES_CLEAN)
    write_processed(tmp_path, figures, cities[list(CITIES.columns)], pd.DataFrame(columns=list(LOG_COLUMNS)))
    _, whole = load_processed(tmp_path)
    _, china = load_processed(tmp_path, country="CHN")
    assert china["city"].tolist() == ["c0", "c1"] and china.index.tolist() == [0, 1]
    assert china.attrs[TABLE_RATE_DECIMALS] == 3 and TABLE_RATE_DECIMALS not in whole.attrs
    expected = density.city_densities(whole)
    expected = expected[expected["country_code"] == "CHN"]
    assert expected["basis"].tolist() == [density.COUNTED] * 2
    pd.testing.assert_frame_equal(density.city_densities(china, country="CHN"), expected)
    pd.testing.assert_frame_equal(density.city_densities(china), expected)
    bare = china.copy()
    bare.attrs.clear()
    assert density.city_densities(bare)["basis"].tolist() == [density.ESTIMATED] * 2  # the kept decimals decide


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["t1", "t2"]), st.sampled_from(["CHN", "USA", ""]),
                          st.sampled_from([np.nan, 0.0, 3728.0, 3728.5, 10_004.0]),
                          st.sampled_from([np.nan, 1e4, 1e6, 9.43e6]),
                          st.sampled_from([np.nan, 372.8, 372.81, 1.234, 5.0])), max_size=14), st.booleans())
@pytest.mark.slow
def test_one_countrys_densities_equal_those_rows_of_the_whole_table(rows, logged):
    cities = _country_table(rows)
    printed = None
    if logged and len(cities):
        printed = density.printed_otherwise(cities)
        printed.loc[cities.index[0], "population"] = "9.43M"
    whole = density.city_densities(cities, printed)
    pd.testing.assert_frame_equal(density.city_densities(cities, printed, country="CHN"),
                                  whole[whole["country_code"] == "CHN"])
