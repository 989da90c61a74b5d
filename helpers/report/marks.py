"""Drawing pieces the plot kinds share: tick labels, China and elsewhere as colour and marker, labels placed by
adjustText, plain log ticks and binned densities for scatters of many points."""

from __future__ import annotations

from collections.abc import Iterable

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import ListedColormap, LogNorm
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from helpers.report.figures import BIN_POINTS, COLORS, GRID, LABEL_ITERATIONS, MARKERS


# Tick formatters are module functions, not lambdas, so a figure can be pickled (copied to another process).
def plain_tick(v: float, _: object = None) -> str:
    """A tick label: the value with thousands separators ("1,000", "0.5")."""
    return f"{v:,g}"


def thousands_tick(v: float, _: object = None) -> str:
    """A short tick label: thousands as "25k" from 10,000 up."""
    return f"{v / 1000:,.0f}k" if abs(v) >= 10_000 else f"{v:,.0f}"


def percent_tick(v: float, _: object = None) -> str:
    """A signed percentage tick label ("+10%", "-0.1%", "0")."""
    return f"{v:+g}%" if v else "0"


def place(in_china: Iterable[bool]) -> tuple[list[str], list[str]]:
    """The colour and the marker of each point: China's or elsewhere's."""
    keys = ["china" if c else "elsewhere" for c in in_china]
    return [COLORS[k] for k in keys], [MARKERS[k] for k in keys]


def place_handles(in_china: pd.Series, filled: bool = True) -> list:
    """Legend handles for China and elsewhere, those present in ``in_china``."""
    shown = [(k, lab) for k, lab, on in (("china", "China", in_china.any()), ("elsewhere", "elsewhere",
                                                                              (~in_china).any())) if on]
    return [Line2D([], [], ls="", marker=MARKERS[k], color=COLORS[k], markerfacecolor=COLORS[k] if filled else "white",
                   label=lab) for k, lab in shown]


def scatter_by(ax, x, y, colors, markers, **kwargs):
    """One scatter call per marker (matplotlib draws one marker per call), in a fixed order."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    colors, markers = np.asarray(colors, dtype=object), np.asarray(markers, dtype=object)
    for m in dict.fromkeys(markers.tolist()):
        at = markers == m
        face = kwargs.pop("facecolors", None)
        ax.scatter(x[at], y[at], marker=m, c=list(colors[at]) if face is None else None,
                   facecolors=face, edgecolors=list(colors[at]) if face is not None else None, **kwargs)
        if face is not None:
            kwargs["facecolors"] = face


def label_points(ax, xs, ys, labels, *, avoid_x=None, avoid_y=None, fontsize: float = 6, boxed: bool = False) -> None:
    """Text labels beside points, moved by adjustText until none overlaps another label or any point (``avoid_x``,
    ``avoid_y``: every point drawn), each joined to its point by a thin line when moved away."""
    from adjustText import adjust_text

    if not len(labels):
        return
    ax.figure.draw_without_rendering()  # the constrained layout first, so adjustText works in the final axes
    xs, ys = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    box = {"bbox": {"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none", "alpha": 0.8}} if boxed \
        else {}  # boxed: readable over a binned density
    texts = [ax.text(x, y, str(lab), fontsize=fontsize, zorder=5, **box)
             for x, y, lab in zip(xs, ys, labels, strict=True)]
    adjust_text(texts, x=np.asarray(avoid_x if avoid_x is not None else xs, dtype=float),
                y=np.asarray(avoid_y if avoid_y is not None else ys, dtype=float), target_x=xs, target_y=ys, ax=ax,
                iter_lim=LABEL_ITERATIONS, time_lim=None, expand=(1.15, 1.3), force_static=(0.3, 0.5),
                arrowprops={"arrowstyle": "-", "lw": 0.4, "color": "0.45"})


def value_text(v: float) -> str:
    """A value as a label: thousands separators, at most 2 decimals, '< 0.01' for smaller nonzero values."""
    a = abs(v)
    if a >= 100:
        return f"{v:,.0f}"
    if a >= 0.01 or v == 0:
        return f"{v:,.2f}".rstrip("0").rstrip(".") if a < 10 else f"{v:,.1f}"
    return "< 0.01"


def plain_log_ticks(axis, values: pd.Series | None = None) -> None:
    """Label a log axis without overlapping labels: plain numbers at 1-2-5 steps when the data span
    fewer than two decades, plain powers of ten otherwise."""
    positive = values[values > 0] if values is not None else pd.Series(dtype=float)
    narrow = values is None or positive.empty or positive.max() / positive.min() < 100
    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0) if narrow else (1.0,)))
    axis.set_major_formatter(FuncFormatter(plain_tick))
    axis.set_minor_formatter(NullFormatter())


def binned(n: int) -> bool:
    """True when a scatter of ``n`` points is drawn as counts per cell (`BIN_POINTS`)."""
    return n > BIN_POINTS


def binned_note(n: int, what: str = "cities") -> str:
    """A caption's words for a scatter of ``n`` points drawn binned ("" when drawn as points)."""
    return (f"; shown as a binned density ({what} per cell of a grid of {GRID} x {GRID} cells, log colour scale), "
            f"the labelled {what} as points" if binned(n) else "")


def cell_edges(values: np.ndarray, log: bool, cells: int = GRID) -> np.ndarray:
    lo, hi = float(np.min(values)), float(np.max(values))
    if hi <= lo:
        lo, hi = (lo / 1.5, hi * 1.5) if log else (lo - 0.5, hi + 0.5)
    return np.geomspace(lo, hi, cells + 1) if log else np.linspace(lo, hi, cells + 1)


def density_colors():
    return ListedColormap(plt.get_cmap("Greys")(np.linspace(0.3, 1.0, 256)))


def draw_binned(ax, x: np.ndarray, y: np.ndarray, *, log: bool, label: str = "cities per cell") -> None:
    """Counts of the points per cell of a `GRID` x `GRID` grid (log-spaced on log axes), greys on a log scale, one
    raster image in the SVG and PDF, with a colour bar."""
    xe, ye = cell_edges(x, log), cell_edges(y, log)
    counts = np.histogram2d(x, y, bins=[xe, ye])[0].T
    mesh = ax.pcolormesh(xe, ye, np.ma.masked_equal(counts, 0), cmap=density_colors(), rasterized=True, zorder=1,
                         norm=LogNorm(vmin=1, vmax=max(float(counts.max()), 2.0)))
    ax.figure.colorbar(mesh, ax=ax, label=label, shrink=0.8, pad=0.02)
