"""What each table shows: its columns, their human headers and units, the decimals a quantity may show, and a
`View` per table name (`VIEWS`), so a notebook passes only a caption and `helpers.report.tables` does the rest."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from helpers.analysis.editions import KNOWN_TABLE_EDITIONS, UNKNOWN_EDITION
from helpers.data.countries import display_name
from helpers.data.units import DECIMALS

# Columns a reader does not need: keys, row numbers, flags shown another way. They stay in the CSV.
INTERNAL = frozenset({"quantity_key", "city_key", "source_row", "per_1000_agrees", "in_china", "upper_bound",
                      "qualifier", "country_code", "rate_figure", "figure_id", "paragraph", "reason", "source",
                      "table"})

# Human header (with its unit) of every column the project writes. A column not listed gets its name with
# underscores as spaces. Units in Unicode here; LaTeX gets them in math mode (`helpers.report.tables.latex_escape`).
HEADERS: dict[str, str] = {
    "city": "City", "country": "Country", "country_code": "Country", "entity": "Entity", "basis": "Basis",
    "cameras": "Cameras", "population": "Population", "crime_index": "Crime index",
    "stated_per_1000": "Stated per 1,000", "stated_per_sq_mi": "Stated per sq mi",
    "per_1000": "Per 1,000 people", "per_1000_low": "Per 1,000, low", "per_1000_high": "Per 1,000, high",
    "per_1000_check": "Stated per 1,000 vs cameras / population", "per_1000_basis": "Per 1,000 basis",
    "per_sq_mi": "Cameras per sq mi", "per_sq_mi_low": "Per sq mi, low", "per_sq_mi_high": "Per sq mi, high",
    "per_km2": "Cameras per km²", "area_sq_mi": "Area (sq mi)", "area_km2": "Area (km²)",
    "people_per_sq_mi": "People per sq mi", "people_per_sq_mi_low": "People per sq mi, low",
    "people_per_sq_mi_high": "People per sq mi, high", "rank_as_published": "Rank as published",
    "rank_under_rule": "Rank under the national-rate rule", "area_vs_median": "Area / median area of its table",
    "source": "Table",
    "rank_per_1000": "Rank per 1,000", "rank_per_1000_in_country": "Rank per 1,000 in country",
    "rank_per_sq_mi": "Rank per sq mi", "rank_per_sq_mi_in_country": "Rank per sq mi in country",
    "vs_densest_outside_china": "× densest outside China",
    # the claims audit
    "figure": "Figure", "value_text": "As printed", "edition": "Edition", "compared_with": "Compared with",
    "stated": "Stated", "recomputed": "Recomputed", "recomputed_low": "Recomputed, low",
    "recomputed_high": "Recomputed, high", "relative_difference": "Difference (%)", "verdict": "Verdict",
    "cause": "Cause", "table": "Table", "verdicts": "Verdicts", "figures": "Figures", "statement": "Statement",
    # China's population and the derived Chinese cities
    "low": "Low", "high": "High", "rate": "Printed rate (per 1,000)",
    "implied_people_per_sq_mi": "People per sq mi implied", "table_people_per_sq_mi": "People per sq mi (table)",
    "method_per_sq_mi": "Rule on the table (per sq mi)", "method_low": "Rule, low", "method_high": "Rule, high",
    "counted_per_sq_mi": "Counted per sq mi (table)",
    "china_figure": "China's figure", "china_per_1000": "China per 1,000", "city_per_1000": "City per 1,000",
    "ratio": "Ratio",
    # scenarios and sensitivity
    "quantity": "Quantity", "unit": "Unit", "world_fixed": "World total fixed",
    "rest_of_world_fixed": "Rest of world fixed", "p5": "5th pct", "p25": "25th pct", "p50": "Median",
    "p75": "75th pct", "p95": "95th pct", "min": "Minimum", "max": "Maximum", "output": "Output", "input": "Input",
    "scenario": "Scenario", "china_cameras": "China's cameras", "population_source": "Population source",
    "china_population": "China's population",
    "input_low": "Input, low end", "input_high": "Input, high end", "central": "Central",
    "output_low": "Output at low end", "output_high": "Output at high end", "swing": "Swing",
    "rule_p5": "5th pct with the rule's uncertainty", "rule_p50": "Median with the rule's uncertainty",
    "rule_p95": "95th pct with the rule's uncertainty",
    # the rank claims under each area definition
    "claimed": "Claimed", "city_flagged": "City itself flagged", "area_definition": "Area definition",
    "same_verdict_under_every_area": "Same verdict under every area definition",
}

COMMON = ("city", "country", "basis", "quantity", "unit")  # headers a `View.verbatim` table still translates

# Readable names of the quantities that label rows (04's comparison, 03's national table, the sensitivity summary).
QUANTITIES: dict[str, str] = {
    "china_cameras": "China's cameras", "china_population": "China's population",
    "stated_rate": "China per 1,000, as printed", "china_per_1000": "China per 1,000 people",
    "world_cameras": "World cameras", "china_share_of_world": "China's share of the world's cameras",
    "rest_of_world_cameras": "Rest of the world's cameras", "rest_of_world_population": "Rest of the world's people",
    "rest_of_world_per_1000": "Rest of the world per 1,000",
    "china_to_rest_ratio": "China / rest of the world (UN WPP 2022 both)",
    "china_per_1000_un": "China per 1,000 people (UN WPP 2022)",
    "rest_of_world_per_1000_scenario_population": "Rest of the world per 1,000 (UN world minus the scenario's China)",
    "china_to_rest_ratio_scenario_population": "China / rest of the world (the scenario's China both)",
}
METRICS: dict[str, str] = {
    "cameras_per_1000": "per 1,000 people", "cameras_per_sq_mi": "per sq mi", "share_of_world_cameras": "share",
    "cities_analysed": "cities analysed", "rank_per_sq_mi": "rank per sq mi", "cameras": "cameras",
    "rank_per_sq_mi_outside_china": "rank outside China", "rank_population": "rank by population",
    "population": "population", "pixels": "pixels",
}

# Most decimals a presentation shows, by quantity (a column's name, or a row's quantity up to its first space);
# fewer when the values carry fewer. Counts and people are whole; everything else at most 2 decimals.
CAP: dict[str, int] = {**{k: min(v, 2) for k, v in DECIMALS.items()},
                       "china_share_of_world": 3, "share_of_world_cameras": 3, "relative_difference": 2,
                       "input_end": 7,  # a tornado input's ends, exactly (`_input_ends`)
                       "area_vs_median": 2, "vs_densest_outside_china": 2}
DEFAULT_CAP = 2
# Densities per area, areas and people per area are shown as whole numbers (a reader compares them by their digits,
# and the tables print cameras per square mile to no finer than that); rates per 1,000 keep CAP's 2 decimals.
WHOLE = ("per_sq_mi", "per_sq_mi_low", "per_sq_mi_high", "per_km2", "area_sq_mi", "area_km2", "people_per_sq_mi",
         "people_per_sq_mi_low", "people_per_sq_mi_high", "stated_per_sq_mi", "implied_people_per_sq_mi",
         "table_people_per_sq_mi", "method_per_sq_mi", "method_low", "method_high", "counted_per_sq_mi",
         "cameras_per_sq_mi", "rank_per_sq_mi")
CAP.update(dict.fromkeys(WHOLE, 0))

# Counts of cameras and people in the national tables are shown in millions, to `MILLION_DECIMALS` decimals at
# most: a column of `View.millions`, or a row whose quantity (its key, or its label in full) is one of these.
MILLION_DECIMALS = 2
MILLION_QUANTITIES = frozenset({"china_cameras", "china_population", "world_cameras", "rest_of_world_cameras",
                                "rest_of_world_population", "cameras", "population", "China's camera count",
                                "China's population"})

# Who publishes each series of editions ("comparitech:2021"), and what one edition of it is.
SERIES = {"comparitech": ("Comparitech", "table"), "ihs_markit": ("IHS Markit", "forecast")}
ARTICLE_EDITION = "article"  # article_figures.csv's edition of the article's own arithmetic


def edition_words(edition: object) -> str:
    """An edition in words, the same in captions, legends and tables: 'comparitech:2021' -> "Comparitech's 2021
    table", 'comparitech:later' -> "Comparitech's later edition", 'ihs_markit:2019' -> "IHS Markit's 2019
    forecast", 'article' -> "the article's own arithmetic", unknown or empty -> "an edition not given"."""
    text = "" if edition is None or (isinstance(edition, float) and math.isnan(edition)) else str(edition).strip()
    if not text or text == UNKNOWN_EDITION:
        return "an edition not given"
    if text == ARTICLE_EDITION:
        return "the article's own arithmetic"
    series, _, which = text.partition(":")
    publisher, kind = SERIES.get(series, (series, "edition"))
    if not which:
        return f"{publisher}'s {kind}"
    return f"{publisher}'s {which} edition" if which == "later" else f"{publisher}'s {which} {kind}"


