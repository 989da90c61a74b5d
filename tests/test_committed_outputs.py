"""Regenerating the pipeline reproduces the committed outputs byte for byte (figures, tables, notebooks)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from helpers.fetch import CACHE_ENV
from helpers.paths import PROJECT_ROOT

COMPARED = ("outputs", "data/processed")
NOT_COMPARED = {"outputs/manifest.json"}  # timings and the git state of the run


def _tracked() -> list[str]:
    out = subprocess.run(["git", "ls-files"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    return out.stdout.splitlines()


def _files(root) -> dict[str, bytes]:
    found = {}
    for top in COMPARED:
        for path in sorted((root / top).rglob("*")):
            rel = path.relative_to(root).as_posix()
            if path.is_file() and rel not in NOT_COMPARED and "/." not in f"/{rel}":
                found[rel] = path.read_bytes()
    return found


@pytest.mark.slow
def test_regenerated_outputs_match_the_committed_ones(tmp_path, shared_data):
    if not (PROJECT_ROOT / ".git").exists():
        pytest.skip("not a git checkout: the committed outputs are unknown")
    tracked = _tracked()
    if not any(t.startswith("outputs/figures/") for t in tracked):
        pytest.skip("no outputs committed yet")
    copy = tmp_path / "project"
    for rel in tracked:
        (copy / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(PROJECT_ROOT / rel, copy / rel)
    committed = _files(copy)
    env = {**os.environ, "PYTHONPATH": str(copy), CACHE_ENV: str(shared_data)}
    run = subprocess.run([sys.executable, "-m", "helpers.run", "--force"], cwd=copy, env=env,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    regenerated = _files(copy)
    assert sorted(regenerated) == sorted(committed), "the set of output files differs from the committed one"
    differ = [rel for rel in committed if regenerated[rel] != committed[rel]]
    assert differ == [], f"regenerated files differ from the committed bytes: {differ}"


def test_outputs_carry_no_machine_paths():
    offenders = []
    for top in COMPARED:
        for path in (PROJECT_ROOT / top).rglob("*"):
            if path.is_file() and "/." not in path.relative_to(PROJECT_ROOT).as_posix():
                text = path.read_bytes()
                if str(PROJECT_ROOT).encode() in text or b"site-packages" in text:
                    offenders.append(path.relative_to(PROJECT_ROOT).as_posix())
    assert offenders == [], f"outputs mention this machine's paths: {offenders}"
