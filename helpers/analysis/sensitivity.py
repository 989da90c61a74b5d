"""The sensitivity analysis, once per scenario: seeded Monte Carlo draws from the input distributions that
data/raw/scenarios.yml documents, city-level intervals, and a one-at-a-time (tornado) breakdown.

Inputs (each with its source in the scenarios file; the reasoning for each form in docs/analysis.md):
- China's camera count: the forecast's share (uniform within its printed rounding) of its world total
  (triangular around "approximately 1 billion"), drawn jointly (`camera_range`, `Cameras`);
- China's population, uniform: from the lowest to the highest population the named assumptions give for the
  scenario, each widened by the rounding of its printed figures (`population_range`);
- each city's population and area (the table's rounding) or the article's density and rate (their rounding), uniform.

Every stream of random numbers is seeded by the file's seed and its own name, so a draw does not depend
on the order of the cities, and every scenario sees the same uniform numbers (common random numbers: the
differences between scenarios are not sampling noise). The sensitivity step (`helpers.report.sensitivity_step`)
writes the results; notebooks 03 and 04 read them back with `read_for`. It records every input that shapes
its bands (`band_inputs`); `band_differences` is the one decision whether a run of notebook 03 may show them or
must compute its own (`as_written`, the same function, seed and draws).
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.analysis import scenarios
from helpers.analysis.audit import Known, fmt, known_figures
from helpers.analysis.density import (
    COUNTED,
    cell_intervals,
    city_densities,
    city_density,
    derived_city_figures,
    implied_population,
    per_thousand,
)
from helpers.analysis.scenarios import Scenario
from helpers.data.names import match_keys
from helpers.data.scenarios_file import MAX_DRAWS, REST_FIXED, ScenariosFile, Value
from helpers.data.values import Interval, printed_interval, propagate
from helpers.errors import ParameterError
from helpers.params import number
from helpers.paths import resolve

RATE = "china_per_1000"
BINS = 60  # of the histogram of China's drawn rate
CAMERAS, POPULATION = "China's camera count", "China's population"  # tornado inputs


def _stream(seed: int, name: str) -> np.random.Generator:
    """The random stream of the input ``name``: it depends on the seed and the name only."""
    return np.random.default_rng([seed, zlib.crc32(name.encode("utf-8"))])


@dataclass(frozen=True)
class Uniform:
    """A uniform input distribution, named (its random stream) and with its source in words."""

    name: str
    low: float
    high: float
    source: str

    def draw(self, seed: int, n: int) -> np.ndarray:
        """``n`` seeded draws; the stream depends on the seed and this input's name only."""
        return self.low + _stream(seed, self.name).random(n) * (self.high - self.low)


@dataclass(frozen=True)
class Triangular:
    """A triangular input distribution (density rising linearly from ``low`` to its peak at ``mode``, falling to
    zero at ``high``), named and with its source in words."""

    name: str
    low: float
    mode: float
    high: float
    source: str

    def quantile(self, u: np.ndarray) -> np.ndarray:
        """The inverse of the distribution function at ``u`` in [0, 1]."""
        width, left, right = self.high - self.low, self.mode - self.low, self.high - self.mode
        if width == 0:
            return np.full(np.shape(u), self.mode, dtype=float)
        cut = left / width  # the probability below the mode
        return np.where(u <= cut, self.low + np.sqrt(u * width * left),
                        self.high - np.sqrt((1 - np.asarray(u)) * width * right))

    def draw(self, seed: int, n: int) -> np.ndarray:
        """``n`` seeded draws: the quantile of uniform numbers from this input's own stream."""
        return self.quantile(_stream(seed, self.name).random(n))