# Names the data keep as codes, in words for a reader: editions (`edition_words`, the one wording of an edition in
# captions, legends and tables), the known table by its edition, population sources.
LABELS: dict[str, str] = {
    **{code: edition_words(code) for code in ("ihs_markit:2019", "comparitech:later", "comparitech:2021",
                                               "comparitech:unknown")},
    "comparitech_2021": edition_words(KNOWN_TABLE_EDITIONS["comparitech_2021"]),
    "un_wpp_2022": "UN WPP 2022", "nbs_2021": "NBS 2021",
}
_LABEL_RE = re.compile(r"(?<![\w:])(" + "|".join(re.escape(k) for k in sorted(LABELS, key=len, reverse=True))
                       + r")(?![\w:])")
NO_CAUSE = "none (agrees)"  # the audit's rows that need no cause


def in_words(text: str) -> str:
    """Code names in a text in words (`LABELS`): "comparitech_2021 population / area" -> "Comparitech's 2021 table
    population / area"; for figure labels and captions that quote the analysis' own strings."""
    return _LABEL_RE.sub(lambda m: LABELS[m.group(1)], text)


def human(text: str) -> str:
    """A cell's text with code names in words (`in_words`), the multiplication sign for " x " and "article" as "the
    article" where it names an edition."""
    out = in_words(text).replace(" x ", " \u00d7 ")
    return re.sub(r"(^|\+ )article\b(?! \w)", r"\1the article", out).replace(" + ", " and ")


