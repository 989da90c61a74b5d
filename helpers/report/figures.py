"""Figures for papers: one style, byte-identical PNG/SVG/PDF, captions and provenance.

Sizes are a journal's column widths, exactly (`SINGLE_COLUMN`, `DOUBLE_COLUMN`: the saved file is that wide; no
tight bounding box). Every concept has one colour in every figure, and a second cue (documented in
docs/manuscript.md): China and the cities elsewhere (colour and marker), verdicts (colour and marker), scenarios
(marker only: never a colour), printed against computed or first against later edition (open against filled),
sensitivity and rounding intervals (grey bands and bars). PDFs embed TrueType (Type 42) fonts as matplotlib writes
them. This module holds the style, `save_figure` and `notable` (the points worth a label); the plot kinds are in
`helpers.report.plots_cities` and `helpers.report.plots_intervals`, their shared pieces in `helpers.report.marks`.
Labels are placed by adjustText (a fixed number of iterations, so the same on every run). Scatters of more than
`RASTER_POINTS` points are rasterized inside the SVG and PDF, so those stay small; of more than `BIN_POINTS`, drawn
as counts per cell (a binned density, `marks.binned_note` for the caption), so they stay fast too.
"""

from __future__ import annotations

import hashlib
import html
import io
import json
import os
import re
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.text import Text

from helpers.atomic import atomic_path, write_text
from helpers.errors import ParameterError, ProjectError
from helpers.paths import PROJECT_ROOT, check_file_stem, relative
from helpers.report.exports import record

SINGLE_COLUMN = 3.5  # inches: one column of a two-column journal page
DOUBLE_COLUMN = 7.2  # inches: the full text width
PNG_DPI = 300
SHOWN_DPI = 200  # a notebook shows a figure at this many pixels per inch: a single column 700 px wide, 8 pt as 22 px
SHOWN_MAX_PX = 1000  # ... and at most this wide (a double-column figure), within JupyterLab's column
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
                   "differs by edition": "s", "inconsistent": "X", "cannot be checked": ".",
                   "cannot be checked against the quoted edition": "s", "holds": "o",
                   "holds only under the national-rate rule": "P", "does not hold": "X"}
BAND_WIDE, BAND_NARROW = "0.88", "0.70"  # sensitivity p5-p95 and p25-p75
RASTER_POINTS = 2000  # scatters with more points are rasterized in SVG/PDF
BIN_POINTS = 5000  # scatters with more points are drawn as counts per cell of a grid (one raster image)
GRID = 80  # cells on each axis of a binned scatter
DUMBBELL_ROWS = 60  # a dumbbell figure draws at most this many rows
MIN_TEXT_PT = 7  # no text of a figure is smaller at the printed size (the paper prints figures at their own size)
MATH_SHRINK = 0.7  # mathtext sets super- and subscripts at this fraction of the text's size
CANVAS_SLACK_PX = 0.5  # a text may stand out of the canvas by rounding only (pixels at the PNG's resolution)
# Typography every figure text and caption keeps: the multiplication sign, and en dashes in ranges.
_TIMES = re.compile(r"(?<=[\w)%]) x (?=[\w(])")  # "rate x people", "80 x 80"; never ", x axis"
_RANGE = re.compile(r"\b(\d+th|p\d+)-(\d+th|p\d+)\b")
TYPOGRAPHY = ((_TIMES, "a multiplication sign (\u00d7), not 'x'"),
              (_RANGE, "an en dash (\u2013) in a range, not a hyphen"))
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
    "patch.facecolor": PALETTE[0],  # as seaborn's set_palette(PALETTE) sets it
}
# seaborn's "paper" context and "ticks" style as a matplotlib style sheet (its header says why and how it is checked)
BASE_STYLE = Path(__file__).with_name("seaborn-paper-ticks.mplstyle")


def apply_style() -> None:
    """Set the paper style for every figure that follows: seaborn's paper/ticks theme, then the project's RC."""
    matplotlib.style.use(BASE_STYLE)
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


