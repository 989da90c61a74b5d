"""Time the batch runner against the papermill command line and plain-Python floors (``make bench``).

Default mode: each variant runs the whole step table (every notebook for every scenario, helper steps included,
the work of ``make reproduce``) in its own temporary outputs folder; the variants are interleaved and repeated
(``--repeat``, default 3; the order rotates every repeat), and the median and the min-max of each are printed
with the ratios of the medians:
  (a) the runner with ``--force`` on a clean outputs folder (kernels started ahead, runs in parallel);
  (b) the same runs one by one with the ``papermill`` command line (helper steps as one ``python -c`` each);
  (c) the runner with ``--engine python``: each notebook's code cells as plain Python, in a process forked from
      multiprocessing's forkserver, which holds the libraries' imports;
  (e) ONE Python process for everything: every notebook's code cells and every helper step, in dependency
      order, no Jupyter, no executed notebooks, no HTML (the lowest floor);
  (f) the runner as (a) but each kernel started when its run needs it (no kernel started ahead);
  (d) the runner again with nothing changed (after (a)).
The committed outputs/ are never touched.

``--scale``: cleaning, densities and saved tables (what notebooks 01 and 02 do with a city table) on synthetic
tables in the 2021 layout of 10k and 100k rows, each size in its own process (peak memory = its maxrss), then the
full runner with a synthetic table of ``--runner-rows`` rows (default 100,000; 0 to skip) and with the real table,
interleaved, ``--repeat`` times each (target: the synthetic run at most 2x the real one).

``--sweep N``: an N-point sweep of ``china_cameras`` (notebook 03 and the sensitivity step, every scenario) on the
local kernel pool and on a Dask LocalCluster, timed, and every run's files compared byte for byte.
"""

from __future__ import annotations

import argparse
import json
import os
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
from helpers.pipeline.runs import Pipeline, Step, default_pipeline

BIN = Path(sys.executable).parent
# The environment of every variant: the caller's, without MPLBACKEND, so kernels draw inline as under
# `make reproduce` (ipykernel picks the inline backend only when MPLBACKEND is unset) and plain Python uses Agg.
ENV = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}


def timed(cmd: list[str], cwd: Path = PROJECT_ROOT, env: dict[str, str] | None = None,
          timeout: float | None = None) -> tuple[float, int]:
    """Wall-clock seconds and exit status of one command (output discarded; an error's last lines shown).

    After ``timeout`` seconds the command gets SIGINT (the runner stops its kernels), then SIGKILL 10 s later.
    """
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=err, text=True, env=env or ENV)
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGINT)
            try:
                code = proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                code = proc.wait()
            print(f"  ! stopped after {timeout:.0f} s: {' '.join(Path(c).name for c in cmd[:3])}")
        err.seek(0)
        stderr = err.read()
    if code:
        last = [ln for ln in stderr.splitlines() if ln.strip()][-2:]
        print(f"  ! exit {code}: {' '.join(Path(c).name for c in cmd[:3])}: " + " / ".join(last)[:300])
    return time.perf_counter() - start, code


def parameters(pipeline: Pipeline, step: Step) -> dict:
    """The parameters the runner would give ``step``, with every folder directly under the outputs root."""
    return pipeline.parameters(step, lambda _run, folder, _owned: str(pipeline.outputs / folder))


def runner(outputs: Path, *extra: str, timeout: float | None = None) -> tuple[float, int]:
    return timed([sys.executable, "-m", "helpers.run", "--outputs", str(outputs), *extra], timeout=timeout)


def papermill_cli(outputs: Path) -> tuple[float, int]:
    pipeline = default_pipeline(outputs_dir=str(outputs))
    total, worst = 0.0, 0
    for step in pipeline.steps:
        params = parameters(pipeline, step)
        for folder in step.owns.values():
            (outputs / folder).mkdir(parents=True, exist_ok=True)
        if step.spec.is_notebook:
            nb = PROJECT_ROOT / step.spec.run
            cmd = [str(BIN / "papermill"), str(nb), str(outputs / step.folders[0] / nb.name), "-k", "python3",
                   "--cwd", str(nb.parent), "--no-progress-bar", "-y", json.dumps(params)]
        else:
            module, _, func = step.spec.run.partition(":")
            cmd = [sys.executable, "-c", f"import json, sys; from {module} import {func} as f; "
                   f"f(**json.loads(sys.argv[1]))", json.dumps(params)]
        seconds, rc = timed(cmd)
        total, worst = total + seconds, max(worst, rc)
    return total, worst


