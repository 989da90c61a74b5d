"""Figures are byte-identical across processes, embed TrueType fonts and carry caption and provenance."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import matplotlib.pyplot as plt
import pytest

from helpers.errors import ParameterError
from helpers.report.figures import DOUBLE_COLUMN, PNG_DPI, SINGLE_COLUMN, new_figure, save_figure
from helpers.report.plots_cities import plot_scatter

SCRIPT = """
import sys
import numpy as np
import pandas as pd
from helpers.report.figures import new_figure, save_figure
from helpers.report.plots_cities import plot_dots, plot_scatter
df = pd.DataFrame({"city": ["Shenzhen", "Delhi", "Osaka"], "v": [6220.0, 1446.0, 6.0],
                   "china": [True, False, False], "bound": [False, False, True]})
fig, ax = new_figure("single")
plot_dots(df, "v", "city", ax=ax, china_col="china", bound_col="bound", xlabel="Cameras per square mile")
save_figure(fig, "bars", caption="Dots.", provenance={"notebook": "test", "parameters": {"a": 1}},
            folder=sys.argv[1])
rng = np.random.default_rng(1)
pts = pd.DataFrame({"x": rng.lognormal(size=60), "y": rng.lognormal(size=60), "china": rng.random(60) < 0.3,
                    "city": [f"c{i}" for i in range(60)]})
fig, ax = new_figure("single")
plot_scatter(pts, "x", "y", ax=ax, xlabel="x", ylabel="y", china_col="china", label_col="city",
             labels=["c1", "c2", "c3", "c4", "c5"])
