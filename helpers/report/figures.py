"""Figures for papers: one style, byte-identical PNG/SVG/PDF, captions and provenance.

Sizes are a journal's column widths, exactly (`SINGLE_COLUMN`, `DOUBLE_COLUMN`: the saved file is that wide; no
tight bounding box). Every concept has one colour in every figure, and a second cue (`STYLE`, documented in
docs/manuscript.md): China and the cities elsewhere (colour and marker), verdicts (colour and marker), scenarios
(marker only: never a colour), printed against computed or first against later edition (open against filled),
sensitivity and rounding intervals (grey bands and bars). Values spanning decades are drawn as dots or intervals on
a log axis, never as bars. Labels are placed by adjustText (a fixed number of iterations, so the same on every
run). Scatters of more than `RASTER_POINTS` points are rasterized inside the SVG and PDF, so those stay small; of more
than `BIN_POINTS`, drawn as counts per cell (a binned density, `binned_note` for the caption), so they stay fast too.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from helpers.atomic import atomic_path, write_text
from helpers.errors import ParameterError
from helpers.paths import PROJECT_ROOT, check_file_stem, relative
from helpers.report.pdf_fonts import lean_subsets

SINGLE_COLUMN = 3.5  # inches: one column of a two-column journal page
DOUBLE_COLUMN = 7.2  # inches: the full text width
PNG_DPI = 300
# Okabe & Ito's colour-blind-safe palette.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
# One colour per meaning, in every figure. The six verdict colours (analysis.verdicts.COLORS) take green, sky blue,
# blue, orange, vermilion and grey; China is reddish purple and elsewhere black; scenarios get no colour (a marker
# each); bands and intervals are greys.
CHINA, ELSEWHERE = "#CC79A7", "#000000"
COLORS = {"china": CHINA, "elsewhere": ELSEWHERE}
MARKERS = {"china": "s", "elsewhere": "o"}
SCENARIO_MARKERS = {"conservative": "o", "high": "^"}
OTHER_SCENARIO_MARKERS = ("D", "v", "P", "X", "h", "<", ">")
MARKER_NAMES = {"o": "circle", "^": "triangle", "D": "diamond", "v": "down triangle", "P": "plus", "X": "cross",
                "h": "hexagon", "<": "left triangle", ">": "right triangle", "s": "square"}
VERDICT_MARKERS = {"consistent within rounding": "o", "satisfies bound": "<", "arithmetic identity": "D",
                   "differs by edition": "s", "inconsistent": "X", "cannot be checked": "."}
BAND_WIDE, BAND_NARROW = "0.88", "0.70"  # sensitivity p5-p95 and p25-p75
RASTER_POINTS = 2000  # scatters with more points are rasterized in SVG/PDF
BIN_POINTS = 5000  # scatters with more points are drawn as counts per cell of a grid (one raster image)
GRID = 80  # cells on each axis of a binned scatter
DUMBBELL_ROWS = 60  # a dumbbell figure draws at most this many rows
LABEL_ITERATIONS = 300  # adjustText: an iteration limit, never a time limit, so labels land the same every run
FORMATS = ("png", "svg", "pdf")
# Metadata that would otherwise carry a date or a version string into the file.
_METADATA = {"png": {"Software": None}, "svg": {"Date": None}, "pdf": {"CreationDate": None, "Producer": None}}

RC = {
    "font.family": "DejaVu Sans",  # ships with matplotlib: identical glyphs on every machine
    "font.size": 8, "axes.titlesize": 9, "axes.labelsize": 8, "xtick.labelsize": 7, "ytick.labelsize": 7,
    "legend.fontsize": 7, "legend.title_fontsize": 7,
    "pdf.fonttype": 42, "ps.fonttype": 42,  # TrueType, not Type 3: journals accept these
    "svg.fonttype": "path",  # glyphs as paths: the SVG looks the same without the font installed
    "svg.hashsalt": "cctv-density",  # fixed ids inside the SVG
    "figure.dpi": 100, "savefig.dpi": PNG_DPI, "savefig.bbox": None, "savefig.pad_inches": 0.02,
    "figure.constrained_layout.h_pad": 0.03, "figure.constrained_layout.w_pad": 0.03,
    "axes.spines.top": False, "axes.spines.right": False, "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
}


def apply_style() -> None:
    """Set the paper style for every figure that follows."""
    sns.set_theme(context="paper", style="ticks", palette=PALETTE, rc=RC)
    matplotlib.rcParams.update(RC)


def new_figure(width: str = "single", aspect: float = 0.75, nrows: int = 1, ncols: int = 1, **kwargs):
    """A styled figure exactly one ('single', 3.5 in) or two ('double', 7.2 in) journal columns wide, ``aspect``
    x as tall; returns (fig, ax)."""
    apply_style()
    if width not in ("single", "double"):
        raise ParameterError(f"figure width must be 'single' or 'double', got {width!r}")
    w = SINGLE_COLUMN if width == "single" else DOUBLE_COLUMN
    return plt.subplots(nrows, ncols, figsize=(w, w * aspect), layout="constrained", **kwargs)


def scenario_marker(name: str, order: int = 0) -> str:
    """The marker of a scenario (scenarios are told apart by marker, never by colour)."""
    return SCENARIO_MARKERS.get(name, OTHER_SCENARIO_MARKERS[order % len(OTHER_SCENARIO_MARKERS)])


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _portable(value: object) -> object:
    """Provenance values with machine paths made project-relative, so sidecars are the same everywhere."""
    if isinstance(value, dict):
        return {str(k): _portable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_portable(v) for v in value]
    if isinstance(value, Path) or (isinstance(value, str) and value.startswith(str(PROJECT_ROOT))):
        return relative(value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def _show_saved(fig, png: Path) -> bool:
    """In a Jupyter kernel drawing inline: display ``png`` at figure.dpi instead of drawing ``fig`` once more, and
    close ``fig`` (so the inline backend does not draw it again). False elsewhere (nothing done)."""
    if "inline" not in matplotlib.get_backend():
        return False
    from IPython import get_ipython
    from IPython.display import display
    from PIL import Image as Picture

    if getattr(get_ipython(), "kernel", None) is None:
        return False
    with Picture.open(png) as picture:
        factor = PNG_DPI / matplotlib.rcParams["figure.dpi"]
        size = (round(picture.width / factor), round(picture.height / factor))
        shown = picture.reduce(int(factor)) if factor == int(factor) else picture.resize(size, Picture.LANCZOS)
        buffer = io.BytesIO()
        shown.save(buffer, format="png")
    display({"image/png": buffer.getvalue(), "text/plain": f"<Figure {png.stem}: saved as PNG, SVG and PDF>"},
            raw=True)
    plt.close(fig)
    return True


def save_figure(fig, name: str, *, caption: str, provenance: dict, folder: str | Path) -> dict[str, Path]:
    """Write ``<name>.png`` (300 dpi), ``.svg``, ``.pdf`` and a ``.json`` sidecar; byte-identical every run.

    The figure is laid out once, when the PNG is drawn; the SVG and the PDF reuse that layout, so the three files
    share one geometry. In a Jupyter kernel with the inline backend the saved PNG itself is shown (at the screen's
    figure.dpi) and the figure is closed, so what you see is what was published; elsewhere the figure stays open
    with its layout engine (close it yourself).
    """
    check_file_stem(name, "figure")
    folder = Path(folder)
    paths: dict[str, Path] = {}
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = "0"
    engine = fig.get_layout_engine()
    try:
        with matplotlib.rc_context({**RC, "figure.autolayout": False, "figure.constrained_layout.use": False}), \
                lean_subsets():
            for fmt in FORMATS:
                with atomic_path(folder / f"{name}.{fmt}") as tmp:
                    fig.savefig(tmp, format=fmt, metadata=_METADATA[fmt])
                paths[fmt] = folder / f"{name}.{fmt}"
                fig.set_layout_engine(None)  # laid out by the first format: the others draw it as it stands
    finally:
        if previous is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous
    if not _show_saved(fig, paths["png"]):
        fig.set_layout_engine(engine)
    sidecar = {"name": name, "caption": caption, "provenance": _portable(provenance),
               "files": {fmt: {"file": p.name, "sha256": _sha256(p)} for fmt, p in paths.items()}}
    paths["json"] = write_text(folder / f"{name}.json", json.dumps(sidecar, indent=2, sort_keys=True) + "\n")
    return paths



# --- shared pieces ------------------------------------------------------------------------------------------------

# Tick formatters are module functions, not lambdas, so a figure can be pickled (copied to another process).
def _plain_tick(v: float, _: object = None) -> str:
    return f"{v:,g}"


def _thousands_tick(v: float, _: object = None) -> str:
    return f"{v / 1000:,.0f}k" if abs(v) >= 10_000 else f"{v:,.0f}"


def _percent_tick(v: float, _: object = None) -> str:
    return f"{v:+g}%" if v else "0"


def _place(in_china) -> tuple[list[str], list[str]]:
    keys = ["china" if c else "elsewhere" for c in in_china]
    return [COLORS[k] for k in keys], [MARKERS[k] for k in keys]


def _place_handles(in_china: pd.Series, filled: bool = True) -> list:
    from matplotlib.lines import Line2D

    shown = [(k, lab) for k, lab, on in (("china", "China", in_china.any()), ("elsewhere", "elsewhere",
                                                                              (~in_china).any())) if on]
    return [Line2D([], [], ls="", marker=MARKERS[k], color=COLORS[k], markerfacecolor=COLORS[k] if filled else "white",
                   label=lab) for k, lab in shown]


def _scatter_by(ax, x, y, colors, markers, **kwargs):
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


def _head_sorted(frame: pd.DataFrame, col: str, ascending: bool, n: int, name: str) -> list[str]:
    """``frame[name]`` of the first ``n`` rows sorted by (``col``, ``name``), sorting only the rows that can be
    among them (those at or beyond the ``n``-th value, ties included): the same rows as a full sort."""
    values = frame[col]
    if len(frame) > 4 * n and values.notna().sum() >= n:
        cut = (values.nsmallest(n) if ascending else values.nlargest(n)).iloc[-1]
        frame = frame[values <= cut] if ascending else frame[values >= cut]
    return frame.sort_values([col, name], ascending=[ascending, True], kind="mergesort")[name].head(n).tolist()


def notable(df: pd.DataFrame, columns: list[str], *, n: int = 2, smallest: bool = False,
            extra: object = (), name: str = "city") -> list[str]:
    """Rows worth a label in a scatter of two ``columns``: the ``n`` most extreme on each (largest, or smallest for
    ranks), the ``n`` where the two disagree most (by ratio, or by difference for ranks) and any ``extra`` names
    present; in a fixed order."""
    data = df.dropna(subset=columns).reset_index(drop=True)
    picked: list[str] = []
    for col in columns:
        picked += _head_sorted(data, col, smallest, n, name)
    a, b = (data[c].astype(float) for c in columns)
    gap = (a - b).abs() if smallest else (np.log(a) - np.log(b)).abs()
    picked += _head_sorted(data.assign(gap=gap), "gap", False, n, name)
    extra = list(extra)
    present = set(data.loc[data[name].isin(extra), name])
    picked += [x for x in extra if x in present]
    return list(dict.fromkeys(picked))


def _label_points(ax, xs, ys, labels, *, avoid_x=None, avoid_y=None, fontsize: float = 6, boxed: bool = False) -> None:
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


def _plain_log_ticks(axis, values: pd.Series | None = None) -> None:
    """Label a log axis without overlapping labels: plain numbers at 1-2-5 steps when the data span
    fewer than two decades, plain powers of ten otherwise."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    positive = values[values > 0] if values is not None else pd.Series(dtype=float)
    narrow = values is None or positive.empty or positive.max() / positive.min() < 100
    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0) if narrow else (1.0,)))
    axis.set_major_formatter(FuncFormatter(_plain_tick))
    axis.set_minor_formatter(NullFormatter())


