"""Camera densities (per 1,000 people, per square mile, per km²) and the quantities they imply."""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.errors import ParameterError
from helpers.units import Number, per_sq_mi_to_per_km2

PER = 1000.0  # rates are per 1,000 people


def _require_positive(value: Number, name: str) -> None:
    """Raise ParameterError if any of ``value`` is zero, negative or not a number (NaN passes)."""
    arr = np.asarray(value, dtype=float)
    bad = ~(np.isnan(arr) | (arr > 0))
    if bad.any():
        shown = arr[bad].ravel()[0] if arr.ndim else float(arr)
        raise ParameterError(f"{name} must be positive, got {shown!r}")


def _require_non_negative(value: Number, name: str) -> None:
    arr = np.asarray(value, dtype=float)
    bad = ~(np.isnan(arr) | (arr >= 0))
    if bad.any():
        shown = arr[bad].ravel()[0] if arr.ndim else float(arr)
        raise ParameterError(f"{name} must not be negative, got {shown!r}")


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