@dataclass(frozen=True)
class View:
    """How one table is presented.

    ``derive`` adds presentation-only columns to a copy of the frame; ``columns`` picks and orders them (default:
    every column not in `INTERNAL`); ``rows_by`` names, for a set of value columns, the column giving each row's
    quantity (decimals then follow the row); ``group`` shows a column once per run of equal values, as the first
    column; ``bounds`` shows a value as "< x" where a boolean column is true; ``percent``: fractions shown as
    signed percentages.
    """

    columns: tuple[str, ...] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    derive: Callable[[pd.DataFrame], pd.DataFrame] | None = None
    rows_by: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # quantity column -> value columns
    group: str | None = None
    bounds: Mapping[str, str] = field(default_factory=dict)  # value column -> boolean column
    percent: tuple[str, ...] = ("relative_difference",)
    needs: tuple[str, ...] = ()  # columns ``derive`` reads (a table without them is shown as it is)
    verbatim: bool = False  # columns without a header here or in HEADERS' first names keep their own (scenarios)
    millions: tuple[str, ...] = ()  # count columns shown in millions (header "..., million")
    labels: tuple[str, ...] = ()  # text columns whose code names are put in words (`human`)
    constant_to_caption: bool = True  # a column equal in every row is left out and named in the caption
    caps: Mapping[str, int] = field(default_factory=dict)  # most decimals by column ("*": every number column)


def _editions_in_words(column: pd.Series) -> pd.Series:
    """Editions ("comparitech:2021", "ihs_markit:2019 + article") in the words captions and legends use
    (`edition_words`); an empty cell stays empty."""
    return column.fillna("").astype(str).map(
        lambda text: " and ".join(edition_words(part) for part in text.split(" + ")) if text.strip() else "")


def _audit_view(df: pd.DataFrame) -> pd.DataFrame:
    """The audit for a reader: the figure named in words, the two editions in one cell ("Comparitech, later edition
    vs Comparitech 2021"), a rank claim's two places in one cell ("4 / 1 of 131": as published / under the rule)
    instead of a recomputed number, and rows without a cause named so."""
    metric = df["metric"].map(METRICS).fillna(df["metric"].str.replace("_", " "))
    cause = df["cause"].fillna("").astype(str).replace("", NO_CAUSE)
    edition = _editions_in_words(df["edition"])  # the words captions and legends use
    against = _editions_in_words(df["compared_with"])
    editions = edition.where(against.eq(""), edition + " vs " + against)
    out = df.assign(figure=df["entity"] + ", " + metric, cause=cause, editions=editions)
    if {"rank_as_published", "rank_under_rule"} <= set(df.columns):
        published = df["rank_as_published"].fillna("").astype(str)
        rule = df["rank_under_rule"].fillna("").astype(str)
        first = published.str.replace(r" of \d+$", "", regex=True)
        ranks = (first + " / " + rule).where(published.ne("") & rule.ne(""), published + rule)
        is_rank = df["metric"].astype(str).str.startswith("rank")
        out = out.assign(ranks=ranks, recomputed=df["recomputed"].where(~is_rank))
    return out


