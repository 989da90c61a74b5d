"""The pip lock, requirements.in, pyproject and environment.yml agree."""

from __future__ import annotations

import tomllib

from helpers.environment import (
    _norm,
    disagreements,
    read_environment,
    read_lock,
    read_requirements_in,
)
from helpers.paths import PROJECT_ROOT


def test_environment_yml_mirrors_the_lock():
    pins, _, _ = read_environment()
    assert disagreements(read_lock(), read_requirements_in(), pins) == []


def test_environment_yml_is_binder_ready():
    _, channels, pip_entries = read_environment()
    assert channels == ["conda-forge"]
    assert "-e ." in pip_entries


def test_disagreement_is_detected():
    lock = {"pandas": "3.1.1", "numpy": "2.4.6"}
    problems = disagreements(lock, ["pandas", "numpy", "tqdm"], {"pandas": "3.0.0"})
    assert problems == [
        "pandas: environment.yml pins 3.0.0, requirements.lock 3.1.1",
        "numpy: in requirements.lock (2.4.6) but missing from environment.yml",
        "tqdm: in requirements.in but not in requirements.lock",
    ]


def test_lock_pins_every_dependency_exactly():
    lock = read_lock()
    assert len(lock) > len(read_requirements_in())  # transitive dependencies are pinned too
    assert all(v and v[0].isdigit() for v in lock.values())


def test_pyproject_dependencies_are_locked():
    meta = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    lock = read_lock()
    names = [d.split(">")[0].split("=")[0].split("<")[0].strip() for d in meta["dependencies"]]
    names += [d.split(">")[0].strip() for d in meta["optional-dependencies"]["dev"]]
    missing = [n for n in names if _norm(n) not in lock]
    assert missing == []
