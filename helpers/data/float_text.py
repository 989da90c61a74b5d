"""Numbers as the text ``"%.10g" % value`` gives, a column at a time (Arrow and NumPy, no Python per value).

``%.10g`` rounds a value to 10 significant digits, writes it without an exponent when its decimal exponent is in
[-4, 10), and drops trailing zeros. A value whose shortest text (Arrow's) is already that is taken as it is; any
other is scaled by an exact power of ten to a 10-digit integer and rounded, and its digits, the point, the sign
and the leading zeros are laid out in a byte matrix, one row per value, packed into one Arrow string array.
Values whose scaled fraction is too close to one half for the rounding to be sure (about 1 in 5,000), and values
outside [1e-4, 1e10), are written by Python itself, so every text is exactly Python's (tests/test_arrow_paths.py
compares them on generated values).
"""

from __future__ import annotations

import numpy as np
import pyarrow as arrow
import pyarrow.compute as pc

from helpers.data.text_arrays import mask, text_scalar

FORMAT = "%.10g"
DIGITS = 10
LOWEST, HIGHEST = -4, DIGITS - 1  # decimal exponents %.10g writes without an exponent
SURE = 1e-4  # a scaled value this far from x.5 rounds the same however its last bit fell (error <= 1.2e-6)
WIDTH = 1 + 2 + (-LOWEST - 1) + DIGITS  # "-0.000" and 10 digits: the longest text written here
_POWERS = 10 ** np.arange(DIGITS - 1, -1, -1, dtype=np.int64)  # 1e9 ... 1: the place of each digit


def _exponents(size: np.ndarray) -> np.ndarray:
    """The decimal exponent of each positive value (floor of log10, corrected where log10 rounds across a power)."""
    exponent = np.floor(np.log10(size)).astype(np.int64)
    with np.errstate(over="ignore"):  # 10^309 is inf, which no value reaches: the comparison stays right
        exponent -= size < 10.0 ** exponent.astype(float)
        exponent += size >= 10.0 ** (exponent + 1).astype(float)
    return exponent


def _rounded(size: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(10-digit integer, exponent, sure) of positive values: size ~ integer x 10^(exponent - 9)."""
    exponent = _exponents(size)
    scaled = size * 10.0 ** np.clip(HIGHEST - exponent, 0, 22).astype(float)  # powers of ten up to 1e22 are exact
    scaled = np.where(exponent > HIGHEST, 0.0, scaled)  # written by Python
    rounded = np.rint(scaled)
    sure = np.abs(scaled - np.floor(scaled) - 0.5) > SURE
    carry = rounded >= 10.0 ** DIGITS  # 9.9999999996 -> 10.00000000: one more digit before the point
    rounded[carry] /= 10
    exponent[carry] += 1
    return rounded.astype(np.int64), exponent, sure


def _layout(number: np.ndarray, exponent: np.ndarray, negative: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(bytes, length) of each text: a row of WIDTH bytes per value, of which the first ``length`` are the text."""
    digits = (number[:, None] // _POWERS % 10).astype(np.uint8) + ord("0")
    zeros = np.zeros(len(number), dtype=np.int64)  # trailing zeros, dropped by %g
    for k in range(1, DIGITS):
        zeros += number % 10 ** k == 0
    significant = DIGITS - zeros
    sign = negative.astype(np.int8)
    small = exponent < 0
    lead = np.where(small, -exponent - 1, 0)  # zeros after "0." before the first digit
    point = np.where(small, 1, significant > exponent + 1)  # a point is written
    length = sign + np.where(small, 2 + lead + significant, exponent + 1 + point * (significant - exponent))
    at = np.arange(WIDTH, dtype=np.int8)[None, :] - sign[:, None]  # position in the text after the sign
    e, z, few = exponent.astype(np.int8)[:, None], lead.astype(np.int8)[:, None], small[:, None]
    index = np.where(few, at - 2 - z, np.where(at <= e, at, at - 1)).clip(0, DIGITS - 1)
    out = np.take_along_axis(digits, index, axis=1)
    out[few & ((at == 0) | ((at >= 2) & (at < 2 + z)))] = ord("0")
    out[(few & (at == 1)) | (~few & (at == e + 1))] = ord(".")
    out[at < 0] = ord("-")
    return out, length


def format_floats(values: np.ndarray, infinities: bool = False) -> arrow.Array:
    """``"%.10g" % v`` of every value, "" where a value is NaN, as an Arrow string array; an infinity is "" too
    (a CSV cell), or with ``infinities`` "inf" / "-inf" as Python writes it.

    First Arrow's shortest text that reads back as the value: where it has at most 10 digits (11 characters with
    the point, 12 with a sign), no exponent and a magnitude in [1e-4, 1e10), or the value is zero, it is exactly
    what %.10g prints (most values of a rounded table). The other values are laid out by `_laid_out`.
    """
    values = np.asarray(values, dtype=float)
    finite = np.isfinite(values)
    size = np.abs(np.where(finite, values, 0.0))
    text = pc.cast(arrow.array(values), arrow.large_string())
    short = pc.utf8_length(text).to_numpy() <= 11 + (values < 0)
    short &= ~mask(pc.match_substring(text, "e"))
    shortest = finite & (((size >= 10.0 ** LOWEST) & (size < 10.0 ** DIGITS) & short) | (size == 0))
    out = pc.if_else(arrow.array(shortest), text, text_scalar(""))
    rest = finite & ~shortest
    if rest.any():
        out = pc.replace_with_mask(out, arrow.array(rest), _laid_out(values[rest]))
    infinite = np.isinf(values) if infinities else np.zeros(0, dtype=bool)
    if infinite.any():
        out = pc.if_else(arrow.array(infinite), pc.if_else(arrow.array(values > 0), text_scalar("inf"),
                                                           text_scalar("-inf")), out)
    return out


def _laid_out(values: np.ndarray) -> arrow.Array:
    """``"%.10g" % v`` of finite non-zero values: rounded to 10 digits and laid out as bytes; Python's own text
    where the rounding is not sure or the value is outside [1e-4, 1e10)."""
    size = np.abs(values)
    number, exponent, sure = _rounded(size)
    fast = sure & (exponent >= LOWEST) & (exponent <= HIGHEST)
    laid, length = _layout(np.where(fast, number, 0), np.where(fast, exponent, 0), np.signbit(values) & fast)
    length = np.where(fast, length, 0)
    data = laid[np.arange(WIDTH)[None, :] < length[:, None]]
    offsets = np.concatenate([[0], np.cumsum(length)]).astype(np.int64)
    out = arrow.LargeStringArray.from_buffers(len(values), arrow.py_buffer(offsets), arrow.py_buffer(data.tobytes()))
    if not fast.all():
        texts = arrow.array([FORMAT % v for v in values[~fast].tolist()], arrow.large_string())
        out = pc.replace_with_mask(out, arrow.array(~fast), texts)
    return out