ONE_PROCESS = """\
import json, os, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
from IPython.display import display
from pathlib import Path
from helpers.pipeline.engines import Execution, call_function
from helpers.pipeline.plain_runs import indexed_cells
for kind, target, params, cwd in json.loads(sys.argv[1]):
    if kind == "notebook":
        os.chdir(cwd)
        scope = {"display": display, "__name__": "__main__"}
        for index, source in indexed_cells(Path(target), params):
            exec(compile(source, f"<{Path(target).stem} cell {index}>", "exec"), scope)
        plt.close("all")
    else:
        call_function(Execution(target, params, Path(os.devnull), Path(cwd), Path(os.devnull)))
"""


def one_process(outputs: Path) -> tuple[float, int]:
    """Every notebook's code cells and every helper step in ONE Python process, in dependency order."""
    pipeline = default_pipeline(outputs_dir=str(outputs))
    plan = []
    for step in pipeline.steps:
        for folder in step.owns.values():
            (outputs / folder).mkdir(parents=True, exist_ok=True)
        target = str(PROJECT_ROOT / step.spec.run) if step.spec.is_notebook else step.spec.run
        cwd = str((PROJECT_ROOT / step.spec.run).parent) if step.spec.is_notebook else str(PROJECT_ROOT)
        plan.append(("notebook" if step.spec.is_notebook else "function", target, parameters(pipeline, step), cwd))
    return timed([sys.executable, "-c", ONE_PROCESS, json.dumps(plan)])


NO_POOL = """\
import os, sys
from helpers.pipeline.engines import KernelEngine
from helpers.pipeline.run import main
sys.exit(main(sys.argv[1:], engine=KernelEngine(os.cpu_count() or 1, warm=False), progress=False))
"""


def no_pool(outputs: Path) -> tuple[float, int]:
    """The runner as (a), but no kernel started ahead: what the pool saves."""
    return timed([sys.executable, "-c", NO_POOL, "--outputs", str(outputs), "--force"])


VARIANTS: dict[str, tuple[str, Callable[[Path], tuple[float, int]]]] = {
    "a": ("(a) runner --force, clean outputs", lambda d: runner(d / "a", "--force")),
    "b": ("(b) papermill CLI, one by one", lambda d: papermill_cli(d / "b")),
    "c": ("(c) runner --engine python (a process per notebook)", lambda d: runner(d / "c", "--force", "--engine",
                                                                                   "python")),
    "e": ("(e) one Python process for all notebooks", lambda d: one_process(d / "e")),
    "f": ("(f) runner, each kernel started when its run needs it", lambda d: no_pool(d / "f")),
    "d": ("(d) runner, nothing changed", lambda d: runner(d / "a")),
}


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):7.2f}  {min(values):6.2f}-{max(values):.2f}"


def bench_runs(repeat: int) -> int:
    times: dict[str, list[float]] = {k: [] for k in VARIANTS}
    failed = False
    order = [k for k in VARIANTS if k != "d"]
    print(f"project: {len(default_pipeline().steps)} runs; cores: {os.cpu_count()}; repeats: {repeat}; "
          "variants interleaved, order rotated each repeat", flush=True)
    for i in range(repeat):
        with tempfile.TemporaryDirectory(prefix="bench-runner-") as tmp:
            rotated = order[i % len(order):] + order[:i % len(order)]
            for key in [*rotated, "d"]:  # (d) after (a): nothing changed
                seconds, rc = VARIANTS[key][1](Path(tmp))
                times[key].append(seconds)
                failed |= rc != 0
        print(f"  repeat {i + 1}: " + ", ".join(f"{k} {times[k][-1]:.2f} s" for k in VARIANTS), flush=True)
    width = max(len(label) for label, _ in VARIANTS.values())
    print(f"{'variant'.ljust(width)}   median  min-max (s)")
    for key, (label, _) in VARIANTS.items():
        print(f"{label.ljust(width)}  {spread(times[key])}")
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"a/e = {med['a'] / med['e']:.2f} (target <= 1.3)   b/a = {med['b'] / med['a']:.2f} (target >= 3)   "
          f"a/c = {med['a'] / med['c']:.2f}   f/a = {med['f'] / med['a']:.2f} (the pool's gain)   "
          f"d = {med['d']:.2f} s (target <= 0.2)   (medians)")
    if failed:
        print("note: some runs failed (see above); their times are to the failure")
    return 1 if failed else 0


# ----------------------------------------------------------------------------- scale
HEADER = ('City,Country,# of CCTV Cameras,# of People,"# of CCTV Cameras per 1,000 People",Cameras per Square Mile,'
          "Crime Index\n")
COUNTRIES = ["China", "India", "England (UK)", "United States", "Germany", "Brazil", "Russia", "Japan", "Mexico",
             "Turkey", "Indonesia", "Australia", "France", "Italy", "Spain", "Canada", "South Africa", "Nigeria",
             "Egypt", "Argentina"]


