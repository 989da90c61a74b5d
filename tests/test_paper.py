"""`make paper` compiles the manuscript from the committed outputs: every table and figure, the numbers' macros."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from helpers.paths import OUTPUTS, PROJECT_ROOT

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    shutil.which("pdflatex") is None,
    reason="no pdflatex: install texlive-latex-base/-recommended/-extra/-science (.ci/run does with apt-get)")]


def test_the_paper_compiles_with_every_figure_and_table():
    proc = subprocess.run([sys.executable, str(PROJECT_ROOT / "paper" / "build.py")], capture_output=True, text=True,
                          timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    pdf = PROJECT_ROOT / "paper" / "main.pdf"
    assert pdf.is_file() and pdf.read_bytes().startswith(b"%PDF")
    log = next((PROJECT_ROOT / "paper" / "build").rglob("main.log")).read_text(errors="replace")
    assert "undefined" not in " ".join(re.findall(r"LaTeX Warning: .*", log)).lower()  # no undefined macro or ref
    figures = {p.stem for p in (OUTPUTS / "figures").glob("*.pdf")}
    tables = {p.stem for p in (OUTPUTS / "tables").glob("*.tex") if p.stem != "index"}
    joined = log.replace("\n", "")  # TeX wraps its log at 79 characters
    included = set(re.findall(r"outputs/figures/([\w-]+)\.pdf", joined))
    assert figures <= included, sorted(figures - included)
    read = set(re.findall(r"outputs/tables/([\w-]+)\.tex", joined))
    assert tables <= read, sorted(tables - read)
    # a research note: at most 5 figures and 3 tables in the main text, the rest numbered S1, S2... in the supplement
    aux = (PROJECT_ROOT / "paper" / "build" / "main.aux").read_text(errors="replace")
    numbered = re.findall(r"\\newlabel\{(fig|tab):[^}]+\}\{\{(S?)\d+\}", aux)
    main = [kind for kind, supplement in numbered if not supplement]
    assert 1 <= main.count("fig") <= 5 and 1 <= main.count("tab") <= 3, main
    assert len(numbered) == len(figures) + len(tables)  # every figure and table numbered once
    assert "passes the typesetting gate" in proc.stdout
