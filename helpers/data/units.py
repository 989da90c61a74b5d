"""Units of the project's quantities: area conversion, the share's one unit, the implied area, and the precision each
column is stored at.

One unit per quantity: areas in square miles (km² beside them, converted here), rates per 1,000 people,
densities per square mile, and China's share of the world's cameras as a fraction (0.54, never 54): the
article's "54 percent" is converted on reading (`to_project_unit`).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from helpers.errors import ParameterError

# 1 international mile = 1.609344 km exactly, so 1 sq mi = 1.609344**2 km².
KM2_PER_SQ_MI: float = 1.609344**2
PERCENT = 100.0  # a percent figure divided by this is the fraction the project uses

Number = float | np.ndarray | pd.Series


def sq_mi_to_km2(area_sq_mi: Number) -> Number:
    """Convert an area from square miles to km²."""
    return area_sq_mi * KM2_PER_SQ_MI


def km2_to_sq_mi(area_km2: Number) -> Number:
    """Convert an area from km² to square miles."""
    return area_km2 / KM2_PER_SQ_MI


def per_sq_mi_to_per_km2(density_per_sq_mi: Number) -> Number:
    """Convert a density per square mile to the same density per km²."""
    return density_per_sq_mi / KM2_PER_SQ_MI


def per_km2_to_per_sq_mi(density_per_km2: Number) -> Number:
    """Convert a density per km² to the same density per square mile."""
    return density_per_km2 * KM2_PER_SQ_MI


def _require(value: Number, name: str, *, zero_ok: bool) -> None:
    """Raise ParameterError if any of ``value`` is negative (or zero unless ``zero_ok``); NaN passes."""
    arr = np.asarray(value, dtype=float)
    ok = np.isnan(arr) | ((arr >= 0) if zero_ok else (arr > 0))
    if not ok.all():
        rule = "must not be negative" if zero_ok else "must be positive"
        raise ParameterError(f"{name} {rule}, got {float(arr[~ok].ravel()[0]):g}")


def require_positive(value: Number, name: str) -> None:
    """Raise ParameterError if any of ``value`` is zero or negative (a quantity divided by); NaN passes."""
    _require(value, name, zero_ok=False)


def require_non_negative(value: Number, name: str) -> None:
    """Raise ParameterError if any of ``value`` is negative (a count or a rate); NaN passes."""
    _require(value, name, zero_ok=True)


def implied_area(cameras: Number, density: Number) -> Number:
    """Area for which ``cameras`` gives ``density`` (same area unit as the density)."""
    require_non_negative(cameras, "cameras")
    require_positive(density, "density")
    return cameras / density


def to_project_unit(value: float, unit: str) -> float:
    """A figure's value in the project's unit for its quantity: percent becomes a fraction, others stay."""
    return value / PERCENT if unit.strip().lower() in ("percent", "%", "per cent") else value


# --- stored precision ------------------------------------------------------------------------------------------
# Decimal places each column is stored at (CSV, Markdown, LaTeX), so no table carries floating-point noise such
# as 75.88000001. Counts and people are whole; rates keep two more decimals than Comparitech prints (0.01) so a
# recomputed rate can be told from the printed one; densities keep the source's 0.01. Columns that mix
# quantities (the claims audit's stated and recomputed values) keep SIGNIFICANT digits instead.
DECIMALS: dict[str, int] = {
    "cameras": 0, "population": 0, "china_cameras": 0, "china_population": 0, "world_cameras": 0,
    "rest_of_world_cameras": 0, "rest_of_world_population": 0, "world_population": 0,
    "per_1000": 4, "per_1000_low": 4, "per_1000_high": 4, "stated_per_1000": 2,
    "china_per_1000": 4, "rest_of_world_per_1000": 4, "city_per_1000": 2, "stated_rate": 2,
    "china_share_of_world": 6, "china_to_rest_ratio": 4, "ratio": 4,
    "china_per_1000_un": 4, "rest_of_world_per_1000_scenario_population": 4,
    "china_to_rest_ratio_scenario_population": 4,
    "per_sq_mi": 2, "per_sq_mi_low": 2, "per_sq_mi_high": 2, "stated_per_sq_mi": 2, "counted_per_sq_mi": 2,
    "method_per_sq_mi": 2, "method_low": 2, "method_high": 2,
    "p5": 2, "p25": 2, "p50": 2, "p75": 2, "p95": 2, "rule_p5": 2, "rule_p50": 2, "rule_p95": 2,
    "people_per_sq_mi_low": 1, "people_per_sq_mi_high": 1,
    "per_km2": 2, "people_per_sq_mi": 1, "implied_people_per_sq_mi": 1, "table_people_per_sq_mi": 1,
    "area_sq_mi": 3, "area_km2": 3, "area_vs_median": 3, "vs_densest_outside_china": 4,
    "relative_difference": 6, "crime_index": 2,
}
# The tornado's input ends are stored exactly (CSV's "%.10g"), not rounded: an end within a printed figure's rounding
# (a population of 12,591,700 is 12,591,699.5 to 12,591,700.5) would otherwise print as the figure at both ends.
SIGNIFICANT: dict[str, int] = {"low": 7, "high": 7, "central": 7, "output_low": 7, "output_high": 7, "swing": 4,
                               "min": 7, "max": 7}
# Decimal places of an article figure by its metric (the claims audit stores each row at its own metric's).
METRIC_DECIMALS: dict[str, int] = {"cameras": 0, "population": 0, "pixels": 0, "cities_analysed": 0,
                                   "cameras_per_1000": 4, "cameras_per_sq_mi": 2, "share_of_world_cameras": 6,
                                   "rank_per_sq_mi": 0, "rank_per_sq_mi_outside_china": 0, "rank_population": 0}


def _significant(x: float, digits: int) -> float:
    if not math.isfinite(x) or x == 0:
        return x
    return round(x, digits - 1 - math.floor(math.log10(abs(x))))


def round_columns(df: pd.DataFrame, extra: dict[str, int] | None = None) -> pd.DataFrame:
    """``df`` with every float column named in DECIMALS (or ``extra``) rounded to its decimals, and every one
    named in SIGNIFICANT to its significant digits; other columns unchanged."""
    out = df.copy(deep=False)  # copy-on-write: the rounded columns replace, never touch, those of ``df``
    decimals = {**DECIMALS, **(extra or {})}
    for col in out.columns:
        if not pd.api.types.is_float_dtype(out[col]):
            continue
        if col in decimals:
            out[col] = out[col].round(decimals[col]) + 0.0  # + 0.0 turns -0.0 into 0.0
        elif col in SIGNIFICANT:
            out[col] = out[col].map(lambda x, d=SIGNIFICANT[col]: _significant(x, d)).astype(float)
    return out


def round_rows(df: pd.DataFrame, key: str, columns: list[str] | None = None, mapping: dict[str, int] | None = None,
               default: int | None = None) -> pd.DataFrame:
    """``df`` with each row's float ``columns`` (default: all) rounded to the decimals of that row's quantity:
    ``mapping`` (default DECIMALS) of the row's ``key`` value, read up to its first space ("china_per_1000 p5
    (sensitivity)" is china_per_1000); ``default`` for a quantity not in it (None: left as is)."""
    out = df.copy()
    mapping = DECIMALS if mapping is None else mapping
    cols = [c for c in (columns or list(out.columns)) if pd.api.types.is_float_dtype(out[c])]
    for i, name in out[key].items():
        places = mapping.get(str(name).split(" ", 1)[0], default)
        if places is not None:
            out.loc[i, cols] = out.loc[i, cols].astype(float).round(places) + 0.0
    return out
