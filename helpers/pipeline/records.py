"""What one run of the step table is and leaves behind: its status, its `Result`, the options of a runner, and
the hashing that run keys are made of (canonical JSON, digests of text, sha256 of a folder's files)."""

from __future__ import annotations

import hashlib
import json
import os
import platform
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from helpers.data.checksums import sha256
from helpers.pipeline.quick import installed
from helpers.pipeline.runs import Step

RAN, SKIPPED, FAILED, BLOCKED, INTERRUPTED = "ran", "skipped-unchanged", "failed", "blocked", "interrupted"


class Interrupted(BaseException):
    """Ctrl-C or SIGTERM: stop everything, publish nothing."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


@dataclass
class Options:
    """How to run."""

    params: dict[str, Any] = field(default_factory=dict)
    force: tuple[str, ...] = ()  # step patterns to rerun even if unchanged; ("*",) for all
    jobs: int = os.cpu_count() or 1
    engine: str = "kernel"
    hints: bool = True  # tell the engine how many notebook runs are to come, and close it at the end


@dataclass
class Result:
    """What happened to one run in this invocation."""

    step: Step
    status: str
    seconds: float = 0.0
    note: str = ""
    key: str = ""
    files: dict[str, str] = field(default_factory=dict)  # path under the outputs root -> sha256 (what it made)
    inputs: dict[str, str] = field(default_factory=dict)
    parts: dict[str, str] = field(default_factory=dict)

    @property
    def digest(self) -> str:
        """A sha256 over the run's files: what downstream keys depend on."""
        return digest(canonical(self.files))



def canonical(obj: Any) -> str:
    """Canonical JSON (sorted keys, no spaces) used for hashing."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def folder_files(folder: Path, prefix: str) -> dict[str, str]:
    """{prefix/relative path: sha256} of every file under ``folder`` (empty if it does not exist)."""
    if not folder.is_dir():
        return {}
    return {f"{prefix}/{p.relative_to(folder).as_posix()}": sha256(p)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def environment_digest() -> str:
    """The Python version and every installed distribution's name and version (`helpers.pipeline.quick.installed`)."""
    return digest(canonical([platform.python_version(), installed()]))
