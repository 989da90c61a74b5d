"""Plot kinds for cities and the article's figures: dots, dumbbells, scatters, implied areas and editions."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.colors import LogNorm
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

from helpers.data.table_facts import ESTIMATED
from helpers.report.figures import CHINA, DUMBBELL_ROWS, ELSEWHERE, GRID, MIN_TEXT_PT, RASTER_POINTS
from helpers.report.marks import (
    binned,
    cell_edges,
    density_colors,
    draw_binned,
    label_points,
    legend_columns,
    place,
    place_handles,
    plain_colorbar,
    plain_log_ticks,
    scatter_by,
    thousands_tick,
)

# --- dot plots ----------------------------------------------------------------------------------------------------

def plot_dots(df: pd.DataFrame, value_col: str, label_col: str, *, ax, xlabel: str, china_col: str | None = None,
              bound_col: str | None = None, log: bool = True, annotate: bool = True) -> None:
    """A dot per row, largest on top: position is the value (log or linear axis), colour and marker say China or
    elsewhere, an upper bound is a bar at the bound with an arrow pointing down the scale, values printed. On a
    linear axis a stem joins each dot to zero; on a log axis, which has no zero, a faint guide crosses the whole
    row instead (a stem's length would depend on where the axis happens to start)."""
    df = df.sort_values(value_col, ascending=True, kind="mergesort").reset_index(drop=True)
    y = np.arange(len(df))
    in_china = df[china_col].astype(bool) if china_col else pd.Series(False, index=df.index)
    bounds = df[bound_col].astype(bool) if bound_col else pd.Series(False, index=df.index)
    colors, markers = place(in_china)
    values = df[value_col].astype(float)
    if log:
        ax.yaxis.grid(True, color="0.9", lw=0.5, zorder=0)
    else:
        ax.hlines(y, 0, values, color="0.88", lw=0.6, zorder=0)
    exact = ~bounds.to_numpy()
    scatter_by(ax, values[exact], y[exact], np.array(colors)[exact], np.array(markers)[exact], s=22, zorder=3)
    for yi, v, c in zip(y[~exact], values[~exact], np.array(colors)[~exact], strict=True):
        ax.plot([v, v], [yi - 0.25, yi + 0.25], color=c, lw=1.4, zorder=3)
        ax.annotate("", xy=(v / 2.5 if log else v * 0.6, yi), xytext=(v, yi),
                    arrowprops={"arrowstyle": "-|>", "color": c, "lw": 1, "shrinkA": 0, "shrinkB": 0}, zorder=3)
    if annotate:
        for yi, v, b in zip(y, values, bounds, strict=True):
            ax.annotate(("< " if b else "") + f"{v:,.6g}", (v, yi), xytext=(5, 0), textcoords="offset points",
                        va="center", fontsize=MIN_TEXT_PT, color="0.25")
    ax.set_yticks(y, [str(v) for v in df[label_col]])
    ax.set_ylim(-0.7, len(df) - 0.3)
    if log:
        ax.set_xscale("log")
        ax.set_xlim(values.min() / 3, values.max() * 3)
        plain_log_ticks(ax.xaxis, values)
    else:
        ax.set_xlim(0, values.max() * 1.15)
    ax.set_xlabel(xlabel)
    ax.spines["left"].set_visible(False)
    ax.tick_params(axis="y", length=0)
    handles = place_handles(in_china) if china_col else []
    if bounds.any():
        handles.append(Line2D([], [], color="0.3", marker="$\u2190$", ls="", markersize=7, label="upper bound"))
    if handles:
        ax.figure.legend(handles=handles, loc="outside lower center", ncols=legend_columns(ax.figure, handles),
                         frameon=False)


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
                    textcoords="offset points", va="center", fontsize=MIN_TEXT_PT, color="0.3")
    plain_log_ticks(ax.xaxis, pd.concat([data["counted"], data["rule"]]))
    ax.set_yticks(y, data["city"])
    ax.set_ylim(-0.7, len(data) - 0.3)
    ax.tick_params(axis="y", length=0)
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
                        fontsize=MIN_TEXT_PT, color="0.3")
        ax.set_xscale("log")
        values = pd.concat([part["stated"], part["recomputed"]])
        ax.set_xlim(values.min() / 3, values.max() * 3)
        plain_log_ticks(ax.xaxis, values)
        ax.set_yticks(y, part["entity"])
        ax.set_ylim(-0.7, len(part) - 0.3)
        ax.set_title(title, fontsize=MIN_TEXT_PT, loc="left")
        ax.tick_params(axis="y", length=0)
        ax.spines["left"].set_visible(False)
    handles = [Line2D([], [], ls="", marker="o", markerfacecolor="white", color=ELSEWHERE,
                      label=f"as printed ({first})"),
               Line2D([], [], ls="", marker="o", color=ELSEWHERE, label=f"city table ({last})")]
    fig.legend(handles=handles, loc="outside lower center", ncols=1, frameon=False)


