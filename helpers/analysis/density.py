"""Camera densities (per 1,000 people, per square mile, per km²), the quantities they imply, and city tables.

Every value read from a table stands for the interval its printed precision allows ("9.43M" is
[9.425M, 9.435M]); recomputed densities carry the interval their inputs allow, and a stated figure agrees
with its recomputation when the two intervals overlap (`helpers.analysis.verdicts`). The city scaling rule (a city's
cameras are the national rate applied to its people) is `city_density`, used by every table and figure.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from helpers.analysis.ranks import descending_ranks
from helpers.analysis.verdicts import UNCHECKABLE, verdict
from helpers.data.cleaning import FLOAT_FORMAT
from helpers.data.float_text import format_floats
from helpers.data.io import TABLE_RATE_DECIMALS, read_text_table
from helpers.data.names import match_key, match_keys
from helpers.data.text_arrays import TEXT, choose, sort_order
from helpers.data.units import Number, per_sq_mi_to_per_km2
from helpers.data.values import Interval, printed_interval, printed_step
from helpers.errors import ParameterError
from helpers.paths import resolve

PER = 1000.0  # rates are per 1,000 people


def _require(value: Number, name: str, *, zero_ok: bool) -> None:
    """Raise ParameterError if any of ``value`` is negative (or zero unless ``zero_ok``); NaN passes."""
    arr = np.asarray(value, dtype=float)
    ok = np.isnan(arr) | ((arr >= 0) if zero_ok else (arr > 0))
    if not ok.all():
        rule = "must not be negative" if zero_ok else "must be positive"
        raise ParameterError(f"{name} {rule}, got {float(arr[~ok].ravel()[0]):g}")


def _require_positive(value: Number, name: str) -> None:
    _require(value, name, zero_ok=False)


def _require_non_negative(value: Number, name: str) -> None:
    _require(value, name, zero_ok=True)


def per_thousand(cameras: Number, population: Number) -> Number:
    """Cameras per 1,000 people."""
    _require_non_negative(cameras, "cameras")
    _require_positive(population, "population")
    return cameras / population * PER


def per_area(cameras: Number, area: Number) -> Number:
    """Cameras per unit of area (the unit of ``area``: sq mi gives per sq mi)."""
    _require_non_negative(cameras, "cameras")
    _require_positive(area, "area")
    return cameras / area


def per_km2_from_sq_mi(cameras: Number, area_sq_mi: Number) -> Number:
    """Cameras per km² from an area in square miles."""
    return per_sq_mi_to_per_km2(per_area(cameras, area_sq_mi))


def implied_population(cameras: Number, rate_per_1000: Number) -> Number:
    """Population for which ``cameras`` gives ``rate_per_1000``."""
    _require_non_negative(cameras, "cameras")
    _require_positive(rate_per_1000, "rate per 1,000")
    return cameras / rate_per_1000 * PER


def implied_cameras(rate_per_1000: Number, population: Number) -> Number:
    """Cameras that ``rate_per_1000`` means for ``population``."""
    _require_non_negative(rate_per_1000, "rate per 1,000")
    _require_positive(population, "population")
    return rate_per_1000 * population / PER


def implied_area(cameras: Number, density: Number) -> Number:
    """Area for which ``cameras`` gives ``density`` (same area unit as the density)."""
    _require_non_negative(cameras, "cameras")
    _require_positive(density, "density")
    return cameras / density


def city_density(rate_per_1000: Number, people_per_sq_mi: Number) -> Number:
    """The city scaling rule: cameras per square mile of a city whose cameras are ``rate_per_1000`` applied to
    its people (rate x population / area, with population / area = ``people_per_sq_mi``).

    The one definition behind the audit's recomputation of the article's Chinese cities and every scenario's
    city estimates (`helpers.analysis.scenarios.city_estimates`, the sensitivity step).
    """
    _require_non_negative(rate_per_1000, "rate per 1,000")
    _require_non_negative(people_per_sq_mi, "people per square mile")
    return rate_per_1000 * people_per_sq_mi / PER


def relative_difference(stated: Number, recomputed: Number) -> Number:
    """(recomputed - stated) / stated; NaN where the stated value is zero."""
    stated_arr = np.asarray(stated, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (np.asarray(recomputed, dtype=float) - stated_arr) / np.where(stated_arr == 0, np.nan, stated_arr)
    if isinstance(recomputed, pd.Series):
        return pd.Series(out, index=recomputed.index)
    return out if out.ndim else float(out)


# --- the article's derived city densities ------------------------------------------------------

def derived_city_figures(figures: pd.DataFrame) -> pd.DataFrame:
    """The article's per-square-mile figures derived from a national rate (tagged with a scenario), with the
    people per square mile each implies: stated density / the printed rate of that scenario x 1,000.

    Columns: figure_id, city, country, stated_per_sq_mi, value_text, rate_figure, rate, rate_text,
    implied_people_per_sq_mi and its interval (people_low, people_high) from the rounding of both printed figures.
    """
    by_id = figures.set_index("figure_id")
    rows = figures[(figures["metric"] == "cameras_per_sq_mi") & (figures["scenario"] != "none")]
    out = []
    for fig in rows.itertuples():
        rate_id = f"china_per_1000_{fig.scenario}"
        if rate_id not in by_id.index:
            raise ParameterError(f"article figure {fig.figure_id!r} is derived from scenario {fig.scenario!r}, "
                                 f"but there is no printed rate {rate_id!r}")
        rate_text, rate = by_id.loc[rate_id, "value_text"], float(by_id.loc[rate_id, "value"])
        people = implied_population(fig.value, rate)
        density_i, rate_i = printed_interval(fig.value_text), printed_interval(rate_text)
        out.append({"figure_id": fig.figure_id, "city": fig.entity, "country": fig.country,
                    "stated_per_sq_mi": fig.value, "value_text": fig.value_text, "rate_figure": rate_id,
                    "rate": rate, "rate_text": rate_text, "implied_people_per_sq_mi": people,
                    "people_low": density_i.low / rate_i.high * PER, "people_high": density_i.high / rate_i.low * PER})
    return pd.DataFrame(out, columns=["figure_id", "city", "country", "stated_per_sq_mi", "value_text", "rate_figure",
                                      "rate", "rate_text", "implied_people_per_sq_mi", "people_low", "people_high"])


# --- city tables -------------------------------------------------------------------------------

NUMERIC = ("cameras", "population", "stated_per_1000", "stated_per_sq_mi")
AREA_OUTLIER_FACTOR = 3.0  # implied areas above this multiple of the median are flagged
COUNTED = "counted"
ESTIMATED = "estimated (one national rate)"
REFORMATTED = ("number_format", "thousands_separator")  # cleaning-log rules whose 'before' is the printed text


_KEYS: dict[tuple, tuple[pd.Series, np.ndarray]] = {}  # buffer of a city column -> (that column, its match keys)
_KEYS_KEPT = 4


def _buffer(column: pd.Series) -> tuple | None:
    """Where a column's values live (addresses, length, dtype), or None when that cannot be told."""
    arrow = getattr(column.array, "_pa_array", None)
    if arrow is not None:  # Arrow strings (pandas 3): the buffers of every chunk
        chunks = tuple((c.offset, *(b.address if b is not None else 0 for b in c.buffers())) for c in arrow.chunks)
        return chunks, len(column), str(column.dtype)
    masked = getattr(column.array, "_mask", None)
    if isinstance(masked, np.ndarray):  # nullable integers and booleans: values and mask
        data = column.array._data
        return data.__array_interface__["data"][0], masked.__array_interface__["data"][0], len(data), str(column.dtype)
    values = getattr(column.array, "_ndarray", None)
    if not isinstance(values, np.ndarray):
        return None
    face = values.__array_interface__
    return face["data"][0], len(values), face["strides"], str(values.dtype)


