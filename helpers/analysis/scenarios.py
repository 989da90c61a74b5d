"""Scenarios of China's camera count: definitions (data/raw/scenarios.yml), national arithmetic, city estimates.

One function per rule: `national_rate` (a scenario's cameras per 1,000 people), `world_total` (the world's
cameras under the named world-total rule), `helpers.analysis.density.city_density` (a city's cameras per square mile
from the national rate). Every table, figure and caption of notebooks 03 and 04 and the sensitivity step
goes through them, so a scenario has one Shenzhen number everywhere.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.analysis.density import (
    COUNTED,
    city_densities,
    city_density,
    derived_city_figures,
    implied_population,
    per_thousand,
)
from helpers.atomic import write_text
from helpers.data.names import match_keys
from helpers.data.scenarios_file import (
    REST_FIXED,
    WORLD_FIXED,
    WORLD_RULES,
    ScenariosFile,
    Value,
    load_spec,
    name_problem,
)
from helpers.data.units import per_sq_mi_to_per_km2
from helpers.errors import ParameterError
from helpers.params import number

RULE_LABELS = {WORLD_FIXED: "world total fixed", REST_FIXED: "rest of world fixed"}


@dataclass(frozen=True)
class Scenario:
    """Every number one scenario run rests on, resolved to floats."""

    name: str
    description: str
    year: int
    china_cameras: float
    china_population: float  # the population China's own rate divides by (the population assumption)
    population_assumption: str
    world_cameras: float  # the world total as given: it goes with the count of reference_cameras
    world_population: float  # UN: the world
    stated_rate: float | None  # the article's printed rate for this scenario, if any
    world_rule: str  # how the world total moves away from the reference scenario (scenarios_file.WORLD_RULES)
    reference_cameras: float  # China's count in the scenario the world total goes with
    un_china_population: float  # UN: China, from the same source as world_population


def _positive(name: str, override: object, value: Value | None, figures: dict[str, float]) -> float:
    """A parameter's value (checked: a number > 0), or else the file's ``value`` (validated when the file was read)."""
    if override is not None or value is None:
        return number(name, override, low=0, low_open=True)
    return value.resolve(figures)


def _check_name(name: object, defined: Mapping[str, object], china_cameras: object) -> None:
    problem = name_problem(name)
    if problem:
        raise ParameterError(f"parameter 'scenario': {problem}")
    if name not in defined and china_cameras is None:
        raise ParameterError(f"parameter 'scenario': unknown scenario {name!r}; valid names: "
                             f"{', '.join(defined)} (or pass china_cameras to define a new one)")


def resolve_scenario(name: str, figures: dict[str, float], *, population: object = None,
                     china_cameras: object = None, world_cameras: object = None, world_population: object = None,
                     world_rule: str | None = None, spec: ScenariosFile | None = None) -> Scenario:
    """The scenario ``name`` of the validated scenarios file (`load_spec`), with any parameter overrides applied.

    ``figures`` ({figure_id: value}, the cleaned article figures) gives the numbers of the file's {figure: id}
    values. A name that is not in the file is a user-defined scenario and needs ``china_cameras``.
    ``world_cameras`` overrides the world total that goes with the reference scenario's count; ``world_rule``
    the file's world-total rule. A parameter that breaks a rule raises ParameterError naming it.
    """
    spec = spec or load_spec()
    _check_name(name, spec.scenarios, china_cameras)
    entry = spec.scenarios.get(name)
    d = spec.defaults
    rule = d.world_total.rule if world_rule is None else world_rule
    if rule not in WORLD_RULES:
        raise ParameterError(f"world-total rule must be one of {', '.join(WORLD_RULES)}, got {rule!r}")
    cameras = _positive("china_cameras", china_cameras, entry.china_cameras if entry else None, figures)
    own_rate = entry.stated_rate if entry is not None and china_cameras is None else None  # a new count: none
    stated_rate = own_rate.resolve(figures) if own_rate is not None else None
    china_pop, label = _population(d.population if population is None else population, name, cameras, stated_rate,
                                   figures, spec)
    world = _positive("world_cameras", world_cameras, d.world_cameras, figures)
    reference = spec.scenarios[d.world_total.scenario].china_cameras.resolve(figures)
    if reference > world:
        raise ParameterError(f"world_cameras ({world:,.0f}) is below the count it goes with ({reference:,.0f})")
    if rule == WORLD_FIXED and cameras > world:
        raise ParameterError(f"china_cameras ({cameras:,.0f}) exceeds world_cameras ({world:,.0f}): "
                             f"China's share would be {cameras / world:.0%}, above 100%")
    world_pop = _positive("world_population", world_population, d.world_population, figures)
    un_china = d.un_china_population.resolve(figures)
    if max(china_pop, un_china) >= world_pop:
        raise ParameterError(f"world_population ({world_pop:,.0f}) must exceed China's population "
                             f"({max(china_pop, un_china):,.0f})")
    return Scenario(name, entry.description if entry else f"user-defined scenario {name!r}", d.year, cameras,
                    china_pop, label, world, world_pop, stated_rate, rule, reference, un_china)


def _population(assumption: object, name: str, cameras: float, stated_rate: float | None,
                figures: dict[str, float], spec: ScenariosFile) -> tuple[float, str]:
    """China's population under an assumption name of the file ('stated', 'implied'), or a number."""
    named = spec.population_assumptions
    if isinstance(assumption, str) and assumption in named:
        rule = named[assumption]
        if isinstance(rule, Value):
            return rule.resolve(figures), assumption
        if stated_rate is None:  # no printed rate of its own: the conservative scenario's pair
            cams, rate = spec.implied_pair(name, own=False)
            cameras, stated_rate = cams.resolve(figures), rate.resolve(figures)
        return float(implied_population(cameras, stated_rate)), assumption
    if isinstance(assumption, Value):  # the file's default population, a number
        return assumption.resolve(figures), "user value"
    try:
        return number("population", assumption, low=0, low_open=True), "user value"
    except ParameterError:
        if isinstance(assumption, str) and not re.match(r"^[\d.,eE+-]+$", assumption):
            raise ParameterError(f"parameter 'population' must be one of {', '.join(named)} or a number, "
                                 f"got {assumption!r}") from None
        raise


