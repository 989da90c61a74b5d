"""A notebook's source (helpers/pipeline/notebook_source.py): what JupyterLab adds on saving is not part of it, so
a save in Lab reruns nothing, and a real change is named cell by cell."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from helpers.paths import PROJECT_ROOT
from helpers.pipeline.notebook_source import cell_digests, describe_change, lab_pre_save, source_of, source_text

NOTEBOOKS = sorted((PROJECT_ROOT / "notebooks").glob("*.ipynb"))


def lab_saved(nb: dict) -> dict:
    """``nb`` as JupyterLab saves it after Run All: outputs, counts, the kernel's full language_info, widget state,
    cell flags and timings."""
    nb = json.loads(json.dumps(nb))
    nb["metadata"]["language_info"] = {"codemirror_mode": {"name": "ipython", "version": 3}, "name": "python",
                                       "file_extension": ".py", "version": "3.11.7"}
    nb["metadata"]["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    for n, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            cell["execution_count"] = n + 1
            cell["outputs"] = [{"name": "stdout", "output_type": "stream", "text": ["1,234\n"]}]
            cell["metadata"].update(scrolled=True, execution={"iopub.status.idle": "2026-12-06T22:00:00Z"})
    return nb


def test_every_project_notebook_is_stored_as_its_source():
    for path in NOTEBOOKS:
        assert source_text(json.loads(path.read_text(encoding="utf-8"))) == path.read_text(encoding="utf-8"), path


def test_what_lab_adds_on_saving_is_not_source():
    for path in NOTEBOOKS:
        stored = json.loads(path.read_text(encoding="utf-8"))
        assert source_of(lab_saved(stored)) == source_of(stored), path
        assert source_text(lab_saved(stored)) == path.read_text(encoding="utf-8"), path


def test_tags_text_and_kernel_are_source():
    stored = json.loads(NOTEBOOKS[0].read_text(encoding="utf-8"))
    untagged = json.loads(json.dumps(stored))
    next(c for c in untagged["cells"] if c["metadata"].get("tags"))["metadata"]["tags"] = []
    assert source_of(untagged) != source_of(stored)  # the parameters tag decides where papermill injects
    other_kernel = json.loads(json.dumps(stored))
    other_kernel["metadata"]["kernelspec"]["name"] = "python2"
    assert source_of(other_kernel) != source_of(stored)


def nb(*texts: str) -> dict:
    """A notebook whose cells are markdown for texts starting with '#', code otherwise."""
    cells = [new_markdown_cell(t) if t.startswith("#") else new_code_cell(t) for t in texts]
    for n, cell in enumerate(cells):
        cell["id"] = f"c{n}"
    return source_of(new_notebook(cells=cells))


def test_a_change_is_named_cell_by_cell():
    before = cell_digests(nb("# title", "a = 1", "b = 2"))
    name = "notebooks/x.ipynb"
    # the code of cell 2 edited; cells 0 and 1 alike
    assert describe_change(name, before, nb("# title", "a = 1", "b = 3")) == \
        "notebooks/x.ipynb: code of cell 2 changed"
    # a text cell edited
    assert describe_change(name, before, nb("# Title", "a = 1", "b = 2")) == \
        "notebooks/x.ipynb: text of cell 0 changed"
    # a cell inserted at 1 (its own id): the old cells keep their ids and digests, so only the new one is named
    added = nb("# title", "a = 1", "b = 2")
    added["cells"].insert(1, {**new_code_cell("z = 0"), "id": "new"})
    assert describe_change(name, before, added) == "notebooks/x.ipynb: code of cell 1 added"
    removed = nb("# title", "a = 1", "b = 2")
    del removed["cells"][1]
    assert describe_change(name, before, removed) == "notebooks/x.ipynb: cell 1 (as numbered before) removed"
    two_removed = nb("# title", "a = 1", "b = 2")
    del two_removed["cells"][1:]
    assert describe_change(name, before, two_removed) == \
        "notebooks/x.ipynb: cells 1-2 (as numbered before) removed"
    # six cells edited: four named (SHOWN_CHANGES), then how many more
    assert describe_change(name, cell_digests(nb(*"abcdef")), nb(*"ABCDEF")) == (
        "notebooks/x.ipynb: code of cell 0 changed; code of cell 1 changed; code of cell 2 changed; "
        "code of cell 3 changed; 2 more")
    kernel = nb("# title", "a = 1", "b = 2")
    kernel["metadata"]["kernelspec"] = {"name": "other"}
    assert describe_change(name, before, kernel) == "notebooks/x.ipynb: its kernel or format changed"


def test_the_runner_reruns_nothing_after_a_lab_save_and_names_an_edited_cell(tmp_path):
    from tests.test_run import NOTEBOOKS as TINY  # test_run's tiny project of three notebooks, run in process
    from tests.test_run import run, write_notebook

    for name, (params, code) in TINY.items():
        write_notebook(tmp_path / "nb" / f"{name}.ipynb", params, code)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "in.txt").write_text("3")
    assert run(tmp_path)[0] == 0
    path = tmp_path / "nb" / "b.ipynb"
    path.write_text(json.dumps(lab_saved(json.loads(path.read_text())), indent=1), encoding="utf-8")
    code, _, out = run(tmp_path, "--dry-run")
    assert code == 0 and "b: skipped-unchanged" in out, out
    edited = json.loads(path.read_text())
    edited["cells"][2]["source"] += "\n# a comment"  # cell 2: the code cell after the title and the parameters
    path.write_text(json.dumps(edited), encoding="utf-8")
    code, _, out = run(tmp_path, "--dry-run")
    assert "b: would run (changed: nb/b.ipynb: code of cell 2 changed)" in out, out


class Manager:
    """The part of a jupyter_server contents manager the hook reads."""

    root_dir = str(PROJECT_ROOT)


def test_lab_saves_a_project_notebook_as_its_source_and_other_notebooks_as_they_are():
    stored = json.loads(NOTEBOOKS[2].read_text(encoding="utf-8"))
    model = {"type": "notebook", "content": lab_saved(stored)}
    lab_pre_save(model, f"notebooks/{NOTEBOOKS[2].name}", Manager())
    assert model["content"] == source_of(stored)
    elsewhere = {"type": "notebook", "content": lab_saved(stored)}
    lab_pre_save(elsewhere, "scratch/mine.ipynb", Manager())
    assert elsewhere["content"] == lab_saved(stored)  # the researcher's own notebooks keep their outputs


def test_the_venv_jupyter_config_sets_the_hook():
    """`make` writes the hook into this venv's Jupyter config (so any Lab started from the venv uses it)."""
    config = Path(sys.prefix) / "etc" / "jupyter" / "jupyter_server_config.json"
    if not config.is_file():
        pytest.skip(f"{config} is absent: this environment was not set up by `make` (make .venv/.installed)")
    hook = json.loads(config.read_text())["ContentsManager"]["pre_save_hook"]
    module, _, name = hook.rpartition(".")
    assert getattr(importlib.import_module(module), name) is lab_pre_save
