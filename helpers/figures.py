"""Figures for papers: one style, byte-identical PNG/SVG/PDF, captions and provenance, a gallery index."""

from __future__ import annotations

import hashlib
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

SINGLE_COLUMN = 3.5  # inches: one column of a two-column journal page
DOUBLE_COLUMN = 7.2  # inches: the full text width
PNG_DPI = 300
# Okabe & Ito's colour-blind-safe palette.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
COLORS = {"china": "#D55E00", "elsewhere": "#0072B2", "conservative": "#0072B2", "high": "#D55E00",
          "consistent within rounding": "#009E73", "inconsistent": "#D55E00", "cannot be checked": "#999999"}
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
    "figure.dpi": 100, "savefig.dpi": PNG_DPI, "savefig.bbox": "tight", "savefig.pad_inches": 0.02,
    "axes.spines.top": False, "axes.spines.right": False, "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
}


def apply_style() -> None:
    """Set the paper style for every figure that follows."""
    sns.set_theme(context="paper", style="ticks", palette=PALETTE, rc=RC)
    matplotlib.rcParams.update(RC)


def new_figure(width: str = "single", aspect: float = 0.75, nrows: int = 1, ncols: int = 1):
    """A styled figure one ('single') or two ('double') journal columns wide; returns (fig, ax)."""
    apply_style()
    if width not in ("single", "double"):
        raise ParameterError(f"figure width must be 'single' or 'double', got {width!r}")
    w = SINGLE_COLUMN if width == "single" else DOUBLE_COLUMN
    return plt.subplots(nrows, ncols, figsize=(w, w * aspect), layout="constrained")


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


def save_figure(fig, name: str, *, caption: str, provenance: dict, folder: str | Path) -> dict[str, Path]:
    """Write ``<name>.png`` (300 dpi), ``.svg``, ``.pdf`` and a ``.json`` sidecar; byte-identical every run.

    The figure stays open, so a notebook still shows it inline; close it yourself outside Jupyter.
    """
    check_file_stem(name, "figure")
    folder = Path(folder)
    paths: dict[str, Path] = {}
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = "0"
    try:
        with matplotlib.rc_context(RC):
            for fmt in FORMATS:
                with atomic_path(folder / f"{name}.{fmt}") as tmp:
                    fig.savefig(tmp, format=fmt, metadata=_METADATA[fmt])
                paths[fmt] = folder / f"{name}.{fmt}"
    finally:
        if previous is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous
    sidecar = {"name": name, "caption": caption, "provenance": _portable(provenance),
               "files": {fmt: {"file": p.name, "sha256": _sha256(p)} for fmt, p in paths.items()}}
    paths["json"] = write_text(folder / f"{name}.json", json.dumps(sidecar, indent=2, sort_keys=True) + "\n")
    return paths


# --- plots the notebooks share ------------------------------------------------------------------

def plot_density_bars(df: pd.DataFrame, value_col: str, label_col: str, *, ax, china_col: str | None = None,
                      high_col: str | None = None, bound_col: str | None = None, xlabel: str,
                      log: bool = True) -> None:
    """Horizontal bars, largest on top, China coloured apart; ``high_col`` draws a lighter bar to the high
    scenario's value behind each bar, ``bound_col`` marks upper bounds with '<'."""
    from matplotlib.patches import Patch

    df = df.sort_values(value_col, ascending=True, kind="mergesort").reset_index(drop=True)
    y = np.arange(len(df))
    in_china = df[china_col].astype(bool) if china_col else pd.Series(False, index=df.index)
    colors = [COLORS["china"] if c else COLORS["elsewhere"] for c in in_china]
    handles = []
    if high_col:
        ax.barh(y, df[high_col].fillna(0), color=colors, alpha=0.35, height=0.65)
        handles.append(Patch(color=COLORS["china"], alpha=0.35, label="up to the high scenario"))
    ax.barh(y, df[value_col], color=colors, height=0.65)
    if china_col:
        present = [(k, lab) for k, lab, shown in (("china", "China", in_china.any()),
                                                  ("elsewhere", "elsewhere", (~in_china).any())) if shown]
        handles = [*(Patch(color=COLORS[k], label=lab) for k, lab in present), *handles]
    bounds = df[bound_col].astype(bool) if bound_col else pd.Series(False, index=df.index)
    ax.set_yticks(y, [f"{lab} (<)" if b else str(lab) for lab, b in zip(df[label_col], bounds, strict=True)])
    if log:
        ax.set_xscale("log")
        _plain_log_ticks(ax.xaxis, pd.concat([df[value_col], df[high_col]]) if high_col else df[value_col])
    ax.set_xlabel(xlabel)
    if handles:
        ax.figure.legend(handles=handles, loc="outside lower center", ncols=len(handles), frameon=False)