# --- the national rules -------------------------------------------------------------------------

def national_rate(s: Scenario) -> float:
    """China's cameras per 1,000 people under ``s``: its cameras over its population assumption."""
    return float(per_thousand(s.china_cameras, s.china_population))


def world_total(s: Scenario, rule: str | None = None) -> float:
    """The world's cameras under ``s`` and a world-total rule (default: the scenario's).

    world_fixed: the world total as given; rest_of_world_fixed: China's count plus the rest of the world of
    the reference scenario (the world total minus the count it goes with).
    """
    rule = s.world_rule if rule is None else rule
    if rule == WORLD_FIXED:
        return s.world_cameras
    if rule == REST_FIXED:
        return s.china_cameras + (s.world_cameras - s.reference_cameras)
    raise ParameterError(f"world-total rule must be one of {', '.join(WORLD_RULES)}, got {rule!r}")


def rest_of_world_population(s: Scenario) -> float:
    """The world's population minus China's, both from the one source of the scenarios file (UN WPP 2022)."""
    return s.world_population - s.un_china_population


def national_results(s: Scenario, rule: str | None = None) -> dict[str, float]:
    """China's rate, the world total, China's share of it (a fraction), the rest of the world's cameras,
    population and rate, and the ratio of the two rates, under a world-total rule (default: the scenario's).

    A ratio divides both rates by populations of one source. ``china_to_rest_ratio``: UN WPP 2022 on both sides
    (China's rate over the UN's China, the rest over the UN's world minus the UN's China). The alternative
    ``china_to_rest_ratio_scenario_population`` keeps the scenario's population of China on both sides: China's
    rate divides by it, and the rest of the world is the UN's world minus it."""
    world = world_total(s, rule)
    if s.china_cameras > world:
        raise ParameterError(f"china_cameras ({s.china_cameras:,.0f}) exceeds world_cameras ({world:,.0f}): "
                             f"China's share would be {s.china_cameras / world:.0%}, above 100%")
    rest_cameras = world - s.china_cameras
    rest_population = rest_of_world_population(s)
    china_rate = national_rate(s)
    rest_rate = float(per_thousand(rest_cameras, rest_population))
    china_un = float(per_thousand(s.china_cameras, s.un_china_population))
    rest_rate_own = float(per_thousand(rest_cameras, s.world_population - s.china_population))
    return {
        "china_per_1000": china_rate,
        "world_cameras": world,
        "china_share_of_world": s.china_cameras / world,
        "rest_of_world_cameras": rest_cameras,
        "rest_of_world_population": rest_population,
        "rest_of_world_per_1000": rest_rate,
        "china_per_1000_un": china_un,
        "china_to_rest_ratio": china_un / rest_rate if rest_rate else float("nan"),
        "rest_of_world_per_1000_scenario_population": rest_rate_own,
        "china_to_rest_ratio_scenario_population": china_rate / rest_rate_own if rest_rate_own else float("nan"),
    }


def national_by_rule(s: Scenario) -> dict[str, dict[str, float] | None]:
    """`national_results` under both world-total rules ({rule: results}, None where China exceeds the world)."""
    out: dict[str, dict[str, float] | None] = {}
    for rule in WORLD_RULES:
        try:
            out[rule] = national_results(s, rule)
        except ParameterError:
            out[rule] = None
    return out


