"""Batch runner: brings the outputs tree up to date with the step table, all of it or nothing.

    python -m helpers.run [-p NAME=VALUE ...] [--force [STEP ...]] [--jobs N] [--outputs DIR]
                          [--engine kernel|python] [--list] [--dry-run]
                          [--grid NAME=V1,V2,... [--sweep-name NAME] [--sweep-dir DIR] [--cluster ADDRESS|local]]

Every run of the step table (`helpers/pipeline/steps.py`) has a key: a sha256 over what it runs (notebook or
helper), all its parameters, every file a parameter names, the config files it reads, the helper
code, the installed packages and the outputs of its upstream runs. A run whose key matches the
published one, with its published files intact, is skipped; the others execute into
``<outputs>/.staging/``, downstream runs reading the staged folders. Only when every run succeeded is
the new tree published (`helpers.pipeline.publish`): folders of steps or scenarios that no longer exist are
removed at the same time. Exit status: 0 done, 1 a run failed or the outputs could not be written
(nothing published), 2 a usage or config error (nothing run), 130 interrupted by Ctrl-C (143 by SIGTERM).
With ``--grid`` the runner sweeps parameters instead (`helpers.pipeline.sweep`): the outputs root is only read.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import fcntl
import hashlib
import json
import os
import platform
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import yaml

from helpers.atomic import write_text
from helpers.data.checksums import SUMS_FILE, recorded, sha256
from helpers.errors import ProjectError
from helpers.pipeline import publish as pub
from helpers.pipeline import quick
from helpers.pipeline.engines import ENGINES, Engine, Execution, StepFailure, jupyter_module, notebook_imports
from helpers.pipeline.runs import Pipeline, PipelineError, Step, default_pipeline, with_parameters
from helpers.pipeline.steps import RUNNER_PARAMETERS, check_value, declared_names, stored_parameters

SWEEP_DIR = "scratch/sweeps"  # default root of parameter sweeps (sweep.py), relative to the project root
RAN, SKIPPED, FAILED, BLOCKED, INTERRUPTED = "ran", "skipped-unchanged", "failed", "blocked", "interrupted"
CODE_GLOBS = ("helpers/**/*",)
TIMING_KEYS = ("start_time", "end_time", "duration")
PACKAGES = quick.PACKAGES
package_versions = quick.package_versions


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


# ----------------------------------------------------------------------------- small utilities
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
    return digest(canonical([platform.python_version(), quick.installed()]))


def normalize_executed(nb: dict[str, Any], root: Path, replace: Mapping[str, str] = {}) -> dict[str, Any]:
    """Make an executed notebook the same on every run and machine.

    Drops papermill's timings and output path, makes the input path root-relative, drops cell
    execution timestamps, fixes the injected cell's id, joins consecutive stream outputs of one stream
    (the kernel sends a printed line in one or two messages depending on when its output thread flushes),
    and rewrites staging folder names (``replace``) to the published ones in every string. Works in place
    and returns ``nb``.
    """
    meta = nb.get("metadata", {}).get("papermill")
    if isinstance(meta, dict):
        for key in (*TIMING_KEYS, "output_path"):
            meta.pop(key, None)
        if meta.get("input_path"):
            src = Path(meta["input_path"])
            meta["input_path"] = src.relative_to(root).as_posix() if src.is_relative_to(root) else src.name
    for cell in nb.get("cells", []):
        cell_meta = cell.get("metadata", {})
        cell_meta.pop("execution", None)
        for key in TIMING_KEYS:
            cell_meta.get("papermill", {}).pop(key, None)
        if "injected-parameters" in cell_meta.get("tags", []) and "id" in cell:
            cell["id"] = "injected-parameters"
        if cell.get("outputs"):
            cell["outputs"] = coalesce_streams(cell["outputs"])
    if replace:
        text = json.dumps(nb)
        for old, new in sorted(replace.items(), key=lambda kv: -len(kv[0])):
            text = text.replace(json.dumps(old)[1:-1], json.dumps(new)[1:-1])
        nb.clear()
        nb.update(json.loads(text))
    return nb


def coalesce_streams(outputs: list[Any]) -> list[Any]:
    """``outputs`` with each run of consecutive stream outputs of the same stream joined into one."""
    out: list[Any] = []
    for o in outputs:
        prev = out[-1] if out else None
        if (prev is not None and o.get("output_type") == "stream" and prev.get("output_type") == "stream"
                and o.get("name") == prev.get("name")):
            text = "".join(prev["text"]) if isinstance(prev["text"], list) else prev["text"]
            out[-1] = {**prev, "text": text + ("".join(o["text"]) if isinstance(o["text"], list) else o["text"])}
        else:
            out.append(o)
    return out


class HtmlWriter:
    """nbconvert's HTMLExporter, created once and used under a lock; `warm` prepares it in the background."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._exporter: Any = None
        self._warming: threading.Thread | None = None

    def warm(self) -> None:
        """Import nbconvert and load its templates in a daemon thread, while the first notebook runs."""
        if self._warming is None:
            self._warming = threading.Thread(target=self._warm, name="html-warm", daemon=True)
            self._warming.start()

    def _warm(self) -> None:
        nbformat = jupyter_module("nbformat")
        with contextlib.suppress(Exception):
            self(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("warm-up")]))

    def __call__(self, nb: Any) -> str:
        HTMLExporter = jupyter_module("nbconvert").HTMLExporter

        with self._lock:
            if self._exporter is None:
                self._exporter = HTMLExporter()
            body, _ = self._exporter.from_notebook_node(nb)
        return body