# --- dot plots ----------------------------------------------------------------------------------------------------

def plot_dots(df: pd.DataFrame, value_col: str, label_col: str, *, ax, xlabel: str, china_col: str | None = None,
              bound_col: str | None = None, log: bool = True, annotate: bool = True) -> None:
    """A dot per row, largest on top: position is the value (log or linear axis), colour and marker say China or
    elsewhere, an upper bound is a bar at the bound with an arrow pointing down the scale, values printed."""
    df = df.sort_values(value_col, ascending=True, kind="mergesort").reset_index(drop=True)
    y = np.arange(len(df))
    in_china = df[china_col].astype(bool) if china_col else pd.Series(False, index=df.index)
    bounds = df[bound_col].astype(bool) if bound_col else pd.Series(False, index=df.index)
    colors, markers = _place(in_china)
    values = df[value_col].astype(float)
    ax.hlines(y, 0 if not log else values.min() / 3, values, color="0.88", lw=0.6, zorder=0)
    exact = ~bounds.to_numpy()
    _scatter_by(ax, values[exact], y[exact], np.array(colors)[exact], np.array(markers)[exact], s=22, zorder=3)
    for yi, v, c in zip(y[~exact], values[~exact], np.array(colors)[~exact], strict=True):
        ax.plot([v, v], [yi - 0.25, yi + 0.25], color=c, lw=1.4, zorder=3)
        ax.annotate("", xy=(v / 2.5 if log else v * 0.6, yi), xytext=(v, yi),
                    arrowprops={"arrowstyle": "-|>", "color": c, "lw": 1, "shrinkA": 0, "shrinkB": 0}, zorder=3)
    if annotate:
        for yi, v, b in zip(y, values, bounds, strict=True):
            ax.annotate(("< " if b else "") + f"{v:,.6g}", (v, yi), xytext=(5, 0), textcoords="offset points",
                        va="center", fontsize=6, color="0.25")
    ax.set_yticks(y, [str(v) for v in df[label_col]])
    ax.set_ylim(-0.7, len(df) - 0.3)
    if log:
        ax.set_xscale("log")
        ax.set_xlim(values.min() / 3, values.max() * 3)
        _plain_log_ticks(ax.xaxis, values)
    else:
        ax.set_xlim(0, values.max() * 1.15)
    ax.set_xlabel(xlabel)
    ax.spines["left"].set_visible(False)
    ax.tick_params(axis="y", length=0)
    handles = _place_handles(in_china) if china_col else []
    if bounds.any():
        from matplotlib.lines import Line2D

        handles.append(Line2D([], [], color="0.3", marker="$\u2190$", ls="", markersize=7, label="upper bound"))
    if handles:
        ax.figure.legend(handles=handles, loc="outside lower center", ncols=len(handles), frameon=False)


