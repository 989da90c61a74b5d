"""Rank claims ("Shenzhen topped the list") judged by an explicit rule (docs/verdicts.md, "Ordinal claims").

A claimed place is checked twice against one city table: **as published** (every row at the density the table
prints) and **under the national-rate rule** of the edition the article quotes (Chinese cities at the printed
national rate x their people per square mile, `helpers.analysis.density.city_density`; other cities at their
counted density). Ties share places, taken at the table's printed precision. The verdict is one of
`helpers.analysis.verdicts.RANK_VERDICTS` (`rank_verdict`): a rank is exact, so "within rounding" never applies.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from helpers.analysis.density import (
    AREA_OUTLIER_FACTOR,
    COUNTED,
    city_density,
    derived_city_figures,
    find_city,
    flagged_areas,
    source_decimals,
)
from helpers.analysis.verdicts import rank_verdict

CHINA = "CHN"  # the country the article's "outside China" leaves out
AS_PUBLISHED = "as published"
UNDER_RULE = "under the national-rate rule"


@dataclass(frozen=True)
class Places:
    """The places a city takes in one ranking: ``best`` to ``worst`` (equal unless tied) among ``of`` ranked rows."""

    best: int
    worst: int
    of: int

    def text(self) -> str:
        """'4 of 134', or '2-3 of 131 (tie)'."""
        span = str(self.best) if self.best == self.worst else f"{self.best}-{self.worst}"
        return f"{span} of {self.of}" + ("" if self.best == self.worst else " (tie)")

    def words(self) -> str:
        """'number 4 of 134', or 'number 2 of 131 (tied with 1 other)'."""
        n = self.worst - self.best
        tie = "" if not n else f" (tied with {n} other{'s' if n > 1 else ''})"
        return f"number {self.best}{tie} of {self.of}"


@dataclass(frozen=True)
class RankCheck:
    """One rank claim against one table: the places as published and under the rule, their bases, the verdict."""

    published: Places | None
    under_rule: Places | None
    published_basis: str
    rule_basis: str
    verdict: str


def ranking(metric: str, densities: pd.DataFrame, derived: pd.DataFrame, *,
            rule: bool) -> tuple[pd.Series, str, int]:
    """The values a ``metric`` ranking orders, a description, and the decimals ranks are taken at.

    ``rule``: Chinese cities (the countries of the article's ``derived`` figures) at the printed national rate x
    their people per square mile, other cities at their counted density; else every row as the table prints it.
    A population ranking is the same either way.
    """
    if metric == "rank_population":
        return densities["population"], "population", source_decimals(densities["population"], 0)
    decimals = source_decimals(densities["stated_per_sq_mi"])
    values = densities["stated_per_sq_mi"]
    description = "cameras per square mile"
    if metric == "rank_per_sq_mi_outside_china":
        outside = densities["country_code"] != CHINA
        if rule:
            values = values.where(densities["basis"].eq(COUNTED))
        return values.where(outside), f"{description} outside China", decimals
    if not rule:
        return values, f"{description} as printed", decimals
    values = values.where(densities["basis"].eq(COUNTED))
    for country, group in derived.groupby("country", sort=True):
        mask = densities["country"] == country
        values = values.where(~mask, city_density(float(group["rate"].iloc[0]), densities["people_per_sq_mi"]))
        description += f" ({country}'s cities at {group['rate_text'].iloc[0]} per 1,000 x people per square mile)"
    return values, description, decimals


def places(values: pd.Series, decimals: int, at: object) -> Places | None:
    """The places of row ``at`` among ``values`` (1 = largest; ties at ``decimals`` places), None if it has no value."""
    rounded = values.round(decimals)
    if pd.isna(rounded.loc[at]):
        return None
    mine = rounded.loc[at]
    return Places(int((rounded > mine).sum()) + 1, int((rounded >= mine).sum()), int(rounded.notna().sum()))


def check_rank(metric: str, claimed: int, densities: pd.DataFrame, derived: pd.DataFrame, at: object) -> RankCheck:
    """The claim that row ``at`` of ``densities`` is number ``claimed`` by ``metric``, as published and under the
    national-rate rule."""
    found = {}
    for rule in (False, True):
        values, description, decimals = ranking(metric, densities, derived, rule=rule)
        found[rule] = (places(values, decimals, at), description)
    (pub, pub_basis), (ruled, rule_basis) = found[False], found[True]
    return RankCheck(pub, ruled, pub_basis, rule_basis, rank_verdict(claimed, _span(pub), _span(ruled)))


def _span(p: Places | None) -> tuple[int, int] | None:
    return None if p is None else (p.best, p.worst)


def own_rank(fig: pd.Series, figures: pd.DataFrame) -> int:
    """The place of the figure's city among the cities the article itself gives a value for."""
    if fig["metric"] == "rank_population":
        return 1  # the article gives no populations of cities: the claim stands alone
    rows = figures[figures["metric"] == "cameras_per_sq_mi"]
    if fig["metric"] == "rank_per_sq_mi_outside_china":
        rows = rows[rows["country"] != "China"]
    own = rows.loc[rows["entity"] == fig["entity"], "value"]
    return int((rows["value"] > own.iloc[0]).sum()) + 1 if len(own) else 0


# --- the rank claims under other definitions of a flagged city's area ------------------------------------------

PUBLISHED_AREAS = "areas as published"
AT_THRESHOLD = "flagged cities at {factor:g} x their table's median area"
AT_MEDIAN = "flagged cities at their table's median area"
AREA_METRICS = ("rank_per_sq_mi", "rank_per_sq_mi_outside_china")  # the rank claims an area moves


def area_variants(densities: pd.DataFrame, factor: float = AREA_OUTLIER_FACTOR) -> list[tuple[str, pd.DataFrame]]:
    """The table under each definition of a flagged city's area (`flagged_areas`, the rule of `area_definition_flags`:
    over ``factor`` x its table's median, likely a metropolitan or administrative area rather than the city proper).

    The tables give no city-proper areas, so the city-proper readings are the ones the table itself allows: every
    flagged city at the largest area that is not flagged (``factor`` x its table's median), and at its table's
    median area. Cameras and population stay; the densities per area scale by the old area over the new.
    """
    flagged, median = flagged_areas(densities, factor)
    out = [(PUBLISHED_AREAS, densities)]
    for label, new_area in ((AT_THRESHOLD.format(factor=factor), factor * median), (AT_MEDIAN, median)):
        scale = (densities["area_sq_mi"] / new_area).where(flagged, 1.0)
        variant = densities.copy()
        for col in ("area_sq_mi", "area_km2"):
            if col in variant:
                variant[col] = variant[col] / scale
        for col in ("stated_per_sq_mi", "people_per_sq_mi", "per_sq_mi"):
            if col in variant:
                variant[col] = variant[col] * scale
        out.append((label, variant))
    return out


def rank_claims_by_area(figures: pd.DataFrame, densities: pd.DataFrame,
                        factor: float = AREA_OUTLIER_FACTOR) -> pd.DataFrame:
    """Every per-square-mile rank claim of the article checked against one table (``densities``, from
    `helpers.analysis.density.city_densities`) under each area definition (`area_variants`): the places as
    published and under the national-rate rule and the verdict, and whether the claim ``holds_everywhere`` (its
    verdict is the same under every definition; the verdict as published areas otherwise)."""
    derived = derived_city_figures(figures)
    claims = figures[figures["metric"].isin(AREA_METRICS)]
    variants = area_variants(densities, factor)
    flagged = set(densities.loc[flagged_areas(densities, factor)[0], "city"])
    rows = []
    for fig in claims.itertuples():
        row = find_city(densities, fig.entity)
        if row is None:
            continue
        at = densities.index[densities["city"] == row["city"]][0]
        for label, table in variants:
            r = check_rank(fig.metric, int(fig.value), table, derived, at)
            rows.append({"figure_id": fig.figure_id, "city": fig.entity, "claimed": fig.value_text,
                         "city_flagged": row["city"] in flagged, "area_definition": label,
                         "rank_as_published": r.published.text() if r.published else "",
                         "rank_under_rule": r.under_rule.text() if r.under_rule else "", "verdict": r.verdict})
    out = pd.DataFrame(rows, columns=["figure_id", "city", "claimed", "city_flagged", "area_definition",
                                      "rank_as_published", "rank_under_rule", "verdict"])
    verdicts = out.groupby("figure_id", sort=False)["verdict"]
    out["same_verdict_under_every_area"] = verdicts.transform("nunique").eq(1)
    return out


def area_summary(by_area: pd.DataFrame) -> str:
    """One sentence per claim: whether its verdict stays under every area definition, and where it changes."""
    parts = []
    for _, rows in by_area.groupby("figure_id", sort=False):
        first = rows.iloc[0]
        if first["same_verdict_under_every_area"]:
            parts.append(f"{first['city']} ({first['claimed']}): {first['verdict']} under every area definition")
        else:
            changes = "; ".join(f"{r.area_definition}: {r.verdict} ({r.rank_as_published} as published, "
                                f"{r.rank_under_rule} under the rule)" for r in rows.iloc[1:].itertuples()
                                if r.verdict != first["verdict"])
            parts.append(f"{first['city']} ({first['claimed']}): {first['verdict']} with the areas as published, "
                         f"but {changes}")
    return ". ".join(parts) + "." if parts else "No per-square-mile rank claim could be checked against the table."

