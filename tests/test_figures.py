"""Figures are byte-identical across processes, embed TrueType fonts and carry caption and provenance."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import pytest

from helpers.errors import ParameterError
from helpers.figures import new_figure, save_figure

SCRIPT = """
import sys
import pandas as pd
from helpers.figures import new_figure, plot_density_bars, save_figure
df = pd.DataFrame({"city": ["Shenzhen", "Delhi", "Osaka"], "v": [6220.0, 1446.0, 6.0],
                   "china": [True, False, False], "hi": [7211.0, None, None], "bound": [False, False, True]})
fig, ax = new_figure("single")
plot_density_bars(df, "v", "city", ax=ax, china_col="china", high_col="hi", bound_col="bound",
                  xlabel="Cameras per square mile")
save_figure(fig, "bars", caption="Bars.", provenance={"notebook": "test", "parameters": {"a": 1}},
            folder=sys.argv[1])
"""


def _digests(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_same_figure_same_bytes_in_two_processes(tmp_path):
    runs = []
    for name in ("a", "b"):
        subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / name)], check=True)
        runs.append(_digests(tmp_path / name))
    assert runs[0] == runs[1]
    assert set(runs[0]) == {"bars.png", "bars.svg", "bars.pdf", "bars.json"}


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
    with pytest.raises(ParameterError, match="figure width must be 'single' or 'double'"):
        new_figure("triple")
