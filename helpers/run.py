"""Batch runner: every notebook of the pipeline for every scenario; incremental, parallel, with provenance.

    python -m helpers.run [--only 03] [--scenario NAME] [-p name=value ...] [--force] [--jobs N]
                          [--outputs DIR] [--list]

A step is skipped when its key (sha256 over the notebook, its parameters, its input files and the
helper code) equals the one stored in ``<outputs>/.cache/`` and its recorded outputs are intact.
Steps that must run are executed with papermill, each in its own kernel, independent ones in
parallel. papermill and nbconvert are imported only when something runs.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, TextIO

import yaml

from helpers.atomic import write_text
from helpers.checksums import sha256
from helpers.errors import ProjectError
from helpers.paths import PROJECT_ROOT
from helpers.pipeline import Pipeline, PipelineError, Step, declared_parameters, default_pipeline

RAN, SKIPPED, FAILED, BLOCKED, ABSENT = "ran", "skipped-unchanged", "failed", "blocked", "absent"
KERNEL = "python3"
PACKAGES = ("pandas", "numpy", "matplotlib", "seaborn", "papermill", "pandera", "nbclient", "ipykernel")
TIMING_KEYS = ("start_time", "end_time", "duration")
DIR_PARAMETERS = ("processed_dir", "outputs_dir")  # shape the pipeline itself, so set through the factory


class StepFailure(Exception):
    """A notebook failed; the message names the cell and the error."""


@dataclass(frozen=True)
class Execution:
    """One notebook to execute: ``notebook`` with ``parameters`` into ``output``, kernel working dir ``cwd``."""

    notebook: Path
    output: Path
    parameters: dict[str, Any]
    cwd: Path


Executor = Callable[[Execution], None]


@dataclass
class Options:
    """What to run and how."""

    only: str | None = None
    scenario: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    force: bool = False
    jobs: int = os.cpu_count() or 1


@dataclass
class Result:
    """The outcome of one step in this invocation; ``record`` is what the manifest keeps about its outputs."""

    step: Step
    status: str
    seconds: float = 0.0
    note: str = ""
    record: dict[str, Any] = field(default_factory=dict)
    started: float = 0.0
    finished: float = 0.0


@dataclass(frozen=True)
class Plan:
    """A step that has to run, with everything its key was computed from."""

    step: Step
    parameters: dict[str, Any]
    inputs: dict[str, str]
    key: str
    parts: dict[str, str]
    note: str


# ----------------------------------------------------------------------------- small utilities
def canonical(obj: Any) -> str:
    """Canonical JSON (sorted keys, no spaces) used for hashing."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class FileHashes:
    """sha256 of files, memoised on (path, mtime, size, inode) for one invocation."""

    def __init__(self) -> None:
        self._memo: dict[tuple[str, int, int, int], str] = {}

    def __call__(self, path: Path) -> str:
        st = path.stat()
        key = (str(path), st.st_mtime_ns, st.st_size, st.st_ino)
        if key not in self._memo:
            self._memo[key] = sha256(path)
        return self._memo[key]


Snapshot = dict[Path, tuple[int, int, int]]


def snapshot(files: Iterable[Path]) -> Snapshot:
    """(mtime, size, inode) of each file, to see afterwards which ones a step wrote."""
    out = {}
    for p in files:
        st = p.stat()
        out[p] = (st.st_mtime_ns, st.st_size, st.st_ino)
    return out


