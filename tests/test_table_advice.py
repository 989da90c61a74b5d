"""What a researcher running their own table is told (issue 26): an unknown layout answered with a mapping to start
from, YAML headers read as null refused, a table without an edition, an area no row can have logged once, dropped
rows counted, the terminal's per-table summary, and the real reason a figure of notebook 02 is not drawn."""

from __future__ import annotations

import re

import pandas as pd
import pytest
import yaml

from helpers.analysis import density
from helpers.data.city_tables import read_city_table, read_city_tables, sources_table
from helpers.data.cleaning import write_processed
from helpers.data.table_advice import mapping_skeleton, no_edition_warning, summary_lines, yaml_text
from helpers.data.table_options import TableEntry, entries
from helpers.errors import ConfigError, ParameterError, RawDataError
from helpers.report.not_drawn import CITY_FIGURES, not_drawn

COORDS = ("Lat,Lon,City,Country,CCTVperperson,CCTVpermile\n"
          "5.36,-4.01,Abidjan,Ivory Coast,0.19,1.24\n"  # line 2
          "39.90,116.41,Beijing,China,55.03,181.49\n"  # line 3
          "6.25,-75.57,Medelln,Colombia,0.6,16.53\n")  # line 4
LATER = ("City,Country,CCTV Cameras,Population (2025),Cameras per 1000 people\n"
         "Shenzhen,China,6222581,12590000,494.25\n"
         "Wuhan,China,4188000,8473405,494.25\n"
         "London,United Kingdom,127373,9540576,13.35\n")
LATER_MAP = {"city": "City", "country": "Country", "cameras": "CCTV Cameras", "population": "Population (2025)",
             "stated_per_1000": "Cameras per 1000 people"}