def _inline_kernel() -> bool:
    """True in a Jupyter kernel drawing with the inline backend (a notebook), False elsewhere."""
    if "inline" not in matplotlib.get_backend():
        return False
    from IPython import get_ipython

    return getattr(get_ipython(), "kernel", None) is not None


def shown_png(png: Path) -> bytes:
    """The saved PNG at the width a notebook shows it: `SHOWN_DPI` per inch of the figure, at most `SHOWN_MAX_PX`
    wide (Pillow's LANCZOS filter), on white, in 256 colours without dithering (a third of the bytes, no visible
    change); the same bytes every run."""
    from PIL import Image as Picture

    with Picture.open(png) as picture:
        width = min(round(picture.width / PNG_DPI * SHOWN_DPI), SHOWN_MAX_PX)
        size = (width, round(picture.height * width / picture.width))
        shown = picture.convert("RGBA")
        shown = shown if size == shown.size else shown.resize(size, Picture.LANCZOS)
    flat = Picture.alpha_composite(Picture.new("RGBA", shown.size, "white"), shown).convert("RGB")
    buffer = io.BytesIO()
    flat.quantize(colors=256, method=Picture.Quantize.MEDIANCUT, dither=Picture.Dither.NONE).save(
        buffer, format="png", optimize=True)
    return buffer.getvalue()


def _show_saved(fig, png: Path, caption: str) -> bool:
    """In a Jupyter kernel drawing inline: display ``png`` at a readable width (`shown_png`) with ``caption`` (the
    sidecar's text) under it, and close ``fig`` (so the inline backend does not draw it again). False elsewhere."""
    if not _inline_kernel():
        return False
    from IPython.display import display

    display({"image/png": shown_png(png), "text/plain": f"<Figure {png.stem}: saved as PNG, SVG and PDF>"}, raw=True)
    display({"text/html": f'<p style="max-width:{SHOWN_MAX_PX}px; margin:0.2em 0 1.2em 0; font-size:95%">'
                          f"<b>Figure {html.escape(png.stem)}.</b> {html.escape(caption)}</p>",
             "text/plain": f"Figure {png.stem}. {caption}"}, raw=True)
    plt.close(fig)
    return True


def typeset(text: str) -> str:
    """``text`` with `TYPOGRAPHY` applied: " x " between words as " \u00d7 ", "5th-95th", "p5-p95" with an en dash."""
    return _RANGE.sub("\\1\u2013\\2", _TIMES.sub(" \u00d7 ", text))


def typography_problems(text: str) -> list[str]:
    """What ``text`` gets wrong typographically (`TYPOGRAPHY`): "'5th-95th' needs an en dash ...", or []."""
    return [f"{text[max(m.start() - 12, 0):m.end() + 12]!r} needs {rule}"
            for pattern, rule in TYPOGRAPHY for m in pattern.finditer(text)]


def _undrawn_tick_labels(fig) -> set[int]:
    """The ids of tick labels a draw leaves out (ticks outside the view, labels switched off, spare ticks)."""
    undrawn, drawn = set(), set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            lo, hi = sorted(axis.get_view_interval())
            slack = (hi - lo) * 1e-9
            for locs, get in ((axis.get_majorticklocs(), axis.get_major_ticks),
                              (axis.get_minorticklocs(), axis.get_minor_ticks)):
                drawn |= {id(t) for tick, loc in zip(get(len(locs)), locs, strict=True)
                          if lo - slack <= loc <= hi + slack for t in (tick.label1, tick.label2)}
            undrawn |= {id(t) for tick in axis.get_major_ticks() + axis.get_minor_ticks()
                        for t in (tick.label1, tick.label2)}
    return undrawn - drawn


def drawn_texts(fig) -> list:
    """Every text artist a draw of ``fig`` shows: visible, not empty, tick labels only of the ticks drawn."""
    undrawn = _undrawn_tick_labels(fig)
    return [t for t in fig.findobj(Text)
            if t.get_visible() and t.get_text().strip() and id(t) not in undrawn
            and (t.axes is None or t.axes.get_visible())]


