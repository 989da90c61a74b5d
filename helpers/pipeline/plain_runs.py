"""Notebooks as plain Python (``--engine python``): each run's code cells in a process of its own, no Jupyter.

A run's process is forked from multiprocessing's forkserver, which has imported the libraries the notebooks use
(`PRELOAD`); helpers/ is imported by each run. Where forking would run a script again (`forking_is_safe`), a fresh
interpreter runs the cells. Like the kernel engine's kernels, a run leads its own process group,
holds the outputs lock and ends when the runner does.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import socket
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from helpers.pipeline.engines import Engine, Execution, StepFailure, cell_source, jupyter_module


def indexed_cells(notebook: Path, parameters: Mapping[str, Any]) -> list[tuple[int, str]]:
    """(index in the stored notebook, source) of each code cell, magics dropped, ``parameters`` assigned after
    the parameters cell (with the parameters cell's index)."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    out: list[tuple[int, str]] = []
    for index, cell in enumerate(cells):
        if cell.get("cell_type") != "code":
            continue
        lines = [ln for ln in cell_source(cell).splitlines() if not ln.lstrip().startswith(("%", "!"))]
        out.append((index, "\n".join(lines)))
        if "parameters" in cell.get("metadata", {}).get("tags", []) and parameters:
            out.append((index, "\n".join(f"{k} = {v!r}" for k, v in parameters.items())))
    return out


# What the notebooks import through helpers/, imported once by the process plain runs are forked from
# (multiprocessing's forkserver, `set_forkserver_preload`): these imports were a third of an article-only run's CPU,
# repeated in every run. helpers/ itself (0.07 s) is imported by each run, so an edit is always seen.
PRELOAD = ("numpy", "pandas", "pandera.pandas", "matplotlib.pyplot", "pydantic", "yaml", "IPython.display")
_FRESH = "import json, sys; from helpers.pipeline.plain_runs import run_cells; run_cells(*json.loads(sys.argv[1]))"


def run_cells(cells: str, cwd: str, log: str, env: dict[str, str] | None = None, lock: Any = None) -> None:
    """A plain run's process: ``cells`` (JSON of `indexed_cells`) as plain Python in ``cwd``, output to ``log``.
    It leads its own process group (which `Engine.stop` kills) and, as ipykernel does, ends when the runner does:
    forked, it keeps the outputs lock it receives over the socket ``lock`` (`Engine.pass_fds`) and ends when the
    runner's end of that socket closes; started by the runner itself, it polls its parent."""
    parent = os.getppid()
    os.setsid()
    if lock is not None:
        socket.recv_fds(lock, 1, 8)  # the descriptors stay open until this process ends

    def end_with_the_runner() -> None:
        if lock is not None:
            lock.recv(1)  # returns when the runner's end of the socket closes
        else:
            while os.getppid() == parent:
                time.sleep(0.2)
        os._exit(1)

    threading.Thread(target=end_with_the_runner, daemon=True).start()
    if env is not None:
        os.environ.clear()
        os.environ.update(env)
    os.chdir(cwd)
    out = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    os.dup2(out, 1)
    os.dup2(out, 2)
    import matplotlib
    matplotlib.use("Agg")
    from IPython.display import display  # as in a notebook
    scope = {"display": display, "__name__": "__main__"}
    for index, source in json.loads(cells):
        try:
            exec(compile(source, f"<cell {index}>", "exec"), scope)
        except BaseException as exc:
            traceback.print_exc()
            first = (source.strip().splitlines() or [""])[0]
            evalue = " ".join(str(exc).split())
            print(f"CELL-FAILURE cell {index} ({first!r}): {type(exc).__name__}: {evalue}", file=sys.stderr)
            sys.exit(1)
        finally:
            sys.stdout.flush()
            sys.stderr.flush()


def forking_is_safe() -> bool:
    """Whether runs may be forked from the forkserver here. Every forked run imports ``__main__`` again, as
    multiprocessing does: harmless for a module run with ``python -m`` (``helpers.run``) or a process without a
    main file (a kernel, ``python -c``), but a script would run again in every run. A daemonic process (a Dask
    worker) may not start children through multiprocessing at all."""
    main = sys.modules.get("__main__")
    script = getattr(getattr(main, "__spec__", None), "name", None) is None and getattr(main, "__file__", None)
    return not script and not multiprocessing.current_process().daemon


class PythonEngine(Engine):
    """The notebook's code cells as plain Python in a process of their own: no Jupyter, no outputs in the notebook.

    The process is forked from multiprocessing's forkserver, which holds `PRELOAD`, where `forking_is_safe`; a
    fresh interpreter runs the cells elsewhere (a script that drives the runner, a Dask worker)."""

    name = "python"

    def __init__(self, jobs: int = 1) -> None:
        super().__init__()

    def notebook(self, job: Execution) -> None:
        nbformat = jupyter_module("nbformat")
        cells = json.dumps(indexed_cells(Path(job.target), job.parameters))
        code = self._forked(cells, job) if forking_is_safe() else self._fresh(cells, job)
        if code != 0:
            if self.stopped.is_set():
                raise StepFailure("interrupted")
            text = job.log.read_text(encoding="utf-8", errors="replace") if job.log.exists() else ""
            failure = [ln.removeprefix("CELL-FAILURE ") for ln in text.splitlines() if ln.startswith("CELL-FAILURE ")]
            tail = [ln for ln in text.splitlines() if ln.strip()]
            raise StepFailure(failure[-1] if failure else (tail[-1] if tail else
                              f"its process ended (exit {code}) before running a cell; see the messages above"))
        nb = nbformat.read(job.target, as_version=4)
        nbformat.write(nb, job.output)

    def _forked(self, cells: str, job: Execution) -> int | None:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(list(PRELOAD))  # used when the server starts (this process's first run)
        mine, theirs = socket.socketpair()
        with mine, theirs:
            proc = context.Process(target=run_cells, args=(cells, str(job.cwd), str(job.log), dict(os.environ), theirs))
            proc.start()
            socket.send_fds(mine, [b"L"], list(self.pass_fds))  # one byte: run_cells reads one

            def ended() -> int | None:
                proc.join()
                code = proc.exitcode
                proc.close()
                return code

            return self._wait(proc.pid, ended)

    def _fresh(self, cells: str, job: Execution) -> int | None:
        proc = subprocess.Popen([sys.executable, "-c", _FRESH, json.dumps([cells, str(job.cwd), str(job.log)])],
                                cwd=job.cwd, pass_fds=self.pass_fds)
        return self._wait(proc.pid, proc.wait)

    def _wait(self, pid: int, wait: Callable[[], int | None]) -> int | None:
        self.started(pid)
        try:
            return wait()
        finally:
            self.ended(pid)