# ----------------------------------------------------------------------------- checks before anything runs
def closest(name: str, known: Iterable[str]) -> str:
    match = difflib.get_close_matches(name, list(known), n=1)
    return f"; did you mean {match[0]!r}?" if match else ""


def apply_overrides(pipeline: Pipeline, params: Mapping[str, Any]) -> Pipeline:
    """Give each -p value to every run whose step declares it, validated by the step table's type."""
    declared = {n for s in pipeline.steps for n in s.spec.parameters}
    runner_set = {*RUNNER_PARAMETERS, *(n for s in pipeline.steps for n in (*s.owns, *s.uses))}
    overrides: dict[str, dict[str, Any]] = {}
    for name, value in params.items():
        if name in runner_set:
            raise PipelineError(f"-p {name}: set by the runner from the step table, not a parameter you can pass"
                                + (" (the scenarios come from data/raw/scenarios.yml)" if name == "scenario" else ""))
        if name not in declared:
            raise PipelineError(f"-p {name}: no step declares this parameter{closest(name, declared)} "
                                f"(parameters: {', '.join(sorted(declared))})")
        for s in pipeline.steps:
            if name in s.spec.parameters:
                try:
                    overrides.setdefault(s.id, {})[name] = check_value(s.spec, name, value)
                except ProjectError as exc:
                    raise PipelineError(f"-p {name}={value!r}: {str(exc).split(': ', 1)[-1]}") from None
    return with_parameters(pipeline, overrides)


def check_notebooks(pipeline: Pipeline) -> list[str]:
    """Compare each notebook's parameters cell with the step table; return warnings, raise on a mismatch."""
    warnings: list[str] = []
    seen: set[str] = set()
    for s in pipeline.steps:
        if not s.spec.is_notebook or s.name in seen:
            continue
        seen.add(s.name)
        nb = pipeline.path(s.spec.run)
        if not nb.is_file():
            raise PipelineError(f"{s.spec.run}: notebook of step {s.name} not found")
        try:
            stored = stored_parameters(nb)
        except (ValueError, SyntaxError) as exc:
            raise PipelineError(f"{s.spec.run}: cannot read its parameters cell ({exc})") from None
        wanted = declared_names(s.spec)
        if extra := sorted(set(stored) - wanted):
            raise PipelineError(f"{s.spec.run}: parameters cell assigns {', '.join(extra)}, which the step table "
                                f"(helpers/pipeline/steps.py) does not declare for {s.name}")
        if missing := sorted(wanted - set(stored)):
            raise PipelineError(f"{s.spec.run}: parameters cell lacks {', '.join(missing)}, declared for {s.name} "
                                "in the step table (helpers/pipeline/steps.py)")
        for name, value in stored.items():
            default = s.spec.parameters[name].default if name in s.spec.parameters else None
            if name not in RUNNER_PARAMETERS and value != default:
                warnings.append(f"warning: {s.spec.run} stores {name} = {value!r} in its parameters cell; the batch "
                                f"run uses the step table's {default!r} (helpers/pipeline/steps.py)")
    return warnings


