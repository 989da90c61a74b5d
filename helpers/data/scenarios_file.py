"""Validation of data/raw/scenarios.yml (pydantic v2): any mistake is one ConfigError line naming file, line and key
(`helpers.data.yaml_config`); `load_spec` returns the validated model (`ScenariosFile`) every reader of the file uses.

Deliberately light (no pandas, numpy or matplotlib): the batch runner calls it before anything runs.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, ValidationError, ValidationInfo

from helpers.data.checksums import verify
from helpers.data.values import parse_value_text
from helpers.data.yaml_config import Problem, fail, hint, pydantic_problems, raise_first, read_yaml, show
from helpers.errors import ConfigError, ParameterError
from helpers.paths import DATA_RAW, relative

SCENARIOS_FILE = DATA_RAW / "scenarios.yml"
FIGURES_FILE = DATA_RAW / "article_figures.csv"
POPULATIONS_FILE = DATA_RAW / "china_populations.csv"  # China's population sources, one row each
MAX_NAME_CHARS = 64  # a scenario name names output folders: short enough for any file system
# the whole name (re.fullmatch: no trailing newline slips through, as it would past "$")
SCENARIO_NAME = re.compile(rf"[A-Za-z0-9][A-Za-z0-9_-]{{0,{MAX_NAME_CHARS - 1}}}")
RESERVED_NAMES = frozenset({"common"})  # the batch runner's folder for steps shared by all scenarios
IMPLIED = "implied_by: stated_rate"  # what a population assumption {implied_by: stated_rate} validates to
CONSERVATIVE = "conservative"  # the scenario whose (cameras, stated_rate) an 'implied' population falls back to
REQUIRED_PERCENTILES = (5.0, 50.0, 95.0)  # helpers.analysis.scenarios.comparison_table reads p5, p50 and p95
MAX_DRAWS = 10_000_000  # the bound helpers.analysis.sensitivity.setup applies
WORLD_FIXED = "world_fixed"  # the world total stays; the rest of the world absorbs China's change
REST_FIXED = "rest_of_world_fixed"  # the rest of the world stays; the world total moves with China
WORLD_RULES = (WORLD_FIXED, REST_FIXED)
CITY_INPUTS = ("printed_rounding",)  # how city populations and areas are drawn (the only rule)


# --- value validators (each failure is a PydanticCustomError carrying its message and a sub-location) ------------

def _fmt(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:g}"


def _as_number(value: object, expected: str, *subloc: str | int) -> float:
    """A YAML number, or text such as "7.909e9" or "540,000,000" (YAML 1.1 reads 7.909e9 as text)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise fail(f"expected {expected}; got {show(value)}", *subloc)
    try:
        number = float(value.replace(",", "").strip()) if isinstance(value, str) else float(value)
    except ValueError:
        raise fail(f"expected {expected}; got {show(value)}", *subloc) from None
    if not math.isfinite(number):
        raise fail(f"expected a finite number; got {show(value)}", *subloc)
    return number


class Value(BaseModel):
    """A number of the file: typed in it, an article figure's (``figure`` names it, with its printed rounding), or a
    population source's of data/raw/china_populations.csv (``source`` names its row)."""

    model_config = ConfigDict(frozen=True)

    number: float
    figure: str | None = None
    source: str | None = None

    def resolve(self, figures: Mapping[str, float]) -> float:
        """The number; an article figure's as the cleaned article figures give it ({figure_id: value})."""
        if self.figure is None:
            return self.number
        if self.figure not in figures:
            raise ParameterError(f"article figure {self.figure!r} of data/raw/scenarios.yml is not among the "
                                 "cleaned article figures given; rerun the cleaning step")
        return float(figures[self.figure])


def _one_key(value: dict, keys: tuple[str, ...], expected: str) -> None:
    """A mapping of exactly one of ``keys``."""
    for key in value:
        if key not in keys:
            raise fail("unknown key" + hint(key, keys), str(key))
    if len(value) != 1:
        raise fail(f"expected {expected}; got {show(value)}")


