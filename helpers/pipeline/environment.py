"""Read the pip lock and the conda environment file, and say where they disagree."""

from __future__ import annotations

import re
from pathlib import Path

from helpers.data.yaml_config import load_yaml
from helpers.paths import PROJECT_ROOT

# conda-forge package name -> PyPI name, where they differ.
CONDA_TO_PIP = {"matplotlib-base": "matplotlib"}
NOT_PYPI = {"python", "pip"}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _logical_lines(path: Path) -> list[str]:
    """Requirement lines with comments dropped and backslash continuations joined."""
    lines, current = [], ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        text = re.sub(r"(^|\s)#.*", "", raw).rstrip()
        current += " " + text.removesuffix("\\").strip()
        if not text.endswith("\\"):
            if current.strip():
                lines.append(current.strip())
            current = ""
    if current.strip():
        lines.append(current.strip())
    return lines


def read_lock_entries(path: Path = PROJECT_ROOT / "requirements.lock") -> dict[str, tuple[str, list[str]]]:
    """{normalised name: (version, [hashes])} from ``name==version [; marker] [--hash=sha256:...]`` lines
    (the format of ``uv pip compile --generate-hashes``; a plain ``pip freeze`` file gives no hashes)."""
    out = {}
    for line in _logical_lines(path):
        tokens = line.split()
        hashes = [t.removeprefix("--hash=") for t in tokens if t.startswith("--hash=")]
        requirement = " ".join(t for t in tokens if not t.startswith("--hash=")).split(";", 1)[0].strip()
        name, sep, version = requirement.partition("==")
        if requirement.startswith("-") or not sep or not version or " " in requirement:
            raise ValueError(f"{path.name}: '{line}' is not a requirement pinned with ==")
        out[_norm(name)] = (version.strip(), hashes)
    return out


def read_lock(path: Path = PROJECT_ROOT / "requirements.lock") -> dict[str, str]:
    """{normalised name: version} from the lock."""
    return {name: version for name, (version, _) in read_lock_entries(path).items()}


def read_requirements_in(path: Path = PROJECT_ROOT / "requirements.in") -> list[str]:
    """Top-level requirement names (normalised)."""
    names = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.append(_norm(re.split(r"[<>=!~;\[ ]", line, maxsplit=1)[0]))
    return names


def read_environment(path: Path = PROJECT_ROOT / "environment.yml") -> tuple[dict[str, str], list[str], list[str]]:
    """Return ({PyPI name: pinned version}, channels, pip entries) from environment.yml."""
    spec = load_yaml(path)
    pins: dict[str, str] = {}
    pip_entries: list[str] = []
    for dep in spec.get("dependencies", []):
        if isinstance(dep, dict):
            pip_entries.extend(dep.get("pip", []))
            continue
        name, _, version = str(dep).partition("=")
        name = name.strip()
        if name in NOT_PYPI:
            continue
        pins[_norm(CONDA_TO_PIP.get(name, name))] = version.lstrip("=").strip()
    return pins, list(spec.get("channels", [])), pip_entries


def disagreements(
    lock: dict[str, str], top_level: list[str], conda_pins: dict[str, str]
) -> list[str]:
    """Every way the conda pins fail to mirror the lock for the top-level dependencies."""
    problems = []
    for name in top_level:
        if name not in lock:
            problems.append(f"{name}: in requirements.in but not in requirements.lock")
        elif name not in conda_pins:
            problems.append(f"{name}: in requirements.lock ({lock[name]}) but missing from environment.yml")
        elif conda_pins[name] != lock[name]:
            problems.append(f"{name}: environment.yml pins {conda_pins[name]}, requirements.lock {lock[name]}")
    for name in sorted(set(conda_pins) - set(top_level)):
        problems.append(f"{name}: pinned in environment.yml but not a top-level requirement")
    return problems
