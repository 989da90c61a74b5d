"""Captions live in helpers.report.captions, by figure and table name, and quote what the code computed."""

from __future__ import annotations

import json

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
    assert captions.table("area_definition_flags", factor) == _table_caption("02_density", "area_definition_flags")


@pytest.mark.parametrize(("rates", "span"), [
    ([1.06, 13.35, 432.2], "more than two decades"),  # 432.2 / 1.06 = 407.7: log10 is 2.61
    ([1.0, 50.0], "more than one decade"),  # log10(50) = 1.70
    ([2.0, 3.0], "less than a decade"),  # log10(1.5) = 0.18
])
def test_the_printed_rates_caption_counts_the_decades_the_rates_span(rates, span):
    caption = captions.figure("per_1000_stated", pd.DataFrame({"per_1000": rates}))
    assert f"(log scale: the rates span {span})." in caption

