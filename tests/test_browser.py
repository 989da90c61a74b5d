"""JupyterLab in headless Chromium: every notebook runs on the project kernel, figures and pages render.

The project's files (git-tracked and new, not ignored) are copied into a temporary folder, its outputs are
brought up to date with the batch runner, and Lab runs there (``PYTHONPATH`` points ``helpers`` at the copy,
the kernel is the venv's), because running a notebook with its default parameters writes into ``outputs/``
of the tree it runs in. Lab gets a token, 127.0.0.1,
its own Jupyter config/data/runtime folders, and is stopped with every process it started, by PID.
Run with ``make test-browser``; skips with the reason when chromium or playwright is missing, or the real city
table (../shared/data) the default run needs.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from conftest import copy_project

from helpers.paths import PROJECT_ROOT

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
KERNEL_DISPLAY = "Python 3 (cctv-density)"
NOTEBOOKS = sorted(p.name for p in (PROJECT_ROOT / "notebooks").glob("*.ipynb"))
NOTEBOOK_SECONDS = 240  # Run All of one notebook, generous for 2 cores
PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"
ERRORS = f'{PANEL} .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
LAB_SETTINGS = {  # user settings of the test's own Lab: every cell in the DOM, no network calls
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                       "checkForUpdates": False},
}


def _missing() -> str | None:
    """Why the browser test cannot run here, or None."""
    if not Path(CHROMIUM).is_file():
        return "chromium is not installed (Debian: apt-get install chromium; .ci/run does it where it can)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed in this environment (it is in requirements.lock: make .venv/.installed)"
    if not (Path(sys.prefix) / "share/jupyter/kernels/python3/kernel.json").is_file():
        return f"no project kernel in {sys.prefix} (make .venv/.installed registers it)"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def descendants(pid: int) -> set[int]:
    """PIDs of every live descendant of ``pid`` (Linux /proc; kernels run in sessions of their own)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] == "Z")


class Lab:
    """A JupyterLab server on 127.0.0.1 with a token, rooted at ``root``, its processes tracked by PID."""

    def __init__(self, root: Path, home: Path) -> None:
        self.root, self.token, self.port = root, secrets.token_hex(16), free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        for rel, settings in LAB_SETTINGS.items():
            path = home / "lab-settings" / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(settings))
        self.env = {**os.environ, "PYTHONPATH": str(root), "JUPYTER_CONFIG_DIR": str(home / "config"),
                    "JUPYTER_DATA_DIR": str(home / "data"), "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
                    "JUPYTERLAB_SETTINGS_DIR": str(home / "lab-settings"),
                    "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"), "IPYTHONDIR": str(home / "ipython")}
        self.log = home / "lab.log"
        self.proc: subprocess.Popen | None = None
        self.started: set[int] = set()

    def check_isolation(self) -> None:
        """The kernel's interpreter with Lab's environment imports helpers from the copy, not the checkout."""
        out = subprocess.run([sys.executable, "-c", "from helpers.paths import PROJECT_ROOT; print(PROJECT_ROOT)"],
                             cwd=self.root, env=self.env, capture_output=True, text=True, check=True)
        assert Path(out.stdout.strip()) == self.root, "helpers would write into the checkout, not the copy"

    def reproduce(self) -> None:
        """Bring the copy's outputs up to date with the batch runner (helper steps included), as
        `make reproduce` does before a researcher opens Lab."""
        out = subprocess.run([sys.executable, "-m", "helpers.run"], cwd=self.root, env=self.env,
                             capture_output=True, text=True)
        assert out.returncode == 0, f"the batch runner failed in the copy:\n{out.stdout[-3000:]}{out.stderr[-3000:]}"

    def start(self) -> None:
        cmd = [str(Path(sys.executable).parent / "jupyter"), "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0", f"--ServerApp.root_dir={self.root}",
               f"--IdentityProvider.token={self.token}", "--LabApp.expose_app_in_browser=True",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
        if os.geteuid() == 0:
            cmd.append("--allow-root")
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(cmd, cwd=self.root, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)
        self.started.add(self.proc.pid)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"jupyter lab exited {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.base}/api/status?token={self.token}", timeout=5) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        raise AssertionError(f"jupyter lab did not answer within 90 s:\n{self.log_tail()}")

    def url(self, path: str) -> str:
        return f"{self.base}/{path}{'&' if '?' in path else '?'}token={self.token}"

    def track(self) -> None:
        """Remember every process Lab has started so far (kernels), to stop them by PID."""
        if self.proc is not None:
            self.started |= descendants(self.proc.pid)

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:]) if self.log.exists() else ""

    def stop(self) -> list[int]:
        """Stop Lab and every process it started, by PID; return the PIDs that needed SIGKILL."""
        self.track()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # the server shuts its kernels down
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        killed = []
        deadline = time.monotonic() + 10
        for pid in sorted(self.started):
            while alive(pid) and time.monotonic() < deadline:
                time.sleep(0.2)
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
        return killed