def check_raw(root: Path) -> None:
    """Every file listed in data/raw/SHA256SUMS still has its recorded sha256."""
    sums = root / SUMS_FILE.relative_to(SUMS_FILE.parents[2])
    for name, expected in recorded(sums).items():
        path = sums.parent / name
        rel = path.relative_to(root).as_posix()
        if not path.is_file():
            raise PipelineError(f"{rel}: listed in {sums.name} but missing")
        if sha256(path) != expected:
            raise PipelineError(f"{rel}: sha256 differs from the one recorded in {sums.name}; after a deliberate "
                                "edit run `make checksums`")


def file_inputs(pipeline: Pipeline, step: Step) -> dict[str, str]:
    """{name or path: sha256} of every file named by the run's parameters and every config file it reads."""
    from helpers.data.table_options import entries, named_files

    out: dict[str, str] = {}
    for rel in step.spec.reads:
        path = pipeline.path(rel)
        if not path.is_file():
            raise PipelineError(f"{rel}: read by step {step.name} but not found")
        out[rel] = sha256(path)
    for name, param in step.spec.parameters.items():
        value = step.parameters.get(name)
        if not param.names_files or value is None or name == "column_mapping":
            continue  # column_mapping is hashed with each table entry it applies to
        if name != "city_tables":  # a path, or a list of paths
            for item in value if isinstance(value, list) else [value]:
                path = pipeline.path(str(item))
                if not path.is_file():
                    raise PipelineError(f"parameter {name}: {item!r} is not an existing file ({path})")
                out[pipeline.rel(path)] = sha256(path)
            continue
        for entry in entries(value, step.parameters.get("column_mapping")):
            for what, file in named_files(entry).items():
                if isinstance(file, str):  # a known table: its pinned sha256
                    out[what] = file
                    continue
                if not file.is_file():
                    raise PipelineError(f"parameter city_tables: {what} {pipeline.rel(file)!r} of table "
                                        f"{entry.source!r} is not an existing file")
                out[pipeline.rel(file)] = sha256(file)
    return out


