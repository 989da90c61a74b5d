"""Interactive scenario explorer for notebook 03.

Sliders for China's camera count, the population assumption and the world-total rule recompute the
national rate, China's share, the rest of the world's rate and the Chinese cities' estimates with the
same helpers as the batch run (``helpers.analysis.scenarios``). Without ipywidgets, or without an interactive
frontend (papermill, nbconvert, an HTML export), ``explore`` displays the same quantities as tables:
every scenario of the file under both world-total rules.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, replace
from types import SimpleNamespace
from typing import Any

import pandas as pd

from helpers.analysis import scenarios
from helpers.analysis.scenarios import Scenario
from helpers.data.scenarios_file import ScenariosFile
from helpers.errors import ProjectError
from helpers.report.display import frontend_available, show
from helpers.report.table_views import QUANTITIES, View, quantity_labels

__all__ = ["Choice", "build_widget", "explore", "frontend_available", "summary"]

NUMBER = "number"  # the population option that takes a number of people
CITY_COLUMNS = ["city", "basis", "per_sq_mi", "per_km2"]


@dataclass(frozen=True)
class Choice:
    """One setting of the explorer: what a scenario run takes, the world-total rule included."""

    scenario: str  # a scenario of the file (its count and stated rate) or a new name
    china_cameras: float | None = None  # None: the scenario's own count
    population: object = None  # an assumption name of the file, a number of people, or None (the file's default)
    world_rule: str | None = None  # a key of scenarios.RULE_LABELS, or None (the file's rule)
    world_cameras: float | None = None  # None: the file's world total
    world_population: float | None = None  # None: the file's


def figure_values(figures: pd.DataFrame) -> dict[str, float]:
    """{figure_id: value} of the cleaned article figures, as notebook 03 builds it."""
    return dict(zip(figures["figure_id"], figures["value"], strict=True))


def resolve(choice: Choice, values: dict[str, float], spec: ScenariosFile) -> Scenario:
    """The scenario a choice stands for, resolved and checked by ``helpers.analysis.scenarios.resolve_scenario``."""
    return scenarios.resolve_scenario(choice.scenario, values, population=choice.population,
                                      china_cameras=choice.china_cameras, world_cameras=choice.world_cameras,
                                      world_population=choice.world_population, world_rule=choice.world_rule,
                                      spec=spec)


def national(s: Scenario) -> dict[str, float]:
    """China's count and population under ``s``, then ``helpers.analysis.scenarios.national_results`` (its rule)."""
    return {"china_cameras": s.china_cameras, "china_population": s.china_population,
            **scenarios.national_results(s)}


def chinese_cities(s: Scenario, figures: pd.DataFrame, cities: pd.DataFrame | None = None,
                   printed: pd.DataFrame | None = None) -> pd.DataFrame:
    """The Chinese cities' estimates under ``s`` (``helpers.analysis.scenarios.city_estimates``, as in notebook 03)."""
    est = scenarios.city_estimates(s, figures, cities, printed=printed)
    return est.loc[est["in_china"], CITY_COLUMNS].reset_index(drop=True)


def start_choice(start: Scenario | None, spec: ScenariosFile) -> Choice:
    """The choice that reproduces a run's scenario: its count, population, world inputs and rule."""
    if start is None:
        return Choice(scenario=next(iter(spec.scenarios)))
    own_count = start.name in spec.scenarios and start.stated_rate is not None
    named = start.population_assumption in spec.population_assumptions
    return Choice(scenario=start.name, china_cameras=None if own_count else start.china_cameras,
                  population=start.population_assumption if named else start.china_population,
                  world_rule=start.world_rule, world_cameras=start.world_cameras,
                  world_population=start.world_population)


