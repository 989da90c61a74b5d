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


def script_cells(notebook: Path, parameters: Mapping[str, Any]) -> list[str]:
    """The code cells of ``notebook`` as plain Python, ``parameters`` assigned after the parameters cell.

    IPython magics and shell escapes are dropped, so the cells run without Jupyter.
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


class PythonEngine(Engine):
    """The notebook's code cells as one plain Python script in a fresh interpreter: no Jupyter, no outputs."""

    name = "python"

    def notebook(self, job: Execution) -> None:
        import nbformat

        cells = script_cells(Path(job.target), job.parameters)
        script = job.output.with_suffix(".py")
        body = "".join(f"# --- cell {i}\n{c}\n" for i, c in enumerate(cells))
        prelude = "import matplotlib\nmatplotlib.use('Agg')\nfrom IPython.display import display\n"  # as in a notebook
        script.write_text(prelude + body, encoding="utf-8")
        with open(job.log, "ab") as log:
            proc = subprocess.Popen([sys.executable, str(script)], cwd=job.cwd, stdout=log, stderr=log,
                                    start_new_session=True)
            self._started(proc.pid)
            try:
                code = proc.wait()
            finally:
                self._ended(proc.pid)
        script.unlink(missing_ok=True)
        if code != 0:
            tail = [ln for ln in job.log.read_text(encoding="utf-8", errors="replace").splitlines() if ln.strip()]
            raise StepFailure("interrupted" if self.stopped.is_set() else (tail[-1] if tail else f"exit {code}"))
        nb = nbformat.read(job.target, as_version=4)
        nbformat.write(nb, job.output)


ENGINES: dict[str, type[Engine]] = {"kernel": KernelEngine, "python": PythonEngine}
