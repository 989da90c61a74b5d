"""The notebooks' display formatter (helpers/report/display.py): every expected string derived by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers.analysis.scenarios import resolve_scenario
from helpers.data.cleaning import clean_article_figures
from helpers.data.io import load_raw
from helpers.data.scenarios_file import load_spec
from helpers.data.schemas import ARTICLE_FIGURES
from helpers.report import display
from helpers.report.exports import forget, record
from helpers.report.tables import save_table


def cities() -> pd.DataFrame:
    return pd.DataFrame({"city": ["Alpha", "B & <b>"], "city_key": ["alpha", "b"], "cameras": [1234567.0, 89.0],
                         "per_1000": [12.3456, 7.0], "per_sq_mi": [1234.56, 0.4], "upper_bound": [False, False]})


def test_numbers_by_quantity_internal_columns_hidden_human_headers():
    shown = display.show(cities(), title="Two cities")
    # cameras: a count, whole (CAP 0) with separators: 1,234,567 and 89.
    # per 1,000: at most 2 decimals (CAP), the fewest that show every value of the column exactly: 12.3456 needs
    # more than 2, so 2 for the column: 12.35 (12.3456 rounded) and 7.00.
    # per sq mi: whole in a notebook (SHOWN_CAPS): 1,235 (1,234.56 rounded); 0.4 would print as 0, and a nonzero
    # value is never shown as zero: "< 1".
    # city_key and upper_bound are internal (INTERNAL): not shown.
    assert repr(shown) == (
        "Two cities\n"
        "| City | Cameras | Per 1,000 people | Cameras per sq mi |\n"
        "| :--- | ---: | ---: | ---: |\n"
        "| Alpha | 1,234,567 | 12.35 | 1,235 |\n"
        "| B & <b> | 89 | 7.00 | < 1 |")


def test_html_is_styled_escaped_and_the_same_every_time():
    first, second = display.show(cities(), title="Two cities"), display.show(cities(), title="Two cities")
    page = first._repr_html_()
    assert page == second._repr_html_()  # a fixed uuid: the executed notebook's bytes do not move
    assert "0x" not in page and "city_key" not in page and "upper_bound" not in page
    assert "<caption>Two cities</caption>" in page
    assert "B &amp; &lt;b&gt;" in page and "&lt; 1" in page  # cells escaped
    assert "td.col1" in page and "td.col0 " not in page  # numbers (columns 1-3) right-aligned, the city not
    assert page.startswith('<div style="overflow: auto; max-width: 100%;">')  # a wide table scrolls in its output
    assert "max-height" not in page  # 2 rows: no vertical scrolling
    long = display.show(pd.DataFrame({"city": [f"c{i}" for i in range(21)], "cameras": [1.0] * 21}))
    assert "max-height: 32em" in long._repr_html_()  # 21 rows > SCROLL_ROWS = 20


def test_a_saved_tables_view_gives_columns_headers_and_row_decimals():
    # the national table's view: quantities labelled, decimals per row; 540e6 / 1.46e9 x 1,000 = 369.863...
    df = pd.DataFrame({"quantity": ["china_cameras", "china_per_1000", "china_share_of_world"],
                       "unit": ["cameras", "per 1,000", "fraction"],
                       "world_fixed": [540e6, 540e6 / 1.46e9 * 1000, 0.54],
                       "rest_of_world_fixed": [540e6, 540e6 / 1.46e9 * 1000, 540 / 1086]})
    # rows: a count in millions (540e6 -> 540, label and unit say "million"); a rate at most 2 decimals (369.86); the
    # share at most 3 (CAP): 0.54 needs 2, 540 / 1086 = 0.49723... needs more than 3, so the row shows 3: 0.540, 0.497
    assert repr(display.show(df, "national")) == (
        "| Quantity | Unit | World total fixed | Rest of world fixed |\n"
        "| :--- | :--- | ---: | ---: |\n"
        "| China's cameras (million) | million cameras | 540 | 540 |\n"
        "| China per 1,000 people | per 1,000 | 369.86 | 369.86 |\n"
        "| China's share of the world's cameras | fraction | 0.540 | 0.497 |")


def test_columns_in_reading_order():
    assert display.reading_order(["quantity", "max", "min", "p5", "p50", "p25", "p75", "p95"]) == [
        "quantity", "min", "p5", "p25", "p50", "p75", "p95", "max"]
    df = pd.DataFrame({"quantity": ["china_per_1000"], "max": [404.59], "min": [347.29], "p50": [375.44]})
    assert repr(display.show(df, "sensitivity")).splitlines()[0] == "| Quantity | Minimum | Median | Maximum |"


def test_an_empty_table_is_a_sentence():
    empty = display.show(cities().iloc[:0], title="Flagged areas")
    assert repr(empty) == "Flagged areas: none." and empty._repr_html_() == "<p>Flagged areas: none.</p>"
    assert repr(display.show(cities().iloc[:0], title="Disagreeing rates", none="none (all agree)")) == \
        "Disagreeing rates: none (all agree)."


def test_a_scenario_is_a_labelled_table_not_a_repr():
    figures = clean_article_figures(load_raw("article_figures.csv", ARTICLE_FIGURES))[0]
    values = dict(zip(figures["figure_id"], figures["value"], strict=True))
    s = resolve_scenario("conservative", values, spec=load_spec())
    text = repr(display.settings(s, words={"world_rule": {"rest_of_world_fixed": "rest of world fixed"}}))
    assert "Scenario(" not in text and text.startswith("| Setting | Value |")
    assert "| Scenario | conservative |" in text
    assert "| China's cameras | 540,000,000 |" in text  # 540 million, whole: no decimals
    assert "| China's population | 1,460,000,000 |" in text
    assert "| China per 1,000, as printed | 372.8 |" in text  # the article's printed rate, as printed
    assert "| World total | rest of world fixed |" in text  # the file's rule for it, in words


@pytest.fixture
def fresh():
    forget()
    yield
    forget()


def test_exported_files_are_links_relative_to_the_notebook(tmp_path, monkeypatch, fresh):
    out, notebooks = tmp_path / "outputs" / "02_density", tmp_path / "notebooks"
    notebooks.mkdir(parents=True)
    save_table(cities(), "two_cities", caption="Two cities.", folder=out)
    (out / "stale.csv").write_text("a\n")  # in the folder, but not written by this run: not listed
    beside = display.exported(out, beside=True)  # the executed copy sits in the folder: bare names
    assert repr(beside) == ("Files this run exported, 3 in all:\n"
                            "two_cities: two_cities.csv, two_cities.md, two_cities.tex")
    assert '<a href="two_cities.csv">CSV</a> · <a href="two_cities.md">Markdown</a> · ' \
           '<a href="two_cities.tex">LaTeX</a>' in beside._repr_html_()
    monkeypatch.chdir(notebooks)  # a notebook open in Lab runs in its own folder, notebooks/
    in_lab = display.exported(out, beside=False)
    assert '<a href="../outputs/02_density/two_cities.csv">CSV</a>' in in_lab._repr_html_()
    assert display.exported(tmp_path, beside=True)._repr_html_() == "<p>Files this run exported: none.</p>"


def test_a_figures_sidecar_is_its_caption_other_json_is_json(tmp_path, fresh):
    (tmp_path / "results.json").write_text("{}")
    for name in ("dots.png", "dots.json"):
        (tmp_path / name).write_bytes(b"x")
    record([tmp_path / "dots.png", tmp_path / "dots.json"])
    page = display.exported(tmp_path, also=[tmp_path / "results.json"], beside=True)._repr_html_()
    assert '<a href="dots.png">PNG</a> · <a href="dots.json">caption</a>' in page
    assert '<code>results</code>: <a href="results.json">JSON</a>' in page


def test_a_column_without_a_header_of_its_own_starts_with_a_capital():
    # "rule_per_sq_mi" has no entry in HEADERS: underscores as spaces, first letter capital; verbatim views keep names
    assert repr(display.show(pd.DataFrame({"rule_per_sq_mi": [1.0]}))).splitlines()[0] == "| Rule per sq mi |"
    shown = display.show(pd.DataFrame({"city": ["A"], "conservative": [1.0]}), view=display.View(verbatim=True))
    assert repr(shown).splitlines()[0] == "| City | conservative |"
