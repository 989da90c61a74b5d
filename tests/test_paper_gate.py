"""The typesetting gate of paper/build.py (paper/gate.py) on hand-written logs and aux files: each problem a production
editor would refuse is found and names its figure or table; what is within the limits is not reported."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from helpers.paths import PROJECT_ROOT


@pytest.fixture(scope="module")
def gate():
    spec = importlib.util.spec_from_file_location("paper_gate", PROJECT_ROOT / "paper" / "gate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["paper_gate"] = module
    spec.loader.exec_module(module)
    return module


LOG = r"""This is pdfTeX
Overfull \hbox (0.8pt too wide) in paragraph at lines 3--4
cctv-float-begin: table sensitivity_conservative
(../outputs/tables/sensitivity_conservative.tex
Overfull \hbox (31.04335pt too wide) in paragraph at lines 18--18
[]\T1/lmr/m/n/8 (cam-
)
cctv-float-end: table sensitivity_conservative
Overfull \hbox (2.5pt too wide) in paragraph at lines 40--41
cctv-float-begin: figure claims_audit
LaTeX Warning: Float too large for page by 12.3pt on input line 7.
cctv-float-end: figure claims_audit
LaTeX Warning: Reference `fig:world_map' on page 2 undefined on input line 50.
LaTeX Warning: Citation `ihs2019' on page 1 undefined on input line 20.
Package numbers Warning: unknown number high.rate_un on input line 60.
pdfTeX warning (ext4): destination with the same identifier (name{table.1}) has been already used, duplicate ignored
"""


def test_the_log_problems_name_the_float_and_the_warning(gate):
    problems = gate.log_problems(LOG)
    assert problems == [
        # 0.8 pt is within the 1 pt the gate allows; 31.04 pt inside the table's markers names the table
        r"table sensitivity_conservative: Overfull \hbox (31.04335pt too wide) in paragraph at lines 18--18",
        r"the main text: Overfull \hbox (2.5pt too wide) in paragraph at lines 40--41",
        "figure claims_audit: float too large for the page by 12.3pt",
        "reference fig:world_map undefined (page 2)",
        "citation ihs2019 undefined (page 1)",
        "the main text: unknown number high.rate_un (not in numbers.tex)",
        "duplicate PDF destination table.1 (near the main text)",
    ]


def test_a_clean_log_passes(gate):
    assert gate.log_problems("Overfull \\hbox (1.0pt too wide) in alignment at lines 1--1\nOutput written\n") == []


AUX = r"""\newlabel{fig:per_1000_vs_per_sq_mi}{{1}{2}{caption}{figure.1}{}}
\newlabel{tab:claims_audit}{{1}{3}{caption}{table.1}{}}
\newlabel{fig:claims_audit}{{2}{5}{caption}{figure.2}{}}
\newlabel{tab:implied_china_population}{{2}{5}{caption}{table.2}{}}
\newlabel{fig:tornado_high}{{S1}{20}{caption}{figure.S1}{}}
\newlabel{fig:sensitivity_high}{{S2}{20}{caption}{figure.S2}{}}
"""


def test_floats_numbered_in_the_order_the_text_first_cites_them_pass(gate):
    text = (r"Figure~\ref{fig:per_1000_vs_per_sq_mi}. Table~\ref{tab:claims_audit}, Figure~\ref{fig:claims_audit}"
            r" and again \ref{fig:per_1000_vs_per_sq_mi}; Table~\ref{tab:implied_china_population}."
            r" Figures \ref{fig:tornado_high}, \ref{fig:sensitivity_high}.")
    assert gate.order_problems(text, gate.float_labels(AUX)) == []


def test_floats_out_of_citation_order_or_never_cited_are_named(gate):
    # the text cites Figure 2 before Figure 1, and S2 before S1; Table 2 is never cited
    text = (r"\ref{fig:claims_audit} \ref{fig:per_1000_vs_per_sq_mi} \ref{tab:claims_audit}"
            r" \ref{fig:sensitivity_high} \ref{fig:tornado_high}")
    assert gate.order_problems(text, gate.float_labels(AUX)) == [
        "table implied_china_population (2) is never cited in the text",
        "figure claims_audit is numbered 2 but is the 1st figure the text cites",
        "figure per_1000_vs_per_sq_mi is numbered 1 but is the 2nd figure the text cites",
        "figure sensitivity_high is numbered S2 but is the 1st supplementary figure the text cites",
        "figure tornado_high is numbered S1 but is the 2nd supplementary figure the text cites",
    ]


def test_float_pages_under_half_full_are_refused(gate):
    log = ("cctv-float-page: 7 647.75pt of 719.85pt\n"  # 90% full
           "cctv-float-page: 13 382.83pt of 719.85pt\n"  # 382.83 / 719.85 = 53%: enough
           "cctv-float-page: 28 287.94pt of 719.85pt\n")  # 287.94 / 719.85 = 40%
    assert gate.float_page_problems(log) == ["page 28 holds only floats and is 40% full (at least 50%)"]