def city_keys(column: pd.Series) -> np.ndarray:
    """`match_key` of every name of ``column`` (`helpers.data.names.match_keys`: Arrow kernels, no Python per name),
    kept for the column's buffer.

    The kept entry holds the column itself, so under pandas' copy-on-write any later change to the frame's
    column writes to a new buffer (a new entry), and a buffer is never freed and reused while its entry is kept.
    """
    where = _buffer(column)
    if where is not None and where in _KEYS:
        return _KEYS[where][1]
    keys = match_keys(column)
    if where is not None:
        while len(_KEYS) >= _KEYS_KEPT:
            _KEYS.pop(next(iter(_KEYS)))
        _KEYS[where] = (column, keys)
    return keys


def find_city(cities: pd.DataFrame, name: str) -> pd.Series | None:
    """The first row of ``cities`` whose city matches ``name`` (accents, case, 'City' ignored), or None."""
    hits = np.flatnonzero(city_keys(cities["city"]) == match_key(name))
    return None if not len(hits) else cities.iloc[hits[0]]


def _formatted(values: pd.Series) -> pd.Series:
    """``FLOAT_FORMAT`` of every value, "" where missing, without a Python call per cell for a float column
    (`helpers.data.float_text.format_floats`, infinities as Python writes them)."""
    if values.dtype.kind != "f" or values.empty:
        return values.map(lambda v: "" if pd.isna(v) else FLOAT_FORMAT % v)
    return pd.Series(format_floats(values.to_numpy(dtype=float), infinities=True), index=values.index, dtype=TEXT)


