"""A run with nothing to do, answered before the runner's heavy imports (pydantic, the step table, the checks).

After every successful run, the runner stores in ``<outputs>/.cache/quick.json`` the sha256 of every file its
decision read: the helpers (code and step table), the notebooks, ``data/raw/`` (scenarios, checksums...), the
files its parameters name, ``requirements.lock`` (named in the manifest), and every file of the outputs root
(records, manifest and published files), with the installed packages, the Python version and the command line.
The next ``python -m helpers.run`` with the same command line hashes the same files again; when every sha256
and the package list are the same, the full check could only say "nothing to do" (its outcome is a function of
exactly these bytes), so this module says it: the same lines, the same run record, exit 0. Anything else (a
file changed, added or gone, a journal or staging left by a killed run, another runner holding the lock, other
options) goes the full way. Only this module, `helpers.data.checksums` (the file hashes) and the standard library
are imported on this path.
"""

from __future__ import annotations

import fcntl
import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

from helpers.atomic import write_text
from helpers.data.checksums import sha256
from helpers.paths import PROJECT_ROOT as ROOT  # already imported by checksums: nothing heavier

QUICK = ".cache/quick.json"
INPUT_FOLDERS = ("helpers", "notebooks", "data/raw")
INPUT_FILES = ("requirements.lock",)
SKIPPED_PARTS = {"__pycache__", ".ipynb_checkpoints"}
RUNNER_ONLY = {".lock", "run-record.json", QUICK}  # under the outputs root: not part of the decision
REFUSE = {"--list", "--dry-run", "--force", "--grid", "--cluster", "-h", "--help"}
LEFTOVERS = (".journal.json", ".staging", ".trash", "failed")
STATUS = "skipped-unchanged"  # helpers.pipeline.records.SKIPPED


def _tree(folder: Path, skip: set[str] = SKIPPED_PARTS) -> dict[str, str]:
    out: dict[str, str] = {}
    for base, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in skip)
        for name in sorted(files):
            path = Path(base, name)
            out[path.relative_to(folder).as_posix()] = sha256(path)
    return out


def installed() -> list[str]:
    """Names of the ``*.dist-info`` and ``*.egg-info`` folders on ``sys.path`` (lower case, sorted): every
    installed distribution with its version, read without opening a metadata file."""
    dists: set[str] = set()
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        dists.update(n.lower() for n in names if n.endswith((".dist-info", ".egg-info")))
    return sorted(dists)


def inputs(root: Path, named: list[str]) -> dict[str, Any]:
    """sha256 of every input file of the runner's decision, with the packages and the Python version."""
    files: dict[str, str] = {}
    for folder in INPUT_FOLDERS:
        files.update({f"{folder}/{k}": v for k, v in _tree(root / folder).items()})
    for rel in (*INPUT_FILES, *named):
        path = root / rel
        files[rel] = sha256(path) if path.is_file() else "missing"
    return {"files": files, "python": platform.python_version(), "packages": installed()}


def outputs(folder: Path) -> dict[str, str]:
    """sha256 of every file of an outputs root but the runner's own lock, run record and this file's."""
    return {k: v for k, v in _tree(folder, SKIPPED_PARTS).items() if k not in RUNNER_ONLY}


def git_state(root: Path) -> dict[str, Any]:
    """HEAD commit and whether the tree has uncommitted changes; None without git."""
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=30)
        if head.returncode != 0:
            return {"commit": None, "dirty": None}
        status = subprocess.run(["git", "-C", str(root), "status", "--porcelain"], capture_output=True, text=True,
                                timeout=30)
        return {"commit": head.stdout.strip(), "dirty": bool(status.stdout.strip())}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


def summary(rows: list[tuple[str, str, float, str]]) -> str:
    """A plain-text table: run, status, seconds, note (first line)."""
    table = [("run", "status", "seconds", "note")] + [(i, s, f"{t:.1f}", n.split("\n")[0]) for i, s, t, n in rows]
    widths = [max(len(row[i]) for row in table) for i in range(3)]
    return "\n".join("  ".join([row[0].ljust(widths[0]), row[1].ljust(widths[1]), row[2].rjust(widths[2]),
                                row[3]]).rstrip() for row in table)


def decision(argv: list[str]) -> list[str]:
    """The command line without what cannot change the outcome of a successful run: ``--jobs N`` and
    ``--force [STEP ...]`` (after a forced run succeeded, a run without it finds everything up to date)."""
    out: list[str] = []
    args = iter(argv)
    for arg in args:
        if arg == "--jobs":
            next(args, None)
        elif arg.startswith("--jobs="):
            continue
        elif arg == "--force":
            rest = list(args)
            while rest and not rest[0].startswith("-"):
                rest.pop(0)
            out += decision(rest)
            break
        else:
            out.append(arg)
    return out


