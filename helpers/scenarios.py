"""Scenarios of China's camera count: definitions (data/raw/scenarios.yml), arithmetic and sensitivity."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from helpers import config
from helpers.atomic import write_text
from helpers.density import implied_population, per_thousand
from helpers.errors import ParameterError
from helpers.names import match_key
from helpers.params import number
from helpers.paths import DATA_RAW
from helpers.units import per_sq_mi_to_per_km2

SCENARIOS_FILE = DATA_RAW / "scenarios.yml"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


@dataclass(frozen=True)
class Scenario:
    """Every number one scenario run rests on, resolved to floats."""

    name: str
    description: str
    year: int
    china_cameras: float
    china_population: float
    population_assumption: str
    world_cameras: float
    world_population: float
    stated_rate: float | None  # the article's printed rate for this scenario, if any


def load_spec(path: Path = SCENARIOS_FILE, *, verify_checksum: bool = True) -> dict:
    """The scenarios file, checksum-verified and validated (helpers.config.load_spec; raises ConfigError)."""
    return config.load_spec(path, verify_checksum=verify_checksum)


def scenario_names(spec: dict | None = None) -> list[str]:
    """Names of the scenarios defined in the file, in file order."""
    return list((spec or load_spec())["scenarios"])


def _value(name: str, raw: object, figures: dict[str, float], **rules) -> float:
    """A number, or {figure: id} looked up in the article figures, checked against ``rules``."""
    if isinstance(raw, dict) and "figure" in raw:
        if raw["figure"] not in figures:
            raise ParameterError(f"{name}: article figure {raw['figure']!r} does not exist")
        raw = figures[raw["figure"]]
    return number(name, raw, **rules)


def resolve_scenario(name: str, figures: dict[str, float], *, population: object = None,
                     china_cameras: object = None, world_cameras: object = None, world_population: object = None,
                     spec: dict | None = None) -> Scenario:
    """The scenario ``name`` from the file, with any papermill overrides applied and every rule checked.

    A name that is not in the file is a user-defined scenario and needs ``china_cameras``.
    """
    spec = spec or load_spec()
    defined = spec["scenarios"]
    if not isinstance(name, str) or not _NAME.match(name):
        raise ParameterError(f"parameter 'scenario' must be a name of letters, digits, '_' or '-', got {name!r}")
    if name not in defined and china_cameras is None:
        raise ParameterError(f"parameter 'scenario': unknown scenario {name!r}; valid names: "
                             f"{', '.join(defined)} (or pass china_cameras to define a new one)")
    entry = defined.get(name, {"description": f"user-defined scenario {name!r}"})
    defaults = spec["defaults"]
    cameras = _value("china_cameras", entry["china_cameras"] if china_cameras is None else china_cameras, figures,
                     low=0, low_open=True)
    stated_rate = (_value("stated_rate", entry["stated_rate"], figures, low=0, low_open=True)
                   if "stated_rate" in entry and china_cameras is None else None)
    assumption = defaults["population"] if population is None else population
    china_pop, label = _population(assumption, cameras, stated_rate, figures, spec)
    world = _value("world_cameras", defaults["world_cameras"] if world_cameras is None else world_cameras, figures,
                   low=0, low_open=True)
    if cameras > world:
        raise ParameterError(f"china_cameras ({cameras:,.0f}) exceeds world_cameras ({world:,.0f}): "
                             f"China's share would be {cameras / world:.0%}, above 100%")
    world_pop = _value("world_population", defaults["world_population"] if world_population is None
                       else world_population, figures, low=0, low_open=True)
    if china_pop >= world_pop:
        raise ParameterError(f"world_population ({world_pop:,.0f}) must exceed China's population ({china_pop:,.0f})")
    return Scenario(name, str(entry.get("description", "")), int(defaults["year"]), cameras, china_pop, label,
                    world, world_pop, stated_rate)


def _population(assumption: object, cameras: float, stated_rate: float | None, figures: dict[str, float],
                spec: dict) -> tuple[float, str]:
    """China's population under an assumption name ('stated', 'implied') or a number."""
    named = spec["population_assumptions"]
    if isinstance(assumption, str) and assumption in named:
        rule = named[assumption]
        if isinstance(rule, dict) and rule.get("implied_by") == "stated_rate":
            if stated_rate is None:  # a scenario without a printed rate: use the conservative pair
                base = spec["scenarios"]["conservative"]
                cameras = _value("china_cameras", base["china_cameras"], figures)
                stated_rate = _value("stated_rate", base["stated_rate"], figures)
            return float(implied_population(cameras, stated_rate)), assumption
        return _value("population", rule, figures, low=0, low_open=True), assumption
    try:
        return number("population", assumption, low=0, low_open=True), "user value"
    except ParameterError:
        if isinstance(assumption, str) and not re.match(r"^[\d.,eE+-]+$", assumption):
            raise ParameterError(f"parameter 'population' must be one of {', '.join(named)} or a number, "
                                 f"got {assumption!r}") from None
        raise


# --- arithmetic ---------------------------------------------------------------------------------

def national_results(s: Scenario) -> dict[str, float]:
    """China's rate, share of the world, the rest of the world's cameras and rate, and their ratio."""
    rest_cameras = s.world_cameras - s.china_cameras
    rest_population = s.world_population - s.china_population
    china_rate = float(per_thousand(s.china_cameras, s.china_population))
    rest_rate = float(per_thousand(rest_cameras, rest_population))
    return {
        "china_per_1000": china_rate,
        "china_share_of_world": s.china_cameras / s.world_cameras,
        "rest_of_world_cameras": rest_cameras,
        "rest_of_world_population": rest_population,
        "rest_of_world_per_1000": rest_rate,
        "china_to_rest_ratio": china_rate / rest_rate if rest_rate else float("nan"),
    }