def _logged_texts(cities: pd.DataFrame, log: pd.DataFrame | None) -> dict[str, np.ndarray]:
    """{numeric column: the text each cell was printed as where the cleaning log has one, None elsewhere}.

    Cleaning writes a number as ``FLOAT_FORMAT`` and logs every cell printed otherwise ("9.43M", "691,000")
    with its text in ``before``; a value set by a correction keeps its own (exact) text. The log is matched
    to the rows by (source, row) index lookups, not row by row.
    """
    found = {c: np.full(len(cities), None, dtype=object) for c in NUMERIC}
    if log is None or not len(log):
        return found
    log = log.astype({"row": int})
    keys = ["source", "row", "column"]
    corrected = log[log["rule"].astype(str).str.startswith("value_correction")]
    printed = log[log["rule"].isin(REFORMATTED) & log["column"].isin(NUMERIC)]
    printed = printed[~pd.MultiIndex.from_frame(printed[keys]).isin(pd.MultiIndex.from_frame(corrected[keys]))]
    printed = printed.drop_duplicates(keys, keep="last")  # the last logged text of a cell wins
    if printed.empty:
        return found
    rows = pd.MultiIndex.from_arrays([cities["source"], cities["source_row"].astype(int)])
    for col in NUMERIC:
        cells = printed[printed["column"] == col]
        if len(cells):
            at = pd.MultiIndex.from_arrays([cells["source"], cells["row"]]).get_indexer(rows)
            found[col][at >= 0] = cells["before"].to_numpy(dtype=object)[at[at >= 0]]
    return found


def printed_texts(cities: pd.DataFrame, log: pd.DataFrame | None = None) -> pd.DataFrame:
    """The text each numeric cell of ``cities`` was printed as: ``FLOAT_FORMAT`` of its value, or the text the
    cleaning log keeps for a cell printed otherwise (`printed_otherwise`)."""
    texts = pd.DataFrame({c: _formatted(cities[c]) for c in NUMERIC}, index=cities.index)
    if log is None or not len(log):
        return texts
    for col, found in _logged_texts(cities, log).items():
        texts[col] = (found := pd.Series(found, index=cities.index)).where(found.notna(), texts[col])
    return texts


