"""Exceptions the project raises, each carrying a message a researcher can act on, and the one "did you mean"
helper those messages use."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class ProjectError(ValueError):
    """Base class: a problem with the project's inputs or parameters."""


class RawDataError(ProjectError):
    """A data file does not match its schema (the message names file, row and column)."""


class ChecksumError(ProjectError):
    """A file in data/raw/ differs from the checksum recorded for it."""


class ParameterError(ProjectError):
    """A notebook or function parameter has a value outside its rules."""


class ConfigError(ProjectError):
    """A configuration file breaks its rules (one line: file, line number, dotted key, what is wrong)."""


def closest(word: object, options: Iterable[str], *, cutoff: float = 0.6) -> str | None:
    """The option most like ``word`` (difflib's ratio at least ``cutoff``; 0 always gives one), or None."""
    match = difflib.get_close_matches(str(word), list(options), n=1, cutoff=cutoff)
    return match[0] if match else None


def did_you_mean(word: object, options: Iterable[str], *, cutoff: float = 0.6) -> str:
    """"; did you mean 'x'?" for the option most like ``word`` (`closest`), "" when none is close: the one
    suggestion helper of every message that names an unknown key, parameter, step or table."""
    match = closest(word, options, cutoff=cutoff)
    return f"; did you mean {match!r}?" if match else ""