@pytest.fixture(scope="module")
def lab(tmp_path_factory, shared_data) -> Iterator[Lab]:
    # shared_data: the copy's outputs are brought up to date with the default (real) city table; skip without it
    reason = _missing()
    if reason:
        pytest.skip(reason)
    root = copy_project(tmp_path_factory.mktemp("project"))
    server = Lab(root, tmp_path_factory.mktemp("jupyter-home"))
    server.check_isolation()
    server.reproduce()
    try:
        server.start()
        yield server
    finally:
        leftovers = server.stop()
    assert leftovers == [], f"processes that outlived Lab's shutdown (killed): {leftovers}"


@pytest.fixture(scope="module")
def page(lab):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        try:
            yield browser.new_page(viewport={"width": 1400, "height": 1000})
        finally:
            browser.close()


KERNEL_OR_DIALOG = """(panel) => {
    const name = document.querySelector(panel + ' .jp-Toolbar-kernelName')?.textContent.trim();
    return document.querySelector('.jp-Dialog') !== null || (!!name && name !== 'No Kernel');
}"""
IDLE = """(panel) => document.querySelector(panel + ' .jp-Notebook-ExecutionIndicator')
    ?.getAttribute('data-status') === 'idle'"""
IMAGES_LOADED = """(selector) => {
    const imgs = [...document.querySelectorAll(selector)];
    return imgs.length > 0 && imgs.every((img) => img.complete);
}"""
IMAGE_WIDTHS = "(selector) => [...document.querySelectorAll(selector)].map((img) => img.naturalWidth)"
PROMPTS = "(panel) => [...document.querySelectorAll(panel + ' .jp-CodeCell .jp-InputArea-prompt')]" \
    ".map((p) => p.textContent.trim())"
DONE_OR_FAILED = """([panel, errors]) => {
    const prompts = [...document.querySelectorAll(panel + ' .jp-CodeCell .jp-InputArea-prompt')];
    const idle = document.querySelector(panel + ' .jp-Notebook-ExecutionIndicator')?.getAttribute('data-status');
    const done = prompts.length > 0 && prompts.every((p) => /^\\[\\d+\\]:$/.test(p.textContent.trim()));
    return done || (idle === 'idle' && document.querySelector(errors) !== null);
}"""