def printed_otherwise(cities: pd.DataFrame, log: pd.DataFrame | None = None) -> pd.DataFrame:
    """The text of each numeric cell printed otherwise than ``FLOAT_FORMAT`` of its value ("9.43M", "691,000",
    from the cleaning log), missing elsewhere: what `cell_intervals` needs besides the values, without a text for
    every cell (`printed_texts` fills in the rest)."""
    return pd.DataFrame({c: pd.Series(found, index=cities.index, dtype=object)
                         for c, found in _logged_texts(cities, log).items()}, index=cities.index)


def read_printed(cleaning_dir: str | Path, cities: pd.DataFrame | None) -> pd.DataFrame | None:
    """`printed_otherwise` of the cleaned ``cities`` of notebook 01's folder (its cleaning_log.csv), None without
    cities."""
    if cities is None:
        return None
    path = resolve(cleaning_dir) / "cleaning_log.csv"
    return printed_otherwise(cities, read_text_table(path) if path.is_file() else None)


def _plain_decimals(texts: np.ndarray) -> np.ndarray:
    """Decimals of each text that is a plain decimal number ("120", "73.31", ".5"), -1 for any other text.

    These are what `printed_step` reads as ``10 ** -decimals``; with numpy's string functions (numpy 2) a column
    of them is read without a Python call per cell. Without them every text is left to `printed_step` (-1).
    """
    strings = getattr(np, "strings", None)
    if strings is None or not len(texts):
        return np.full(len(texts), -1)
    arr = np.asarray(texts, dtype=np.dtypes.StringDType())  # a non-text cell becomes its repr: not plain
    dots = strings.count(arr, ".")
    plain = (dots <= 1) & strings.isdecimal(strings.replace(arr, ".", "", 1)) & ~strings.endswith(arr, ".")
    decimals = np.where(dots == 1, strings.str_len(arr) - strings.find(arr, ".") - 1, 0)
    return np.where(plain, decimals, -1)


def _steps(texts: pd.Series) -> pd.Series:
    """Printed step of each text (0 for text this project prints itself that printed_step cannot read)."""
    def step(text: str) -> float:
        if not text:
            return np.nan
        try:
            value = printed_step(text)
        except ValueError:
            return 0.0
        return 0.0 if np.isnan(value) else value

    values = texts.to_numpy(dtype=object)
    decimals = _plain_decimals(values)
    plain = decimals >= 0
    powers = np.array([10.0**-d for d in range(int(decimals.max(initial=0)) + 1)])
    out = np.where(plain, powers[np.maximum(decimals, 0)], np.nan)
    rest = pd.Series(values[~plain])
    unique = {t: step(t) for t in rest.unique()}
    out[~plain] = rest.map(unique).to_numpy(dtype=float)
    return pd.Series(out, index=texts.index, dtype=float)


def _value_steps(values: np.ndarray) -> np.ndarray:
    """`_steps` of ``FLOAT_FORMAT`` of each value (NaN where missing), each distinct value formatted once; a whole
    number below 1e10 is printed to its last digit (step 1) without formatting it."""
    values = np.asarray(values, dtype=float)
    out = np.full(len(values), np.nan)
    whole = ~np.signbit(values) & (values < 1e10) & (values == np.floor(values))  # NaN compares False
    out[whole] = 1.0
    rest = ~whole & ~np.isnan(values)
    if rest.any():
        codes, distinct = pd.factorize(values[rest])
        out[rest] = _steps(_formatted(pd.Series(distinct, dtype=float))).to_numpy()[codes]
    return out


def cell_intervals(cities: pd.DataFrame, printed: pd.DataFrame | None = None) -> pd.DataFrame:
    """``<column>_low`` and ``<column>_high`` for every numeric column: the value -+ half its printed step.

    ``printed``: the cells' texts where they were printed otherwise than ``FLOAT_FORMAT`` of the value
    (`printed_otherwise`, or every cell's text: `printed_texts`); a cell without one is read as that format.
    """
    out = pd.DataFrame(index=cities.index)
    for col in NUMERIC:
        step = _value_steps(cities[col].to_numpy(dtype=float))
        if printed is not None:
            texts = printed[col] if printed.index.equals(cities.index) else printed[col].reindex(cities.index)
            given = texts.notna().to_numpy()
            if given.any():
                step[given] = _steps(texts[given].astype(str)).to_numpy()
        half = pd.Series(step / 2, index=cities.index)
        out[f"{col}_low"] = cities[col] - half
        out[f"{col}_high"] = cities[col] + half
    return out


