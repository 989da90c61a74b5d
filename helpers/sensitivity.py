"""The sensitivity step: seeded Monte Carlo draws of China's camera count and population, from validated values.

Runs once, after cleaning, as its own step of the step table; notebooks 03 and 04 read what it writes:
``sensitivity.csv/.md/.tex`` (percentiles), ``histogram.csv`` (the draws of the rate per 1,000, binned) and
``sensitivity.json`` (the set-up and the summary).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd

from helpers import scenarios
from helpers.atomic import write_text
from helpers.io import load_processed
from helpers.paths import resolve
from helpers.tables import save_table, to_csv

BINS = 60


def run_step(*, cleaning_dir: str | Path, output_dir: str | Path, seed: int | None = None,
             n_draws: int | None = None) -> dict[str, Path]:
    """Draw, summarise and write the sensitivity tables into ``output_dir``."""
    figures, _ = load_processed(cleaning_dir)
    values = dict(zip(figures["figure_id"], figures["value"], strict=True))
    setup = scenarios.sensitivity_setup(scenarios.load_spec(), values, seed=seed, draws=n_draws)
    draws = scenarios.monte_carlo(setup)
    summary = scenarios.summarise(draws, setup.percentiles)
    folder = resolve(output_dir)
    written = save_table(summary, "sensitivity", folder=folder,
                         caption=f"Monte Carlo ranges ({setup.draws:,} seeded draws) of China's camera count, "
                                 "population and cameras per 1,000 people.")
    counts, edges = np.histogram(draws["china_per_1000"], bins=BINS)
    histogram = pd.DataFrame({"lower": edges[:-1], "upper": edges[1:], "draws": counts})
    written["histogram"] = write_text(folder / "histogram.csv", to_csv(histogram))
    data = {"setup": asdict(setup), "summary": summary.set_index("quantity").to_dict(orient="index")}
    written["json"] = write_text(folder / "sensitivity.json",
                                 json.dumps(scenarios.jsonable(data), indent=2, sort_keys=True) + "\n")
    return written


def read(folder: str | Path) -> tuple[dict, pd.DataFrame]:
    """What the step wrote: ({'setup':..., 'summary': {quantity: {stat: value}}}, histogram)."""
    folder = resolve(folder)
    data = json.loads((folder / "sensitivity.json").read_text(encoding="utf-8"))
    return data, pd.read_csv(folder / "histogram.csv")