def image_outputs(path: Path) -> int:
    nb = nbformat.read(path, as_version=4)
    return sum(any(k.startswith("image/") for k in o.get("data", {}))
               for c in nb.cells if c.cell_type == "code" for o in c.outputs)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_in_lab(lab, page, name):
    saved = lab.root / "notebooks" / name
    stored = saved.read_bytes()
    page.goto(lab.url(f"lab/tree/notebooks/{name}?reset"))
    kernel_name = page.locator(f"{PANEL} .jp-Toolbar-kernelName")
    page.wait_for_function(KERNEL_OR_DIALOG, arg=PANEL, timeout=90_000)
    assert page.locator(".jp-Dialog").count() == 0, page.locator(".jp-Dialog").inner_text()
    page.wait_for_function(IDLE, arg=PANEL, timeout=60_000)
    assert kernel_name.inner_text().strip() == KERNEL_DISPLAY

    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
    page.wait_for_function(DONE_OR_FAILED, arg=[PANEL, ERRORS], timeout=NOTEBOOK_SECONDS * 1000)
    page.wait_for_function(IDLE, arg=PANEL, timeout=60_000)
    lab.track()

    errors = page.locator(ERRORS)
    assert errors.count() == 0, "error outputs:\n" + "\n---\n".join(errors.all_inner_texts())[:4000]
    prompts = page.evaluate(PROMPTS, PANEL)
    assert all(re.fullmatch(r"\[\d+\]:", p) for p in prompts), prompts
    assert page.locator(".jp-Dialog").count() == 0, page.locator(".jp-Dialog").inner_text()

    page.evaluate("async () => { await window.jupyterapp.commands.execute('docmanager:save'); }")
    page.wait_for_function("() => !document.querySelector('.jp-mod-dirty')", timeout=30_000)
    # Lab saves a notebook of notebooks/ as its source (helpers/pipeline/notebook_source.lab_pre_save): after Run
    # All and a save the file is byte for byte what was stored, so `git status` stays clean
    assert saved.read_bytes() == stored, f"saving {name} in Lab changed the stored notebook"
    # the images the page shows: as many as the batch run's executed copy holds (03: the default scenario's)
    expected = image_outputs(sorted(lab.root.glob(f"outputs/**/{name}"))[0])
    if "save_figure(" in saved.read_text():
        assert expected > 0, f"{name} saves figures but shows none"
    imgs = f"{PANEL} .jp-OutputArea-output img"
    if expected:
        page.wait_for_function(IMAGES_LOADED, arg=imgs, timeout=30_000)
    widths = page.evaluate(IMAGE_WIDTHS, imgs)
    assert len(widths) == expected and all(w > 0 for w in widths), widths
    if "explorer.explore(" in saved.read_text():  # in Lab the explorer is interactive
        assert page.locator(f"{PANEL} .widget-slider").count() > 0


def test_figure_index_renders_every_image(lab, page):
    index = lab.root / "outputs" / "figures" / "index.md"
    expected = len(re.findall(r"!\[[^\]]*\]\([^)]+\)", index.read_text()))
    assert expected > 0
    page.goto(lab.url("lab?reset"))
    page.wait_for_function("() => window.jupyterapp !== undefined", timeout=60_000)
    page.evaluate("async () => { await window.jupyterapp.restored; await window.jupyterapp.commands.execute("
                  "'docmanager:open', {path: 'outputs/figures/index.md', factory: 'Markdown Preview'}); }")
    imgs = ".jp-RenderedMarkdown img"
    page.wait_for_function(f"() => document.querySelectorAll('{imgs}').length >= {expected}", timeout=60_000)
    page.wait_for_function(IMAGES_LOADED, arg=imgs, timeout=60_000)
    widths = page.evaluate(IMAGE_WIDTHS, imgs)
    assert len(widths) == expected and all(w > 0 for w in widths), widths


def test_executed_html_notebook_shows_every_image(lab, page):
    html = lab.root / "outputs" / "02_density" / "02_density.html"
    expected = html.read_text().count("<img")
    assert expected > 0
    page.goto(lab.url("files/outputs/02_density/02_density.html"))
    page.wait_for_function(IMAGES_LOADED, arg="img", timeout=60_000)
    widths = page.evaluate(IMAGE_WIDTHS, "img")
    assert len(widths) == expected and all(w > 0 for w in widths), widths