def _figure(value: dict, info: ValidationInfo, expected: str, keys: tuple[str, ...] = ("figure",)) -> Value:
    """{figure: <id>} resolved from the article figures, whose value must be > 0."""
    _one_key(value, keys, expected)
    figure_id = value["figure"]
    figures: dict[str, float | str] = info.context["figures"]
    source = info.context["figures_file"]
    if not isinstance(figure_id, str):
        raise fail(f"expected a figure id from {source}; got {show(figure_id)}", "figure")
    if figure_id not in figures:
        raise fail(f"article figure {figure_id!r} is not in {source}" + hint(figure_id, figures, always=True),
                   "figure")
    resolved = figures[figure_id]
    if isinstance(resolved, str):
        raise fail(f"article figure {figure_id!r} in {source} is not a number: {resolved}", "figure")
    return _positive(Value(number=resolved, figure=figure_id))


def _source(value: dict, info: ValidationInfo, expected: str, keys: tuple[str, ...]) -> Value:
    """{source: <population_id>} resolved from data/raw/china_populations.csv (a row with a number)."""
    _one_key(value, keys, expected)
    source_id = value["source"]
    sources: dict[str, float | str] = info.context["populations"]
    where = info.context["populations_file"]
    if not isinstance(source_id, str) or source_id not in sources:
        raise fail(f"population source {show(source_id)} is not in {where}"
                   + hint(str(source_id), sources, always=True), "source")
    resolved = sources[source_id]
    if isinstance(resolved, str):
        raise fail(f"population source {source_id!r} in {where} has no number: {resolved}", "source")
    return _positive(Value(number=resolved, source=source_id))


def _positive(value: Value) -> Value:
    if value.number <= 0:
        origin = f" (article figure {value.figure!r})" if value.figure else ""
        raise fail(f"must be greater than 0; got {_fmt(value.number)}{origin}")
    return value


def _positive_value(value: object, info: ValidationInfo) -> Value:
    """A number > 0, or {figure: <id>} whose value is > 0."""
    expected = "a number, {figure: <id>} or {source: <population_id>}"
    if isinstance(value, dict):
        if "source" in value:
            return _source(value, info, expected, ("figure", "source"))
        return _figure(value, info, expected, ("figure", "source"))
    return _positive(Value(number=_as_number(value, expected)))


def _figure_value(value: object, info: ValidationInfo) -> Value:
    """{figure: <id>} only (its printed rounding is part of what it means), whose value is > 0."""
    if not isinstance(value, dict):
        raise fail(f"expected {{figure: <id>}} (the printed figure's rounding is used); got {show(value)}")
    return _figure(value, info, "{figure: <id>}")


def _population_rule(value: object, info: ValidationInfo) -> Value | str:
    """A population > 0, {figure: <id>}, {source: <population_id>}, or {implied_by: stated_rate} (IMPLIED)."""
    expected = "a number, {figure: <id>}, {source: <population_id>} or {implied_by: stated_rate}"
    keys = ("figure", "implied_by", "source")
    if not isinstance(value, dict):
        return _positive(Value(number=_as_number(value, expected)))
    if "source" in value:
        return _source(value, info, expected, keys)
    if "implied_by" not in value:
        return _figure(value, info, expected, keys)
    _one_key(value, keys, expected)
    if value["implied_by"] != "stated_rate":
        raise fail(f"expected 'stated_rate' (the only rule); got {show(value['implied_by'])}", "implied_by")
    return IMPLIED


def _population_choice(value: object) -> Value | str:
    """The default population: an assumption name (checked against population_assumptions later) or a number."""
    if isinstance(value, str):
        try:
            number = float(value.replace(",", "").strip())
        except ValueError:
            return value
        return _positive(Value(number=number)) if math.isfinite(number) else value
    return _positive(Value(number=_as_number(value, "a population assumption name or a number")))


