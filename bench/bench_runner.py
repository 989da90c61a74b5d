"""Time the batch runner against plain papermill and plain Python (``make bench``).

In one run, on the pipeline's notebooks present now, each variant in its own temporary folder:
  (a) the runner with ``--force`` on a clean outputs folder (parallel kernels);
  (b) the same notebooks one by one with the ``papermill`` command line;
  (c) the same code cells as plain Python, one fresh ``python`` per notebook (no Jupyter: the floor);
  (d) the runner again with nothing changed.
Prints the seconds, the ratios a/b and a/c, and d. The committed outputs/ are never touched.
``--demo`` runs the same comparison on a throwaway project of small pandas/seaborn notebooks with the
project's shape (01 -> 02 -> 03 x 2 scenarios -> 04), useful while the real notebooks are incomplete.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import yaml

from helpers.paths import PROJECT_ROOT
from helpers.pipeline import Pipeline, Step, default_pipeline
from helpers.run import KERNEL, script_cells

BIN = Path(sys.executable).parent
PRELUDE = "from IPython.display import display  # noqa: F401  (what a notebook has built in)\n"
# `python -m helpers.run` with the pipeline rooted at argv[1] (the project, or the demo project)
LAUNCH = ("import sys; from functools import partial; from pathlib import Path; from helpers.run import main; "
          "from helpers.pipeline import default_pipeline; "
          "sys.exit(main(sys.argv[2:], partial(default_pipeline, Path(sys.argv[1]))))")


def timed(cmd: list[str], cwd: Path = PROJECT_ROOT, label: str = "") -> tuple[float, int]:
    """Wall-clock seconds and exit status of one command (output discarded; the error's last lines shown)."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          env={**os.environ, "MPLBACKEND": "Agg"})
    if proc.returncode:
        last = [ln for ln in proc.stderr.splitlines() if ln.strip() and not ln.startswith("notebooks:")][-2:]
        label = label or " ".join(Path(c).name for c in cmd[:3])
        print(f"  ! exit {proc.returncode}: {label}: " + " / ".join(last)[:300])
    return time.perf_counter() - start, proc.returncode


class Bench:
    """The four variants for the pipeline rooted at ``root``; scratch files under ``scratch``."""

    def __init__(self, root: Path, scratch: Path) -> None:
        self.root, self.scratch = root, scratch
        self.factory = partial(default_pipeline, root)

    def processed_dir(self, folder: Path) -> str:
        """A fresh folder when 01 (which writes it) is present, else the project's data/processed (only read)."""
        writer = self.factory().ordered()[0]
        return str(folder / "processed") if self.root.joinpath(writer.notebook).is_file() else "data/processed"

    def pipeline(self, folder: Path) -> Pipeline:
        return self.factory(processed_dir=self.processed_dir(folder), outputs_dir=str(folder / "outputs"))

    def present(self, folder: Path) -> list[Step]:
        pipeline = self.pipeline(folder)
        return [s for s in pipeline.ordered() if pipeline.path(s.notebook).is_file()]

    def runner(self, name: str, *extra: str) -> tuple[float, int]:
        folder = self.scratch / name
        return timed([sys.executable, "-c", LAUNCH, str(self.root), "--outputs", str(folder / "outputs"),
                      "-p", f"processed_dir={self.processed_dir(folder)}", *extra], label="helpers.run")

    def papermill_cli(self, name: str) -> tuple[float, int]:
        folder, total, worst = self.scratch / name, 0.0, 0
        for step in self.present(folder):
            nb = self.root / step.notebook
            out = folder / "executed" / step.group / f"{step.name}.ipynb"
            out.parent.mkdir(parents=True, exist_ok=True)
            seconds, rc = timed([str(BIN / "papermill"), str(nb), str(out), "-k", KERNEL, "--cwd", str(nb.parent),
                                 "--no-progress-bar", "-y", yaml.safe_dump(step.parameters)])
            total, worst = total + seconds, max(worst, rc)
        return total, worst

    def plain_python(self, name: str) -> tuple[float, int]:
        folder, total, worst = self.scratch / name, 0.0, 0
        for step in self.present(folder):
            nb = self.root / step.notebook
            script = folder / "scripts" / f"{step.group}-{step.name}.py"
            script.parent.mkdir(parents=True, exist_ok=True)
            script.write_text(PRELUDE + "\n\n".join(script_cells(nb, step.parameters)) + "\n", encoding="utf-8")
            seconds, rc = timed([sys.executable, str(script)], cwd=nb.parent)
            total, worst = total + seconds, max(worst, rc)
        return total, worst

    def rows(self) -> list[tuple[str, float, int]]:
        jobs = os.cpu_count()
        return [(f"(a) runner --force, clean outputs, {jobs} jobs", *self.runner("a", "--force")),
                ("(b) papermill CLI, one by one", *self.papermill_cli("b")),
                ("(c) plain Python, no Jupyter", *self.plain_python("c")),
                ("(d) runner, nothing changed", *self.runner("a")),
                ("python start-up alone", *timed([sys.executable, "-c", "pass"]))]


# ----------------------------------------------------------------------------- demo project
DEMO_HEAD = ("import pandas as pd\nimport seaborn as sns\nimport matplotlib\nmatplotlib.use('Agg')\n"
             "from pathlib import Path\nprocessed, outputs = Path(processed_dir), Path(outputs_dir)")
DEMO = {
    "01_data_cleaning": ("", "import numpy as np\nprocessed.mkdir(parents=True, exist_ok=True)\n"
                             "rng = np.random.default_rng(0)\n"
                             "df = pd.DataFrame({'city': [f'c{i % 50}' for i in range(5000)],\n"
                             "                   'cameras': rng.integers(1, 1000, 5000)})\n"
                             "df.to_csv(processed / 'cities.csv', index=False)"),
    "02_density": ("", "df = pd.read_csv(processed / 'cities.csv')\n(outputs / 'tables').mkdir(parents=True, "
                       "exist_ok=True)\n(outputs / 'figures').mkdir(parents=True, exist_ok=True)\n"
                       "t = df.groupby('city', as_index=False)['cameras'].sum()\n"
                       "t.to_csv(outputs / 'tables' / 'density.csv', index=False)\n"
                       "ax = sns.barplot(t.head(20), x='city', y='cameras')\n"
                       "ax.figure.savefig(outputs / 'figures' / 'density.png')"),
    "03_scenarios": ("scenario = ''", "factor = {'conservative': 1, 'high': 2.5}[scenario]\n"
                                      "df = pd.read_csv(processed / 'cities.csv')\nout = outputs / 'scenarios' / "
                                      "scenario\nout.mkdir(parents=True, exist_ok=True)\n"
                                      "df.assign(estimate=df['cameras'] * factor).to_csv(out / 'result.csv')\n"
                                      "ax = sns.histplot(df['cameras'] * factor)\nax.figure.savefig(out / 'hist.png')"),
    "04_compare": ("", "t = pd.concat({p.parent.name: pd.read_csv(p) for p in sorted((outputs / 'scenarios')"
                       ".glob('*/result.csv'))})\n(outputs / 'tables').mkdir(parents=True, exist_ok=True)\n"
                       "t.groupby(level=0)['estimate'].sum().to_csv(outputs / 'tables' / 'compare.csv')"),
}


def make_demo(root: Path) -> Path:
    """A throwaway project with the pipeline's shape and small pandas/seaborn notebooks."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    meta = {"kernelspec": {"name": KERNEL, "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"}}
    for name, (extra, body) in DEMO.items():
        params = "processed_dir = 'data/processed'\noutputs_dir = 'outputs'\n" + extra
        nb = new_notebook(metadata=meta, cells=[
            new_markdown_cell(f"# {name}"), new_code_cell(params, metadata={"tags": ["parameters"]}),
            new_code_cell(DEMO_HEAD), new_code_cell(body)])
        (root / "notebooks").mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, root / "notebooks" / f"{name}.ipynb")
    (root / "data" / "raw").mkdir(parents=True, exist_ok=True)
    (root / "data" / "raw" / "scenarios.yml").write_text("scenarios:\n  conservative: {factor: 1}\n"
                                                         "  high: {factor: 2.5}\n", encoding="utf-8")
    return root


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--demo", action="store_true", help="bench a throwaway project of small notebooks")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-runner-") as tmp:
        root = make_demo(Path(tmp) / "demo") if args.demo else PROJECT_ROOT
        bench = Bench(root, Path(tmp))
        steps = bench.present(Path(tmp) / "a")
        print(f"{'demo project' if args.demo else 'project'}: notebooks present: "
              f"{', '.join(s.id for s in steps) or 'none'}; cores: {os.cpu_count()}")
        rows = bench.rows()
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