def summary(figures: pd.DataFrame, spec: ScenariosFile, cities: pd.DataFrame | None = None,
            printed: pd.DataFrame | None = None, start: Scenario | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The explorer as tables: (the national results of every scenario under both world-total rules,
    the Chinese cities' cameras per square mile with one column per scenario)."""
    values = figure_values(figures)
    base = start_choice(start, spec)
    names = list(spec.scenarios)
    choices = [replace(base, scenario=n, china_cameras=None) for n in names]
    if base.scenario not in names or base.china_cameras is not None:  # the run's own count, when it is new
        choices.append(base)
    rows, city_table = [], None
    for choice in choices:
        resolved, name = None, choice.scenario
        for rule, label in scenarios.RULE_LABELS.items():
            try:
                s = resolve(replace(choice, world_rule=rule), values, spec)
                results = national(s)
            except ProjectError:  # more cameras in China than in the world, world total fixed
                continue
            resolved = s
            if choice.china_cameras is not None:
                name = f"{s.name} ({s.china_cameras / 1e6:,.0f}M)"
            rows.append({"scenario": name, "world_rule": label, "population_assumption": s.population_assumption,
                         **results})
        if resolved is None:
            continue
        est = chinese_cities(resolved, figures, cities, printed).rename(columns={"per_sq_mi": name})
        est = est[["city", "basis", name]]
        city_table = est if city_table is None else city_table.merge(est, on=["city", "basis"], how="left",
                                                                     sort=False, validate="one_to_one")
    return pd.DataFrame(rows), city_table


NATIONAL_VIEW = View(columns=("quantity", "value"), headers={"value": "Value"}, derive=quantity_labels,
                     needs=("quantity",), rows_by={"quantity_key": ("value",)})
CITY_VIEW = View(columns=tuple(CITY_COLUMNS))
SLIDER = {"layout": {"width": "480px"}, "style": {"description_width": "8em"}}  # >= 400 px of track
TYPED = {"layout": {"width": "9em"}}  # the typed entry beside each slider


def summary_line(s: Scenario, results: dict[str, float]) -> str:
    """One sentence of the explorer's headline numbers, as HTML."""
    return (f"<p><b>{s.china_cameras / 1e6:,.0f} million cameras / {s.china_population / 1e9:,.4f} billion people = "
            f"{results['china_per_1000']:,.1f} per 1,000</b> in China · China's share of the world's cameras "
            f"{results['china_share_of_world']:.3f} · the rest of the world {results['rest_of_world_per_1000']:,.1f} "
            f"per 1,000 · China / rest {results['china_to_rest_ratio']:,.2f} (UN WPP 2022 both)</p>")


def national_html(national_values: dict[str, float]) -> str:
    """The national quantities as a styled table (`helpers.report.display.show`)."""
    frame = pd.DataFrame({"quantity": list(national_values), "value": list(national_values.values())})
    return show(frame, view=NATIONAL_VIEW)._repr_html_()


def cities_html(cities_table: pd.DataFrame) -> str:
    """The Chinese cities' estimates as a styled table (`helpers.report.display.show`)."""
    return show(cities_table, view=CITY_VIEW, title=None, none="none in this run")._repr_html_()


def _linked(slider: Any, lower: float, upper: float) -> Any:
    """A BoundedFloatText kept equal to ``slider`` (both ways, in the kernel, so it works without a frontend too)."""
    import ipywidgets as w

    typed = w.BoundedFloatText(value=slider.value, min=lower, max=upper, step=slider.step, **TYPED)
    w.link((slider, "value"), (typed, "value"))
    return typed


def _snapped(slider: Any, decimals: int) -> None:
    """Keep ``slider`` at its step: a frontend's key press can send 700.9999999999999 for 701."""
    def snap(change: dict) -> None:
        value = round(change["new"], decimals)
        if value != change["new"]:
            slider.value = value

    slider.observe(snap, names="value")


def build_widget(figures: pd.DataFrame, spec: ScenariosFile, cities: pd.DataFrame | None = None,
                 printed: pd.DataFrame | None = None, start: Scenario | None = None) -> Any:
    """The ipywidgets explorer starting at ``start``'s scenario: the controls first (sliders with a typed entry
    each), a one-line summary, the national table, and the Chinese cities in an Accordion, collapsed. The box's
    ``parts`` names every widget (tests, and anyone building on it)."""
    import ipywidgets as w

    values = figure_values(figures)
    first = start_choice(start, spec)
    first_scenario = resolve(first, values, spec)
    names = list(spec.scenarios)
    counts = {n: scenarios.resolve_scenario(n, values, spec=spec).china_cameras for n in names}
    top = round(max(*counts.values(), first_scenario.china_cameras, first_scenario.world_cameras) * 1.2 / 1e6)
    assumptions = list(spec.population_assumptions)
    first_population = spec.defaults.population if first.population is None else first.population
    named = isinstance(first_population, str) and first_population in assumptions

    scenario = w.Dropdown(options=names if first.scenario in names else [*names, first.scenario],
                          value=first.scenario, description="start from", style=SLIDER["style"])
    cameras = w.FloatSlider(value=round(first_scenario.china_cameras / 1e6), min=1.0, max=top, step=1.0,
                            description="China (million)", readout=False, continuous_update=False, **SLIDER)
    cameras_typed = _linked(cameras, 1.0, top)
    population = w.ToggleButtons(options=[*assumptions, NUMBER], value=first_population if named else NUMBER,
                                 description="population", style=SLIDER["style"])
    people = w.FloatSlider(value=first_scenario.china_population / 1e9, min=1.0, max=2.0, step=0.0005,
                           description="people (billion)", readout=False, disabled=named, continuous_update=False,
                           **SLIDER)
    people_typed = _linked(people, 1.0, 2.0)
    rule = w.ToggleButtons(options=[(label, key) for key, label in scenarios.RULE_LABELS.items()],
                           value=first_scenario.world_rule, description="world total", style=SLIDER["style"])
    _snapped(cameras, 0)  # before the observers below, which then see the value on its step
    _snapped(people, 4)
    headline, national_table, cities_table = w.HTML(), w.HTML(), w.HTML()
    city_box = w.Accordion(children=[cities_table], selected_index=None)

    def choice() -> Choice:
        own = counts.get(scenario.value)
        same = own is not None and round(own / 1e6) == cameras.value
        return replace(first, scenario=scenario.value, world_rule=rule.value,
                       china_cameras=None if same else cameras.value * 1e6,
                       population=people.value * 1e9 if population.value == NUMBER else population.value)

    def update(_: object = None) -> None:
        people.disabled = people_typed.disabled = population.value != NUMBER
        try:
            s = resolve(choice(), values, spec)
            results = national(s)
            est = chinese_cities(s, figures, cities, printed)
        except ProjectError as exc:  # e.g. more cameras in China than in the world, world total fixed
            headline.value = f"<p><b>Not possible:</b> {html.escape(str(exc))}</p>"
            national_table.value = cities_table.value = ""
            return
        headline.value = summary_line(s, results)
        national_table.value = national_html(results)
        cities_table.value = cities_html(est)
        city_box.set_title(0, f"Chinese cities: cameras per sq mi and per km² ({len(est):,} rows)")

    def jump(_: object = None) -> None:
        if scenario.value in counts:
            cameras.value = round(counts[scenario.value] / 1e6)
        update()

    scenario.observe(jump, names="value")
    for control in (cameras, population, people, rule):
        control.observe(update, names="value")
    update()
    box = w.VBox([scenario, w.HBox([cameras, cameras_typed]), population, w.HBox([people, people_typed]), rule,
                  headline, national_table, city_box])
    box.parts = SimpleNamespace(scenario=scenario, cameras=cameras, cameras_typed=cameras_typed,
                                population=population, people=people, people_typed=people_typed, rule=rule,
                                headline=headline, national=national_table, cities=cities_table, city_box=city_box)
    return box


def explore(figures: pd.DataFrame, spec: ScenariosFile, cities: pd.DataFrame | None = None, *,
            printed: pd.DataFrame | None = None, start: Scenario | None = None, widgets: bool | None = None) -> None:
    """Display the scenario explorer: widgets in an interactive frontend, tables otherwise.

    ``printed`` and ``start`` are notebook 03's (``read_printed``, the run's scenario); ``widgets``: None
    decides by ``frontend_available()``, True or False forces one or the other.
    """
    from IPython.display import display

    if widgets is None:
        widgets = frontend_available()
    if widgets:
        display(build_widget(figures, spec, cities, printed, start))
        return
    national_table, city_table = summary(figures, spec, cities, printed, start)
    print("Scenario explorer as tables (no interactive frontend here): every scenario under both world-total "
          "rules, then the Chinese cities' cameras per square mile by scenario.")
    display(show(national_table, view=View(headers={**QUANTITIES, "world_rule": "World total",
                                                    "population_assumption": "Population assumption"}),
                 title="Every scenario under both world-total rules"))
    names = [c for c in (city_table.columns if city_table is not None else []) if c not in CITY_COLUMNS]
    display(show(city_table if city_table is not None else pd.DataFrame(), view=View(verbatim=True),
                 caps={n: 0 for n in names}, title="Chinese cities: cameras per square mile by scenario"))