def _whole(value: object, low: int, high: int | None = None) -> int:
    """A whole number in [low, high]: 10000, 1e4 or "10,000", but never 1.9 (refused, not truncated)."""
    number = _as_number(value, "a whole number")
    if not number.is_integer():
        raise fail(f"expected a whole number; got {show(value)}")
    if number < low or (high is not None and number > high):
        rule = f"at least {low:,}" if high is None else f"between {low:,} and {high:,}"
        raise fail(f"must be {rule}; got {_fmt(number)}")
    return int(number)


def _year(value: object) -> int:
    return _whole(value, 0)


def _seed(value: object) -> int:
    return _whole(value, 0)


def _draws(value: object) -> int:
    return _whole(value, 1, MAX_DRAWS)


def _fraction(value: object) -> float:
    number = _as_number(value, "a number between 0 and 1")
    if not 0 <= number <= 1:
        raise fail(f"must be between 0 and 1; got {_fmt(number)}")
    return number


def _spread(value: object) -> float:
    """A half-width as a fraction of the value, 0 <= x < 1 (at 1 the world total could be drawn as 0)."""
    number = _fraction(value)
    if number >= 1:
        raise fail(f"must be below 1 (the world total would reach 0); got {_fmt(number)}")
    return number


def _names(value: object) -> tuple[str, ...]:
    """Two or more population assumption names, each once (checked against population_assumptions later)."""
    if not isinstance(value, list) or len(value) < 2:  # a range needs two ends
        raise fail(f"expected a list of at least two population assumption names; got {show(value)}")
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise fail(f"expected a population assumption name; got {show(item)}", i)
        if item in value[:i]:
            raise fail(f"population assumption {item!r} is named twice", i)
    return tuple(value)


def _percentiles(value: object) -> tuple[float, ...]:
    if not isinstance(value, list) or not value:
        raise fail(f"expected a list of percentiles between 0 and 100; got {show(value)}")
    out: list[float] = []
    for i, item in enumerate(value):
        p = _as_number(item, "a percentile between 0 and 100", i)
        if not 0 <= p <= 100:
            raise fail(f"percentile must be between 0 and 100; got {_fmt(p)}", i)
        if out and p <= out[-1]:
            raise fail(f"percentiles must increase; {_fmt(p)} follows {_fmt(out[-1])}", i)
        out.append(p)
    missing = [p for p in REQUIRED_PERCENTILES if p not in out]
    if missing:
        raise fail(f"must include {', '.join(_fmt(p) for p in REQUIRED_PERCENTILES)} (notebook 04 compares them); "
                    f"missing {', '.join(_fmt(p) for p in missing)}")
    return tuple(out)


def _choice(options: tuple[str, ...], what: str) -> Callable[[object], str]:
    """A validator accepting one of ``options`` (suggesting the closest otherwise)."""

    def check(value: object) -> str:
        if not isinstance(value, str) or value not in options:
            raise fail(f"unknown {what} {show(value)}" + hint(value, options, always=True))
        return value

    return check