UNITS = {"china_per_1000": "cameras per 1,000 people", "world_cameras": "cameras",
         "china_share_of_world": "fraction of the world's cameras", "rest_of_world_cameras": "cameras",
         "rest_of_world_population": "people (UN WPP 2022)", "rest_of_world_per_1000": "cameras per 1,000 people",
         "china_per_1000_un": "cameras per 1,000 people (UN WPP 2022)",
         "china_to_rest_ratio": "ratio of the two rates (UN WPP 2022 on both sides)",
         "rest_of_world_per_1000_scenario_population": "cameras per 1,000 people (UN world minus the scenario's China)",
         "china_to_rest_ratio_scenario_population": "ratio of the two rates (the scenario's China on both sides)"}


def national_table(s: Scenario) -> pd.DataFrame:
    """The national results side by side under both world-total rules: quantity, unit, one column per rule."""
    both = national_by_rule(s)
    rows = [{"quantity": q, "unit": unit,
             **{rule: (np.nan if both[rule] is None else both[rule][q]) for rule in WORLD_RULES}}
            for q, unit in UNITS.items()]
    return pd.DataFrame(rows)


def rates_by_population(figures: dict[str, float], counts: Mapping[str, object], spec: ScenariosFile) -> pd.DataFrame:
    """China's cameras per 1,000 (`national_rate`) for each scenario's count under each population assumption of
    the scenarios file (its population sources: stated, implied, UN WPP 2022, the statistics bureau...).

    ``counts``: {scenario name: camera count override or None (the file's count)}. Rows: scenario, china_cameras,
    population_source, china_population, china_per_1000, in the order given and the file's order of sources."""
    rows = []
    for name, cameras in counts.items():
        for source in spec.population_assumptions:
            s = resolve_scenario(name, figures, population=source, china_cameras=cameras, spec=spec)
            rows.append({"scenario": name, "china_cameras": s.china_cameras, "population_source": source,
                         "china_population": s.china_population, "china_per_1000": national_rate(s)})
    return pd.DataFrame(rows, columns=["scenario", "china_cameras", "population_source", "china_population",
                                       "china_per_1000"])


# --- cities -------------------------------------------------------------------------------------

ARTICLE_BASIS = "article's people per sq mi x national rate"
STATED_BASIS = "article, as stated"


def city_estimates(s: Scenario, figures: pd.DataFrame, cities: pd.DataFrame | None = None, *,
                   printed: pd.DataFrame | None = None) -> pd.DataFrame:
    """Cameras per square mile of Chinese cities under ``s`` (`density.city_density` at `national_rate`),
    beside the cities outside China as the article states them.

    The article's derived cities use the people per square mile their printed density implies (density /
    printed rate); with a city table, every Chinese city of it uses its population / implied area. A table
    row's own count-based density is shown (``counted_per_sq_mi``) only where it is counted.
    """
    rate = national_rate(s)
    derived = derived_city_figures(figures)
    stated = figures[(figures["metric"] == "cameras_per_sq_mi") & ~figures["figure_id"].isin(derived["figure_id"])]
    parts = [pd.DataFrame({
        "city": derived["city"], "country": derived["country"], "in_china": True, "basis": ARTICLE_BASIS,
        "upper_bound": False, "people_per_sq_mi": derived["implied_people_per_sq_mi"],
        "per_sq_mi": city_density(rate, derived["implied_people_per_sq_mi"]), "counted_per_sq_mi": np.nan}),
        pd.DataFrame({
        "city": stated["entity"], "country": stated["country"], "in_china": stated["country"].eq("China"),
        "basis": STATED_BASIS, "upper_bound": stated["qualifier"].eq("upper_bound"), "people_per_sq_mi": np.nan,
        "per_sq_mi": stated["value"].astype(float), "counted_per_sq_mi": np.nan})]
    if cities is not None and len(cities):
        dens = city_densities(cities, printed, country="CHN")
        chinese = dens[dens["people_per_sq_mi"].notna()]
        table = pd.DataFrame({
            "city": chinese["city"], "country": "China", "in_china": True,
            "basis": chinese["source"] + " population / area x national rate", "upper_bound": False,
            "people_per_sq_mi": chinese["people_per_sq_mi"],
            "per_sq_mi": city_density(rate, chinese["people_per_sq_mi"]),
            "counted_per_sq_mi": chinese["stated_per_sq_mi"].where(chinese["basis"] == COUNTED)})
        parts.append(table.sort_values(["per_sq_mi", "city"], ascending=[False, True], kind="mergesort"))
    out = pd.concat([p for p in parts if len(p)], ignore_index=True)
    out["per_km2"] = per_sq_mi_to_per_km2(out["per_sq_mi"])
    out["city_key"] = match_keys(out["city"])
    return out[["city", "country", "in_china", "basis", "upper_bound", "people_per_sq_mi", "per_sq_mi", "per_km2",
                "counted_per_sq_mi", "city_key"]]


