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
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, TextIO

from helpers.data.yaml_config import load_yaml_text
from helpers.errors import ProjectError
from helpers.pipeline import publish as pub
from helpers.pipeline import quick, sweep
from helpers.pipeline.checks import (
    apply_overrides,
    check_notebooks,
    check_outputs_folder,
    check_raw,
    hashed_folders,
)
from helpers.pipeline.engines import Engine
from helpers.pipeline.records import BLOCKED, FAILED, RAN, SKIPPED, Interrupted, Options, Result, canonical
from helpers.pipeline.runner import ENGINES, Runner, discard_staging, exclusive
from helpers.pipeline.runs import Pipeline, PipelineError, default_pipeline

CLEANING_STEP = "01_data_cleaning"  # after it ran, its published cleaning log's warnings are counted per table
SWEEP_DIR = "scratch/sweeps"  # default root of parameter sweeps (sweep.py), relative to the project root


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
        out[name.strip()] = load_yaml_text(value, f"-p {item!r}") if value.strip() else ""
    return out


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m helpers.run", description=__doc__.split("\n\n")[0],
                                     allow_abbrev=False)  # one reading of options, the no-change path's too
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


@dataclass
class Invocation:
    """One command line being carried out: what ``main`` was given, and the runner once there is one."""

    args: argparse.Namespace
    argv: list[str] | None
    factory: Callable[..., Pipeline]
    engine: Engine | None
    stdout: TextIO
    progress: bool
    runner: Runner | None = None
    sweeping: bool = False


@dataclass
class Finished:
    """A run of the whole pipeline that got to the end (published, or failed with nothing published)."""

    pipeline: Pipeline
    results: dict[str, Result]
    problems: list[Result]


def main(argv: list[str] | None = None, factory: Callable[..., Pipeline] = default_pipeline,
         engine: Engine | None = None, stdout: TextIO | None = None, progress: bool = True) -> int:
    """CLI entry point. ``factory(outputs_dir=...)`` builds the pipeline; tests inject it and the engine."""
    args = parse_args(argv)
    if args.jobs < 1:
        print("error: --jobs must be at least 1", file=sys.stderr)
        return 2
    call = Invocation(args, argv, factory, engine, stdout or sys.stdout, progress)
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _raise_interrupt) if in_main else None
    try:
        outcome = _carry_out(call)
    except ProjectError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (Interrupted, KeyboardInterrupt) as exc:
        _stop(call, exc.code if isinstance(exc, Interrupted) else 130)
    except OSError as exc:
        return _cannot_write(call, exc)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    return outcome if isinstance(outcome, int) else _report(outcome, call.stdout)


def _carry_out(call: Invocation) -> int | Finished:
    """Check everything, then list, sweep, say what would run, or run and publish."""
    args = call.args
    params = parse_params(args.param)
    pipeline = call.factory(outputs_dir=args.outputs)
    check_raw(pipeline.root)
    pipeline = apply_overrides(pipeline, params)
    warnings = check_notebooks(pipeline)
    for line in warnings:
        print(line, file=sys.stderr)
    if args.list:
        print(plan_text(pipeline), file=call.stdout)
        return 0
    if args.cluster and not args.grid:
        raise PipelineError("--cluster runs a sweep's combinations: give --grid NAME=V1,V2,...")
    if args.grid:
        call.sweeping = True
        return sweep.main(args, params, call.stdout, sys.stderr, call.factory, call.engine)
    force = tuple(args.force or ("*",)) if args.force is not None else ()
    runner = call.runner = Runner(pipeline, Options(params, force, args.jobs, args.engine), call.engine,
                                  progress=call.progress)
    remember = call.factory is default_pipeline and call.engine is None and not args.dry_run  # the command line
    # what the decision reads, hashed before anything runs (helpers/pipeline/quick.py)
    named = sorted({k for s in pipeline.steps for k in runner.inputs[s.id] if pipeline.path(k).is_file()})
    before = quick.inputs(pipeline.root, named) if remember else {}
    # before the lock file makes it look like one
    check_outputs_folder(pipeline.outputs, pipeline.rel, hashed_folders(pipeline))
    with exclusive(pipeline.outputs, pipeline.rel) as lock:
        runner.engine.pass_fds = (lock.fileno(),)
        if pub.recover(pipeline.outputs):
            print(f"note: finished publishing an interrupted run in {pipeline.rel(pipeline.outputs)}", file=sys.stderr)
        if args.dry_run:
            return dry_run(runner, call.stdout)
        results = runner.run()
        problems = [r for r in results.values() if r.status in (FAILED, BLOCKED)]
        if not problems:
            runner.publish()
        discard_staging(runner)
        if remember and not problems:
            quick.store(pipeline.root, pipeline.outputs, list(sys.argv[1:] if call.argv is None else call.argv), named,
                        before, [(s.id, results[s.id].key) for s in pipeline.steps], warnings)
    return Finished(pipeline, results, problems)


def _stop(call: Invocation, code: int) -> NoReturn:
    """Ctrl-C or SIGTERM: say what was done, publish nothing, and exit at once with ``code``."""
    if call.sweeping:
        print("interrupted: the sweep stopped; combinations not finished were not published", file=sys.stderr)
    runner = call.runner
    if runner is not None:
        discard_staging(runner)
        write_run_record(runner.pipeline, runner.results, "interrupted")
        done = [sid for sid, r in runner.results.items() if r.status in (RAN, SKIPPED)]
        print(f"interrupted: nothing published; completed before the stop: {', '.join(done) or 'none'}",
              file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # worker threads may still be unwinding from their killed kernels


def _cannot_write(call: Invocation, exc: OSError) -> int:
    root = call.runner.root if call.runner else Path.cwd()
    print(f"error: {exc.strerror if isinstance(exc, pub.PublishError) else pub.describe(exc, root)}", file=sys.stderr)
    if call.runner is not None:
        discard_staging(call.runner)
    return 1


def _report(done: Finished, stdout: TextIO) -> int:
    """The run record, the summary table and what failed; 1 if anything did."""
    pipeline = done.pipeline
    record = write_run_record(pipeline, done.results, "failed" if done.problems else "published")
    print(summary(done.results), file=stdout)
    if record:
        print(f"run record: {pipeline.rel(record)}", file=stdout)
    for line in table_warnings(done):
        print(line, file=stdout)
    for r in done.problems:
        print(f"{r.status.upper()}: {r.note}", file=sys.stderr)
    if done.problems:
        print(f"nothing published: {pipeline.rel(pipeline.outputs)} is unchanged", file=sys.stderr)
    return 1 if done.problems else 0


def table_warnings(done: Finished) -> list[str]:
    """After a published run in which notebook 01 ran: its city tables' warnings and dropped rows, counted per
    table from the published cleaning log (`helpers.data.table_advice.summary_lines`); [] otherwise."""
    result = done.results.get(CLEANING_STEP)
    if done.problems or result is None or result.status != RAN:
        return []
    from helpers.data.table_advice import summary_lines  # pandas: not imported before a run needs it

    folder = done.pipeline.outputs / result.step.folders[0]
    return summary_lines(folder, done.pipeline.rel(folder / "cleaning_log.csv"))


def dry_run(runner: Runner, stdout: TextIO) -> int:
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

