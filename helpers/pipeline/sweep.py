"""Parameter sweeps: a grid of step-table parameter values, each combination a run of the steps that declare them.

    python -m helpers.run --grid china_cameras=500e6,600e6,700e6 [--grid population=stated,implied]
                          [--sweep-name NAME] [--sweep-dir DIR] [--cluster ADDRESS|local] [--outputs DIR]

Every combination of the grid (the product of the ``--grid`` lists) re-runs the runs of the steps that declare
a swept parameter (``china_cameras``: ``sensitivity/*`` and ``03_scenarios/*``), with the combination's values,
into its own outputs root ``<sweep-dir>/<name>/<combination>/`` (default ``scratch/sweeps/``, git-ignored). The
other runs they read (``01_data_cleaning``...) are read from the published outputs root (``--outputs``, default
``outputs/``), which must be up to date: the sweep never changes it. Each combination is published whole, with its
own ``manifest.json`` and run keys, so running a sweep again re-runs only the combinations whose inputs changed.
The headline results of every combination are gathered into ``<sweep-dir>/<name>/sweep.csv`` (one row per
combination and scenario) and ``sweep.json`` (the grid, and every run's status and file sha256s).

Runs execute on the local kernel pool by default (``--jobs`` combinations at once), or on a Dask distributed
cluster with ``--cluster ADDRESS`` (``local``: a LocalCluster on 127.0.0.1 with ``--jobs`` single-threaded
workers, closed at the end). Dask is imported only then. A cluster's workers need this project importable and
its folders at the same paths (one machine, or a shared file system).
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
import os
import re
import shutil
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

from helpers.atomic import write_text
from helpers.data.yaml_config import load_yaml_text
from helpers.errors import ConfigError, did_you_mean
from helpers.pipeline import publish as pub
from helpers.pipeline.checks import apply_overrides, check_outputs_folder, hashed_folders
from helpers.pipeline.engines import Engine, notebook_imports
from helpers.pipeline.records import BLOCKED, FAILED, RAN, SKIPPED, Options, Result
from helpers.pipeline.runner import ENGINES, Runner, discard_staging, exclusive
from helpers.pipeline.runs import Pipeline, PipelineError, default_pipeline

TABLE, RECORD = "sweep.csv", "sweep.json"
MAX_COMBINATIONS = 10_000


# ----------------------------------------------------------------------------- the grid
def _number(value: Any) -> Any:
    """A number given as text ("500e6", which YAML reads as a string) as a number; an integral float as an int."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return value
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    return value


def parse_grid(items: Sequence[str]) -> dict[str, list[Any]]:
    """``NAME=V1,V2,...``, ``NAME=[YAML list]`` or ``NAME=START:STOP:NUM`` (NUM evenly spaced values, both ends
    included) -> {name: values}. Values are read as YAML; a number written as text (``500e6``) is a number."""
    grid: dict[str, list[Any]] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name, text = name.strip(), text.strip()
        if not sep or not name or not text:
            raise PipelineError(f"--grid {item!r}: expected NAME=V1,V2,... (or NAME=START:STOP:NUM)")
        if name in grid:
            raise PipelineError(f"--grid {name}: given twice")
        span = re.fullmatch(r"([^:]+):([^:]+):(\d+)", text)
        try:
            if text.startswith("["):
                values = load_yaml_text(text, f"--grid {item!r}")
            elif span:
                lo, hi, num = float(span[1]), float(span[2]), int(span[3])
                if num < 1:
                    raise ValueError("NUM must be at least 1")
                values = [lo + (hi - lo) * i / (num - 1) if num > 1 else lo for i in range(num)]
            else:
                values = [load_yaml_text(v, f"--grid {item!r}") if v.strip() else "" for v in text.split(",")]
        except ConfigError:  # names the value itself
            raise
        except ValueError as exc:
            raise PipelineError(f"--grid {item!r}: {' '.join(str(exc).split())}") from None
        if not isinstance(values, list) or not values:
            raise PipelineError(f"--grid {item!r}: no values")
        values = [_number(v) for v in values]
        if len({json.dumps(v, sort_keys=True, default=str) for v in values}) != len(values):
            raise PipelineError(f"--grid {name}: a value is repeated")
        grid[name] = values
    return grid


def _label(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, separators=(",", ":"))
    if isinstance(value, float):
        text = repr(value)
    return re.sub(r"[^A-Za-z0-9._+-]+", "_", text).strip("_") or "_"


