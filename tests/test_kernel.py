"""The kernel `make` registers carries the project's name and environment, whoever starts it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from jupyter_client.kernelspec import KernelSpecManager

from helpers.data.fetch import CACHE_ENV
from helpers.paths import PROJECT_ROOT

DISPLAY_NAME = "Python 3 (cctv-density)"
VENV = PROJECT_ROOT / ".venv"


def makefile_value(name: str) -> str:
    """A variable as the Makefile sets it in this environment (``make -s print-NAME``)."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    out = subprocess.run(["make", "-s", "--no-print-directory", f"print-{name}"], cwd=PROJECT_ROOT,
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


@pytest.fixture(scope="module")
def spec():
    if Path(sys.prefix).resolve() != VENV.resolve():
        pytest.skip(f"not running in the project's venv ({VENV}); `make test` runs there")
    return KernelSpecManager().get_kernel_spec("python3")


def test_the_project_kernel_is_the_one_jupyter_finds(spec):
    # a user-level kernel named python3 would shadow the venv's (and its environment) in Lab
    assert Path(spec.resource_dir).resolve() == (VENV / "share/jupyter/kernels/python3").resolve()
    assert spec.display_name == DISPLAY_NAME
    assert Path(spec.argv[0]).resolve() == Path(sys.executable).resolve()


def test_the_kernel_carries_the_makefile_data_dir(spec):
    data_dir = makefile_value("CCTV_DATA_DIR")
    if data_dir:
        assert spec.env.get(CACHE_ENV) == data_dir
    else:
        assert CACHE_ENV not in spec.env


@pytest.mark.slow
def test_a_kernel_started_without_make_sees_the_data_dir(spec):
    data_dir = makefile_value("CCTV_DATA_DIR")
    if not data_dir:
        pytest.skip("the Makefile sets no CCTV_DATA_DIR here (../shared/data is absent)")
    from jupyter_client.manager import start_new_kernel

    env = {k: v for k, v in os.environ.items() if k != CACHE_ENV}  # like a plain `jupyter lab` in a fresh shell
    km, kc = start_new_kernel(kernel_name="python3", env=env)
    try:
        seen = []
        kc.execute_interactive(f"import os; print(os.environ.get({CACHE_ENV!r}))", timeout=60,
                               output_hook=lambda msg: seen.append(msg["content"].get("text", "")))
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    assert "".join(seen).strip() == data_dir
