"""Tables: the data table (CSV, every column) and the presentation table (Markdown, LaTeX), with stable bytes."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from helpers.data.csv_files import to_csv
from helpers.errors import ParameterError
from helpers.paths import OUTPUTS, PROJECT_ROOT
from helpers.report.display import show
from helpers.report.table_views import VIEWS, View
from helpers.report.tables import latex_escape, save_table


def frame() -> pd.DataFrame:
    return pd.DataFrame({"city": ["Shenzhen", "Osaka_Fu"], "per_sq_mi": [6220.0, np.nan],
                         "share": [0.54, 0.0123], "ok": [True, False]})


def test_csv_keeps_every_column_at_full_precision(tmp_path):
    paths = save_table(frame(), "demo", caption="Cameras & 50% of things", folder=tmp_path)
    assert paths["csv"].read_text() == "city,per_sq_mi,share,ok\nShenzhen,6220,0.54,true\nOsaka_Fu,,0.0123,false\n"


def test_presentation_has_human_headers_one_format_per_column_and_no_internal_columns(tmp_path):
    df = pd.DataFrame({"city": ["Shenzhen", "Osaka"], "city_key": ["shenzhen", "osaka"],
                       "per_sq_mi": [6220.0, 84.94], "per_km2": [2401.56, 1.2], "in_china": [True, False]})
    md = save_table(df, "demo", caption="c", folder=tmp_path)["md"].read_text()
    # densities per area are whole numbers (table_views.WHOLE): 84.94 -> 85, 2401.56 -> 2,402, 1.2 -> 1
    assert md == ("Table: c\n\n| City | Cameras per sq mi | Cameras per km² |\n| :--- | ---: | ---: |\n"
                  "| Shenzhen | 6,220 | 2,402 |\n| Osaka | 85 | 1 |\n")


def test_the_sources_precision_is_kept_and_bounds_are_bounds(tmp_path):
    df = pd.DataFrame({"city": ["Shenzhen", "Osaka"], "country": ["China", "Japan"], "in_china": [True, False],
                       "qualifier": ["exact", "upper_bound"], "per_sq_mi": [6220.0, 6.0],
                       "per_km2": [2401.56, 2.32], "vs_densest_outside_china": [4.3015, 0.0041]})
    md = save_table(df, "named_city_densities", caption="c", folder=tmp_path)["md"].read_text()
    assert "| Shenzhen | China | 6,220 | 2,402 | 4.30 |" in md  # printed 6,220 stays whole, not 6,220.0
    assert "| Osaka | Japan | < 6 | < 2 | < 0.01 |" in md  # the bound as printed ("< 6", never "< 6.00")
    tex = (tmp_path / "named_city_densities.tex").read_text()
    assert "S[table-format=<4.0]" in tex and "& <6 &" in tex and r"km$^{2}$" in tex


def test_rows_of_different_quantities_are_formatted_by_row(tmp_path):
    df = pd.DataFrame({"quantity": ["china_cameras", "china_per_1000", "china_share_of_world (world total fixed)"],
                       "conservative": [540e6, 369.863, 0.54], "high": [626e6, 428.7671, 0.626]})
    md = save_table(df, "scenario_comparison", caption="c", folder=tmp_path)["md"].read_text()
    assert "| China's cameras (million) | 540 | 626 |" in md  # 540e6 / 1e6 = 540 exactly: no decimals needed
    assert "| China per 1,000 people | 369.86 | 428.77 |" in md
    assert "| China's share of the world's cameras (world total fixed) | 0.540 | 0.626 |" in md
    assert "| Quantity | conservative | high |" in md  # scenario columns keep their names


def test_long_tables_break_across_pages_and_labels_are_the_tables(tmp_path):
    df = pd.DataFrame({"city": [f"c{i}" for i in range(40)], "per_sq_mi": np.arange(40, dtype=float)})
    tex = save_table(df, "many", caption="Many rows. More.", folder=tmp_path)["tex"].read_text()
    assert r"\begin{longtable}" in tex and r"\label{tab:many}" in tex and r"\endhead" in tex
    # later pages repeat the header under "Table N (continued)", a row: one caption, so one PDF anchor per table
    assert r"\multicolumn{2}{@{}l}{\tablename~\thetable{} (continued)}" in tex and tex.count(r"\caption") == 1


def test_counts_in_millions_and_a_column_constant_over_all_rows_goes_to_the_caption(tmp_path):
    df = pd.DataFrame({"city": ["Taiyuan", "Wuxi"], "country": ["China", "China"], "cameras": [465255, 300000],
                       "population": [3975985, 3315113], "stated_per_1000": [117.02, 90.49],
                       "per_sq_mi": [174.39, 472.66], "basis": ["counted", "counted"]})
    md = save_table(df, "city_densities", caption="Cities.", folder=tmp_path)["md"].read_text()
    # population / 1e6 to 2 decimals: 3.975985 -> 3.98, 3.315113 -> 3.32; per sq mi whole: 174.39 -> 174
    assert "| Taiyuan | 465,255 | 3.98 | 117.02 | 174 |" in md
    # Country ("China") and Basis ("counted") hold one value in every row: named once, in the caption
    assert md.startswith("Table: Cities. Country is China in every row. Basis is counted in every row.")
    assert "| Basis" not in md and "| Country" not in md


def test_sensitivity_counts_in_millions_fit_the_line_without_wrapping(tmp_path):
    df = pd.DataFrame({"quantity": ["china_cameras", "china_population", "china_per_1000"],
                       "min": [508252902.483, 1412609771.24, 347.287743424],
                       "p50": [540014642.426, 1438161778.5, 375.436993479]})
    paths = save_table(df, "sensitivity", caption="c", folder=tmp_path)
    md, tex = paths["md"].read_text(), paths["tex"].read_text()
    # 508252902.483 / 1e6 = 508.25 (2 decimals), 1438161778.5 / 1e6 = 1,438.16; the rate keeps 2 decimals
    assert "| China's cameras (million) | 508.25 | 540.01 |" in md
    assert "| China's population (million) | 1,412.61 | 1,438.16 |" in md
    assert "| China per 1,000 people | 347.29 | 375.44 |" in md
    # in millions the numbers are short: the table fits at natural width, the label column never squeezed into an X
    assert re.search(r"\\begin\{(tabular\w*)\}", tex).group(1) == "tabular"


def test_the_audit_shows_editions_and_causes_in_words_and_rank_places_in_one_cell(tmp_path):
    df = pd.DataFrame({"figure_id": ["world", "shenzhen_rank", "tokyo"], "entity": ["World", "Shenzhen", "Tokyo"],
                       "metric": ["cameras", "rank_per_sq_mi", "cameras_per_1000"],
                       "value_text": ["approximately 1 billion", "first", "1.06"],
                       "edition": ["ihs_markit:2019", "comparitech:later", "comparitech:later"],
                       "compared_with": ["ihs_markit:2019", "comparitech:2021", "comparitech:2021"],
                       "recomputed": [1e9, 4.0, 1.058], "relative_difference": [0.0, np.nan, -0.0019],
                       "rank_as_published": ["", "4 of 131", ""], "rank_under_rule": ["", "1 of 131", ""],
                       "verdict": ["arithmetic identity", "holds only under the national-rate rule",
                                   "consistent within rounding"],
                       "cause": ["one forecast", "derived from the national rate", ""]})
    md = save_table(df, "claims_audit", caption="c", folder=tmp_path)["md"].read_text()
    # 1e9 cameras in millions: 1,000; a zero difference is "0.00", never "+0.00"
    # editions in the captions' words (captions.edition_words)
    assert "| one forecast | World, cameras (million) | approximately 1 billion | IHS Markit's 2019 forecast vs IHS " \
           "Markit's 2019 forecast | 1,000 | 0.00 |  | arithmetic identity |" in md
    # a rank: no recomputed number or difference; the places as published / under the rule
    assert "| first | Comparitech's later edition vs Comparitech's 2021 table |  |  | 4 / 1 of 131 |" in md
    assert "| none (agrees) | Tokyo, per 1,000 people |" in md  # -0.0019 -> "-0.19" with its sign
    assert "-0.19" in md and "no cause" not in md and "comparitech:" not in md and "ihs_markit" not in md


def test_a_grouped_table_names_each_group_on_a_row_of_its_own_in_latex(tmp_path):
    df = pd.DataFrame({"output": ["China: per 1,000", "China: per 1,000", "Shenzhen: per sq mi"],
                       "input": ["China's camera count", "China's population", "China's camera count"],
                       "input_low": [508.25e6, 1412.6e6, 508.25e6], "input_high": [572.25e6, 1465e6, 572.25e6],
                       "central": [369.863, 369.863, 6170.998], "output_low": [348.1164, 382.2738, 5808.166],
                       "output_high": [391.9521, 368.6007, 6539.543], "swing": [43.84, 13.67, 731.4]})
    paths = save_table(df, "tornado", caption="c", folder=tmp_path)
    tex, md = paths["tex"].read_text(), paths["md"].read_text()
    # 7 columns left after the group column (Output): its value on a row across all 7, kept with the row under it
    assert r"\multicolumn{7}{@{}l}{\textit{China: per 1,000}} \\* China's camera count (million) & 508.25" in tex
    assert r"\addlinespace \multicolumn{7}{@{}l}{\textit{Shenzhen: per sq mi}} \\*" in tex
    # a per-sq-mi output is whole (6170.998 -> 6,171), a rate keeps 2 decimals; Markdown keeps the column
    assert ("| Shenzhen: per sq mi | China's camera count (million) | 508.25 | 572.25 | 6,171 | 5,808 | 6,540 | 731 |"
            in md)


def test_country_codes_are_shown_as_country_names(tmp_path):
    df = pd.DataFrame({"source": ["t", "t"], "city": ["Chongqing", "Ankara"], "country_code": ["CHN", "TUR"],
                       "population": [16382376, 5215747], "area_sq_mi": [16949.153, 9333.333]})
    md = save_table(df, "area_definition_flags", caption="c", folder=tmp_path)["md"].read_text()
    assert "| Chongqing | China | 16.38 | 16,949 |" in md and "| Ankara | Turkey | 5.22 | 9,333 |" in md
    assert "CHN" not in md


def test_presentation_shows_at_most_max_rows_and_says_so(tmp_path, monkeypatch):
    import helpers.report.tables as tables

    monkeypatch.setattr(tables, "MAX_ROWS", 3)
    df = pd.DataFrame({"city": list("abcde"), "cameras": [1, 2, 3, 4, 5]})
    paths = save_table(df, "t", caption="c.", folder=tmp_path)
    assert paths["md"].read_text().startswith("Table: c. (The first 3 of 5 rows; every row is in the CSV.)")
    assert paths["csv"].read_text().count("\n") == 6


def test_rewriting_gives_identical_bytes(tmp_path):
    first = {k: p.read_bytes() for k, p in save_table(frame(), "t", caption="c", folder=tmp_path).items()}
    second = {k: p.read_bytes() for k, p in save_table(frame(), "t", caption="c", folder=tmp_path).items()}
    assert first == second


def test_csv_quotes_fields_with_commas_and_quotes(tmp_path):
    df = pd.DataFrame({"unit": ["cameras per 1,000 people", 'a "b"'], "n": [1, 2]})
    text = save_table(df, "q", caption="c", folder=tmp_path)["csv"].read_text()
    assert text == 'unit,n\n"cameras per 1,000 people",1\n"a ""b""",2\n'


