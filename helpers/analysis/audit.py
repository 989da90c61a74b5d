"""Claims audit: every figure of the article, recomputed from the others or from a city table, with a verdict.

Every figure stands for the interval its printed precision allows ("372.8" is [372.75, 372.85]);
"approximately X" is X +- ``approx_tolerance``; "less than 6" is a bound. A recomputation carries the
interval its inputs allow, and agreement means the two intervals overlap. Each comparison knows which
edition each side comes from (`edition` of `data/raw/article_figures.csv`, the city table's edition), so a
difference between two editions of the same source is reported as such, not as an error. The verdicts are
those of `helpers.analysis.verdicts`; verdicts that share a cause are grouped under it (`CAUSES`), and each cause
is stated once (`cause_statements`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.analysis.density import (
    COUNTED,
    city_densities,
    city_density,
    derived_city_figures,
    find_city,
    implied_cameras,
    implied_population,
    interval_of,
    per_thousand,
    relative_difference,
)
from helpers.analysis.editions import UNKNOWN_EDITION, editions_differ, table_edition
from helpers.analysis.rank_claims import check_rank, own_rank
from helpers.analysis.verdicts import (
    BOUND,
    DOES_NOT_HOLD,
    EDITION,
    HOLDS,
    HOLDS_UNDER_RULE,
    IDENTITY,
    INCONSISTENT,
    UNCHECKABLE,
    UNQUOTED,
    VERDICTS,
    verdict,
)
from helpers.data.io import read_text_table
from helpers.data.units import to_project_unit
from helpers.data.values import Interval, printed_interval, propagate
from helpers.paths import resolve

APPROX_TOLERANCE = 0.05  # "approximately X" is read as X +- 5%
ARTICLE = "article"

# Causes that group verdicts, in the order the audit lists them.
IMPLIED_POPULATION = "implied population"
LATER_EDITION = "later edition"
DERIVED = "derived from the national rate"
ONE_FORECAST = "one forecast"
NO_CAUSE = ""
NOTHING = "nothing to recompute from"
CAUSES = (IMPLIED_POPULATION, LATER_EDITION, DERIVED, ONE_FORECAST, NO_CAUSE, NOTHING)

COLUMNS = ["figure_id", "paragraph", "entity", "metric", "value_text", "edition", "stated", "compared_with",
           "table", "recomputed", "recomputed_low", "recomputed_high", "relative_difference", "rank_as_published",
           "rank_under_rule", "verdict", "cause", "reason"]


# --- editions -------------------------------------------------------------------------------------

def table_editions(cities: pd.DataFrame | None, sources: pd.DataFrame | None = None) -> dict[str, str]:
    """{table name: edition} for every source of ``cities`` (``sources``: notebook 01's city_sources.csv)."""
    if cities is None:
        return {}
    declared = ({} if sources is None or not len(sources)
                else dict(zip(sources["name"], sources["edition"], strict=True)))
    return {name: table_edition(name, declared.get(name)) for name in sorted(cities["source"].unique())}


def read_table_editions(cleaning_dir: str | Path, cities: pd.DataFrame | None) -> dict[str, str]:
    """`table_editions` of notebook 01's folder: the editions its city_sources.csv declares (if it has one)."""
    path = resolve(cleaning_dir) / "city_sources.csv"
    return table_editions(cities, read_text_table(path).fillna("") if path.is_file() else None)


# --- intervals ------------------------------------------------------------------------------------

def figure_interval(value_text: str, value: float, qualifier: str,
                    approx_tolerance: float = APPROX_TOLERANCE) -> Interval:
    """The values a printed figure is compatible with: its printed precision, "approximately X" as
    X +- ``approx_tolerance``, a bound as a half-line."""
    if qualifier == "approximate":
        return Interval(value - abs(value) * approx_tolerance, value + abs(value) * approx_tolerance)
    return printed_interval(value_text)


@dataclass(frozen=True)
class Known:
    """One article figure in the project's unit (a share as a fraction), with its interval and edition."""

    value: float
    interval: Interval
    edition: str
    text: str


def known_figures(figures: pd.DataFrame, approx_tolerance: float = APPROX_TOLERANCE) -> dict[str, Known]:
    """Every article figure by id, in the project's units (`helpers.data.units.to_project_unit`)."""
    out = {}
    for r in figures.itertuples():
        iv = figure_interval(r.value_text, r.value, r.qualifier, approx_tolerance)
        edition = getattr(r, "edition", ARTICLE)
        out[r.figure_id] = Known(to_project_unit(r.value, r.unit), Interval(to_project_unit(iv.low, r.unit),
                                                                               to_project_unit(iv.high, r.unit)),
                                 edition, r.value_text)
    return out


# --- checks among the article's own figures ---------------------------------------------------------

@dataclass(frozen=True)
class Check:
    """How one article figure follows by arithmetic from other article figures.

    ``basis`` is a template filled with the inputs' printed texts, so no number is typed twice.
    """

    figure_id: str
    inputs: tuple[str, ...]
    formula: Callable[..., float]
    basis: str


ARTICLE_CHECKS: tuple[Check, ...] = (
    Check("world_cameras", ("china_cameras_conservative", "china_share_of_world"), lambda c, s: c / s,
          "{china_cameras_conservative} in China divided by its share, {china_share_of_world}"),
    Check("china_share_of_world", ("china_cameras_conservative", "world_cameras"), lambda c, w: c / w,
          "{china_cameras_conservative} as a share of {world_cameras}"),
    # Both counts are checked alike, from their rate and the stated population: each (count, population, rate) triple
    # is judged by one rule (the share and the world total are checked from the count).
    Check("china_cameras_conservative", ("china_per_1000_conservative", "china_population"), implied_cameras,
          "{china_per_1000_conservative} per 1,000 for {china_population} people"),
    Check("china_population", ("china_cameras_conservative", "china_per_1000_conservative"), implied_population,
          "the population for which {china_cameras_conservative} cameras are {china_per_1000_conservative} per 1,000"),
    Check("china_per_1000_conservative", ("china_cameras_conservative", "china_population"), per_thousand,
          "{china_cameras_conservative} cameras over {china_population} people"),
    Check("china_cameras_high", ("china_per_1000_high", "china_population"), implied_cameras,
          "{china_per_1000_high} per 1,000 for {china_population} people"),
    Check("china_per_1000_high", ("china_cameras_high", "china_population"), per_thousand,
          "{china_cameras_high} cameras over {china_population} people"),
)
POPULATION = "china_population"
RATE_PAIRS = (("china_cameras_conservative", "china_per_1000_conservative"),
              ("china_cameras_high", "china_per_1000_high"))


def implied_population_interval(known: Mapping[str, Known]) -> Interval | None:
    """The populations every printed (count, rate) pair of China allows at once (None if they share none)."""
    pairs = [propagate(implied_population, [known[c].interval, known[r].interval])
             for c, r in RATE_PAIRS if c in known and r in known]
    if not pairs:
        return None
    low, high = max(p.low for p in pairs), min(p.high for p in pairs)
    return Interval(low, high) if low <= high else None


def _explained_by_population(check: Check, known: Mapping[str, Known], stated: Interval) -> bool:
    """True when putting the implied population in place of the stated one makes ``check`` agree."""
    implied = implied_population_interval(known)
    if implied is None:
        return False
    if check.figure_id == POPULATION:
        return True  # the recomputation is the implied population itself
    if POPULATION not in check.inputs:
        return False
    swapped = {**known, POPULATION: Known(known[POPULATION].value, implied, ARTICLE, "")}
    return propagate(check.formula, [swapped[i].interval for i in check.inputs]).overlaps(stated)


# --- formatting -----------------------------------------------------------------------------------

def fmt(x: float) -> str:
    """A figure for prose: '1.4485 billion', '631.0 million', '6,103', '369.9', '8.776', '0.54'."""
    if not math.isfinite(x):
        return str(x)
    if abs(x) >= 999.95e6:
        return f"{x / 1e9:.4f} billion"
    if abs(x) >= 999.95e3:
        return f"{x / 1e6:.1f} million"
    if abs(x) >= 1e4:
        return f"{x:,.0f}"
    if abs(x) >= 100:
        return f"{x:,.1f}"
    return f"{x:.4g}"


def count(x: float) -> str:
    """A count of cameras or people, in full: '9,425,622'."""
    return f"{x:,.0f}"


def _range(iv: Interval) -> str:
    """' [low, high]' when the two ends print differently, else ''."""
    low, high = fmt(iv.low), fmt(iv.high)
    return "" if low == high else f" [{low}, {high}]"


# --- one row --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    """A recomputation (or why there is none) and what decides its verdict."""

    point: float | None
    interval: Interval | None
    basis: str
    compared_with: str
    identity: bool = False
    cause: str = NO_CAUSE
    shown: str = ""  # what the recomputation gives, in words, instead of its value and interval
    note: str = ""  # appended after the verdict's explanation
    verdict: str = ""  # a rank claim's verdict (`helpers.analysis.verdicts.rank_verdict`), else picked by `_row`
    ranks: tuple[str, str] = ("", "")  # a rank claim's places as published and under the national-rate rule


def _none(basis: str, compared_with: str = "", cause: str = NOTHING) -> Outcome:
    return Outcome(None, None, basis, compared_with, cause=cause)


def _row(fig: pd.Series, known: Known, out: Outcome, loaded: frozenset[str] = frozenset()) -> dict:
    """One audit row; ``loaded``: the editions of every loaded table (a difference from another edition is one
    only when a table of the quoted edition is among them)."""
    base = {"figure_id": fig["figure_id"], "paragraph": fig["paragraph"], "entity": fig["entity"],
            "metric": fig["metric"], "value_text": fig["value_text"], "edition": known.edition,
            "stated": known.value, "compared_with": out.compared_with, "table": "",
            "rank_as_published": out.ranks[0], "rank_under_rule": out.ranks[1]}
    if out.point is None or out.interval is None:
        return {**base, "recomputed": np.nan, "recomputed_low": np.nan, "recomputed_high": np.nan,
                "relative_difference": np.nan, "verdict": UNCHECKABLE, "cause": out.cause, "reason": out.basis}
    bound = fig["qualifier"] in ("upper_bound", "lower_bound")
    agrees = known.interval.overlaps(out.interval)
    differ = any(editions_differ(known.edition, e) for e in out.compared_with.split(" + "))
    v = out.verdict or verdict(checkable=True, agrees=agrees, bound=bound, identity=out.identity,
                               editions_differ=differ, quoted_loaded=known.edition in loaded)
    # a rank has no relative difference: its places are shown instead (rank_as_published, rank_under_rule)
    diff = float("nan") if out.verdict else float(relative_difference(known.value, out.point))
    gives = f"{out.basis} gives " + (out.shown or f"{fmt(out.point)}{_range(out.interval)}")
    tail = {
        IDENTITY: ", the same forecast restated: agreement confirms the arithmetic, not the count",
        BOUND: f", within the bound {fig['value_text']!r}",
        EDITION: f": {diff:+.1%} between the {known.edition} and {out.compared_with} editions, beyond rounding",
        UNQUOTED: f": {diff:+.1%} from the {out.compared_with} edition loaded, beyond rounding; no table of the "
                  f"{known.edition} edition the article quotes is loaded, so an edition difference cannot be told "
                  "from an error",
        INCONSISTENT: f": {diff:+.1%}, beyond the rounding of both",
        HOLDS: f": the place the article gives ({fig['value_text']}) holds",
        HOLDS_UNDER_RULE: f": the place the article gives ({fig['value_text']}) holds only under the national-rate "
                          "rule",
        DOES_NOT_HOLD: f": the place the article gives ({fig['value_text']}) does not hold",
    }.get(v, ", within the rounding of both")
    return {**base, "recomputed": out.point, "recomputed_low": out.interval.low, "recomputed_high": out.interval.high,
            "relative_difference": diff, "verdict": v, "cause": out.cause, "reason": gives + tail + out.note}


# --- city checks ----------------------------------------------------------------------------------

def _table_row(fig: pd.Series, densities: pd.DataFrame | None,
               editions: Mapping[str, str]) -> tuple[pd.Series | None, str, Outcome | None]:
    """The table row of a city figure, its edition, or an Outcome saying why there is none."""
    if densities is None:
        return None, "", _none("needs a city table; none was loaded")
    row = find_city(densities, fig["entity"])
    if row is None:
        return None, "", _none(f"{fig['entity']} is not in the city table")
    edition = editions.get(row["source"], UNKNOWN_EDITION)
    return row, edition, None


def _estimated(row: pd.Series, edition: str) -> Outcome | None:
    if row["basis"] == COUNTED:
        return None
    return _none(f"{row['source']}'s rows for {row['country']} all carry one national rate: estimated, not "
                 "counted, so they cannot check a counted figure", edition)


def _city_check(fig: pd.Series, densities: pd.DataFrame | None, editions: Mapping[str, str],
                derived: pd.DataFrame) -> Outcome:
    """Recompute a city's per-1,000 or per-square-mile figure from a city table."""
    row, edition, missing = _table_row(fig, densities, editions)
    if missing is not None or row is None:
        return missing or _none("no table row")
    source = row["source"]
    if fig["figure_id"] in set(derived["figure_id"]):
        d = derived.set_index("figure_id").loc[fig["figure_id"]]
        if pd.isna(row["people_per_sq_mi"]):
            return _none(f"{source} gives no population and area for {fig['entity']}", edition)
        rate = printed_interval(d["rate_text"])
        point = float(city_density(d["rate"], row["people_per_sq_mi"]))
        iv = propagate(city_density, [rate, interval_of(row, "people_per_sq_mi")])
        counted = (f" ({source}'s own camera count gives {fmt(row['stated_per_sq_mi'])})"
                   if row["basis"] == COUNTED else "")
        return Outcome(point, iv, f"{d['rate_text']} per 1,000 x {source}'s {count(row['population'])} people / "
                       f"{fmt(row['area_sq_mi'])} sq mi", edition, cause=DERIVED, note=counted)
    estimated = _estimated(row, edition)
    if estimated is not None:
        return estimated
    if fig["metric"] == "cameras_per_1000":
        if pd.isna(row["per_1000"]) or row.get("per_1000_basis") == "as printed":
            return _none(f"{source} gives no camera count or population for {fig['entity']}", edition)
        return Outcome(row["per_1000"], interval_of(row, "per_1000"),
                       f"{source}: {count(row['cameras'])} cameras / {count(row['population'])} people", edition)
    if pd.isna(row["stated_per_sq_mi"]):
        return _none(f"{source} gives no cameras per square mile for {fig['entity']}", edition)
    return Outcome(row["stated_per_sq_mi"], interval_of(row, "per_sq_mi"), f"{source} per square mile",
                   edition)


def _cities_analysed(fig: pd.Series, known: Known, densities: pd.DataFrame | None,
                     editions: Mapping[str, str]) -> Outcome:
    if densities is None:
        return _none("needs the city table of the same edition; none was loaded")
    same = [name for name, e in editions.items() if e == known.edition]
    if not same:
        listed = ", ".join(f"{n} ({e}, {densities.loc[densities['source'] == n, 'city'].nunique()} cities)"
                           for n, e in editions.items())
        return _none(f"the number of cities analysed belongs to the {known.edition} edition; the table loaded is "
                     f"another edition: {listed}", " + ".join(editions.values()), LATER_EDITION)
    n = float(densities[densities["source"].isin(same)]["city"].nunique())
    return Outcome(n, Interval(n, n), "number of cities in the table of the same edition", known.edition)


def _rank_check(fig: pd.Series, known: Known, densities: pd.DataFrame | None, editions: Mapping[str, str],
                derived: pd.DataFrame, figures: pd.DataFrame) -> Outcome:
    """A rank claim as published and under the national-rate rule (`helpers.analysis.rank_claims`)."""
    if densities is None:
        return _none(f"needs a city table; among the cities the article names it is number {own_rank(fig, figures)}")
    row, edition, missing = _table_row(fig, densities, editions)
    if missing is not None or row is None:
        return missing or _none("no table row")
    at = densities.index[densities["city"] == row["city"]][0]
    r = check_rank(str(fig["metric"]), int(known.value), densities, derived, at)
    shown = r.published or r.under_rule
    if shown is None:
        return _none(f"{row['source']} gives no value to rank {fig['entity']} by", edition)
    published = f"as published ({r.published_basis}) {r.published.words() if r.published else 'unranked'}"
    ruled = f"under the national-rate rule ({r.rule_basis}) {r.under_rule.words() if r.under_rule else 'unranked'}"
    return Outcome(float(shown.best), Interval(float(shown.best), float(shown.worst)), f"{row['source']} ranked",
                   edition, shown=f"{published}; {ruled}", verdict=r.verdict,
                   cause=DERIVED if r.verdict == HOLDS_UNDER_RULE else NO_CAUSE,
                   ranks=(r.published.text() if r.published else "", r.under_rule.text() if r.under_rule else ""))


# --- the audit ------------------------------------------------------------------------------------

CITY_METRICS = ("cameras_per_1000", "cameras_per_sq_mi")


def uses_table(fig: pd.Series) -> bool:
    """True for a figure checked against a city table: a city's rate or density, a rank, the cities analysed."""
    metric = str(fig["metric"])
    return ((metric in CITY_METRICS and fig["entity"] != "China") or metric == "cities_analysed"
            or metric.startswith("rank_"))


def reference_table(cities: pd.DataFrame | None, order: list[str] | None = None) -> str:
    """The table the claims audit checks against: the first of ``order`` (the tables in the order `city_tables`
    gives them) found in ``cities``, else the first source of ``cities``; '' without a city table."""
    if cities is None or not len(cities):
        return ""
    present = list(dict.fromkeys(cities["source"]))
    return next((name for name in order or [] if name in present), present[0])


def claims_audit(figures: pd.DataFrame, cities: pd.DataFrame | None = None,
                 approx_tolerance: float = APPROX_TOLERANCE, *, printed: pd.DataFrame | None = None,
                 editions: Mapping[str, str] | None = None, reference: str | None = None) -> pd.DataFrame:
    """One row per article figure: stated, what it is compared with, the table, recomputed (interval), verdict,
    cause, reason.

    ``cities``: the city tables (or None); ``printed``: their cells' printed texts (`density.printed_texts`);
    ``editions``: {table name: edition} (`table_editions`). With several tables, figures are checked against one,
    ``reference`` (default `reference_table`): its rows only, so ranks are taken within it; `table` names it in
    every row checked against a table (`claims_by_table` checks each table). Rows are grouped by cause, in the
    order of `CAUSES`.
    """
    known = known_figures(figures, approx_tolerance)
    editions = dict(editions) if editions is not None else table_editions(cities)
    loaded = frozenset(editions.values())
    reference = reference or reference_table(cities)
    if cities is not None and len(cities):
        cities = cities[cities["source"].eq(reference)]
        editions = {reference: editions.get(reference, table_edition(reference))}
    densities = city_densities(cities, printed) if cities is not None and len(cities) else None
    derived = derived_city_figures(figures)
    checks = {c.figure_id: c for c in ARTICLE_CHECKS}
    rows = []
    for _, fig in figures.iterrows():
        k = known[fig["figure_id"]]
        check = checks.get(fig["figure_id"])
        if check is not None and all(i in known for i in check.inputs):
            iv = propagate(check.formula, [known[i].interval for i in check.inputs])
            point = float(check.formula(*[known[i].value for i in check.inputs]))
            basis = check.basis.format(**{i: known[i].text for i in check.inputs})
            compared = " + ".join(dict.fromkeys(known[i].edition for i in check.inputs))
            agrees = k.interval.overlaps(iv)
            cause = (ONE_FORECAST if agrees else
                     IMPLIED_POPULATION if _explained_by_population(check, known, k.interval) else NO_CAUSE)
            out = Outcome(point, iv, basis, compared, identity=True, cause=cause)
        elif fig["metric"] in CITY_METRICS and fig["entity"] != "China":
            out = _city_check(fig, densities, editions, derived)
        elif fig["metric"] == "cities_analysed":
            out = _cities_analysed(fig, k, densities, editions)
        elif str(fig["metric"]).startswith("rank_"):
            out = _rank_check(fig, k, densities, editions, derived, figures)
        else:
            out = _none("no other figure or table measures it")
        row = _row(fig, k, out, loaded)
        if densities is not None and check is None and uses_table(fig):
            row["table"] = reference
        if row["verdict"] in (EDITION, UNQUOTED) and row["cause"] == NO_CAUSE:
            row["cause"] = LATER_EDITION
        rows.append(row)
    audit = pd.DataFrame(rows, columns=COLUMNS)
    order = audit["cause"].map({c: i for i, c in enumerate(CAUSES)})
    return audit.assign(_o=order).sort_values("_o", kind="mergesort").drop(columns="_o").reset_index(drop=True)


def claims_by_table(figures: pd.DataFrame, cities: pd.DataFrame | None, order: list[str],
                    approx_tolerance: float = APPROX_TOLERANCE, *, printed: pd.DataFrame | None = None,
                    editions: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Every figure checked against a city table (`uses_table`), against each table of ``order`` in turn: one
    row per (figure, table), `table` naming it, each table's ranks taken within that table alone."""
    if cities is None or not len(cities):
        return pd.DataFrame(columns=COLUMNS)
    editions = dict(editions) if editions is not None else table_editions(cities)
    parts = [claims_audit(figures, cities, approx_tolerance, printed=printed, editions=editions, reference=name)
             for name in order if cities["source"].eq(name).any()]
    rows = pd.concat(parts, ignore_index=True)
    rows = rows[rows["table"].ne("")]
    position = {name: i for i, name in enumerate(order)}
    ids = {fid: i for i, fid in enumerate(figures["figure_id"])}
    rows = rows.assign(_f=rows["figure_id"].map(ids), _t=rows["table"].map(position))
    return rows.sort_values(["_f", "_t"], kind="mergesort").drop(columns=["_f", "_t"]).reset_index(drop=True)


# --- causes, counts, captions ---------------------------------------------------------------------

def verdict_counts(audit: pd.DataFrame) -> dict[str, int]:
    """{verdict: rows} in the vocabulary's order, every verdict present (0 where none)."""
    counts = audit["verdict"].value_counts()
    return {v: int(counts.get(v, 0)) for v in VERDICTS}


def _pct_range(values: pd.Series) -> str:
    lo, hi = values.min(), values.max()
    return f"{lo:+.1%}" if math.isclose(lo, hi) else f"{lo:+.1%} to {hi:+.1%}"


def cause_statements(audit: pd.DataFrame, figures: pd.DataFrame,
                     approx_tolerance: float = APPROX_TOLERANCE) -> dict[str, str]:
    """One sentence per cause present in ``audit``, from the computed values: each cause is stated once here."""
    known = known_figures(figures, approx_tolerance)
    out: dict[str, str] = {}
    by = audit.groupby("cause", sort=False)
    groups = {c: g for c, g in by}
    if IMPLIED_POPULATION in groups:
        implied = implied_population_interval(known)
        rates = " and ".join(known[r].text for _, r in RATE_PAIRS)
        stated = known[POPULATION]
        if implied is not None:
            out[IMPLIED_POPULATION] = (
                f"The article's rates {rates} per 1,000 both divide the camera counts by about "
                f"{fmt(implied.middle)} people (the rounding of both pairs allows {fmt(implied.low)} to "
                f"{fmt(implied.high)}), not by the {stated.text} it states "
                f"({float(relative_difference(implied.middle, stated.value)):.1%} more): "
                f"{len(groups[IMPLIED_POPULATION])} verdicts follow from this one difference, "
                f"{len(RATE_PAIRS)} (count, population, rate) triples each inconsistent for it: "
                + " and ".join(f"({known[c].text}, {stated.text}, {known[r].text})" for c, r in RATE_PAIRS) + ".")
    if ONE_FORECAST in groups:
        ids = list(groups[ONE_FORECAST]["figure_id"])
        edition = known[ids[0]].edition  # the forecast: these rows and the figures of its edition they follow from
        checks = {c.figure_id: c for c in ARTICLE_CHECKS}
        ids += [i for f in ids if f in checks for i in checks[f].inputs if known[i].edition == edition]
        texts = ", ".join(known[f].text for f in dict.fromkeys(ids))
        out[ONE_FORECAST] = (f"{texts}: one IHS Markit forecast stated {len(dict.fromkeys(ids))} ways; each "
                             "follows from the others, so their agreement confirms the arithmetic, not the count.")
    if DERIVED in groups:
        g, ranks = _split_ranks(groups[DERIVED])
        checked = g[g["verdict"] != UNCHECKABLE]
        rate = derived_city_figures(figures)["rate_text"].iloc[0]
        text = (f"The edition the article quotes has no camera counts for these cities: each density is the national "
                f"rate {rate} per 1,000 x the city's people per square mile.")
        if len(checked):
            text += (f" Redone with the {checked['compared_with'].iloc[0]} edition's populations and areas, the rule "
                     f"gives {_pct_range(checked['relative_difference'])} of the printed figures: the method holds; "
                     "the inputs are another edition's.")
        if len(ranks):
            text += (f" {len(ranks)} rank claims hold only under this rule; the table as published ranks them "
                     + ", ".join(f"{r.entity} {r.rank_as_published.split(' of ')[0]} (claimed {r.value_text})"
                                 for r in ranks.itertuples()) + ".")
        out[DERIVED] = text
    if LATER_EDITION in groups:
        out[LATER_EDITION] = _later_edition(groups[LATER_EDITION])
    if NOTHING in groups:
        out[NOTHING] = (f"{len(groups[NOTHING])} figures have nothing loaded to be recomputed from: "
                        + ", ".join(groups[NOTHING]["figure_id"]) + ".")
    return out


def _split_ranks(g: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows of ``g`` that are values, and those that are rank claims."""
    rank = g["metric"].astype(str).str.startswith("rank_")
    return g[~rank], g[rank]


def _later_edition(g: pd.DataFrame) -> str:
    """The statement of the cause 'later edition': what an edition difference can and cannot show here."""
    quoted = ", ".join(sorted(set(g["edition"])))
    loaded = ", ".join(sorted({e for c in g["compared_with"] for e in c.split(" + ") if e}))
    text = f"The article quotes Comparitech's {quoted} edition; the table loaded is the {loaded} edition."
    differ, unquoted = g[g["verdict"] == EDITION], g[g["verdict"] == UNQUOTED]
    if len(differ):
        text += (f" {len(differ)} city figures differ between the two ({_pct_range(differ['relative_difference'])}),"
                 " and a loaded table of the quoted edition shows it: each difference dates the figure.")
    if len(unquoted):
        text += (f" {len(unquoted)} city figures differ from the loaded edition "
                 f"({_pct_range(unquoted['relative_difference'])}), but no table of the quoted edition is loaded: "
                 "whether they date the figure or fault it cannot be told.")
    if (g["verdict"] == UNCHECKABLE).any():
        text += (" A property of an edition, such as the number of cities it analysed, cannot be checked against "
                 "another.")
    return text


def causes_table(audit: pd.DataFrame, figures: pd.DataFrame,
                 approx_tolerance: float = APPROX_TOLERANCE) -> pd.DataFrame:
    """One row per cause: the verdicts it explains, the figures, and the statement (`cause_statements`)."""
    statements = cause_statements(audit, figures, approx_tolerance)
    rows = []
    for cause in CAUSES:
        g = audit[audit["cause"] == cause]
        if cause == NO_CAUSE or g.empty:
            continue
        rows.append({"cause": cause, "verdicts": "; ".join(f"{n} {v}" for v, n in g["verdict"].value_counts(
            sort=False).items()), "figures": ", ".join(g["figure_id"]), "statement": statements.get(cause, "")})
    return pd.DataFrame(rows, columns=["cause", "verdicts", "figures", "statement"])


def summary(audit: pd.DataFrame) -> str:
    """The verdict counts as one phrase: '7 consistent within rounding, 1 satisfies bound, ...'."""
    return ", ".join(f"{n} {v}" for v, n in verdict_counts(audit).items() if n)


def caption(audit: pd.DataFrame, figures: pd.DataFrame, approx_tolerance: float = APPROX_TOLERANCE) -> str:
    """The claims audit's caption: what it is, the verdict counts, and each cause stated once."""
    statements = cause_statements(audit, figures, approx_tolerance)
    causes = " ".join(f"[{c}] {statements[c]}" for c in CAUSES if c in statements and c != NOTHING)
    return (f"Every figure of the article against what it can be recomputed from, each side with its edition "
            f"(stated in the project's units: a share as a fraction). {table_sentence(audit)}Intervals come from "
            f"printed precision and agreement means overlap (docs/verdicts.md); a rank has no rounding: each rank "
            "claim is ranked as published and under the national-rate rule (both places shown) and holds, holds "
            f"only under the national-rate rule, or does not hold. {len(audit)} figures: "
            f"{summary(audit)}. Rows are grouped by cause: {causes}")


def table_sentence(audit: pd.DataFrame) -> str:
    """'City figures are checked against the table X (column table). ' naming the table(s) of ``audit``, or ''."""
    tables = [t for t in dict.fromkeys(audit["table"]) if t] if "table" in audit else []
    if not tables:
        return ""
    return (f"City figures and ranks are checked against the city table {' and '.join(tables)} (column table; the "
            "first of city_tables, claims_by_table checks every table), ranks within that table alone. ")


def implied_china_populations(figures: pd.DataFrame,
                              approx_tolerance: float = APPROX_TOLERANCE) -> pd.DataFrame:
    """Population of China implied by each (count, printed rate) pair and by both at once, beside the stated one."""
    known = known_figures(figures, approx_tolerance)
    rows = []
    for cameras, rate in RATE_PAIRS:
        iv = propagate(implied_population, [known[cameras].interval, known[rate].interval])
        rows.append({"basis": f"{known[cameras].text} cameras at {known[rate].text} per 1,000",
                     "population": float(implied_population(known[cameras].value, known[rate].value)),
                     "low": iv.low, "high": iv.high})
    both = implied_population_interval(known)
    if both is not None:
        rows.append({"basis": "both pairs at once (overlap)", "population": both.middle,
                     "low": both.low, "high": both.high})
    stated = known[POPULATION]
    rows.append({"basis": f"stated in the article ({stated.text})", "population": stated.value,
                 "low": stated.interval.low, "high": stated.interval.high})
    return pd.DataFrame(rows)
