"""Tables a researcher brings, in the shapes met in the wild, run through all four notebooks with the runner.

Each table is synthetic (written here), in the shape of a public one: rates only with coordinates, counts and
population without area, and two editions together. A CRLF file with a byte-order mark is published with the
hostile tables (tests/test_faults.py, `with_tables`).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from helpers.data.checksums import sha256
from helpers.paths import PROJECT_ROOT

pytestmark = pytest.mark.slow

COORDS = """Lat,Lon,City,Country,CCTVperperson,CCTVpermile
5.36,-4.01,Abidjan,Ivory Coast,0.19,1.24
39.90,116.41,Beijing,China,55.03,181.49
51.51,-0.13,London,England (UK),73.31,1138.48
6.25,-75.57,Medelln,Colombia,0.6,16.53
32.09,34.78,Tel Aviv,q,1.01,7.33
34.69,135.50,Osaka,Japan,1.57,5.96
-7.25,112.75,Surabaya,Indonesia,0.3,N/A
"""
LATER = """City,Country,CCTV Cameras,Population (2025),Cameras per 1000 people
Shenzhen,China,6222581,12590000,494.25
Wuhan,China,4188000,8473405,494.25
Shanghai,China,13738046,27795702,494.25
London,United Kingdom,127373,9540576,13.35
Los Angeles,United States,34959,3983540,8.78
"""
HEADER_2021 = ('City,Country,# of CCTV Cameras,# of People,"# of CCTV Cameras per 1,000 People",'
               "Cameras per Square Mile,Crime Index")


def run(tmp_path, tables: list) -> tuple[subprocess.CompletedProcess, object]:
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "helpers.run", "--engine", "python", "--outputs", str(out),
           "-p", "city_tables=" + json.dumps(tables)]
    return subprocess.run(cmd, cwd=PROJECT_ROOT, capture_output=True, text=True), out


def audit(out) -> pd.DataFrame:
    return pd.read_csv(out / "02_density" / "claims_audit.csv").set_index("figure_id")


def test_rates_only_with_coordinates_a_junk_country_and_a_damaged_name(tmp_path):
    (tmp_path / "coords.csv").write_text(COORDS)
    (tmp_path / "map.yml").write_text("columns: {city: City, country: Country, stated_per_1000: CCTVperperson, "
                                      "stated_per_sq_mi: CCTVpermile}\n")
    (tmp_path / "fix.yml").write_text("country_aliases: {q: Israel}\n")
    entry = {"path": str(tmp_path / "coords.csv"), "column_mapping": str(tmp_path / "map.yml"),
             "corrections": str(tmp_path / "fix.yml"), "edition": "re-export"}
    proc, out = run(tmp_path, [entry])
    assert proc.returncode == 0, proc.stderr[-2000:]
    log = pd.read_csv(out / "01_data_cleaning" / "cleaning_log.csv")
    fixes = set(zip(log["before"], log["after"], log["rule"], strict=True))
    assert ("q", "Israel", "country_alias_correction") in fixes
    assert "warning: damaged name?" in set(log.loc[log["before"] == "Medelln", "rule"])
    assert log["rule"].str.contains("says per person, but its values").any()
    # no camera counts at all: one area entry for the table, not one per row
    assert log.loc[log["rule"].eq("area_not_derivable"), ["row", "before"]].values.tolist() == [
        [0, "no cameras in any of the 7 rows"]]
    # the runner's terminal counts them: Medelln, and the 'CCTVperperson' header over per-1,000 values
    assert "  coords: 1 damaged name, 1 per-person scale warning\n" in proc.stdout
    claims = audit(out)
    # no camera counts or populations: London's per-1,000 figure cannot be checked, not "inconsistent"
    assert claims.loc["london_per_1000", "verdict"] == "cannot be checked"
    # Osaka's 5.96 per square mile is printed, so the article's bound "less than 6" can be checked against it
    assert claims.loc["osaka_per_sq_mi", "verdict"] == "satisfies bound"
    assert (out / "02_density" / "per_1000_vs_per_sq_mi.png").is_file()  # both rates printed: the scatter is drawn
    sources = pd.read_csv(out / "01_data_cleaning" / "city_sources.csv")
    assert sources.loc[0, "sha256"] == sha256(tmp_path / "coords.csv")
    manifest = json.loads((out / "manifest.json").read_text())
    table_sha = sha256(tmp_path / "coords.csv")
    assert manifest["runs"]["01_data_cleaning"]["inputs"][str(tmp_path / "coords.csv")] == table_sha
    sidecar = json.loads((out / "02_density" / "city_ranking_per_1000.json").read_text())
    # the caption names the table by its declared edition, in words; its digest is in the sidecar's provenance
    assert "Comparitech's re-export table (coords)" in sidecar["caption"] and "sha256" not in sidecar["caption"]
    assert sidecar["provenance"]["city_tables"][0]["sha256"] == table_sha
    assert (out / "04_compare" / "scenario_comparison.csv").is_file()


def test_counts_and_population_without_area_and_estimated_rows(tmp_path):
    (tmp_path / "later.csv").write_text(LATER)
    mapping = {"city": "City", "country": "Country", "cameras": "CCTV Cameras", "population": "Population (2025)",
               "stated_per_1000": "Cameras per 1000 people"}
    proc, out = run(tmp_path, [{"path": str(tmp_path / "later.csv"), "column_mapping": mapping, "edition": "2023"}])
    assert proc.returncode == 0, proc.stderr[-2000:]
    log = pd.read_csv(out / "01_data_cleaning" / "cleaning_log.csv")
    assert (log["rule"] == "warning: estimated (one national rate)").sum() == 3  # the three Chinese rows at 494.25
    assert "  later: 3 estimated rows (one national rate)\n" in proc.stdout
    densities = pd.read_csv(out / "02_density" / "city_densities.csv").set_index("city")
    assert densities.loc["Wuhan", "basis"] == "estimated (one national rate)"
    assert densities.loc["London", "basis"] == "counted"
    assert not (out / "02_density" / "per_1000_vs_per_sq_mi.png").exists()  # no per-area figure: not drawn
    index = (out / "figures" / "index.md").read_text()
    assert "per_1000_vs_per_sq_mi" not in index and "city_ranking_per_1000" in index
    # the Chinese cities' per-square-mile figures need an area the table does not give
    assert audit(out).loc["shenzhen_per_sq_mi", "verdict"] == "cannot be checked"


def test_two_editions_are_compared_city_by_city(tmp_path):
    (tmp_path / "old.csv").write_text(HEADER_2021 + "\nLondon,England (UK),691000,9425622,73.31,1138.48,53.07\n"
                                      "Tokyo,Japan,39504,37339804,1.06,7.54,\n")
    (tmp_path / "new.csv").write_text(HEADER_2021 + "\nLondon,United Kingdom,127373,9540576,13.35,,\n"
                                      "Tokyo,Japan,39504,37339804,1.06,,\n")
    proc, out = run(tmp_path, [{"path": str(tmp_path / "old.csv"), "edition": "2021"},
                               {"path": str(tmp_path / "new.csv"), "edition": "2023"}])
    assert proc.returncode == 0, proc.stderr[-2000:]
    change = pd.read_csv(out / "02_density" / "editions_compared.csv").set_index("city")
    assert change.loc["London", "per_1000 change"] == pytest.approx(13.35 - 73.31)
    assert change.loc["London", "rank old"] == 1 and change.loc["London", "rank new"] == 1
    assert (out / "figures" / "editions_per_1000.png").is_file()
