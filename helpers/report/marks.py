"""Drawing pieces the plot kinds share: tick labels, China and elsewhere as colour and marker, labels placed by
adjustText, plain log ticks and binned densities for scatters of many points."""

from __future__ import annotations

from collections.abc import Iterable

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import ListedColormap, LogNorm
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from helpers.report.figures import BIN_POINTS, COLORS, GRID, LABEL_ITERATIONS, MARKERS, MIN_TEXT_PT

LABEL_OFFSET_PT = 2  # a label starts this far from its point (up and away from the nearer edges), so a leader
# line always joins the two, however little adjustText then moves it
LEADER = {"arrowstyle": "-", "lw": 0.5, "color": "0.4", "shrinkA": 1, "shrinkB": 2}  # from the label's edge


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


LEGEND_ENTRY_PT = 36  # a legend entry beside its text: marker, gaps and column spacing, in points at 7-pt text


def legend_columns(fig, handles: list, most: int | None = None) -> int:
    """The most legend columns (at most ``most``) whose entries fit in one row each across ``fig``'s width, the
    labels measured in the legend's font: a legend below the axes never runs off the canvas."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextPath

    font = FontProperties(family=plt.rcParams["font.family"], size=plt.rcParams["legend.fontsize"])
    widths = [TextPath((0, 0), h.get_label(), prop=font).get_extents().width for h in handles]
    room = fig.get_figwidth() * 72 - 10
    n = min(len(handles), most or len(handles))
    while n > 1:
        rows = -(-len(widths) // n)  # matplotlib fills the columns one after another, each ``rows`` deep
        columns = [widths[i * rows:(i + 1) * rows] for i in range(n)]
        if sum(max(c) + LEGEND_ENTRY_PT for c in columns if c) <= room:
            break
        n -= 1
    return max(n, 1)


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


def _offset_starts(ax, xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Where each label starts: `LABEL_OFFSET_PT` from its point, towards the middle of the axes (so away from the
    nearer edges), in data coordinates; and the horizontal alignment that keeps the label on that side."""
    to_display = ax.transData.transform
    points = to_display(np.column_stack([xs, ys]))
    box = ax.bbox
    step = LABEL_OFFSET_PT * ax.figure.dpi / 72
    sx = np.where(points[:, 0] < (box.x0 + box.x1) / 2, 1.0, -1.0)
    sy = np.where(points[:, 1] < (box.y0 + box.y1) / 2, 1.0, -1.0)
    starts = ax.transData.inverted().transform(points + np.column_stack([sx * step, sy * step]))
    return starts[:, 0], starts[:, 1], ["left" if s > 0 else "right" for s in sx]


def label_points(ax, xs, ys, labels, *, avoid_x=None, avoid_y=None, fontsize: float = MIN_TEXT_PT,
                 boxed: bool = False) -> None:
    """Text labels set off from their points, moved by adjustText until none overlaps any point (``avoid_x``,
    ``avoid_y``: every point drawn), then any two that still overlap set apart (`_set_apart`), each joined to its
    point by a leader line (`LEADER`)."""
    from adjustText import adjust_text

    if not len(labels):
        return
    ax.figure.draw_without_rendering()  # the constrained layout first, so adjustText works in the final axes
    xs, ys = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    box = {"bbox": {"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none", "alpha": 0.8}} if boxed \
        else {}  # boxed: readable over a binned density
    sx, sy, align = _offset_starts(ax, xs, ys)
    texts = [ax.text(x, y, str(lab), fontsize=fontsize, zorder=5, ha=ha, va="center", **box)
             for x, y, lab, ha in zip(sx, sy, labels, align, strict=True)]
    adjust_text(texts, x=np.asarray(avoid_x if avoid_x is not None else xs, dtype=float),
                y=np.asarray(avoid_y if avoid_y is not None else ys, dtype=float), target_x=xs, target_y=ys, ax=ax,
                iter_lim=LABEL_ITERATIONS, time_lim=None, expand=(1.15, 1.3), force_static=(0.3, 0.5),
                force_text=(0.3, 0.6))
    _set_apart(ax, texts)
    for t, x, y in zip(texts, xs, ys, strict=True):
        ax.add_patch(FancyArrowPatch(posA=t.get_position(), posB=(x, y), patchA=t, zorder=4, **LEADER))


def _set_apart(ax, texts: list, tries: int = 20) -> None:
    """Move each label that overlaps one placed before it up or down (away from the first one's middle, then on in
    that direction past any other) until it overlaps none: adjustText's forces can leave two labels on top of each
    other. Deterministic (a fixed order)."""
    renderer = ax.figure.canvas.get_renderer()
    placed: list = []
    for t in texts:
        up = None
        for _ in range(tries):
            own = t.get_window_extent(renderer)
            hit = next((b for b in placed if b.overlaps(own)), None)
            if hit is None:
                break
            up = (own.y0 + own.y1 >= hit.y0 + hit.y1) if up is None else up
            dy = (hit.y1 - own.y0 + 1.0) if up else (hit.y0 - own.y1 - 1.0)
            x, y = ax.transData.transform(t.get_position())
            t.set_position(tuple(ax.transData.inverted().transform((x, y + dy))))
        placed.append(t.get_window_extent(renderer))


def value_text(v: float) -> str:
    """A value as a label: thousands separators, at most 2 decimals, '< 0.01' for smaller nonzero values."""
    a = abs(v)
    if a >= 100:
        return f"{v:,.0f}"
    if a >= 0.01 or v == 0:
        return f"{v:,.2f}".rstrip("0").rstrip(".") if a < 10 else f"{v:,.1f}"
    return "< 0.01"


def plain_log_ticks(axis, values: pd.Series | None = None) -> None:
    """The one tick style of every log axis: plain numbers ("0.1", "10", "1,000", never 10 to a power), at 1-2-5
    steps when the data span fewer than two decades, at powers of ten otherwise."""
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
    return (f"; shown as a binned density ({what} per cell of a grid of {GRID} × {GRID} cells, log colour scale), "
            f"the labelled {what} as points" if binned(n) else "")


def cell_edges(values: np.ndarray, log: bool, cells: int = GRID) -> np.ndarray:
    lo, hi = float(np.min(values)), float(np.max(values))
    if hi <= lo:
        lo, hi = (lo / 1.5, hi * 1.5) if log else (lo - 0.5, hi + 0.5)
    return np.geomspace(lo, hi, cells + 1) if log else np.linspace(lo, hi, cells + 1)


def density_colors():
    return ListedColormap(plt.get_cmap("Greys")(np.linspace(0.3, 1.0, 256)))


def draw_binned(ax, x: np.ndarray, y: np.ndarray, *, log: bool, label: str = "cities per cell") -> None:
    """Counts of the points per cell of a `GRID` × `GRID` grid (log-spaced on log axes), greys on a log scale, one
    raster image in the SVG and PDF, with a colour bar."""
    xe, ye = cell_edges(x, log), cell_edges(y, log)
    counts = np.histogram2d(x, y, bins=[xe, ye])[0].T
    mesh = ax.pcolormesh(xe, ye, np.ma.masked_equal(counts, 0), cmap=density_colors(), rasterized=True, zorder=1,
                         norm=LogNorm(vmin=1, vmax=max(float(counts.max()), 2.0)))
    plain_colorbar(ax.figure.colorbar(mesh, ax=ax, label=label, shrink=0.8, pad=0.02))


def plain_colorbar(bar) -> None:
    """A log colour bar labelled in the one tick style of log axes (`plain_log_ticks`: plain numbers)."""
    plain_log_ticks(bar.ax.yaxis)