def counted_vs_rule_rows(df: pd.DataFrame, top: int = DUMBBELL_ROWS) -> pd.DataFrame:
    """The rows `plot_counted_vs_rule` draws: both densities positive, by rule density, at most the ``top`` highest."""
    data = df.dropna(subset=["counted", "rule"])
    data = data[(data["counted"] > 0) & (data["rule"] > 0)]
    data = data.sort_values("rule", ascending=True, kind="mergesort").reset_index(drop=True)
    return data.iloc[-top:].reset_index(drop=True) if len(data) > top else data


def plot_counted_vs_rule(df: pd.DataFrame, *, ax, rate_label: str) -> None:
    """A dumbbell per Chinese city: its cameras per square mile counted (filled: the table's camera count / area)
    and by the national-rate rule (open: rate x people per square mile), log axis, the ratio printed at the right;
    at most `DUMBBELL_ROWS` cities, those with the highest rule density (`counted_vs_rule_rows`).
    ``df``: city, counted, rule."""
    from matplotlib.lines import Line2D

    data = counted_vs_rule_rows(df)
    y = np.arange(len(data))
    ax.hlines(y, data["counted"], data["rule"], color=CHINA, lw=0.8, alpha=0.6, zorder=1)
    ax.scatter(data["counted"], y, marker="s", color=CHINA, s=14, zorder=3)
    ax.scatter(data["rule"], y, marker="s", facecolors="white", edgecolors=CHINA, s=14, lw=0.9, zorder=3)
    ax.set_xscale("log")
    lo, hi = data["counted"].min(), data["rule"].max()
    ax.set_xlim(lo / 2, hi * 4)
    for yi, r in zip(y, data.itertuples(), strict=True):
        ratio = r.rule / r.counted
        ax.annotate(f"\u00d7{ratio:,.0f}" if ratio >= 10 else f"\u00d7{ratio:.1f}", (r.rule, yi), xytext=(5, 0),
                    textcoords="offset points", va="center", fontsize=5.5, color="0.3")
    _plain_log_ticks(ax.xaxis, pd.concat([data["counted"], data["rule"]]))
    ax.set_yticks(y, data["city"])
    ax.set_ylim(-0.7, len(data) - 0.3)
    ax.tick_params(axis="y", length=0, labelsize=6)
    ax.spines["left"].set_visible(False)
    ax.set_xlabel("Cameras per square mile (log scale)")
    ax.figure.legend(handles=[
        Line2D([], [], ls="", marker="s", color=CHINA, label="counted (table's cameras / area)"),
        Line2D([], [], ls="", marker="s", markerfacecolor="white", color=CHINA, label=f"rule ({rate_label})")],
        loc="outside lower center", ncols=1, frameon=False)