def text_size(text) -> float:
    """The smallest size, in points, a text artist prints at: its font size, less for mathtext exponents."""
    math = "$" in text.get_text() and re.search(r"[\^_]", text.get_text())
    return text.get_fontsize() * (MATH_SHRINK if math else 1.0)


def text_problems(fig, dpi: float = PNG_DPI) -> list[str]:
    """Every text of ``fig`` under `MIN_TEXT_PT` points, standing out of the canvas or breaking `TYPOGRAPHY`, one
    line each naming the text; [] when none does. Measured in a draw at ``dpi`` (the PNG's: text widths do not
    scale exactly with the resolution), with the figure's layout as it stands (run no layout engine first if the
    layout is to stay as saved)."""
    before = fig.dpi
    fig.set_dpi(dpi)
    try:
        fig.draw_without_rendering()
        renderer = fig.canvas.get_renderer()
        canvas = fig.bbox
        problems = []
        for t in drawn_texts(fig):
            words = t.get_text().replace("\n", " ")
            if text_size(t) < MIN_TEXT_PT - 1e-9:
                problems.append(f"{words!r} is {text_size(t):g} pt, under {MIN_TEXT_PT} pt")
            box = t.get_window_extent(renderer)
            if (box.x0 < canvas.x0 - CANVAS_SLACK_PX or box.x1 > canvas.x1 + CANVAS_SLACK_PX
                    or box.y0 < canvas.y0 - CANVAS_SLACK_PX or box.y1 > canvas.y1 + CANVAS_SLACK_PX):
                problems.append(f"{words!r} stands out of the canvas (clipped at the edge)")
            problems += [f"{words!r}: {p}" for p in typography_problems(words)]
    finally:
        fig.set_dpi(before)
    return problems


def save_figure(fig, name: str, *, caption: str, provenance: dict, folder: str | Path) -> dict[str, Path]:
    """Write ``<name>.png`` (300 dpi), ``.svg``, ``.pdf`` and a ``.json`` sidecar; byte-identical every run.

    The figure is laid out once, when the PNG is drawn; the SVG and the PDF reuse that layout, so the three files
    share one geometry. A figure with a text under `MIN_TEXT_PT`, out of the canvas or against `TYPOGRAPHY`
    (`text_problems`) is refused with a `ProjectError` naming the figure and the text, and no file is written.
    In a Jupyter kernel with the inline backend the saved PNG itself is shown (at a readable width, `shown_png`)
    with the sidecar's caption under it, and the figure is closed, so what you see is what was published; elsewhere
    the figure stays open with its layout engine (close it yourself).
    """
    check_file_stem(name, "figure")
    folder = Path(folder)
    paths: dict[str, Path] = {}
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = "0"
    engine = fig.get_layout_engine()
    try:
        with matplotlib.rc_context({**RC, "figure.autolayout": False, "figure.constrained_layout.use": False}):
            for fmt in FORMATS:
                with atomic_path(folder / f"{name}.{fmt}") as tmp:
                    fig.savefig(tmp, format=fmt, metadata=_METADATA[fmt])
                    fig.set_layout_engine(None)  # laid out by the first format: the others draw it as it stands
                    if fmt == FORMATS[0] and (problems := text_problems(fig)):
                        raise ProjectError(f"figure {name}: " + "; ".join(problems))
                paths[fmt] = folder / f"{name}.{fmt}"
    except ProjectError:
        fig.set_layout_engine(engine)  # refused: the figure as it came, to be fixed and saved again
        raise
    finally:
        if previous is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous
    sidecar = {"name": name, "caption": caption, "provenance": _portable(provenance),
               "files": {fmt: {"file": p.name, "sha256": _sha256(p)} for fmt, p in paths.items()}}
    paths["json"] = write_text(folder / f"{name}.json", json.dumps(sidecar, indent=2, sort_keys=True) + "\n")
    record(paths.values())  # for the notebook's list of exported files (helpers.report.display.exported)
    if not _show_saved(fig, paths["png"], sidecar["caption"]):
        fig.set_layout_engine(engine)
    return paths


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