def synthetic_table(path: Path, rows: int, seed: int = 2021) -> Path:
    """A city table in the 2021 layout: ``rows`` distinct cities, plain numbers as Comparitech prints them."""
    import numpy as np

    rng = np.random.default_rng(seed)
    population = rng.integers(50_000, 25_000_000, rows)
    rate = rng.uniform(0.1, 120.0, rows).round(2)
    cameras = np.maximum(1, (population * rate / 1000).round()).astype(np.int64)
    per_1000 = (cameras / population * 1000).round(2)
    area = rng.uniform(20, 3000, rows)
    per_sq_mi = (cameras / area).round(2)
    crime = rng.uniform(5, 85, rows).round(2)
    country = np.array(COUNTRIES)[rng.integers(0, len(COUNTRIES), rows)]
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(HEADER)
        for start in range(0, rows, 100_000):
            stop = min(rows, start + 100_000)
            fh.writelines(f"City {i},{c},{k},{p},{r:.2f},{s:.2f},{x:.2f}\n" for i, c, k, p, r, s, x in zip(
                range(start + 1, stop + 1), country[start:stop], cameras[start:stop], population[start:stop],
                per_1000[start:stop], per_sq_mi[start:stop], crime[start:stop], strict=True))
    return path


SCALE_WORKER = """\
import json, resource, sys, time
from pathlib import Path
path, out = Path(sys.argv[1]), Path(sys.argv[2])
t0 = time.perf_counter()
from helpers.data import cleaning
from helpers.analysis import density
from helpers.data.city_tables import read_city_tables, sources_table
from helpers.data.io import load_raw
from helpers.data.schemas import ARTICLE_FIGURES
from helpers.data.table_options import entries
from helpers.report.tables import save_table
from helpers.data.units import round_columns
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t1 = time.perf_counter()
read = read_city_tables(entries([str(path)]))
cities = read.cities
t2 = time.perf_counter()
figures, figures_log = cleaning.clean_article_figures(load_raw("article_figures.csv", ARTICLE_FIGURES))
import pandas as pd
log = pd.concat([figures_log, read.log], ignore_index=True)
cleaning.write_processed(out / "01", figures, cities, log, sources_table(read))
t3 = time.perf_counter()
printed = density.printed_otherwise(cities, read.log)
ranked = density.add_rankings(density.city_densities(cities, printed))
flags = density.area_definition_flags(ranked)
t4 = time.perf_counter()
save_table(round_columns(ranked), "city_densities", folder=out / "02", caption="city densities")
save_table(round_columns(flags), "area_definition_flags", folder=out / "02", caption="flags")
t5 = time.perf_counter()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"rows": len(cities), "imports": t1 - t0, "clean": t2 - t1, "write_01": t3 - t2, "densities": t4 - t3,
                  "tables_02": t5 - t4, "work": t5 - t1, "peak_mib": peak / 1024, "base_mib": base / 1024}))
"""