def test_to_csv_cells_by_type():
    # text quoted where it holds a comma or a quote (its quotes doubled); floats as %.10g (2.0 -> "2"); booleans
    # true/false; an object column of several types: each cell as its type is written; missing cells empty
    df = pd.DataFrame({"text": ["x", "y,z", None], "float": [1.5, np.nan, 2.0], "int": [1, 2, 3],
                       "flag": pd.array([True, None, False], dtype="boolean"), "mixed": [1, 'q"', np.nan],
                       "nullable": pd.array([1, None, 3], dtype="Int64")})
    assert to_csv(df) == ('text,float,int,flag,mixed,nullable\n'
                          'x,1.5,1,true,1,1\n'
                          '"y,z",,2,,"q""",\n'
                          ',2,3,false,,3\n')
    assert to_csv(df.iloc[:0]) == "text,float,int,flag,mixed,nullable\n"


def test_to_csv_floats_at_ten_significant_digits():
    # %.10g: 0.1 + 0.2 = 0.30000000000000004 keeps 10 digits (0.3); -0.0 is "-0"; 1e20 switches to an exponent;
    # an infinity is written as a missing cell; floats and booleans in an object column as in a typed one
    df = pd.DataFrame({"v": [0.1 + 0.2, -0.0, 1e20, np.inf, 123456789012.0],
                       "o": pd.Series([0.1 + 0.2, True, "t", None, 5.0], dtype=object)})
    assert to_csv(df) == "v,o\n0.3,0.3\n-0,true\n1e+20,t\n,\n1.23456789e+11,5\n"