@dataclass(frozen=True)
class Cameras:
    """China's camera count drawn as the forecast's share x its world total (docs/analysis.md): the drawn product
    over the printed one scales the scenario's count (and the count the world total goes with), so China's count,
    the world total and China's share of it come from the same draws.

    ``low``/``high``: the count at the ends of both inputs (the tornado's ends).
    """

    share: Uniform  # a fraction
    world: Triangular  # cameras
    share_value: float  # the printed share and world total, whose product the draws are relative to
    world_value: float
    count: float  # the scenario's count
    world_total: float  # the world total the scenario's reference count goes with
    reference: float  # that count
    rule: str  # the scenario's world-total rule
    source: str

    @property
    def low(self) -> float:
        return self.count * self.share.low * self.world.low / (self.share_value * self.world_value)

    @property
    def high(self) -> float:
        return self.count * self.share.high * self.world.high / (self.share_value * self.world_value)

    def draw(self, seed: int, n: int) -> pd.DataFrame:
        """China's count, the world total under the scenario's rule and China's share of it, ``n`` seeded draws."""
        share, world = self.share.draw(seed, n), self.world.draw(seed, n)
        factor = share * world / (self.share_value * self.world_value)
        cameras = self.count * factor
        world_total = self.world_total * world / self.world_value
        if self.rule == REST_FIXED:  # the rest of the world drawn with the forecast; China's count on top
            world_total = cameras + (world_total - self.reference * factor)
        return pd.DataFrame({"china_cameras": cameras, "world_cameras": world_total,
                             "china_share_of_world": cameras / world_total})


@dataclass(frozen=True)
class Setup:
    """How one scenario's draws are made."""

    scenario: str
    seed: int
    draws: int
    percentiles: tuple[float, ...]
    cameras: Cameras
    population: Uniform


def _interval(value: Value, known: Mapping[str, Known]) -> Interval:
    """The interval of a scenarios-file value: a figure's printed rounding, a plain number exactly."""
    if value.figure is not None:
        return known[value.figure].interval
    return Interval(value.number, value.number)


def camera_range(spec: ScenariosFile, known: Mapping[str, Known], s: Scenario) -> Cameras:
    """China's count: the forecast's share (uniform within its printed rounding) of its world total (triangular,
    peak at the printed value, zero at +-``world_spread``), both drawn; their product relative to the printed
    one applied to the scenario's count."""
    cfg = spec.sensitivity.cameras
    share, world = known[str(cfg.share.figure)], known[str(cfg.world.figure)]  # both {figure: <id>} in the file
    spread = cfg.world_spread
    shares = Uniform("china_share", share.interval.low, share.interval.high,  # "54 percent": its printed rounding
                     f"{share.text}: uniform within its printed rounding")
    worlds = Triangular("world_cameras", world.value * (1 - spread), world.value, world.value * (1 + spread),
                        f"{world.text}: triangular, peak at {fmt(world.value)}, zero at +-{spread:.0%}")
    out = Cameras(shares, worlds, share.value, world.value, s.china_cameras, s.world_cameras, s.reference_cameras,
                  s.world_rule, "")
    lo, hi = out.low / s.china_cameras, out.high / s.china_cameras
    return replace(out, source=f"{shares.source} x {worlds.source}: {lo:.4f} to {hi:.4f} times the count they "
                               f"give; applied to {fmt(s.china_cameras)}")


def population_range(spec: ScenariosFile, known: Mapping[str, Known], s: Scenario, *,
                     china_cameras: object = None) -> Uniform:
    """China's population: the hull of what each assumption of ``population_between`` gives for the scenario
    (widened by the rounding of its printed figures) and the scenario's own population."""
    parts = []
    for name in spec.sensitivity.population_between:
        rule = spec.population_assumptions[name]
        if isinstance(rule, Value):
            parts.append(_interval(rule, known))
        else:  # implied by a (cameras, printed rate) pair
            cams, rate = spec.implied_pair(s.name, own=china_cameras is None)
            parts.append(propagate(implied_population, [_interval(cams, known), _interval(rate, known)]))
    low = min([p.low for p in parts] + [s.china_population])
    high = max([p.high for p in parts] + [s.china_population])
    names = ", ".join(spec.sensitivity.population_between)
    return Uniform("china_population", low, high,
                   f"{names} populations, each widened by the rounding of its printed figures, and the "
                   f"scenario's {fmt(s.china_population)}: {fmt(low)} to {fmt(high)}")