def _text(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise fail(f"expected a scenario name; got {show(value)}")
    return value


def name_problem(value: object) -> str | None:
    """What is wrong with ``value`` as a scenario name (it names the scenario's output folders), or None."""
    if not isinstance(value, str) or not SCENARIO_NAME.fullmatch(value):
        return (f"a scenario name must be 1 to {MAX_NAME_CHARS} characters, start with a letter or digit and contain "
                f"only letters, digits, '_' or '-'; got {show(value)}")
    if value in RESERVED_NAMES:
        return f"{value!r} is reserved (the runner's folder for shared steps); choose another scenario name"
    return None


def _scenario_name(value: object) -> str:
    problem = name_problem(value)
    if problem:
        raise fail(problem)
    return str(value)


def _name(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise fail(f"a population assumption name must be text; got {show(value)}")
    return value


PositiveValue = Annotated[Value, PlainValidator(_positive_value)]
FigureValue = Annotated[Value, PlainValidator(_figure_value)]
OptionalPositiveValue = Annotated[Value | None, PlainValidator(_positive_value)]
PopulationRule = Annotated[Value | str, PlainValidator(_population_rule)]


# --- the file's structure ------------------------------------------------------------------------

class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WorldTotal(_Strict):
    """Which scenario the world total goes with, and how it moves under the others."""

    scenario: Annotated[str, PlainValidator(_text)]
    rule: Annotated[str, PlainValidator(_choice(WORLD_RULES, "world-total rule"))]


class Defaults(_Strict):
    """Values every scenario shares."""

    year: Annotated[int, PlainValidator(_year)]
    world_cameras: PositiveValue
    world_total: WorldTotal
    world_population: PositiveValue
    un_china_population: PositiveValue
    population: Annotated[Value | str, PlainValidator(_population_choice)]  # an assumption name or a number


class Scenario(_Strict):
    """One scenario of China's camera count."""

    china_cameras: PositiveValue
    stated_rate: OptionalPositiveValue = None
    description: str = ""


class CameraRange(_Strict):
    """China's camera count as the forecast's share of its world total, both drawn (docs/analysis.md): the share
    uniform within its printed rounding, the world total triangular with its peak at the printed value and zero
    at +-``world_spread`` (a fraction of it)."""

    share: FigureValue
    world: FigureValue
    world_spread: Annotated[float, PlainValidator(_spread)]


class Sensitivity(_Strict):
    """How the seeded Monte Carlo draws are made, input by input."""

    seed: Annotated[int, PlainValidator(_seed)]
    draws: Annotated[int, PlainValidator(_draws)]
    percentiles: Annotated[tuple[float, ...], PlainValidator(_percentiles)]
    cameras: CameraRange
    population_between: Annotated[tuple[str, ...], PlainValidator(_names)]
    city_inputs: Annotated[str, PlainValidator(_choice(CITY_INPUTS, "city-input rule"))]


class ScenariosFile(_Strict):
    """data/raw/scenarios.yml, validated: every number a `Value` (an article figure's keeps its id)."""

    defaults: Defaults
    population_assumptions: dict[Annotated[str, PlainValidator(_name)], PopulationRule] = Field(
        description="assumption name -> number, {figure: <id>} or {implied_by: stated_rate}")
    scenarios: dict[Annotated[str, PlainValidator(_scenario_name)], Scenario] = Field(
        description="scenario name -> {china_cameras, stated_rate, description}")
    sensitivity: Sensitivity

    def implied_pair(self, name: str, *, own: bool = True) -> tuple[Value, Value]:
        """The (cameras, printed rate) an 'implied' population of scenario ``name`` divides: its own when ``own``
        and it has a stated_rate, else the conservative scenario's (the file is checked to have one then)."""
        entry = self.scenarios.get(name)
        if own and entry is not None and entry.stated_rate is not None:
            return entry.china_cameras, entry.stated_rate
        base = self.scenarios.get(CONSERVATIVE)
        if base is None or base.stated_rate is None:
            raise ParameterError(f"population 'implied' needs a printed rate: scenario {name!r} has none of its own "
                                 "and data/raw/scenarios.yml has no 'conservative' scenario with a stated_rate")
        return base.china_cameras, base.stated_rate


# --- rules across sections (after the structure is valid) ---------------------------------------

def _unknown(loc: tuple[str | int, ...], what: str, name: str, options: Iterable[str], *, always: bool = False,
             tail: str = "") -> Problem:
    return loc, f"unknown {what} {name!r}" + hint(name, options, always=always) + tail


def _name_checks(spec: ScenariosFile) -> list[Problem]:
    """Names one section gives that another must define."""
    problems: list[Problem] = []
    named, scenarios, d = spec.population_assumptions, spec.scenarios, spec.defaults
    if not scenarios:
        problems.append((("scenarios",), "at least one scenario is needed"))
    if isinstance(d.population, str) and d.population not in named:
        problems.append(_unknown(("defaults", "population"), "population assumption", d.population, named,
                                 tail=" (or give a number)"))
    for i, name in enumerate(spec.sensitivity.population_between):
        if name not in named:
            problems.append(_unknown(("sensitivity", "population_between", i), "population assumption", name, named))
    if scenarios and d.world_total.scenario not in scenarios:
        problems.append(_unknown(("defaults", "world_total", "scenario"), "scenario", d.world_total.scenario,
                                 scenarios, always=True))
    return problems


def _count_checks(spec: ScenariosFile) -> list[Problem]:
    """Counts and shares that cannot exceed what they are part of."""
    problems: list[Problem] = []
    d = spec.defaults
    world, china_un = d.world_population.number, d.un_china_population.number
    if china_un >= world:
        problems.append((("defaults", "un_china_population"),
                         f"un_china_population ({_fmt(china_un)}) must be below world_population ({_fmt(world)})"))
    share = spec.sensitivity.cameras.share.number
    if share > 100:
        problems.append((("sensitivity", "cameras", "share"),
                         f"a share in percent must be at most 100; got {_fmt(share)}"))
    cameras = d.world_cameras.number
    for name, s in spec.scenarios.items():
        if s.china_cameras.number > cameras:
            problems.append((("scenarios", name, "china_cameras"),
                             f"china_cameras ({_fmt(s.china_cameras.number)}) exceeds world_cameras ({_fmt(cameras)}):"
                             f" China's share would be {s.china_cameras.number / cameras:.0%}, above 100%"))
    return problems


def _implied(spec: ScenariosFile) -> list[str]:
    return [n for n, rule in spec.population_assumptions.items() if rule == IMPLIED]


def _fallback_checks(spec: ScenariosFile) -> list[Problem]:
    """An 'implied' population without a scenario's own stated_rate needs the conservative scenario's pair."""
    implied = _implied(spec)
    without_rate = [n for n, s in spec.scenarios.items() if s.stated_rate is None]
    between = [n for n in implied if n in spec.sensitivity.population_between]
    if not implied or not (without_rate or between):
        return []
    fallback = (f"population assumption {(between or implied)[0]!r} falls back to the conservative scenario's "
                "cameras and stated_rate")
    base = spec.scenarios.get(CONSERVATIVE)
    if base is None:
        who = (f"scenario {without_rate[0]!r} has no stated_rate" if without_rate
               else f"sensitivity.population_between names {between[0]!r}")
        return [(("scenarios",), f"scenario 'conservative' is required: {who}, and {fallback}")]
    if base.stated_rate is None:
        return [(("scenarios", CONSERVATIVE), f"needs a stated_rate: {fallback}")]
    return []


def _population_checks(spec: ScenariosFile) -> list[Problem]:
    """China's population under each assumption (for each scenario, when implied) must stay below the world's."""
    d = spec.defaults
    pops = [("defaults.population", d.population.number)] if isinstance(d.population, Value) else []
    base = spec.scenarios.get(CONSERVATIVE)
    for assumption, rule in spec.population_assumptions.items():
        if isinstance(rule, Value):
            pops.append((f"population assumption {assumption!r}", rule.number))
            continue
        for name, s in spec.scenarios.items():
            pair = s if s.stated_rate is not None else base
            if pair is not None and pair.stated_rate is not None:
                pops.append((f"population assumption {assumption!r} for scenario {name!r}",
                             pair.china_cameras.number / pair.stated_rate.number * 1000))
    world = d.world_population.number
    return [(("defaults", "world_population"), f"world_population ({_fmt(world)}) must exceed China's population "
             f"under {label} ({_fmt(pop)})") for label, pop in pops if pop >= world]


def _cross_checks(spec: ScenariosFile) -> list[Problem]:
    """Rules that relate sections: names, shares, the conservative fallback, populations."""
    return [*_name_checks(spec), *_count_checks(spec), *_fallback_checks(spec), *_population_checks(spec)]


# --- reading ------------------------------------------------------------------------------------

def _csv_rows(path: Path, value: str, columns: tuple[str, ...]) -> list[dict[str, str]]:
    """The rows of a raw CSV file scenarios.yml takes ``value`` values from; ConfigError when it cannot be read or
    lacks one of ``columns``."""
    where = relative(path)
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as exc:
        raise ConfigError(f"{where}: cannot be read ({exc.strerror or exc}); scenarios.yml takes its "
                          f"{value} values from it") from None
    if rows and not set(columns) <= set(rows[0]):
        raise ConfigError(f"{where}: expected columns {', '.join(columns[:-1])} and {columns[-1]}")
    return rows


def _read_figures(path: Path) -> dict[str, float | str]:
    """{figure_id: value} from article_figures.csv (a message instead of the value where it cannot be read)."""
    rows = _csv_rows(path, "{figure: <id>}", ("figure_id", "value_text"))
    figures: dict[str, float | str] = {}
    for row in rows:
        try:
            figures[(row["figure_id"] or "").strip()] = parse_value_text(row["value_text"]).value
        except ValueError as exc:
            figures[(row["figure_id"] or "").strip()] = str(exc)
    return figures


def read_populations(path: Path = POPULATIONS_FILE) -> dict[str, float | str]:
    """{population_id: value} of data/raw/china_populations.csv (a message where a row has no number: a population
    the article states or implies, which scenarios.yml takes as {figure: <id>} or {implied_by: stated_rate})."""
    rows = _csv_rows(path, "{source: <population_id>}",
                     ("population_id", "value_text", "figure_id", "source", "location"))
    out: dict[str, float | str] = {}
    for row in rows:
        key, text = (row["population_id"] or "").strip(), (row["value_text"] or "").strip()
        if not text:
            out[key] = f"it is the article's (figure {row['figure_id']!r})" if row["figure_id"] else "it is derived"
            continue
        try:
            out[key] = parse_value_text(text).value
        except ValueError as exc:
            out[key] = str(exc)
    return out


def load_spec(path: Path = SCENARIOS_FILE, figures_path: Path = FIGURES_FILE, *,
              verify_checksum: bool = True, populations_path: Path | None = None) -> ScenariosFile:
    """The scenarios file, checksum-verified and fully validated: the one check of its rules.

    Raises ConfigError (one line: file, line, dotted key, rule) for any mistake in the file, and
    ChecksumError (before parsing) when ``verify_checksum`` and the file differs from data/raw/SHA256SUMS.
    """
    path, figures_path = Path(path), Path(figures_path)
    # China's population sources live beside the article figures (data/raw/china_populations.csv)
    populations_path = Path(populations_path or figures_path.parent / POPULATIONS_FILE.name)
    if not path.is_file():
        raise ConfigError(f"{relative(path)}: file not found")
    if verify_checksum:
        verify(path)
        verify(populations_path)
    root, data = read_yaml(path, ScenariosFile)
    context = {"figures": _read_figures(figures_path), "figures_file": relative(figures_path),
               "populations": read_populations(populations_path), "populations_file": relative(populations_path)}
    try:
        spec = ScenariosFile.model_validate(data, context=context)
    except ValidationError as exc:
        problems, missing = pydantic_problems(exc.errors(include_url=False), ScenariosFile)
        raise_first(path, root, problems, missing=missing)
    problems = _cross_checks(spec)
    if problems:
        raise_first(path, root, problems)
    return spec


def scenario_names(spec: ScenariosFile | None = None) -> list[str]:
    """Names of the scenarios, in file order (of ``spec``, or of the validated data/raw/scenarios.yml)."""
    return list((spec if spec is not None else load_spec()).scenarios)
