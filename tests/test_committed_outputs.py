"""A fresh clone's `python -m helpers.run` (what `make reproduce` runs) rewrites the committed outputs byte for byte."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from helpers.data.fetch import CACHE_ENV
from helpers.paths import PROJECT_ROOT


def _tracked() -> list[str]:
    out = subprocess.run(["git", "ls-files"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    return out.stdout.splitlines()


def _outputs(root) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted((root / "outputs").rglob("*"))
            if p.is_file()}


@pytest.mark.slow
def test_a_fresh_clone_reproduces_the_committed_outputs_and_stays_clean(tmp_path, shared_data):
    if not (PROJECT_ROOT / ".git").exists():
        pytest.skip("not a git checkout: the committed outputs are unknown")
    copy = tmp_path / "clone"
    for rel in _tracked():
        (copy / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(PROJECT_ROOT / rel, copy / rel)
    git = ["git", "-C", str(copy), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "clone"], check=True)
    committed = _outputs(copy)
    env = {**os.environ, "PYTHONPATH": str(copy), CACHE_ENV: str(shared_data)}
    run = subprocess.run([sys.executable, "-m", "helpers.run"], cwd=copy, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "IPKernelApp" not in run.stderr and "Traceback" not in run.stderr, run.stderr  # no kernel log noise
    regenerated = {k: v for k, v in _outputs(copy).items() if k != "outputs/run-record.json"
                   and not k.startswith("outputs/.")}
    assert sorted(regenerated) == sorted(committed), "the set of output files differs from the committed one"
    differ = [rel for rel in committed if regenerated[rel] != committed[rel]]
    assert differ == [], f"regenerated files differ from the committed bytes: {differ}"
    status = subprocess.run([*git, "status", "--porcelain"], capture_output=True, text=True, check=True).stdout
    assert status == "", f"git status after the run:\n{status}"


def test_outputs_carry_no_machine_paths():
    offenders = []
    for path in (PROJECT_ROOT / "outputs").rglob("*"):
        rel = path.relative_to(PROJECT_ROOT).as_posix()
        if path.is_file() and "/." not in rel and not rel.endswith("run-record.json"):
            text = path.read_bytes()
            if str(PROJECT_ROOT).encode() in text or b"site-packages" in text or b".staging" in text:
                offenders.append(rel)
    assert offenders == [], f"outputs mention this machine's paths or the staging folder: {offenders}"
