"""Exceptions the project raises, each carrying a message a researcher can act on."""


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