def test_to_csv_of_one_column_writes_a_missing_cell_as_an_empty_line():
    # a row of one missing cell is an empty line (not '""', as Python's csv writer would write it)
    assert to_csv(pd.DataFrame({"c": ["a", None, "b"]})) == "c\na\n\nb\n"
    assert to_csv(pd.DataFrame({"c": [1.5, np.nan]})) == "c\n1.5\n\n"


def test_inline_display_is_readable():
    # a count whole with separators; a rate at most 2 decimals (117.0163 -> 117.02), float noise (-1.2e-16) a zero
    df = pd.DataFrame({"cameras": [465255.0, 150.0], "per_1000": [117.0163, -1.192093e-16]})
    assert repr(show(df)).splitlines()[2:] == ["| 465,255 | 117.02 |", "| 150 | 0.00 |"]


def test_latex_escape():
    assert latex_escape("a_b & c% #1 {x} ~ ^ km²") == \
        r"a\_b \& c\% \#1 \{x\} \textasciitilde{} \textasciicircum{} km$^{2}$"


def test_every_view_names_human_headers():
    from helpers.report.table_views import HEADERS

    for name, view in VIEWS.items():
        for col in view.columns or ():
            header = view.headers.get(col) or HEADERS.get(col, "")
            assert header and "_" not in header, (name, col)


