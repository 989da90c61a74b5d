"""Kernels forked from one process that has already imported what the notebooks import (a fork server).

A fresh ``python -m ipykernel_launcher`` spends about 2.5 s of CPU importing pandas, matplotlib, seaborn, pandera
and the helpers before a notebook's first cell can use them. The fork server imports them once (`serve`, in its
own process, started with the kernels' interpreter, flags, working folder and environment); each kernel is then a
``fork()`` of it that starts ipykernel exactly as ``ipykernel_launcher`` would. Every kernel is still a new process
given to one run and killed after it: nothing a notebook does reaches another. In the child, the working folder,
the environment and the kernel's arguments are the run's own, stdout and stderr go to the run's log, the random
generators are seeded afresh, and SIGCHLD is restored (the server ignores it so that its children are reaped).
A module that looks at its surroundings when imported must see a kernel: during the server's imports
``get_ipython()`` answers a shell with a kernel (`_KernelShell`). The committed outputs regenerate byte for byte
through forked kernels (tests/test_committed_outputs.py, bench/check_identity.py), which is what guards this.

`ForkServer.launch` answers None when a kernel cannot be forked (another interpreter or launcher, another
environment, the server gone); the caller then starts the kernel the usual way.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

AVAILABLE = sys.platform.startswith("linux")  # fork() and /proc (a forked kernel's end is seen there)
LAUNCHER = "ipykernel_launcher"
SERVER_MODULE = "helpers.pipeline.kernel_forks"
# Caches the server fills once its imports are done, so each kernel inherits them: module -> function (no
# arguments, pure: it only reads package data). The GeoNames gazetteer costs ~0.6 s per table read otherwise.
WARM = {"helpers.data.city_tables": "gazetteer"}
STEP = 0.01  # seconds between two looks at a forked kernel that is being waited for
ANSWER_TIMEOUT = 60.0  # seconds for the server to say "ready" or answer a request (as a kernel's start timeout)


def split_kernel_command(argv: list[str]) -> tuple[list[str], list[str]] | None:
    """(interpreter and its options, the launcher's arguments) of ``[python, -X..., -m, ipykernel_launcher, ...]``;
    None for any other command (it cannot be forked from the server)."""
    if LAUNCHER not in argv:
        return None
    at = argv.index(LAUNCHER)
    head = argv[:at - 1]
    if at < 2 or argv[at - 1] != "-m" or not all(a.startswith("-X") for a in head[1:]):
        return None
    return head, argv[at + 1:]


class ForkedKernel:
    """The handle a jupyter_client provisioner keeps for a kernel process (Popen's methods it uses), for a kernel
    forked by the server: not this process's child, so its exit is seen by its pid disappearing."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._killed = False  # SIGKILL sent: its end is reported as Popen reports a killed child

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                state = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
                gone = state in ("Z", "X")
            except (OSError, IndexError):
                gone = True
            if gone:
                self.returncode = -signal.SIGKILL if self._killed else 0
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout or 0)
            time.sleep(STEP)
        return self.returncode  # type: ignore[return-value]

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            self._killed = signum == signal.SIGKILL
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class ForkServer:
    """One fork server for kernels of one interpreter command and environment (started on first use)."""

    def __init__(self, preload: Iterable[str], first: int = 0) -> None:
        self.preload = tuple(preload)
        self.first = first  # the first kernel is forked once the first ``first`` modules are in (0: all of them)
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._head: list[str] | None = None
        self._env: dict[str, str] | None = None
        self.failed: str | None = None  # why the server cannot be used (then every launch answers None)
        self._ahead = False  # started by `start_ahead` and not launched from yet
        self._closed = False  # `close` was called: never started (again)
        self._starting: threading.Thread | None = None  # the thread of `start_ahead`

    def launch(self, argv: list[str], env: Mapping[str, str] | None, cwd: str | Path, log: Path) -> ForkedKernel | None:
        """Fork a kernel running ``argv`` (a kernelspec command) in ``cwd`` with ``env``, output to ``log``; None when
        this command cannot be forked here."""
        split = split_kernel_command(list(argv))
        if split is None:
            return None
        head, arguments = split
        env = dict(os.environ if env is None else env)
        with self._lock:
            if self.failed or self._closed:
                return None
            if self._process is None:
                self._start(head, env, cwd)
            elif self._ahead and (head != self._head or env != self._env):
                self._stop()  # started ahead for another command or environment: start it for this one
                self._start(head, env, cwd)
            self._ahead = False
            if head != self._head or env != self._env or self._process is None:
                return None
            request = {"arguments": arguments, "cwd": str(cwd), "log": str(log)}
            try:
                assert self._process.stdin is not None and self._process.stdout is not None
                self._process.stdin.write(json.dumps(request) + "\n")
                self._process.stdin.flush()
                answer = json.loads(self._answer() or "{}")
            except (OSError, ValueError) as exc:
                self.failed = f"fork server: {type(exc).__name__}: {exc}"
                return None
        if "pid" not in answer:
            self.failed = f"fork server: {answer.get('error', 'no answer')}"
            return None
        return ForkedKernel(int(answer["pid"]))

    def start_ahead(self, kernel_name: str, cwd: str | Path, environment: Mapping[str, str]) -> None:
        """Start the server in a background thread for kernels of ``kernel_name``: its kernelspec command and the
        environment jupyter_client will give them (``environment`` with the kernelspec's ``env`` stanza, as its
        provisioner makes it). Its imports then overlap this process's own set-up of the first kernel. If the first
        launch still differs, the server is started again for that launch; an unknown kernel starts nothing."""
        from string import Template

        from helpers.pipeline.engines import jupyter_module  # (engines imports this module)

        KernelSpecManager = jupyter_module("jupyter_client.kernelspec").KernelSpecManager

        try:
            spec = KernelSpecManager().get_kernel_spec(kernel_name)
        except Exception:  # no such kernel: its launch will say so
            return
        split = split_kernel_command(spec.argv)
        if split is None:
            return
        env = dict(environment)
        env.update({k: Template(v).safe_substitute(env) for k, v in (spec.env or {}).items()})
        if (spec.language or "").lower().startswith("python"):
            env.pop("PYTHONEXECUTABLE", None)

        def start() -> None:
            with self._lock:
                if self._process is None and not self.failed and not self._closed:
                    self._start(split[0], env, cwd)
                    self._ahead = True

        self._starting = threading.Thread(target=start, name="fork-server-start", daemon=True)
        self._starting.start()

    def _start(self, head: list[str], env: dict[str, str], cwd: str | Path) -> None:
        self._head, self._env = head, env
        try:
            self._process = subprocess.Popen(
                [*head, "-m", SERVER_MODULE, str(self.first), *self.preload], cwd=str(cwd), env=env, text=True,
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True)
            ready = "closed while it started" if self._closed else self._answer()
        except OSError as exc:
            ready = f"{type(exc).__name__}: {exc}"
        if ready.strip() != "ready":
            self.failed = f"fork server did not start: {ready.strip() or 'no answer'}"
            self._stop()

    def _answer(self) -> str:
        """The server's next line, "" if it says nothing within ANSWER_TIMEOUT seconds (it is then stopped)."""
        import select

        stream = self._process.stdout if self._process else None
        if stream is None:
            return ""
        if not select.select([stream], [], [], ANSWER_TIMEOUT)[0]:
            self._stop()
            return ""
        return stream.readline()

    def close(self) -> None:
        """Stop the server for good (kernels already forked are not touched: their runs kill them). A server being
        started ahead at that moment is stopped as soon as its process exists."""
        self._closed = True
        self._stop()

    def _stop(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            try:
                process.kill()
                process.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                pass
            for stream in (process.stdin, process.stdout):
                if stream is not None:
                    with contextlib.suppress(OSError):
                        stream.close()


# ----------------------------------------------------------------------------- the server process
def _child(request: dict[str, Any]) -> None:
    """In the forked child: become the kernel the request describes (never returns)."""
    code = 1
    try:
        os.setsid()  # its own session and process group, as jupyter_client starts kernels
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.chdir(request["cwd"])
        log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        null = os.open(os.devnull, os.O_RDONLY)
        for fd, to in ((null, 0), (log, 1), (log, 2)):  # the server's request and answer pipes are closed here
            os.dup2(fd, to)
        os.close(log)
        os.close(null)
        import random

        random.seed()
        if "numpy" in sys.modules:
            sys.modules["numpy"].random.seed()
        os.environ["JPY_PARENT_PID"] = str(os.getppid())  # the kernel exits when the server does
        sys.argv = [LAUNCHER, *request["arguments"]]
        from ipykernel import kernelapp

        kernelapp.launch_new_instance()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


class _KernelShell:
    """What ``get_ipython()`` answers during the server's imports: a shell with a kernel, as in a Jupyter kernel.
    Modules that look at their surroundings when imported then set themselves up for a kernel (pandas takes
    display.max_columns = 20 there, 0 in a terminal)."""

    kernel = True


def _load(modules: list[str]) -> None:
    """Import ``modules`` as a kernel's warm-up would (each failure ignored), then fill their `WARM` caches."""
    import builtins

    from helpers.pipeline.engines import preload_code

    builtins.get_ipython = _KernelShell  # type: ignore[attr-defined]  # called: an instance with .kernel
    try:
        exec(preload_code(modules), {})
    finally:
        del builtins.get_ipython  # type: ignore[attr-defined]
    for name, function in WARM.items():
        if name in modules and name in sys.modules:
            with contextlib.suppress(Exception):
                getattr(sys.modules[name], function)()


def _serve_one(requests: Any, answers: Any) -> bool:
    """Fork one kernel for the next request line; False at end of input."""
    line = requests.readline()
    if not line:
        return False
    try:
        request = json.loads(line)
    except ValueError:
        answers.write(json.dumps({"error": f"bad request: {line.strip()[:80]!r}"}) + "\n")
        answers.flush()
        return True
    pid = os.fork()
    if pid == 0:
        _child(request)
    answers.write(json.dumps({"pid": pid}) + "\n")
    answers.flush()
    return True


def serve(first: int, preload: list[str]) -> None:
    """The fork server: import the first ``first`` modules of ``preload`` (the first notebook's; 0: all), say
    "ready", fork the first kernel as soon as it is asked for, import the rest, then fork one kernel per request
    line read from stdin, answering its pid; stop at end of input. So the first notebook's kernel does not wait for
    the imports of the notebooks after it."""
    if sys.path and (sys.path[0] == "" or Path(sys.path[0]) == Path.cwd()):
        del sys.path[0]  # as ipykernel_launcher does; IPython puts "" back in each kernel
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")  # as ipykernel does
    import ipykernel.kernelapp  # noqa: F401 - the kernel's own modules, imported once

    stage = preload[:first] if 0 < first < len(preload) else preload
    _load(stage)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # forked kernels are reaped by the system
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the runner stops kernels itself
    requests, answers = sys.stdin, sys.stdout
    answers.write("ready\n")
    answers.flush()
    if len(stage) < len(preload):
        if not _serve_one(requests, answers):
            return
        _load(preload[len(stage):])
    while _serve_one(requests, answers):
        pass


if __name__ == "__main__":
    serve(int(sys.argv[1]), sys.argv[2:])