def _answerable(argv: list[str]) -> bool:
    """False for a command line the full runner must see: --force (it reruns), or a --jobs that is not a whole
    number of at least 1 (a usage error, exit 2)."""
    if any(a == "--force" or a.startswith("--force=") for a in argv):
        return False
    jobs = [argv[i + 1] if a == "--jobs" and i + 1 < len(argv) else a.partition("=")[2]
            for i, a in enumerate(argv) if a == "--jobs" or a.startswith("--jobs=")]
    return all(j.isdigit() and int(j) >= 1 for j in jobs)


def _outputs_arg(argv: list[str]) -> str | None:
    """The --outputs value of a command line this module can answer, None for any other command line."""
    value = "outputs"
    args = iter(argv)
    for arg in args:
        name, eq, given = arg.partition("=")
        if name in REFUSE or arg.startswith(("--force", "--grid", "--cluster")):
            return None
        if name == "--outputs":
            value = given if eq else next(args, "")
    return value or None


def outputs_root(value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else ROOT / path


def store(root: Path, folder: Path, argv: list[str], named: list[str], before: dict[str, Any],
          steps: list[tuple[str, str]], warnings: list[str]) -> None:
    """Record the decision of a successful run: its inputs as hashed before it started, its outputs now."""
    data = {"argv": decision(argv), "inputs": before, "outputs": outputs(folder), "named": named, "steps": steps,
            "warnings": warnings}
    write_text(folder / QUICK, json.dumps(data, sort_keys=True) + "\n")


def answer(argv: list[str], err: Any = None, out: Any = None) -> int | None:
    """0 after printing what a full run would when nothing changed since the last successful run with this
    command line; None when the full runner has to decide."""
    err, out = err or sys.stderr, out or sys.stdout
    value = _outputs_arg(argv)
    if value is None or not _answerable(argv):
        return None
    folder = outputs_root(value)
    try:
        stored = json.loads((folder / QUICK).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(stored, dict) or stored.get("argv") != decision(argv) or \
            any((folder / n).exists() for n in LEFTOVERS):
        return None
    try:
        lock = open(folder / ".lock", "a+")  # noqa: SIM115 - held until the answer is written
    except OSError:
        return None
    with lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return None  # another runner: the full path says so
        try:
            if inputs(ROOT, stored["named"]) != stored["inputs"] or outputs(folder) != stored["outputs"]:
                return None
            steps = [(str(sid), str(key)) for sid, key in stored["steps"]]
            warnings = [str(w) for w in stored["warnings"]]
        except (OSError, KeyError, TypeError, ValueError):
            return None
        for line in warnings:
            print(line, file=err)
        if not err.isatty():
            for i, (sid, _) in enumerate(steps, 1):
                print(f"[{i}/{len(steps)}] {sid}: {STATUS} (0.0 s)", file=err, flush=True)
        record = write_record(folder, ROOT, {sid: {"status": STATUS, "seconds": 0.0, "note": "", "key": key}
                                             for sid, key in steps}, "published")
        print(summary([(sid, STATUS, 0.0, "") for sid, _ in steps]), file=out)
        if record:
            print(f"run record: {_rel(record)}", file=out)
    return 0


def _rel(path: Path) -> str:
    try:
        return path.absolute().relative_to(ROOT.absolute()).as_posix()
    except ValueError:
        return path.absolute().as_posix()


PACKAGES = ("pandas", "numpy", "matplotlib", "seaborn", "papermill", "pandera", "nbclient", "ipykernel", "pydantic")


def package_versions() -> dict[str, str | None]:
    """Versions of the main packages (from their dist-info folder names; metadata where a name is ambiguous)."""
    import re

    found: dict[str, str] = {}
    for folder in installed():
        name, sep, version = folder.rsplit(".", 1)[0].rpartition("-")
        if sep and folder.endswith(".dist-info"):
            found.setdefault(re.sub(r"[-_.]+", "-", name), version)
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in PACKAGES:
        out[name] = found.get(name)
        if out[name] is None:
            from importlib import metadata

            try:
                out[name] = metadata.version(name)
            except metadata.PackageNotFoundError:
                out[name] = None
    return out


def write_record(folder: Path, root: Path, runs: dict[str, dict[str, Any]], outcome: str) -> Path | None:
    """``run-record.json`` (not committed): statuses, seconds, notes, git state and package versions."""
    data = {"outcome": outcome, "git": git_state(root), "packages": package_versions(), "runs": runs}
    try:
        return write_text(folder / "run-record.json", json.dumps(data, indent=2, sort_keys=True) + "\n")
    except OSError:
        return None
