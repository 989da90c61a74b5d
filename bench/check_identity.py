"""Check that the runner's fast paths leave every output byte unchanged.

Runs the whole step table twice into the same outputs path (so paths printed in the notebooks agree), once with
the reference engine (``papermill.execute_notebook`` as it was: a kernel started per notebook by papermill,
the notebook saved after every cell, jsonschema's format extras imported) and once with the runner's default
engine (kernels started ahead with the notebooks' imports done, no per-cell saves, no ``rfc3987_syntax``),
each in its own process, and compares every published file byte for byte. Exit 0 when identical.

    python bench/check_identity.py [--outputs /tmp/identity] [-p city_tables=[]] [--repeat 1]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

from helpers.paths import PROJECT_ROOT

REFERENCE = r'''
import sys

from helpers.pipeline.engines import KERNEL, Engine, Execution, StepFailure, cell_message
from helpers.pipeline.run import main


class PapermillReference(Engine):
    """A fresh kernel per notebook started by papermill itself (its output to this process's), as the runner did
    before the pool."""

    name = "kernel"  # the same run keys as the default engine

    def notebook(self, job: Execution) -> None:
        import papermill
        from papermill.exceptions import PapermillExecutionError

        try:
            papermill.execute_notebook(
                str(job.target), str(job.output), parameters=job.parameters, kernel_name=KERNEL,
                progress_bar=False, log_output=False, cwd=None, resources={"metadata": {"path": str(job.cwd)}},
                shutdown_kernel="immediate", extra_arguments=["--IPKernelApp.log_level=ERROR"])
        except PapermillExecutionError as exc:
            raise StepFailure(cell_message(job.output, exc.cell_index, exc.exec_count, exc.ename, exc.evalue))


sys.exit(main(sys.argv[1:], engine=PapermillReference(), progress=False))
'''


def tree(folder: Path) -> dict[str, bytes]:
    """{relative path: bytes} of a published outputs tree (no dot-entries, no run record)."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.relative_to(folder).parts[0].startswith(".") and p.name != "run-record.json"}


def run(kind: str, outputs: Path, params: list[str]) -> tuple[dict[str, bytes], float]:
    shutil.rmtree(outputs, ignore_errors=True)
    args = ["--force", "--outputs", str(outputs), *[a for p in params for a in ("-p", p)]]
    cmd = [sys.executable, "-c", REFERENCE, *args] if kind == "reference" else \
        [sys.executable, "-m", "helpers.run", *args]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=PROJECT_ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode:
        sys.exit(f"{kind} run failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    return tree(outputs), seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--outputs", type=Path, default=Path("/tmp/identity-check"), help="scratch outputs root")
    parser.add_argument("-p", "--param", action="append", default=[], help="runner parameter, repeatable")
    parser.add_argument("--repeat", type=int, default=1, help="pairs of runs (default 1)")
    args = parser.parse_args(argv)
    differ: set[str] = set()
    for i in range(args.repeat):
        ref, t_ref = run("reference", args.outputs, args.param)
        new, t_new = run("pool", args.outputs, args.param)
        bad = sorted(k for k in ref.keys() | new.keys() if ref.get(k) != new.get(k))
        differ |= set(bad)
        print(f"pair {i + 1}: {len(ref)} files; reference {t_ref:.1f} s, pool {t_new:.1f} s; "
              f"{'identical' if not bad else 'DIFFER: ' + ', '.join(bad)}", flush=True)
    shutil.rmtree(args.outputs, ignore_errors=True)
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
