"""Tables are written as CSV, Markdown and LaTeX with exact, stable bytes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.errors import ParameterError
from helpers.tables import human_number, latex_escape, save_table


def frame() -> pd.DataFrame:
    return pd.DataFrame({"city": ["Shenzhen", "Osaka_Fu"], "per_sq_mi": [6220.0, np.nan],
                         "share": [0.54, 0.0123], "ok": [True, False]})


def test_three_formats_with_hand_checked_bytes(tmp_path):
    paths = save_table(frame(), "demo", caption="Cameras & 50% of things", folder=tmp_path,
                       formats={"share": "{:.1%}"})
    assert paths["csv"].read_text() == "city,per_sq_mi,share,ok\nShenzhen,6220,0.54,true\nOsaka_Fu,,0.0123,false\n"
    assert paths["md"].read_text() == (
        "Table: Cameras & 50% of things\n\n"
        "| city | per_sq_mi | share | ok |\n"
        "| :--- | ---: | ---: | :--- |\n"
        "| Shenzhen | 6,220.0 | 54.0% | true |\n"
        "| Osaka_Fu |  | 1.2% | false |\n")
    assert paths["tex"].read_text() == (
        "\\begin{table}[htbp]\n\\centering\n\\caption{Cameras \\& 50\\% of things}\n\\label{tab:demo}\n"
        "\\begin{tabular}{lrrl}\n\\toprule\ncity & per\\_sq\\_mi & share & ok \\\\\n\\midrule\n"
        "Shenzhen & 6,220.0 & 54.0\\% & true \\\\\nOsaka\\_Fu &  & 1.2\\% & false \\\\\n"
        "\\bottomrule\n\\end{tabular}\n\\end{table}\n")


def test_rewriting_gives_identical_bytes(tmp_path):
    first = {k: p.read_bytes() for k, p in save_table(frame(), "t", caption="c", folder=tmp_path).items()}
    second = {k: p.read_bytes() for k, p in save_table(frame(), "t", caption="c", folder=tmp_path).items()}
    assert first == second


def test_csv_quotes_fields_with_commas(tmp_path):
    df = pd.DataFrame({"unit": ["cameras per 1,000 people"], "n": [1]})
    text = save_table(df, "q", caption="c", folder=tmp_path)["csv"].read_text()
    assert text == 'unit,n\n"cameras per 1,000 people",1\n'


@pytest.mark.parametrize(("x", "text"), [(1_448_497_854.0, "1,448,497,854"), (372.8, "372.8"), (13.35, "13.35"),
                                         (0.00788, "0.00788"), (0.0, "0.00"), (-0.5, "-0.5")])
def test_human_number(x, text):
    assert human_number(x) == text


def test_latex_escape():
    assert latex_escape("a_b & c% #1 {x} ~ ^") == r"a\_b \& c\% \#1 \{x\} \textasciitilde{} \textasciicircum{}"


def test_bad_name_and_unknown_format_column(tmp_path):
    with pytest.raises(ParameterError, match="table name 'a/b' must be"):
        save_table(frame(), "a/b", caption="c", folder=tmp_path)
    with pytest.raises(ParameterError, match=r"formats given for unknown columns \['nope'\]"):
        save_table(frame(), "t", caption="c", folder=tmp_path, formats={"nope": "{:.1f}"})
    assert not list(tmp_path.iterdir())  # nothing half-written