# ----------------------------------------------------------------------------- executed notebooks
def normalize_executed(nb: dict[str, Any], root: Path = PROJECT_ROOT) -> dict[str, Any]:
    """Remove papermill's timing and machine-specific paths so executed notebooks compare equal across runs.

    Drops ``metadata.papermill.{start_time,end_time,duration,output_path}``, makes ``input_path``
    relative to ``root``, drops each cell's ``metadata.execution`` timestamps and papermill timing,
    and gives the injected-parameters cell a fixed id. Works in place and returns ``nb``.
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
    return nb


def _source(cell: Mapping[str, Any]) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def script_cells(notebook: Path, parameters: Mapping[str, Any]) -> list[str]:
    """The code cells of ``notebook`` as plain Python, ``parameters`` assigned after the parameters cell.

    IPython magics and shell escapes are dropped, so the cells can run without Jupyter (the bench's
    floor and the tests' kernel-free executor).
    """
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    out: list[str] = []
    for cell in cells:
        if cell.get("cell_type") != "code":
            continue
        lines = [ln for ln in _source(cell).splitlines() if not ln.lstrip().startswith(("%", "!"))]
        out.append("\n".join(lines))
        if "parameters" in cell.get("metadata", {}).get("tags", []) and parameters:
            out.append("\n".join(f"{k} = {v!r}" for k, v in parameters.items()))
    return out


def cell_message(executed: Path, cell_index: int, exec_count: int | None, ename: str, evalue: str) -> str:
    """'cell N (In [k]: first line): Error: value', N counted in the source notebook (injected cell removed)."""
    try:
        cells = json.loads(executed.read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError):
        cells = []
    # papermill puts a markdown error banner first after the failure; cell_index counts without it
    cells = [c for c in cells if "papermill-error-cell-tag" not in c.get("metadata", {}).get("tags", [])]
    injected = sum("injected-parameters" in c.get("metadata", {}).get("tags", []) for c in cells[:cell_index])
    lines = _source(cells[cell_index]).strip().splitlines() if cell_index < len(cells) else []
    first = lines[0] if lines else ""
    return f"cell {cell_index - injected} (In [{exec_count}]: {first!r}): {ename}: {evalue}"


def papermill_executor() -> Executor:
    """Execute with papermill's Python API (imported here, once, only when something runs)."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    def execute(job: Execution) -> None:
        try:
            papermill.execute_notebook(
                str(job.notebook), str(job.output), parameters=job.parameters, kernel_name=KERNEL,
                progress_bar=False, log_output=False,
                # the kernel's working directory without papermill's process-wide os.chdir (thread-safe)
                resources={"metadata": {"path": str(job.cwd)}},
                extra_arguments=["--IPKernelApp.log_level=ERROR"],
            )
        except PapermillExecutionError as exc:
            raise StepFailure(cell_message(job.output, exc.cell_index, exc.exec_count, exc.ename, exc.evalue)) from exc

    return execute


class HtmlWriter:
    """nbconvert's HTMLExporter, created once and used under a lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._exporter: Any = None

    def __call__(self, nb: Any) -> str:
        from nbconvert import HTMLExporter

        with self._lock:
            if self._exporter is None:
                self._exporter = HTMLExporter()
            body, _ = self._exporter.from_notebook_node(nb)
        return body


# ----------------------------------------------------------------------------- layout of the outputs folder
@dataclass(frozen=True)
class Layout:
    """Where the runner keeps its files under the outputs folder."""

    base: Path

    def executed(self, step: Step) -> Path:
        return self.base / "notebooks" / step.group / f"{step.name}.ipynb"

    def html(self, step: Step) -> Path:
        return self.executed(step).with_suffix(".html")

    def failed(self, step: Step) -> Path:
        return self.base / "failed" / step.group / f"{step.name}.ipynb"

    def cache(self, step: Step) -> Path:
        return self.base / ".cache" / step.group / f"{step.name}.json"

    @property
    def tmp(self) -> Path:
        return self.base / ".tmp"

    @property
    def manifest(self) -> Path:
        return self.base / "manifest.json"


# ----------------------------------------------------------------------------- the runner
class Runner:
    """Runs the selected steps of a pipeline in dependency order, skipping unchanged ones."""

    def __init__(self, pipeline: Pipeline, options: Options | None = None, execute: Executor | None = None,
                 progress: bool = True) -> None:
        self.pipeline = pipeline
        self.options = options or Options()
        self.layout = Layout(pipeline.path(pipeline.outputs_dir))
        self.selected = pipeline.select(self.options.only, self.options.scenario)
        self.extra = self._extra_parameters()
        self.hash = FileHashes()
        self.results: dict[str, Result] = {}
        self._execute = execute
        self._html = HtmlWriter()
        self._progress = progress
        self._code: str | None = None

    # -- parameters, inputs, keys
    def _extra_parameters(self) -> dict[str, dict[str, Any]]:
        """{step id: the -p parameters its notebook declares}; a parameter nobody declares is an error."""
        if "scenario" in self.options.params:
            raise PipelineError("set the scenario with --scenario NAME, not -p scenario=...")
        declared = {s.id: declared_parameters(self.pipeline.path(s.notebook)) for s in self.selected
                    if self.pipeline.path(s.notebook).is_file()}
        for name in self.options.params:
            if not any(name in names for names in declared.values()):
                raise PipelineError(f"-p {name}: no selected notebook declares '{name}' in its parameters cell")
        return {sid: {k: v for k, v in self.options.params.items() if k in names} for sid, names in declared.items()}

    def parameters(self, step: Step) -> dict[str, Any]:
        return {**step.parameters, **self.extra.get(step.id, {})}

    def code_digest(self) -> str:
        if self._code is None:
            files = self.pipeline.expand(self.pipeline.code)
            self._code = digest(canonical({self.pipeline.rel(p): self.hash(p) for p in files}))
        return self._code

    def _written_by(self, step: Step) -> list[Path]:
        """Files ``step`` wrote: as recorded in this run or the cache, else whatever its output globs match."""
        result = self.results.get(step.id)
        record = result.record if result and "outputs" in result.record else self._cached(step).get("record")
        if record:
            executed = set(record.get("executed", []))
            return [self.pipeline.path(p) for p in record["outputs"] if p not in executed]
        return self.pipeline.outputs_of(step)

    def inputs(self, step: Step) -> dict[str, str]:
        """{path: sha256} of the step's declared inputs plus every file its upstream steps wrote."""
        files = set(self.pipeline.expand(step.inputs))
        for up in self.pipeline.ancestors(step):
            files.update(self._written_by(up))
        return {self.pipeline.rel(p): self.hash(p) for p in sorted(files) if p.is_file()}

    def _cached(self, step: Step) -> dict[str, Any]:
        try:
            return json.loads(self.layout.cache(step).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def _intact(self, record: Mapping[str, Any]) -> bool:
        for rel, sha in record.get("outputs", {}).items():
            path = self.pipeline.path(rel)
            if not path.is_file() or self.hash(path) != sha:
                return False
        return True

    # -- deciding what to do with a step
    def prepare(self, step: Step) -> Result | Plan:
        """A final Result (absent, blocked, unchanged) or the Plan to execute the step."""
        nb = self.pipeline.path(step.notebook)
        if not nb.is_file():
            return Result(step, ABSENT, note=f"not yet present: {self.pipeline.rel(nb)}")
        bad = [d for d in step.after if d in self.results and self.results[d].status in (FAILED, BLOCKED)]
        if bad:
            return Result(step, BLOCKED, note=f"upstream {', '.join(bad)} did not finish",
                          record={"parameters": self.parameters(step)})
        params, inputs = self.parameters(step), self.inputs(step)
        parts = {"notebook": self.hash(nb), "parameters": digest(canonical(params)),
                 "inputs": digest(canonical(inputs)), "code": self.code_digest()}
        key = digest(canonical(parts))
        cached = self._cached(step)
        if not self.options.force and cached.get("key") == key and self._intact(cached.get("record", {})):
            return Result(step, SKIPPED, record=cached["record"])
        return Plan(step, params, inputs, key, parts, self._why(cached, parts))

    def _why(self, cached: Mapping[str, Any], parts: Mapping[str, str]) -> str:
        if self.options.force:
            return "forced"
        if not cached:
            return "first run"
        changed = [k for k, v in parts.items() if cached.get("parts", {}).get(k) != v]
        return f"changed: {', '.join(changed)}" if changed else "outputs missing or modified"

    # -- executing a step (in a worker thread)
    def execute(self, plan: Plan) -> Result:
        """Run one notebook into .tmp/, then publish; on failure roll its files back and keep the notebook."""
        step, started = plan.step, time.monotonic()
        self.layout.tmp.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f"{step.group}-{step.name}-", dir=self.layout.tmp))
        before = snapshot(self.pipeline.outputs_of(step))
        backup = _backup(before, work / "backup")
        executed = work / f"{step.name}.ipynb"
        nb = self.pipeline.path(step.notebook)
        try:
            assert self._execute is not None
            self._execute(Execution(nb, executed, plan.parameters, nb.parent))
            written = self._written(step, before)
            record = self._publish(plan, executed, written, time.monotonic() - started)
        except Exception as exc:
            _rollback(snapshot(self.pipeline.outputs_of(step)), before, backup)
            return Result(step, FAILED, time.monotonic() - started, self._failure(step, exc, executed),
                          record=self._failed_record(plan), started=started, finished=time.monotonic())
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return Result(step, RAN, time.monotonic() - started, plan.note, record, started, time.monotonic())

    def _written(self, step: Step, before: Snapshot) -> dict[str, str]:
        after = snapshot(self.pipeline.outputs_of(step))
        return {self.pipeline.rel(p): self.hash(p) for p, st in after.items() if before.get(p) != st}

    def _publish(self, plan: Plan, executed: Path, written: dict[str, str], seconds: float) -> dict[str, Any]:
        """Normalise the executed notebook, export HTML, move both into place, store the cache entry."""
        import nbformat

        step = plan.step
        nb = normalize_executed(nbformat.read(executed, as_version=4), self.pipeline.root)
        final, html = self.layout.executed(step), self.layout.html(step)
        write_text(final, nbformat.writes(nb) + "\n")
        write_text(html, self._html(nb))
        self.layout.failed(step).unlink(missing_ok=True)  # a stale failure of an earlier attempt
        out = {**written, self.pipeline.rel(final): self.hash(final), self.pipeline.rel(html): self.hash(html)}
        record = {"notebook": step.notebook, "scenario": step.scenario, "parameters": plan.parameters,
                  "inputs": plan.inputs, "outputs": dict(sorted(out.items())), "run_seconds": round(seconds, 2),
                  "executed": [self.pipeline.rel(final), self.pipeline.rel(html)], "key": plan.key}
        write_text(self.layout.cache(step), json.dumps({"key": plan.key, "parts": plan.parts, "record": record},
                                                         indent=2, sort_keys=True) + "\n")
        return record

    def _failure(self, step: Step, exc: Exception, executed: Path) -> str:
        where = f"{step.notebook}" + (f" [scenario {step.scenario}]" if step.scenario else "")
        what = str(exc) if isinstance(exc, StepFailure) else f"{type(exc).__name__}: {exc}"
        kept = ""
        if executed.is_file():
            target = self.layout.failed(step)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(executed), target)
            kept = f"; executed notebook kept at {self.pipeline.rel(target)}"
        return f"{where} failed in {what}{kept}" if isinstance(exc, StepFailure) else f"{where} failed: {what}{kept}"

    def _failed_record(self, plan: Plan) -> dict[str, Any]:
        """Parameters and inputs of the failed attempt; the previous good outputs, which are still in place."""
        previous = self._cached(plan.step).get("record", {})
        return {"parameters": plan.parameters, "inputs": plan.inputs, "outputs": previous.get("outputs", {}),
                "executed": previous.get("executed", [])}

    # -- scheduling
    def _ready(self, pending: list[Step]) -> list[Step]:
        selected = {s.id for s in self.selected}
        return [s for s in pending if all(d in self.results for d in s.after if d in selected)]

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        """Refuse to share an outputs folder with another runner at the same time."""
        self.layout.tmp.mkdir(parents=True, exist_ok=True)
        with open(self.layout.tmp / "runner.lock", "w") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                raise PipelineError(f"another runner is using {self.pipeline.rel(self.layout.base)}") from exc
            yield

    def run(self) -> dict[str, Result]:
        """Run the selection; returns {step id: Result} in dependency order."""
        with self._exclusive():
            return self._run()

    def _run(self) -> dict[str, Result]:
        from tqdm import tqdm

        pending = list(self.selected)
        running: dict[Future[Result], Step] = {}
        with ThreadPoolExecutor(max_workers=max(1, self.options.jobs)) as pool, tqdm(
                total=len(pending), desc="notebooks", unit="nb", file=sys.stderr, disable=not self._progress) as bar:
            while pending or running:
                while ready := self._ready(pending):
                    for step in ready:
                        pending.remove(step)
                        outcome = self.prepare(step)
                        if isinstance(outcome, Plan):
                            self._execute = self._execute or papermill_executor()
                            running[pool.submit(self.execute, outcome)] = step
                        else:
                            self._finish(outcome, bar)
                if running:
                    bar.set_postfix_str(", ".join(s.id for s in running.values()))
                    done, _ = wait(running, return_when=FIRST_COMPLETED)
                    for fut in done:
                        running.pop(fut)
                        self._finish(fut.result(), bar)
                elif pending:
                    raise PipelineError(f"cannot schedule {[s.id for s in pending]}")  # unreachable for a DAG
        return {s.id: self.results[s.id] for s in self.selected}

    def _finish(self, result: Result, bar: Any) -> None:
        self.results[result.step.id] = result
        bar.update(1)


