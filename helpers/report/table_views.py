"""What each table shows: its columns, their human headers and units, the decimals a quantity may show, and a
`View` per table name (`VIEWS`), so a notebook passes only a caption and `helpers.report.tables` does the rest."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

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
                       "area_vs_median": 2, "vs_densest_outside_china": 2}
DEFAULT_CAP = 2


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


def _editions_in_words(column: pd.Series) -> pd.Series:
    """Editions ("comparitech:2021", "ihs_markit:2019 + article") in the words captions and legends use
    (`captions.edition_words`); an empty cell stays empty."""
    from helpers.report.captions import edition_words  # here, not at the top: captions imports matplotlib

    return column.fillna("").astype(str).map(
        lambda text: " and ".join(edition_words(part) for part in text.split(" + ")) if text.strip() else "")


def _audit_view(df: pd.DataFrame) -> pd.DataFrame:
    metric = df["metric"].map(METRICS).fillna(df["metric"].str.replace("_", " "))
    words = {c: _editions_in_words(df[c]) for c in ("edition", "compared_with") if c in df}
    return df.assign(figure=df["entity"] + ", " + metric, cause=df["cause"].replace("", "no cause"), **words)


QUALIFIERS = {"p5 (sensitivity)": "sensitivity 5th percentile", "p50 (sensitivity)": "sensitivity median",
              "p95 (sensitivity)": "sensitivity 95th percentile"}


def _quantity_labels(df: pd.DataFrame) -> pd.DataFrame:
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
        columns=("cause", "figure", "value_text", "edition", "compared_with", "recomputed", "relative_difference",
                 "rank_as_published", "rank_under_rule", "verdict"),
        derive=_audit_view, needs=("entity", "metric", "cause"), rows_by={"metric": ("recomputed",)}, group="cause"),
    "audit_causes": View(columns=("cause", "verdicts", "statement")),
    "claims_by_table": View(
        columns=("figure", "table", "value_text", "compared_with", "recomputed", "relative_difference",
                 "rank_as_published", "rank_under_rule", "verdict"),
        derive=_audit_view, needs=("entity", "metric", "cause"), rows_by={"metric": ("recomputed",)}, group="figure"),
    "implied_china_population": View(columns=("basis", "population", "low", "high"),
                                     headers={"basis": "Population implied by", "population": "People",
                                              "low": "Low", "high": "High"}),
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
                                    "rank_per_1000": "Rank"}),
    "area_definition_flags": View(columns=("source", "city", "country_code", "population", "area_sq_mi", "area_km2",
                                           "people_per_sq_mi", "per_sq_mi", "area_vs_median")),
    "national": View(columns=("quantity", "unit", "world_fixed", "rest_of_world_fixed"), derive=_quantity_labels,
                     needs=("quantity",),
                     rows_by={"quantity_key": ("world_fixed", "rest_of_world_fixed")}),
    "scenario_comparison": View(derive=_quantity_labels, needs=("quantity",), rows_by={"quantity_key": ("*",)},
                                verbatim=True),
    "sensitivity": View(derive=_quantity_labels, needs=("quantity",), rows_by={"quantity_key": ("*",)}),
    "city_intervals": View(columns=("city", "basis", "per_sq_mi", "p5", "p25", "p50", "p75", "p95"),
                           headers={"per_sq_mi": "Central (per sq mi)"}),
    "tornado": View(columns=("output", "input", "input_low", "input_high", "central", "output_low", "output_high",
                             "swing"),
                    rows_by={"input": ("input_low", "input_high"),
                             "output": ("central", "output_low", "output_high", "swing")},
                    group="output"),
    "city_estimates": View(columns=("city", "basis", "people_per_sq_mi", "per_sq_mi", "p5", "p95", "per_km2",
                                    "counted_per_sq_mi"),
                           headers={"p5": "Per sq mi, 5th pct", "p95": "Per sq mi, 95th pct"},
                           rows_by={"basis": ("per_sq_mi", "per_km2")},
                           bounds={"per_sq_mi": "upper_bound", "per_km2": "upper_bound"}),
    "city_estimates_by_scenario": View(bounds={"*": "upper_bound"}, verbatim=True),
    "rates_by_population": View(columns=("scenario", "china_cameras", "population_source", "china_population",
                                         "china_per_1000"),
                                headers={"china_per_1000": "China per 1,000 people"}),
}


def view_for(name: str) -> View:
    """The presentation of table ``name`` (a per-scenario file renamed by gather keeps its step's name)."""
    return VIEWS.get(name, View())
