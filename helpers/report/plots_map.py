"""The world map: each city of a table at its GeoNames coordinates on Natural Earth's country outlines, in the
Equal Earth projection (cartopy, drawing only the committed outlines: nothing is downloaded).

A city's marker grows in area and darkens in colour with its rate (cameras per 1,000 people by default), both on
a logarithmic scale, since the rates span three decades: area from `AREA_MIN` to `AREA_MAX` square points between
the smallest and the largest positive rate shown. Counted cities are filled, cities whose rate is one national
rate applied to every city of a country (estimated, `basis`) are open; China's cities are squares and the others
circles, as in every figure. A city with a rate of zero is a small grey cross (no logarithm).
"""

from __future__ import annotations

import matplotlib
import matplotlib.colors as mcolors
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from helpers.data.geography import country_outlines
from helpers.data.table_facts import COUNTED
from helpers.errors import ParameterError
from helpers.report.figures import DOUBLE_COLUMN, MARKERS, apply_style

AREA_MIN, AREA_MAX = 5.0, 60.0  # square points: the smallest and the largest positive rate
# viridis reversed (colour-blind safe, dark for high rates) without its palest eighth, which vanishes on the land
CMAP_RANGE = (0.0, 0.88)
LAND, BORDER = "0.90", "0.55"
EXTENT = (-180.0, 180.0, -56.0, 78.0)  # longitude and latitude drawn (no Antarctica, no high Arctic)
INSET_CITIES = 10  # a country with this many placed cities or more is shown again, larger, in an inset
INSET_PAD = 2.0  # degrees around the middle 90% of its cities
INSET_BOUNDS = (0.655, 0.03, 0.2, 0.34)  # the inset in the map's axes fraction: the Indian Ocean, clear of cities
ZERO_MARKER = "x"
ZERO_COLOUR = "0.45"


def marker_areas(values: pd.Series, low: float, high: float) -> np.ndarray:
    """Marker areas (square points) for positive ``values``: `AREA_MIN` at ``low``, `AREA_MAX` at ``high``,
    linear in the logarithm between them (equal ``low`` and ``high``: the middle area)."""
    if high <= low:
        return np.full(len(values), (AREA_MIN + AREA_MAX) / 2)
    share = (np.log(values.to_numpy(dtype=float)) - np.log(low)) / (np.log(high) - np.log(low))
    return AREA_MIN + (AREA_MAX - AREA_MIN) * np.clip(share, 0.0, 1.0)


def rate_colours() -> mcolors.Colormap:
    """The map's colour scale: viridis between `CMAP_RANGE`, reversed (the highest rates darkest)."""
    return mcolors.ListedColormap(matplotlib.colormaps["viridis"](np.linspace(*CMAP_RANGE, 256))[::-1],
                                  name="rates")


def _legend_values(low: float, high: float) -> list[float]:
    """Powers of ten between ``low`` and ``high`` (the two ends when none falls between), for the size key."""
    powers = [10.0**k for k in range(int(np.floor(np.log10(low))), int(np.ceil(np.log10(high))) + 1)]
    inside = [v for v in powers if low <= v <= high]
    return inside if len(inside) >= 2 else sorted({low, high})


def _rate_label(value: float) -> str:
    return f"{value:,.0f}" if value >= 1 else f"{value:g}"


def new_map(aspect: float = 0.5):
    """A styled figure two journal columns wide with one Equal Earth axes; returns (fig, ax)."""
    import cartopy.crs as ccrs
    import matplotlib.pyplot as plt

    apply_style()
    fig = plt.figure(figsize=(DOUBLE_COLUMN, DOUBLE_COLUMN * aspect), layout="constrained")
    ax = fig.add_subplot(projection=ccrs.EqualEarth())
    return fig, ax


def inset_extent(placed: pd.DataFrame, country_code: str) -> tuple[float, float, float, float] | None:
    """The box (west, east, south, north, degrees) the inset shows: the middle 90% of the country's placed cities
    in longitude and in latitude, `INSET_PAD` degrees wider on each side; None below `INSET_CITIES` cities."""
    rows = placed[placed["country_code"].eq(country_code)].dropna(subset=["latitude", "longitude"])
    if len(rows) < INSET_CITIES:
        return None
    lon = rows["longitude"].quantile([0.05, 0.95]).to_numpy()
    lat = rows["latitude"].quantile([0.05, 0.95]).to_numpy()
    return (float(lon[0] - INSET_PAD), float(lon[1] + INSET_PAD), float(lat[0] - INSET_PAD), float(lat[1] + INSET_PAD))


def _outlines(ax, linewidth: float) -> None:
    import cartopy.crs as ccrs

    ax.add_geometries(country_outlines(), crs=ccrs.PlateCarree(), facecolor=LAND, edgecolor=BORDER,
                      linewidth=linewidth)
    ax.spines["geo"].set_linewidth(0.5)
    ax.spines["geo"].set_edgecolor("0.4")