@dataclass(frozen=True)
class Combination:
    """One point of the grid: its folder name and its parameter values."""

    name: str
    values: dict[str, Any]


def combinations(grid: Mapping[str, Sequence[Any]]) -> list[Combination]:
    """Every combination of the grid, the first parameter varying slowest; names unique and path-safe."""
    names = list(grid)
    out = []
    for point in itertools.product(*(grid[n] for n in names)):
        label = ",".join(f"{n}={_label(v)}" for n, v in zip(names, point, strict=True))
        out.append(Combination(label, dict(zip(names, point, strict=True))))
    if len({c.name for c in out}) != len(out):
        raise PipelineError("--grid: two combinations get the same folder name; give distinct values")
    if len(out) > MAX_COMBINATIONS:
        raise PipelineError(f"--grid: {len(out)} combinations, more than {MAX_COMBINATIONS}")
    return out


def swept_ids(pipeline: Pipeline, names: Sequence[str]) -> list[str]:
    """Runs of the steps that declare any of ``names`` (in pipeline order); PipelineError for an undeclared name."""
    declared = {n for s in pipeline.steps for n in s.spec.parameters}
    for name in names:
        if name not in declared:
            raise PipelineError(f"--grid {name}: no step declares this parameter{did_you_mean(name, declared)} "
                                f"(parameters: {', '.join(sorted(declared))})")
    return [s.id for s in pipeline.steps if any(n in s.spec.parameters for n in names)]


# ----------------------------------------------------------------------------- the published runs a sweep reads
def borrowed(pipeline: Pipeline, run_ids: Sequence[str]) -> dict[str, Result]:
    """The published results of every run that the runs ``run_ids`` read (directly or not) and that is not one
    of them; PipelineError naming the first that is missing or out of date in the outputs root."""
    needed: set[str] = set()
    for sid in run_ids:
        needed |= pipeline.ancestors(pipeline.get(sid))
    needed -= set(run_ids)
    base = Runner(pipeline, Options(hints=False), Engine(), progress=False)
    where = pipeline.rel(pipeline.outputs)
    for step in pipeline.steps:
        if step.id not in needed:
            continue
        parts = base.key_parts(step)
        record = base.published(step)
        changed = [k for k, v in parts.items() if k != "engine" and record.get("parts", {}).get(k) != v]
        if not record or changed or base.on_disk(step) != record["files"]:
            why = ("never published there" if not record else f"changed: {', '.join(changed)}" if changed
                   else "its published files are missing or modified")
            raise PipelineError(f"the sweep reads {step.id} from {where}, which is not up to date ({why}); run "
                                f"`python -m helpers.run --outputs {where}` (with the same -p) first")
        base.results[step.id] = Result(step, SKIPPED, key=record["key"], files=record["files"],
                                       inputs=base.inputs[step.id], parts=parts)
    return {sid: base.results[sid] for sid in needed}


# ----------------------------------------------------------------------------- one combination (in any process)
@dataclass(frozen=True)
class Task:
    """Everything a combination's run needs, as plain data (sent to Dask workers as is)."""

    root: str  # the project root
    outputs: str  # the published outputs root the sweep reads
    folder: str  # the combination's own outputs root (absolute)
    combination: str
    params: dict[str, Any]  # -p values and the combination's values
    run_ids: tuple[str, ...]
    engine: str
    force: bool
    jobs: int = 1
    hints: bool = True


@dataclass
class Outcome:
    """What happened to one combination: status, its runs and their headline results."""

    combination: str
    status: str  # ran, skipped-unchanged, failed, interrupted
    seconds: float = 0.0
    runs: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> status, seconds, note, files
    rows: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""


_WORKER_ENGINES: dict[str, Engine] = {}
_WORKER_LOCK = threading.Lock()


def _worker_engine(name: str) -> Engine:
    """One engine per process and engine name (a Dask worker's), stopped when the process exits."""
    with _WORKER_LOCK:
        if name not in _WORKER_ENGINES:
            import atexit

            engine = ENGINES[name](1)
            atexit.register(engine.stop)
            _WORKER_ENGINES[name] = engine
        return _WORKER_ENGINES[name]