POPULATION_SOURCES = {"stated": "stated in the article", "implied": "implied by the printed rates"}


def _population_sources(df: pd.DataFrame) -> pd.DataFrame:
    return df.assign(population_source=df["population_source"].astype(str).replace(POPULATION_SOURCES))


def _country_names(df: pd.DataFrame) -> pd.DataFrame:
    """A table that keeps only the alpha-3 code gets the country's name (the code stays in the CSV)."""
    return df.assign(country=df["country_code"].astype(str).map(display_name))


QUALIFIERS = {"p5 (sensitivity)": "sensitivity 5th percentile", "p50 (sensitivity)": "sensitivity median",
              "p95 (sensitivity)": "sensitivity 95th percentile"}


def _input_ends(df: pd.DataFrame) -> pd.DataFrame:
    """The tornado's input ends shown exactly (each input with the decimals its own ends need, up to CAP's 7): the
    key of each row's decimals in ``input_key``; national counts keep their quantity, so they show in millions,
    as exactly as they are given)."""
    inputs = df["input"].astype(str)
    return df.assign(input_key=inputs.where(inputs.isin(MILLION_QUANTITIES), "input_end " + inputs))


def quantity_labels(df: pd.DataFrame) -> pd.DataFrame:
    """Rows named by a quantity key ("china_per_1000 p5 (sensitivity)") get a readable label; the key is kept (for
    each row's decimals) in ``quantity_key``."""
    key = df["quantity"].astype(str).str.split(" ", n=1).str[0]
    rest = df["quantity"].astype(str).str.partition(" ")[2]
    label = key.map(QUANTITIES)
    rest = rest.map(QUALIFIERS).fillna(rest)
    label = label.where(rest.eq(""), label + np.where(rest.str.startswith("("), " ", ", ") + rest)
    return df.assign(quantity=label.where(key.isin(list(QUANTITIES)), df["quantity"]), quantity_key=df["quantity"])


def _bound_from_qualifier(df: pd.DataFrame) -> pd.DataFrame:
    return df.assign(is_bound=df["qualifier"].eq("upper_bound"))


