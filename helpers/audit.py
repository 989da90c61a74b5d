"""Claims audit: every numeric figure in the article, recomputed from the others or from a city table.

A figure printed as "372.8" stands for any value in [372.75, 372.85]; a figure that is
"approximately" something is given a relative tolerance. A claim is *consistent within rounding*
when the interval of the stated figure overlaps the interval its recomputation can take when every
input varies within its own rounding; otherwise it is *inconsistent*. Figures with nothing to be
recomputed from are *cannot be checked*.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.density import find_city, implied_cameras, implied_population, per_thousand, relative_difference

CONSISTENT = "consistent within rounding"
INCONSISTENT = "inconsistent"
UNCHECKABLE = "cannot be checked"
VERDICTS = (CONSISTENT, INCONSISTENT, UNCHECKABLE)

APPROX_TOLERANCE = 0.05  # "approximately X" is read as X ± 5%
_NUMBER = re.compile(r"\d[\d,]*(?:\.(\d+))?")


@dataclass(frozen=True)
class Interval:
    """A closed interval of values a printed figure may stand for."""

    low: float
    high: float

    def overlaps(self, other: Interval) -> bool:
        return self.low <= other.high and other.low <= self.high


def figure_interval(value_text: str, value: float, qualifier: str,
                    approx_tolerance: float = APPROX_TOLERANCE) -> Interval:
    """The values a printed figure is compatible with, from its printed precision and qualifier."""
    if qualifier == "upper_bound":
        return Interval(-np.inf, value)
    if qualifier == "lower_bound":
        return Interval(value, np.inf)
    match = _NUMBER.search(value_text)
    if match is None:
        raise ValueError(f"no number in value text {value_text!r}")
    token = float(match.group(0).replace(",", ""))
    decimals = len(match.group(1) or "")
    scale = value / token if token else 1.0
    half = 0.5 * 10.0**-decimals * scale
    if qualifier == "approximate":
        half = max(half, abs(value) * approx_tolerance) if decimals else abs(value) * approx_tolerance
    return Interval(value - half, value + half)


@dataclass(frozen=True)
class Check:
    """How one article figure is recomputed from other article figures."""

    figure_id: str
    inputs: tuple[str, ...]
    formula: Callable[..., float]
    basis: str


def _share(cameras: float, world: float) -> float:
    return cameras / world * 100.0


def _world_from_share(cameras: float, share_pct: float) -> float:
    return cameras / (share_pct / 100.0)


def _count_from_share(share_pct: float, world: float) -> float:
    return share_pct / 100.0 * world


ARTICLE_CHECKS: tuple[Check, ...] = (
    Check("world_cameras", ("china_cameras_conservative", "china_share_of_world"), _world_from_share,
          "China's 540 million divided by its 54% share"),
    Check("china_share_of_world", ("china_cameras_conservative", "world_cameras"), _share,
          "China's cameras as a share of the world total"),
    Check("china_cameras_conservative", ("china_share_of_world", "world_cameras"), _count_from_share,
          "54% of the world total"),
    Check("china_population", ("china_cameras_conservative", "china_per_1000_conservative"),
          implied_population, "population implied by 540 million cameras at 372.8 per 1,000"),
    Check("china_per_1000_conservative", ("china_cameras_conservative", "china_population"),
          per_thousand, "540 million cameras over the stated population"),
    Check("china_cameras_high", ("china_per_1000_high", "china_population"), implied_cameras,
          "432.2 per 1,000 applied to the stated population"),
    Check("china_per_1000_high", ("china_cameras_high", "china_population"), per_thousand,
          "626 million cameras over the stated population"),
)


def evaluate(formula: Callable[..., float], inputs: list[tuple[float, Interval]]) -> tuple[float, Interval]:
    """Point value and range of a monotone ``formula`` when each input varies over its interval."""
    point = float(formula(*[v for v, _ in inputs]))
    corners = [float(formula(*c)) for c in itertools.product(*[(i.low, i.high) for _, i in inputs])]
    return point, Interval(min(corners), max(corners))


def _fmt(x: float) -> str:
    if not np.isfinite(x):
        return str(x)
    if abs(x) >= 999.95e6:
        return f"{x / 1e9:.4g} billion"
    if abs(x) >= 999.95e3:
        return f"{x / 1e6:.4g} million"
    return f"{x:,.4g}" if abs(x) < 1e4 else f"{x:,.0f}"


def _row(fig: pd.Series, point: float | None, rng: Interval | None, basis: str,
         approx_tolerance: float) -> dict:
    stated = figure_interval(fig["value_text"], fig["value"], fig["qualifier"], approx_tolerance)
    if point is None or rng is None:
        return {"recomputed": np.nan, "recomputed_low": np.nan, "recomputed_high": np.nan,
                "relative_difference": np.nan, "verdict": UNCHECKABLE, "reason": basis}
    diff = relative_difference(fig["value"], point)
    if stated.overlaps(rng):
        verdict, why = CONSISTENT, "within the rounding of the printed figures"
    else:
        verdict, why = INCONSISTENT, f"{diff:+.1%}, beyond the rounding of the printed figures"
    return {"recomputed": point, "recomputed_low": rng.low, "recomputed_high": rng.high,
            "relative_difference": diff, "verdict": verdict,
            "reason": f"{basis} gives {_fmt(point)}: {why}"}


def _intervals(figures: pd.DataFrame, approx_tolerance: float) -> dict[str, tuple[float, Interval]]:
    return {
        r.figure_id: (r.value, figure_interval(r.value_text, r.value, r.qualifier, approx_tolerance))
        for r in figures.itertuples()
    }


def _city_check(fig: pd.Series, cities: pd.DataFrame | None,
                known: dict[str, tuple[float, Interval]]) -> tuple[float | None, Interval | None, str]:
    """Recompute a city figure from a city table (the national rate for Chinese cities' areas)."""
    if cities is None:
        return None, None, "needs a city table; none was loaded"
    row = find_city(cities, fig["entity"])
    if row is None:
        return None, None, f"{fig['entity']} is not in the city table"
    source = row["source"]
    if fig["metric"] == "cameras_per_1000":
        cams, pop = row["cameras"], row["population"]
        point, rng = evaluate(per_thousand, [(cams, Interval(cams, cams)), (pop, Interval(pop, pop))])
        return point, rng, f"{source}: {cams:,.0f} cameras / {pop:,.0f} people"
    if fig["country"] == "China" and fig["scenario"] in ("conservative", "high"):
        rate = known[f"china_per_1000_{fig['scenario']}"]
        area = row["area_sq_mi"]
        pop = row["population"]
        if pd.isna(area):
            return None, None, f"{source}: the area of {fig['entity']} cannot be derived"
        point, rng = evaluate(lambda r, p: implied_cameras(r, p) / area,
                              [rate, (pop, Interval(pop, pop))])
        return point, rng, (f"national rate x {source} population {pop:,.0f} / "
                            f"area {area:,.1f} sq mi (the table's own count gives "
                            f"{row['stated_per_sq_mi']:,.2f})")
    stated = row["stated_per_sq_mi"]
    return stated, Interval(stated - 0.005, stated + 0.005), f"{source} per square mile"


def claims_audit(figures: pd.DataFrame, cities: pd.DataFrame | None = None,
                 approx_tolerance: float = APPROX_TOLERANCE) -> pd.DataFrame:
    """One row per article figure: stated, recomputed (with range), relative difference, verdict, reason."""
    known = _intervals(figures, approx_tolerance)
    checks = {c.figure_id: c for c in ARTICLE_CHECKS}
    rows = []
    for _, fig in figures.iterrows():
        check = checks.get(fig["figure_id"])
        if check is not None and all(i in known for i in check.inputs):
            point, rng = evaluate(check.formula, [known[i] for i in check.inputs])
            basis = check.basis
        elif fig["metric"] in ("cameras_per_1000", "cameras_per_sq_mi") and fig["entity"] != "China":
            point, rng, basis = _city_check(fig, cities, known)
        elif fig["metric"] == "cities_analysed" and cities is not None:
            n = float(cities["city"].nunique())
            point, rng, basis = n, Interval(n, n), "number of cities in the city table"
        else:
            point, rng, basis = None, None, "no figure or table to recompute it from"
        rows.append({
            "figure_id": fig["figure_id"], "paragraph": fig["paragraph"], "entity": fig["entity"],
            "metric": fig["metric"], "value_text": fig["value_text"], "stated": fig["value"],
            **_row(fig, point, rng, basis, approx_tolerance),
        })
    return pd.DataFrame(rows)


def implied_china_populations(figures: pd.DataFrame,
                              approx_tolerance: float = APPROX_TOLERANCE) -> pd.DataFrame:
    """Population of China implied by each scenario's count and rate, beside the stated one."""
    known = _intervals(figures, approx_tolerance)
    rows = []
    for scenario in ("conservative", "high"):
        point, rng = evaluate(implied_population, [known[f"china_cameras_{scenario}"],
                                                   known[f"china_per_1000_{scenario}"]])
        rows.append({"basis": f"{scenario}: cameras / rate x 1,000", "population": point,
                     "low": rng.low, "high": rng.high})
    value, stated = known["china_population"]
    rows.append({"basis": "stated in the article", "population": value, "low": stated.low,
                 "high": stated.high})
    return pd.DataFrame(rows)
