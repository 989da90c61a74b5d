"""Time first-time set-up, the old way (pip) against the new (uv) (``make bench-setup``, run by ``make bench``).

Each run builds what the Makefile's ``.venv/.installed`` builds, in a temporary folder, from the project's
``requirements.lock``:
  pip: ``python -m venv``; ``pip install -r requirements.lock``; the project with ``pip install -e .``;
       the kernel registered (the Makefile before uv);
  uv:  ``python -m venv``; ``pip install`` uv's hash-pinned line of the lock; ``uv pip sync --require-hashes
       --compile-bytecode`` the lock (pip compiles bytecode too); the project with ``uv pip install -e .``;
       the kernel registered (the Makefile now).
``cold`` runs start with empty package caches of their own (a new machine: every wheel is downloaded);
``warm`` runs share caches filled by an untimed first run (a second venv on the same machine). Runs are
interleaved and repeated (``--repeat``, default 3); the median and min-max of each are printed, with the
ratio of the medians. Both tools read PyPI only (pip's configuration files are ignored), so neither gets
a local mirror the other does not. The two environments are checked to hold the same packages.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from helpers.paths import PROJECT_ROOT

LOCK = PROJECT_ROOT / "requirements.lock"
PROJECT_FILES = ("pyproject.toml", "README.md", "helpers")
KERNEL = ["-m", "ipykernel", "install", "--sys-prefix", "--name", "python3", "--display-name",
          "Python 3 (cctv-density)"]
QUIET_PIP = ["-qq", "--disable-pip-version-check"]


def uv_requirement(lock: Path = LOCK) -> str:
    """uv's pinned line of the lock with its hashes (what the Makefile's awk extracts)."""
    lines, inside = [], False
    for line in lock.read_text(encoding="utf-8").splitlines():
        inside = inside or line.startswith("uv==")
        if inside:
            lines.append(line)
            if not line.rstrip().endswith("\\"):
                break
    if not lines:
        raise SystemExit(f"{lock.name} pins no uv: add uv to requirements.in and run `make lock`")
    return "\n".join(lines) + "\n"


def clean_env(caches: Path) -> dict[str, str]:
    """The environment of one run: pip and uv read PyPI only, with their caches under ``caches``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_", "VIRTUAL_ENV"))}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_CACHE_DIR=str(caches / "pip"), UV_CACHE_DIR=str(caches / "uv"),
               PIP_DISABLE_PIP_VERSION_CHECK="1")
    for name in ("PIP_CERT", "PIP_DEFAULT_TIMEOUT"):  # the machine's certificates and timeout still apply
        if name in os.environ:
            env[name] = os.environ[name]
    return env


def run(cmd: list[str], cwd: Path, env: dict[str, str]) -> None:
    proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if proc.returncode:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr[-2000:]}")


def project_copy(folder: Path) -> Path:
    """The files an editable install of the project needs, plus the lock."""
    for name in PROJECT_FILES:
        src = PROJECT_ROOT / name
        if src.is_dir():
            shutil.copytree(src, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, folder / name)
    shutil.copy2(LOCK, folder / LOCK.name)
    (folder / "uv-requirement.txt").write_text(uv_requirement())
    return folder


def setup_pip(project: Path, env: dict[str, str]) -> Path:
    venv = project / ".venv"
    py = str(venv / "bin" / "python")
    run([sys.executable, "-m", "venv", str(venv)], project, env)
    run([py, "-m", "pip", "install", *QUIET_PIP, "-r", LOCK.name], project, env)
    run([py, "-m", "pip", "install", *QUIET_PIP, "--no-deps", "--no-build-isolation", "-e", "."], project, env)
    run([py, *KERNEL], project, env)
    return venv


