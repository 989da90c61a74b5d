"""Time the batch runner against the papermill command line and plain Python (``make bench``).

Each variant runs the whole step table (every notebook for every scenario, helper steps included) in its
own temporary outputs folder; the variants are interleaved and repeated (``--repeat``, default 3), and
the median and the min-max of each are printed with the ratios of the medians:
  (a) the runner with ``--force`` on a clean outputs folder (kernels in parallel);
  (b) the same runs one by one with the ``papermill`` command line (helper steps as one ``python -c``);
  (c) the runner with ``--engine python``: the code cells as plain Python, no Jupyter (the floor);
  (d) the runner again with nothing changed.
The committed outputs/ are never touched.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from helpers.paths import PROJECT_ROOT
from helpers.pipeline import Pipeline, Step, default_pipeline

BIN = Path(sys.executable).parent
ENV = {**os.environ, "MPLBACKEND": "Agg"}


def timed(cmd: list[str], cwd: Path = PROJECT_ROOT) -> tuple[float, int]:
    """Wall-clock seconds and exit status of one command (output discarded; an error's last lines shown)."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=ENV)
    if proc.returncode:
        last = [ln for ln in proc.stderr.splitlines() if ln.strip()][-2:]
        print(f"  ! exit {proc.returncode}: {' '.join(Path(c).name for c in cmd[:3])}: " + " / ".join(last)[:300])
    return time.perf_counter() - start, proc.returncode


def parameters(pipeline: Pipeline, step: Step) -> dict:
    """The parameters the runner would give ``step``, with every folder directly under the outputs root."""
    out = dict(step.parameters)
    if step.spec.per_scenario:
        out["scenario"] = step.scenario
    out.update({name: str(pipeline.outputs / folder) for name, folder in step.owns.items()})
    for name, ids in step.uses.items():
        ups = [pipeline.get(i) for i in ids]
        if step.spec.uses[name] == "*":
            out[name] = {u.id: str(pipeline.outputs / u.folders[0]) for u in ups}
        elif ups[0].spec.per_scenario:
            out[name] = {u.scenario: str(pipeline.outputs / u.folders[0]) for u in ups}
        else:
            out[name] = str(pipeline.outputs / ups[0].folders[0])
    return out


def runner(outputs: Path, *extra: str) -> tuple[float, int]:
    return timed([sys.executable, "-m", "helpers.run", "--outputs", str(outputs), *extra])


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


VARIANTS = {
    "a": ("(a) runner --force, clean outputs", lambda d: runner(d / "a", "--force")),
    "b": ("(b) papermill CLI, one by one", lambda d: papermill_cli(d / "b")),
    "c": ("(c) runner --engine python (no Jupyter)", lambda d: runner(d / "c", "--force", "--engine", "python")),
    "d": ("(d) runner, nothing changed", lambda d: runner(d / "a")),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="interleaved repeats of every variant (default 3)")
    args = parser.parse_args(argv)
    times: dict[str, list[float]] = {k: [] for k in VARIANTS}
    failed = False
    print(f"project: {len(default_pipeline().steps)} runs; cores: {os.cpu_count()}; repeats: {args.repeat}")
    for i in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="bench-runner-") as tmp:
            for key, (_, run) in VARIANTS.items():
                seconds, rc = run(Path(tmp))
                times[key].append(seconds)
                failed |= rc != 0
        print(f"  repeat {i + 1}: " + ", ".join(f"{k} {times[k][-1]:.2f} s" for k in VARIANTS), flush=True)
    width = max(len(label) for label, _ in VARIANTS.values())
    print(f"{'variant'.ljust(width)}  median      min-max")
    med = {k: statistics.median(v) for k, v in times.items()}
    for key, (label, _) in VARIANTS.items():
        print(f"{label.ljust(width)}  {med[key]:6.2f}  {min(times[key]):6.2f}-{max(times[key]):.2f}")
    print(f"a/b = {med['a'] / med['b']:.2f}   a/c = {med['a'] / med['c']:.2f}   d = {med['d']:.2f} s (medians)")
    if failed:
        print("note: some runs failed (see above); their times are to the failure")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