def source_decimals(values: pd.Series, default: int = 2) -> int:
    """Decimal places a column of printed figures carries (its largest), ``default`` for an empty column."""
    present = pd.Series(values.dropna().unique())  # each distinct value once
    if present.empty:
        return default
    strings = getattr(np, "strings", None)
    if strings is None or present.dtype.kind != "f":
        decimals = present.map(lambda v: len((FLOAT_FORMAT % v).partition(".")[2]) if "e" not in FLOAT_FORMAT % v
                               else 6)
        return int(min(decimals.max(), 6))
    arr = np.asarray(_formatted(present).to_numpy(dtype=object), dtype=np.dtypes.StringDType())
    dot = strings.find(arr, ".")
    decimals = np.where(dot >= 0, strings.str_len(arr) - dot - 1, 0)
    decimals = np.where(strings.find(arr, "e") >= 0, 6, decimals)
    return int(min(decimals.max(), 6))


def verdicts_of(checkable: pd.Series, agrees: pd.Series) -> pd.Series:
    """`verdict` of every row at once: the verdict of each of the four (checkable, agrees) cases, picked by row."""
    c, a = checkable.to_numpy(dtype=bool), agrees.to_numpy(dtype=bool)
    cases = [verdict(checkable=ci, agrees=ai) for ci in (False, True) for ai in (False, True)]
    return choose(2 * c + a, cases, checkable.index)


_DENSITIES: dict[tuple, tuple[tuple, pd.DataFrame]] = {}  # key -> (inputs, views of them), result
_DENSITIES_KEPT = 2


def _densities_key(cities: pd.DataFrame, printed: pd.DataFrame | None) -> tuple | None:
    """The inputs of `city_densities` told apart by identity and by the buffers of their columns (copy-on-write: a
    changed column has a new buffer), or None when a buffer cannot be told."""
    frames = [cities] if printed is None else [cities, printed]
    where = tuple(_buffer(f[c]) for f in frames for c in f.columns)
    if None in where:
        return None
    return id(cities), id(printed), tuple(map(tuple, (f.columns for f in frames))), where


def city_densities(cities: pd.DataFrame, printed: pd.DataFrame | None = None, *,
                   country: str | None = None) -> pd.DataFrame:
    """`densities_of` the table, computed once for the same ``cities``, ``printed`` and ``country`` (a step asks
    several times: the audit, the method table, the ranking, every scenario); each call gets its own
    (copy-on-write) frame. ``country`` (an ISO3 code): only that country's rows, each as in the whole table's
    densities, without computing the others (a row's densities depend on its own cells, its country's rows and the
    decimals of the table's stated rates)."""
    key = _densities_key(cities, printed)
    key = None if key is None else (*key, country)
    if key is not None and key in _DENSITIES:
        return _DENSITIES[key][1].copy(deep=False)
    if country is None:
        out = densities_of(cities, printed)
    else:
        rows = cities["country_code"].eq(country).to_numpy()
        out = densities_of(cities[rows], printed, rate_decimals=table_rate_decimals(cities))
    if key is not None:
        while len(_DENSITIES) >= _DENSITIES_KEPT:
            _DENSITIES.pop(next(iter(_DENSITIES)))
        # the inputs kept alive (their ids and buffers are not reused), and views of them, so that under copy-on-write
        # a later write to their cells goes to new buffers (a new key)
        _DENSITIES[key] = ((cities, printed, cities.copy(deep=False),
                            None if printed is None else printed.copy(deep=False)), out)
    return out.copy(deep=False)


