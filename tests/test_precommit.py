"""The pre-commit hooks catch what they are for, and hosted CI runs the same entry point as here."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

from helpers.paths import PROJECT_ROOT

CHECK = PROJECT_ROOT / ".ci" / "check_notebooks.py"
VENV = PROJECT_ROOT / ".venv"


def notebook(path: Path, *, outputs: bool = False, count: int | None = None) -> Path:
    cell = nbformat.v4.new_code_cell("print('hi')", execution_count=count)
    if outputs:
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="hi\n")]
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# t"), cell]), path)
    return path


def check(*paths: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(CHECK), *map(str, paths)], capture_output=True, text=True)


def test_notebook_check_passes_clean_and_names_dirty_cells(tmp_path):
    clean = notebook(tmp_path / "clean.ipynb")
    assert check(clean).returncode == 0
    with_outputs = notebook(tmp_path / "outputs.ipynb", outputs=True, count=3)
    with_count = notebook(tmp_path / "count.ipynb", count=1)
    out = check(clean, with_outputs, with_count)
    assert out.returncode == 1
    assert "outputs.ipynb: cell 1 (\"print('hi')\") is stored with outputs and an execution count" in out.stdout
    assert "count.ipynb: cell 1" in out.stdout and "stored with an execution count" in out.stdout
    assert "clean.ipynb" not in out.stdout


def test_hooks_are_local_and_name_existing_tools():
    config = yaml.safe_load((PROJECT_ROOT / ".pre-commit-config.yaml").read_text())
    hooks = {h["id"]: h for repo in config["repos"] for h in repo["hooks"]}
    assert {"ruff", "notebooks-stripped", "ruff-format"} <= set(hooks)
    assert hooks["ruff"]["entry"].startswith(".venv/bin/ruff check")
    assert ".ci/check_notebooks.py" in hooks["notebooks-stripped"]["entry"]
    assert hooks["ruff-format"]["stages"] == ["manual"]  # opt-in: it would reformat most files today


@pytest.mark.skipif(not (VENV / "bin" / "pre-commit").is_file() or shutil.which("git") is None,
                    reason="pre-commit (in requirements.lock) or git is not installed")
def test_pre_commit_blocks_outputs_and_lint_errors(tmp_path):
    repo = tmp_path / "repo"
    (repo / ".ci").mkdir(parents=True)
    (repo / "helpers").mkdir()
    (repo / "notebooks").mkdir()
    for rel in (".pre-commit-config.yaml", ".ci/check_notebooks.py", "pyproject.toml"):
        shutil.copy2(PROJECT_ROOT / rel, repo / rel)
    (repo / ".venv").symlink_to(VENV)
    (repo / "helpers" / "ok.py").write_text('"""Fine."""\n\nVALUE = 1\n')
    notebook(repo / "notebooks" / "a.ipynb")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "GIT_CONFIG_GLOBAL": os.devnull}

    def pre_commit() -> subprocess.CompletedProcess:
        subprocess.run(["git", "add", "-A"], cwd=repo, check=True, env=env)
        return subprocess.run([str(VENV / "bin" / "pre-commit"), "run", "--all-files"], cwd=repo, env=env,
                              capture_output=True, text=True)

    subprocess.run(["git", "init", "-q"], cwd=repo, check=True, env=env)
    clean = pre_commit()
    assert clean.returncode == 0, clean.stdout + clean.stderr
    notebook(repo / "notebooks" / "a.ipynb", outputs=True, count=1)
    (repo / "helpers" / "bad.py").write_text('"""Unused import."""\n\nimport os\n')
    dirty = pre_commit()
    assert dirty.returncode == 1
    assert "a.ipynb: cell 1" in dirty.stdout and "F401" in dirty.stdout


def test_hosted_ci_runs_the_same_entry_point():
    workflow = yaml.safe_load((PROJECT_ROOT / ".github" / "workflows" / "ci.yml").read_text())
    steps = [s.get("run", "") for job in workflow["jobs"].values() for s in job["steps"]]
    assert ".ci/run" in steps
    run = (PROJECT_ROOT / ".ci" / "run").read_text()
    assert "apt-get install -y -qq chromium" in run and run.rstrip().endswith("make test")
    assert os.access(PROJECT_ROOT / ".ci" / "run", os.X_OK)
    # Debian, where `apt-get install chromium` is the real browser (Ubuntu's package is a snap stub)
    assert all("bookworm" in job.get("container", "") for job in workflow["jobs"].values())