save_figure(fig, "labels", caption="Labels placed by adjustText.", provenance={}, folder=sys.argv[1])
"""


def _digests(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.mark.slow
def test_same_figure_same_bytes_in_two_processes(tmp_path):
    runs = []
    for name in ("a", "b"):
        subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / name)], check=True)
        runs.append(_digests(tmp_path / name))
    assert runs[0] == runs[1]
    assert set(runs[0]) == {f"{n}.{e}" for n in ("bars", "labels") for e in ("png", "svg", "pdf", "json")}


def test_pdf_embeds_truetype_not_type3(tmp_path):
    fig, ax = new_figure("double")
    ax.plot([1, 2], [3, 4])
    ax.set_xlabel("x (unit)")
    pdf = save_figure(fig, "line", caption="c", provenance={}, folder=tmp_path)["pdf"].read_bytes()
    assert b"/Type3" not in pdf
    assert b"/CIDFontType2" in pdf or b"/TrueType" in pdf
    assert b"CreationDate" not in pdf


def test_sidecar_records_caption_and_hashes(tmp_path):
    fig, ax = new_figure()
    ax.plot([1, 2], [1, 2])
    paths = save_figure(fig, "one", caption="A caption.", folder=tmp_path,
                        provenance={"notebook": "02_density", "scenario": "high", "parameters": {"seed": 1}})
    meta = json.loads(paths["json"].read_text())
    assert meta["caption"] == "A caption."
    assert meta["files"]["png"]["sha256"] == hashlib.sha256(paths["png"].read_bytes()).hexdigest()


def test_bad_names_are_refused(tmp_path):
    fig, _ = new_figure()
    with pytest.raises(ParameterError, match=r"figure name '\.\./x' must be"):
        save_figure(fig, "../x", caption="c", provenance={}, folder=tmp_path)
    with pytest.raises(ParameterError, match=r"figure name 'x\\n' must be"):  # `$` would match before the newline
        save_figure(fig, "x\n", caption="c", provenance={}, folder=tmp_path)
    with pytest.raises(ParameterError, match="figure width must be 'single' or 'double'"):
        new_figure("triple")


@pytest.mark.parametrize(("width", "inches"), [("single", SINGLE_COLUMN), ("double", DOUBLE_COLUMN)])
def test_figures_are_exactly_a_column_wide(tmp_path, width, inches):
    import matplotlib.pyplot as plt

    fig, ax = new_figure(width)
    ax.set_yticks([0, 1], ["a label far longer than the axes would like to hold", "b"])
    ax.set_xlabel("x")
    png = save_figure(fig, "w", caption="c", provenance={}, folder=tmp_path)["png"]
    plt.close(fig)
    assert plt.imread(png).shape[1] == round(inches * PNG_DPI)


def test_a_large_scatter_is_rasterized_so_svg_and_pdf_stay_small(tmp_path):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    n = 100_000
    df = pd.DataFrame({"x": rng.lognormal(size=n), "y": rng.lognormal(size=n), "china": rng.random(n) < 0.2})
    fig, ax = new_figure("single")
    plot_scatter(df, "x", "y", ax=ax, xlabel="x", ylabel="y", china_col="china")
    paths = save_figure(fig, "big", caption="c", provenance={}, folder=tmp_path)
    assert paths["svg"].stat().st_size < 3_000_000
    assert paths["pdf"].stat().st_size < 3_000_000


@pytest.mark.slow
def test_a_scatter_beyond_bin_points_is_binned_so_svg_and_pdf_stay_small(tmp_path):
    import matplotlib
    import numpy as np
    import pandas as pd

    from helpers.report.figures import BIN_POINTS
    from helpers.report.marks import binned_note
    from helpers.report.plots_cities import plot_area_strip

    rng = np.random.default_rng(0)
    n = 200_000
    df = pd.DataFrame({"x": rng.lognormal(size=n), "y": rng.lognormal(size=n), "china": rng.random(n) < 0.2,
                       "city": [f"c{i}" for i in range(n)]})
    df["area_sq_mi"], df["in_china"] = df["x"], df["china"]
    fig, (ax, ax2) = new_figure("single", nrows=2)
    plot_scatter(df, "x", "y", ax=ax, xlabel="x", ylabel="y", china_col="china", label_col="city",
                 labels=["c1", "c2"])
    plot_area_strip(df, ax=ax2, factor=3.0)
    # Binned, the points are two raster images of at most the axes' size at 300 dpi (< 1,050 x 1,000 px each, in
    # 80-cell blocks of flat grey that compress to a few kB) plus vector axes, labels and colour bars (< 100 kB as
    # SVG paths): the files do not grow with the points. Drawn as points they would be ~100 bytes per point.
    paths = save_figure(fig, "binned", caption="c", provenance={}, folder=tmp_path)
    plt.close(fig)
    assert paths["svg"].stat().st_size < 300_000
    assert paths["pdf"].stat().st_size < 300_000
    images = [c for c in ax.collections if isinstance(c, matplotlib.collections.QuadMesh)]
    assert len(images) == 1 and images[0].get_rasterized()
    assert binned_note(n) and not binned_note(BIN_POINTS) and BIN_POINTS >= 5000  # the real table: 150 rows


def test_a_table_sized_scatter_is_drawn_as_points():
    import numpy as np
    import pandas as pd

    df = pd.DataFrame({"x": np.arange(1.0, 151.0), "y": np.arange(151.0, 1.0, -1.0), "china": [True, False] * 75})
    fig, ax = new_figure("single")
    plot_scatter(df, "x", "y", ax=ax, xlabel="x", ylabel="y", china_col="china")
    assert sum(len(c.get_offsets()) for c in ax.collections) == 150
    plt.close(fig)


def test_counted_vs_rule_draws_at_most_the_highest_rule_densities():
    import pandas as pd

    from helpers.report.figures import DUMBBELL_ROWS
    from helpers.report.plots_cities import counted_vs_rule_rows

    df = pd.DataFrame({"city": [f"c{i}" for i in range(100)], "counted": 1.0, "rule": [float(i) for i in range(100)]})
    rows = counted_vs_rule_rows(df)
    assert len(rows) == DUMBBELL_ROWS and rows["rule"].min() == 100 - DUMBBELL_ROWS
    assert len(counted_vs_rule_rows(df.head(30))) == 29  # rule 0 is not drawn on a log axis


def test_the_three_formats_share_the_layout_the_png_was_drawn_with(tmp_path, monkeypatch):
    """Constrained layout runs for the PNG only; the SVG and PDF are drawn with the axes where the PNG put them
    (one geometry for all three files), and the figure gets its layout engine back afterwards (outside Jupyter)."""
    import matplotlib.figure
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    fig, ax = new_figure("single")
    ax.set_yticks([0, 1], ["a label far longer than the axes would like to hold", "b"])
    ax.set_xlabel("x")
    positions = {}
    savefig = matplotlib.figure.Figure.savefig

    def recording(self, fname, **kwargs):
        savefig(self, fname, **kwargs)
        positions[kwargs["format"]] = ax.get_position().bounds

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", recording)
    save_figure(fig, "geometry", caption="c", provenance={}, folder=tmp_path)
    assert positions["svg"] == positions["png"] and positions["pdf"] == positions["png"]
    assert isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine)
    assert plt.fignum_exists(fig.number)  # outside Jupyter the figure stays open
    plt.close(fig)


@pytest.mark.slow
def test_in_a_kernel_the_saved_png_is_what_the_notebook_shows(tmp_path):
    """In a Jupyter kernel (inline backend) the cell shows the saved PNG at a readable width, once, with the sidecar's
    caption under it, and the figure is closed, so the inline backend does not draw it a second time."""
    import base64
    import io

    import nbformat
    import numpy as np
    from nbformat.v4 import new_code_cell, new_notebook
    from PIL import Image

    from helpers.pipeline.engines import Execution, KernelEngine

    code = ("import matplotlib.pyplot as plt\nfrom helpers.report.figures import new_figure, save_figure\n"
            "fig, ax = new_figure('single')\nax.plot([1, 2, 3])\n"
            f"save_figure(fig, 'shown', caption='Fewer than 6 & <b>', provenance={{}}, folder={str(tmp_path)!r})\n"
            "print('open figures:', plt.get_fignums())")
    meta = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    nb = tmp_path / "show.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
                                       new_code_cell(code)], metadata=meta), nb)
    engine = KernelEngine(1, warm=False)
    try:
        engine.expect(1, tmp_path, tmp_path / ".pool", ())
        engine(Execution(nb, {}, tmp_path / "out.ipynb", tmp_path, tmp_path / "out.log"))
    finally:
        engine.close()
    outputs = json.loads((tmp_path / "out.ipynb").read_text())["cells"][-1]["outputs"]
    images = [o["data"] for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) == 1
    assert "".join(images[0]["text/plain"]) == "<Figure shown: saved as PNG, SVG and PDF>"
    assert any("open figures: []" in "".join(o.get("text", "")) for o in outputs)
    shown = np.asarray(Image.open(io.BytesIO(base64.b64decode(images[0]["image/png"]))).convert("RGB"))
    saved = Image.open(tmp_path / "shown.png")
    # 3.5 in at 300 dpi is 1050 px wide; shown at SHOWN_DPI = 200 per inch it is 3.5 x 200 = 700 px wide and
    # 2.625 in (the default aspect 0.75) x 300 = 787.5, so 787 or 788 px tall, either x 700 / 1050 rounding to 525,
    # resampled by LANCZOS, then (on white) in 256 colours without dithering
    assert saved.width == 1050 and shown.shape[1] == 700 and shown.shape[0] == 525
    resized = saved.convert("RGBA").resize((700, 525), Image.LANCZOS)
    flat = Image.alpha_composite(Image.new("RGBA", (700, 525), "white"), resized).convert("RGB")
    expected = flat.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).convert("RGB")
    assert (shown == np.asarray(expected)).all()
    assert np.abs(shown.astype(int) - np.asarray(flat).astype(int)).mean() < 2  # the colours kept: a mean error
    # under 2 of 255 per channel (a plot's few colours and their anti-aliased edges fit in 256)
    # the caption under it: the sidecar's text, escaped for HTML, after the image
    sidecar = json.loads((tmp_path / "shown.json").read_text())["caption"]
    captions = [o["data"] for o in outputs if "text/html" in o.get("data", {})]
    assert len(captions) == 1 and sidecar == "Fewer than 6 & <b>"
    assert "<b>Figure shown.</b> Fewer than 6 &amp; &lt;b&gt;</p>" in "".join(captions[0]["text/html"])
    assert "".join(captions[0]["text/plain"]) == "Figure shown. Fewer than 6 & <b>"
    kinds = [next(iter(k for k in o.get("data", {}) if k != "text/plain"), o["output_type"]) for o in outputs]
    assert kinds.index("image/png") < kinds.index("text/html")


def test_the_style_sheet_is_seaborns_paper_ticks_theme():
    """apply_style (the style sheet, then RC) sets every rcParam exactly as seaborn's set_theme(context="paper",
    style="ticks", palette=PALETTE, rc=RC) does, except image.cmap (seaborn's own colour map, see the sheet)."""
    import matplotlib
    import seaborn as sns

    from helpers.report.figures import PALETTE, RC, apply_style

    def after(style) -> dict:
        with matplotlib.rc_context():
            matplotlib.rcdefaults()
            style()
            return {k: v for k, v in matplotlib.rcParams.items() if k != "image.cmap"}

    seaborn_theme = after(lambda: (sns.set_theme(context="paper", style="ticks", palette=PALETTE, rc=RC),
                                   matplotlib.rcParams.update(RC)))
    ours = after(apply_style)
    differing = {k: (ours[k], seaborn_theme[k]) for k in seaborn_theme if ours[k] != seaborn_theme[k]}
    assert not differing, f"helpers/report/seaborn-paper-ticks.mplstyle is out of step with seaborn: {differing}"


def test_a_notebook_kernel_draws_without_importing_seaborn():
    """The style sheet spares every kernel seaborn's import (and SciPy's through it), about 1 s each."""
    code = ("import sys; from helpers.report.figures import new_figure; new_figure('single'); "
            "print(sorted(m for m in ('seaborn', 'scipy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
