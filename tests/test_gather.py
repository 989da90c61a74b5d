"""The gather step: flat tables/ and figures/ from the step folders, named per scenario, indexed in step order."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from helpers.errors import ProjectError
from helpers.report.figures import new_figure, save_figure
from helpers.report.gather import run_step
from helpers.report.tables import save_table


def _step_folder(folder, table: str, figure: str, caption: str):
    save_table(pd.DataFrame({"a": [1]}), table, caption=f"Table {caption}.", folder=folder)
    fig, ax = new_figure()
    ax.plot([1, 2], [1, 2])
    save_figure(fig, figure, caption=f"Figure {caption}.", folder=folder,
                provenance={"notebook": "x", "parameters": {"seed": 1}})
    (folder / "results.json").write_text('{"not": "a figure"}')


def test_gather_copies_renames_per_scenario_and_indexes_in_step_order(tmp_path):
    common, high = tmp_path / "02_density", tmp_path / "03_scenarios" / "high"
    _step_folder(common, "claims", "zeta", "of the audit")
    _step_folder(high, "national", "sensitivity", "of high")
    tables, figures = tmp_path / "tables", tmp_path / "figures"
    tables.mkdir()
    figures.mkdir()
    # step order, not alphabetical: 03_scenarios/high first, then 02_density
    numbers = tmp_path / "numbers"
    numbers.mkdir()
    run_step(step_dirs={"03_scenarios/high": high, "02_density": common}, tables_dir=tables, figures_dir=figures,
             numbers_dir=numbers)
    assert sorted(p.name for p in tables.iterdir()) == sorted(
        [f"{n}.{e}" for n in ("claims", "national_high") for e in ("csv", "md", "tex")] + ["index.md", "index.tex"])
    assert sorted(p.name for p in figures.iterdir()) == sorted(
        [f"{n}.{e}" for n in ("zeta", "sensitivity_high") for e in ("png", "svg", "pdf", "json")]
        + ["index.md", "index.tex"])
    assert sorted(p.name for p in numbers.iterdir()) == ["numbers.json", "numbers.tex"]
    # the label follows the file's new name, so two scenarios never share a label
    tex = (tables / "national_high.tex").read_text()
    assert r"\label{tab:national_high}" in tex and r"\label{tab:national}" not in tex
    assert (tables / "claims.tex").read_bytes() == (common / "claims.tex").read_bytes()
    assert (tables / "index.tex").read_text().splitlines()[3:5] == [
        r"\input{\outputsdir/tables/national_high.tex}", r"\FloatBarrier"]
    figure_tex = (figures / "index.tex").read_text()
    assert r"\includegraphics{\outputsdir/figures/sensitivity_high.pdf}" in figure_tex
    assert r"\caption{Figure of high.}" in figure_tex and r"\label{fig:sensitivity_high}" in figure_tex
    assert (figures / "zeta.png").read_bytes() == (common / "zeta.png").read_bytes()
    meta = json.loads((figures / "sensitivity_high.json").read_text())
    assert meta["name"] == "sensitivity_high" and meta["files"]["png"]["file"] == "sensitivity_high.png"
    index = (figures / "index.md").read_text()
    assert index.index("## sensitivity_high") < index.index("## zeta")
    assert "Made by step `03_scenarios/high` with seed=1." in index
    assert "| [national_high](national_high.md) | `03_scenarios/high` | Table of high. |" in \
        (tables / "index.md").read_text()


def test_gather_refuses_two_files_of_the_same_name(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    _step_folder(a, "same", "f1", "a")
    _step_folder(b, "same", "f2", "b")
    (tmp_path / "t").mkdir()
    (tmp_path / "f").mkdir()
    with pytest.raises(ProjectError, match="'same' is written by both a and b"):
        run_step(step_dirs={"a": a, "b": b}, tables_dir=tmp_path / "t", figures_dir=tmp_path / "f")