def plot_article_vs_table(rows: pd.DataFrame, *, fig, axes, first: str, last: str) -> None:
    """Named cities outside China: the article's printed value (open, with its rounding interval) against the
    city table's (filled), one panel per metric, log axis. ``rows``: entity, metric, stated, stated_low,
    stated_high, recomputed, panel (axis title)."""
    from matplotlib.lines import Line2D

    for ax, (title, part) in zip(axes, rows.groupby("panel", sort=False), strict=True):
        part = part.sort_values("recomputed", ascending=True, kind="mergesort").reset_index(drop=True)
        y = np.arange(len(part))
        bound = ~np.isfinite(part["stated_low"].to_numpy(dtype=float))
        ax.hlines(y, part["stated"], part["recomputed"], color="0.6", lw=0.8, zorder=1)
        ax.scatter(part["recomputed"], y, color=ELSEWHERE, s=10, zorder=5)
        for yi, r, b in zip(y, part.itertuples(), bound, strict=True):
            if b:
                ax.plot([r.stated, r.stated], [yi - 0.22, yi + 0.22], color=ELSEWHERE, lw=1.2, zorder=3)
                ax.annotate("", xy=(r.stated / 2.2, yi), xytext=(r.stated, yi), zorder=3,
                            arrowprops={"arrowstyle": "-|>", "color": ELSEWHERE, "lw": 0.9, "shrinkA": 0, "shrinkB": 0})
            else:
                ax.plot([r.stated_low, r.stated_high], [yi, yi], color=ELSEWHERE, lw=2.5, alpha=0.35, zorder=2)
                ax.scatter([r.stated], [yi], facecolors="white", edgecolors=ELSEWHERE, s=36, lw=0.9, zorder=4)
            change = r.recomputed / r.stated - 1
            ax.annotate(f"{change:+.0%}" if abs(change) >= 0.1 else f"{change:+.1%}",
                        (max(r.stated, r.recomputed), yi), xytext=(6, 0), textcoords="offset points", va="center",
                        fontsize=5.5, color="0.3")
        ax.set_xscale("log")
        values = pd.concat([part["stated"], part["recomputed"]])
        ax.set_xlim(values.min() / 3, values.max() * 3)
        _plain_log_ticks(ax.xaxis, values)
        ax.set_yticks(y, part["entity"])
        ax.set_ylim(-0.7, len(part) - 0.3)
        ax.set_title(title, fontsize=7, loc="left")
        ax.tick_params(axis="y", length=0)
        ax.spines["left"].set_visible(False)
    handles = [Line2D([], [], ls="", marker="o", markerfacecolor="white", color=ELSEWHERE,
                      label=f"as printed ({first})"),
               Line2D([], [], ls="", marker="o", color=ELSEWHERE, label=f"city table ({last})")]
    fig.legend(handles=handles, loc="outside lower center", ncols=1, frameon=False)


# --- scatters -----------------------------------------------------------------------------------------------------

def binned(n: int) -> bool:
    """True when a scatter of ``n`` points is drawn as counts per cell (`BIN_POINTS`)."""
    return n > BIN_POINTS


def binned_note(n: int, what: str = "cities") -> str:
    """A caption's words for a scatter of ``n`` points drawn binned ("" when drawn as points)."""
    return (f"; shown as a binned density ({what} per cell of a grid of {GRID} x {GRID} cells, log colour scale), "
            f"the labelled {what} as points" if binned(n) else "")