def _backup(files: Snapshot, folder: Path) -> dict[Path, Path]:
    """Copies of the files a step may overwrite, so a failure can restore them."""
    copies = {}
    for i, path in enumerate(files):
        folder.mkdir(parents=True, exist_ok=True)
        copies[path] = folder / str(i)
        shutil.copy2(path, copies[path])
    return copies


def _rollback(after: Snapshot, before: Snapshot, backup: Mapping[Path, Path]) -> None:
    """Undo a failed step's writes: remove new files, restore changed or deleted ones."""
    for path in after.keys() - before.keys():
        path.unlink(missing_ok=True)
    for path, st in before.items():
        if after.get(path) != st:
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(backup[path]), path)


# ----------------------------------------------------------------------------- provenance and reporting
def git_state(root: Path, exclude: str) -> dict[str, Any]:
    """HEAD commit and whether the tree (outside the folder ``exclude``) has uncommitted changes; None without git."""
    def git(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=30)

    try:
        head = git("rev-parse", "HEAD")
        if head.returncode != 0:
            return {"commit": None, "dirty": None}
        spec = [] if Path(exclude).is_absolute() else [f":(exclude){exclude}"]
        status = git("status", "--porcelain", "--", ".", *spec)
        return {"commit": head.stdout.strip(), "dirty": bool(status.stdout.strip())}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