def run_combination(task: Task | dict[str, Any], engine: Engine | None = None,
                    base: Pipeline | None = None) -> dict[str, Any]:
    """Run one combination into its folder and publish it whole; return its `Outcome` as a dict.

    ``base``: the sweep's pipeline (on this machine); a Dask worker rebuilds it from the project's step table.
    """
    task = task if isinstance(task, Task) else Task(**task)
    if base is None and task.root not in sys.path:
        sys.path.insert(0, task.root)
    started = time.monotonic()
    engine = engine or _worker_engine(task.engine)
    pipeline = apply_overrides(base or default_pipeline(Path(task.root), task.outputs), task.params)
    external = borrowed(pipeline, task.run_ids)
    sub = Pipeline(pipeline.root, tuple(pipeline.get(i) for i in task.run_ids), task.folder)
    folder = Path(task.folder)
    check_outputs_folder(folder, sub.rel, hashed_folders(sub))
    options = Options(task.params, ("*",) if task.force else (), task.jobs, task.engine, hints=task.hints)
    with exclusive(folder, sub.rel):
        pub.recover(folder)
        runner = Runner(sub, options, engine, progress=False, external=external, external_root=pipeline.outputs)
        try:
            results = runner.run()
            failed = [r for r in results.values() if r.status in (FAILED, BLOCKED)]
            if not failed:
                runner.publish()
        finally:
            discard_staging(runner)
    runs = {sid: {"status": r.status, "seconds": round(r.seconds, 2), "note": r.note.split("\n")[0],
                  "files": r.files} for sid, r in results.items()}
    ran = any(r.status == RAN for r in results.values())
    status = FAILED if failed else (RAN if ran else SKIPPED)
    note = "; ".join(f"{r.step.id}: {r.note}" for r in failed)
    rows = [] if failed else headline_rows(sub, task.combination, task.params)
    return asdict(Outcome(task.combination, status, time.monotonic() - started, runs, rows, note))


# ----------------------------------------------------------------------------- headline results
def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _scenarios_headline(folder: Path) -> dict[str, Any]:
    data = _read_json(folder / "results.json")
    national, scenario = data.get("national", {}), data.get("scenario", {})
    return {"china_cameras": scenario.get("china_cameras"), "china_population": scenario.get("china_population"),
            "world_rule": scenario.get("world_rule"), "china_per_1000": national.get("china_per_1000"),
            "china_share_of_world": national.get("china_share_of_world"),
            "world_cameras": national.get("world_cameras"),
            "rest_of_world_per_1000": national.get("rest_of_world_per_1000")}


def _sensitivity_headline(folder: Path) -> dict[str, Any]:
    rate = _read_json(folder / "sensitivity.json").get("summary", {}).get("china_per_1000", {})
    return {f"china_per_1000_{q}": rate.get(q) for q in ("p5", "p50", "p95")}


def _density_headline(folder: Path) -> dict[str, Any]:
    try:
        rows = list(csv.DictReader(io.StringIO((folder / "claims_audit.csv").read_text(encoding="utf-8"))))
    except OSError:
        return {}
    verdicts = sorted({r.get("verdict", "") for r in rows})
    return {f"verdict: {v}": sum(r.get("verdict") == v for r in rows) for v in verdicts}


def _cleaning_headline(folder: Path) -> dict[str, Any]:
    try:
        return {"cities": max(0, len((folder / "cities.csv").read_text(encoding="utf-8").splitlines()) - 1)}
    except OSError:
        return {}


# step name -> what its folder's headline results are (columns of the sweep table, prefixed by the step name)
HEADLINES: dict[str, Callable[[Path], dict[str, Any]]] = {
    "01_data_cleaning": _cleaning_headline, "02_density": _density_headline,
    "sensitivity": _sensitivity_headline, "03_scenarios": _scenarios_headline,
}


