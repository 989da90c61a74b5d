"""pandera schemas of the project's tables (raw inputs and cleaned outputs)."""

from __future__ import annotations

import pandera.pandas as pa

METRICS = (
    "cities_analysed",
    "cameras",
    "share_of_world_cameras",
    "population",
    "cameras_per_1000",
    "cameras_per_sq_mi",
    "pixels",
    "rank_per_sq_mi",
    "rank_per_sq_mi_outside_china",
    "rank_population",
)
SCENARIO_TAGS = ("conservative", "high", "none")
QUALIFIERS = ("exact", "approximate", "upper_bound", "lower_bound")

_NOT_NEGATIVE_TEXT = pa.Check.str_matches(r"^\s*[^-\s]", error="value must not be negative or empty")

ARTICLE_FIGURES = pa.DataFrameSchema(
    {
        "figure_id": pa.Column(str, pa.Check.str_matches(r"^[a-z0-9_]+$"), unique=True),
        "paragraph": pa.Column(int, pa.Check.ge(1)),
        "entity": pa.Column(str),
        "country": pa.Column(str, nullable=True),
        "metric": pa.Column(str, pa.Check.isin(METRICS)),
        "unit": pa.Column(str),
        "value_text": pa.Column(str, _NOT_NEGATIVE_TEXT),
        "scenario": pa.Column(str, pa.Check.isin(SCENARIO_TAGS)),
        "source_org": pa.Column(str),
        # "<source>:<edition>" (e.g. "comparitech:later"), or "article"; see data/raw/README.md
        "edition": pa.Column(str, pa.Check.str_matches(r"^[a-z0-9_]+(:[a-z0-9_]+)?$")),
        "year": pa.Column("Int64", pa.Check.in_range(1990, 2100), nullable=True),
        "description": pa.Column(str),
    },
    strict=True,
    ordered=True,
    coerce=True,
    name="article figures",
)

# The canonical city table that every city source is cleaned into.
CITIES = pa.DataFrameSchema(
    {
        "source": pa.Column(str),
        "source_row": pa.Column(int, pa.Check.ge(1)),
        "city": pa.Column(str),
        "country": pa.Column(str),
        "country_code": pa.Column(str, pa.Check.str_matches(r"^[A-Z]{3}$")),
        "cameras": pa.Column(float, pa.Check.ge(0), nullable=True),
        "population": pa.Column(float, pa.Check.gt(0), nullable=True),
        "stated_per_1000": pa.Column(float, pa.Check.ge(0), nullable=True),
        "stated_per_sq_mi": pa.Column(float, pa.Check.ge(0), nullable=True),
        "crime_index": pa.Column(float, nullable=True),
        "area_sq_mi": pa.Column(float, pa.Check.gt(0), nullable=True),
        "area_km2": pa.Column(float, pa.Check.gt(0), nullable=True),
    },
    unique=["source", "city", "country_code"],
    strict=True,
    ordered=True,
    coerce=True,
    name="cities",
)

# The article figures after cleaning: the raw columns plus the parsed number.
ARTICLE_FIGURES_CLEAN = ARTICLE_FIGURES.add_columns({
    "country_code": pa.Column(str, pa.Check.str_matches(r"^[A-Z]{3}$"), nullable=True),
    "value": pa.Column(float, pa.Check.ge(0)),
    "qualifier": pa.Column(str, pa.Check.isin(QUALIFIERS)),
}).set_name("cleaned article figures")
ARTICLE_FIGURES_CLEAN.ordered = False
