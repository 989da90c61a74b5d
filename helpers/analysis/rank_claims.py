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

from helpers.analysis.density import COUNTED, city_density, source_decimals
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
