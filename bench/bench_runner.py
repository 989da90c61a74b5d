"""Time the batch runner against plain papermill and plain Python (``make bench``).

In one run, on the notebooks present now, each variant in its own temporary folder:
  (a) ``python -m helpers.run --force`` on a clean outputs folder (parallel kernels);
  (b) the same notebooks one by one with the ``papermill`` command line;
  (c) the same code cells as plain Python, one fresh ``python`` per notebook (no Jupyter: the floor);
  (d) ``python -m helpers.run`` again with nothing changed.
Prints the seconds, the ratios a/b and a/c, and d. The committed outputs/ are never touched.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from helpers.paths import PROJECT_ROOT
from helpers.pipeline import Pipeline, Step, default_pipeline
from helpers.run import KERNEL, script_cells

BIN = Path(sys.executable).parent
PRELUDE = "from IPython.display import display  # noqa: F401  (what a notebook has built in)\n"


def timed(cmd: list[str], cwd: Path = PROJECT_ROOT) -> tuple[float, int]:
    """Wall-clock seconds and exit status of one command (output discarded)."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          env={**os.environ, "MPLBACKEND": "Agg"})
    if proc.returncode:
        last = [ln for ln in proc.stderr.splitlines() if ln.strip() and not ln.startswith("notebooks:")][-2:]
        print(f"  ! exit {proc.returncode}: {' '.join(Path(c).name for c in cmd[:3])} ...: " + " / ".join(last)[:300])
    return time.perf_counter() - start, proc.returncode


def processed_dir(folder: Path) -> str:
    """A fresh folder when 01 (which writes it) is present, else the project's data/processed (only read)."""
    writer = default_pipeline().ordered()[0]
    return str(folder / "processed") if PROJECT_ROOT.joinpath(writer.notebook).is_file() else "data/processed"


def pipeline_in(folder: Path) -> Pipeline:
    return default_pipeline(processed_dir=processed_dir(folder), outputs_dir=str(folder / "outputs"))


def present(pipeline: Pipeline) -> list[Step]:
    return [s for s in pipeline.ordered() if pipeline.path(s.notebook).is_file()]


def runner(folder: Path, *extra: str) -> tuple[float, int]:
    return timed([sys.executable, "-m", "helpers.run", "--outputs", str(folder / "outputs"),
                  "-p", f"processed_dir={processed_dir(folder)}", *extra])


def papermill_cli(folder: Path) -> tuple[float, int]:
    total, worst = 0.0, 0
    pipeline = pipeline_in(folder)
    for step in present(pipeline):
        nb = pipeline.path(step.notebook)
        out = folder / "executed" / step.group / f"{step.name}.ipynb"
        out.parent.mkdir(parents=True, exist_ok=True)
        seconds, rc = timed([str(BIN / "papermill"), str(nb), str(out), "-k", KERNEL, "--cwd", str(nb.parent),
                             "--no-progress-bar", "-y", yaml.safe_dump(step.parameters)])
        total, worst = total + seconds, max(worst, rc)
    return total, worst


def plain_python(folder: Path) -> tuple[float, int]:
    total, worst = 0.0, 0
    pipeline = pipeline_in(folder)
    for step in present(pipeline):
        nb = pipeline.path(step.notebook)
        script = folder / "scripts" / f"{step.group}-{step.name}.py"
        script.parent.mkdir(parents=True, exist_ok=True)
        script.write_text(PRELUDE + "\n\n".join(script_cells(nb, step.parameters)) + "\n", encoding="utf-8")
        seconds, rc = timed([sys.executable, str(script)], cwd=nb.parent)
        total, worst = total + seconds, max(worst, rc)
    return total, worst


def main() -> int:
    steps = present(default_pipeline())
    print(f"notebooks present: {', '.join(s.id for s in steps) or 'none'}; cores: {os.cpu_count()}")
    with tempfile.TemporaryDirectory(prefix="bench-runner-") as tmp:
        root = Path(tmp)
        rows = [("(a) runner --force, clean outputs", *runner(root / "a", "--force")),
                ("(b) papermill CLI, one by one", *papermill_cli(root / "b")),
                ("(c) plain Python, no Jupyter", *plain_python(root / "c")),
                ("(d) runner, nothing changed", *runner(root / "a")),
                ("python start-up alone", *timed([sys.executable, "-c", "pass"]))]
    width = max(len(r[0]) for r in rows)
    print(f"{'variant'.ljust(width)}  seconds  exit")
    for name, seconds, rc in rows:
        print(f"{name.ljust(width)}  {seconds:7.2f}  {rc:4d}")
    a, b, c, d = (r[1] for r in rows[:4])
    print(f"a/b = {a / b:.2f}   a/c = {a / c:.2f}   d = {d:.2f} s" if b and c else f"d = {d:.2f} s")
    if any(rc for _, _, rc in rows):
        print("note: some notebooks failed (see above); their times are to the failure")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