def plot_scatter_log(df: pd.DataFrame, x: str, y: str, *, ax, color_col: str | None = None,
                     label_col: str | None = None, labels: list[str] | None = None, xlabel: str, ylabel: str) -> None:
    """Log-log scatter, China in one colour and the rest in another, with a few labelled points."""
    data = df[(df[x] > 0) & (df[y] > 0)]
    colors = [COLORS["china"] if c else COLORS["elsewhere"] for c in data[color_col]] if color_col else PALETTE[0]
    ax.scatter(data[x], data[y], s=9, c=colors, alpha=0.8, linewidths=0)
    ax.set_xscale("log")
    ax.set_yscale("log")
    for _, row in data[data[label_col].isin(labels or [])].iterrows() if label_col else []:
        ax.annotate(row[label_col], (row[x], row[y]), xytext=(3, 2), textcoords="offset points", fontsize=6)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if color_col:
        from matplotlib.lines import Line2D

        handles = [Line2D([], [], ls="", marker="o", color=COLORS[k], label=lab)
                   for k, lab in (("china", "China"), ("elsewhere", "elsewhere"))]
        ax.legend(handles=handles, loc="upper left", frameon=False)


def _plain_log_ticks(axis, values: pd.Series | None = None) -> None:
    """Label a log axis without overlapping labels: plain numbers at 1-2-5 steps when the data span
    fewer than two decades, powers of ten (and no minor labels) otherwise."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    positive = values[values > 0] if values is not None else pd.Series(dtype=float)
    narrow = values is None or positive.empty or positive.max() / positive.min() < 100
    if narrow:
        axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,g}"))
    axis.set_minor_formatter(NullFormatter())


def plot_audit(claims: pd.DataFrame, *, ax) -> None:
    """Recomputed / stated for every claim that could be recomputed, on a log axis, coloured by verdict
    (helpers.verdicts), in the audit's order with each group of rows labelled by its cause (1 = agreement)."""
    from matplotlib.lines import Line2D

    from helpers.verdicts import COLORS as VERDICT_COLORS
    from helpers.verdicts import VERDICTS

    data = claims[claims["recomputed"].notna()].reset_index(drop=True)
    ratio = data["recomputed"] / data["stated"]
    y = np.arange(len(data))[::-1]
    ax.axvline(1.0, color="0.6", lw=0.6, zorder=0)
    ax.scatter(ratio, y, s=14, c=[VERDICT_COLORS[v] for v in data["verdict"]], zorder=2)
    units = {"cameras_per_1000": "per 1,000", "cameras_per_sq_mi": "per sq mi", "share_of_world_cameras": "share",
             "cities_analysed": "cities", "rank_per_sq_mi": "rank per sq mi",
             "rank_per_sq_mi_outside_china": "rank outside China", "rank_population": "rank by population"}
    ax.set_yticks(y, [f"{e}, {units.get(m, m)}: {t}"
                      for e, m, t in zip(data["entity"], data["metric"], data["value_text"], strict=True)])
    ax.set_xscale("log")
    _plain_log_ticks(ax.xaxis, ratio)
    ax.set_xlabel("Recomputed / stated value (log scale; 1 = agreement)")
    if "cause" in data:
        starts = data.index[data["cause"].ne(data["cause"].shift())]
        for i in starts:
            if i:
                ax.axhline(y[i] + 0.5, color="0.85", lw=0.5, zorder=0)
            if data.loc[i, "cause"]:
                ax.annotate(data.loc[i, "cause"], (1.0, y[i]), xycoords=("axes fraction", "data"), xytext=(-2, 4),
                            textcoords="offset points", ha="right", va="bottom", fontsize=5.5, color="0.35",
                            style="italic")
    present = [v for v in VERDICTS if v in set(data["verdict"])]
    handles = [Line2D([], [], ls="", marker="o", color=VERDICT_COLORS[v], label=v) for v in present]
    ax.figure.legend(handles=handles, loc="outside lower center", ncols=2, frameon=False)