# ----------------------------------------------------------------------------- the runner
class Runner:
    """Executes the runs whose key changed, into staging, and publishes the whole tree if all succeeded.

    ``external``: results of upstream runs that are not part of ``pipeline`` (a sweep's combination reads them
    from the published folders under ``external_root``); they count as unchanged runs.
    """

    def __init__(self, pipeline: Pipeline, options: Options | None = None, engine: Engine | None = None,
                 progress: bool = True, err: TextIO | None = None, external: Mapping[str, Result] | None = None,
                 external_root: Path | None = None) -> None:
        self.pipeline = pipeline
        self.options = options or Options()
        self.root = pipeline.outputs
        self.staging = self.root / pub.STAGING
        self.engine = engine or ENGINES[self.options.engine](self.options.jobs)
        self.external = dict(external or {})
        self.external_root = external_root or self.root
        self.results: dict[str, Result] = dict(self.external)
        self._html = HtmlWriter()
        self._progress = progress
        self._err = err or sys.stderr
        self._forced = self._forced_ids()
        self._code: str | None = None
        self._env: str | None = None
        self._inputs = {s.id: file_inputs(pipeline, s) for s in pipeline.steps}
        self._busy: set[str] = set()  # runs handed to the engine and not yet back
        self._preload: tuple[tuple[str, ...], tuple[str, ...]] | None = None  # (the first notebook's imports, all)

    def _forced_ids(self) -> set[str]:
        if "*" in self.options.force:
            return {s.id for s in self.pipeline.steps}
        return {s.id for pattern in self.options.force for s in self.pipeline.match(pattern)}

    # -- records of the published runs
    def _record_path(self, step: Step) -> Path:
        return self.root / pub.CACHE / f"{step.id}.json"

    def _published(self, step: Step) -> dict[str, Any]:
        """The record of the published run (key, parts, files); {} if absent or unreadable."""
        path = self._record_path(step)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return data if isinstance(data, dict) and isinstance(data.get("files"), dict) else {}
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            print(f"warning: {self.pipeline.rel(path)} is unreadable; {step.id} will rerun", file=self._err)
            return {}

    def _on_disk(self, step: Step) -> dict[str, str]:
        out: dict[str, str] = {}
        for folder in step.folders:
            out.update(folder_files(self.root / folder, folder))
        return out

    # -- keys
    def code_digest(self) -> str:
        if self._code is None:
            import glob

            files = sorted(p for pat in CODE_GLOBS for p in glob.glob(str(self.pipeline.root / pat), recursive=True)
                           if Path(p).is_file() and "__pycache__" not in p)
            self._code = digest(canonical({self.pipeline.rel(p): sha256(p) for p in files}))
        return self._code

    def env_digest(self) -> str:
        if self._env is None:
            self._env = environment_digest()
        return self._env

    def key_parts(self, step: Step) -> dict[str, str]:
        target = self.pipeline.path(step.spec.run) if step.spec.is_notebook else None
        upstream = {sid: self.results[sid].digest for ids in step.uses.values() for sid in ids}
        layout = {"owns": step.owns, "uses": {p: list(ids) for p, ids in step.uses.items()}}
        return {"run": sha256(target) if target else step.spec.run,
                "parameters": digest(canonical(step.parameters)),
                "inputs": digest(canonical(self._inputs[step.id])),
                "upstream": digest(canonical(upstream)),
                "layout": digest(canonical(layout)),
                "code": self.code_digest(), "environment": self.env_digest(), "engine": self.engine.name}

    def prepare(self, step: Step) -> Result | tuple[str, dict[str, str], str]:
        """A final Result (blocked, unchanged) or (key, parts, why) for a run to execute."""
        bad = [d for d in step.after if self.results[d].status in (FAILED, BLOCKED, INTERRUPTED)]
        if bad:
            return Result(step, BLOCKED, note=f"upstream {', '.join(bad)} did not finish")
        parts = self.key_parts(step)
        key = digest(canonical(parts))
        record = self._published(step)
        if step.id not in self._forced and record.get("key") == key and self._on_disk(step) == record["files"]:
            return Result(step, SKIPPED, key=key, files=record["files"], inputs=self._inputs[step.id], parts=parts)
        if step.id in self._forced:
            why = "forced"
        elif not record:
            why = "first run"
        elif record.get("key") == key:
            why = "published files missing or modified"
        else:
            why = "changed: " + ", ".join(k for k, v in parts.items() if record.get("parts", {}).get(k) != v)
        return key, parts, why

    # -- executing a run (in a worker thread)
    def folder_for(self, step_id: str, folder: str) -> Path:
        """Where a run reads an upstream folder: the staged one if it ran now, else the published one."""
        if step_id in self.external:
            return self.external_root / folder
        staged = self.results.get(step_id)
        return (self.staging if staged is not None and staged.status == RAN else self.root) / folder

    def step(self, step_id: str) -> Step:
        """A run of the pipeline, or an external one."""
        return self.external[step_id].step if step_id in self.external else self.pipeline.get(step_id)

    def parameters(self, step: Step) -> dict[str, Any]:
        """Every parameter of the run: its own folders in staging, upstream ones where `folder_for` finds them."""
        def place(run: Step, folder: str, owned: bool) -> str:
            return self.pipeline.rel(self.staging / folder if owned else self.folder_for(run.id, folder))

        return self.pipeline.parameters(step, place, self.step)

    def execute(self, step: Step, key: str, parts: dict[str, str], why: str) -> Result:
        started = time.monotonic()
        work = self.staging / ".work" / step.id
        try:
            for folder in step.folders:
                shutil.rmtree(self.staging / folder, ignore_errors=True)
                (self.staging / folder).mkdir(parents=True)
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir(parents=True)
        except OSError as exc:
            return Result(step, FAILED, time.monotonic() - started, f"{step.id}: cannot stage: "
                          f"{pub.describe(exc, self.root)}")
        params = self.parameters(step)
        target = self.pipeline.path(step.spec.run) if step.spec.is_notebook else step.spec.run
        executed = work / "executed.ipynb"
        job = Execution(target, params, executed, self.pipeline.path(step.spec.run).parent
                        if step.spec.is_notebook else self.pipeline.root, work / "kernel.log")
        try:
            try:
                self.engine(job)
            finally:
                self._busy.discard(step.id)
            if step.spec.is_notebook:
                self._store_notebook(step, executed)
            files: dict[str, str] = {}
            for folder in step.folders:
                files.update(folder_files(self.staging / folder, folder))
        except Exception as exc:
            if self.engine.stopped.is_set():
                return Result(step, INTERRUPTED, time.monotonic() - started, "interrupted")
            what = str(exc) if isinstance(exc, StepFailure) else (
                pub.describe(exc, self.root) if isinstance(exc, OSError) else f"{type(exc).__name__}: {exc}")
            return Result(step, FAILED, time.monotonic() - started, self._failure(step, what, executed))
        return Result(step, RAN, time.monotonic() - started, why, key, files, self._inputs[step.id], parts)

    def _store_notebook(self, step: Step, executed: Path) -> None:
        """Normalise the executed notebook, and put it and an HTML copy into the run's first folder."""
        nbformat = jupyter_module("nbformat")
        rel = self.pipeline.rel
        replace = {rel(self.staging / f): rel(self.root / f) for s in self.pipeline.steps for f in s.folders}
        replace.update({str(self.staging / f): str(self.root / f) for s in self.pipeline.steps for f in s.folders})
        nb = normalize_executed(nbformat.read(executed, as_version=4), self.pipeline.root, replace)
        nb = nbformat.from_dict(nb)
        stem = Path(step.spec.run).stem
        folder = self.staging / step.folders[0]
        write_text(folder / f"{stem}.ipynb", nbformat.writes(nb) + "\n")
        write_text(folder / f"{stem}.html", self._html(nb))

    def _failure(self, step: Step, what: str, executed: Path) -> str:
        where = step.spec.run + (f" [scenario {step.scenario}]" if step.scenario else "")
        for staged in (str(self.staging), self.pipeline.rel(self.staging)):  # name the files as published
            what = what.replace(staged + "/", self.pipeline.rel(self.root) + "/")
        kept = ""
        if executed.is_file():
            target = self.root / pub.FAILED / f"{step.id}.ipynb"
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(str(executed), target)
                kept = f"; executed notebook kept at {self.pipeline.rel(target)}"
            except OSError:
                pass
        return f"{where} failed in {what}{kept}" if what.startswith("cell ") else f"{where} failed: {what}{kept}"

    # -- scheduling
    def _hint(self, pending: list[Step]) -> None:
        """Tell the engine how many notebook runs are still to come (kernels are started ahead for them)."""
        notebooks = [s for s in self.pipeline.steps if s.spec.is_notebook]
        if not notebooks:
            return
        left = [s for s in pending if s.spec.is_notebook] + [s for s in notebooks if s.id in self._busy]
        if self._preload is None:  # the next notebook's imports first (its kernel need not wait for the others')
            head = next((s for s in notebooks if s.id in self._busy), notebooks[0])
            first = notebook_imports([self.pipeline.path(head.spec.run)])
            rest = notebook_imports(dict.fromkeys(self.pipeline.path(s.spec.run) for s in notebooks))
            self._preload = (first, tuple(dict.fromkeys(first + rest)))
        cwd = self.pipeline.path((left or notebooks)[0].spec.run).parent
        first, preload = self._preload
        self.engine.expect(len(left), cwd, self.staging / ".work" / ".pool", preload, len(first))

    def run(self) -> dict[str, Result]:
        """Execute what changed, then publish if everything succeeded. Raises Interrupted on a signal."""
        pending = list(self.pipeline.steps)
        running: dict[Future[Result], Step] = {}
        pool = ThreadPoolExecutor(max_workers=max(1, self.options.jobs))
        bar = Progress(len(pending), self._err, self._progress)
        try:
            while pending or running:
                submitted = False
                while ready := [s for s in pending if all(d in self.results for d in s.after)]:
                    for step in ready:
                        pending.remove(step)
                        outcome = self.prepare(step)
                        if isinstance(outcome, Result):
                            self._finish(outcome, bar)
                        else:
                            self._busy.add(step.id)
                            running[pool.submit(self.execute, step, *outcome)] = step
                            submitted = True
                if self.options.hints and (submitted or (running and self._busy)):
                    self._hint(pending)  # only once something runs: a run with nothing to do starts no kernel
                if submitted and any(self.step(i).spec.is_notebook for i in list(self._busy)):
                    self._html.warm()  # after the hint: the kernels' start comes first
                if running:
                    bar.set_postfix_str(", ".join(s.id for s in running.values()))
                    done, _ = wait(running, timeout=0.2, return_when=FIRST_COMPLETED)
                    for fut in done:
                        running.pop(fut)
                        self._finish(fut.result(), bar)
                elif pending:
                    raise PipelineError(f"cannot schedule {[s.id for s in pending]}")
        except BaseException:
            self.engine.stop()
            pool.shutdown(wait=False, cancel_futures=True)
            deadline = time.monotonic() + 1.5
            for fut in running:
                try:
                    self._finish(fut.result(timeout=max(0.0, deadline - time.monotonic())), bar)
                except Exception:
                    self.results.setdefault(running[fut].id, Result(running[fut], INTERRUPTED, note="interrupted"))
            for s in pending:
                self.results.setdefault(s.id, Result(s, INTERRUPTED, note="not started"))
            bar.close()
            raise
        finally:
            if self.options.hints:
                self.engine.close()
        pool.shutdown(wait=True)
        bar.close()
        return {s.id: self.results[s.id] for s in self.pipeline.steps}

    def _finish(self, result: Result, bar: Any) -> None:
        self.results[result.step.id] = result
        bar.update(1, result)

    # -- publishing
    def publication(self) -> pub.Plan:
        """Folders to move, obsolete paths to remove, records and manifest to write."""
        ran = [r for r in self.results.values() if r.status == RAN]
        moves = [(f"{pub.STAGING}/{f}", f) for r in ran for f in r.step.folders]
        owned = [f for s in self.pipeline.steps for f in s.folders]
        files = {f"{pub.CACHE}/{r.step.id}.json": json.dumps({"key": r.key, "parts": r.parts, "files": r.files},
                                                             indent=1, sort_keys=True) + "\n" for r in ran}
        manifest = self.manifest()
        current = self.root / pub.MANIFEST
        if not current.is_file() or current.read_text(encoding="utf-8", errors="replace") != manifest:
            files[pub.MANIFEST] = manifest
        return pub.Plan(moves, pub.obsolete(self.root, owned), files)

    def manifest(self) -> str:
        """The committed record: for every run, what it ran, its parameters, input and output sha256s."""
        runs = {}
        for s in self.pipeline.steps:
            r = self.results[s.id]
            runs[s.id] = {"run": s.spec.run, "scenario": s.scenario, "parameters": s.parameters,
                          "inputs": r.inputs, "upstream": list(s.after), "files": r.files}
        lock = self.pipeline.root / "requirements.lock"
        data = {"about": "What produced every file of this folder; written by `python -m helpers.run`.",
                "requirements_lock_sha256": sha256(lock) if lock.is_file() else None, "runs": runs}
        return json.dumps(data, indent=1, sort_keys=True, default=str) + "\n"

    def publish(self) -> pub.Plan:
        plan = self.publication()
        if plan.moves or plan.remove or plan.files:
            pub.publish(self.root, plan)
        failed = self.root / pub.FAILED
        if failed.exists():
            shutil.rmtree(failed, ignore_errors=True)
        return plan


