"""The public table comes from the cache when present; no test touches the network."""

from __future__ import annotations

import pooch
import pytest

from helpers.data.fetch import CACHE_ENV, TABLES, fetch_table
from helpers.errors import ProjectError


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise ConnectionError("network disabled in tests")

    monkeypatch.setattr(pooch.HTTPDownloader, "__call__", refuse)


def test_cached_table_is_used_without_download(shared_data, monkeypatch):
    monkeypatch.setenv(CACHE_ENV, str(shared_data))
    path = fetch_table("comparitech_2021")
    assert path.resolve() == (shared_data / TABLES["comparitech_2021"].filename).resolve()


def test_missing_table_explains_how_to_fix(tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    with pytest.raises(ProjectError) as err:
        fetch_table("comparitech_2021")
    msg = str(err.value)
    assert "network disabled in tests" in msg
    assert str(tmp_path / "comparitech_2021_cities.csv") in msg
    assert TABLES["comparitech_2021"].sha256 in msg
    assert f"set {CACHE_ENV}" in msg and "city_tables=[]" in msg


def test_a_file_with_the_wrong_hash_is_not_used(tmp_path, monkeypatch):
    (tmp_path / "comparitech_2021_cities.csv").write_text("City,Country\nNowhere,Japan\n")
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    with pytest.raises(ProjectError, match="could not get comparitech_2021"):
        fetch_table("comparitech_2021")


def test_unknown_table_name():
    with pytest.raises(ProjectError, match="unknown public table 'nope'; known: comparitech_2021"):
        fetch_table("nope")