def plot_rate_bars(df: pd.DataFrame, value_col: str, label_col: str, *, ax, xlabel: str,
                   china_col: str | None = None) -> None:
    """Horizontal bars of a rate (linear axis) with the value printed at the end of each bar."""
    plot_density_bars(df, value_col, label_col, ax=ax, china_col=china_col, xlabel=xlabel, log=False)
    ordered = df.sort_values(value_col, ascending=True, kind="mergesort").reset_index(drop=True)
    for i, v in enumerate(ordered[value_col]):
        ax.annotate(f"{v:,g}", (v, i), xytext=(2, 0), textcoords="offset points", va="center", fontsize=6)
    ax.margins(x=0.12)


def plot_scenario_ranges(points: pd.DataFrame, band: dict[str, float], *, ax, xlabel: str) -> None:
    """Each scenario's value (filled) and the article's printed value (open), over the sensitivity
    bands p5-p95 (light) and p25-p75 (dark). ``points``: scenario, value, stated; ``band``: p5, p25, p75, p95."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    y = np.arange(len(points))
    ax.axvspan(band["p5"], band["p95"], color="0.9", zorder=0)
    ax.axvspan(band["p25"], band["p75"], color="0.78", zorder=0)
    colors = [COLORS.get(s, PALETTE[i % len(PALETTE)]) for i, s in enumerate(points["scenario"])]
    ax.scatter(points["value"], y, color=colors, s=28, zorder=3)
    stated = points["stated"].notna()
    ax.scatter(points.loc[stated, "stated"], y[stated.to_numpy()], facecolors="none",
               edgecolors=[c for c, k in zip(colors, stated, strict=True) if k], s=40, zorder=3)
    ax.set_yticks(y, points["scenario"])
    ax.set_ylim(-0.7, len(points) - 0.3)
    ax.set_xlabel(xlabel)
    handles = [Line2D([], [], ls="", marker="o", color="0.3", label="computed"),
               Line2D([], [], ls="", marker="o", markerfacecolor="none", color="0.3", label="as printed"),
               Patch(color="0.78", label="sensitivity p25-p75"), Patch(color="0.9", label="p5-p95")]
    ax.figure.legend(handles=handles, loc="outside lower center", ncols=2, frameon=False)


def plot_histogram(histogram: pd.DataFrame, *, ax, xlabel: str, marks: dict[str, float] | None = None) -> None:
    """Binned Monte Carlo draws (columns lower, upper, draws) with labelled vertical marks."""
    edges = np.append(histogram["lower"].to_numpy(), histogram["upper"].iloc[-1])
    ax.stairs(histogram["draws"].to_numpy(), edges, fill=True, color=PALETTE[5])
    for i, (label, x) in enumerate((marks or {}).items()):
        ax.axvline(x, color=PALETTE[i % 4 + 1 if i else 3], lw=1, label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("Draws")
    if marks:
        ax.figure.legend(loc="outside lower center", ncols=len(marks), frameon=False)


def plot_tornado(table: pd.DataFrame, output: str, *, ax) -> None:
    """Horizontal bars from the output at each input's low end to its high end, largest swing on top."""
    rows = table[table["output"] == output].reset_index(drop=True)
    if rows.empty:
        raise ParameterError(f"no tornado rows for {output!r}")
    y = np.arange(len(rows))[::-1]
    centre = float(rows["central"].iloc[0])
    for yi, r in zip(y, rows.itertuples(), strict=True):
        ax.barh(yi, r.output_low - centre, left=centre, color=PALETTE[0], height=0.6)
        ax.barh(yi, r.output_high - centre, left=centre, color=PALETTE[1], height=0.6)
        ax.annotate(f"swing {r.swing:,.3g}", (max(r.output_low, r.output_high, centre), yi), xytext=(3, 0),
                    textcoords="offset points", va="center", fontsize=6, color="0.3")
    ax.axvline(centre, color="0.3", lw=0.8)
    ax.set_yticks(y, rows["input"])
    ax.margins(x=0.2)
    ax.set_xlabel(output.replace(" (", "\n(", 1))
    from matplotlib.patches import Patch

    ax.figure.legend(handles=[Patch(color=PALETTE[0], label="input at its low end"),
                              Patch(color=PALETTE[1], label="input at its high end")],
                     loc="outside lower center", ncols=2, frameon=False)


