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
from helpers.errors import ParameterError, ProjectError, RawDataError

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


# --- hostile tables (issue 24): checked before any cell is worked on, each fault one line ----------
TWO = HEADER_2021 + ("\nTaiyuan,China,465255,3975985,117.02,174.39,34.31\n"  # line 2
                     "London,England (UK),691000,9425622,73.31,1138.48,53.07\n")  # line 3


def refused(path, entry: dict | None = None) -> str:
    with pytest.raises(RawDataError) as err:
        read_city_table({"path": str(path), **(entry or {})})
    assert "\n" not in str(err.value)
    return str(err.value)


def test_a_row_cut_short_is_an_error_naming_its_line(tmp_path):
    # header line 1, Taiyuan 2, London 3: the truncated Shenyang row is line 4, with 4 of the header's 7 fields
    path = write(tmp_path, TWO + "Shenyang,China,200000,73\n")
    assert "t.csv, line 4: 4 fields; the header has 7, a row cut short" in refused(path)


def test_a_row_with_an_extra_field_is_an_error_naming_its_line(tmp_path):
    # London (line 3) gets an eighth field
    path = write(tmp_path, TWO.replace("53.07\n", "53.07,x\n"))
    assert "t.csv, line 3: 8 fields; the header has 7" in refused(path)


def test_rows_of_another_width_are_dropped_logged_and_counted_on_request(tmp_path):
    # lines 4 (4 fields) and 5 (8 fields) left out: 2 rows logged under one rule, the two good cities kept
    path = write(tmp_path, TWO + "Shenyang,China,200000,73\nOsaka,Japan,1,2,3,4,5,6\n")
    r = read_city_table({"path": str(path), "on_bad_rows": "drop"})
    assert r.cities["city"].tolist() == ["Taiyuan", "London"]
    assert r.cities["source_row"].tolist() == [2, 3]
    dropped = r.log[r.log["rule"].eq("bad_row_dropped: wrong number of fields")]
    assert dropped[["row", "column", "before"]].values.tolist() == [
        [4, "*", "Shenyang,China,200000,73"], [5, "*", "Osaka,Japan,1,2,3,4,5,6"]]
    assert r.log.groupby("rule").size()["bad_row_dropped: wrong number of fields"] == 2


def test_a_dropped_row_keeps_the_lines_of_the_rows_after_it(tmp_path):
    # line 3 (London) is cut short and dropped; Osaka stays line 4 in cities.source_row
    path = write(tmp_path, TWO.replace(",73.31,1138.48,53.07", "") + "Osaka,Japan,1,2,3,4,5\n")
    r = read_city_table({"path": str(path), "on_bad_rows": "drop"})
    assert r.cities[["city", "source_row"]].values.tolist() == [["Taiyuan", 2], ["Osaka", 4]]


@pytest.mark.parametrize("text", ["", HEADER_2021, HEADER_2021 + "\n", HEADER_2021 + "\n\n  \n"],
                         ids=["empty", "header_only", "header_newline", "header_blank_lines"])
def test_an_empty_file_and_a_header_alone_are_one_case(tmp_path, text):
    assert refused(write(tmp_path, text)).endswith("t.csv: the table has no data rows (a header row and at least "
                                                   "one row of values are needed)")


@pytest.mark.parametrize(("chars", "ok"), [(1000, True), (1001, False), (1_000_000, False)])
def test_a_cell_over_1000_characters_names_line_and_column(tmp_path, chars, ok):
    # London (line 3, column City) renamed to `chars` letters; 1,000 is the bound itself and passes
    path = write(tmp_path, TWO.replace("London", "L" * chars))
    if ok:
        assert read_city_table(str(path)).cities["city"].str.len().max() == 1000
    else:
        assert f"t.csv, line 3, column 'City': a cell of {chars:,} characters" in refused(path)


def test_a_long_cell_is_refused_even_when_bad_rows_are_dropped(tmp_path):
    path = write(tmp_path, TWO.replace("England (UK)", "E" * 5000))  # line 3, column Country
    assert "line 3, column 'Country': a cell of 5,000 characters" in refused(path, {"on_bad_rows": "drop"})


def test_a_population_of_zero_is_named_in_plain_words(tmp_path):
    path = write(tmp_path, TWO.replace("9425622", "0"))  # London, line 3
    message = refused(path)
    assert "t.csv, line 3, column '# of People': population must be above 0; got 0" in message
    assert "greater_than" not in message


def test_a_city_given_twice_names_both_lines(tmp_path):
    # London on line 3 and again on line 4 (the same country after its alias: United Kingdom)
    path = write(tmp_path, TWO + "London,UK,1,2,3,4,5\n")
    message = refused(path)
    assert "line 4, column 'City': the city 'London' (United Kingdom) is also on line 3" in message
    assert "uniqueness" not in message
    r = read_city_table({"path": str(path), "on_bad_rows": "drop"})  # the later line is the one left out
    assert r.cities["source_row"].tolist() == [2, 3]


def test_a_latin1_table_names_the_line_and_reads_with_its_encoding_option(tmp_path):
    path = tmp_path / "t.csv"
    # "á" is byte 0xe1 in latin-1, on line 3 (London's row), which UTF-8 cannot decode there
    path.write_bytes(TWO.replace("London", "Bogotá").encode("latin-1"))
    message = refused(path)
    assert "t.csv, line 3: byte 0xe1 is not UTF-8 text" in message and "encoding: latin-1" in message
    r = read_city_table({"path": str(path), "encoding": "latin-1"})
    assert r.cities["city"].tolist() == ["Taiyuan", "Bogotá"]


def test_an_unknown_encoding_is_refused(tmp_path):
    with pytest.raises(ParameterError, match=r"city_tables'\[0\]: encoding: Value error, unknown encoding 'latin-9x'"):
        entries([{"path": "t.csv", "encoding": "latin-9x"}])


def test_an_unknown_table_name_lists_the_known_ones(tmp_path):
    with pytest.raises(ParameterError, match=r"'comparitech_2099' is neither an existing file \(comparitech_2099\) "
                                             r"nor a known public table name \(known: comparitech_2021\)"):
        read_city_table("comparitech_2099")


def test_corrections_with_an_alias_are_refused_naming_the_line(tmp_path):
    path = write(tmp_path, TWO)
    fixes = tmp_path / "fix.yml"
    # the anchor &c is on line 2: refused there, before the alias on line 3 is followed
    fixes.write_text("country_aliases: {q: Israel}\ncity_names: &c {Medelln: Medellín}\nx: *c\n")
    with pytest.raises(ProjectError, match=r"fix\.yml line 2: YAML anchors and aliases \(&name, \*name\) are not "
                                           "allowed"):
        read_city_table({"path": str(path), "corrections": str(fixes)})


def test_a_mapping_file_with_an_alias_bomb_is_refused_at_once(tmp_path):
    path = write(tmp_path, "Town,Nation\nOsaka,Japan\n")
    mapping = tmp_path / "map.yml"
    # 8 levels of 10 aliases: 10^8 values if expanded; the first anchor is on line 1
    bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 9))
    mapping.write_text("columns: {city: Town, country: Nation}\n" + bomb)
    with pytest.raises(ProjectError, match=r"map\.yml line 2: YAML anchors and aliases"):
        read_city_table({"path": str(path), "column_mapping": str(mapping)})
