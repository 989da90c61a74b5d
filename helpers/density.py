"""Camera densities (per 1,000 people, per square mile, per km²) and the quantities they imply."""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.errors import ParameterError
from helpers.names import match_key
from helpers.units import Number, per_sq_mi_to_per_km2

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


def relative_difference(stated: Number, recomputed: Number) -> Number:
    """(recomputed - stated) / stated; NaN where the stated value is zero."""
    stated_arr = np.asarray(stated, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (np.asarray(recomputed, dtype=float) - stated_arr) / np.where(stated_arr == 0, np.nan, stated_arr)
    if isinstance(recomputed, pd.Series):
        return pd.Series(out, index=recomputed.index)
    return out if out.ndim else float(out)


# --- city tables -------------------------------------------------------------------------------

ROUNDING_2DP = 0.005 + 1e-9  # a figure printed to two decimals stands within this of the truth
AREA_OUTLIER_FACTOR = 3.0  # implied areas above this multiple of the median are flagged


def find_city(cities: pd.DataFrame, name: str) -> pd.Series | None:
    """The first row of ``cities`` whose city matches ``name`` (accents, case, 'City' ignored), or None."""
    hits = cities[cities["city"].map(match_key) == match_key(name)]
    return None if hits.empty else hits.iloc[0]


def city_densities(cities: pd.DataFrame) -> pd.DataFrame:
    """Recompute every city's densities and flag stated figures that disagree beyond rounding.

    Adds ``per_1000``, ``per_sq_mi``, ``per_km2`` (from counts, population and implied area),
    ``per_1000_agrees`` (|recomputed - stated| within two-decimal rounding), ``people_per_sq_mi``.
    """
    out = cities.copy()
    known_pop = out["population"].where(out["population"] > 0)
    known_area = out["area_sq_mi"].where(out["area_sq_mi"] > 0)
    out["per_1000"] = per_thousand(out["cameras"], known_pop)
    out["per_sq_mi"] = per_area(out["cameras"], known_area)
    out["per_km2"] = per_sq_mi_to_per_km2(out["per_sq_mi"])
    out["per_1000_agrees"] = (out["per_1000"] - out["stated_per_1000"]).abs() <= ROUNDING_2DP
    out["people_per_sq_mi"] = out["population"] / known_area
    return out


def add_rankings(densities: pd.DataFrame) -> pd.DataFrame:
    """Rank cities by per-1,000 and per-square-mile density, overall and within their country."""
    out = densities.copy()
    for col in ("per_1000", "per_sq_mi"):
        out[f"rank_{col}"] = out[col].rank(ascending=False, method="min").astype("Int64")
        out[f"rank_{col}_in_country"] = (
            out.groupby("country_code")[col].rank(ascending=False, method="min").astype("Int64")
        )
    return out.sort_values(["rank_per_1000", "city"], kind="mergesort").reset_index(drop=True)


def area_definition_flags(densities: pd.DataFrame, factor: float = AREA_OUTLIER_FACTOR) -> pd.DataFrame:
    """Cities whose implied area is over ``factor`` x the median: their per-area densities are
    not comparable with the others (the area is a metropolitan or administrative region)."""
    median = densities["area_sq_mi"].median()
    flagged = densities[densities["area_sq_mi"] > factor * median].copy()
    flagged["area_vs_median"] = flagged["area_sq_mi"] / median
    cols = ["city", "country_code", "population", "area_sq_mi", "area_km2", "people_per_sq_mi",
            "per_sq_mi", "area_vs_median"]
    return flagged[cols].sort_values("area_vs_median", ascending=False, kind="mergesort").reset_index(drop=True)


def chinese_city_method(figures: pd.DataFrame, cities: pd.DataFrame | None = None) -> pd.DataFrame:
    """How the article's Chinese city densities follow from the national rate.

    The stated density divided by the conservative national rate gives the population density the
    figure implies; the same city under the high rate scales by high/conservative. With a city
    table, the table's own population density and count-based density are shown beside it.
    """
    rates = figures.set_index("figure_id")["value"]
    conservative, high = rates["china_per_1000_conservative"], rates["china_per_1000_high"]
    chinese = figures[(figures["country"] == "China") & (figures["metric"] == "cameras_per_sq_mi")]
    rows = []
    for fig in chinese.itertuples():
        row = {"city": fig.entity, "stated_per_sq_mi": fig.value,
               "implied_people_per_sq_mi": implied_population(fig.value, conservative),
               "high_rate_per_sq_mi": fig.value * high / conservative}
        city = find_city(cities, fig.entity) if cities is not None else None
        if city is not None:
            row["table_people_per_sq_mi"] = city["population"] / city["area_sq_mi"]
            row["table_per_sq_mi_from_count"] = city["stated_per_sq_mi"]
            row["method_per_sq_mi"] = implied_cameras(conservative, city["population"]) / city["area_sq_mi"]
        rows.append(row)
    return pd.DataFrame(rows)


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
    """China's national rate under each scenario against the per-1,000 city rates the article quotes."""
    values = figures.set_index("figure_id")["value"]
    cities = figures[(figures["metric"] == "cameras_per_1000") & (figures["entity"] != "China")]
    rows = []
    for scenario in ("conservative", "high"):
        rate = values[f"china_per_1000_{scenario}"]
        for city in cities.itertuples():
            rows.append({"scenario": scenario, "china_per_1000": rate, "city": city.entity,
                         "city_per_1000": city.value, "ratio": rate / city.value})
    return pd.DataFrame(rows)


def stated_rates(figures: pd.DataFrame) -> pd.DataFrame:
    """Every per-1,000 figure the article prints, labelled (China's by scenario), for plotting."""
    rows = figures[figures["metric"] == "cameras_per_1000"]
    labels = [f"China, {s}" if e == "China" else e for e, s in zip(rows["entity"], rows["scenario"], strict=True)]
    return pd.DataFrame({"label": labels, "per_1000": rows["value"].to_numpy(),
                         "in_china": (rows["country"] == "China").to_numpy()})