def _edges(values: np.ndarray, log: bool, cells: int = GRID) -> np.ndarray:
    lo, hi = float(np.min(values)), float(np.max(values))
    if hi <= lo:
        lo, hi = (lo / 1.5, hi * 1.5) if log else (lo - 0.5, hi + 0.5)
    return np.geomspace(lo, hi, cells + 1) if log else np.linspace(lo, hi, cells + 1)


def _density_colors():
    from matplotlib.colors import ListedColormap

    return ListedColormap(plt.get_cmap("Greys")(np.linspace(0.3, 1.0, 256)))


def _draw_binned(ax, x: np.ndarray, y: np.ndarray, *, log: bool, label: str = "cities per cell") -> None:
    """Counts of the points per cell of a `GRID` x `GRID` grid (log-spaced on log axes), greys on a log scale, one
    raster image in the SVG and PDF, with a colour bar."""
    from matplotlib.colors import LogNorm

    xe, ye = _edges(x, log), _edges(y, log)
    counts = np.histogram2d(x, y, bins=[xe, ye])[0].T
    mesh = ax.pcolormesh(xe, ye, np.ma.masked_equal(counts, 0), cmap=_density_colors(), rasterized=True, zorder=1,
                         norm=LogNorm(vmin=1, vmax=max(float(counts.max()), 2.0)))
    ax.figure.colorbar(mesh, ax=ax, label=label, shrink=0.8, pad=0.02)


def plot_scatter(df: pd.DataFrame, x: str, y: str, *, ax, xlabel: str, ylabel: str, china_col: str | None = None,
                 label_col: str | None = None, labels: list[str] | None = None, log: bool = True,
                 diagonal: bool = False, invert: bool = False) -> None:
    """A scatter, China and elsewhere by colour and marker, a few points labelled without overlaps (adjustText);
    log axes by default; ``diagonal`` draws y = x; ``invert`` puts 1 at the top left (ranks). More than
    `RASTER_POINTS` points are rasterized in the SVG and PDF; more than `BIN_POINTS` are drawn as counts per cell
    (`binned_note` words it for the caption), the labelled points on top."""
    df = df[list(dict.fromkeys(c for c in (x, y, china_col, label_col) if c))]  # only these columns are copied
    data = df[(df[x] > 0) & (df[y] > 0)] if log else df.dropna(subset=[x, y])
    in_china = data[china_col].astype(bool) if china_col else pd.Series(False, index=data.index)
    shown = (data[data[label_col].isin(labels)].drop_duplicates(subset=[label_col]) if label_col and labels
             else data.iloc[:0])
    if binned(len(data)):
        _draw_binned(ax, data[x].to_numpy(dtype=float), data[y].to_numpy(dtype=float), log=log)
        avoid = (shown[x], shown[y])  # labels avoid the drawn points (adjustText's cost grows with the points)
        legend_china = in_china.loc[shown.index]
        colors, markers = _place(legend_china)
        _scatter_by(ax, shown[x], shown[y], colors, markers, s=9, linewidths=0, zorder=3)
    else:
        avoid = (data[x], data[y])
        legend_china = in_china
        colors, markers = _place(in_china)
        raster = len(data) > RASTER_POINTS
        _scatter_by(ax, data[x], data[y], colors, markers, s=9 if len(data) < 500 else 3, alpha=0.75, linewidths=0,
                    rasterized=raster, zorder=2)
    if log:
        ax.set_xscale("log")
        ax.set_yscale("log")
    if diagonal:
        lo = min(data[x].min(), data[y].min())
        hi = max(data[x].max(), data[y].max())
        ax.plot([lo, hi], [lo, hi], color="0.6", lw=0.6, ls="--", zorder=1)
    if invert:
        ax.invert_xaxis()
        ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if china_col and binned(len(data)):  # below the axes: the density fills them
        ax.figure.legend(handles=_place_handles(legend_china), loc="outside lower center", ncols=2, frameon=False)
    elif china_col:
        ax.legend(handles=_place_handles(legend_china), loc="upper left" if not invert else "lower right",
                  frameon=False)
    if binned(len(data)) and not log:
        from matplotlib.ticker import FuncFormatter

        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_formatter(FuncFormatter(_thousands_tick))  # short: ranks reach the millions
    if len(shown):
        _label_points(ax, shown[x], shown[y], shown[label_col], avoid_x=avoid[0], avoid_y=avoid[1],
                      boxed=binned(len(data)))


def plot_scatter_log(df: pd.DataFrame, x: str, y: str, *, ax, color_col: str | None = None,
                     label_col: str | None = None, labels: list[str] | None = None, xlabel: str, ylabel: str) -> None:
    """Log-log scatter (see `plot_scatter`)."""
    plot_scatter(df, x, y, ax=ax, xlabel=xlabel, ylabel=ylabel, china_col=color_col, label_col=label_col,
                 labels=labels)