def _cities(ax, shown: pd.DataFrame, value_col: str, norm, low: float, high: float) -> None:
    """The markers of ``shown`` (placed cities with a rate, highest first, so small markers lie on top)."""
    import cartopy.crs as ccrs

    transform = ccrs.PlateCarree()
    cmap = rate_colours()
    positive = shown[shown[value_col] > 0]
    estimated = shown["basis"].ne(COUNTED) if "basis" in shown else pd.Series(False, index=shown.index)
    for in_china, marker in ((False, MARKERS["elsewhere"]), (True, MARKERS["china"])):
        for open_marker in (False, True):
            rows = positive[positive["country_code"].eq("CHN").eq(in_china) & estimated[positive.index].eq(open_marker)]
            if not len(rows):
                continue
            colours = cmap(norm(rows[value_col].to_numpy(dtype=float)))
            ax.scatter(rows["longitude"], rows["latitude"], s=marker_areas(rows[value_col], low, high),
                       marker=marker, transform=transform, zorder=3,
                       facecolors="none" if open_marker else colours,
                       edgecolors=colours if open_marker else "0.25", linewidths=1.0 if open_marker else 0.3)
    zero = shown[shown[value_col] <= 0]
    if len(zero):
        ax.scatter(zero["longitude"], zero["latitude"], s=AREA_MIN * 2, marker=ZERO_MARKER, color=ZERO_COLOUR,
                   linewidths=0.6, transform=transform, zorder=3)


def _inset(ax, shown: pd.DataFrame, box: tuple[float, float, float, float], value_col: str, norm, low: float,
           high: float) -> None:
    """The crowded country's cities again, larger, in an inset (`INSET_BOUNDS`), its box outlined on the map."""
    import cartopy.crs as ccrs
    from matplotlib.patches import Rectangle

    inset = ax.inset_axes(INSET_BOUNDS, projection=ccrs.PlateCarree())
    inset.set_extent(box, crs=ccrs.PlateCarree())
    _outlines(inset, 0.4)
    west, east, south, north = box
    _cities(inset, shown[shown["longitude"].between(west, east) & shown["latitude"].between(south, north)],
            value_col, norm, low, high)
    ax.add_patch(Rectangle((west, south), east - west, north - south, transform=ccrs.PlateCarree(),
                           fill=False, edgecolor="0.2", linewidth=0.6, zorder=4))


def plot_world_map(placed: pd.DataFrame, value_col: str = "per_1000", *, ax=None,
                   label: str = "Cameras per 1,000 people (log scale)", inset: str | None = "CHN"):
    """Draw the cities of ``placed`` (`helpers.data.geography.city_coordinates`'s frame, with ``value_col``,
    ``country_code`` and ``basis``) that have coordinates and a rate; the cities of the country ``inset`` (ISO3)
    again in an inset when it has `INSET_CITIES` or more (None: no inset). Returns (fig, ax)."""
    import cartopy.crs as ccrs

    for column in (value_col, "latitude", "longitude", "country_code"):
        if column not in placed:
            raise ParameterError(f"world map: the cities have no column {column!r}")
    if ax is None:
        fig, ax = new_map()
    fig = ax.figure
    ax.set_extent(EXTENT, crs=ccrs.PlateCarree())
    _outlines(ax, 0.3)

    shown = placed.dropna(subset=["latitude", "longitude", value_col])
    shown = shown.sort_values([value_col, "latitude", "longitude"], ascending=[False, True, True], kind="mergesort")
    positive = shown[shown[value_col] > 0]
    zero = shown[shown[value_col] <= 0]
    estimated = shown["basis"].ne(COUNTED) if "basis" in shown else pd.Series(False, index=shown.index)
    low, high = (float(positive[value_col].min()), float(positive[value_col].max())) if len(positive) else (1, 10)
    norm = mcolors.LogNorm(vmin=low, vmax=high if high > low else low * 10)
    cmap = rate_colours()
    _cities(ax, shown, value_col, norm, low, high)
    box = inset_extent(shown, inset) if inset else None
    if box is not None:
        _inset(ax, shown, box, value_col, norm, low, high)

    bar = fig.colorbar(matplotlib.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax,
                       orientation="horizontal", shrink=0.45, aspect=30, pad=0.02)
    bar.set_label(label, fontsize=7)
    bar.ax.tick_params(labelsize=7)
    ticks = _legend_values(low, high)
    bar.set_ticks(ticks, labels=[_rate_label(v) for v in ticks])
    bar.ax.minorticks_off()
    _legend(ax, low, high, has_estimated=bool(estimated.any()), has_zero=bool(len(zero)))
    return fig, ax


def _legend(ax, low: float, high: float, *, has_estimated: bool, has_zero: bool) -> None:
    """One key below the map: the marker areas of a few rates, then what the marker kinds mean."""
    grey = "0.35"
    ticks = _legend_values(low, high)
    handles = [Line2D([], [], linestyle="none", marker=MARKERS["elsewhere"], color=grey, markeredgecolor="0.25",
                      markeredgewidth=0.3, markersize=float(np.sqrt(a)), label=_rate_label(v))
               for v, a in zip(ticks, marker_areas(pd.Series(ticks), low, high), strict=True)]
    kinds = [("counted, elsewhere", MARKERS["elsewhere"], grey), ("counted, China", MARKERS["china"], grey)]
    handles += [Line2D([], [], linestyle="none", marker=m, color=c, markersize=6, label=t) for t, m, c in kinds]
    if has_estimated:
        handles.append(Line2D([], [], linestyle="none", marker=MARKERS["elsewhere"], markerfacecolor="none",
                              markeredgecolor=grey, markeredgewidth=1.0, markersize=6,
                              label="estimated (one national rate)"))
    if has_zero:
        handles.append(Line2D([], [], linestyle="none", marker=ZERO_MARKER, color=ZERO_COLOUR, markersize=5,
                              label="no cameras counted"))
    ax.legend(handles=handles, loc="lower left", ncols=1, fontsize=7, frameon=True, framealpha=0.9,
              edgecolor="none", borderpad=0.4, handletextpad=0.3, labelspacing=0.5, bbox_to_anchor=(0.0, 0.0))
