"""Why a figure of notebook 02 is not drawn: one sentence each, from what the reference table's rows hold.

A figure that cannot be drawn says so in the notebook with the real reason (the column the table lacks, the rows
that are estimated rather than counted, how few cities qualify), never a general "no data": `not_drawn`.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from helpers.analysis.density import COUNTED

WHAT = {"cameras": "camera counts", "population": "populations", "stated_per_sq_mi": "cameras per square mile",
        "stated_per_1000": "rates per 1,000 people"}


def _cities(n: int) -> str:
    return f"{n:,} {'city' if n == 1 else 'cities'}"


def _lacking(rows: pd.DataFrame, columns: tuple[str, ...]) -> list[str]:
    """What of ``columns`` (as `WHAT` words them) no row of ``rows`` has."""
    return [WHAT[c] for c in columns if c in rows and rows[c].isna().all()]


def _no_rate(rows: pd.DataFrame, ref: str) -> str:
    """Why no row of ``ref`` has a rate per 1,000 people (printed, or cameras / population)."""
    missing = _lacking(rows, ("cameras", "population"))
    return (f"{ref} gives no rate per 1,000 people: it prints none, and its rows have no "
            f"{' and no '.join(missing) or 'camera count and population in the same row'} to compute one from")


def _ranking(rows: pd.DataFrame, ref: str) -> str:
    rated = rows["per_1000"].notna()
    if not rated.any():
        return _no_rate(rows, ref)
    if not (rated & rows["basis"].eq(COUNTED)).any():
        return (f"every row of {ref} with a rate per 1,000 people ({_cities(int(rated.sum()))}) is estimated from "
                "one national rate, and only counted rows are ranked")
    return f"no counted row of {ref} has a rank per 1,000 people"


def _rates_compared(rows: pd.DataFrame, ref: str) -> str:
    rate, area_rate = rows["per_1000"] > 0, rows["per_sq_mi"] > 0
    if not rate.any():
        return _no_rate(rows, ref)
    if not area_rate.any():
        missing = _lacking(rows, ("stated_per_sq_mi",))
        return f"{ref} gives no cameras per square mile" + (" (no such column or no value in it)" if missing else "")
    both = rate & area_rate
    n, counted = int(both.sum()), int((both & rows["basis"].eq(COUNTED)).sum())
    if n > counted:
        return (f"{_cities(n)} of {ref} {'has' if n == 1 else 'have'} both rates, but {counted:,} of them "
                f"{'is' if counted == 1 else 'are'} counted (the others are estimated from one national rate); two "
                "counted cities are needed")
    return (f"only {_cities(n)} of {ref} {'has' if n == 1 else 'have'} both a rate per 1,000 people and one per "
            "square mile; two are needed")


def _areas(rows: pd.DataFrame, ref: str) -> str:
    missing = _lacking(rows, ("cameras", "stated_per_sq_mi"))
    if missing:
        return (f"an implied area is cameras / cameras per square mile, and the rows of {ref} have no "
                f"{' and no '.join(missing)} (the cleaning log has one area_not_derivable entry for it)")
    n = int(rows["area_sq_mi"].notna().sum())
    return (f"only {_cities(n)} of {ref} {'has' if n == 1 else 'have'} both a positive camera count and cameras "
            "per square mile, which an implied area needs; two are needed (each other row is an area_not_derivable "
            "entry of the cleaning log)")


def _counted_vs_rule(rows: pd.DataFrame, ref: str, method: pd.DataFrame | None = None) -> str:
    china = rows[rows["country_code"].eq("CHN")]
    if china.empty:
        return f"{ref} has no Chinese city"
    missing = _lacking(china, ("cameras", "population", "stated_per_sq_mi"))
    if missing:
        return (f"the rule needs a Chinese city's people per square mile (population / implied area, the area from "
                f"cameras / cameras per square mile), and the Chinese rows of {ref} have no {' and no '.join(missing)}")
    if method is None or "method_per_sq_mi" not in method or method["method_per_sq_mi"].isna().all():
        named = ", ".join(method["city"]) if method is not None and len(method) else "none"
        return (f"none of the Chinese cities whose density the article derives from its national rate ({named}) "
                f"is a city of {ref} with people per square mile")
    people = china["people_per_sq_mi"].notna()
    if not (people & china["basis"].eq(COUNTED)).any():
        return (f"every Chinese row of {ref} with people per square mile is estimated from one national rate, so "
                "there is no counted density to set against the rule")
    return f"no counted Chinese city of {ref} has both a density of its own and people per square mile"


def _article_vs_table(rows: pd.DataFrame, ref: str, claims: pd.DataFrame, countries: pd.Series) -> str:
    """``claims``: the claims audit; ``countries``: each figure's country by figure_id."""
    rates = claims[claims["metric"].isin(RATE_METRICS) & claims["figure_id"].map(countries).ne("China")]
    if rates.empty:
        return "the article prints no figure per 1,000 people or per square mile for a place outside China"
    why = "; ".join(f"{r.figure_id}: {r.reason if isinstance(r.reason, str) and r.reason else r.verdict}"
                    for r in rates.head(3).itertuples())
    more = f"; and {len(rates) - 3} more" if len(rates) > 3 else ""
    return (f"none of the article's {len(rates)} figures per 1,000 people or per square mile outside China could be "
            f"recomputed from {ref} ({why}{more})")


def _editions(rows: pd.DataFrame, ref: str, first: str, last: str) -> str:
    return f"no city has a rate per 1,000 people in both {first} and {last}, the first and the last table"


RATE_METRICS = ("cameras_per_1000", "cameras_per_sq_mi")  # the claims audit's metrics article_vs_table draws
REASONS: dict[str, Callable[..., str]] = {
    "city_ranking_per_1000": _ranking, "per_1000_vs_per_sq_mi": _rates_compared, "implied_areas": _areas,
    "counted_vs_rule": _counted_vs_rule, "article_vs_table": _article_vs_table, "editions_per_1000": _editions,
}


ALSO = {"per_1000_vs_per_sq_mi": ["rank_per_1000_vs_per_sq_mi"]}  # figures drawn, or not, with another
CITY_FIGURES = ["city_ranking_per_1000", "per_1000_vs_per_sq_mi", "implied_areas"]  # need only a city table


def not_drawn(name: str | list[str], ranked: pd.DataFrame | None, reference: str | None, **context: object) -> str:
    """'The figure <name> is not drawn: <reason>.' for notebook 02; ``ranked``: every table's city densities
    (None without a city table), ``reference``: the table the figures draw; ``context``: what a reason needs
    beyond them (``method`` for counted_vs_rule, ``first`` and ``last`` for editions_per_1000). Without a city
    table, ``name`` may be a list: the figures that all need one."""
    names = [shown for n in ([name] if isinstance(name, str) else name) for shown in [n, *ALSO.get(n, [])]]
    if ranked is None or reference is None:
        reason = "no city table is loaded (city_tables is empty)"
    else:
        rows = ranked[ranked["source"].eq(reference)]
        reason = f"{reference} has no rows" if rows.empty else REASONS[names[0]](rows, reference, **context)
    shown = ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else names[0]
    return f"The figure{'s' if len(names) > 1 else ''} {shown} {'are' if len(names) > 1 else 'is'} not drawn: {reason}."