def setup_uv(project: Path, env: dict[str, str]) -> Path:
    venv = project / ".venv"
    py = str(venv / "bin" / "python")
    uv = str(venv / "bin" / "uv")
    run([sys.executable, "-m", "venv", str(venv)], project, env)
    run([py, "-m", "pip", "install", *QUIET_PIP, "--require-hashes", "--no-deps", "-r", "uv-requirement.txt"],
        project, env)
    run([uv, "pip", "sync", "-q", "--python", py, "--require-hashes", "--compile-bytecode", LOCK.name], project, env)
    run([uv, "pip", "install", "-q", "--python", py, "--no-deps", "--no-build-isolation", "-e", "."], project, env)
    run([py, *KERNEL], project, env)
    return venv


SETUPS: dict[str, Callable[[Path, dict[str, str]], Path]] = {"pip": setup_pip, "uv": setup_uv}


def installed(venv: Path) -> set[tuple[str, str]]:
    """(name, version) of every package in ``venv`` but the installers themselves."""
    out = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "list", "--format=json"],
                         capture_output=True, text=True, check=True).stdout
    packages = {(re.sub(r"[-_.]+", "-", p["name"]).lower(), p["version"]) for p in json.loads(out)}
    return {(name, version) for name, version in packages if name not in {"pip", "uv"}}


def one_run(tool: str, mode: str, scratch: Path, warm_caches: Path) -> tuple[float, Path]:
    """Seconds for one set-up in a fresh folder under ``scratch``; returns them and the venv."""
    project = project_copy(Path(tempfile.mkdtemp(prefix=f"{tool}-{mode}-", dir=scratch)))
    caches = warm_caches if mode == "warm" else project / "caches"
    start = time.perf_counter()
    venv = SETUPS[tool](project, clean_env(caches))
    return time.perf_counter() - start, venv


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean the temporary folders when stopped
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each variant (default 3)")
    parser.add_argument("--modes", default="cold,warm", help="cold, warm or both (default cold,warm)")
    args = parser.parse_args(argv)
    modes = [m for m in args.modes.split(",") if m]
    if not set(modes) <= {"cold", "warm"} or args.repeat < 1:
        parser.error("--modes takes cold and/or warm; --repeat at least 1")

    print(f"first-time set-up of {LOCK.name} ({sum(1 for ln in LOCK.read_text().splitlines() if '==' in ln)} "
          f"packages), Python {sys.version.split()[0]}, {os.cpu_count()} cores; {args.repeat} interleaved "
          f"repeat(s) of {', '.join(modes)}", flush=True)
    times: dict[tuple[str, str], list[float]] = {(t, m): [] for m in modes for t in SETUPS}
    with tempfile.TemporaryDirectory(prefix="bench-setup-") as tmp:
        scratch = Path(tmp)
        warm = scratch / "warm-caches"
        if "warm" in modes:
            for tool in SETUPS:  # fill the shared caches, untimed
                shutil.rmtree(one_run(tool, "warm", scratch, warm)[1].parent)
        packages: dict[str, set[tuple[str, str]]] = {}
        for i in range(args.repeat):
            order = list(times) if i % 2 == 0 else list(reversed(times))
            for tool, mode in order:
                seconds, venv = one_run(tool, mode, scratch, warm)
                times[(tool, mode)].append(seconds)
                if tool not in packages:
                    packages[tool] = installed(venv)
                shutil.rmtree(venv.parent)
                print(f"  run {i + 1}: {tool:3s} {mode}: {seconds:6.1f} s", flush=True)
    same = len({frozenset(p) for p in packages.values()}) == 1
    print(f"\nsame packages installed by both: {'yes' if same else 'NO'} ({len(packages['pip'])} packages)")
    print(f"{'variant':12s} {'median':>8s} {'min-max':>15s}")
    for (tool, mode), values in times.items():
        print(f"{tool + ' ' + mode:12s} {statistics.median(values):7.1f}s {min(values):6.1f}-{max(values):.1f} s")
    for mode in modes:
        pip, uv = (statistics.median(times[(t, mode)]) for t in ("pip", "uv"))
        print(f"{mode}: uv takes {uv / pip:.0%} of pip's time ({pip / uv:.1f}x faster)")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
