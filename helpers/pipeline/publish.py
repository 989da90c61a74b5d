"""Publishing a run into the outputs root: all of it or nothing, and safe against kill -9.

Runs execute into ``<outputs>/.staging/``. When every run succeeded, `publish` writes a journal (the
commit point) naming every folder to move into place, every obsolete path to remove and every file
to write; then it carries the journal out. A runner killed half-way leaves the journal behind and
the next runner finishes it (`recover`) before anything else, so the published tree is always either
the old one or the new one. Nothing outside the outputs root is ever touched.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from helpers.atomic import write_text

STAGING, TRASH, JOURNAL, CACHE, LOCK = ".staging", ".trash", ".journal.json", ".cache", ".lock"
MANIFEST, RUN_RECORD, FAILED = "manifest.json", "run-record.json", "failed"
RUNNER_ENTRIES = {MANIFEST, RUN_RECORD, FAILED}  # besides dot-entries, what the runner keeps at the root


class PublishError(OSError):
    """Writing the outputs failed (disk full, read-only folder...); the message names the path."""


def describe(exc: OSError, root: Path) -> str:
    """'<path>: <reason>' for an OSError, the path shown relative to ``root``'s parent when inside it."""
    name = str(exc.filename or "")
    if name and Path(name).absolute().is_relative_to(root.absolute().parent):
        name = Path(name).absolute().relative_to(root.absolute().parent).as_posix()
    return f"{name}: {exc.strerror or exc}" if name else str(exc)


@dataclass(frozen=True)
class Plan:
    """What a publication does, relative to the outputs root."""

    moves: list[tuple[str, str]]  # (staged folder, target folder)
    remove: list[str]  # obsolete paths
    files: dict[str, str]  # path -> text (records, manifest)


def obsolete(root: Path, owned: Iterable[str]) -> list[str]:
    """Paths under ``root`` that no current step owns: folders of removed steps or scenarios, stray files."""
    owned = set(owned)
    parents = {p for f in owned for p in (Path(f).parents) if str(p) != "."}
    out: list[str] = []

    def walk(folder: Path, rel: str) -> None:
        for entry in sorted(folder.iterdir()):
            sub = f"{rel}/{entry.name}" if rel else entry.name
            if not rel and (entry.name.startswith(".") or entry.name in RUNNER_ENTRIES):
                continue
            if sub in owned:
                continue
            if entry.is_dir() and not entry.is_symlink() and Path(sub) in parents:
                walk(entry, sub)
            else:
                out.append(sub)

    if root.is_dir():
        walk(root, "")
    return out


def publish(root: Path, plan: Plan) -> None:
    """Commit ``plan`` by writing the journal, then carry it out."""
    try:
        write_text(root / JOURNAL, json.dumps({"moves": plan.moves, "remove": plan.remove, "files": plan.files},
                                              indent=1, sort_keys=True))
    except OSError as exc:
        raise PublishError(exc.errno, f"cannot publish, nothing changed: {describe(exc, root)}") from None
    recover(root)


def recover(root: Path) -> bool:
    """Finish a journal left by an interrupted publication, then clear staging and trash. True if one was found.

    If the journal cannot be carried out (a read-only folder...), the OSError propagates and the journal and
    the staged folders stay, so a later run can finish it: the tree never describes files it does not hold.
    """
    journal = root / JOURNAL
    found = journal.is_file()
    if found:
        try:
            data = json.loads(journal.read_text(encoding="utf-8"))
            moves, remove, files = data["moves"], data["remove"], data["files"]
        except (OSError, ValueError, KeyError, TypeError):
            moves, remove, files = [], [], {}  # a journal cut short was never committed: drop it
        else:
            try:
                _carry_out(root, moves, remove, files)
            except OSError as exc:
                state = ("nothing changed" if not journal.exists()
                         else "the next run will finish it")
                raise PublishError(exc.errno, f"cannot publish ({state}): {describe(exc, root)}") from None
        journal.unlink(missing_ok=True)
    for leftover in (STAGING, TRASH):
        shutil.rmtree(root / leftover, ignore_errors=True)
    return found


def _carry_out(root: Path, moves: list, remove: list, files: Mapping[str, str]) -> None:
    """Set aside every folder to be replaced or removed (undone if one cannot be), then move the staged
    folders in and write the files. A failure while setting aside changes nothing and drops the journal."""
    trash = root / TRASH
    trash.mkdir(parents=True, exist_ok=True)
    count = len(list(trash.iterdir()))
    aside: list[tuple[Path, Path]] = []
    pending = [(root / staged, root / target) for staged, target in moves if (root / staged).exists()]
    try:
        for path in [dst for _, dst in pending] + [root / rel for rel in remove]:
            if path.exists() or path.is_symlink():
                os.replace(path, trash / str(count))
                aside.append((trash / str(count), path))
                count += 1
    except OSError:
        for held, path in reversed(aside):
            os.replace(held, path)
        (root / JOURNAL).unlink(missing_ok=True)
        raise
    for src, dst in pending:
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.replace(src, dst)
    for rel in remove:
        _prune_empty_parents(root, (root / rel).parent)
    for rel, text in files.items():
        write_text(root / rel, text)


def _prune_empty_parents(root: Path, folder: Path) -> None:
    while folder != root and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent
