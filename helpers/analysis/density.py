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

from helpers.analysis.verdicts import UNCHECKABLE, verdict
from helpers.data.csv_files import decimals_of, float_texts
from helpers.data.io import TABLE_RATE_DECIMALS, read_text_table
from helpers.data.names import match_key, match_keys
from helpers.data.table_facts import COUNTED, ESTIMATED, estimated_rows, source_decimals
from helpers.data.units import Number, per_sq_mi_to_per_km2, require_non_negative, require_positive
from helpers.data.values import Interval, printed_interval, printed_step
from helpers.errors import ParameterError
from helpers.paths import resolve

PER = 1000.0  # rates are per 1,000 people


def per_thousand(cameras: Number, population: Number) -> Number:
    """Cameras per 1,000 people."""
    require_non_negative(cameras, "cameras")
    require_positive(population, "population")
    return cameras / population * PER


def per_area(cameras: Number, area: Number) -> Number:
    """Cameras per unit of area (the unit of ``area``: sq mi gives per sq mi)."""
    require_non_negative(cameras, "cameras")
    require_positive(area, "area")
    return cameras / area


def per_km2_from_sq_mi(cameras: Number, area_sq_mi: Number) -> Number:
    """Cameras per km² from an area in square miles."""
    return per_sq_mi_to_per_km2(per_area(cameras, area_sq_mi))


def implied_population(cameras: Number, rate_per_1000: Number) -> Number:
    """Population for which ``cameras`` gives ``rate_per_1000``."""
    require_non_negative(cameras, "cameras")
    require_positive(rate_per_1000, "rate per 1,000")
    return cameras / rate_per_1000 * PER


def implied_cameras(rate_per_1000: Number, population: Number) -> Number:
    """Cameras that ``rate_per_1000`` means for ``population``."""
    require_non_negative(rate_per_1000, "rate per 1,000")
    require_positive(population, "population")
    return rate_per_1000 * population / PER


def city_density(rate_per_1000: Number, people_per_sq_mi: Number) -> Number:
    """The city scaling rule: cameras per square mile of a city whose cameras are ``rate_per_1000`` applied to
    its people (rate x population / area, with population / area = ``people_per_sq_mi``).

    The one definition behind the audit's recomputation of the article's Chinese cities and every scenario's
    city estimates (`helpers.analysis.scenarios.city_estimates`, the sensitivity step).
    """
    require_non_negative(rate_per_1000, "rate per 1,000")
    require_non_negative(people_per_sq_mi, "people per square mile")
    return rate_per_1000 * people_per_sq_mi / PER


def counted_vs_rule(cities: pd.DataFrame, rate_per_1000: float) -> pd.DataFrame:
    """The counted Chinese cities of ``cities`` (one table's densities): their cameras per square mile as counted
    (``counted``: the table's count over its area) and by the national-rate rule (``rule``: `city_density` of
    ``rate_per_1000`` and the city's people per square mile); columns city, counted, rule, rows where both are known.
    What the counted_vs_rule figure draws and the paper's numbers quote."""
    china = cities[(cities["country_code"] == "CHN") & (cities["basis"] == COUNTED)]
    return pd.DataFrame({"city": china["city"], "counted": china["per_sq_mi"],
                         "rule": city_density(rate_per_1000, china["people_per_sq_mi"])}).dropna()


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
REFORMATTED = ("number_format", "thousands_separator")  # cleaning-log rules whose 'before' is the printed text


def find_city(cities: pd.DataFrame, name: str) -> pd.Series | None:
    """The first row of ``cities`` whose city matches ``name`` (accents, case, 'City' ignored), or None."""
    hits = np.flatnonzero(match_keys(cities["city"]) == match_key(name))
    return None if not len(hits) else cities.iloc[hits[0]]


def printed_otherwise(cities: pd.DataFrame, log: pd.DataFrame | None = None) -> pd.DataFrame:
    """The text of each numeric cell printed otherwise than ``FLOAT_FORMAT`` of its value ("9.43M", "691,000"),
    missing elsewhere: one column per `NUMERIC` column, indexed as ``cities``.

    Cleaning writes a number as ``FLOAT_FORMAT`` and logs every cell printed otherwise with its text in
    ``before`` (rules `REFORMATTED`; the last logged text of a cell wins); a value set by a correction keeps its
    own (exact) text. The log's rows are matched to the table's by (source, row).
    """
    found = pd.DataFrame(np.nan, index=cities.index, columns=list(NUMERIC), dtype=object)
    if log is None or not len(log):
        return found
    log = log.astype({"row": int})
    keys = ["source", "row", "column"]
    corrected = log[log["rule"].astype(str).str.startswith("value_correction")]
    printed = log[log["rule"].isin(REFORMATTED) & log["column"].isin(NUMERIC)]
    printed = printed[~pd.MultiIndex.from_frame(printed[keys]).isin(pd.MultiIndex.from_frame(corrected[keys]))]
    texts = printed.drop_duplicates(keys, keep="last").pivot(index=["source", "row"], columns="column",
                                                              values="before")
    rows = pd.MultiIndex.from_arrays([cities["source"], cities["source_row"].astype(int)])
    found = texts.reindex(index=rows, columns=list(NUMERIC)).astype(object)
    found.index, found.columns.name = cities.index, None
    return found