def table_rate_decimals(cities: pd.DataFrame) -> int:
    """The decimals of the whole table's stated rates per 1,000: kept in ``attrs`` by `helpers.data.io.load_processed`
    when it read one country's rows, else `source_decimals` of ``cities``' own."""
    kept = cities.attrs.get(TABLE_RATE_DECIMALS)
    return int(kept) if kept is not None else source_decimals(cities["stated_per_1000"])


def densities_of(cities: pd.DataFrame, printed: pd.DataFrame | None = None, *,
                 rate_decimals: int | None = None) -> pd.DataFrame:
    """Every city's densities recomputed with intervals, each stated per-1,000 figure checked, rows told apart.

    Adds ``per_1000`` with ``per_1000_low``/``per_1000_high`` (cameras and population over their printed
    rounding; the stated figure and its rounding for a table without counts, ``per_1000_basis`` saying
    which), ``per_1000_check`` (a verdict: a row without cameras, population or a stated rate cannot be
    checked), ``per_1000_agrees`` (nullable: NA where it cannot be checked), ``per_sq_mi`` (with the interval
    of the stated figure the area is implied from; the stated figure where there is no count) and ``per_km2``,
    ``people_per_sq_mi`` with its interval, and ``basis`` (counted, or estimated when every row of the
    country has one rate: `estimated_rows`). ``printed``: the cells' printed texts (`printed_otherwise`; rows
    beyond ``cities``' are not read). ``rate_decimals``: `estimated_rows`' decimals when ``cities`` are some rows
    of a larger table.
    """
    out = cities.copy(deep=False)  # copy-on-write: new columns never touch ``cities``
    iv = cell_intervals(cities, printed)
    pop = out["population"].where(out["population"] > 0)
    area = out["area_sq_mi"].where(out["area_sq_mi"] > 0)
    out["per_1000"] = per_thousand(out["cameras"], pop)
    pop_low = iv["population_low"].where(iv["population_low"] > 0)
    out["per_1000_low"] = iv["cameras_low"].clip(lower=0) / iv["population_high"] * PER
    out["per_1000_high"] = iv["cameras_high"] / pop_low * PER
    checkable = out[["per_1000", "stated_per_1000"]].notna().all(axis=1)
    basis = np.where(out["per_1000"].notna(), 0, np.where(out["stated_per_1000"].notna(), 1, 2))
    out["per_1000_basis"] = choose(basis, ["cameras / population", "as printed", ""], out.index)
    as_printed = out["per_1000"].isna() & out["stated_per_1000"].notna()  # a table of rates only: use its figure
    out.loc[as_printed, "per_1000"] = out.loc[as_printed, "stated_per_1000"]
    out.loc[as_printed, "per_1000_low"] = iv.loc[as_printed, "stated_per_1000_low"]
    out.loc[as_printed, "per_1000_high"] = iv.loc[as_printed, "stated_per_1000_high"]
    agrees = (out["per_1000_low"] <= iv["stated_per_1000_high"]) & (iv["stated_per_1000_low"] <= out["per_1000_high"])
    out["per_1000_check"] = verdicts_of(checkable, agrees)
    out["per_1000_agrees"] = pd.array(agrees.where(checkable), dtype="boolean")
    out["per_sq_mi"] = per_area(out["cameras"], area).fillna(out["stated_per_sq_mi"])  # the area is implied from
    out["per_sq_mi_low"] = iv["stated_per_sq_mi_low"].where(out["per_sq_mi"].notna())  # the stated figure, so its
    out["per_sq_mi_high"] = iv["stated_per_sq_mi_high"].where(out["per_sq_mi"].notna())  # interval is the one
    out["per_km2"] = per_sq_mi_to_per_km2(out["per_sq_mi"])
    out["people_per_sq_mi"] = out["population"] / area
    dens_low = iv["stated_per_sq_mi_low"].clip(lower=0)
    out["people_per_sq_mi_low"] = pop_low * dens_low / iv["cameras_high"]
    out["people_per_sq_mi_high"] = iv["population_high"] * iv["stated_per_sq_mi_high"] / iv["cameras_low"].where(
        iv["cameras_low"] > 0)
    decimals = table_rate_decimals(cities) if rate_decimals is None else rate_decimals
    out["basis"] = choose(estimated_rows(out, decimals).to_numpy(dtype=int), [COUNTED, ESTIMATED], out.index)
    return out