def write(tmp_path, text: str, name: str = "t.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def skeleton_of(message: str) -> dict:
    """The column_mapping the unknown-layout error offers, read back as YAML."""
    flow = re.search(r"column_mapping: (\{.*?\}) \(left out", message)
    assert flow, message
    return yaml.safe_load(flow.group(1))


# --- an unknown layout --------------------------------------------------------------------------

def test_unknown_layout_offers_a_mapping_that_reads_the_table(tmp_path):
    path = write(tmp_path, COORDS)
    with pytest.raises(RawDataError) as err:
        read_city_table(str(path))
    message = str(err.value)
    assert "\n" not in message
    assert "t.csv: unknown table layout. Columns found: Lat, Lon, City, Country, CCTVperperson, CCTVpermile." in message
    assert "docs/your-own-table.md" in message and "(left out: Lat, Lon)" in message
    # the four headers with a canonical meaning, guessed from their words; Lat and Lon have none
    mapping = skeleton_of(message)
    assert mapping == {"city": "City", "country": "Country", "stated_per_1000": "CCTVperperson",
                       "stated_per_sq_mi": "CCTVpermile"}
    cities = read_city_table(str(path), mapping).cities  # ready to use as it is
    assert cities["city"].tolist() == ["Abidjan", "Beijing", "Medelln"]


@pytest.mark.parametrize("header", ["# Cameras", "a: b", "x, y", "[x]", "{x}", "yes", "null", "~", "3", "-", "'q'",
                                    " padded ", "Population (2025)", "Cams/sq mi", "ünïcode"])
def test_skeleton_headers_read_back_as_written(header):
    # each header inside a flow mapping, as the skeleton writes it, is the same text to YAML
    assert yaml.safe_load("{k: " + yaml_text(header) + "}") == {"k": header}


def test_skeleton_quotes_only_what_yaml_needs():
    # plain where YAML reads the text back unchanged; double-quoted otherwise
    assert yaml_text("City") == "City" and yaml_text("Population (2025)") == "Population (2025)"
    assert yaml_text("# of People") == '"# of People"' and yaml_text("a, b") == '"a, b"'
    # the 2021 layout's headers: all seven guessed (the per-1,000 one before the plain count), '#' ones quoted
    text = mapping_skeleton(["City", "Country", "# of CCTV Cameras", "# of People",
                             "# of CCTV Cameras per 1,000 People", "Cameras per Square Mile", "Crime Index"])
    assert text == ('column_mapping: {city: City, country: Country, cameras: "# of CCTV Cameras", population: '
                    '"# of People", stated_per_1000: "# of CCTV Cameras per 1,000 People", stated_per_sq_mi: '
                    "Cameras per Square Mile, crime_index: Crime Index}")
    # 'Nation' is taken for the country before 'Name' could be, 'Name' for the city
    assert mapping_skeleton(["Name", "Nation", "Cams"]) == (
        "column_mapping: {city: Name, country: Nation, cameras: Cams}")
    # no header looks like a city or a country: '?' to replace, every header named as left out
    assert mapping_skeleton(["A", "B"]) == 'column_mapping: {city: "?", country: "?"} (left out: A, B)'


# --- YAML that reads as null --------------------------------------------------------------------

@pytest.mark.parametrize(("text", "line", "fragment"), [
    # line 4: '# of CCTV Cameras' unquoted is a comment, the value is null
    ("columns:\n  city: City\n  country: Country\n  cameras: # of CCTV Cameras\n", 4,
     'this value is empty to YAML (a header starting with \'#\' is read as a comment); quote it: cameras: '
     '"# of CCTV Cameras"'),
    ("columns:\n  city: City\n  ~: Country\n", 3, "this key is empty to YAML"),
    ("city: City\ncountry:\n", 2, "this value is empty to YAML"),
])
def test_mapping_header_or_key_read_as_null_names_the_file_and_line(tmp_path, text, line, fragment):
    path = write(tmp_path, "City,Country,# of CCTV Cameras\nOsaka,Japan,30000\n")
    mapping = write(tmp_path, text, "map.yml")
    with pytest.raises(ConfigError) as err:
        read_city_table(str(path), mapping)
    assert f"map.yml line {line}: {fragment}" in str(err.value)
    assert "None" not in str(err.value)


def test_mapping_given_as_a_dict_with_an_empty_header_is_refused(tmp_path):
    path = write(tmp_path, "City,Country,# of CCTV Cameras\nOsaka,Japan,30000\n")
    with pytest.raises(ParameterError, match=r"parameter 'column_mapping': no header given for cameras"):
        read_city_table(str(path), {"city": "City", "country": "Country", "cameras": None})


# --- a table without an edition -----------------------------------------------------------------

def test_a_csv_table_without_an_edition_is_warned_about(tmp_path):
    path = write(tmp_path, LATER)
    plain = read_city_table({"path": str(path), "column_mapping": LATER_MAP})
    assert [w for w in plain.warnings if "no edition given" in w] == [
        f"t: no edition given, so a figure of the article that differs from this table is judged 'inconsistent', "
        "never 'differs by edition' (docs/verdicts.md); declare which edition it is with edition in its "
        f'city_tables entry, e.g. {{path: {path}, edition: "2023"}}']
    dated = read_city_table({"path": str(path), "column_mapping": LATER_MAP, "edition": "2023"})
    assert not [w for w in dated.warnings if "edition" in w]
    assert no_edition_warning(TableEntry(table="comparitech_2021")) is None  # a known table's edition is known
    assert not plain.log["rule"].str.contains("edition").any()  # printed, not logged


# --- the cleaning log and city_sources.csv ------------------------------------------------------

def test_a_column_absent_from_every_row_is_one_area_entry(tmp_path):
    # LATER has cameras in every row but no cameras per square mile: no row can have an area -> one entry (row 0)
    r = read_city_table({"path": str(write(tmp_path, LATER)), "column_mapping": LATER_MAP})
    area = r.log[r.log["rule"].eq("area_not_derivable")]
    assert area[["row", "column", "before"]].values.tolist() == [[0, "area_sq_mi",
                                                                  "no stated_per_sq_mi in any of the 3 rows"]]
    # a column present with a zero in one row (line 3) keeps its entry for that row alone
    both = LATER_MAP | {"stated_per_sq_mi": "Per sq mi"}
    text = "City,Country,CCTV Cameras,Population (2025),Cameras per 1000 people,Per sq mi\n" \
           "Shenzhen,China,6222581,12590000,494.25,2000\nWuhan,China,4188000,8473405,494.25,0\n"
    r = read_city_table({"path": str(write(tmp_path, text, "z.csv")), "column_mapping": both})
    assert r.log.loc[r.log["rule"].eq("area_not_derivable"), "row"].tolist() == [3]


def test_dropped_rows_are_counted_per_table(tmp_path):
    header = ('City,Country,# of CCTV Cameras,# of People,"# of CCTV Cameras per 1,000 People",'
              "Cameras per Square Mile,Crime Index\n")
    # line 2 good; line 3 has two problems (country 'q', cameras 'many') and counts once; line 4 is cut short
    text = header + "London,England (UK),1,2,3,4,5\nTel Aviv,q,many,2,3,4,5\nOsaka,Japan\n"
    bad = write(tmp_path, text, "bad.csv")
    good = write(tmp_path, header + "Tokyo,Japan,1,2,3,4,5\n", "good.csv")
    r = read_city_tables(entries([{"path": str(bad), "on_bad_rows": "drop"}, str(good)]))
    assert r.log["rule"].str.startswith("bad_row_dropped").sum() == 3  # three entries ...
    assert sources_table(r)[["name", "rows", "dropped_rows"]].values.tolist() == [["bad", 1, 2], ["good", 1, 0]]


def test_summary_lines_count_each_tables_warnings(tmp_path):
    coords = write(tmp_path, COORDS + "Bad,Row\n", "coords.csv")  # line 5 is cut short and dropped
    later = write(tmp_path, LATER, "later.csv")
    mapping = {"city": "City", "country": "Country", "stated_per_1000": "CCTVperperson",
               "stated_per_sq_mi": "CCTVpermile"}
    read = read_city_tables(entries([{"path": str(coords), "column_mapping": mapping, "on_bad_rows": "drop"},
                                     {"path": str(later), "column_mapping": LATER_MAP, "edition": "2025"}]))
    write_processed(tmp_path / "out", pd.DataFrame({"x": []}), read.cities, read.log, sources_table(read))
    lines = summary_lines(tmp_path / "out", "OUT/cleaning_log.csv")
    # coords: Medelln (1 damaged name), 'CCTVperperson' over per-1,000 values (1 scale warning), line 5 dropped,
    # no edition; later: Shenzhen and Wuhan share 494.25 per 1,000, China's only rows (2 estimated rows)
    assert lines == [
        "city tables: warnings (each with its line in OUT/cleaning_log.csv; how to act on them: "
        "docs/your-own-table.md, section 6)",
        "  coords: 1 damaged name, 1 per-person scale warning, 1 row dropped (on_bad_rows: drop); no edition given "
        "(edition differences are judged inconsistent)",
        "  later: 2 estimated rows (one national rate)"]


def test_summary_lines_are_empty_without_warnings_or_files(tmp_path):
    assert summary_lines(tmp_path) == []  # no cleaning log
    clean = write(tmp_path, "City,Country,Cams\nOsaka,Japan,30000\n")
    read = read_city_tables(entries([{"path": str(clean), "edition": "x",
                                      "column_mapping": {"city": "City", "country": "Country", "cameras": "Cams"}}]))
    write_processed(tmp_path / "out", pd.DataFrame({"x": []}), read.cities, read.log, sources_table(read))
    assert summary_lines(tmp_path / "out") == []


# --- figures not drawn --------------------------------------------------------------------------

def ranked_of(tmp_path, text: str, mapping: dict, name: str = "t") -> pd.DataFrame:
    cities = read_city_table({"path": str(write(tmp_path, text, f"{name}.csv")), "column_mapping": mapping}).cities
    return density.add_rankings(density.city_densities(cities))


def test_figures_not_drawn_say_which_column_the_table_lacks(tmp_path):
    later = ranked_of(tmp_path, LATER, LATER_MAP, "later")  # counts and populations, no area
    assert not_drawn("implied_areas", later, "later") == (
        "The figure implied_areas is not drawn: an implied area is cameras / cameras per square mile, and the rows "
        "of later have no cameras per square mile (the cleaning log has one area_not_derivable entry for it).")
    # before, this said "no city table with Chinese cities": later has two, but no area to divide by
    assert not_drawn("counted_vs_rule", later, "later") == (
        "The figure counted_vs_rule is not drawn: the rule needs a Chinese city's people per square mile "
        "(population / implied area, the area from cameras / cameras per square mile), and the Chinese rows of "
        "later have no cameras per square mile.")
    assert "later gives no cameras per square mile" in not_drawn("per_1000_vs_per_sq_mi", later, "later")
    rates = ranked_of(tmp_path, COORDS, {"city": "City", "country": "Country", "stated_per_sq_mi": "CCTVpermile"})
    assert not_drawn("city_ranking_per_1000", rates, "t").endswith(
        "t gives no rate per 1,000 people: it prints none, and its rows have no camera counts and no populations to "
        "compute one from.")


def test_figures_not_drawn_for_estimated_rows_and_without_a_table(tmp_path):
    china = LATER.replace("London,United Kingdom,127373,9540576,13.35\n", "")  # two Chinese rows at 494.25 only
    ranked = ranked_of(tmp_path, china, LATER_MAP)
    assert not_drawn("city_ranking_per_1000", ranked, "t") == (
        "The figure city_ranking_per_1000 is not drawn: every row of t with a rate per 1,000 people (2 cities) is "
        "estimated from one national rate, and only counted rows are ranked.")
    assert not_drawn(CITY_FIGURES, None, None) == (
        "The figures city_ranking_per_1000, per_1000_vs_per_sq_mi, rank_per_1000_vs_per_sq_mi and implied_areas "
        "are not drawn: no city table is loaded (city_tables is empty).")


def test_article_vs_table_not_drawn_gives_the_audits_reasons(tmp_path):
    later = ranked_of(tmp_path, LATER, LATER_MAP, "later")
    claims = pd.DataFrame({"figure_id": ["london_per_1000", "osaka_per_sq_mi", "china_per_1000"],
                           "metric": ["cameras_per_1000", "cameras_per_sq_mi", "cameras_per_1000"],
                           "reason": ["not in the table", "", "national"], "verdict": ["cannot be checked"] * 3})
    countries = pd.Series({"london_per_1000": "United Kingdom", "osaka_per_sq_mi": "Japan", "china_per_1000": "China"})
    # China's figure is not drawn in this figure; the two others, with the audit's reason (else its verdict)
    assert not_drawn("article_vs_table", later, "later", claims=claims, countries=countries) == (
        "The figure article_vs_table is not drawn: none of the article's 2 figures per 1,000 people or per square "
        "mile outside China could be recomputed from later (london_per_1000: not in the table; osaka_per_sq_mi: "
        "cannot be checked).")
    assert not_drawn("editions_per_1000", later, "later", first="a", last="b") == (
        "The figure editions_per_1000 is not drawn: no city has a rate per 1,000 people in both a and b, the first "
        "and the last table.")