HEADLINE = f"{PANEL} .widget-html-content"
EXPLORER_TEXT = ("([selector, text]) => [...document.querySelectorAll(selector)]"
                 ".some((e) => e.textContent.includes(text))")


def run_all(page, lab: Lab, name: str) -> None:
    """Open notebooks/<name> in Lab on the project kernel and run every cell, without errors."""
    page.goto(lab.url(f"lab/tree/notebooks/{name}?reset"))
    page.wait_for_function(KERNEL_OR_DIALOG, arg=PANEL, timeout=90_000)
    page.wait_for_function(IDLE, arg=PANEL, timeout=60_000)
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
    page.wait_for_function(DONE_OR_FAILED, arg=[PANEL, ERRORS], timeout=NOTEBOOK_SECONDS * 1000)
    page.wait_for_function(IDLE, arg=PANEL, timeout=60_000)
    lab.track()
    errors = page.locator(ERRORS)
    assert errors.count() == 0, "error outputs:\n" + "\n---\n".join(errors.all_inner_texts())[:4000]


def test_explorer_typed_count_and_slider_recompute_the_result(lab, page):
    """Notebook 03's explorer in Lab: a slider at least 400 px wide with a typed entry; typing a count moves the
    slider and recomputes the summary; the cities' table starts collapsed."""
    name = "03_scenarios.ipynb"
    saved = lab.root / "notebooks" / name
    stored = saved.read_bytes()
    run_all(page, lab, name)
    slider = page.locator(f"{PANEL} .widget-slider").first
    slider.wait_for(timeout=30_000)
    assert slider.bounding_box()["width"] >= 400  # the camera slider: 480 px (helpers/report/explorer.SLIDER)
    # 540 million cameras / 1.46 billion people x 1,000 = 369.86... per 1,000: the default scenario's summary
    page.wait_for_function(EXPLORER_TEXT, arg=[HEADLINE, "540 million cameras"], timeout=30_000)
    assert page.evaluate(EXPLORER_TEXT, [HEADLINE, "369.9 per 1,000"])
    typed = page.locator(f"{PANEL} .widget-text input").first  # the camera count's typed entry, in millions
    typed.fill("700")
    typed.press("Enter")
    # 700e6 / 1.46e9 x 1,000 = 479.45... per 1,000, recomputed in the kernel and shown in the summary line
    page.wait_for_function(EXPLORER_TEXT, arg=[HEADLINE, "700 million cameras"], timeout=30_000)
    assert page.evaluate(EXPLORER_TEXT, [HEADLINE, "479.5 per 1,000"])
    handle = page.locator(f"{PANEL} .widget-slider .noUi-handle").first  # the slider moved with the typed value
    assert float(handle.get_attribute("aria-valuenow")) == 700.0
    handle.focus()
    handle.press("ArrowRight")  # one step (1 million) with the keyboard: 701e6 / 1.46e9 x 1,000 = 480.13...
    page.wait_for_function(EXPLORER_TEXT, arg=[HEADLINE, "701 million cameras"], timeout=30_000)
    assert page.evaluate(EXPLORER_TEXT, [HEADLINE, "480.1 per 1,000"])
    # the typed box follows the slider through the frontend's link, after the kernel's answer: wait for it
    page.wait_for_function("(box) => parseFloat(box.value) === 701", arg=typed.element_handle(), timeout=30_000)
    # the cities' table is inside a collapsed Accordion: its rows are in the page but not visible
    cities = page.locator(f"{PANEL} .widget-html-content", has_text="Shenzhen").first
    assert cities.count() == 1 and not cities.is_visible()
    page.evaluate("async () => { await window.jupyterapp.commands.execute('docmanager:save'); }")
    page.wait_for_function("() => !document.querySelector('.jp-mod-dirty')", timeout=30_000)
    assert saved.read_bytes() == stored, f"saving {name} in Lab changed the stored notebook"