def plot_area_strip(df: pd.DataFrame, *, ax, factor: float, label_top: int = 5) -> None:
    """Implied city areas (square miles, log axis): one dot per city on a row for China and one for elsewhere,
    the median and ``factor`` x the median drawn; the largest areas labelled. ``df``: city, area_sq_mi, in_china.
    More than `BIN_POINTS` cities: each row is counts per cell of `GRID` log-spaced cells (`binned_note`)."""
    data = df.loc[df["area_sq_mi"] > 0, ["city", "area_sq_mi", "in_china"]]  # only these columns are sorted
    data = data.sort_values(["area_sq_mi", "city"], kind="mergesort").reset_index(drop=True)
    row = np.where(data["in_china"], 1.0, 0.0)
    top = data.nlargest(label_top, "area_sq_mi")
    if binned(len(data)):
        _area_rows_binned(ax, data["area_sq_mi"].to_numpy(dtype=float), row)
        ys = row[top.index]
        colors, markers = _place(top["in_china"])
        _scatter_by(ax, top["area_sq_mi"], ys, colors, markers, s=10, linewidths=0, zorder=3)
        avoid_x, avoid_y = top["area_sq_mi"], ys
    else:
        jitter = ((np.arange(len(data)) % 7) - 3) * 0.07  # deterministic spread within a row
        colors, markers = _place(data["in_china"])
        _scatter_by(ax, data["area_sq_mi"], row + jitter, colors, markers, s=10, alpha=0.75, linewidths=0, zorder=2)
        ys, avoid_x, avoid_y = (row + jitter)[top.index], data["area_sq_mi"], row + jitter
    median = data["area_sq_mi"].median()
    ax.axvline(median, color="0.4", lw=0.8, zorder=1)
    ax.axvline(factor * median, color="0.4", lw=0.8, ls="--", zorder=1)
    ax.annotate("median", (median, 1.45), ha="center", fontsize=6, color="0.3")
    ax.annotate(f"{factor:g} \u00d7 median", (factor * median, 1.45), ha="center", fontsize=6, color="0.3")
    ax.set_xscale("log")
    _plain_log_ticks(ax.xaxis, data["area_sq_mi"])
    ax.set_yticks([0, 1], ["elsewhere", "China"])
    ax.set_ylim(-0.5, 1.6)
    ax.tick_params(axis="y", length=0)
    ax.spines["left"].set_visible(False)
    ax.set_xlabel("Implied area, sq mi (log scale)")
    _label_points(ax, top["area_sq_mi"], ys, top["city"], avoid_x=avoid_x, avoid_y=avoid_y, boxed=binned(len(data)))


def _area_rows_binned(ax, area: np.ndarray, row: np.ndarray) -> None:
    """Each row (0 elsewhere, 1 China) as counts of cities per log-spaced cell of area: one raster image."""
    from matplotlib.colors import LogNorm

    edges = _edges(area, log=True)
    counts = np.vstack([np.histogram(area[row == r], bins=edges)[0] for r in (0.0, 1.0)]).astype(float)
    grid = np.full((3, GRID), np.nan)  # rows -0.3..0.3 (elsewhere), a gap, 0.7..1.3 (China)
    grid[0], grid[2] = counts[0], counts[1]
    mesh = ax.pcolormesh(edges, [-0.3, 0.3, 0.7, 1.3], np.ma.masked_invalid(np.where(grid > 0, grid, np.nan)),
                         cmap=_density_colors(), norm=LogNorm(vmin=1, vmax=max(float(counts.max()), 2.0)),
                         rasterized=True, zorder=2)
    ax.figure.colorbar(mesh, ax=ax, label="cities per cell", shrink=0.8, pad=0.02)


# --- the claims audit ---------------------------------------------------------------------------------------------