class Progress:
    """A progress bar on a terminal; one line per finished run elsewhere (logs, CI)."""

    def __init__(self, total: int, err: TextIO, enabled: bool) -> None:
        self.total, self.done, self.err, self.enabled = total, 0, err, enabled
        self.bar: Any = None
        if enabled and err.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc="runs", unit="run", file=err)

    def set_postfix_str(self, text: str) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(text)

    def update(self, n: int, result: Result | None = None) -> None:
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
        elif self.enabled and result is not None:
            print(f"[{self.done}/{self.total}] {result.step.id}: {result.status} ({result.seconds:.1f} s)",
                  file=self.err, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


# ----------------------------------------------------------------------------- the lock and the run record
@contextmanager
def exclusive(root: Path, rel: Callable[[Path], str]) -> Any:
    """Hold ``<root>/.lock`` for the whole run: one runner per outputs folder."""
    try:
        root.mkdir(parents=True, exist_ok=True)
        fh = open(root / pub.LOCK, "a+")  # noqa: SIM115 - held for the whole run
    except OSError as exc:
        raise pub.PublishError(exc.errno, f"cannot write to the outputs folder: {pub.describe(exc, root)}") from None
    with fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise PipelineError(f"another runner is using {rel(root)} (lock {rel(root / pub.LOCK)}); "
                                "wait for it to finish") from None
        yield


def discard_staging(runner: Runner) -> None:
    """Remove the staging folder, unless a committed publication (a journal) still needs it."""
    if not (runner.root / pub.JOURNAL).exists():
        shutil.rmtree(runner.staging, ignore_errors=True)


def check_outputs_folder(root: Path, rel: Callable[[Path], str]) -> None:
    """Refuse to take over a non-empty folder that is not an outputs folder of this project."""
    if root.is_dir() and any(root.iterdir()):
        marks = [root / pub.MANIFEST, root / pub.CACHE, root / pub.LOCK, root / pub.JOURNAL]
        if not any(m.exists() for m in marks):
            raise PipelineError(f"{rel(root)} is not empty and holds no {pub.MANIFEST}: not an outputs folder of "
                                "this project (the runner replaces everything in it); choose another --outputs")


def write_run_record(pipeline: Pipeline, results: Mapping[str, Result], outcome: str) -> Path | None:
    """``run-record.json`` (not committed): statuses, seconds, notes, git state and package versions."""
    return quick.write_record(pipeline.outputs, pipeline.root, {
        sid: {"status": r.status, "seconds": round(r.seconds, 2), "note": r.note, "key": r.key}
        for sid, r in results.items()}, outcome)


def summary(results: Mapping[str, Result]) -> str:
    """A plain-text table: run, status, seconds, note (first line)."""
    return quick.summary([(r.step.id, r.status, r.seconds, r.note) for r in results.values()])


def plan_text(pipeline: Pipeline) -> str:
    """The step table as expanded for --list: one block per run."""
    lines = []
    for s in pipeline.steps:
        lines += [s.id, f"  runs:       {s.spec.run}", f"  parameters: {canonical(s.parameters)}",
                  f"  reads:      {', '.join(s.spec.reads) or '-'}",
                  f"  upstream:   {', '.join(s.after) or '-'}",
                  f"  owns:       {', '.join(f'{pipeline.outputs_dir}/{f}' for f in s.folders)}"]
    return "\n".join(lines)


# ----------------------------------------------------------------------------- command line
def parse_params(items: Iterable[str]) -> dict[str, Any]:
    """``name=value`` pairs; values are read as YAML (numbers, lists, booleans work)."""
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise PipelineError(f"-p {item!r}: expected name=value")
        try:
            out[name.strip()] = yaml.safe_load(value) if value.strip() else ""
        except yaml.YAMLError as exc:
            raise PipelineError(f"-p {item!r}: the value is not valid YAML ({' '.join(str(exc).split())})") from None
    return out


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m helpers.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE",
                        help="parameter (YAML value) for every step that declares it; repeatable")
    parser.add_argument("--force", nargs="*", metavar="STEP",
                        help="rerun these steps (an id, a name or a number such as 03) even if unchanged; all if none")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="runs at once (default: cores)")
    parser.add_argument("--outputs", metavar="DIR", default="outputs",
                        help="outputs root (relative to the project root; default outputs)")
    parser.add_argument("--engine", choices=sorted(ENGINES), default="kernel",
                        help="kernel: each notebook in a fresh Jupyter kernel (default); python: code cells as plain "
                             "Python, no notebook outputs (fast checks)")
    parser.add_argument("--grid", action="append", default=[], metavar="NAME=V1,V2,...",
                        help="a parameter sweep: run the steps that declare NAME once per combination of the grid "
                             "(values V1,V2,..., a YAML list, or START:STOP:NUM), each into its own folder under "
                             "--sweep-dir, and gather their headline results into sweep.csv; repeatable")
    parser.add_argument("--sweep-dir", metavar="DIR", default=SWEEP_DIR,
                        help=f"where sweeps go (relative to the project root; default {SWEEP_DIR})")
    parser.add_argument("--sweep-name", metavar="NAME", help="the sweep's folder name (default: the swept names)")
    parser.add_argument("--cluster", metavar="ADDRESS",
                        help="run a sweep's combinations on this Dask distributed scheduler (local: a LocalCluster "
                             "of --jobs workers on 127.0.0.1)")
    parser.add_argument("--list", action="store_true", help="print the expanded step table and exit")
    parser.add_argument("--dry-run", action="store_true", help="say what would run and why, run nothing")
    return parser.parse_args(argv)


