"""The README's summary quotes the committed outputs: each number it prints is checked against the tables."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from helpers.paths import OUTPUTS, PROJECT_ROOT

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
SUMMARY = " ".join(README[README.index("What the audit finds"):README.index("## Three ways")].split())


@pytest.fixture(scope="module")
def comparison() -> pd.DataFrame:
    return pd.read_csv(OUTPUTS / "04_compare" / "scenario_comparison.csv").set_index("quantity")


def test_verdict_counts_are_the_audit_table_counts():
    counts = pd.read_csv(OUTPUTS / "02_density" / "claims_audit.csv")["verdict"].value_counts()
    total = int(counts.sum())
    assert f"of the article's {total} figures and stated ranks" in SUMMARY
    for verdict, words in (("consistent within rounding", "(?:is|are) consistent within rounding"),
                           ("satisfies bound", "satisfies its bound"), ("arithmetic identity", "are an arithmetic"),
                           ("cannot be checked against the quoted edition",
                            "cannot be checked against the quoted edition"), ("inconsistent", "are inconsistent"),
                           ("cannot be checked", r"cannot be\s+checked\."), ("holds", "hold \\("),
                           ("holds only under the national-rate rule", "hold only under the national-rate rule")):
        found = re.search(rf"(\d+) {words}", SUMMARY)
        assert found, words
        assert int(found.group(1)) == counts.get(verdict, 0), verdict


def test_rates_shares_and_ranges_are_the_computed_ones(comparison):
    high, cons = comparison["high"], comparison["conservative"]
    assert f"{high['china_per_1000']:.1f} cameras per 1,000" in SUMMARY  # 626e6 / 1.46e9 x 1000 = 428.8
    assert f"is {cons['china_per_1000']:.1f} per 1,000" in SUMMARY  # 540e6 / 1.46e9 x 1000 = 369.9
    assert f"{high['china_share_of_world (rest of world fixed)']:.3f} if the rest of the world" in SUMMARY
    assert f"or {high['china_share_of_world (world total fixed)']:.3f} if the world total" in SUMMARY
    for name in ("high", "conservative"):
        low, top = comparison.loc["china_per_1000 p5 (sensitivity)", name], \
            comparison.loc["china_per_1000 p95 (sensitivity)", name]
        assert f"{low:.0f}-{top:.0f}" in SUMMARY, name


def test_implied_population_is_the_one_the_paper_quotes():
    # the population both printed pairs imply at once (implied_china_population.csv, "both pairs at once"),
    # 1,448,403,670, to 4 decimals in billions: 1.4484, the number numbers.tex gives the paper
    implied = pd.read_csv(OUTPUTS / "02_density" / "implied_china_population.csv").set_index("basis")
    both = implied.loc[implied.index.str.startswith("both pairs"), "population"].iloc[0]
    assert f"by about {both / 1e9:.4f} billion people" in SUMMARY
    assert f"{{{both / 1e9:.4f} billion}}" in (OUTPUTS / "numbers" / "numbers.tex").read_text(encoding="utf-8")
