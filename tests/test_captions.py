"""Captions live in helpers.report.captions, by figure and table name, and quote what the code computed."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from helpers.data.city_tables import read_sources
from helpers.paths import PROJECT_ROOT
from helpers.report import captions

OUTPUTS = PROJECT_ROOT / "outputs"
NOTEBOOK_FOLDERS = ("02_density", "03_scenarios/conservative", "03_scenarios/high", "04_compare")


def _sidecar(folder: str, name: str) -> dict:
    return json.loads((OUTPUTS / folder / f"{name}.json").read_text(encoding="utf-8"))


def _table_caption(folder: str, name: str) -> str:
    first = (OUTPUTS / folder / f"{name}.md").read_text(encoding="utf-8").splitlines()[0]
    return first.removeprefix("Table: ")


def test_every_figure_and_table_the_notebooks_publish_has_its_caption_by_name():
    figures = {p.stem for f in NOTEBOOK_FOLDERS for p in (OUTPUTS / f).glob("*.json")
               if "caption" in json.loads(p.read_text(encoding="utf-8"))}
    tables = {p.stem for f in NOTEBOOK_FOLDERS for p in (OUTPUTS / f).glob("*.md")}
    assert figures and tables
    assert figures <= set(captions.FIGURES), figures - set(captions.FIGURES)
    assert tables <= set(captions.TABLES), tables - set(captions.TABLES)


def test_captions_rebuilt_from_the_saved_tables_match_the_published_ones():
    """The published captions quote counts the code computed: rebuilt from the committed CSVs and parameters
    they are the same text (the audit's verdict counts, the cities with an implied area, those flagged)."""
    density = OUTPUTS / "02_density"
    parameters = _sidecar("02_density", "claims_audit")["provenance"]["parameters"]
    claims = pd.read_csv(density / "claims_audit.csv")
    assert (captions.figure("claims_audit", claims, parameters["approx_tolerance"])
            == _sidecar("02_density", "claims_audit")["caption"])
    cities = pd.read_csv(density / "city_densities.csv")
    flags = pd.read_csv(density / "area_definition_flags.csv")
    sources = read_sources(OUTPUTS / "01_data_cleaning")
    factor = parameters["area_outlier_factor"]
    assert (captions.figure("implied_areas", cities.dropna(subset=["area_sq_mi"]), flags, factor, sources)
            == _sidecar("02_density", "implied_areas")["caption"])
    # the saved caption adds a sentence for each column constant over every row (left out of the shown table)
    published = _table_caption("02_density", "area_definition_flags")
    rebuilt = captions.table("area_definition_flags", factor, sources)
    assert published.startswith(rebuilt)
    assert re.fullmatch(r"( [^.]+ in every row\.)*", published.removeprefix(rebuilt))


@pytest.mark.parametrize(("rates", "span"), [
    ([1.06, 13.35, 432.2], "more than two decades"),  # 432.2 / 1.06 = 407.7: log10 is 2.61
    ([1.0, 50.0], "more than one decade"),  # log10(50) = 1.70
    ([2.0, 3.0], "less than a decade"),  # log10(1.5) = 0.18
])
def test_the_printed_rates_caption_counts_the_decades_the_rates_span(rates, span):
    caption = captions.figure("per_1000_stated", pd.DataFrame({"per_1000": rates}))
    assert f"(log scale: the rates span {span})." in caption



@pytest.mark.parametrize(("edition", "words"), [
    ("comparitech:2021", "Comparitech's 2021 table"),
    ("comparitech:later", "Comparitech's later edition"),
    ("ihs_markit:2019", "IHS Markit's 2019 forecast"),
    ("article", "the article's own arithmetic"),
    ("unknown", "an edition not given"),
    ("", "an edition not given"),
    ("acme:2030", "acme's 2030 edition"),  # a series the project does not know: its code, as given
])
def test_an_edition_in_words(edition, words):
    assert captions.edition_words(edition) == words


def test_the_known_2021_table_is_named_by_its_edition_never_by_its_digest():
    """city_sources.csv leaves the known table's edition empty (it is not declared in city_tables); the words come
    from the edition the project knows for it, the same words the figures' legends use."""
    sources = pd.DataFrame({"name": ["comparitech_2021", "later", "mine"], "edition": ["", "2023", ""],
                            "file": ["comparitech_2021", "l.csv", "m.csv"], "sha256": ["3398434e5c76" + "0" * 52] * 3,
                            "rows": [134, 5, 3]})
    assert captions.source_words(sources.head(1)) == "Comparitech's 2021 table"
    assert captions.source_words(sources) == ("Comparitech's 2021 table and Comparitech's 2023 table (later) and "
                                              "the table mine (an edition not given)")
    assert captions.source_words(sources.iloc[:0]) == "no city table"
    caption = captions.figure("city_ranking_per_1000", pd.DataFrame({"per_1000_basis": ["cameras / population"]}),
                              sources.head(1))
    assert "Comparitech's 2021 table" in caption and "sha256" not in caption and "3398434e5c76" not in caption
    assert "edition not given" not in caption


def test_every_table_caption_names_its_source():
    """Each table caption built from a small fixture names where its numbers come from, in words."""
    from helpers.analysis.scenarios import Scenario

    figures = pd.DataFrame({"edition": ["comparitech:later", "ihs_markit:2019", "article"]})
    sources = pd.DataFrame({"name": ["comparitech_2021"], "file": ["comparitech_2021"], "sha256": ["0" * 64],
                            "edition": [""], "rows": [134]})
    s = Scenario(name="high", description="IHS Markit's higher estimate of cameras in China (626 million)",
                 year=2021, china_cameras=626e6, china_population=1.46e9, population_assumption="un_wpp_2022",
                 world_cameras=1e9, world_population=7.9e9, stated_rate=439.07, world_rule="rest_of_world_fixed",
                 reference_cameras=540e6, un_china_population=1.43e9)
    article = "the article's printed figures, citing Comparitech's later edition and IHS Markit's 2019 forecast"
    built = {
        "audit_causes": captions.table("audit_causes", figures, sources),
        "implied_china_population": captions.table("implied_china_population", figures),
        "chinese_city_method": captions.table("chinese_city_method", figures, sources),
        "named_city_densities": captions.table("named_city_densities", figures),
        "national_vs_city_rates": captions.table("national_vs_city_rates", figures),
        "area_definition_flags": captions.table("area_definition_flags", 3.0, sources),
        "claims_by_table": captions.table("claims_by_table", sources),
        "national": captions.table("national", s),
        "rates_by_population": captions.table("rates_by_population", ["stated", "un_wpp_2022", "nbs_2021"]),
        "city_estimates": captions.table("city_estimates", s, 439.1, figures=figures, sources=sources),
        "sensitivity": captions.table("sensitivity", s, 10_000),
        "city_intervals": captions.table("city_intervals", s, 40, 36, sources),
        "tornado": captions.table("tornado", s),
        "scenario_comparison": captions.table("scenario_comparison"),
        "city_estimates_by_scenario": captions.table("city_estimates_by_scenario"),
    }
    for name, caption in built.items():
        assert any(words in caption for words in (article, "Comparitech's 2021 table", "IHS Markit's")), name
        assert "sha256" not in caption and "edition not given" not in caption, name
    assert "the UN's World Population Prospects 2022" in built["national"]
    assert "China's National Bureau of Statistics" in built["rates_by_population"]


def test_captions_are_typeset():
    """' x ' becomes the multiplication sign and '5th-95th' takes an en dash, in every caption."""
    from helpers.report.figures import typography_problems

    sources = pd.DataFrame({"name": ["comparitech_2021"], "file": ["c"], "sha256": ["0" * 64], "edition": [""],
                            "rows": [1]})
    pairs = pd.DataFrame({"city": ["a", "b"], "counted": [1.0, 2.0], "rule": [10.0, 40.0]})
    caption = captions.figure("counted_vs_rule", pairs, 372.8, sources)
    assert "372.8 per 1,000 \u00d7 the city's" in caption and typography_problems(caption) == []
    estimates = captions.table("city_estimates", type("S", (), {"name": "high"})(), 439.1)
    assert "5th\u201395th percentiles" in estimates and "\u00d7 their people" in estimates


def test_the_audit_tables_name_editions_in_the_captions_words(tmp_path):
    """The claims audit's Edition and Compared-with cells say "Comparitech's 2021 table", as captions and legends do,
    never the code "comparitech:2021"."""
    from helpers.report.tables import save_table

    claims = pd.read_csv(PROJECT_ROOT / "outputs" / "02_density" / "claims_audit.csv")
    paths = save_table(claims, "claims_audit", caption="c", folder=tmp_path)
    text = paths["md"].read_text(encoding="utf-8")
    assert "Comparitech's 2021 table" in text and "Comparitech's later edition" in text
    assert "IHS Markit's 2019 forecast and the article's own arithmetic" in text  # "ihs_markit:2019 + article"
    assert "comparitech:" not in text and "ihs_markit:" not in text


def test_published_captions_name_the_known_table_in_words():
    # the known 2021 table is "Comparitech's 2021 table" in every caption, never its file name, a digest or
    # "edition not given" (the captions of outputs/figures/*.json and the first line of outputs/tables/*.md)
    from helpers.report.table_views import in_words

    assert in_words("comparitech_2021 population / area x national rate") == \
        "Comparitech's 2021 table population / area x national rate"
    texts = {p.name: json.loads(p.read_text(encoding="utf-8"))["caption"]
             for p in (OUTPUTS / "figures").glob("*.json")}
    texts |= {p.name: p.read_text(encoding="utf-8").splitlines()[0] for p in (OUTPUTS / "tables").glob("*.md")}
    assert len(texts) > 30
    for name, text in texts.items():
        assert "comparitech_2021" not in text and "sha256" not in text and "edition not given" not in text, name