def printed_texts(cities: pd.DataFrame, log: pd.DataFrame | None = None) -> pd.DataFrame:
    """The text each numeric cell of ``cities`` was printed as: ``FLOAT_FORMAT`` of its value, or the text the
    cleaning log keeps for a cell printed otherwise (`printed_otherwise`)."""
    logged = printed_otherwise(cities, log)
    return pd.DataFrame({c: logged[c].where(logged[c].notna(), float_texts(cities[c])).astype("str")
                         for c in NUMERIC}, index=cities.index)


def read_printed(cleaning_dir: str | Path, cities: pd.DataFrame | None) -> pd.DataFrame | None:
    """`printed_otherwise` of the cleaned ``cities`` of notebook 01's folder (its cleaning_log.csv), None without
    cities."""
    if cities is None:
        return None
    path = resolve(cleaning_dir) / "cleaning_log.csv"
    return printed_otherwise(cities, read_text_table(path) if path.is_file() else None)


def text_steps(texts: pd.Series) -> pd.Series:
    """`printed_step` of each printed text, each distinct text read once: NaN for an empty text, 0 for a text
    this project prints itself that gives no step ("-4", "1e+15", "third", a bound)."""
    def step(text: str) -> float:
        if not text:
            return np.nan
        try:
            value = printed_step(text)
        except ValueError:
            return 0.0
        return 0.0 if np.isnan(value) else value

    return texts.map({t: step(t) for t in texts.unique()}).astype(float)


def value_steps(values: pd.Series) -> pd.Series:
    """The printed step of each value written as ``FLOAT_FORMAT``: 1 for a whole number below 1e10 (printed to its
    last digit), else 10^-decimals of a plain decimal text ("73.31": 0.01), 0 for a text with a sign or an exponent,
    NaN where missing (`text_steps` of those texts)."""
    numbers = values.to_numpy(dtype=float, na_value=np.nan)
    whole = ~np.signbit(numbers) & (numbers < 1e10) & (numbers == np.floor(numbers))  # NaN compares False
    texts = float_texts(values[~whole])
    decimals = decimals_of(texts)
    steps = decimals.map({d: 10.0**-d for d in decimals.unique()}).astype(float)  # Python's powers, as printed_step's
    steps = steps.where(texts.str.fullmatch(r"[0-9]+(?:\.[0-9]+)?"), 0.0).where(texts != "")
    out = np.ones(len(numbers))
    out[~whole] = steps.to_numpy(dtype=float)
    return pd.Series(out, index=values.index)


def cell_intervals(cities: pd.DataFrame, printed: pd.DataFrame | None = None) -> pd.DataFrame:
    """``<column>_low`` and ``<column>_high`` for every numeric column: the value -+ half its printed step.

    ``printed``: the cells' texts where they were printed otherwise than ``FLOAT_FORMAT`` of the value
    (`printed_otherwise`, or every cell's text: `printed_texts`); a cell without one is read as that format.
    """
    out = pd.DataFrame(index=cities.index)
    for col in NUMERIC:
        step = value_steps(cities[col])
        if printed is not None:
            texts = printed[col].reindex(cities.index)
            given = texts.notna()
            step[given] = text_steps(texts[given].astype(str))
        out[f"{col}_low"] = cities[col] - step / 2
        out[f"{col}_high"] = cities[col] + step / 2
    return out


def verdicts_of(checkable: pd.Series, agrees: pd.Series) -> pd.Series:
    """`verdict` of every row at once: the verdict of each of the four (checkable, agrees) cases, picked by row."""
    c, a = checkable.to_numpy(dtype=bool), agrees.to_numpy(dtype=bool)
    cases = [verdict(checkable=ci, agrees=ai) for ci in (False, True) for ai in (False, True)]
    return _labels(2 * c + a, cases, checkable.index)


def _labels(codes: np.ndarray, labels: list[str], index: pd.Index) -> pd.Series:
    """A text column whose row i is ``labels[codes[i]]``."""
    return pd.Series(np.array(labels, dtype=object)[codes], index=index, dtype="str")