def article_city_estimates(s: Scenario, figures: pd.DataFrame, conservative_cameras: float) -> pd.DataFrame:
    """The article's Chinese city densities (stated for 540 million cameras) scaled to this scenario,
    next to the cities outside China as stated. The population cancels: the factor is the camera ratio."""
    rows = figures[figures["metric"] == "cameras_per_sq_mi"]
    in_china = rows["country"] == "China"
    factor = s.china_cameras / conservative_cameras
    out = pd.DataFrame({
        "city": rows["entity"].to_numpy(), "country": rows["country"].to_numpy(), "in_china": in_china.to_numpy(),
        "basis": np.where(in_china, "article, scaled to scenario", "article, as stated"),
        "upper_bound": (rows["qualifier"] == "upper_bound").to_numpy(),
        "per_sq_mi": np.where(in_china, rows["value"] * factor, rows["value"]),
    })
    out["per_km2"] = per_sq_mi_to_per_km2(out["per_sq_mi"])
    return out


def table_city_estimates(s: Scenario, cities: pd.DataFrame) -> pd.DataFrame:
    """Every Chinese city of a real table: national rate x city population / implied city area."""
    chinese = cities[(cities["country_code"] == "CHN") & cities["area_sq_mi"].notna()]
    rate = s.china_cameras / s.china_population
    out = pd.DataFrame({
        "city": chinese["city"].to_numpy(), "country": "China", "in_china": True,
        "basis": "national rate x table population / area", "upper_bound": False,
        "per_sq_mi": (rate * chinese["population"] / chinese["area_sq_mi"]).to_numpy(),
        "counted_per_sq_mi": chinese["stated_per_sq_mi"].to_numpy(),
    })
    out["per_km2"] = per_sq_mi_to_per_km2(out["per_sq_mi"])
    return out.sort_values(["per_sq_mi", "city"], ascending=[False, True], kind="mergesort").reset_index(drop=True)


def city_estimates(s: Scenario, figures: pd.DataFrame, cities: pd.DataFrame | None,
                   conservative_cameras: float) -> pd.DataFrame:
    """Article-based estimates, plus table-based ones when a city table is loaded, with a match key."""
    parts = [article_city_estimates(s, figures, conservative_cameras)]
    if cities is not None:
        parts.append(table_city_estimates(s, cities))
    out = pd.concat(parts, ignore_index=True)
    out["city_key"] = out["city"].map(match_key)
    return out


# --- sensitivity --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Sensitivity:
    """How the Monte Carlo draws are made."""

    seed: int
    draws: int
    camera_low: float
    camera_high: float
    population_low: float
    population_high: float
    percentiles: tuple[float, ...]


def sensitivity_setup(spec: dict, figures: dict[str, float], seed: object = None, draws: object = None) -> Sensitivity:
    """Ranges from the file: cameras around all defined scenarios, population between two assumptions."""
    cfg = spec["sensitivity"]
    counts = [_value("china_cameras", s["china_cameras"], figures) for s in spec["scenarios"].values()]
    margin = number("camera_margin", cfg["camera_margin"], low=0, high=1)
    pops = [resolve_scenario("conservative", figures, population=p, spec=spec).china_population
            for p in cfg["population_between"]]
    return Sensitivity(
        seed=int(number("seed", cfg["seed"] if seed is None else seed, low=0)),
        draws=int(number("n_draws", cfg["draws"] if draws is None else draws, low=1, high=10_000_000)),
        camera_low=min(counts) * (1 - margin), camera_high=max(counts) * (1 + margin),
        population_low=min(pops), population_high=max(pops),
        percentiles=tuple(float(p) for p in cfg["percentiles"]),
    )


def monte_carlo(setup: Sensitivity) -> pd.DataFrame:
    """Seeded draws of China's camera count and population and the resulting rate per 1,000."""
    rng = np.random.default_rng(setup.seed)
    cameras = rng.uniform(setup.camera_low, setup.camera_high, setup.draws)
    population = rng.uniform(setup.population_low, setup.population_high, setup.draws)
    return pd.DataFrame({"china_cameras": cameras, "china_population": population,
                         "china_per_1000": per_thousand(cameras, population)})


def summarise(draws: pd.DataFrame, percentiles: tuple[float, ...]) -> pd.DataFrame:
    """Min, percentiles and max of every column of the draws."""
    qs = np.asarray(percentiles) / 100.0
    rows = {"min": draws.min(), **{f"p{p:g}": draws.quantile(q) for p, q in zip(percentiles, qs, strict=True)},
            "max": draws.max()}
    return pd.DataFrame(rows).rename_axis("quantity").reset_index()


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


def write_results(folder: Path, s: Scenario, national: dict) -> Path:
    """results.json: the scenario's inputs and national results (stable bytes)."""
    data = {"scenario": asdict(s), "national": national}
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

COMPARED = (("scenario", "china_cameras"), ("scenario", "china_population"), ("scenario", "stated_rate"),
            ("national", "china_per_1000"), ("national", "china_share_of_world"),
            ("national", "rest_of_world_per_1000"), ("national", "china_to_rest_ratio"))


def comparison_table(results: dict[str, dict], sensitivity_summary: dict[str, dict]) -> pd.DataFrame:
    """One row per quantity, one column per scenario, plus the sensitivity percentiles of the rate."""
    rows = [{"quantity": key, **{n: r[part].get(key) for n, r in results.items()}} for part, key in COMPARED]
    for stat in ("p5", "p50", "p95"):
        rows.append({"quantity": f"china_per_1000 {stat} (sensitivity)",
                     **{n: sensitivity_summary["china_per_1000"][stat] for n in results}})
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
