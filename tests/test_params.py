"""Parameter checks name the parameter and the rule."""

from __future__ import annotations

import pytest

from helpers.errors import ParameterError
from helpers.params import folder, number
from helpers.paths import PROJECT_ROOT


def test_number_accepts_numbers_and_numeric_text():
    assert number("x", 3) == 3.0
    assert number("x", "1,460,000,000") == 1.46e9


@pytest.mark.parametrize(("value", "kwargs", "message"), [
    ("lots", {}, "parameter 'x' must be a number, got 'lots'"),
    (True, {}, "parameter 'x' must be a number, got True"),
    (float("nan"), {}, "parameter 'x' must be a finite number"),
    (-1, {"low": 0}, "parameter 'x' must be at least 0, got -1"),
    (0, {"low": 0, "low_open": True}, "parameter 'x' must be greater than 0, got 0"),
    (101, {"high": 100}, "parameter 'x' must be at most 100, got 101"),
])
def test_number_refuses_with_the_rule(value, kwargs, message):
    with pytest.raises(ParameterError) as err:
        number("x", value, **kwargs)
    assert str(err.value).startswith(message)


def test_folder_is_resolved_from_the_project_root():
    assert folder("out", "outputs") == PROJECT_ROOT / "outputs"


def test_folder_errors():
    with pytest.raises(ParameterError, match="parameter 'out' must be a folder path, got 3"):
        folder("out", 3)
    with pytest.raises(ParameterError, match="parameter 'out': folder 'no/such' does not exist"):
        folder("out", "no/such", must_exist=True)


def test_did_you_mean_suggests_the_closest_option_or_nothing():
    from helpers.errors import closest, did_you_mean

    # "scenaro" is "scenario" with one letter dropped: ratio 2*7/15 = 0.93, well above 0.6
    assert did_you_mean("scenaro", ["scenario", "seed"]) == "; did you mean 'scenario'?"
    # "zzz" shares no letter with either option: ratio 0, nothing suggested
    assert did_you_mean("zzz", ["scenario", "seed"]) == ""
    # cutoff 0 always gives the best match, even a poor one ("zzz" vs "seed": ratio 0, but the only option)
    assert closest("zzz", ["seed"], cutoff=0.0) == "seed"