def setup(spec: ScenariosFile, figures: pd.DataFrame, s: Scenario, *, seed: object = None, draws: object = None,
          china_cameras: object = None) -> Setup:
    """The draws of scenario ``s`` from the validated scenarios file (the parameters ``seed``/``draws`` override it)."""
    cfg = spec.sensitivity
    known = known_figures(figures)  # printed rounding; "approximately" is the world total's own distribution
    return Setup(
        scenario=s.name,
        seed=cfg.seed if seed is None else int(number("seed", seed, low=0)),
        draws=cfg.draws if draws is None else int(number("n_draws", draws, low=1, high=MAX_DRAWS)),
        percentiles=cfg.percentiles,
        cameras=camera_range(spec, known, s),
        population=population_range(spec, known, s, china_cameras=china_cameras),
    )


INPUT_COLUMNS = ["city", "basis", "a", "a_low", "a_high", "b", "b_low", "b_high", "scale", "a_name", "b_name"]
INTERVAL_CITIES = 200  # Monte Carlo intervals for at most this many table cities, the highest estimates

# --- cities ---------------------------------------------------------------------------------------

def city_inputs(s: Scenario, figures: pd.DataFrame, cities: pd.DataFrame | None = None,
                printed: pd.DataFrame | None = None) -> pd.DataFrame:
    """For every Chinese city the scenario estimates: people per square mile = a / b x scale, where
    (a, b) is the printed density and rate (article cities, scale 1,000) or the population and the implied
    area (table cities, scale 1), each with the interval of its printed rounding."""
    est = scenarios.city_estimates(s, figures, cities, printed=printed)
    rows = []
    for d in derived_city_figures(figures).itertuples():
        dens, rate = printed_interval(d.value_text), printed_interval(d.rate_text)
        rows.append({"city": d.city, "basis": scenarios.ARTICLE_BASIS, "a": d.stated_per_sq_mi, "a_low": dens.low,
                     "a_high": dens.high, "b": d.rate, "b_low": rate.low, "b_high": rate.high, "scale": 1000.0,
                     "a_name": f"printed density ({d.value_text})", "b_name": f"printed rate ({d.rate_text})"})
    parts = [pd.DataFrame(rows, columns=INPUT_COLUMNS)]
    if cities is not None and len(cities):
        parts.append(table_city_inputs(cities, printed))
    inputs = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else parts[0]
    keyed = est[est["basis"].isin(set(inputs["basis"]))][["city", "basis", "per_sq_mi"]]
    return keyed.merge(inputs, on=["city", "basis"], how="left", validate="one_to_one")


def table_city_inputs(cities: pd.DataFrame, printed: pd.DataFrame | None = None) -> pd.DataFrame:
    """`city_inputs` of a city table's Chinese cities, all at once: population over implied area, each with the
    interval of its printed rounding (the area's from the camera count and the stated density)."""
    dens = city_densities(cities, printed, country="CHN")
    dens = dens[dens["people_per_sq_mi"].notna()]
    iv = cell_intervals(dens, printed)  # it reindexes printed to dens' rows
    return pd.DataFrame({
        "city": dens["city"], "basis": dens["source"] + " population / area x national rate",
        "a": dens["population"], "a_low": iv["population_low"], "a_high": iv["population_high"],
        "b": dens["area_sq_mi"], "b_low": iv["cameras_low"] / iv["stated_per_sq_mi_high"],
        "b_high": iv["cameras_high"] / iv["stated_per_sq_mi_low"], "scale": 1.0,
        "a_name": "city population", "b_name": "city area"}, columns=INPUT_COLUMNS).reset_index(drop=True)


def _people(a: np.ndarray | float, b: np.ndarray | float, scale: float) -> np.ndarray | float:
    return a / b * scale


RULE_PERCENTILES = (5.0, 50.0, 95.0)  # of the cities' intervals with the rule's uncertainty (rule_p5, ...)


def rule_ratios(s: Scenario, cities: pd.DataFrame | None = None, printed: pd.DataFrame | None = None) -> np.ndarray:
    """The national-rate rule's own error where it can be seen: for every counted Chinese city of the tables, its
    counted cameras per square mile over the rule's (the scenario's rate x its people per square mile), sorted.
    A city in several tables with the same population and counted density counts once (a copy is no evidence)."""
    if cities is None or not len(cities):
        return np.empty(0)
    dens = city_densities(cities, printed, country="CHN")
    counted = dens[dens["basis"].eq(COUNTED) & dens["people_per_sq_mi"].gt(0) & dens["stated_per_sq_mi"].gt(0)]
    counted = counted.assign(_key=match_keys(counted["city"])).drop_duplicates(
        ["_key", "population", "stated_per_sq_mi"])
    rule = city_density(scenarios.national_rate(s), counted["people_per_sq_mi"])
    return np.sort((counted["stated_per_sq_mi"] / rule).to_numpy(dtype=float))