def _raise_interrupt(signum: int, _frame: Any) -> None:
    raise Interrupted(128 + signum)


def main(argv: list[str] | None = None, factory: Callable[..., Pipeline] = default_pipeline,
         engine: Engine | None = None, stdout: TextIO | None = None, progress: bool = True) -> int:
    """CLI entry point. ``factory(outputs_dir=...)`` builds the pipeline; tests inject it and the engine."""
    stdout = stdout or sys.stdout
    args = parse_args(argv)
    if args.jobs < 1:
        print("error: --jobs must be at least 1", file=sys.stderr)
        return 2
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _raise_interrupt) if in_main else None
    runner: Runner | None = None
    sweeping = False
    try:
        params = parse_params(args.param)
        pipeline = factory(outputs_dir=args.outputs)
        check_raw(pipeline.root)
        pipeline = apply_overrides(pipeline, params)
        warnings = check_notebooks(pipeline)
        for line in warnings:
            print(line, file=sys.stderr)
        if args.list:
            print(plan_text(pipeline), file=stdout)
            return 0
        if args.cluster and not args.grid:
            raise PipelineError("--cluster runs a sweep's combinations: give --grid NAME=V1,V2,...")
        if args.grid:
            from helpers.pipeline import sweep

            sweeping = True
            return sweep.main(args, params, stdout, sys.stderr, factory, engine)
        force = tuple(args.force or ("*",)) if args.force is not None else ()
        runner = Runner(pipeline, Options(params, force, args.jobs, args.engine), engine, progress=progress)
        remember = factory is default_pipeline and engine is None and not args.dry_run  # the command line
        if remember:  # what the decision reads, hashed before anything runs (helpers/pipeline/quick.py)
            named = sorted({k for s in pipeline.steps for k in runner._inputs[s.id] if pipeline.path(k).is_file()})
            before = quick.inputs(pipeline.root, named)
        check_outputs_folder(pipeline.outputs, pipeline.rel)  # before the lock file makes it look like one
        with exclusive(pipeline.outputs, pipeline.rel):
            if pub.recover(pipeline.outputs):
                print(f"note: finished publishing an interrupted run in {pipeline.rel(pipeline.outputs)}",
                      file=sys.stderr)
            if args.dry_run:
                return _dry_run(runner, stdout)
            results = runner.run()
            problems = [r for r in results.values() if r.status in (FAILED, BLOCKED)]
            if not problems:
                runner.publish()
            discard_staging(runner)
            if remember and not problems:
                quick.store(pipeline.root, pipeline.outputs, list(sys.argv[1:] if argv is None else argv), named,
                            before, [(s.id, results[s.id].key) for s in pipeline.steps], warnings)
    except ProjectError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (Interrupted, KeyboardInterrupt) as exc:
        code = exc.code if isinstance(exc, Interrupted) else 130
        if sweeping:
            print("interrupted: the sweep stopped; combinations not finished were not published", file=sys.stderr)
        if runner is not None:
            discard_staging(runner)
            write_run_record(runner.pipeline, runner.results, "interrupted")
            done = [sid for sid, r in runner.results.items() if r.status in (RAN, SKIPPED)]
            print(f"interrupted: nothing published; completed before the stop: {', '.join(done) or 'none'}",
                  file=sys.stderr)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)  # worker threads may still be unwinding from their killed kernels
    except OSError as exc:
        root = runner.root if runner else Path.cwd()
        print(f"error: {exc.strerror if isinstance(exc, pub.PublishError) else pub.describe(exc, root)}",
              file=sys.stderr)
        if runner is not None:
            discard_staging(runner)
        return 1
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    record = write_run_record(pipeline, results, "failed" if problems else "published")
    print(summary(results), file=stdout)
    if record:
        print(f"run record: {pipeline.rel(record)}", file=stdout)
    for r in problems:
        print(f"{r.status.upper()}: {r.note}", file=sys.stderr)
    if problems:
        print(f"nothing published: {pipeline.rel(pipeline.outputs)} is unchanged", file=sys.stderr)
    return 1 if problems else 0


def _dry_run(runner: Runner, stdout: TextIO) -> int:
    """Print what would run and why, without running. A run whose only change is an upstream run that would run
    is said to run only if that upstream writes different files: a rerun that writes the same bytes leaves its
    dependants skipped."""
    would_run: set[str] = set()
    for step in runner.pipeline.steps:
        outcome = runner.prepare(step)
        if isinstance(outcome, Result):
            runner.results[step.id] = outcome
            print(f"{step.id}: {outcome.status}", file=stdout)
            continue
        runner.results[step.id] = Result(step, RAN, key=outcome[0], files={"?": outcome[0]})
        would_run.add(step.id)
        waiting = [a for a in step.after if a in would_run]
        if outcome[2] == "changed: upstream" and waiting:
            print(f"{step.id}: would run only if {' or '.join(waiting)} writes different files", file=stdout)
        else:
            print(f"{step.id}: would run ({outcome[2]})", file=stdout)
    return 0