def headline_rows(sub: Pipeline, combination: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per scenario (or one row without) of the combination: its values and each run's headlines."""
    rows: dict[str, dict[str, Any]] = {}
    for step in sub.steps:
        row = rows.setdefault(step.scenario or "", {"combination": combination, "scenario": step.scenario or ""})
        extract = HEADLINES.get(step.name)
        if extract is not None:
            row.update({f"{step.name}: {k}": v for k, v in extract(sub.outputs / step.folders[0]).items()})
    return [{"combination": r["combination"], **{f"{k}": v for k, v in params.items()}, **r} for r in rows.values()]


def table_text(outcomes: Sequence[Mapping[str, Any]], names: Sequence[str]) -> str:
    """The sweep table as CSV: combination, the swept values, scenario, status, then every headline column."""
    rows = []
    for o in outcomes:
        for r in o["rows"] or [{"combination": o["combination"]}]:
            rows.append({**r, "status": o["status"]})
    fixed = ["combination", *names, "scenario", "status"]
    extra = list(dict.fromkeys(k for r in rows for k in r if k not in fixed))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fixed + extra, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for r in rows:
        writer.writerow({k: _cell(r.get(k)) for k in fixed + extra})
    return out.getvalue()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else str(value)
    if isinstance(value, (list, dict)):
        return json.dumps(value, sort_keys=True)
    return value


# ----------------------------------------------------------------------------- the sweep
@dataclass
class Sweep:
    """A planned sweep: the base pipeline, the grid and where everything goes."""

    pipeline: Pipeline
    grid: dict[str, list[Any]]
    params: dict[str, Any]
    folder: Path  # <sweep-dir>/<name>
    run_ids: list[str]
    combos: list[Combination]

    def tasks(self, engine: str, force: bool, jobs: int, hints: bool) -> list[Task]:
        return [Task(str(self.pipeline.root), self.pipeline.outputs_dir, str(self.folder / c.name), c.name,
                     {**self.params, **c.values}, tuple(self.run_ids), engine, force, jobs, hints)
                for c in self.combos]


def plan(pipeline: Pipeline, grid: dict[str, list[Any]], params: Mapping[str, Any], sweep_dir: str,
         name: str | None) -> Sweep:
    """Check the grid against the step table (every value of every combination validated) and the base outputs."""
    clash = sorted(set(grid) & set(params))
    if clash:
        raise PipelineError(f"--grid {clash[0]}: also given with -p")
    run_ids = swept_ids(pipeline, list(grid))
    combos = combinations(grid)
    for swept, values in grid.items():  # each value validated by every step that declares it
        for value in values:
            try:
                apply_overrides(pipeline, {**params, swept: value})
            except PipelineError as exc:
                raise PipelineError(f"--grid {str(exc).removeprefix('-p ')}") from None
    borrowed(apply_overrides(pipeline, params), run_ids)
    label = name or "+".join(grid)
    if not re.fullmatch(r"[A-Za-z0-9._+=-]+", label) or label.startswith("."):
        raise PipelineError(f"--sweep-name {label!r}: use letters, digits and . _ + = -")
    return Sweep(pipeline, grid, dict(params), pipeline.path(sweep_dir) / label, run_ids, combos)


def run_local(sweep: Sweep, engine_name: str, force: bool, jobs: int, err: TextIO,
              engine: Engine | None = None) -> list[dict[str, Any]]:
    """Every combination on this machine: ``jobs`` at once, each run in a fresh kernel from one shared pool."""
    engine = engine or ENGINES[engine_name](jobs)
    tasks = sweep.tasks(engine_name, force, 1, hints=False)
    per = sum(sweep.pipeline.get(i).spec.is_notebook for i in sweep.run_ids)
    notebooks = [sweep.pipeline.path(sweep.pipeline.get(i).spec.run) for i in sweep.run_ids]
    preload = notebook_imports(dict.fromkeys(notebooks))
    cwd = notebooks[0].parent if notebooks else None
    pool_dir = sweep.folder / pub.STAGING / "pool"
    outcomes: list[dict[str, Any]] = []
    executor = ThreadPoolExecutor(max_workers=max(1, jobs))
    try:
        if per:
            engine.expect(per * len(tasks), cwd, pool_dir, preload)
        running: dict[Future, Task] = {executor.submit(run_combination, t, engine, sweep.pipeline): t for t in tasks}
        while running:
            done, _ = wait(running, timeout=0.2, return_when=FIRST_COMPLETED)
            for fut in done:
                task = running.pop(fut)
                try:
                    outcome = fut.result()
                except Exception as exc:
                    outcome = asdict(Outcome(task.combination, FAILED, note=f"{type(exc).__name__}: {exc}"))
                outcomes.append(outcome)
                _progress(outcome, len(outcomes), len(tasks), err)
                if outcome["status"] == FAILED and per:  # its notebook runs that never started
                    left = len(tasks) - len(outcomes)
                    engine.expect(per * left + sum(1 for _ in running), cwd, pool_dir, preload)
    except BaseException:
        engine.stop()
        executor.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        engine.close()
    executor.shutdown(wait=True)
    shutil.rmtree(pool_dir, ignore_errors=True)
    return outcomes


def run_cluster(sweep: Sweep, address: str, engine_name: str, force: bool, jobs: int,
                err: TextIO) -> list[dict[str, Any]]:
    """Every combination as one task on a Dask distributed cluster (``local``: a LocalCluster started here)."""
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    if address == "local":
        cluster = LocalCluster(n_workers=max(1, jobs), threads_per_worker=1, host="127.0.0.1",
                               dashboard_address=None, processes=True, silence_logs=50)
        client = Client(cluster)
    else:
        client = Client(address, timeout="30s")
    tasks = sweep.tasks(engine_name, force, 1, hints=True)
    outcomes: list[dict[str, Any]] = []
    try:
        futures = [client.submit(run_combination, asdict(t), key=f"sweep-{sweep.folder.name}-{t.combination}-"
                                 f"{os.getpid()}-{time.monotonic_ns()}", pure=False) for t in tasks]
        by_key = {f.key: t for f, t in zip(futures, tasks, strict=True)}
        for fut in as_completed(futures):
            try:
                outcome = fut.result()
            except Exception as exc:
                outcome = asdict(Outcome(by_key[fut.key].combination, FAILED, note=f"{type(exc).__name__}: {exc}"))
            outcomes.append(outcome)
            _progress(outcome, len(outcomes), len(tasks), err)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return outcomes


def _progress(outcome: Mapping[str, Any], done: int, total: int, err: TextIO) -> None:
    note = f": {outcome['note']}" if outcome.get("note") else ""
    print(f"[{done}/{total}] {outcome['combination']}: {outcome['status']} ({outcome['seconds']:.1f} s){note}",
          file=err, flush=True)


def write_results(sweep: Sweep, outcomes: list[dict[str, Any]]) -> tuple[Path, Path]:
    """sweep.csv (headline results) and sweep.json (grid, statuses, every run's file sha256s), in grid order."""
    order = {c.name: i for i, c in enumerate(sweep.combos)}
    outcomes = sorted(outcomes, key=lambda o: order.get(o["combination"], len(order)))
    table = write_text(sweep.folder / TABLE, table_text(outcomes, list(sweep.grid)))
    record = {"about": "A parameter sweep written by `python -m helpers.run --grid ...`.",
              "outputs": sweep.pipeline.rel(sweep.pipeline.outputs), "grid": sweep.grid, "parameters": sweep.params,
              "runs": sweep.run_ids,
              "combinations": {o["combination"]: {"status": o["status"], "values": sweep.combos[order[o["combination"]]]
                                                  .values if o["combination"] in order else {},
                                                  "note": o["note"], "runs": o["runs"]} for o in outcomes}}
    meta = write_text(sweep.folder / RECORD, json.dumps(record, indent=1, sort_keys=True, default=str) + "\n")
    return table, meta


def main(args: Any, params: dict[str, Any], stdout: TextIO, err: TextIO,
         factory: Callable[..., Pipeline] = default_pipeline, engine: Engine | None = None) -> int:
    """The --grid mode of `helpers.pipeline.run.main`: plan, run every combination, write the sweep table."""
    pipeline = factory(outputs_dir=args.outputs)
    sweep = plan(pipeline, parse_grid(args.grid), params, args.sweep_dir, args.sweep_name)
    print(f"sweep {sweep.pipeline.rel(sweep.folder)}: {len(sweep.combos)} combination(s) x "
          f"{len(sweep.run_ids)} run(s) ({', '.join(sweep.run_ids)}), reading {sweep.pipeline.rel(pipeline.outputs)}"
          + (f" on {args.cluster}" if args.cluster else ""), file=err, flush=True)
    if args.dry_run:
        for c in sweep.combos:
            print(f"{c.name}: {', '.join(sweep.run_ids)} -> {sweep.pipeline.rel(sweep.folder / c.name)}", file=stdout)
        return 0
    sweep.folder.mkdir(parents=True, exist_ok=True)
    with exclusive(pipeline.outputs, pipeline.rel), exclusive(sweep.folder, pipeline.rel):
        force = args.force is not None
        if args.cluster:
            outcomes = run_cluster(sweep, args.cluster, args.engine, force, args.jobs, err)
        else:
            outcomes = run_local(sweep, args.engine, force, args.jobs, err, engine)
        table, _ = write_results(sweep, outcomes)
    failed = [o for o in outcomes if o["status"] not in (RAN, SKIPPED)]
    counts = {s: sum(o["status"] == s for o in outcomes) for s in (RAN, SKIPPED, FAILED)}
    print(f"{len(outcomes)} combination(s): {counts[RAN]} ran, {counts[SKIPPED]} unchanged, {counts[FAILED]} failed; "
          f"table: {pipeline.rel(table)}", file=stdout)
    for o in failed:
        print(f"FAILED: {o['combination']}: {o['note']}", file=err)
    return 1 if failed else 0
