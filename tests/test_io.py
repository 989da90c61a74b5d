"""Raw tables are validated against their schema with one clear error naming file, row, column."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers.data.checksums import RAW_SUFFIXES, recorded, verify
from helpers.data.checksums import write as write_sums
from helpers.data.io import load_raw, load_table, read_text_table
from helpers.data.schemas import ARTICLE_FIGURES, CITIES
from helpers.errors import ChecksumError, RawDataError
from helpers.paths import DATA_RAW

GOOD = DATA_RAW / "article_figures.csv"


def _write_variant(tmp_path, edit) -> str:
    df = read_text_table(GOOD)
    df = edit(df)
    path = tmp_path / "figures.csv"
    df.to_csv(path, index=False)
    return path


def test_the_article_figures_load_and_are_typed():
    df = load_raw("article_figures.csv", ARTICLE_FIGURES)
    assert df["figure_id"].is_unique
    assert df["paragraph"].dtype == "int64"
    assert set(df["scenario"]) == {"conservative", "high", "none"}


def test_missing_column_is_named(tmp_path):
    path = _write_variant(tmp_path, lambda d: d.drop(columns="unit"))
    with pytest.raises(RawDataError) as err:
        load_table(path, ARTICLE_FIGURES)
    msg = str(err.value)
    assert "figures.csv" in msg
    assert "column 'unit' is missing" in msg
    assert "expected columns: figure_id, paragraph" in msg


def test_text_where_a_number_belongs_names_row_and_column(tmp_path):
    def edit(d):
        d.loc[3, "paragraph"] = "third"
        return d

    with pytest.raises(RawDataError) as err:
        load_table(_write_variant(tmp_path, edit), ARTICLE_FIGURES)
    assert "row 4 (line 5), column 'paragraph': 'third' is not a valid int64" in str(err.value)


def test_duplicate_row_is_reported_with_its_twin(tmp_path):
    path = _write_variant(tmp_path, lambda d: pd.concat([d, d.iloc[[1]]], ignore_index=True))
    with pytest.raises(RawDataError) as err:
        load_table(path, ARTICLE_FIGURES)
    n = len(read_text_table(GOOD)) + 1
    assert f"row {n} (line {n + 1}): duplicates row 2 (line 3)" in str(err.value)


def test_negative_count_is_refused(tmp_path):
    def edit(d):
        d.loc[d["figure_id"] == "china_cameras_high", "value_text"] = "-626 million"
        return d

    with pytest.raises(RawDataError) as err:
        load_table(_write_variant(tmp_path, edit), ARTICLE_FIGURES)
    assert "column 'value_text': '-626 million'" in str(err.value)
    assert "must not be negative" in str(err.value)


def test_negative_camera_count_in_a_city_table(tmp_path):
    path = tmp_path / "cities.csv"
    path.write_text(
        ",".join(CITIES.columns) + "\n"
        "t,2,London,United Kingdom,GBR,691000,9425622,73.31,1138.48,53.07,606.9,1572\n"
        "t,3,Lagos,Nigeria,NGA,-5,14862111,0,0,65.36,,\n"
    )
    with pytest.raises(RawDataError) as err:
        load_table(path, CITIES)
    assert "row 2 (line 3), column 'cameras': -5.0 fails greater_than_or_equal_to(0)" in str(err.value)


def test_all_problems_arrive_in_one_error(tmp_path):
    def edit(d):
        d.loc[0, "paragraph"] = "x"
        d.loc[1, "metric"] = "vibes"
        return d

    with pytest.raises(RawDataError) as err:
        load_table(_write_variant(tmp_path, edit), ARTICLE_FIGURES)
    msg = str(err.value)
    assert "2 problem(s)" in msg
    assert "row 1 (line 2), column 'paragraph'" in msg
    assert "row 2 (line 3), column 'metric': 'vibes' fails isin" in msg


def test_missing_file_is_named(tmp_path):
    with pytest.raises(RawDataError, match=r"nope\.csv: file not found"):
        load_table(tmp_path / "nope.csv", ARTICLE_FIGURES)


def test_changed_raw_file_is_refused(tmp_path):
    (tmp_path / "article_figures.csv").write_bytes(GOOD.read_bytes())
    write_sums(tmp_path, tmp_path / "SHA256SUMS")
    assert len(load_raw("article_figures.csv", ARTICLE_FIGURES, folder=tmp_path)) > 0
    with open(tmp_path / "article_figures.csv", "a") as fh:
        fh.write("extra,1,x,,cameras,cameras,1,none,x,,x\n")
    with pytest.raises(ChecksumError, match=r"article_figures.csv has changed: sha256 \w+"):
        load_raw("article_figures.csv", ARTICLE_FIGURES, folder=tmp_path)


def test_unrecorded_raw_file_is_refused(tmp_path):
    (tmp_path / "SHA256SUMS").write_text("")
    (tmp_path / "new.csv").write_text("a\n1\n")
    with pytest.raises(ChecksumError, match=r"new\.csv has no recorded checksum"):
        verify(tmp_path / "new.csv", tmp_path / "SHA256SUMS")


def test_every_raw_file_is_recorded_and_matches():
    for name in recorded():
        verify(DATA_RAW / name)
    data_files = {p.name for p in DATA_RAW.iterdir() if p.suffix in RAW_SUFFIXES}
    assert data_files <= set(recorded())


def test_header_only_file_reads_as_empty_table(tmp_path):
    from helpers.data.io import read_text_table

    path = tmp_path / "t.csv"
    path.write_text("a,b", encoding="utf-8")  # no newline at all
    assert list(read_text_table(path).columns) == ["a", "b"] and read_text_table(path).empty


def test_a_city_tables_text_reads_as_read_text_table_reads_it(tmp_path):
    from helpers.data.table_text import read_table_text

    # a quoted cell with a comma and a blank line (a row of missing cells, line 3) read alike by both readers
    path = tmp_path / "t.csv"
    path.write_text('a,b\n"x, y",1\n\n z ,\n', encoding="utf-8")
    text = read_table_text(path)
    pd.testing.assert_frame_equal(text.frame, read_text_table(path))
    assert text.frame["a"].tolist()[0] == "x, y" and text.frame.iloc[1].isna().all() and text.ragged == []


def test_a_byte_order_mark_is_dropped_and_other_encodings_are_named(tmp_path):
    from helpers.data.table_text import decode

    path = tmp_path / "t.csv"
    path.write_bytes("\ufeffa,b\n1,2\n".encode())
    assert decode(path) == "a,b\n1,2\n"
    path.write_bytes("a,b\nZürich,2\n".encode("cp1252"))  # ü is 0xfc in cp1252, on line 2
    assert decode(path, "cp1252") == "a,b\nZürich,2\n"
    with pytest.raises(RawDataError, match=r"t\.csv, line 2: byte 0xfc is not UTF-8 text; give the table's encoding"):
        decode(path)