def headline_city(figures: pd.DataFrame) -> str:
    """The city the article puts first among its derived densities (the highest printed one)."""
    derived = derived_city_figures(figures)
    if derived.empty:
        raise ParameterError("the article figures hold no city density derived from a national rate")
    return str(derived.sort_values("stated_per_sq_mi", ascending=False, kind="mergesort")["city"].iloc[0])


# --- results ------------------------------------------------------------------------------------

def jsonable(x: object) -> object:
    """``x`` with floats at 12 significant digits, for JSON files whose bytes do not change from run to run."""
    if isinstance(x, float | np.floating):
        return float(f"{float(x):.12g}")
    if isinstance(x, dict):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [jsonable(v) for v in x]
    return x


def write_results(folder: Path, s: Scenario, national: dict | None = None,
                  headline: dict[str, float] | None = None) -> Path:
    """results.json: the scenario's inputs, its national results under its rule and under both, and headline
    city estimates ({label: per sq mi}) (stable bytes)."""
    data = {"scenario": asdict(s), "national": national if national is not None else national_results(s),
            "national_by_rule": national_by_rule(s), "headline": headline or {}}
    return write_text(folder / "results.json", json.dumps(jsonable(data), indent=2, sort_keys=True) + "\n")


def read_results(scenario_dirs: dict[str, Path]) -> dict[str, dict]:
    """Each scenario's results.json, by name, from the folders the pipeline gives (never a glob)."""
    if not scenario_dirs:
        raise ParameterError("parameter 'scenario_dirs' names no scenario: data/raw/scenarios.yml defines none")
    out = {}
    for name, folder in scenario_dirs.items():
        path = Path(folder) / "results.json"
        if not path.is_file():
            raise ParameterError(f"parameter 'scenario_dirs': no results for scenario {name!r} ({path.name} missing "
                                 f"in its folder); run notebooks/03_scenarios.ipynb for it, or `make reproduce`")
        out[name] = json.loads(path.read_text(encoding="utf-8"))
    return out


# --- comparison (notebook 04) -------------------------------------------------------------------

COMPARED_INPUTS = ("china_cameras", "china_population", "stated_rate")
COMPARED_BY_RULE = ("world_cameras", "china_share_of_world", "rest_of_world_per_1000", "china_to_rest_ratio",
                    "china_to_rest_ratio_scenario_population")


def comparison_table(results: dict[str, dict], sensitivity: dict[str, dict]) -> pd.DataFrame:
    """One row per quantity, one column per scenario: the inputs, China's rate, each world-total quantity under
    both rules, each scenario's own sensitivity percentiles of the rate (NaN where a scenario has none), and
    the headline city estimates."""
    names = list(results)
    rows = [{"quantity": key, **{n: results[n]["scenario"].get(key) for n in names}} for key in COMPARED_INPUTS]
    rows.append({"quantity": "china_per_1000", **{n: results[n]["national"]["china_per_1000"] for n in names}})
    for rule in WORLD_RULES:
        for key in COMPARED_BY_RULE:
            rows.append({"quantity": f"{key} ({RULE_LABELS[rule]})",
                         **{n: (results[n]["national_by_rule"].get(rule) or {}).get(key, np.nan) for n in names}})
    for stat in ("p5", "p50", "p95"):
        rows.append({"quantity": f"china_per_1000 {stat} (sensitivity)",
                     **{n: sensitivity[n]["summary"]["china_per_1000"][stat] if n in sensitivity else np.nan
                        for n in names}})
    labels = list(dict.fromkeys(k for n in names for k in results[n].get("headline", {})))
    for label in labels:
        rows.append({"quantity": label, **{n: results[n].get("headline", {}).get(label, np.nan) for n in names}})
    return pd.DataFrame(rows)


def city_comparison(scenario_dirs: dict[str, Path]) -> pd.DataFrame:
    """Cities' per-square-mile estimates side by side, one column per scenario."""
    frames = []
    names = list(scenario_dirs)
    for name in names:
        est = pd.read_csv(Path(scenario_dirs[name]) / "city_estimates.csv")
        frames.append(est.assign(scenario=name))
    both = pd.concat(frames, ignore_index=True)
    wide = both.pivot_table(index=["city", "country", "in_china", "basis", "upper_bound"], columns="scenario",
                            values="per_sq_mi", sort=True).reset_index()
    wide.columns.name = None
    return wide[["city", "country", "in_china", "basis", "upper_bound", *names]]
