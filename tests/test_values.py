"""What a printed number stands for: its printed step, its interval, ranks, and propagation through formulas."""

from __future__ import annotations

import math

import pytest

from helpers.data.values import Interval, ParsedValue, parse_value_text, printed_interval, printed_step, propagate


@pytest.mark.parametrize(("text", "step"), [
    ("9.43M", 1e4),  # two decimals of a million
    ("372.8", 0.1),
    ("6,220", 1.0),
    ("1.46 billion", 1e7),
    ("54 percent", 1.0),
    ("400000", 1.0),  # an integer printed in full is taken to its last digit
    ("third", 0.0),  # a rank has no rounding
])
def test_printed_step(text, step):
    assert printed_step(text) == pytest.approx(step)


def test_words_without_digits_have_no_step():
    assert math.isnan(printed_step("tens of millions"))
    with pytest.raises(ValueError, match="is not a number this project can read"):
        printed_step("lots")


@pytest.mark.parametrize(("text", "low", "high"), [
    ("9.43M", 9.425e6, 9.435e6),
    ("13.35", 13.345, 13.355),
    ("less than 6", -math.inf, 6.0),
    ("tens of millions", 1e7, math.inf),
    ("approximately 1 billion", 0.5e9, 1.5e9),  # its digits only: the audit widens 'approximately' its own way
])
def test_printed_interval(text, low, high):
    iv = printed_interval(text)
    assert (iv.low, iv.high) == pytest.approx((low, high))


@pytest.mark.parametrize(("text", "rank"), [("first", 1.0), ("Second", 2.0), ("fourth", 4.0), ("10th", 10.0)])
def test_ranks_parse_as_exact_whole_numbers(text, rank):
    assert parse_value_text(text) == ParsedValue(rank, "exact")


def test_propagate_takes_the_corners_of_a_monotone_formula():
    # 540 million cameras over 1.46 billion people: [539.5e6 / 1.465e9, 540.5e6 / 1.455e9] x 1000
    iv = propagate(lambda c, p: c / p * 1000, [printed_interval("540 million"), printed_interval("1.46 billion")])
    assert (iv.low, iv.high) == pytest.approx((368.2594, 371.4777), abs=1e-4)
    assert not iv.overlaps(printed_interval("372.8")) and iv.overlaps(Interval(371.4, 372.0))
