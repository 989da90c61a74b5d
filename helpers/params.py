"""Checks for notebook parameters: each failure names the parameter and the rule it broke."""

from __future__ import annotations

import math
from pathlib import Path

from helpers.errors import ParameterError
from helpers.paths import resolve


def number(name: str, value: object, *, low: float | None = None, high: float | None = None,
           low_open: bool = False) -> float:
    """Return ``value`` as a float, or raise ParameterError naming ``name`` and the broken rule."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        try:
            value = float(str(value).replace(",", ""))
        except ValueError:
            raise ParameterError(f"parameter {name!r} must be a number, got {value!r}") from None
    value = float(value)
    if math.isnan(value) or math.isinf(value):
        raise ParameterError(f"parameter {name!r} must be a finite number, got {value!r}")
    if low is not None and (value <= low if low_open else value < low):
        rule = f"greater than {low:g}" if low_open else f"at least {low:g}"
        raise ParameterError(f"parameter {name!r} must be {rule}, got {value:g}")
    if high is not None and value > high:
        raise ParameterError(f"parameter {name!r} must be at most {high:g}, got {value:g}")
    return value


def folder(name: str, value: object, *, must_exist: bool = False) -> Path:
    """Resolve a folder parameter (relative to the project root); optionally require it to exist."""
    if not isinstance(value, str | Path) or not str(value).strip():
        raise ParameterError(f"parameter {name!r} must be a folder path, got {value!r}")
    path = resolve(value)
    if must_exist and not path.is_dir():
        raise ParameterError(f"parameter {name!r}: folder {value!r} does not exist ({path})")
    return path
