"""Area units and their conversion (the one home for the square-mile/km² factor)."""

from __future__ import annotations

import numpy as np
import pandas as pd

# 1 international mile = 1.609344 km exactly, so 1 sq mi = 1.609344**2 km².
KM2_PER_SQ_MI: float = 1.609344**2

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
