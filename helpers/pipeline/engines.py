"""How one run executes: a notebook in a fresh Jupyter kernel, or a helper function; the base every engine shares.

A notebook as plain Python (``--engine python``) is `helpers.pipeline.plain_runs`.

Every engine can be stopped from another thread (`stop`), which is how Ctrl-C reaches running work
within a second or two. Kernel output that is not part of the notebook (its log) goes to a file in
the run's staging folder, never to the terminal.

The kernel engine starts kernels ahead of need (`KernelPool`): each one already holds the modules the
notebooks import (imported by a silent request, so no execution count and no output changes), and each
is handed to exactly one notebook run, then killed; a kernel is never reused. Papermill still injects
the parameters and records the run, without saving the notebook after every cell, and this process
never imports ``rfc3987_syntax`` (see `lean_jupyter_imports`).
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import importlib
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

KERNEL = "python3"
KERNEL_ARGUMENTS = ("--IPKernelApp.log_level=ERROR",)
# What nbclient adds to the kernel's command line when it starts the kernel itself (its ipython_hist_file).
HISTORY_ARGUMENT = "--HistoryManager.hist_file=:memory:"
START_TIMEOUT = 60.0  # seconds for a kernel to answer, as papermill's default start_timeout
# Optional modules that cost much at import and that nothing in this process needs: rfc3987_syntax builds dozens
# of Lark parsers when jsonschema (through nbformat) imports it for its "iri" format checker (jsonschema issue
# 1428); nbformat's schemas use no "format" keyword and this process never checks formats.
SLOW_OPTIONAL_IMPORTS = ("rfc3987_syntax",)


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


def lean_jupyter_imports() -> None:
    """Keep `SLOW_OPTIONAL_IMPORTS` out of this process (before jsonschema is first imported; else a no-op).

    jsonschema imports them inside ``suppress(ImportError)``; a ``None`` in ``sys.modules`` makes that import
    fail at once, so only the format checkers they provide ("iri", "iri-reference") are missing.
    """
    if "jsonschema" in sys.modules:
        return
    for name in SLOW_OPTIONAL_IMPORTS:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]


_IMPORTING = threading.RLock()


def jupyter_module(name: str) -> Any:
    """``importlib.import_module(name)`` for a module of the Jupyter stack (papermill, nbclient, jupyter_client,
    nbformat, nbconvert), one thread at a time, after `lean_jupyter_imports`. The runner's threads import them
    when first needed; two threads importing jupyter_client at once can each find the other's module half made
    ("cannot import name 'AsyncKernelManager' from partially initialized module 'jupyter_client.manager'")."""
    with _IMPORTING:
        lean_jupyter_imports()
        return importlib.import_module(name)


def cell_source(cell: Mapping[str, Any]) -> str:
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
    lines = cell_source(cells[cell_index]).strip().splitlines() if cell_index < len(cells) else []
    first = lines[0] if lines else ""
    evalue = " ".join(str(evalue).split())
    return f"cell {cell_index - injected} (In [{exec_count}]: {first!r}): {ename}: {evalue}"


def notebook_imports(notebooks: Iterable[Path]) -> tuple[str, ...]:
    """Modules imported at the top level of the notebooks' code cells, in first-seen order (what a pooled
    kernel imports ahead). ``from helpers import audit`` gives ``helpers.analysis.audit``: importing a name that is not
    a module fails quietly in the kernel, and the package itself is imported anyway."""
    found: dict[str, None] = {}
    for path in notebooks:
        try:
            cells = json.loads(Path(path).read_text(encoding="utf-8")).get("cells", [])
        except (OSError, ValueError):
            continue
        for cell in cells:
            if cell.get("cell_type") != "code":
                continue
            lines = [ln for ln in cell_source(cell).splitlines() if not ln.lstrip().startswith(("%", "!"))]
            try:
                tree = ast.parse("\n".join(lines))
            except SyntaxError:
                continue
            for node in tree.body:
                if isinstance(node, ast.Import):
                    found.update({alias.name: None for alias in node.names})
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    found[node.module] = None
                    found.update({f"{node.module}.{alias.name}": None for alias in node.names if alias.name != "*"})
    return tuple(found)


def preload_code(modules: Iterable[str]) -> str:
    """Code that imports ``modules`` (each failure ignored) and leaves no name behind in the namespace."""
    return ("def __preload(names):\n"
            "    import importlib\n"
            "    for name in names:\n"
            "        try:\n"
            "            importlib.import_module(name)\n"
            "        except Exception:\n"
            "            pass\n"
            f"__preload({list(modules)!r})\n"
            "del __preload\n")


class Engine:
    """Base: runs executions, remembers the processes it started so `stop` can kill them."""

    name = "engine"

    def __init__(self) -> None:
        self._pids: set[int] = set()
        self._lock = threading.Lock()
        self.stopped = threading.Event()
        # descriptors every process started inherits (a forked plain run receives them over a socket): the outputs
        # lock, so that a process outliving a killed runner (until it notices, within a second) keeps the next runner
        # out of the staging folder it writes to
        self.pass_fds: tuple[int, ...] = ()

    def started(self, pid: int) -> None:
        """Remember a process this engine started (killed at once if the engine was stopped)."""
        with self._lock:
            self._pids.add(pid)
        if self.stopped.is_set():
            _kill(pid)

    def ended(self, pid: int) -> None:
        """Forget a process that has ended."""
        with self._lock:
            self._pids.discard(pid)

    def processes(self) -> set[int]:
        """The ids of the live processes this engine started (kernels, plain Python runs)."""
        with self._lock:
            return set(self._pids)

    def stop(self) -> None:
        """Kill every process this engine started (and their process groups); later starts die at once."""
        self.stopped.set()
        with self._lock:
            pids = list(self._pids)
        for pid in pids:
            _kill(pid)

    def expect(self, notebooks: int, cwd: Path | None = None, workdir: Path | None = None,
               preload: Iterable[str] = (), first: Iterable[str] = ()) -> None:
        """A hint: ``notebooks`` notebook runs (in ``cwd``) are still to come, importing ``preload`` (``first``: what
        the next one imports). The base engine ignores it."""

    def close(self) -> None:
        """Release what the engine holds between runs (kernels started ahead). Safe to call twice."""

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


# ----------------------------------------------------------------------------- kernels started ahead
@dataclass
class PooledKernel:
    """A kernel started (and warmed) for one notebook run; ``ready`` resolves once it can take the run."""

    km: Any  # a jupyter_client AsyncKernelManager, handed to papermill once started
    cwd: Path
    log: Path
    output: BinaryIO  # the kernel's stdout and stderr (``log``, opened when the kernel is made)
    ready: Future = field(default_factory=Future)
    warming: Future | None = None  # the start-and-warm task on the pool's event loop
    pid: int | None = None


class KernelPool:
    """Kernels started ahead of need, at most ``size`` waiting at once, each handed out once and killed after.

    ``expect(n, ...)`` says how many notebook runs are still to come; the pool keeps up to ``min(size, n - active)``
    kernels started or starting, so a run finds its kernel up and its imports done. Kernels warm up one per core
    left free by the running ones (at least one), so warming never slows the run on the critical path much; a run
    that needs a kernel not yet launched launches it at once. A kernel's own output goes to a file in ``workdir``,
    renamed to the run's log when the run takes it. Starting, warming and reaping happen on one event loop in a
    daemon thread, through jupyter_client's public API only (`AsyncKernelManager.start_kernel`, a client's
    ``wait_for_ready`` and a silent ``execute``, ``shutdown_kernel``); `KernelEngine.stop` kills every kernel the
    pool started.
    """

    def __init__(self, engine: Engine, size: int, kernel_name: str = KERNEL,
                 arguments: tuple[str, ...] = KERNEL_ARGUMENTS) -> None:
        self.engine, self.size, self.kernel_name = engine, max(0, size), kernel_name
        self.arguments = [*arguments, HISTORY_ARGUMENT]  # the command line nbclient would give the kernel
        self._lock = threading.Lock()
        self._waiting: list[PooledKernel] = []  # started (or starting), not taken
        self._outstanding = 0  # notebook runs still to come (the last hint, less the runs done since)
        self._active = 0  # kernels taken and not yet released
        self._cwd: Path | None = None
        self._workdir: Path | None = None
        self._preload: tuple[str, ...] = ()
        self._first: tuple[str, ...] = ()  # the imports of the first kernel launched
        self._launched = 0
        self._count = 0
        self._warming = 0  # kernels launched and not yet up
        self._cores = os.cpu_count() or 1
        self._loop: Any = None  # an asyncio event loop, made on first use
        self._loop_lock = threading.Lock()

    # -- the event loop thread
    def _run(self, coro: Any) -> Future:
        with self._loop_lock:
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
                threading.Thread(target=self._loop.run_forever, name="kernel-pool", daemon=True).start()
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    # -- hints and hand-outs
    def expect(self, notebooks: int, cwd: Path | None, workdir: Path | None, preload: Iterable[str],
               first: Iterable[str] = ()) -> None:
        """Keep kernels started for the ``notebooks`` runs to come, each importing ``preload``; the first kernel the
        pool launches imports only ``first`` (the next run's imports, when given), so that run can start sooner."""
        with self._lock:
            self._outstanding = max(0, notebooks)
            self._cwd = cwd or self._cwd
            self._workdir = workdir or self._workdir
            self._preload = tuple(preload) or self._preload
            self._first = tuple(first) or self._first
            self._fill()

    def _fill(self) -> None:
        """Make kernels until enough are waiting, and launch some (called with the lock held)."""
        if self._cwd is None or self._workdir is None:
            return
        want = min(self.size, self._outstanding - self._active)
        while len(self._waiting) < want and not self.engine.stopped.is_set():
            self._count += 1
            self._workdir.mkdir(parents=True, exist_ok=True)
            self._waiting.append(self._kernel(self._cwd, self._workdir / f"pool-{os.getpid()}-{self._count}.log"))
        self._launch_some()

    def _launch_some(self) -> None:
        """Launch waiting kernels while fewer than the free cores are warming up (called with the lock held)."""
        slots = max(1, self._cores - self._active)
        for kernel in self._waiting:
            if self._warming >= slots or self.engine.stopped.is_set():
                break
            if kernel.warming is None:
                self._launch(kernel)

    def _launch(self, kernel: PooledKernel) -> None:
        imports = self._first if self._first and not self._launched else self._preload
        self._warming += 1
        self._launched += 1
        kernel.warming = self._run(self._warm(kernel, imports))
        kernel.warming.add_done_callback(lambda f: self._warmed(kernel, f))

    def _warmed(self, kernel: PooledKernel, done: Future) -> None:
        with self._lock:
            self._warming -= 1
            self._launch_some()
        _settle(kernel.ready, done)

    def _kernel(self, cwd: Path, log: Path) -> PooledKernel:
        """A kernel manager for one kernel in ``cwd`` whose output goes to ``log`` (not started yet)."""
        AsyncKernelManager = jupyter_module("jupyter_client.manager").AsyncKernelManager
        return PooledKernel(AsyncKernelManager(kernel_name=self.kernel_name), cwd, log, open(log, "ab"))

    async def _warm(self, kernel: PooledKernel, preload: tuple[str, ...]) -> None:
        km = kernel.km
        try:
            if self.engine.stopped.is_set():
                raise StepFailure("interrupted")
            # ipykernel ends itself within a second of the runner's death (JPY_PARENT_PID, set by jupyter_client)
            await km.start_kernel(extra_arguments=list(self.arguments), cwd=str(kernel.cwd),
                                  stdout=kernel.output, stderr=kernel.output, pass_fds=self.engine.pass_fds)
        finally:
            kernel.output.close()  # the kernel holds its own copy
        kernel.pid = km.provisioner.pid
        self.engine.started(kernel.pid)
        kc = km.client()
        kc.start_channels(hb=False)
        try:
            await kc.wait_for_ready(timeout=START_TIMEOUT)
            if preload:  # silent: no execution count, nothing published, nothing in the history
                reply = await kc.execute(preload_code(preload), silent=True, store_history=False,
                                         allow_stdin=False, reply=True, timeout=START_TIMEOUT)
                if reply["content"].get("status") != "ok":
                    raise StepFailure(f"kernel warm-up failed: {reply['content'].get('ename')}")
        finally:
            kc.stop_channels()

    def take(self, cwd: Path, log: Path) -> PooledKernel:
        """A started kernel in ``cwd`` for one run (of several starting, the first up, else the first launched),
        once it is up; its log becomes ``log``."""
        with self._lock:
            if self.engine.stopped.is_set():
                raise StepFailure("interrupted")
            self._active += 1
            kernel = self._pick(cwd)
            if kernel is None:
                log.parent.mkdir(parents=True, exist_ok=True)
                kernel = self._kernel(cwd, log)
                self._launch(kernel)
            self._fill()
        if kernel.log != log:
            try:
                os.replace(kernel.log, log)  # the kernel keeps writing to the same file under its new name
                kernel.log = log
            except OSError:
                log.write_text(f"kernel log: {kernel.log}\n", encoding="utf-8")
        self._wait_ready(kernel)
        return kernel

    def _pick(self, cwd: Path) -> PooledKernel | None:
        """The waiting kernel for ``cwd`` that is up (else the first), launched now if it was not (lock held)."""
        matching = [k for k in self._waiting if k.cwd == cwd]
        kernel = next((k for k in matching if k.ready.done()), matching[0] if matching else None)
        if kernel is not None:
            self._waiting.remove(kernel)
            if kernel.warming is None:  # not launched yet: this run needs it now
                self._launch(kernel)
        return kernel

    def _wait_ready(self, kernel: PooledKernel) -> None:
        try:
            while not self.engine.stopped.is_set():
                try:
                    kernel.ready.result(timeout=0.1)
                    return
                except TimeoutError:
                    continue
            raise StepFailure("interrupted")
        except BaseException as exc:
            self.release(kernel)
            if self.engine.stopped.is_set():
                raise StepFailure("interrupted") from exc
            raise StepFailure(f"kernel {self.kernel_name!r} did not start: {type(exc).__name__}: "
                              f"{' '.join(str(exc).split())}") from exc

    def release(self, kernel: PooledKernel) -> None:
        """Kill a kernel after its run (it is never reused) and reap it in the background."""
        with self._lock:
            self._active = max(0, self._active - 1)
            self._outstanding = max(0, self._outstanding - 1)
        self._reap(kernel)

    def _reap(self, kernel: PooledKernel) -> None:
        if kernel.pid is not None:
            _kill(kernel.pid)  # at once: shutting down waits on the event loop
        if kernel.warming is None:
            kernel.output.close()
        elif not kernel.warming.done():
            kernel.warming.cancel()

        async def reap() -> None:
            with contextlib.suppress(Exception):
                await kernel.km.shutdown_kernel(now=True)  # waits for the process, removes its connection file
            if kernel.pid is not None:
                self.engine.ended(kernel.pid)

        self._run(reap())

    def close(self) -> None:
        """Kill every kernel started ahead and not taken."""
        with self._lock:
            spare, self._waiting = self._waiting, []
            self._outstanding = 0
        for kernel in spare:
            self._reap(kernel)


def _settle(target: Future, done: Future) -> None:
    if done.cancelled():
        target.cancel()
    elif done.exception() is not None:
        target.set_exception(done.exception())  # type: ignore[arg-type]
    else:
        target.set_result(None)


class KernelEngine(Engine):
    """Each notebook in its own fresh kernel (started ahead by a `KernelPool`), through papermill's Python API."""

    name = "kernel"

    def __init__(self, jobs: int = 1, warm: bool = True) -> None:
        super().__init__()
        self.warm = warm  # False: each kernel started when its run needs it, nothing imported ahead
        self.pool = KernelPool(self, jobs if warm else 0)

    def stop(self) -> None:
        logging.getLogger("papermill").setLevel(logging.CRITICAL)  # "kernel died": we killed it on purpose
        super().stop()

    def expect(self, notebooks: int, cwd: Path | None = None, workdir: Path | None = None,
               preload: Iterable[str] = (), first: Iterable[str] = ()) -> None:
        self.pool.expect(notebooks, cwd, workdir, preload if self.warm else (), first if self.warm else ())

    def close(self) -> None:
        self.pool.close()

    def notebook(self, job: Execution) -> None:
        papermill = jupyter_module("papermill")  # while the kernel may still be starting
        PapermillExecutionError = jupyter_module("papermill.exceptions").PapermillExecutionError

        kernel = self.pool.take(Path(job.cwd), job.log)
        try:
            papermill.execute_notebook(
                str(job.target), str(job.output), parameters=job.parameters, kernel_name=KERNEL,
                progress_bar=False, log_output=False, cwd=None, request_save_on_cell_execute=False,
                resources={"metadata": {"path": str(job.cwd)}}, km=kernel.km,
            )
        except PapermillExecutionError as exc:
            raise StepFailure(cell_message(job.output, exc.cell_index, exc.exec_count, exc.ename, exc.evalue)) from exc
        except Exception as exc:
            if self.stopped.is_set():
                raise StepFailure("interrupted") from exc
            raise StepFailure(f"{type(exc).__name__}: {' '.join(str(exc).split())}") from exc
        finally:
            self.pool.release(kernel)