def plot_scenario_intervals(points: pd.DataFrame, *, ax, xlabel: str) -> None:
    """Each scenario on its own row: its sensitivity p5-p95 (light) and p25-p75 (dark), its computed value
    (filled) and the article's printed value (open). ``points``: scenario, value, stated, p5, p25, p75, p95."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    y = np.arange(len(points))[::-1]
    for yi, r in zip(y, points.itertuples(), strict=True):
        if pd.notna(r.p5):
            ax.barh(yi, r.p95 - r.p5, left=r.p5, height=0.5, color="0.88", zorder=0)
            ax.barh(yi, r.p75 - r.p25, left=r.p25, height=0.5, color="0.72", zorder=1)
    colors = [COLORS.get(s, PALETTE[i % len(PALETTE)]) for i, s in enumerate(points["scenario"])]
    ax.scatter(points["value"], y, color=colors, s=28, zorder=3)
    stated = points["stated"].notna().to_numpy()
    ax.scatter(points.loc[stated, "stated"], y[stated], facecolors="none",
               edgecolors=[c for c, k in zip(colors, stated, strict=True) if k], s=44, zorder=3)
    ax.set_yticks(y, points["scenario"])
    ax.set_ylim(-0.7, len(points) - 0.3)
    ax.set_xlabel(xlabel)
    handles = [Line2D([], [], ls="", marker="o", color="0.3", label="computed"),
               Line2D([], [], ls="", marker="o", markerfacecolor="none", color="0.3", label="as printed"),
               Patch(color="0.72", label="sensitivity p25-p75"), Patch(color="0.88", label="p5-p95")]
    ax.figure.legend(handles=handles, loc="outside lower center", ncols=2, frameon=False)


def plot_editions(change: pd.DataFrame, first: str, last: str, *, ax, top: int = 25) -> None:
    """A dumbbell per city: its rate per 1,000 in the ``first`` table (open) and the ``last`` one (filled), the
    ``top`` largest changes, on a log axis (the rates span decades)."""
    from matplotlib.lines import Line2D

    a, b = f"per_1000 {first}", f"per_1000 {last}"
    data = change.dropna(subset=[a, b])
    data = data.loc[(data[b] - data[a]).abs().sort_values(ascending=False, kind="mergesort").index[:top]]
    data = data.iloc[::-1].reset_index(drop=True)
    y = np.arange(len(data))
    for yi, (lo, hi) in enumerate(zip(data[a], data[b], strict=True)):
        ax.plot([lo, hi], [yi, yi], color="0.6", lw=1, zorder=1)
    ax.scatter(data[a], y, facecolors="white", edgecolors=PALETTE[0], s=22, zorder=2)
    ax.scatter(data[b], y, color=PALETTE[0], s=22, zorder=3)
    ax.set_yticks(y, data["city"])
    ax.set_xscale("log")
    _plain_log_ticks(ax.xaxis, pd.concat([data[a], data[b]]))
    ax.set_xlabel("Cameras per 1,000 people (log scale)")
    ax.figure.legend(handles=[Line2D([], [], ls="", marker="o", markerfacecolor="white", color=PALETTE[0], label=first),
                              Line2D([], [], ls="", marker="o", color=PALETTE[0], label=last)],
                     loc="outside lower center", ncols=2, frameon=False)