def with_rule_error(values: np.ndarray, ratios: np.ndarray, seed: int, names: list[str]) -> np.ndarray:
    """``values`` (a row of draws per city) each times a counted / rule ratio drawn with replacement from
    ``ratios``, from the city's own stream (`_stream`, named ``names``): what a count would give if the rule erred
    for the city as it errs for the counted ones."""
    picks = np.vstack([_stream(seed, f"rule:{n}").integers(0, len(ratios), values.shape[1]) for n in names])
    return values * ratios[picks]


# --- the draws ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Result:
    """What one scenario's sensitivity run produces."""

    draws: pd.DataFrame
    summary: pd.DataFrame
    cities: pd.DataFrame
    tornado: pd.DataFrame
    estimated: int = 0  # cities with an estimate; `cities` holds at most INTERVAL_CITIES of each table's
    ratios: tuple[float, ...] = ()  # the counted / rule ratios the rule's uncertainty is drawn from (`rule_ratios`)


def monte_carlo(st: Setup) -> pd.DataFrame:
    """Seeded draws of China's camera count and population and the resulting rate per 1,000, with the world
    total and China's share of it drawn jointly with the count (`Cameras`)."""
    cameras = st.cameras.draw(st.seed, st.draws)
    population = st.population.draw(st.seed, st.draws)
    return pd.DataFrame({"china_cameras": cameras["china_cameras"], "china_population": population,
                         RATE: per_thousand(cameras["china_cameras"].to_numpy(), population),
                         "world_cameras": cameras["world_cameras"],
                         "china_share_of_world": cameras["china_share_of_world"]})


def summarise(draws: pd.DataFrame, percentiles: tuple[float, ...]) -> pd.DataFrame:
    """Min, percentiles and max of every column of the draws."""
    qs = np.asarray(percentiles) / 100.0
    rows = {"min": draws.min(), **{f"p{p:g}": draws.quantile(q) for p, q in zip(percentiles, qs, strict=True)},
            "max": draws.max()}
    return pd.DataFrame(rows).rename_axis("quantity").reset_index()


def bounded(inputs: pd.DataFrame, top: int = INTERVAL_CITIES) -> pd.DataFrame:
    """The rows of ``inputs`` that get intervals: every article city, and for each table the ``top`` cities with
    the highest central estimate (ties by name); in their original order."""
    article = inputs["basis"].eq(scenarios.ARTICLE_BASIS)
    order = inputs.assign(_neg=-inputs["per_sq_mi"]).sort_values(["basis", "_neg", "city"], kind="mergesort")
    keep = order[~article.loc[order.index]].groupby("basis", sort=False).head(top).index
    return inputs[article | inputs.index.isin(keep)]


