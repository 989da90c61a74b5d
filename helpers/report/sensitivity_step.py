"""The sensitivity step of the step table, once per scenario: resolve the scenario as notebook 03 does, draw
(`helpers.analysis.sensitivity`), and write what notebooks 03 and 04 read (`sensitivity.read_for`): the
``sensitivity``, ``city_intervals`` and ``tornado`` tables, ``histogram.csv`` and ``sensitivity.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

from helpers.analysis import scenarios
from helpers.analysis.density import read_printed
from helpers.analysis.sensitivity import Result, Setup, as_written, band_inputs, rule_ratio_summary, run, setup
from helpers.atomic import write_text
from helpers.data.city_tables import read_sources
from helpers.data.csv_files import to_csv
from helpers.data.io import load_processed
from helpers.data.scenarios_file import load_spec
from helpers.data.units import round_columns, round_rows
from helpers.paths import resolve
from helpers.report import captions
from helpers.report.tables import save_table


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
                 band_inputs(st, s, figures, cities, printed), sources=read_sources(cleaning_dir))


def write(folder: Path, s: scenarios.Scenario, st: Setup, result: Result, inputs: dict,
          sources=None) -> dict[str, Path]:
    """The step's tables, histogram and JSON summary (with the ``inputs`` its bands rest on, `band_inputs`) for one
    scenario, written into ``folder``; ``sources``: notebook 01's city_sources.csv, for the captions."""
    written = save_table(round_rows(result.summary, "quantity"), "sensitivity", folder=folder,
                         caption=captions.table("sensitivity", s, st.draws))
    written |= {f"cities_{k}": v for k, v in save_table(
        round_columns(result.cities), "city_intervals", folder=folder,
        caption=captions.table("city_intervals", s, len(result.cities), result.estimated, sources,
                               rule_ratio_summary(result.ratios))).items()}
    written |= {f"tornado_{k}": v for k, v in save_table(
        round_columns(result.tornado), "tornado", folder=folder, caption=captions.table("tornado", s)).items()}
    out = as_written(st, s, result, inputs)
    written["histogram"] = write_text(folder / "histogram.csv", to_csv(out.histogram))
    written["json"] = write_text(folder / "sensitivity.json", json.dumps(out.data, indent=2, sort_keys=True) + "\n")
    return written
