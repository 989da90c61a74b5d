"""Cleaning: printed numbers, countries, messy city tables, layouts and the cleaning log."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers.data.city_tables import read_city_table, read_city_tables, sources_table
from helpers.data.cleaning import clean_article_figures, write_processed
from helpers.data.countries import resolve_country
from helpers.data.io import load_raw
from helpers.data.schemas import ARTICLE_FIGURES
from helpers.data.table_options import entries
from helpers.data.values import ParsedValue, parse_value_text
from helpers.errors import ParameterError, RawDataError

HEADER_2021 = ('City,Country,# of CCTV Cameras,# of People,"# of CCTV Cameras per 1,000 People",'
               "Cameras per Square Mile,Crime Index")


@pytest.mark.parametrize(("text", "value", "qualifier"), [
    ("6,220", 6220.0, "exact"),
    ("1.46 billion", 1.46e9, "exact"),
    ("540 million", 540e6, "exact"),
    ("54 percent", 54.0, "exact"),
    ("approximately 1 billion", 1e9, "approximate"),
    ("less than 6", 6.0, "upper_bound"),
    ("tens of millions", 1e7, "lower_bound"),
    ("9.43M", 9.43e6, "exact"),
    ("1.2k", 1200.0, "exact"),
    ("  13.35 ", 13.35, "exact"),
    ("12\u00a0591\u00a0696".replace("\u00a0", ""), 12591696.0, "exact"),
])
def test_parse_value_text(text, value, qualifier):
    parsed = parse_value_text(text)
    assert parsed == ParsedValue(pytest.approx(value), qualifier)


def test_censored_value_stays_a_bound():
    parsed = parse_value_text("less than 6")
    assert parsed.qualifier == "upper_bound" and parsed.value == 6.0
    assert parsed != ParsedValue(6.0, "exact")


@pytest.mark.parametrize("text", ["lots", "1,46", "six", ""])
def test_unreadable_numbers_are_named(text):
    with pytest.raises(ValueError, match="is not a number this project can read"):
        parse_value_text(text)


@pytest.mark.parametrize(("text", "code", "rule"), [
    ("China", "CHN", "exact"), ("England (UK)", "GBR", "country_alias"), (" Singapore ", "SGP", "exact"),
    ("Rusia", "RUS", "country_fuzzy_match"), ("Untied States", "USA", "country_fuzzy_match"),
    ("Côte d'Ivoire", "CIV", "country_alias"), ("Cote d'Ivoire", "CIV", "country_alias"),
    ("south korea", "KOR", "country_alias"),
])
def test_countries_resolve_to_iso_codes(text, code, rule):
    country = resolve_country(text)
    assert (country.code, country.rule) == (code, rule)


def test_article_figures_are_parsed_with_codes():
    figures, log = clean_article_figures(load_raw("article_figures.csv", ARTICLE_FIGURES))
    by_id = figures.set_index("figure_id")
    assert by_id.loc["osaka_per_sq_mi", ["value", "qualifier"]].tolist() == [6.0, "upper_bound"]
    assert by_id.loc["china_population", "value"] == 1.46e9
    assert by_id.loc["london_per_1000", "country_code"] == "GBR"
    assert "less than 6" in log["before"].tolist()


def write(tmp_path, text: str, name: str = "t.csv") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def test_messy_table_is_cleaned_and_logged(tmp_path):
    path = write(tmp_path, "\ufeff" + HEADER_2021 + "\n"
                 "London ,England (UK),\"691,000\",9.43M,73.31,1138.48,53.07\n"
                 ",,,,,,\n"
                 "São Paulo,Brazill,1.2k,12325232,0.1,0.5,N/A\n"
                 "Sao  Paulo,Brazil,5,100000,0.05,0.01,1\n")
    r = read_city_table({"path": str(path), "name": "messy"})
    cities, log = r.cities, r.log
    assert cities["city"].tolist() == ["London", "São Paulo", "Sao Paulo"]
    assert cities["country_code"].tolist() == ["GBR", "BRA", "BRA"]
    assert cities["cameras"].tolist() == [691000.0, 1200.0, 5.0]
    assert cities["population"].iloc[0] == 9.43e6
    assert cities["source_row"].tolist() == [2, 4, 5]  # file lines: the blank row (line 3) is gone
    assert pd.isna(cities["crime_index"].iloc[1])
    assert cities["area_sq_mi"].iloc[0] == pytest.approx(691000 / 1138.48)
    assert cities["area_km2"].iloc[0] == pytest.approx(691000 / 1138.48 * 2.589988110336)
    rules = set(zip(log["row"], log["column"], log["rule"], strict=True))
    assert {(2, "city", "strip_whitespace"), (2, "country", "country_alias"), (2, "cameras", "thousands_separator"),
            (2, "population", "number_format"), (3, "*", "blank_row_dropped"),
            (4, "country", "country_fuzzy_match"), (4, "crime_index", "missing_marker"),
            (5, "city", "strip_whitespace")} <= rules


def test_area_that_cannot_be_derived_is_left_missing_and_logged(tmp_path):
    path = write(tmp_path, HEADER_2021 + "\nLagos,Nigeria,0,14862111,0,0,65.36\n")
    r = read_city_table(path)
    cities, log = r.cities, r.log
    assert pd.isna(cities["area_sq_mi"].iloc[0])
    assert log["rule"].tolist() == ["area_not_derivable"]


def test_other_known_layout_is_recognised(tmp_path):
    path = write(tmp_path, 'city, Country,Number of CCTV cameras,Population,"CCTV cameras per 1,000 people",'
                 "CCTV cameras per square mile\nOsaka,Japan,30000,19110616,1.57,5.96\n")
    cities = read_city_table(path).cities
    assert cities[["cameras", "stated_per_sq_mi"]].values.tolist() == [[30000.0, 5.96]]


def test_column_mapping_as_dict_and_yaml(tmp_path):
    path = write(tmp_path, "Town,Nation,Cams,Residents,Cams/sq mi\nOsaka,Japan,30000,19110616,5.96\n")
    mapping = {"city": "Town", "country": "Nation", "cameras": "Cams", "population": "Residents",
               "stated_per_sq_mi": "Cams/sq mi"}
    cities = read_city_table(path, mapping).cities
    assert cities["cameras"].tolist() == [30000.0]
    yml = tmp_path / "map.yml"
    yml.write_text("columns:\n" + "".join(f"  {k}: {v}\n" for k, v in mapping.items()))
    assert read_city_table(path, yml).cities.equals(cities)


def test_bad_column_mapping_is_refused(tmp_path):
    path = write(tmp_path, "Town,Nation\nOsaka,Japan\n")
    with pytest.raises(ParameterError, match=r"keys \['town'\] are not canonical columns"):
        read_city_table(path, {"city": "Town", "country": "Nation", "town": "Town"})
    with pytest.raises(ParameterError, match="must map country"):
        read_city_table(path, {"city": "Town"})


def test_unknown_layout_lists_expected_columns(tmp_path):
    path = write(tmp_path, "Place,Land,Eyes\nOsaka,Japan,3\n")
    with pytest.raises(RawDataError) as err:
        read_city_table(path)
    msg = str(err.value)
    assert "t.csv: unknown table layout. Columns found: Place, Land, Eyes" in msg
    assert "comparitech_2021: City, Country, # of CCTV Cameras" in msg
    assert "column_mapping" in msg


def test_unknown_country_names_line_and_value(tmp_path):
    path = write(tmp_path, HEADER_2021 + "\nLondon,England (UK),1,2,3,4,5\nAtlantis City,Atlantis,1,2,3,4,5\n")
    with pytest.raises(RawDataError, match=r"t\.csv, line 3, column 'Country': unknown country 'Atlantis'"):
        read_city_table(path)


def test_text_in_a_count_names_line_and_column(tmp_path):
    path = write(tmp_path, HEADER_2021 + "\nLondon,England (UK),many,2,3,4,5\n")
    with pytest.raises(RawDataError, match=r"line 2, column '# of CCTV Cameras': 'many' is not a number"):
        read_city_table(path)


def test_negative_count_is_refused(tmp_path):
    path = write(tmp_path, HEADER_2021 + "\nLondon,England (UK),-691000,2,3,4,5\n")
    with pytest.raises(RawDataError, match="'-691000' is negative"):
        read_city_table(path)


def test_processed_files_are_deterministic(tmp_path):
    figures, log = clean_article_figures(load_raw("article_figures.csv", ARTICLE_FIGURES))
    cities = read_city_tables([]).cities
    first = {k: p.read_bytes() for k, p in write_processed(tmp_path, figures, cities, log).items()}
    second = {k: p.read_bytes() for k, p in write_processed(tmp_path, figures, cities, log).items()}
    assert first == second
    assert first["cities"].decode().count("\n") == 1  # header only in an article-only run


def test_real_2021_table(shared_data):
    r = read_city_table({"path": str(shared_data / "comparitech_2021_cities.csv"), "name": "comparitech_2021"})
    cities, log = r.cities, r.log
    assert len(cities) == 134
    assert cities["city"].notna().all() and (cities["city"].str.strip() != "").all()
    assert (log["rule"] == "blank_row_dropped").sum() == 1
    recomputed = (cities["cameras"] / cities["population"] * 1000).round(2)
    assert ((recomputed - cities["stated_per_1000"]).abs() < 1e-9).all()
    assert cities.loc[cities["city"] == "London", "country_code"].item() == "GBR"


# --- per-table options and corrections ------------------------------------------------------------

def test_a_mapped_header_missing_from_the_file_is_named(tmp_path):
    path = write(tmp_path, "City,Country,CCTV Cameras\nOsaka,Japan,3\n")
    with pytest.raises(RawDataError, match=r"names header\(s\) the file does not have: population -> "
                                           r"'Population \(2025\)'\. Columns found: City, Country, CCTV Cameras"):
        read_city_table(path, {"city": "City", "country": "Country", "population": "Population (2025)"})


def test_corrections_fix_names_drop_rows_and_set_values_each_logged(tmp_path):
    path = write(tmp_path, HEADER_2021 + "\nMedelln,Colombia,100,2000,50,1,1\nTel Aviv,q,10,1000,10,1,1\n"
                 "Xinbei,Taiwan,5,100,50,1,1\nTaiyuan,China,1,3000000,117.02,174.39,1\n")
    fixes = tmp_path / "fix.yml"
    fixes.write_text("country_aliases: {q: Israel}\ncity_names: {Medelln: Medellín}\n"
                     "drop_rows: [{city: Xinbei, reason: a district}]\n"
                     "values: [{city: Taiyuan, column: cameras, value: 465255, source: first row of the 2021 table}]\n")
    r = read_city_table({"path": str(path), "corrections": str(fixes)})
    assert r.cities["city"].tolist() == ["Medellín", "Tel Aviv", "Taiyuan"]
    assert r.cities.loc[2, "cameras"] == 465255
    rules = set(zip(r.log["row"], r.log["column"], r.log["before"], r.log["after"], r.log["rule"], strict=True))
    assert {(2, "city", "Medelln", "Medellín", "city_name_correction"),
            (3, "country", "q", "Israel", "country_alias_correction"),
            (4, "*", "Xinbei", "", "dropped: a district"),
            (5, "cameras", "1", "465255", "value_correction: first row of the 2021 table")} <= rules


def test_bad_rows_stop_by_default_and_are_dropped_and_logged_on_request(tmp_path):
    path = write(tmp_path, HEADER_2021 + "\nLondon,England (UK),1,2,3,4,5\nTel Aviv,q,1,2,3,4,5\n"
                 "X,Japan,many,2,3,4,5\n")
    with pytest.raises(RawDataError, match=r"t\.csv, line 3, column 'Country': unknown country 'q'.*; line 4, "
                                           r"column '# of CCTV Cameras': 'many' is not a number.*on_bad_rows: drop"):
        read_city_table(path)
    r = read_city_table({"path": str(path), "on_bad_rows": "drop"})
    assert r.cities["city"].tolist() == ["London"]
    dropped = r.log[r.log["rule"].str.startswith("bad_row_dropped")]
    assert dropped[["row", "column"]].values.tolist() == [[3, "Country"], [4, "# of CCTV Cameras"]]
    assert "unknown country 'q'" in dropped["rule"].iloc[0]


def test_a_misspelt_corrections_key_is_refused_with_the_closest(tmp_path):
    path = write(tmp_path, HEADER_2021 + "\nLondon,England (UK),1,2,3,4,5\n")
    fixes = tmp_path / "fix.yml"
    fixes.write_text("country_alias: {q: Israel}\n")
    with pytest.raises(RawDataError, match=r"fix\.yml: country_alias: unknown key; did you mean 'country_aliases'"):
        read_city_table({"path": str(path), "corrections": str(fixes)})


def test_each_table_has_its_own_layout_or_mapping(tmp_path):
    known = write(tmp_path, HEADER_2021 + "\nLondon,England (UK),691000,9425622,73.31,1138.48,53.07\n", "a.csv")
    mapped = write(tmp_path, "Town,Nation,Cams\nOsaka,Japan,30000\n", "b.csv")
    r = read_city_tables(entries([str(known), {"path": str(mapped), "column_mapping": {"city": "Town",
                                  "country": "Nation", "cameras": "Cams"}, "edition": "x"}]))
    assert r.cities["source"].tolist() == ["a", "b"]
    assert sources_table(r)[["name", "edition", "rows"]].values.tolist() == [["a", "", 1], ["b", "x", 1]]