def estimated_rows(densities: pd.DataFrame, decimals: int | None = None) -> pd.Series:
    """True for the rows of a country whose rows (two or more, in one table) all carry one rate per 1,000 at the
    table's printed precision (``decimals``: by default `source_decimals` of the stated rates): a national rate
    applied to every city, an estimate, not a count."""
    decimals = source_decimals(densities["stated_per_1000"]) if decimals is None else decimals
    rate = densities["stated_per_1000"].fillna(densities.get("per_1000", pd.Series(np.nan, index=densities.index)))
    rounded = rate.round(decimals)
    keys = [densities["source"], densities["country_code"]] if "source" in densities else [densities["country_code"]]
    groups = rounded.groupby(keys)
    one_rate = groups.transform("nunique").eq(1) & groups.transform("count").ge(2)
    return (one_rate & rounded.notna()).astype(bool)


def rank_at_precision(values: pd.Series, decimals: int) -> pd.Series:
    """Rank, 1 = largest, with values equal at ``decimals`` places sharing the better rank (NaN unranked)."""
    return descending_ranks(values.round(decimals))[0]


def add_rankings(densities: pd.DataFrame) -> pd.DataFrame:
    """Rank counted cities by per-1,000 and per-square-mile density, overall and within their country.

    Ties share a rank, computed at the printed precision of the table's own column (two decimals for
    Comparitech), so floating-point noise never orders two equal figures. Estimated rows are not ranked.
    """
    out = densities.copy(deep=False)  # copy-on-write
    counted = out["basis"].eq(COUNTED) if "basis" in out else pd.Series(True, index=out.index)
    for col, stated in (("per_1000", "stated_per_1000"), ("per_sq_mi", "stated_per_sq_mi")):
        decimals = source_decimals(out[stated])
        overall, within = descending_ranks(out[col].where(counted).round(decimals), out["country_code"])
        out[f"rank_{col}"], out[f"rank_{col}_in_country"] = overall, within
    return out.take(sort_order(out, ["rank_per_1000", "city"])).reset_index(drop=True)


def check_summary(densities: pd.DataFrame) -> str:
    """One line: how the stated per-1,000 figures compare with cameras / population, in the verdict vocabulary."""
    counts = densities["per_1000_check"].value_counts()
    n = len(densities)
    if counts.get(UNCHECKABLE, 0) == n:
        return (f"{n} rows: the stated per-1,000 figures cannot be checked (no camera count, population or "
                "stated rate to compare)")
    parts = [f"{k} {v}" for v, k in sorted(((v, int(k)) for v, k in counts.items()), key=lambda t: (-t[1], t[0]))]
    return f"{n} stated per-1,000 figures against cameras / population: " + ", ".join(parts)


def area_definition_flags(densities: pd.DataFrame, factor: float = AREA_OUTLIER_FACTOR) -> pd.DataFrame:
    """Cities whose implied area is over ``factor`` x the median: their per-area densities are
    not comparable with the others (the area is a metropolitan or administrative region)."""
    median = densities["area_sq_mi"].median()
    flagged = densities[densities["area_sq_mi"] > factor * median].copy()
    flagged["area_vs_median"] = flagged["area_sq_mi"] / median
    cols = ["city", "country_code", "population", "area_sq_mi", "area_km2", "people_per_sq_mi",
            "per_sq_mi", "area_vs_median"]
    return flagged[cols].sort_values("area_vs_median", ascending=False, kind="mergesort").reset_index(drop=True)


