"""How one run executes: a notebook in a fresh Jupyter kernel, a notebook as plain Python, or a helper function.

Every engine can be stopped from another thread (`stop`), which is how Ctrl-C reaches running work
within a second or two. Kernel output that is not part of the notebook (its log) goes to a file in
the run's staging folder, never to the terminal.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

KERNEL = "python3"


class StepFailure(Exception):
    """A run failed; the message names the cell (or function) and the error."""


@dataclass(frozen=True)
class Execution:
    """One run: ``target`` (a notebook path, or "module:function") with ``parameters``.

    ``output`` is where the executed notebook goes, ``cwd`` the working directory, ``log`` a file for
    the kernel's own messages.
    """

    target: str | Path
    parameters: dict[str, Any]
    output: Path
    cwd: Path
    log: Path


def _source(cell: Mapping[str, Any]) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def cell_message(executed: Path, cell_index: int, exec_count: int | None, ename: str, evalue: str) -> str:
    """'cell N (In [k]: first line): Error: value', N counted in the source notebook (injected cell removed)."""
    try:
        cells = json.loads(executed.read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError):
        cells = []
    cells = [c for c in cells if "papermill-error-cell-tag" not in c.get("metadata", {}).get("tags", [])]
    injected = sum("injected-parameters" in c.get("metadata", {}).get("tags", []) for c in cells[:cell_index])
    lines = _source(cells[cell_index]).strip().splitlines() if cell_index < len(cells) else []
    first = lines[0] if lines else ""
    evalue = " ".join(str(evalue).split())
    return f"cell {cell_index - injected} (In [{exec_count}]: {first!r}): {ename}: {evalue}"


class Engine:
    """Base: runs executions, remembers the processes it started so `stop` can kill them."""

    name = "engine"

    def __init__(self) -> None:
        self._pids: set[int] = set()
        self._lock = threading.Lock()
        self.stopped = threading.Event()

    def _started(self, pid: int) -> None:
        with self._lock:
            self._pids.add(pid)
        if self.stopped.is_set():
            _kill(pid)

    def _ended(self, pid: int) -> None:
        with self._lock:
            self._pids.discard(pid)

    def stop(self) -> None:
        """Kill every process this engine started (and their process groups); later starts die at once."""
        self.stopped.set()
        with self._lock:
            pids = list(self._pids)
        for pid in pids:
            _kill(pid)

    def __call__(self, job: Execution) -> None:
        if not str(job.target).endswith(".ipynb"):
            return call_function(job)
        return self.notebook(job)

    def notebook(self, job: Execution) -> None:
        raise NotImplementedError


def _kill(pid: int) -> None:
    for kill in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            kill()
            return
        except (ProcessLookupError, PermissionError):
            continue


def call_function(job: Execution) -> None:
    """A helper step: import ``module:function`` and call it with the parameters."""
    module, _, func = str(job.target).partition(":")
    function: Callable[..., Any] = getattr(importlib.import_module(module), func)
    try:
        function(**job.parameters)
    except Exception as exc:
        raise StepFailure(f"{job.target}: {type(exc).__name__}: {' '.join(str(exc).split())}") from exc


class KernelEngine(Engine):
    """Each notebook in its own fresh kernel, through papermill's Python API (imported on first use)."""

    name = "kernel"

    def stop(self) -> None:
        import logging

        logging.getLogger("papermill").setLevel(logging.CRITICAL)  # "kernel died": we killed it on purpose
        super().stop()

    def notebook(self, job: Execution) -> None:
        import papermill
        from jupyter_client.manager import AsyncKernelManager
        from papermill.exceptions import PapermillExecutionError

        engine = self

        class StepKernelManager(AsyncKernelManager):  # the kernel's stdout/stderr go to the run's log file
            async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
                log = open(job.log, "ab")  # noqa: SIM115 - closed below, after the kernel has started
                try:
                    kw.update(stdout=log, stderr=log)
                    await super()._async_launch_kernel(kernel_cmd, **kw)
                finally:
                    log.close()
                engine._started(self.provisioner.process.pid)

        pid_of = StepKernelManager
        try:
            papermill.execute_notebook(
                str(job.target), str(job.output), parameters=job.parameters, kernel_name=KERNEL,
                progress_bar=False, log_output=False, cwd=None,
                resources={"metadata": {"path": str(job.cwd)}},  # the kernel's cwd, without os.chdir
                kernel_manager_class=pid_of, shutdown_kernel="immediate",
                extra_arguments=["--IPKernelApp.log_level=ERROR"],
            )
        except PapermillExecutionError as exc:
            raise StepFailure(cell_message(job.output, exc.cell_index, exc.exec_count, exc.ename, exc.evalue)) from exc
        except Exception as exc:
            if self.stopped.is_set():
                raise StepFailure("interrupted") from exc
            raise StepFailure(f"{type(exc).__name__}: {' '.join(str(exc).split())}") from exc


_DRIVER = """\
import json, sys, traceback
import matplotlib
matplotlib.use("Agg")
from IPython.display import display  # as in a notebook
cells = json.loads(sys.argv[1])
scope = {"display": display, "__name__": "__main__"}
for index, source in cells:
    try:
        exec(compile(source, f"<cell {index}>", "exec"), scope)
    except BaseException as exc:
        traceback.print_exc()
        first = (source.strip().splitlines() or [""])[0]
        evalue = " ".join(str(exc).split())
        print(f"CELL-FAILURE cell {index} ({first!r}): {type(exc).__name__}: {evalue}", file=sys.stderr)
        sys.exit(1)
"""


def indexed_cells(notebook: Path, parameters: Mapping[str, Any]) -> list[tuple[int, str]]:
    """(index in the stored notebook, source) of each code cell, magics dropped, ``parameters`` assigned after
    the parameters cell (with the parameters cell's index)."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    out: list[tuple[int, str]] = []
    for index, cell in enumerate(cells):
        if cell.get("cell_type") != "code":
            continue
        lines = [ln for ln in _source(cell).splitlines() if not ln.lstrip().startswith(("%", "!"))]
        out.append((index, "\n".join(lines)))
        if "parameters" in cell.get("metadata", {}).get("tags", []) and parameters:
            out.append((index, "\n".join(f"{k} = {v!r}" for k, v in parameters.items())))
    return out


class PythonEngine(Engine):
    """The notebook's code cells in a fresh plain Python interpreter: no Jupyter, no outputs in the notebook."""

    name = "python"

    def notebook(self, job: Execution) -> None:
        import nbformat

        cells = json.dumps(indexed_cells(Path(job.target), job.parameters))
        with open(job.log, "ab") as log:
            proc = subprocess.Popen([sys.executable, "-c", _DRIVER, cells], cwd=job.cwd, stdout=log, stderr=log,
                                    start_new_session=True)
            self._started(proc.pid)
            try:
                code = proc.wait()
            finally:
                self._ended(proc.pid)
        if code != 0:
            if self.stopped.is_set():
                raise StepFailure("interrupted")
            lines = job.log.read_text(encoding="utf-8", errors="replace").splitlines()
            failure = [ln.removeprefix("CELL-FAILURE ") for ln in lines if ln.startswith("CELL-FAILURE ")]
            tail = [ln for ln in lines if ln.strip()]
            raise StepFailure(failure[-1] if failure else (tail[-1] if tail else f"exit {code}"))
        nb = nbformat.read(job.target, as_version=4)
        nbformat.write(nb, job.output)


ENGINES: dict[str, type[Engine]] = {"kernel": KernelEngine, "python": PythonEngine}