def scale_once(path: Path, work: Path) -> dict:
    for sub in ("01", "02"):
        (work / sub).mkdir(parents=True, exist_ok=True)
    proc = subprocess.run([sys.executable, "-c", SCALE_WORKER, str(path), str(work)], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, env=ENV)
    if proc.returncode:
        return {"error": (proc.stderr.strip().splitlines() or ["?"])[-1][:300]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def bench_scale(sizes: list[int], repeat: int, runner_rows: int, runner_timeout: float) -> int:
    print(f"scale: synthetic 2021-layout tables; cores: {os.cpu_count()}; repeats: {repeat} (sizes interleaved); "
          "each size in its own process", flush=True)
    failed = False
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        tables = {n: synthetic_table(Path(tmp) / f"cities_{n}.csv", n) for n in sizes}
        results: dict[int, list[dict]] = {n: [] for n in sizes}
        for i in range(repeat):
            for n in sizes[i % len(sizes):] + sizes[:i % len(sizes)]:
                out = scale_once(tables[n], Path(tmp) / f"work_{n}_{i}")
                shutil.rmtree(Path(tmp) / f"work_{n}_{i}", ignore_errors=True)
                results[n].append(out)
                failed |= "error" in out
                if "error" in out:
                    print(f"  ! {n} rows: {out['error']}")
        print(f"{'rows':>9}  {'clean':>13}  {'write 01':>13}  {'densities':>13}  {'tables 02':>13}  "
              f"{'total':>13}  {'peak MiB':>17}  (median, min-max)")
        for n in sizes:
            ok = [r for r in results[n] if "error" not in r]
            if not ok:
                print(f"{n:>9}  failed")
                continue
            cols = []
            for key in ("clean", "write_01", "densities", "tables_02", "work"):
                values = [r[key] for r in ok]
                cols.append(f"{statistics.median(values):5.2f} {min(values):.2f}-{max(values):.2f}")
            peak = [r["peak_mib"] for r in ok]
            cols.append(f"{statistics.median(peak):6.0f} (base {statistics.median(r['base_mib'] for r in ok):.0f})")
            print(f"{n:>9}  " + "  ".join(f"{c:>13}" for c in cols))
        print("peak MiB: the process's maxrss (Python, pandas and the imports included); base: maxrss after imports")
        if runner_rows:
            table = tables.get(runner_rows) or synthetic_table(Path(tmp) / f"cities_{runner_rows}.csv", runner_rows)
            failed |= bench_runner_rows(table, runner_rows, repeat, Path(tmp), runner_timeout)
    return 1 if failed else 0


def bench_runner_rows(table: Path, rows: int, repeat: int, tmp: Path, timeout: float) -> bool:
    """The full runner (kernels, every notebook and scenario) with ``table``, against the real table, interleaved;
    True if a run failed."""
    real = ("real table", [])
    synthetic = (f"{rows}-row table", ["-p", f"city_tables=[{table}]"])
    times: dict[str, list[float]] = {real[0]: [], synthetic[0]: []}
    failed = False
    for i in range(repeat):
        for label, extra in (synthetic, real) if i % 2 == 0 else (real, synthetic):
            seconds, rc = runner(tmp / f"runner_{i}_{len(times[label])}_{label[0]}", "--force", *extra,
                                 timeout=timeout)
            times[label].append(seconds)
            failed |= rc != 0
    for label, values in times.items():
        print(f"full runner with the {label}: {spread(values)} s (median  min-max)")
    ratio = statistics.median(times[synthetic[0]]) / statistics.median(times[real[0]])
    print(f"{rows}-row / real = {ratio:.2f} (target <= 2)")
    return failed


# ----------------------------------------------------------------------------- sweep
def bench_sweep(points: int, jobs: int) -> int:
    """An N-point china_cameras sweep on the local pool, then on a LocalCluster; compare every run's files."""
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as tmp:
        base, sweeps = Path(tmp) / "outputs", Path(tmp) / "sweeps"
        seconds, rc = runner(base)
        print(f"base outputs (runner, kernels): {seconds:.1f} s", flush=True)
        if rc:
            return 1
        grid = f"china_cameras=400e6:800e6:{points}"
        common = ["--outputs", str(base), "--grid", grid, "--sweep-dir", str(sweeps), "--sweep-name", "s",
                  "--jobs", str(jobs)]
        times, trees = {}, {}
        for mode, extra in (("local pool", []), ("Dask LocalCluster", ["--cluster", "local"])):
            seconds, rc = timed([sys.executable, "-m", "helpers.run", *common, *extra])
            if rc:
                return 1
            times[mode] = seconds
            trees[mode] = {p.relative_to(sweeps / "s").as_posix(): p.read_bytes() for p in (sweeps / "s").rglob("*")
                           if p.is_file() and "/." not in p.relative_to(sweeps).as_posix()
                           and p.name not in ("sweep.csv", "sweep.json")}
            shutil.move(sweeps / "s", sweeps / mode.replace(" ", "_"))
            print(f"{points}-point sweep on the {mode}: {seconds:.1f} s ({len(trees[mode])} files)", flush=True)
        a, b = trees.values()
        differ = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
        print(f"per-run files identical between the local pool and the LocalCluster: {not differ}"
              + (f" (differ: {', '.join(differ[:5])})" if differ else ""))
        return 1 if differ else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="interleaved repeats of every variant (default 3)")
    parser.add_argument("--scale", action="store_true", help="time cleaning, densities and tables at scale")
    parser.add_argument("--sizes", default="10000,100000", help="--scale: table sizes (rows)")
    parser.add_argument("--runner-rows", type=int, default=100_000,
                        help="--scale: rows of the synthetic table for the full runner (0: skip)")
    parser.add_argument("--runner-timeout", type=float, default=900,
                        help="--scale: stop the full runner after this many seconds (default 900)")
    parser.add_argument("--sweep", type=int, metavar="N", help="time an N-point sweep, local pool and LocalCluster")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="--sweep: workers")
    args = parser.parse_args(argv)
    if args.scale:
        return bench_scale([int(s) for s in args.sizes.split(",")], args.repeat, args.runner_rows,
                           args.runner_timeout)
    if args.sweep:
        return bench_sweep(args.sweep, args.jobs)
    return bench_runs(args.repeat)


if __name__ == "__main__":
    raise SystemExit(main())