def chinese_city_method(figures: pd.DataFrame, densities: pd.DataFrame | None = None) -> pd.DataFrame:
    """How the article's derived city densities follow from the national rate it prints.

    The stated density divided by the printed rate is the people per square mile the figure assumes.
    With a city table (``densities`` from `city_densities`), the rule `city_density` is applied at the
    same printed rate to the table's people per square mile (interval from its rounding), beside the
    table's own density from its camera count where that count is counted, not estimated.
    """
    rows = []
    for fig in derived_city_figures(figures).itertuples():
        row = {"city": fig.city, "stated_per_sq_mi": fig.stated_per_sq_mi, "rate_figure": fig.rate_figure,
               "rate": fig.rate, "implied_people_per_sq_mi": fig.implied_people_per_sq_mi}
        city = find_city(densities, fig.city) if densities is not None else None
        if city is not None and pd.notna(city["people_per_sq_mi"]):
            rate_i = printed_interval(fig.rate_text)
            row.update({
                "table": city["source"], "table_people_per_sq_mi": city["people_per_sq_mi"],
                "method_per_sq_mi": city_density(fig.rate, city["people_per_sq_mi"]),
                "method_low": city_density(rate_i.low, city["people_per_sq_mi_low"]),
                "method_high": city_density(rate_i.high, city["people_per_sq_mi_high"]),
                "counted_per_sq_mi": city["stated_per_sq_mi"] if city["basis"] == COUNTED else np.nan,
            })
            row["relative_difference"] = relative_difference(fig.stated_per_sq_mi, row["method_per_sq_mi"])
        rows.append(row)
    return pd.DataFrame(rows)


def interval_of(row: pd.Series, column: str) -> Interval:
    """The interval ``<column>_low``-``<column>_high`` of a row of `city_densities`."""
    return Interval(float(row[f"{column}_low"]), float(row[f"{column}_high"]))


# --- the article's own city figures ------------------------------------------------------------

def named_city_densities(figures: pd.DataFrame) -> pd.DataFrame:
    """The article's per-square-mile city figures with per km², China flagged, densest first."""
    rows = figures[figures["metric"] == "cameras_per_sq_mi"]
    out = pd.DataFrame({
        "city": rows["entity"].to_numpy(),
        "country": rows["country"].to_numpy(),
        "in_china": (rows["country"] == "China").to_numpy(),
        "qualifier": rows["qualifier"].to_numpy(),
        "per_sq_mi": rows["value"].to_numpy(dtype=float),
    })
    out["per_km2"] = per_sq_mi_to_per_km2(out["per_sq_mi"])
    densest_outside = out.loc[~out["in_china"], "per_sq_mi"].max()
    out["vs_densest_outside_china"] = out["per_sq_mi"] / densest_outside
    return out.sort_values(["per_sq_mi", "city"], ascending=[False, True], kind="mergesort").reset_index(drop=True)


def national_vs_city_rates(figures: pd.DataFrame) -> pd.DataFrame:
    """China's national rates as the article prints them against the per-1,000 city rates it quotes."""
    values = figures.set_index("figure_id")["value"]
    cities = figures[(figures["metric"] == "cameras_per_1000") & (figures["entity"] != "China")]
    national = figures[(figures["metric"] == "cameras_per_1000") & (figures["entity"] == "China")]
    rows = []
    for china in national.itertuples():
        for city in cities.itertuples():
            rows.append({"china_figure": china.figure_id, "china_per_1000": values[china.figure_id],
                         "city": city.entity, "city_per_1000": city.value, "ratio": china.value / city.value})
    return pd.DataFrame(rows)


def stated_rates(figures: pd.DataFrame) -> pd.DataFrame:
    """Every per-1,000 figure the article prints, labelled (China's by scenario), for plotting."""
    rows = figures[figures["metric"] == "cameras_per_1000"]
    labels = [f"China, {s}" if e == "China" else e for e, s in zip(rows["entity"], rows["scenario"], strict=True)]
    return pd.DataFrame({"label": labels, "per_1000": rows["value"].to_numpy(),
                         "in_china": (rows["country"] == "China").to_numpy()})
