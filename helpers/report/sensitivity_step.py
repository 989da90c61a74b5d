"""The sensitivity step of the step table, once per scenario: resolve the scenario as notebook 03 does, draw
(`helpers.analysis.sensitivity`), and write what notebooks 03 and 04 read (`sensitivity.read_for`): the
``sensitivity``, ``city_intervals`` and ``tornado`` tables, ``histogram.csv`` and ``sensitivity.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

from helpers.analysis import scenarios
from helpers.analysis.density import read_printed
from helpers.analysis.sensitivity import (
    INTERVAL_CITIES,
    Result,
    Setup,
    as_written,
    band_inputs,
    rule_ratio_summary,
    run,
    setup,
)
from helpers.atomic import write_text
from helpers.data.csv_files import to_csv
from helpers.data.io import load_processed
from helpers.data.scenarios_file import load_spec
from helpers.data.units import round_columns, round_rows
from helpers.paths import resolve
from helpers.report.tables import save_table


def bound_note(shown: int, estimated: int) -> str:
    """The caption's note when intervals are drawn for some of the estimated cities only ("" when for all)."""
    if shown >= estimated:
        return ""
    return (f"; intervals for {shown:,} of the {estimated:,} cities: the article's and, of each table, the "
            f"{INTERVAL_CITIES:,} with the highest central estimate")


def rule_note(ratios: tuple[float, ...]) -> str:
    """The caption's note on the intervals with the national-rate rule's own uncertainty."""
    summary = rule_ratio_summary(ratios)
    if not summary["cities"]:
        return "; no counted Chinese city in the tables, so no interval with the rule's uncertainty"
    return (f"; 'with the rule's uncertainty' (rule_p5 to rule_p95): each draw also times a counted / rule ratio "
            f"drawn with replacement from the {summary['cities']:,} counted Chinese cities' ({summary['min']:.3g} to "
            f"{summary['max']:.3g}, median {summary['median']:.3g}): what a count would give if the rule erred for the "
            "city as it errs for the counted ones")


def run_step(*, scenario: str, cleaning_dir: str | Path, output_dir: str | Path, seed: int | None = None,
             n_draws: int | None = None, population: object = None,
             china_cameras: float | None = None) -> dict[str, Path]:
    """Resolve ``scenario`` as notebook 03 does, draw, and write the sensitivity tables into ``output_dir``."""
    figures, cities = load_processed(cleaning_dir, country="CHN")  # its only cities: China's
    printed = read_printed(cleaning_dir, cities)
    values = dict(zip(figures["figure_id"], figures["value"], strict=True))
    spec = load_spec()
    s = scenarios.resolve_scenario(scenario, values, population=population, china_cameras=china_cameras, spec=spec)
    st = setup(spec, figures, s, seed=seed, draws=n_draws, china_cameras=china_cameras)
    return write(resolve(output_dir), s, st, run(st, s, figures, cities, printed),
                 band_inputs(st, s, figures, cities, printed))


def write(folder: Path, s: scenarios.Scenario, st: Setup, result: Result, inputs: dict) -> dict[str, Path]:
    """The step's tables, histogram and JSON summary (with the ``inputs`` its bands rest on, `band_inputs`) for one
    scenario, written into ``folder``."""
    written = save_table(round_rows(result.summary, "quantity"), "sensitivity", folder=folder,
                         caption=f"Scenario {s.name}: Monte Carlo ranges ({st.draws:,} seeded draws) of China's camera "
                                 "count, population and cameras per 1,000 people, and of the world total and China's "
                                 "share of it (drawn with the count), from the input distributions of "
                                 "data/raw/scenarios.yml.")
    written |= {f"cities_{k}": v for k, v in save_table(
        round_columns(result.cities), "city_intervals", folder=folder,
        caption=f"Scenario {s.name}: cameras per square mile of Chinese cities, central estimate and Monte Carlo "
                "percentiles (national rate, city population and area all drawn)"
                + rule_note(result.ratios) + bound_note(len(result.cities), result.estimated) + ".").items()}
    written |= {f"tornado_{k}": v for k, v in save_table(
        round_columns(result.tornado), "tornado", folder=folder,
        caption=f"Scenario {s.name}: each input moved alone from the low to the high end of its distribution, the "
                "others held at their central values; swing = the change in the output.").items()}
    out = as_written(st, s, result, inputs)
    written["histogram"] = write_text(folder / "histogram.csv", to_csv(out.histogram))
    written["json"] = write_text(folder / "sensitivity.json", json.dumps(out.data, indent=2, sort_keys=True) + "\n")
    return written
