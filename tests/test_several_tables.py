"""Several city tables in one run (issue 25): the 2021 table and a byte copy of it, through the whole pipeline."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pandas as pd
import pytest

from helpers.paths import PROJECT_ROOT

pytestmark = [pytest.mark.slow, pytest.mark.e2e]


def test_the_2021_table_with_a_copy_of_itself_publishes_per_table_results(shared_data, tmp_path):
    """Used to fail in the gather step ("numbers: keys read twice: ['conservative.shenzhen_table', ...]") and
    publish nothing. Each table now ranks its own 134 rows and gets its own keys; the audit names its table."""
    copy = tmp_path / "copy.csv"
    shutil.copyfile(shared_data / "comparitech_2021_cities.csv", copy)
    out = tmp_path / "out"
    env = {**os.environ, "CCTV_DATA_DIR": str(shared_data)}
    result = subprocess.run([sys.executable, "-m", "helpers.run", "--engine", "python", "--jobs", "2",
                             "--outputs", str(out), "-p", f"city_tables=[comparitech_2021, {copy}]"],
                            cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    numbers = json.loads((out / "numbers" / "numbers.json").read_text(encoding="utf-8"))
    for scenario in ("conservative", "high"):  # one key per table, the same value for a copy
        assert numbers[f"{scenario}.shenzhen_table"]["value"] == numbers[f"{scenario}.shenzhen_table_copy"]["value"]
    assert numbers["cities.rows"]["value"] == 134  # the reference table's rows, not both tables'

    density = out / "02_density"
    cities = pd.read_csv(density / "city_densities.csv")
    by = {name: t.set_index("city") for name, t in cities.groupby("source")}
    assert set(by) == {"comparitech_2021", "copy"}
    for col in ("rank_per_1000", "rank_per_1000_in_country", "rank_per_sq_mi", "rank_per_sq_mi_in_country"):
        # a copy ranks exactly as the original: no city is pushed down or tied by its own duplicate
        assert by["copy"][col].equals(by["comparitech_2021"][col]), col
    assert by["copy"].loc["London", "rank_per_1000_in_country"] == 1

    audit = pd.read_csv(density / "claims_audit.csv", keep_default_na=False)
    checked = audit[audit["table"] != ""]
    assert set(checked["table"]) == {"comparitech_2021"} and len(checked) == 19  # the first of city_tables
    # the one-table verdict counts (tests/test_audit.py::test_the_real_table_audit: 1 consistent, 1 bound,
    # 2 identity, 2 ranks hold, 4 hold only under the national-rate rule, 10 cannot be checked against the quoted
    # edition, 5 inconsistent, 3 cannot be checked) are unchanged by a second table: a copy is of no declared edition
    assert audit["verdict"].value_counts().to_dict() == {
        "cannot be checked against the quoted edition": 10, "inconsistent": 5,
        "holds only under the national-rate rule": 4, "arithmetic identity": 2, "cannot be checked": 3, "holds": 2,
        "consistent within rounding": 1, "satisfies bound": 1}
    assert not audit["reason"].str.contains("tied with").any()
    assert "number 1 of 134" in audit.set_index("figure_id").loc["tokyo_rank_population", "reason"]

    by_table = pd.read_csv(density / "claims_by_table.csv", keep_default_na=False)
    assert by_table.groupby("figure_id")["table"].apply(list).map(lambda t: t == ["comparitech_2021", "copy"]).all()
    assert (out / "tables" / "claims_by_table.md").is_file()  # gathered
