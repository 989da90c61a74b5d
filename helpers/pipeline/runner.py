"""The runner: executes the runs whose key changed into ``<outputs>/.staging/``, then publishes the whole tree
(`helpers.pipeline.publish`) if every run succeeded; one runner per outputs folder (`exclusive`)."""

from __future__ import annotations

import fcntl
import glob
import json
import shutil
import sys
import time
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from helpers.atomic import write_text
from helpers.data.checksums import sha256
from helpers.pipeline import publish as pub
from helpers.pipeline.checks import CODE_GLOBS, file_inputs
from helpers.pipeline.engines import Engine, Execution, KernelEngine, StepFailure, jupyter_module, notebook_imports
from helpers.pipeline.executed import HtmlWriter, normalize_executed
from helpers.pipeline.notebook_source import cell_digests, describe_change, read_source, source_digest
from helpers.pipeline.plain_runs import PythonEngine
from helpers.pipeline.records import (
    BLOCKED,
    FAILED,
    INTERRUPTED,
    RAN,
    SKIPPED,
    Options,
    Result,
    canonical,
    digest,
    environment_digest,
    folder_files,
)
from helpers.pipeline.runs import Pipeline, PipelineError, Step

ENGINES: dict[str, type[Engine]] = {"kernel": KernelEngine, "python": PythonEngine}  # --engine
LOCK_WAIT = 3.0  # seconds a runner waits for the outputs lock before saying another one holds it


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
        self._sources: dict[str, dict[str, Any]] = {}  # a notebook run's source, as its key was computed
        self.inputs = {s.id: file_inputs(pipeline, s) for s in pipeline.steps}
        self._busy: set[str] = set()  # runs handed to the engine and not yet back
        self._preload: tuple[tuple[str, ...], tuple[str, ...]] | None = None  # (the first notebook's imports, all)

    def _forced_ids(self) -> set[str]:
        if "*" in self.options.force:
            return {s.id for s in self.pipeline.steps}
        return {s.id for pattern in self.options.force for s in self.pipeline.match(pattern)}

    # -- records of the published runs
    def _record_path(self, step: Step) -> Path:
        return self.root / pub.CACHE / f"{step.id}.json"

    def published(self, step: Step) -> dict[str, Any]:
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

    def on_disk(self, step: Step) -> dict[str, str]:
        out: dict[str, str] = {}
        for folder in step.folders:
            out.update(folder_files(self.root / folder, folder))
        return out

    # -- keys
    def code_digest(self) -> str:
        if self._code is None:
            files = sorted(p for pat in CODE_GLOBS for p in glob.glob(str(self.pipeline.root / pat), recursive=True)
                           if Path(p).is_file() and "__pycache__" not in p)
            self._code = digest(canonical({self.pipeline.rel(p): sha256(p) for p in files}))
        return self._code

    def env_digest(self) -> str:
        if self._env is None:
            self._env = environment_digest()
        return self._env

    def key_parts(self, step: Step) -> dict[str, str]:
        run = step.spec.run
        if step.spec.is_notebook:  # its source: outputs and what Lab adds on saving are not part of it
            source = self._sources[step.id] = read_source(self.pipeline.path(run))
            run = source_digest(source)
        upstream = {sid: self.results[sid].digest for ids in step.uses.values() for sid in ids}
        layout = {"owns": step.owns, "uses": {p: list(ids) for p, ids in step.uses.items()}}
        return {"run": run,
                "parameters": digest(canonical(step.parameters)),
                "inputs": digest(canonical(self.inputs[step.id])),
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
        record = self.published(step)
        if step.id not in self._forced and record.get("key") == key and self.on_disk(step) == record["files"]:
            return Result(step, SKIPPED, key=key, files=record["files"], inputs=self.inputs[step.id], parts=parts)
        if step.id in self._forced:
            why = "forced"
        elif not record:
            why = "first run"
        elif record.get("key") == key:
            why = "published files missing or modified"
        else:
            changed = [k for k, v in parts.items() if record.get("parts", {}).get(k) != v]
            if "run" in changed and step.id in self._sources and isinstance(record.get("cells"), list):
                changed[changed.index("run")] = describe_change(step.spec.run, record["cells"],
                                                                self._sources[step.id])
            why = "changed: " + ", ".join(changed)
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
        return Result(step, RAN, time.monotonic() - started, why, key, files, self.inputs[step.id], parts)

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
        self.engine.expect(len(left), cwd, self.staging / ".work" / ".pool", preload, first)

    def run(self) -> dict[str, Result]:
        """Execute what changed (publishing is `publish`'s). Raises Interrupted on a signal."""
        pending = list(self.pipeline.steps)
        running: dict[Future[Result], Step] = {}
        pool = ThreadPoolExecutor(max_workers=max(1, self.options.jobs))
        bar = Progress(len(pending), self._err, self._progress)
        try:
            while pending or running:
                submitted = self._submit_ready(pending, running, pool, bar)
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
            self._abandon(pending, running, pool, bar)
            raise
        finally:
            if self.options.hints:
                self.engine.close()
        pool.shutdown(wait=True)
        bar.close()
        return {s.id: self.results[s.id] for s in self.pipeline.steps}

    def _submit_ready(self, pending: list[Step], running: dict[Future[Result], Step], pool: ThreadPoolExecutor,
                      bar: Progress) -> bool:
        """Decide every pending run whose upstream runs are done: finish it (unchanged, blocked) or submit it.
        True if any was submitted."""
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
        return submitted

    def _abandon(self, pending: list[Step], running: dict[Future[Result], Step], pool: ThreadPoolExecutor,
                 bar: Progress) -> None:
        """Stop the engine, give the running runs a moment to report, and mark the rest interrupted."""
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

    def _finish(self, result: Result, bar: Any) -> None:
        self.results[result.step.id] = result
        bar.update(1, result)

    # -- publishing
    def publication(self) -> pub.Plan:
        """Folders to move, obsolete paths to remove, records and manifest to write."""
        ran = [r for r in self.results.values() if r.status == RAN]
        moves = [(f"{pub.STAGING}/{f}", f) for r in ran for f in r.step.folders]
        owned = [f for s in self.pipeline.steps for f in s.folders]
        files = {f"{pub.CACHE}/{r.step.id}.json": json.dumps(self._record(r), indent=1, sort_keys=True) + "\n"
                 for r in ran}
        manifest = self.manifest()
        current = self.root / pub.MANIFEST
        if not current.is_file() or current.read_text(encoding="utf-8", errors="replace") != manifest:
            files[pub.MANIFEST] = manifest
        return pub.Plan(moves, pub.obsolete(self.root, owned), files)

    def _record(self, result: Result) -> dict[str, Any]:
        """What the next run compares: the key and its parts, the files, a notebook's cell digests."""
        record = {"key": result.key, "parts": result.parts, "files": result.files}
        if result.step.id in self._sources:
            record["cells"] = cell_digests(self._sources[result.step.id])
        return record

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
def exclusive(root: Path, rel: Callable[[Path], str], wait: float = LOCK_WAIT) -> Any:
    """Hold ``<root>/.lock`` for the whole run: one runner per outputs folder. The processes a run starts inherit
    the lock (`Engine.pass_fds`), so after a runner was killed its last processes keep the next runner waiting
    (``wait`` seconds at most) until they end, instead of writing into its staging folder."""
    try:
        root.mkdir(parents=True, exist_ok=True)
        fh = open(root / pub.LOCK, "a+")  # noqa: SIM115 - held for the whole run
    except OSError as exc:
        raise pub.PublishError(exc.errno, f"cannot write to the outputs folder: {pub.describe(exc, root)}") from None
    with fh:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise PipelineError(f"another runner is using {rel(root)} (lock {rel(root / pub.LOCK)}); "
                                        "wait for it to finish") from None
                time.sleep(0.1)  # a killed runner's processes end within a second (they watch their runner)
        yield fh


def discard_staging(runner: Runner) -> None:
    """Remove the staging folder, unless a committed publication (a journal) still needs it."""
    if not (runner.root / pub.JOURNAL).exists():
        shutil.rmtree(runner.staging, ignore_errors=True)

