"""Competition ranks from one sort against pandas' rank and groupby rank, the definition they replace."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.analysis.ranks import descending_ranks

# few distinct values and groups, so ties within and across groups, NaN values and missing groups all occur
VALUES = st.lists(st.sampled_from([np.nan, -1.5, -0.0, 0.0, 0.25, 2.0, 2.0000001, np.inf]), max_size=40)
GROUPS = st.sampled_from(["CHN", "FRA", "USA", None])


def _pandas(values: pd.Series, groups: pd.Series) -> tuple[pd.Series, pd.Series]:
    overall = values.rank(ascending=False, method="min").astype("Int64")
    within = values.groupby(groups).rank(ascending=False, method="min").astype("Int64")
    return overall, within


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_ranks_are_pandas_ranks_overall_and_within_groups(data):
    values = pd.Series(data.draw(VALUES), dtype=float)
    groups = pd.Series(data.draw(st.lists(GROUPS, min_size=len(values), max_size=len(values))), dtype="str")
    values.index = groups.index = pd.RangeIndex(len(values)) * 3 + 7  # not 0..n-1: results keep the index
    overall, within = descending_ranks(values, groups)
    expected_overall, expected_within = _pandas(values, groups)
    pd.testing.assert_series_equal(overall, expected_overall, check_names=False)
    pd.testing.assert_series_equal(within, expected_within, check_names=False)


def test_a_small_case_by_hand():
    # values 5, 7, 7, NaN, 1 in groups a, b, a, a, b:
    # overall, largest first: the two 7s share rank 1, 5 is 3rd, 1 is 4th, NaN unranked;
    # within a: 7 -> 1, 5 -> 2 (NaN unranked); within b: 7 -> 1, 1 -> 2
    overall, within = descending_ranks(pd.Series([5.0, 7.0, 7.0, np.nan, 1.0]), pd.Series(list("abaab")))
    assert overall.tolist() == [3, 1, 1, pd.NA, 4]
    assert within.tolist() == [2, 1, 1, pd.NA, 2]
    assert descending_ranks(pd.Series([], dtype=float))[0].tolist() == []