def plot_audit(claims: pd.DataFrame, *, ax, intervals: dict[str, tuple[float, float]]) -> None:
    """Every claim that could be recomputed: the recomputed value's difference from the stated one (% of stated,
    symmetric log axis, 0 = the stated value), with the stated figure's own interval as a grey band (its printed
    rounding, "approximately" as +-tolerance, a bound as a half-line) and the recomputation's interval as a bar.
    Agreement means the dot's bar meets the band. Colour and marker say the verdict (analysis.verdicts); rows in the
    audit's order, each group labelled by its cause. ``intervals``: {figure_id: (low, high)} of the stated figures."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from helpers.analysis.verdicts import COLORS as VERDICT_COLORS
    from helpers.analysis.verdicts import VERDICTS

    data = claims[claims["recomputed"].notna()].reset_index(drop=True)
    stated = data["stated"].astype(float)

    def rel(v):
        return (np.asarray(v, dtype=float) / stated.to_numpy() - 1.0) * 100.0

    diff = rel(data["recomputed"])
    rlo, rhi = rel(data["recomputed_low"]), rel(data["recomputed_high"])
    slo = rel([intervals[f][0] for f in data["figure_id"]])
    shi = rel([intervals[f][1] for f in data["figure_id"]])
    # one empty row above each group of a cause, for its label (a table's group header)
    starts = data["cause"].ne(data["cause"].shift()).to_numpy() if "cause" in data else np.zeros(len(data), bool)
    y = (len(data) + starts.sum() - 1 - (np.arange(len(data)) + np.cumsum(starts))).astype(float)
    linthresh = 0.1
    ax.set_xscale("symlog", linthresh=linthresh, linscale=0.6)
    left = min(-10.0, np.nanmin(np.where(np.isfinite(slo), slo, 0)) * 1.5, np.nanmin(diff) * 1.5)
    right = max(10.0, np.nanmax(diff) * 1.8)
    for yi, a, b in zip(y, slo, shi, strict=True):
        a = left if not np.isfinite(a) else a
        b = right if not np.isfinite(b) else b
        ax.fill_betweenx([yi - 0.32, yi + 0.32], a, b, color="0.86", lw=0, zorder=1)
    ax.axvline(0, color="0.55", lw=0.6, zorder=1)
    for v in VERDICTS:
        at = (data["verdict"] == v).to_numpy()
        if not at.any():
            continue
        ax.errorbar(diff[at], y[at], xerr=[np.maximum(diff[at] - rlo[at], 0), np.maximum(rhi[at] - diff[at], 0)],
                    fmt="none", ecolor=VERDICT_COLORS[v], elinewidth=0.9, capsize=0, zorder=2)
        ax.scatter(diff[at], y[at], color=VERDICT_COLORS[v], marker=VERDICT_MARKERS[v], s=20, zorder=3,
                   edgecolors="white", linewidths=0.3)
    units = {"cameras_per_1000": "per 1,000", "cameras_per_sq_mi": "per sq mi", "share_of_world_cameras": "share",
             "cities_analysed": "cities", "rank_per_sq_mi": "rank per sq mi", "cameras": "cameras",
             "rank_per_sq_mi_outside_china": "rank outside China", "rank_population": "rank by population",
             "population": "population"}
    ax.set_yticks(y, [f"{e}, {units.get(m, m)}: {t}"
                      for e, m, t in zip(data["entity"], data["metric"], data["value_text"], strict=True)])
    ax.tick_params(axis="y", length=0)
    ax.set_xlim(left, right)
    ax.set_ylim(-0.8, y.max() + 1.6)
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

    ticks = [t for t in (-100, -10, -1, -0.1, 0, 0.1, 1, 10, 100, 1000) if left <= t <= right]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FuncFormatter(_percent_tick))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("Recomputed minus stated, % of stated (symmetric log scale, linear within \u00b10.1%)")
    for i in np.flatnonzero(starts):
        if "cause" not in data:
            break
        if i:
            ax.axhline(y[i] + 1.5, color="0.8", lw=0.5, zorder=0)
        ax.annotate(data.loc[i, "cause"] or "no common cause", (0.0, y[i] + 1), xycoords=("axes fraction", "data"),
                    xytext=(3, 0), textcoords="offset points", ha="left", va="center", fontsize=6.5, color="0.25",
                    style="italic")
    present = [v for v in VERDICTS if v in set(data["verdict"])]
    handles = [Line2D([], [], ls="", marker=VERDICT_MARKERS[v], color=VERDICT_COLORS[v], label=v) for v in present]
    handles.append(Patch(color="0.86", label="stated figure's interval"))
    ax.figure.legend(handles=handles, loc="outside lower center", ncols=4, frameon=False)


# --- scenarios and sensitivity ------------------------------------------------------------------------------------

def plot_histogram(histogram: pd.DataFrame, *, ax, xlabel: str, marks: dict[str, float] | None = None,
                   band: tuple[float, float] | None = None) -> None:
    """Binned Monte Carlo draws (columns lower, upper, draws) in grey, the 5th-95th percentile band behind them,
    and labelled vertical marks told apart by line style (the first solid, the next dashed, dotted...)."""
    from matplotlib.patches import Patch

    edges = np.append(histogram["lower"].to_numpy(), histogram["upper"].iloc[-1])
    handles = []
    if band is not None:
        ax.axvspan(band[0], band[1], color=BAND_WIDE, lw=0, zorder=0)
        handles.append(Patch(color=BAND_WIDE, label="5th-95th percentile"))
    ax.stairs(histogram["draws"].to_numpy(), edges, fill=True, color="0.55", zorder=1)
    for (label, x), style in zip((marks or {}).items(), ("-", "--", ":", "-."), strict=False):
        handles.append(ax.axvline(x, color=ELSEWHERE, lw=1, ls=style, label=label, zorder=2))
    ax.set_xlabel(xlabel)
    ax.set_ylabel("Draws")
    if handles:
        ax.figure.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 2), frameon=False)


def plot_tornado(table: pd.DataFrame, output: str, *, ax) -> None:
    """Horizontal bars from the output at each input's low end to its high end, largest swing on top; the low end
    light grey, the high end dark grey, the swing printed."""
    from matplotlib.patches import Patch

    rows = table[table["output"] == output].reset_index(drop=True)
    if rows.empty:
        raise ParameterError(f"no tornado rows for {output!r}")
    y = np.arange(len(rows))[::-1]
    centre = float(rows["central"].iloc[0])
    low, high = "0.72", "0.30"
    for yi, r in zip(y, rows.itertuples(), strict=True):
        ax.barh(yi, r.output_low - centre, left=centre, color=low, height=0.6)
        ax.barh(yi, r.output_high - centre, left=centre, color=high, height=0.6)
        ax.annotate(f"swing {value_text(r.swing)}", (max(r.output_low, r.output_high, centre), yi), xytext=(3, 0),
                    textcoords="offset points", va="center", fontsize=6, color="0.25")
    ax.axvline(centre, color=ELSEWHERE, lw=0.8)
    ax.set_yticks(y, rows["input"])
    ax.tick_params(axis="y", length=0)
    ax.margins(x=0.25)
    import textwrap

    ax.set_xlabel(textwrap.fill(output, 46))
    ax.figure.legend(handles=[Patch(color=low, label="input at its low end"),
                              Patch(color=high, label="input at its high end")],
                     loc="outside lower center", ncols=2, frameon=False)


def plot_scenario_intervals(points: pd.DataFrame, *, ax, xlabel: str) -> None:
    """Each scenario on its own row: its sensitivity p5-p95 (light) and p25-p75 (dark), its computed value
    (filled) and the article's printed value (open), the scenario's own marker. ``points``: scenario, value,
    stated, p5, p25, p75, p95."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    y = np.arange(len(points))[::-1]
    for yi, r in zip(y, points.itertuples(), strict=True):
        if pd.notna(r.p5):
            ax.barh(yi, r.p95 - r.p5, left=r.p5, height=0.5, color=BAND_WIDE, zorder=0)
            ax.barh(yi, r.p75 - r.p25, left=r.p25, height=0.5, color=BAND_NARROW, zorder=1)
    for i, (yi, r) in enumerate(zip(y, points.itertuples(), strict=True)):
        m = scenario_marker(r.scenario, i)
        ax.scatter([r.value], [yi], color=ELSEWHERE, marker=m, s=30, zorder=3)
        if pd.notna(r.stated):
            ax.scatter([r.stated], [yi], facecolors="white", edgecolors=ELSEWHERE, marker=m, s=30, lw=0.9, zorder=3)
    ax.set_yticks(y, points["scenario"])
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(-0.7, len(points) - 0.3)
    ax.set_xlabel(xlabel)
    handles = [Line2D([], [], ls="", marker="o", color=ELSEWHERE, label="computed"),
               Line2D([], [], ls="", marker="o", markerfacecolor="white", color=ELSEWHERE, label="as printed"),
               Patch(color=BAND_NARROW, label="sensitivity p25-p75"), Patch(color=BAND_WIDE, label="p5-p95")]
    ax.figure.legend(handles=handles, loc="outside lower center", ncols=2, frameon=False)


