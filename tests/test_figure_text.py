"""Every figure kind drawn from a small fixture and checked, not looked at: every text at least 7 pt at the printed
size and inside the canvas, typographic signs, leader lines to displaced labels, no stems or bars on log axes, one
tick style on log axes. The fixtures carry the long names the real tables have (the tornado's output, city names)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection
from matplotlib.patches import FancyArrowPatch, Rectangle

from helpers.errors import ProjectError
from helpers.report import figures as figures_module
from helpers.report import plots_cities, plots_intervals
from helpers.report.figures import (
    MIN_TEXT_PT,
    drawn_texts,
    new_figure,
    save_figure,
    text_problems,
    typeset,
    typography_problems,
)

CITIES = ["Shenzhen", "Wuhan", "Shanghai", "Qingdao", "Delhi", "Seoul", "Moscow", "New York City", "Osaka",
          "Los Angeles", "Taiyuan", "Wuxi", "London", "Dhaka", "Lanzhou", "Tokyo", "Singapore", "Hyderabad",
          "Chennai", "Beijing"]
# The real tornado's output (data/raw/scenarios.yml's headline city on the table's basis): clipped at the right
# edge ("(comparitech_20") before its label was wrapped and set flush right.
TORNADO_OUTPUT = "Shenzhen: cameras per sq mi (comparitech_2021 population / area x national rate)"


def _cities(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    names = [CITIES[i % len(CITIES)] + ("" if i < len(CITIES) else f" {i}") for i in range(n)]
    per_1000 = rng.lognormal(1.0, 1.5, n)
    per_sq_mi = per_1000 * rng.lognormal(1.0, 1.0, n)
    return pd.DataFrame({"city": names, "per_1000": per_1000, "per_sq_mi": per_sq_mi,
                         "in_china": np.arange(n) % 3 == 0, "area_sq_mi": rng.lognormal(5, 1, n),
                         "rank_per_1000": pd.Series(per_1000).rank(ascending=False).to_numpy(),
                         "rank_per_sq_mi": pd.Series(per_sq_mi).rank(ascending=False).to_numpy()})


def _named(ax):
    df = pd.DataFrame({"city": CITIES[:9], "per_sq_mi": [6220, 5429, 4343, 3470, 1446, 333, 220, 187, 6.0],
                       "in_china": [True] * 4 + [False] * 5, "upper_bound": [False] * 8 + [True]})
    plots_cities.plot_dots(df, "per_sq_mi", "city", ax=ax, china_col="in_china", bound_col="upper_bound",
                           xlabel="Per square mile, as printed (log scale)")


def _rates(ax):
    df = pd.DataFrame({"label": ["China (conservative)", "China (high)", "Taiyuan", "Wuxi", "London"],
                       "per_1000": [372.8, 439.07, 119.57, 92.14, 67.47], "in_china": [True] * 4 + [False]})
    plots_cities.plot_dots(df, "per_1000", "label", ax=ax, china_col="in_china",
                           xlabel="Per 1,000 people, as printed (log scale)")


def _ranking(ax):
    plots_cities.plot_dots(_cities(40), "per_1000", "city", ax=ax, china_col="in_china", log=False, annotate=False,
                           xlabel="Cameras per 1,000 people")


def _scatter(ax):
    df = _cities(130)
    plots_cities.plot_scatter(df, "per_1000", "per_sq_mi", ax=ax, china_col="in_china", label_col="city",
                              labels=CITIES[:12], xlabel="Cameras per 1,000 people (log scale)",
                              ylabel="Cameras per square mile (log scale)")


def _ranks(ax):
    df = _cities(130)
    plots_cities.plot_scatter(df, "rank_per_1000", "rank_per_sq_mi", ax=ax, china_col="in_china", log=False,
                              diagonal=True, invert=True, label_col="city", labels=CITIES[:6],
                              xlabel="Rank by cameras per 1,000 people", ylabel="Rank by cameras per square mile")


def _binned(ax):
    df = _cities(6000)
    plots_cities.plot_scatter(df, "per_1000", "per_sq_mi", ax=ax, china_col="in_china", label_col="city",
                              labels=CITIES[:4], xlabel="Cameras per 1,000 people (log scale)",
                              ylabel="Cameras per square mile (log scale)")


def _areas(ax):
    plots_cities.plot_area_strip(_cities(129), ax=ax, factor=3.0)


def _counted_vs_rule(ax):
    df = _cities(36)
    pairs = pd.DataFrame({"city": df["city"], "counted": df["per_sq_mi"], "rule": df["per_sq_mi"] * 14.5})
    plots_cities.plot_counted_vs_rule(pairs, ax=ax, rate_label="printed rate 372.8 per 1,000 \u00d7 people per sq mi")


def _editions(ax):
    df = _cities(30)
    change = pd.DataFrame({"city": df["city"], "per_1000 first": df["per_1000"],
                           "per_1000 later": df["per_1000"] * 1.7})
    plots_cities.plot_editions(change, "first", "later", ax=ax)


def _audit(ax):
    claims = pd.DataFrame({
        "figure_id": ["a", "b", "c", "d"], "entity": ["China", "Delhi", "London", "Osaka"],
        "metric": ["cameras_per_1000", "cameras_per_sq_mi", "cameras_per_1000", "cameras_per_sq_mi"],
        "value_text": ["372.8", "1,446", "67.47", "less than 6"], "stated": [372.8, 1446.0, 67.47, 6.0],
        "recomputed": [372.9, 1826.6, 73.31, 5.9], "recomputed_low": [372.85, 1826.5, 73.305, 5.85],
        "recomputed_high": [372.95, 1826.7, 73.315, 5.95],
        "verdict": ["consistent within rounding", "cannot be checked against the quoted edition",
                    "cannot be checked against the quoted edition", "satisfies bound"],
        "cause": ["", "edition", "edition", ""]})
    intervals = {"a": (372.75, 372.85), "b": (1445.5, 1446.5), "c": (67.465, 67.475), "d": (-np.inf, 6.0)}
    plots_intervals.plot_audit(claims, ax=ax, intervals=intervals)


def _histogram(ax):
    edges = np.linspace(300, 500, 41)
    hist = pd.DataFrame({"lower": edges[:-1], "upper": edges[1:], "draws": np.arange(40) * (40 - np.arange(40))})
    plots_intervals.plot_histogram(hist, ax=ax, xlabel="China: cameras per 1,000 people",
                                   marks={"high (computed)": 428.8, "high (as printed)": 439.07}, band=(350, 480))


def _tornado(ax):
    table = pd.DataFrame({"output": TORNADO_OUTPUT, "input": ["China's camera count", "China's population",
                                                              "city area", "city population"],
                          "central": 7020.0, "output_low": [6610.0, 7255.0, 7020.1, 7020.0],
                          "output_high": [7442.0, 6995.0, 7019.95, 7020.001], "swing": [832, 260, 0.15, 0.001]})
    plots_intervals.plot_tornado(table, TORNADO_OUTPUT, ax=ax)


def _scenarios(ax):
    points = pd.DataFrame({"scenario": ["conservative", "high"], "value": [372.9, 428.8], "stated": [372.8, 439.07],
                           "p5": [340.0, 400.0], "p25": [360.0, 415.0], "p75": [385.0, 440.0], "p95": [400.0, 455.0]})
    plots_intervals.plot_scenario_intervals(points, ax=ax, xlabel="China: cameras per 1,000 people")


def _city_scenarios(ax):
    df = _cities(25)
    shown = pd.DataFrame({"city": df["city"], "conservative": df["per_sq_mi"] * 10, "high": df["per_sq_mi"] * 11.5,
                          "band_low": df["per_sq_mi"] * 9, "band_high": df["per_sq_mi"] * 13})
    plots_intervals.plot_city_scenarios(shown, ["conservative", "high"], ax=ax,
                                        xlabel="Estimated cameras per square mile")


def _city_scenarios_three(ax):
    """A third scenario's entry makes the legend too wide for one row of a single column: it wraps (the article-only
    pipeline run with a scenario 'mine' ran the legend off the canvas)."""
    df = _cities(25)
    shown = pd.DataFrame({"city": df["city"], "conservative": df["per_sq_mi"] * 10, "high": df["per_sq_mi"] * 11.5,
                          "mine": df["per_sq_mi"] * 13, "band_low": df["per_sq_mi"] * 9,
                          "band_high": df["per_sq_mi"] * 14})
    plots_intervals.plot_city_scenarios(shown, ["conservative", "high", "mine"], ax=ax,
                                        xlabel="Estimated cameras per square mile")


def _article_vs_table(fig, axes):
    rows = pd.DataFrame({
        "entity": ["London", "Delhi", "New York City", "London", "Delhi", "Osaka"],
        "panel": ["Cameras per 1,000 people (log scale)"] * 3 + ["Cameras per square mile (log scale)"] * 3,
        "stated": [67.47, 19.96, 6.87, 1138.5, 1826.6, 6.0], "stated_low": [67.465, 19.955, 6.865, 1138, 1826, -np.inf],
        "stated_high": [67.475, 19.965, 6.875, 1139, 1827, 6.0], "recomputed": [73.31, 26.7, 7.1, 1200, 1446, 5.1]})
    plots_cities.plot_article_vs_table(rows, fig=fig, axes=axes, first="Comparitech's later edition",
                                       last="Comparitech's 2021 table")


# (draw, width, aspect) as the notebooks size each figure
KINDS = {"named_cities_per_sq_mi": (_named, "single", 0.8), "per_1000_stated": (_rates, "single", 0.55),
         "city_ranking_per_1000": (_ranking, "single", 1.75), "per_1000_vs_per_sq_mi": (_scatter, "single", 0.95),
         "rank_per_1000_vs_per_sq_mi": (_ranks, "single", 0.95), "binned_scatter": (_binned, "single", 0.95),
         "implied_areas": (_areas, "single", 0.6), "counted_vs_rule": (_counted_vs_rule, "single", 1.6),
         "editions_per_1000": (_editions, "single", 1.1), "claims_audit": (_audit, "double", 0.62),
         "sensitivity": (_histogram, "single", 0.7), "tornado": (_tornado, "single", 0.6),
         "scenarios_per_1000": (_scenarios, "single", 0.55),
         "city_scenarios_per_sq_mi": (_city_scenarios, "single", 1.3),
         "city_scenarios_three_scenarios": (_city_scenarios_three, "single", 1.3)}


def _draw(kind: str):
    if kind == "article_vs_table":
        fig, axes = new_figure("single", aspect=0.95, nrows=2, gridspec_kw={"height_ratios": [3, 3]})
        _article_vs_table(fig, list(axes))
        return fig
    draw, width, aspect = KINDS[kind]
    fig, ax = new_figure(width, aspect=aspect)
    draw(ax)
    return fig


ALL_KINDS = [*KINDS, "article_vs_table"]


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    """Each figure kind drawn and saved once (laid out as published), by name; closed at the end."""
    figures: dict = {}

    def get(kind: str):
        if kind not in figures:
            figures[kind] = _draw(kind)
            # the PNG, saved first, lays the figure out; the SVG and PDF draw that layout as it stands, so this check
            # needs only the PNG (writing all three took 7 s of the fast subset's 100 s)
            with pytest.MonkeyPatch.context() as mp:
                mp.setattr(figures_module, "FORMATS", ("png",))
                save_figure(figures[kind], kind, caption="c", provenance={}, folder=tmp_path_factory.mktemp(kind))
            figures[kind].set_layout_engine(None)  # the layout as saved; text_problems draws it at the PNG's dpi
        return figures[kind]

    yield get
    for fig in figures.values():
        plt.close(fig)


@pytest.fixture(params=ALL_KINDS)
def saved(request, drawn):
    return drawn(request.param)


def test_every_text_is_at_least_7_pt_inside_the_canvas_and_typeset(saved):
    assert drawn_texts(saved)  # the check saw the figure's texts
    assert text_problems(saved) == []
    assert min(t.get_fontsize() for t in drawn_texts(saved)) >= MIN_TEXT_PT


def test_no_stems_or_bars_on_a_log_axis_and_one_tick_style(saved):
    """On a log x axis nothing starts at the axis' edge (a stem or a bar from an arbitrary baseline): a horizontal
    segment either joins two values or crosses the whole axis; no bar (Rectangle) at all. Every log axis labels its
    ticks as plain numbers, never as 10 to a power (mathtext)."""
    for ax in saved.axes:
        for axis, scale in ((ax.xaxis, ax.get_xscale()), (ax.yaxis, ax.get_yscale())):
            if scale == "log":
                labels = [t.get_text() for t in axis.get_ticklabels() if t.get_text()]
                assert labels and not any("$" in t or "^" in t for t in labels), labels
        if ax.get_xscale() != "log":
            continue
        assert not [p for p in ax.patches if isinstance(p, Rectangle)]
        lo, hi = sorted(ax.get_xlim())
        segments = [s for c in ax.collections if isinstance(c, LineCollection) for s in c.get_segments()]
        segments += [line.get_xydata() for line in ax.lines]
        for seg in segments:
            xs, ys = np.asarray(seg, dtype=float).T
            if len(xs) != 2 or ys[0] != ys[1] or xs[0] == xs[1]:
                continue  # only horizontal segments can be stems
            at_edge = [bool(np.isclose(x, lo, rtol=1e-6) or np.isclose(x, hi, rtol=1e-6) or x < lo or x > hi)
                       for x in xs]
            assert at_edge.count(True) != 1, f"a stem from the axis' edge on a log axis: {seg.tolist()}"


@pytest.mark.parametrize("kind", ["per_1000_vs_per_sq_mi", "rank_per_1000_vs_per_sq_mi", "implied_areas",
                                  "binned_scatter"])
def test_every_label_has_a_leader_line_to_its_point_and_no_two_labels_overlap(kind, drawn):
    fig = drawn(kind)
    ax = fig.axes[0]
    labels = [t for t in ax.texts if "median" not in t.get_text()]  # the cities labelled
    leaders = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    assert labels and len(leaders) == len(labels)
    assert {id(p.patchA) for p in leaders} == {id(t) for t in labels}  # each line starts at its label's edge
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in ax.texts]
    assert not [(i, j) for i, a in enumerate(boxes) for j, b in enumerate(boxes) if i < j and a.overlaps(b)]


def test_a_figure_with_small_or_clipped_text_is_refused_and_no_file_is_written(tmp_path):
    fig, ax = new_figure("single")
    ax.plot([1, 2], [1, 2])
    ax.set_xlabel("a label long enough to run off the right edge of a single column: " * 2, loc="left")
    ax.annotate("tiny", (1.5, 1.5), fontsize=6)
    engine = fig.get_layout_engine()
    with pytest.raises(ProjectError) as caught:
        save_figure(fig, "bad", caption="c", provenance={}, folder=tmp_path)
    assert fig.get_layout_engine() is engine  # refused: the figure keeps its layout engine, to be fixed and saved
    plt.close(fig)
    message = str(caught.value)
    assert message.startswith("figure bad: ")
    assert "'tiny' is 6 pt, under 7 pt" in message and "stands out of the canvas" in message
    assert list(tmp_path.iterdir()) == []


def test_mathtext_exponents_count_at_their_printed_size(tmp_path):
    """A 10-to-a-power tick label in 7-pt text prints its exponent at 0.7 x 7 = 4.9 pt (mathtext's shrink factor)."""
    fig, ax = new_figure("single")
    ax.plot([1, 1000], [1, 2])
    ax.set_xscale("log")  # matplotlib's own log labels: $\mathdefault{10^{3}}$
    problems = text_problems(fig)
    plt.close(fig)
    assert any("is 4.9 pt, under 7 pt" in p for p in problems), problems


def test_typography_multiplication_sign_and_en_dash():
    assert typeset("rate x people, 5th-95th, p5-p95, 80 x 80, the x, axis") == \
        "rate \u00d7 people, 5th\u201395th, p5\u2013p95, 80 \u00d7 80, the x, axis"
    assert len(typography_problems("rate x people, 5th-95th")) == 2
    assert typography_problems("the x, axis, 5th\u201395th, ranks 1-10") == []
