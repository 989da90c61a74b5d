"""Kernels forked from a server that holds the pre-imports: each still a new process for one run, seeded afresh,
with the run's folder, environment and log; the usual start where a kernel cannot be forked.

Byte-identity with kernels started the usual way is tested in test_engines (warm, now forked, against cold).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from helpers.pipeline.engines import Execution, KernelEngine
from helpers.pipeline.kernel_forks import ForkedKernel, ForkServer, split_kernel_command

META = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
PROBE = ("import os, random, subprocess, sys\nimport numpy as np\n"
         "print(json.dumps({'pid': os.getpid(), 'ppid': os.getppid(), 'cwd': os.getcwd(),"
         " 'preloaded': 'decimal' in sys.modules, 'random': random.random(), 'numpy': float(np.random.random()),"
         " 'false': subprocess.run(['false']).returncode}))")


def test_only_the_ipykernel_launcher_command_is_forked():
    py = sys.executable
    assert split_kernel_command([py, "-m", "ipykernel_launcher", "-f", "c.json"]) == ([py], ["-f", "c.json"])
    assert split_kernel_command([py, "-Xfrozen_modules=off", "-m", "ipykernel_launcher", "-f", "c.json"]) == (
        [py, "-Xfrozen_modules=off"], ["-f", "c.json"])
    assert split_kernel_command([py, "-E", "-m", "ipykernel_launcher"]) is None  # another interpreter option
    assert split_kernel_command(["R", "--slave", "-e", "IRkernel::main()"]) is None
    assert split_kernel_command([py, "ipykernel_launcher"]) is None  # a script, not the module


def test_a_command_that_cannot_be_forked_is_left_to_the_usual_start(tmp_path):
    server = ForkServer(("json",))
    assert server.launch(["/bin/echo", "hi"], None, tmp_path, tmp_path / "k.log") is None
    assert server._process is None  # no server started for it


def test_a_forked_kernel_is_seen_to_end_by_its_pid():
    # a child of this process stands in for a forked kernel (its end is seen through /proc, not wait())
    pid = os.fork()
    if pid == 0:
        time.sleep(30)
        os._exit(0)
    kernel = ForkedKernel(pid)
    assert kernel.poll() is None
    kernel.kill()
    os.waitpid(pid, 0)  # reap it here, as the server's ignored SIGCHLD does there
    assert kernel.wait(timeout=5) == -signal.SIGKILL


def _notebook(path: Path) -> Path:
    cells = [new_code_cell("x = 1", metadata={"tags": ["parameters"]}), new_code_cell("import json\n" + PROBE)]
    nbformat.write(new_notebook(cells=cells, metadata=META), path)
    return path


def _probe(out: Path) -> dict:
    outputs = json.loads(out.read_text())["cells"][-1]["outputs"]
    return json.loads("".join("".join(o["text"]) for o in outputs if o.get("name") == "stdout"))


@pytest.mark.slow
def test_forked_kernels_are_new_processes_with_the_imports_and_fresh_seeds(tmp_path):
    nb = _notebook(tmp_path / "probe.ipynb")
    work = tmp_path / "run"
    work.mkdir()
    engine = KernelEngine(2)
    try:
        engine.expect(2, work, tmp_path / ".pool", ("decimal",))
        probes = []
        for i in range(2):
            engine(Execution(nb, {}, tmp_path / f"o{i}.ipynb", work, tmp_path / f"o{i}.log"))
            probes.append(_probe(tmp_path / f"o{i}.ipynb"))
        server = engine.pool.forks._process.pid
    finally:
        engine.close()
    assert [p["ppid"] for p in probes] == [server, server]  # forked by the server
    assert probes[0]["pid"] != probes[1]["pid"]  # one process per run
    assert all(p["cwd"] == str(work) and p["preloaded"] for p in probes)
    assert probes[0]["random"] != probes[1]["random"] and probes[0]["numpy"] != probes[1]["numpy"]
    assert [p["false"] for p in probes] == [1, 1]  # a subprocess's exit status reaches the notebook (SIGCHLD)
    deadline = time.monotonic() + 5
    while Path(f"/proc/{server}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not Path(f"/proc/{server}").exists(), "close() left the fork server running"


@pytest.mark.slow
def test_when_the_server_is_gone_kernels_start_the_usual_way(tmp_path):
    nb = _notebook(tmp_path / "probe.ipynb")
    engine = KernelEngine(1)
    try:
        engine.expect(1, tmp_path, tmp_path / ".pool", ("decimal",))
        engine(Execution(nb, {}, tmp_path / "o0.ipynb", tmp_path, tmp_path / "o0.log"))
        server = engine.pool.forks._process.pid
        os.kill(server, signal.SIGKILL)
        engine.expect(1, tmp_path, tmp_path / ".pool", ("decimal",))  # no kernel was started ahead of this one
        engine(Execution(nb, {}, tmp_path / "o1.ipynb", tmp_path, tmp_path / "o1.log"))
        failed = engine.pool.forks.failed
    finally:
        engine.close()
    first, second = _probe(tmp_path / "o0.ipynb"), _probe(tmp_path / "o1.ipynb")
    assert first["ppid"] == server and second["ppid"] == os.getpid()  # the second started as a child of ours
    assert second["preloaded"]  # by the usual warm-up request
    assert failed and failed.startswith("fork server")


def test_a_server_that_never_answers_is_stopped_and_kernels_start_the_usual_way(tmp_path, monkeypatch):
    import helpers.pipeline.kernel_forks as forks

    (tmp_path / "silent_server.py").write_text("import time\ntime.sleep(60)\n")  # says nothing, ever
    monkeypatch.setattr(forks, "SERVER_MODULE", "silent_server")
    monkeypatch.setattr(forks, "ANSWER_TIMEOUT", 1.0)
    server = ForkServer(("json",))
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    start = time.monotonic()
    kernel = server.launch([sys.executable, "-m", "ipykernel_launcher", "-f", "c.json"], env, tmp_path,
                           tmp_path / "k.log")
    assert kernel is None and time.monotonic() - start < 15
    assert server.failed == "fork server did not start: no answer" and server._process is None


def _started_ahead(server: ForkServer, where: Path) -> object:
    server.start_ahead("python3", where, os.environ)
    server._starting.join(timeout=60)  # started in a thread, not by a launch
    assert server._process is not None and server.failed is None
    return server._process


def _kernelspec_command(where: Path) -> tuple[list[str], dict[str, str]]:
    """The python3 kernelspec's command and the environment jupyter_client gives its kernels (no templates in its
    env stanza)."""
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec("python3")
    return [a.format(connection_file=str(where / "c.json")) for a in spec.argv], {**os.environ, **spec.env}


@pytest.fixture
def ahead(tmp_path):
    """(kernelspec command, its environment, a server started ahead, that server's process); closed after."""
    argv, env = _kernelspec_command(tmp_path)
    server = ForkServer(("json",))
    try:
        yield argv, env, server, _started_ahead(server, tmp_path)
    finally:
        server.close()


@pytest.mark.slow
def test_a_server_started_ahead_is_the_one_the_first_launch_uses(tmp_path, ahead):
    argv, env, server, started = ahead
    kernel = server.launch(argv, env, tmp_path, tmp_path / "k1.log")
    assert kernel is not None and server._process is started  # forked by the server started ahead
    kernel.kill()
    # a later launch with another environment is left to the usual start, as always
    assert server.launch(argv, {**env, "EXTRA": "1"}, tmp_path, tmp_path / "k2.log") is None
    assert server._process is started


@pytest.mark.slow
def test_a_server_started_ahead_for_another_environment_is_started_again_for_the_first_launch(tmp_path, ahead):
    argv, env, server, started = ahead
    kernel = server.launch(argv, {**env, "EXTRA": "1"}, tmp_path, tmp_path / "k.log")
    assert kernel is not None and server._process is not started and server._env["EXTRA"] == "1"
    assert started.poll() is not None  # the first server was stopped
    kernel.kill()


def test_a_server_started_ahead_for_an_unknown_kernel_starts_nothing(tmp_path):
    server = ForkServer(("json",))
    server.start_ahead("no-such-kernel", tmp_path, os.environ)
    assert server._starting is None  # no thread to start one
    assert server._process is None and server.failed is None


@pytest.mark.slow
def test_a_variable_set_here_after_the_server_started_does_not_stop_forking(tmp_path, monkeypatch):
    # importing pandera in the runner sets SPARK_LOCAL_IP and PYARROW_IGNORE_TIMEZONE; the kernels asked for after
    # that were once started the usual way (their environment no longer matched the server's)
    nb = _notebook(tmp_path / "probe.ipynb")
    engine = KernelEngine(1)
    try:
        engine.expect(1, tmp_path, tmp_path / ".pool", ("decimal",))
        engine(Execution(nb, {}, tmp_path / "o0.ipynb", tmp_path, tmp_path / "o0.log"))
        monkeypatch.setenv("SET_BY_AN_IMPORT", "1")
        engine.expect(1, tmp_path, tmp_path / ".pool", ("decimal",))  # the next kernel is launched after that
        engine(Execution(nb, {}, tmp_path / "o1.ipynb", tmp_path, tmp_path / "o1.log"))
        server = engine.pool.forks._process.pid
    finally:
        engine.close()
    assert [_probe(tmp_path / f"o{i}.ipynb")["ppid"] for i in range(2)] == [server, server]


def _servers_of(parent: int) -> list[int]:
    """Pids of live fork servers whose parent is ``parent``."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == parent and fields[0] not in ("Z", "X") and b"helpers.pipeline.kernel_forks" in cmdline:
            found.append(int(stat.parent.name))
    return found


@pytest.mark.slow
def test_a_server_closed_while_it_is_started_ahead_is_stopped(tmp_path):
    server = ForkServer(("json",))
    server.start_ahead("python3", tmp_path, os.environ)
    server.close()  # at once: the thread is still to start it, or starting it
    server._starting.join(timeout=30)
    assert not server._starting.is_alive()
    assert _servers_of(os.getpid()) == []  # nothing left running
    assert server.launch([sys.executable, "-m", "ipykernel_launcher", "-f", "c.json"], None, tmp_path,
                         tmp_path / "k.log") is None  # closed for good: no server started again
    assert _servers_of(os.getpid()) == []