def plot_city_scenarios(df: pd.DataFrame, names: list[str], *, ax, xlabel: str) -> None:
    """Chinese cities, one row each: every scenario's estimate (its own marker, China's colour) joined by a line,
    over the sensitivity band from the lowest scenario's 5th percentile to the highest's 95th (grey).
    ``df``: city, one column per scenario in ``names``, and optional band_low, band_high."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    data = df.sort_values(names[0], ascending=True, kind="mergesort").reset_index(drop=True)
    y = np.arange(len(data))
    if {"band_low", "band_high"} <= set(data.columns):
        ok = data["band_low"].notna().to_numpy()
        ax.barh(y[ok], (data["band_high"] - data["band_low"])[ok], left=data["band_low"][ok], height=0.6,
                color=BAND_WIDE, zorder=0)
    ax.hlines(y, data[names].min(axis=1), data[names].max(axis=1), color=CHINA, lw=0.9, zorder=1)
    handles = []
    for i, n in enumerate(names):
        m = scenario_marker(n, i)
        ax.scatter(data[n], y, marker=m, color=CHINA, s=16, zorder=3)
        handles.append(Line2D([], [], ls="", marker=m, color=CHINA, label=n))
    ax.set_yticks(y, data["city"])
    ax.set_ylim(-0.7, len(data) - 0.3)
    ax.tick_params(axis="y", length=0, labelsize=6)
    ax.spines["left"].set_visible(False)
    ax.set_xlim(0, float(np.nanmax(data[[*names, *(["band_high"] if "band_high" in data else [])]].to_numpy()))
                * 1.05)
    ax.set_xlabel(xlabel)
    if "band_low" in data:
        handles.append(Patch(color=BAND_WIDE, label="sensitivity p5-p95"))
    ax.figure.legend(handles=handles, loc="outside lower center", ncols=len(handles), frameon=False)


def plot_editions(change: pd.DataFrame, first: str, last: str, *, ax, top: int = 25) -> None:
    """A dumbbell per city: its rate per 1,000 in the ``first`` table (open) and the ``last`` one (filled), the
    ``top`` largest changes, on a log axis (the rates span decades)."""
    from matplotlib.lines import Line2D

    a, b = f"per_1000 {first}", f"per_1000 {last}"
    data = change.dropna(subset=[a, b])
    data = data.loc[(data[b] - data[a]).abs().sort_values(ascending=False, kind="mergesort").index[:top]]
    data = data.iloc[::-1].reset_index(drop=True)
    y = np.arange(len(data))
    ax.hlines(y, data[a], data[b], color="0.6", lw=1, zorder=1)
    ax.scatter(data[a], y, facecolors="white", edgecolors=ELSEWHERE, s=22, zorder=2)
    ax.scatter(data[b], y, color=ELSEWHERE, s=22, zorder=3)
    ax.set_yticks(y, data["city"])
    ax.tick_params(axis="y", length=0)
    ax.set_xscale("log")
    _plain_log_ticks(ax.xaxis, pd.concat([data[a], data[b]]))
    ax.set_xlabel("Cameras per 1,000 people (log scale)")
    ax.figure.legend(handles=[Line2D([], [], ls="", marker="o", markerfacecolor="white", color=ELSEWHERE, label=first),
                              Line2D([], [], ls="", marker="o", color=ELSEWHERE, label=last)],
                     loc="outside lower center", ncols=2, frameon=False)