# --- scatters -----------------------------------------------------------------------------------------------------

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
        draw_binned(ax, data[x].to_numpy(dtype=float), data[y].to_numpy(dtype=float), log=log)
        avoid = (shown[x], shown[y])  # labels avoid the drawn points (adjustText's cost grows with the points)
        legend_china = in_china.loc[shown.index]
        colors, markers = place(legend_china)
        scatter_by(ax, shown[x], shown[y], colors, markers, s=9, linewidths=0, zorder=3)
    else:
        avoid = (data[x], data[y])
        legend_china = in_china
        colors, markers = place(in_china)
        raster = len(data) > RASTER_POINTS
        scatter_by(ax, data[x], data[y], colors, markers, s=9 if len(data) < 500 else 3, alpha=0.75, linewidths=0,
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
        ax.figure.legend(handles=place_handles(legend_china), loc="outside lower center", ncols=2, frameon=False)
    elif china_col:
        ax.legend(handles=place_handles(legend_china), loc="upper left" if not invert else "lower right",
                  frameon=False)
    if log:
        plain_log_ticks(ax.xaxis, data[x])
        plain_log_ticks(ax.yaxis, data[y])
    elif binned(len(data)):
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_formatter(FuncFormatter(thousands_tick))  # short: ranks reach the millions
    if len(shown):
        label_points(ax, shown[x], shown[y], shown[label_col], avoid_x=avoid[0], avoid_y=avoid[1],
                      boxed=binned(len(data)))


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
        colors, markers = place(top["in_china"])
        scatter_by(ax, top["area_sq_mi"], ys, colors, markers, s=10, linewidths=0, zorder=3)
        avoid_x, avoid_y = top["area_sq_mi"], ys
    else:
        jitter = ((np.arange(len(data)) % 7) - 3) * 0.07  # deterministic spread within a row
        colors, markers = place(data["in_china"])
        scatter_by(ax, data["area_sq_mi"], row + jitter, colors, markers, s=10, alpha=0.75, linewidths=0, zorder=2)
        ys, avoid_x, avoid_y = (row + jitter)[top.index], data["area_sq_mi"], row + jitter
    median = data["area_sq_mi"].median()
    ax.axvline(median, color="0.4", lw=0.8, zorder=1)
    ax.axvline(factor * median, color="0.4", lw=0.8, ls="--", zorder=1)
    # each name on the far side of its line, so the two never run into each other however close the lines are
    ax.annotate("median", (median, 1.45), xytext=(-2, 0), textcoords="offset points", ha="right",
                fontsize=MIN_TEXT_PT, color="0.3")
    ax.annotate(f"{factor:g} \u00d7 median", (factor * median, 1.45), xytext=(2, 0), textcoords="offset points",
                ha="left", fontsize=MIN_TEXT_PT, color="0.3")
    ax.set_xscale("log")
    plain_log_ticks(ax.xaxis, data["area_sq_mi"])
    ax.set_yticks([0, 1], ["elsewhere", "China"])
    ax.set_ylim(-0.5, 1.6)
    ax.tick_params(axis="y", length=0)
    ax.spines["left"].set_visible(False)
    ax.set_xlabel("Implied area, sq mi (log scale)")
    label_points(ax, top["area_sq_mi"], ys, top["city"], avoid_x=avoid_x, avoid_y=avoid_y, boxed=binned(len(data)))


def _area_rows_binned(ax, area: np.ndarray, row: np.ndarray) -> None:
    """Each row (0 elsewhere, 1 China) as counts of cities per log-spaced cell of area: one raster image."""
    edges = cell_edges(area, log=True)
    counts = np.vstack([np.histogram(area[row == r], bins=edges)[0] for r in (0.0, 1.0)]).astype(float)
    grid = np.full((3, GRID), np.nan)  # rows -0.3..0.3 (elsewhere), a gap, 0.7..1.3 (China)
    grid[0], grid[2] = counts[0], counts[1]
    mesh = ax.pcolormesh(edges, [-0.3, 0.3, 0.7, 1.3], np.ma.masked_invalid(np.where(grid > 0, grid, np.nan)),
                         cmap=density_colors(), norm=LogNorm(vmin=1, vmax=max(float(counts.max()), 2.0)),
                         rasterized=True, zorder=2)
    plain_colorbar(ax.figure.colorbar(mesh, ax=ax, label="cities per cell", shrink=0.8, pad=0.02))


# --- editions -----------------------------------------------------------------------------------------------------

def plot_editions(change: pd.DataFrame, first: str, last: str, *, ax, top: int = 25,
                  labels: list[str] | None = None) -> None:
    """A dumbbell per city: its rate per 1,000 in the ``first`` table (open) and the ``last`` one (filled), the
    ``top`` largest changes, on a log axis (the rates span decades); rows estimated from one national rate in
    either table are left out. ``labels``: the two tables' names in the legend (`captions.source_words`), else
    ``first`` and ``last``."""
    a, b = f"per_1000 {first}", f"per_1000 {last}"
    estimated = pd.Series(False, index=change.index)
    for src in (first, last):
        if f"basis {src}" in change:
            estimated |= change[f"basis {src}"].eq(ESTIMATED)
    data = change[~estimated].dropna(subset=[a, b])
    data = data.loc[(data[b] - data[a]).abs().sort_values(ascending=False, kind="mergesort").index[:top]]
    data = data.iloc[::-1].reset_index(drop=True)
    y = np.arange(len(data))
    ax.hlines(y, data[a], data[b], color="0.6", lw=1, zorder=1)
    ax.scatter(data[a], y, facecolors="white", edgecolors=ELSEWHERE, s=22, zorder=2)
    ax.scatter(data[b], y, color=ELSEWHERE, s=22, zorder=3)
    ax.set_yticks(y, data["city"])
    ax.tick_params(axis="y", length=0)
    ax.set_xscale("log")
    plain_log_ticks(ax.xaxis, pd.concat([data[a], data[b]]))
    ax.set_xlabel("Cameras per 1,000 people (log scale)")
    names = labels or [first, last]
    ax.figure.legend(handles=[Line2D([], [], ls="", marker="o", markerfacecolor="white", color=ELSEWHERE,
                                     label=names[0]),
                              Line2D([], [], ls="", marker="o", color=ELSEWHERE, label=names[1])],
                     loc="outside lower center", ncols=1, frameon=False)