def city_intervals(st: Setup, rate: np.ndarray, inputs: pd.DataFrame,
                   ratios: np.ndarray | None = None) -> pd.DataFrame:
    """Percentiles of each city's cameras per square mile: the drawn national rate x its drawn people density;
    and, labelled ``rule_p5``/``rule_p50``/``rule_p95``, the same with the rule's own error (`with_rule_error`,
    from the counted / rule ``ratios``; NaN without counted cities).

    Each city's own streams (`Uniform.draw`) make a row of one matrix; the percentiles are taken row-wise at once.
    """
    rule_columns = [f"rule_p{p:g}" for p in RULE_PERCENTILES]
    columns = ["city", "basis", "per_sq_mi", *(f"p{p:g}" for p in st.percentiles), *rule_columns]
    if inputs.empty:
        return pd.DataFrame(columns=columns)
    a = np.vstack([Uniform(f"city:{b}:{c}:a", lo, hi, "").draw(st.seed, st.draws) for c, b, lo, hi in
                   zip(inputs["city"], inputs["basis"], inputs["a_low"], inputs["a_high"], strict=True)])
    b = np.vstack([Uniform(f"city:{b}:{c}:b", lo, hi, "").draw(st.seed, st.draws) for c, b, lo, hi in
                   zip(inputs["city"], inputs["basis"], inputs["b_low"], inputs["b_high"], strict=True)])
    values = city_density(rate, _people(a, b, inputs["scale"].to_numpy(dtype=float)[:, None]))
    qs = np.percentile(values, st.percentiles, axis=1).T
    out = pd.DataFrame({"city": inputs["city"].to_numpy(), "basis": inputs["basis"].to_numpy(),
                        "per_sq_mi": inputs["per_sq_mi"].to_numpy()})
    for j, p in enumerate(st.percentiles):
        out[f"p{p:g}"] = qs[:, j]
    if ratios is None or not len(ratios):
        out[rule_columns] = np.nan
        return out[columns]
    names = [f"{b}:{c}" for c, b in zip(inputs["city"], inputs["basis"], strict=True)]
    ruled = np.percentile(with_rule_error(values, ratios, st.seed, names), RULE_PERCENTILES, axis=1).T
    for j, col in enumerate(rule_columns):
        out[col] = ruled[:, j]
    return out[columns]


def tornado(st: Setup, s: Scenario, inputs: pd.DataFrame, city: str) -> pd.DataFrame:
    """One at a time: each input at the low and the high end of its distribution, every other at its
    central value, for China's rate and for ``city``'s cameras per square mile on each basis.

    Rows: output, input, input_low, input_high, central, output_low, output_high, swing (|high - low|),
    sorted by output, then by swing, largest first.
    """
    rows = []
    national = {CAMERAS: (st.cameras, s.china_cameras), POPULATION: (st.population, s.china_population)}

    def rate(values: dict[str, float]) -> float:
        return float(per_thousand(values[CAMERAS], values[POPULATION]))

    outputs = [("China: cameras per 1,000 people", dict(national), rate)]
    for r in inputs[inputs["city"] == city].itertuples():
        def dens(values: dict[str, float], r=r) -> float:
            return float(city_density(rate(values), _people(values[r.a_name], values[r.b_name], r.scale)))

        own = {r.a_name: (Interval(r.a_low, r.a_high), r.a), r.b_name: (Interval(r.b_low, r.b_high), r.b)}
        outputs.append((f"{city}: cameras per sq mi ({r.basis})", {**national, **own}, dens))
    for label, spec, f in outputs:
        central = {k: v for k, (_, v) in spec.items()}
        centre = f(central)
        for name, (dist, _) in spec.items():
            low = f({**central, name: dist.low})
            high = f({**central, name: dist.high})
            rows.append({"output": label, "input": name, "input_low": dist.low, "input_high": dist.high,
                         "central": centre, "output_low": low, "output_high": high, "swing": abs(high - low)})
    out = pd.DataFrame(rows)
    order = {label: i for i, (label, _, _) in enumerate(outputs)}
    return (out.assign(_o=out["output"].map(order)).sort_values(["_o", "swing", "input"], ascending=[True, False, True],
                                                               kind="mergesort").drop(columns="_o")
            .reset_index(drop=True))


def run(st: Setup, s: Scenario, figures: pd.DataFrame, cities: pd.DataFrame | None = None,
        printed: pd.DataFrame | None = None) -> Result:
    """Draw, summarise, and break down one scenario."""
    draws = monte_carlo(st)
    inputs = city_inputs(s, figures, cities, printed)
    ratios = rule_ratios(s, cities, printed)
    return Result(draws, summarise(draws, st.percentiles),
                  city_intervals(st, draws[RATE].to_numpy(), bounded(inputs), ratios),
                  tornado(st, s, inputs, scenarios.headline_city(figures)), len(inputs), tuple(ratios))


@dataclass(frozen=True)
class Written:
    """What the step wrote for one scenario, read back."""

    data: dict  # {'setup', 'central', 'summary': {quantity: {stat: value}}}
    histogram: pd.DataFrame
    cities: pd.DataFrame
    tornado: pd.DataFrame