VIEWS: dict[str, View] = {
    "claims_audit": View(
        columns=("cause", "figure", "value_text", "editions", "recomputed", "relative_difference", "ranks",
                 "verdict"),
        derive=_audit_view, needs=("entity", "metric", "cause", "edition", "compared_with"),
        rows_by={"metric": ("recomputed",)}, group="cause",
        headers={"value_text": "Printed", "editions": "Edition vs recomputed from", "relative_difference": "Diff. (%)",
                 "ranks": "Rank: published / rule"},
        constant_to_caption=False),
    "audit_causes": View(columns=("cause", "verdicts", "statement"), labels=("statement",)),
    "claims_by_table": View(
        columns=("figure", "table", "value_text", "editions", "recomputed", "relative_difference", "ranks",
                 "verdict"),
        derive=_audit_view, needs=("entity", "metric", "cause", "edition", "compared_with"),
        rows_by={"metric": ("recomputed",)}, group="figure", labels=("table",),
        headers={"value_text": "Printed", "editions": "Edition vs recomputed from", "relative_difference": "Diff. (%)",
                 "ranks": "Rank: published / rule"},
        constant_to_caption=False),
    "implied_china_population": View(columns=("basis", "population", "low", "high"),
                                     headers={"basis": "Population implied by", "population": "People (million)",
                                              "low": "Low (million)", "high": "High (million)"},
                                     millions=("population", "low", "high")),
    "chinese_city_method": View(columns=("city", "stated_per_sq_mi", "rate", "implied_people_per_sq_mi",
                                         "table_people_per_sq_mi", "method_per_sq_mi", "counted_per_sq_mi",
                                         "relative_difference"),
                                headers={"stated_per_sq_mi": "Printed per sq mi"}),
    "named_city_densities": View(columns=("city", "country", "per_sq_mi", "per_km2", "vs_densest_outside_china"),
                                 derive=_bound_from_qualifier, needs=("qualifier",),
                                 bounds={"per_sq_mi": "is_bound", "per_km2": "is_bound",
                                         "vs_densest_outside_china": "is_bound"}),
    "national_vs_city_rates": View(columns=("china_per_1000", "city", "city_per_1000", "ratio"),
                                   headers={"china_per_1000": "China per 1,000 (printed)",
                                            "city_per_1000": "City per 1,000 (printed)",
                                            "ratio": "China / city"}),
    "city_densities": View(columns=("rank_per_1000", "city", "country", "cameras", "population", "stated_per_1000",
                                    "per_sq_mi", "rank_per_sq_mi", "basis"),
                           headers={"stated_per_1000": "Per 1,000 people", "per_sq_mi": "Per sq mi",
                                    "rank_per_1000": "Rank", "population": "Population (million)"},
                           millions=("population",), labels=("basis",)),
    "area_definition_flags": View(columns=("source", "city", "country", "population", "area_sq_mi", "area_km2",
                                           "people_per_sq_mi", "per_sq_mi", "area_vs_median"),
                                  derive=_country_names, needs=("country_code",), labels=("source",),
                                  headers={"population": "Population (million)", "source": "Table",
                                           "area_vs_median": "Area / median area"},
                                  millions=("population",)),
    "national": View(columns=("quantity", "unit", "world_fixed", "rest_of_world_fixed"), derive=quantity_labels,
                     needs=("quantity",), labels=("unit",),
                     rows_by={"quantity_key": ("world_fixed", "rest_of_world_fixed")}),
    "scenario_comparison": View(derive=quantity_labels, needs=("quantity",), rows_by={"quantity_key": ("*",)},
                                verbatim=True),
    # p25 and p75 stay in the CSV; the shown table keeps 5th, median and 95th, without and with the rule's error
    "city_intervals": View(columns=("city", "basis", "per_sq_mi", "p5", "p50", "p95", "rule_p5", "rule_p50",
                                    "rule_p95"),
                           headers={"per_sq_mi": "Central (per sq mi)", "rule_p5": "5th pct, rule's error",
                                    "rule_p50": "Median, rule's error", "rule_p95": "95th pct, rule's error"},
                           labels=("basis",), caps={"*": 0}),
    "tornado": View(columns=("output", "input", "input_low", "input_high", "central", "output_low", "output_high",
                             "swing"),
                    derive=_input_ends, needs=("input",),
                    rows_by={"input_key": ("input_low", "input_high"),
                             "output": ("central", "output_low", "output_high", "swing")},
                    group="output", labels=("output", "input")),
    "city_estimates": View(columns=("city", "basis", "people_per_sq_mi", "per_sq_mi", "p5", "p95", "per_km2",
                                    "counted_per_sq_mi"),
                           headers={"p5": "Per sq mi, 5th pct", "p95": "Per sq mi, 95th pct"},
                           caps={"*": 0},
                           bounds={"per_sq_mi": "upper_bound", "per_km2": "upper_bound"}, labels=("basis",)),
    "city_estimates_by_scenario": View(bounds={"*": "upper_bound"}, verbatim=True, labels=("basis",),
                                       caps={"*": 0}),
    "rates_by_population": View(columns=("scenario", "china_cameras", "population_source", "china_population",
                                         "china_per_1000"),
                                headers={"china_per_1000": "China per 1,000 people",
                                         "china_cameras": "China's cameras (million)",
                                         "china_population": "China's population (million)"},
                                millions=("china_cameras", "china_population"), labels=("population_source",),
                                group="scenario", derive=_population_sources, needs=("population_source",)),
    "sensitivity": View(derive=quantity_labels, needs=("quantity",), rows_by={"quantity_key": ("*",)}),
    # shown in notebooks only (helpers.report.display), never saved under these names
    "article_figures": View(columns=("figure_id", "value_text", "value", "qualifier", "country_code", "scenario"),
                            headers={"figure_id": "Figure", "value": "Value", "qualifier": "Qualifier",
                                     "scenario": "Scenario"},
                            rows_by={"figure_id": ("value",)}),  # each figure at its own decimals
    "cleaning_rules": View(columns=("source", "rule", "values"),
                           headers={"source": "Input", "rule": "Rule", "values": "Values changed or noted"}),
    "quantities": View(derive=quantity_labels, needs=("quantity",), rows_by={"quantity_key": ("*",)},
                       verbatim=True),  # a quantity per row, value columns named as given (a by-hand check)
}


def view_for(name: str) -> View:
    """The presentation of table ``name`` (a per-scenario file renamed by gather keeps its step's name)."""
    return VIEWS.get(name, View())