def city_densities(cities: pd.DataFrame, printed: pd.DataFrame | None = None, *,
                   country: str | None = None) -> pd.DataFrame:
    """`densities_of` the table; with ``country`` (an ISO3 code) only that country's rows, each as in the whole
    table's densities (a row's densities depend on its own cells, its country's rows and the decimals of the
    table's stated rates)."""
    if country is None:
        return densities_of(cities, printed)
    rows = cities["country_code"].eq(country).to_numpy()
    return densities_of(cities[rows], printed, rate_decimals=table_rate_decimals(cities))


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
    out["per_1000_basis"] = _labels(basis, ["cameras / population", "as printed", ""], out.index)
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
    out["basis"] = _labels(estimated_rows(out, decimals).to_numpy(dtype=int), [COUNTED, ESTIMATED], out.index)
    return out


def rank_at_precision(values: pd.Series, decimals: int) -> pd.Series:
    """Rank, 1 = largest, with values equal at ``decimals`` places sharing the better rank (NaN unranked)."""
    return values.round(decimals).rank(ascending=False, method="min").astype("Int64")


def add_rankings(densities: pd.DataFrame) -> pd.DataFrame:
    """Rank counted cities by per-1,000 and per-square-mile density, overall and within their country, each within
    its own table (``source``): several tables loaded in one run are never pooled into one ranking, so a city and
    its copy in another table never share, or compete for, a place.

    Ties share a rank, computed at the printed precision of the table's own column (two decimals for
    Comparitech), so floating-point noise never orders two equal figures. Estimated rows are not ranked.
    Rows are sorted by table, then rank.
    """
    out = densities.copy(deep=False)  # copy-on-write
    counted = out["basis"].eq(COUNTED) if "basis" in out else pd.Series(True, index=out.index)
    table = out["source"] if "source" in out else pd.Series("", index=out.index)
    for col, stated in (("per_1000", "stated_per_1000"), ("per_sq_mi", "stated_per_sq_mi")):
        decimals = {name: source_decimals(out.loc[rows, stated]) for name, rows in table.groupby(table).groups.items()}
        values = pd.concat([out.loc[rows, col].where(counted.loc[rows]).round(decimals[name])
                            for name, rows in table.groupby(table).groups.items()]).reindex(out.index)
        out[f"rank_{col}"] = values.groupby(table).rank(ascending=False, method="min").astype("Int64")
        out[f"rank_{col}_in_country"] = values.groupby([table, out["country_code"]]).rank(
            ascending=False, method="min").astype("Int64")
    order = ["source", "rank_per_1000", "city"] if "source" in out else ["rank_per_1000", "city"]
    return out.sort_values(order, kind="mergesort", na_position="last").reset_index(drop=True)


def check_summary(densities: pd.DataFrame) -> str:
    """One line: how the stated per-1,000 figures compare with cameras / population, in the verdict vocabulary."""
    counts = densities["per_1000_check"].value_counts()
    n = len(densities)
    if counts.get(UNCHECKABLE, 0) == n:
        return (f"{n} rows: the stated per-1,000 figures cannot be checked (no camera count, population or "
                "stated rate to compare)")
    parts = [f"{k} {v}" for v, k in sorted(((v, int(k)) for v, k in counts.items()), key=lambda t: (-t[1], t[0]))]
    return f"{n} stated per-1,000 figures against cameras / population: " + ", ".join(parts)


def flagged_areas(densities: pd.DataFrame, factor: float = AREA_OUTLIER_FACTOR) -> tuple[pd.Series, pd.Series]:
    """The one rule of the area flags: which rows' implied area is over ``factor`` x the median of their own table
    (``source``), and that median, row by row."""
    table = densities["source"] if "source" in densities else pd.Series("", index=densities.index)
    median = densities["area_sq_mi"].groupby(table).transform("median")
    return densities["area_sq_mi"] > factor * median, median


def area_definition_flags(densities: pd.DataFrame, factor: float = AREA_OUTLIER_FACTOR) -> pd.DataFrame:
    """Cities whose implied area is over ``factor`` x the median of their own table (``source``): their per-area
    densities are not comparable with the others (the area is a metropolitan or administrative region)."""
    mask, median = flagged_areas(densities, factor)
    flagged = densities[mask].copy()
    flagged["area_vs_median"] = flagged["area_sq_mi"] / median[flagged.index]
    cols = ["city", "country_code", "population", "area_sq_mi", "area_km2", "people_per_sq_mi",
            "per_sq_mi", "area_vs_median"]
    cols = ["source", *cols] if "source" in flagged else cols
    order = ["source", "area_vs_median"] if "source" in flagged else ["area_vs_median"]
    return flagged[cols].sort_values(order, ascending=[True, False][-len(order):], kind="mergesort").reset_index(
        drop=True)


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
