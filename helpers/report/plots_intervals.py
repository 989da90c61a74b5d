"""Plot kinds that draw intervals: the claims audit, the sensitivity histogram and tornado, and the scenarios."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

from helpers.analysis.verdicts import COLORS as VERDICT_COLORS
from helpers.analysis.verdicts import VERDICTS
from helpers.errors import ParameterError
from helpers.report.figures import (
    BAND_NARROW,
    BAND_WIDE,
    CHINA,
    ELSEWHERE,
    MIN_TEXT_PT,
    VERDICT_MARKERS,
    scenario_marker,
    typeset,
)
from helpers.report.marks import legend_columns, percent_tick, value_text
from helpers.report.table_views import in_words

TORNADO_LABEL_CHARS = 40  # 40 characters of 8-pt DejaVu Sans are about 2.9 in, within a 3.5-in column
AUDIT_LINEAR_PERCENT = 0.1  # the audit figure's symmetric log axis is linear within +- this many percent

# --- the claims audit ---------------------------------------------------------------------------------------------

def plot_audit(claims: pd.DataFrame, *, ax, intervals: dict[str, tuple[float, float]]) -> None:
    """Every claim that could be recomputed: the recomputed value's difference from the stated one (% of stated,
    symmetric log axis, 0 = the stated value), with the stated figure's own interval as a grey band (its printed
    rounding, "approximately" as +-tolerance, a bound as a half-line) and the recomputation's interval as a bar.
    Agreement means the dot's bar meets the band. Colour and marker say the verdict (analysis.verdicts); rows in the
    audit's order, each group labelled by its cause. ``intervals``: {figure_id: (low, high)} of the stated figures."""
    # a rank claim is a place, not a value: its places are in the claims audit table, not drawn here
    data = claims[claims["recomputed"].notna() & ~claims["metric"].astype(str).str.startswith("rank_")]
    data = data.reset_index(drop=True)
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
    ax.set_xscale("symlog", linthresh=AUDIT_LINEAR_PERCENT, linscale=0.6)
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
    ticks = [t for t in (-100, -10, -1, -0.1, 0, 0.1, 1, 10, 100, 1000) if left <= t <= right]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FuncFormatter(percent_tick))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("Recomputed minus stated, % of stated (symmetric log scale, linear within "
                  f"\u00b1{AUDIT_LINEAR_PERCENT:g}%)")
    for i in np.flatnonzero(starts):
        if "cause" not in data:
            break
        if i:
            ax.axhline(y[i] + 1.5, color="0.8", lw=0.5, zorder=0)
        ax.annotate(data.loc[i, "cause"] or "no common cause", (0.0, y[i] + 1), xycoords=("axes fraction", "data"),
                    xytext=(3, 0), textcoords="offset points", ha="left", va="center", fontsize=MIN_TEXT_PT,
                    color="0.25", style="italic")
    present = [v for v in VERDICTS if v in set(data["verdict"])]
    handles = [Line2D([], [], ls="", marker=VERDICT_MARKERS[v], color=VERDICT_COLORS[v], label=v) for v in present]
    handles.append(Patch(color="0.86", label="stated figure's interval"))
    ax.figure.legend(handles=handles, loc="outside lower center", ncols=legend_columns(ax.figure, handles, 4),
                     frameon=False)


# --- scenarios and sensitivity ------------------------------------------------------------------------------------

def plot_histogram(histogram: pd.DataFrame, *, ax, xlabel: str, marks: dict[str, float] | None = None,
                   band: tuple[float, float] | None = None) -> None:
    """Binned Monte Carlo draws (columns lower, upper, draws) in grey, the 5th\u201395th percentile band behind them,
    and labelled vertical marks told apart by line style (the first solid, the next dashed, dotted...)."""
    edges = np.append(histogram["lower"].to_numpy(), histogram["upper"].iloc[-1])
    handles = []
    if band is not None:
        ax.axvspan(band[0], band[1], color=BAND_WIDE, lw=0, zorder=0)
        handles.append(Patch(color=BAND_WIDE, label="5th\u201395th percentile"))
    ax.stairs(histogram["draws"].to_numpy(), edges, fill=True, color="0.55", zorder=1)
    for (label, x), style in zip((marks or {}).items(), ("-", "--", ":", "-."), strict=False):
        handles.append(ax.axvline(x, color=ELSEWHERE, lw=1, ls=style, label=label, zorder=2))
    ax.set_xlabel(xlabel)
    ax.set_ylabel("Draws")
    if handles:
        ax.figure.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 2), frameon=False)


def plot_tornado(table: pd.DataFrame, output: str, *, ax) -> None:
    """Horizontal bars from the output at each input's low end to its high end, largest swing on top; the low end
    light grey, the high end dark grey, the swing printed. The axis label (the output's name, typeset) is wrapped to
    `TORNADO_LABEL_CHARS` a line and set flush right, so it stays inside a single-column canvas however far the
    inputs' names push the axes to the right."""
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
                    textcoords="offset points", va="center", fontsize=MIN_TEXT_PT, color="0.25")
    ax.axvline(centre, color=ELSEWHERE, lw=0.8)
    ax.set_yticks(y, rows["input"])
    ax.tick_params(axis="y", length=0)
    ax.margins(x=0.25)
    ax.set_xlabel(textwrap.fill(typeset(in_words(output)), TORNADO_LABEL_CHARS), loc="right")
    ax.figure.legend(handles=[Patch(color=low, label="input at its low end"),
                              Patch(color=high, label="input at its high end")],
                     loc="outside lower center", ncols=2, frameon=False)


def plot_scenario_intervals(points: pd.DataFrame, *, ax, xlabel: str) -> None:
    """Each scenario on its own row: its sensitivity p5-p95 (light) and p25-p75 (dark), its computed value
    (filled) and the article's printed value (open), the scenario's own marker. ``points``: scenario, value,
    stated, p5, p25, p75, p95."""
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
               Patch(color=BAND_NARROW, label="sensitivity p25\u2013p75"), Patch(color=BAND_WIDE, label="p5\u2013p95")]
    ax.figure.legend(handles=handles, loc="outside lower center", ncols=2, frameon=False)


def plot_city_scenarios(df: pd.DataFrame, names: list[str], *, ax, xlabel: str) -> None:
    """Chinese cities, one row each: every scenario's estimate (its own marker, China's colour) joined by a line,
    over the sensitivity band from the lowest scenario's 5th percentile to the highest's 95th (grey).
    ``df``: city, one column per scenario in ``names``, and optional band_low, band_high."""
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
    ax.tick_params(axis="y", length=0)
    ax.spines["left"].set_visible(False)
    ax.set_xlim(0, float(np.nanmax(data[[*names, *(["band_high"] if "band_high" in data else [])]].to_numpy()))
                * 1.05)
    ax.set_xlabel(xlabel)
    if "band_low" in data:
        handles.append(Patch(color=BAND_WIDE, label="sensitivity p5\u2013p95"))
    ax.figure.legend(handles=handles, loc="outside lower center", ncols=legend_columns(ax.figure, handles),
                     frameon=False)
