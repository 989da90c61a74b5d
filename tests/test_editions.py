"""Two tables read as editions: the same city matched across them, its rate and rank compared."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers.analysis.editions import compare_editions


def table(source: str, rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame([{"source": source, "city": c, "country_code": cc, "cameras": cams, "population": pop,
                          "stated_per_1000": rate} for c, cc, cams, pop, rate in rows])


def test_cities_are_matched_by_plain_name_and_country_and_ranked_per_edition():
    old = table("e2021", [("London", "GBR", 627707, 9425622, 66.6), ("São Paulo", "BRA", 12000, 12000000, None),
                          ("Delhi", "IND", 100, 1000, 100.0), ("Osaka", "JPN", 10, 10000, 1.0)])
    new = table("e2023", [("London", "GBR", 942562, 9425622, None), ("Sao Paulo", "BRA", 24000, 12000000, 2.0),
                          ("Delhi", "IND", 110, 1000, 110.0), ("Lima", "PER", 5, 1000, 5.0)])
    out = compare_editions(pd.concat([old, new]), ["e2021", "e2023"]).set_index("city")
    assert sorted(out.index) == ["Delhi", "London", "São Paulo"]  # Osaka and Lima are in one table only
    # London: 66.6 printed in 2021; 942562 / 9425622 x 1000 = 100.0 computed in 2023 (no printed rate)
    assert out.loc["London", "per_1000 e2023"] == pytest.approx(100.0)
    assert out.loc["London", "per_1000 change"] == pytest.approx(100.0 - 66.6)
    # 2021 ranks: Delhi 100 (1), London 66.6 (2), São Paulo 12000/12e6 x 1000 = 1.0 ties Osaka 1.0 (3, 3)
    assert out.loc["São Paulo", "rank e2021"] == 3
    # 2023 ranks: Delhi 110 (1), London 100 (2), Lima 5 (3), São Paulo 2 (4): São Paulo falls one place
    assert out.loc["São Paulo", "rank e2023"] == 4 and out.loc["São Paulo", "rank change"] == -1
    assert out.loc["London", "cameras e2021"] == 627707


def test_estimated_rows_are_compared_but_not_ranked():
    old = table("a", [("Wuhan", "CHN", 200000, 8473405, 23.6), ("Lima", "PER", 5, 1000, 5.0)])
    new = table("b", [("Wuhan", "CHN", 4188000, 8473405, 494.25), ("Lima", "PER", 6, 1000, 6.0)])
    both = pd.concat([old, new]).assign(basis=["counted", "counted", "estimated (one national rate)", "counted"])
    out = compare_editions(both, ["a", "b"]).set_index("city")
    assert out.loc["Wuhan", "basis b"] == "estimated (one national rate)"
    assert pd.isna(out.loc["Wuhan", "rank b"]) and out.loc["Lima", "rank b"] == 1  # Wuhan's estimate is not ranked


def test_estimated_rows_are_marked_and_left_out_of_the_changes():
    # Wuhan: counted 23.6 in a, the national rate 494.25 in b (estimated). 494.25 - 23.6 = 470.65 would be the
    # largest change; it is a rule against a count, so the change is blank and the row sorts last. Wuhan ranks 1st
    # in a (23.6 > 5.0) and has no rank in b: its rank change is blank, never 1 - 1 = 0.
    # Lima: 5.0 -> 6.0, change +1.0; rank 2 in a (behind Wuhan), 1 in b (Wuhan unranked): climbs 2 - 1 = +1.
    old = table("a", [("Wuhan", "CHN", 200000, 8473405, 23.6), ("Lima", "PER", 5, 1000, 5.0)])
    new = table("b", [("Wuhan", "CHN", 4188000, 8473405, 494.25), ("Lima", "PER", 6, 1000, 6.0)])
    both = pd.concat([old, new]).assign(basis=["counted", "counted", "estimated (one national rate)", "counted"])
    out = compare_editions(both, ["a", "b"])
    assert out["city"].tolist() == ["Lima", "Wuhan"]  # the estimate is not among the largest changes
    out = out.set_index("city")
    assert out.loc["Wuhan", "estimated in"] == "b" and out.loc["Lima", "estimated in"] == ""
    assert pd.isna(out.loc["Wuhan", "per_1000 change"]) and pd.isna(out.loc["Wuhan", "rank change"])
    assert out.loc["Lima", "per_1000 change"] == pytest.approx(1.0) and out.loc["Lima", "rank change"] == 1


def test_rank_change_is_blank_where_the_first_table_has_no_rank():
    # Delhi is estimated in a (no rank there) and counted in b (rank 1 of 1): the change compares nothing.
    old = table("a", [("Delhi", "IND", 100, 1000, 100.0)])
    new = table("b", [("Delhi", "IND", 110, 1000, 110.0)])
    both = pd.concat([old, new]).assign(basis=["estimated (one national rate)", "counted"])
    out = compare_editions(both, ["a", "b"]).set_index("city")
    assert out.loc["Delhi", "rank b"] == 1 and pd.isna(out.loc["Delhi", "rank a"])
    assert pd.isna(out.loc["Delhi", "rank change"]) and pd.isna(out.loc["Delhi", "per_1000 change"])