def test_bad_name_is_refused(tmp_path):
    with pytest.raises(ParameterError, match="table name 'a/b' must be"):
        save_table(frame(), "a/b", caption="c", folder=tmp_path)
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_a_view_may_name_columns_the_table_lacks(tmp_path):
    md = save_table(pd.DataFrame({"city": ["x"]}), "t", caption="c", folder=tmp_path,
                    view=View(columns=("city", "absent")))["md"].read_text()
    assert "| City |" in md


needs_tex = pytest.mark.skipif(shutil.which("pdflatex") is None,
                               reason="no pdflatex: install texlive-latex-base/-recommended/-extra/-science "
                                      "(.ci/install_tex.sh) to compile the tables")


def paper_build():
    """paper/build.py as a module (it is a script beside paper/gate.py, not part of the helpers package)."""
    sys.path.insert(0, str(PROJECT_ROOT / "paper"))
    try:
        import build
    finally:
        sys.path.pop(0)
    return build


@needs_tex
@pytest.mark.slow
def test_every_table_compiles(tmp_path):
    """Each presentation table compiles alone with the paper's preamble (paper/build.py names a failing one)."""
    outputs = tmp_path / "outputs"
    (outputs / "tables").mkdir(parents=True)
    save_table(frame(), "demo", caption="Cameras & 50% of things", folder=outputs / "tables")
    df = pd.DataFrame({"city": [f"City {i}" for i in range(30)], "basis": ["a long basis that must wrap " * 2] * 30,
                       "per_sq_mi": np.linspace(-5, 6220.5, 30), "cameras": np.arange(30) * 1000})
    save_table(df, "long", caption="Long: wraps and breaks.", folder=outputs / "tables")
    for published in sorted((OUTPUTS / "tables").glob("*.tex")):
        if published.name != "index.tex":
            shutil.copy(published, outputs / "tables" / published.name)
    assert paper_build().check_tables(outputs, folder=tmp_path / "build") == []


@needs_tex
def test_only_the_tables_at_fault_are_named(tmp_path):
    """One document of every table fails, so each is compiled alone: the broken one and the one too wide are named,
    the good one is not."""
    tables = tmp_path / "outputs" / "tables"
    tables.mkdir(parents=True)
    save_table(frame(), "good", caption="c", folder=tables)
    (tables / "broken.tex").write_text("\\begin{tabular}{l}\n\\undefinedmacro\n\\end{tabular}\n")
    (tables / "wide.tex").write_text("\\begin{tabular}{l}\n" + "x" * 300 + "\n\\end{tabular}\n")  # one unbreakable row
    problems = paper_build().check_tables(tmp_path / "outputs", folder=tmp_path / "build")
    assert [p.split(":")[0] for p in problems] == ["table broken does not compile", "table wide"], problems
    assert "Undefined control sequence" in problems[0]
    assert "Overfull" in problems[1]


@needs_tex
def test_a_table_that_does_not_compile_fails_the_build_and_is_named(tmp_path):
    for need in ("tables/index.tex", "figures/index.tex", "numbers/numbers.tex"):  # an outputs folder, else exit 2
        (tmp_path / need).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / need).write_text("")
    (tmp_path / "tables" / "broken.tex").write_text("\\begin{tabular}{l}\n\\undefinedmacro\n\\end{tabular}\n")
    proc = subprocess.run([sys.executable, str(PROJECT_ROOT / "paper" / "build.py"), "--tables-only",
                           "--outputs", str(tmp_path)], capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr
    assert "table broken does not compile: broken.tex:2: Undefined control sequence. l.2 \\undefinedmacro" in \
        proc.stderr


def test_a_nullable_boolean_column_keeps_its_missing_cells_empty(tmp_path):
    # per_1000_agrees is NA where a row cannot be checked (a table of printed rates only)
    df = pd.DataFrame({"city": ["a", "b", "c"], "ok": pd.array([True, None, False], dtype="boolean")})
    paths = save_table(df, "nullable", caption="c", folder=tmp_path)
    assert paths["csv"].read_text().splitlines()[1:] == ["a,true", "b,", "c,false"]