def package_versions() -> dict[str, str | None]:
    """Versions of the packages behind the results (read from metadata, nothing imported)."""
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def manifest_entry(result: Result) -> dict[str, Any]:
    step = result.step
    return {**result.record, "notebook": step.notebook, "scenario": step.scenario, "status": result.status,
            "seconds": round(result.seconds, 2), "note": result.note}


def write_manifest(pipeline: Pipeline, results: Mapping[str, Result], git: Mapping[str, Any]) -> Path:
    """Update ``<outputs>/manifest.json``: this invocation's steps replace their previous entries."""
    path = Layout(pipeline.path(pipeline.outputs_dir)).manifest
    try:
        runs = json.loads(path.read_text(encoding="utf-8")).get("runs", {})
    except (OSError, ValueError):
        runs = {}
    ids = {s.id for s in pipeline.steps}
    runs = {k: v for k, v in runs.items() if k in ids}
    runs.update({sid: manifest_entry(r) for sid, r in results.items()})
    data = {"git": dict(git), "packages": package_versions(), "runs": runs}
    write_text(path, json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")
    return path


def summary(results: Mapping[str, Result]) -> str:
    """A plain-text table: notebook, scenario, status, seconds, note (first line)."""
    rows = [("notebook", "scenario", "status", "seconds", "note")]
    for r in results.values():
        rows.append((r.step.name, r.step.scenario or "-", r.status, f"{r.seconds:.1f}", r.note.split("\n")[0]))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return "\n".join("  ".join([*(row[i].ljust(widths[i]) for i in range(3)), row[3].rjust(widths[3]), row[4]]).rstrip()
                     for row in rows)


def plan_text(pipeline: Pipeline, steps: Iterable[Step]) -> str:
    """The plan for --list: one block per step."""
    lines = []
    for s in steps:
        present = "" if pipeline.path(s.notebook).is_file() else "   [not yet present]"
        lines += [f"{s.id}{present}", f"  notebook:   {s.notebook}", f"  parameters: {canonical(s.parameters)}",
                  f"  after:      {', '.join(s.after) or '-'}", f"  inputs:     {', '.join(s.inputs) or '-'}"
                  " + upstream outputs", f"  outputs:    {', '.join(s.outputs) or '-'}"]
        lines += [f"  except:     {', '.join(s.exclude)}"] if s.exclude else []
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
            raise PipelineError(f"-p {item!r}: the value is not valid YAML ({exc})") from exc
    return out


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m helpers.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", metavar="NOTEBOOK", help="run one notebook, e.g. 03_scenarios or 03")
    parser.add_argument("--scenario", metavar="NAME", help="run only this scenario's scenario runs")
    parser.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE",
                        help="extra parameter (YAML value) for the notebooks that declare it; repeatable")
    parser.add_argument("--force", action="store_true", help="rerun even unchanged steps")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel kernels (default: cores)")
    parser.add_argument("--outputs", metavar="DIR",
                        help="outputs folder (relative to the project root; default outputs)")
    parser.add_argument("--list", action="store_true", help="print the plan and exit")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None, factory: Callable[..., Pipeline] = default_pipeline,
         execute: Executor | None = None, stdout: TextIO | None = None) -> int:
    """CLI entry point. ``factory(processed_dir=..., outputs_dir=...)`` builds the pipeline and ``execute``
    runs one notebook (papermill by default); tests inject both."""
    stdout = stdout or sys.stdout
    args = parse_args(argv)
    try:
        params = parse_params(args.param)
        dirs = {k: str(params.pop(k)) for k in DIR_PARAMETERS if k in params}
        if args.outputs:
            dirs["outputs_dir"] = args.outputs
        pipeline = factory(**dirs)
        if args.list:
            print(plan_text(pipeline, pipeline.select(args.only, args.scenario)), file=stdout)
            return 0
        git = git_state(pipeline.root, pipeline.rel(pipeline.path(pipeline.outputs_dir)))
        runner = Runner(pipeline, Options(args.only, args.scenario, params, args.force, args.jobs), execute)
        results = runner.run()
    except ProjectError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    manifest = write_manifest(pipeline, results, git)
    print(summary(results), file=stdout)
    print(f"manifest: {pipeline.rel(manifest)}", file=stdout)
    problems = [r for r in results.values() if r.status in (FAILED, BLOCKED)]
    for r in problems:
        print(f"{r.status.upper()}: {r.note}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
