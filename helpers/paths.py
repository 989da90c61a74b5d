"""Paths built from the project root, never from the working directory."""

from __future__ import annotations

import re
from pathlib import Path

PROJECT_ROOT: Path = Path(__file__).resolve().parents[1]
DATA_RAW: Path = PROJECT_ROOT / "data" / "raw"
NOTEBOOKS: Path = PROJECT_ROOT / "notebooks"
OUTPUTS: Path = PROJECT_ROOT / "outputs"  # the default outputs root; its layout is in helpers/pipeline/steps.py
SHARED_DATA: Path = PROJECT_ROOT.parent / "shared" / "data"


def resolve(path: str | Path) -> Path:
    """Return ``path`` as an absolute path; a relative one is taken from the project root."""
    p = Path(path).expanduser()
    return p if p.is_absolute() else PROJECT_ROOT / p


def relative(path: str | Path) -> str:
    """Return ``path`` relative to the project root when inside it (for messages and logs)."""
    p = Path(path).resolve()
    try:
        return p.relative_to(PROJECT_ROOT).as_posix()
    except ValueError:
        return str(p)


_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")  # the whole name (fullmatch): no final newline


def check_file_stem(name: str, kind: str) -> str:
    """Return ``name`` if it is a safe file stem (letters, digits, '_', '-', '.'), else raise ParameterError."""
    from helpers.errors import ParameterError

    if not isinstance(name, str) or not _SAFE_NAME.fullmatch(name):
        raise ParameterError(f"{kind} name {name!r} must be letters, digits, '_', '-' or '.'")
    return name