def histogram(draws: pd.DataFrame) -> pd.DataFrame:
    """The binned draws of China's rate (``BINS`` equal bins from the lowest draw to the highest)."""
    counts, edges = np.histogram(draws[RATE], bins=BINS)
    return pd.DataFrame({"lower": edges[:-1], "upper": edges[1:], "draws": counts})


def band_inputs(st: Setup, s: Scenario, figures: pd.DataFrame, cities: pd.DataFrame | None = None,
                printed: pd.DataFrame | None = None) -> dict:
    """Every input that shapes a scenario's bands, as the step records it (sensitivity.json ``inputs``): how the
    draws are made (seed, number, percentiles, each national input's distribution), the central values the rate,
    the tornado and the cities start from (China's count and population), and the cities' own inputs (a digest of
    `city_inputs`: each city's central people density and the rounding intervals of its printed figures)."""
    table = city_inputs(s, figures, cities, printed).to_csv(index=False, float_format="%.12g", lineterminator="\n")
    return scenarios.jsonable({"setup": asdict(st), "china_cameras": s.china_cameras,
                               "china_population": s.china_population,
                               "city_inputs_sha256": hashlib.sha256(table.encode("utf-8")).hexdigest()})


def _flat(data: Mapping, prefix: str = "") -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in data.items():
        if isinstance(value, Mapping):
            out |= _flat(value, f"{prefix}{key}.")
        else:
            out[f"{prefix}{key}"] = value
    return out


def band_differences(written: Written | None, inputs: Mapping) -> list[str]:
    """The one decision whether a sensitivity written by the step belongs to a run with ``inputs``
    (`band_inputs` of that run): the inputs, as dotted keys, whose recorded value differs (``[]``: the same
    inputs, its bands may be shown). No sensitivity at all, or one that recorded no inputs, differs."""
    if written is None:
        return ["no sensitivity step run for this scenario"]
    recorded = written.data.get("inputs")
    if not isinstance(recorded, Mapping):
        return ["the sensitivity step recorded no inputs"]
    old, new = _flat(recorded), _flat(scenarios.jsonable(dict(inputs)))
    return sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))


def as_written(st: Setup, s: Scenario, result: Result, inputs: Mapping) -> Written:
    """A run's results as the step writes them and `read` gives them back (``data`` is sensitivity.json's)."""
    setup = asdict(st)
    setup["cameras"] |= {"low": st.cameras.low, "high": st.cameras.high}  # the count at both inputs' ends
    data = {"setup": setup, "central": {RATE: scenarios.national_rate(s)},
            "summary": result.summary.set_index("quantity").to_dict(orient="index"), "inputs": dict(inputs),
            "rule_ratios": rule_ratio_summary(result.ratios)}
    return Written(scenarios.jsonable(data), histogram(result.draws), result.cities, result.tornado)


def rule_ratio_summary(ratios: tuple[float, ...] | np.ndarray) -> dict[str, float | int]:
    """How many counted / rule ratios the rule's uncertainty is drawn from, and their least, median and largest."""
    if not len(ratios):
        return {"cities": 0}
    r = np.asarray(ratios, dtype=float)
    return {"cities": len(r), "min": float(r.min()), "median": float(np.median(r)), "max": float(r.max())}


def read(folder: str | Path) -> Written:
    """What the step wrote into ``folder``."""
    folder = resolve(folder)
    data = json.loads((folder / "sensitivity.json").read_text(encoding="utf-8"))
    return Written(data, pd.read_csv(folder / "histogram.csv"), pd.read_csv(folder / "city_intervals.csv"),
                   pd.read_csv(folder / "tornado.csv"))


def read_for(sensitivity_dirs: Mapping[str, str | Path] | None, scenario: str) -> Written | None:
    """The sensitivity of ``scenario`` from the step's folders ({scenario: folder}), or None for a scenario
    the step did not run (one defined only by notebook parameters)."""
    if not sensitivity_dirs or scenario not in sensitivity_dirs:
        return None
    folder = resolve(sensitivity_dirs[scenario])
    if not (folder / "sensitivity.json").is_file():
        raise ParameterError(f"parameter 'sensitivity_dirs': no sensitivity for scenario {scenario!r} "
                             f"(sensitivity.json missing in its folder); run `make reproduce`")
    return read(folder)
