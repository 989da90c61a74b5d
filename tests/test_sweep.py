"""Parameter sweeps (`python -m helpers.run --grid ...`): the grid, the folders, the sweep table, the base outputs
left alone, and the same bytes on a Dask LocalCluster as on the local pool.

Most cases run a tiny step table in this process (code cells exec'd, as in tests/test_run.py); the cluster case
runs the project itself, in a copy, on a LocalCluster on 127.0.0.1 that the sweep starts and closes.
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import project_env
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from helpers.pipeline.engines import Engine, Execution
from helpers.pipeline.plain_runs import indexed_cells
from helpers.pipeline.run import main
from helpers.pipeline.runs import expand
from helpers.pipeline.steps import Param, StepSpec
from helpers.pipeline.sweep import combinations, parse_grid

ROOT = Path(__file__).resolve().parents[1]
META = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"}}
NOTEBOOKS = {  # name: (parameters cell, code)
    "a": ("factor = 1\noutput_dir = None",
          "from pathlib import Path\nn = int(Path(ROOT, 'data/in.txt').read_text()) * factor\n"
          "Path(ROOT, output_dir, 'a.txt').write_text(str(n))"),
    "s": ("scenario = 'x'\nscale = 1\na_dir = None\noutput_dir = None",
          "from pathlib import Path\nassert scale != 13, 'unlucky scale'\n"
          "n = int(Path(ROOT, a_dir, 'a.txt').read_text()) * scale\n"
          "Path(ROOT, output_dir, 's.txt').write_text(f'{scenario} {n}')"),
    "b": ("a_dir = None\noutput_dir = None",
          "from pathlib import Path\nPath(ROOT, output_dir, 'b.txt').write_text(Path(ROOT, a_dir, 'a.txt').read_text())"
          ),
}
TABLE = (StepSpec("a", "nb/a.ipynb", parameters={"factor": Param(1, int, "multiplier")}, reads=("data/in.txt",)),
         StepSpec("s", "nb/s.ipynb", parameters={"scale": Param(1, int, "scale")}, uses={"a_dir": "a"},
                  per_scenario=True, owns={"output_dir": "s/{scenario}"}),
         StepSpec("b", "nb/b.ipynb", uses={"a_dir": "a"}))


class InProcess(Engine):
    """Runs a notebook's code cells with exec, ROOT set to the project root; records what ran."""

    name = "inprocess"

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root, self.ran = root, []

    def notebook(self, job: Execution) -> None:
        self.ran.append(f"{Path(job.target).stem} {job.parameters.get('scale', '')}".strip())
        scope = {"ROOT": str(self.root)}
        for _, code in indexed_cells(Path(job.target), job.parameters):
            exec(code, scope)
        nbformat.write(nbformat.read(job.target, as_version=4), job.output)


@pytest.fixture
def project(tmp_path):
    for name, (params, code) in NOTEBOOKS.items():
        cells = [new_markdown_cell("# t"), new_code_cell(params, metadata={"tags": ["parameters"]}),
                 new_code_cell(code)]
        (tmp_path / "nb").mkdir(exist_ok=True)
        nbformat.write(new_notebook(cells=cells, metadata=META), tmp_path / "nb" / f"{name}.ipynb")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "in.txt").write_text("3")
    return tmp_path


def run(root: Path, *args: str, engine: Engine | None = None) -> tuple[int, InProcess, str]:
    engine = engine or InProcess(root)
    out = io.StringIO()
    code = main(list(args), factory=lambda outputs_dir: expand(TABLE, ["x", "y"], root, outputs_dir),
                engine=engine, stdout=out, progress=False)
    return code, engine, out.getvalue()  # type: ignore[return-value]


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
            and p.name != "run-record.json"}


def rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.open(encoding="utf-8")))


# ----------------------------------------------------------------------------- the grid
def test_grid_values_lists_ranges_and_numbers_written_as_text():
    assert parse_grid(["china_cameras=500e6,6e8", "population=stated,implied"]) == {
        "china_cameras": [500_000_000, 600_000_000], "population": ["stated", "implied"]}
    assert parse_grid(["x=[1.5, b]"]) == {"x": [1.5, "b"]}
    assert parse_grid(["x=0:1:3"]) == {"x": [0, 0.5, 1]}
    assert parse_grid(["x=4e8:8e8:5"])["x"] == [400_000_000, 500_000_000, 600_000_000, 700_000_000, 800_000_000]


@pytest.mark.parametrize("item, message", [("x", "expected NAME=V1"), ("x=", "expected NAME=V1"),
                                           ("x=1,1.0", "repeated"), ("x=1:2:0", "NUM must be at least 1")])
def test_bad_grid_is_refused(item, message):
    from helpers.pipeline.runs import PipelineError

    with pytest.raises(PipelineError, match=message):
        parse_grid([item])


def test_combinations_are_named_by_their_values_first_parameter_slowest():
    names = [c.name for c in combinations({"a": [1, 2], "b": ["p q", 0.25]})]
    assert names == ["a=1,b=p_q", "a=1,b=0.25", "a=2,b=p_q", "a=2,b=0.25"]


# ----------------------------------------------------------------------------- sweeps of the tiny table
def test_sweep_runs_the_declaring_steps_per_combination_and_gathers_a_table(project):
    assert run(project)[0] == 0
    base = tree(project / "outputs")
    code, engine, text = run(project, "--grid", "scale=2,3", "--sweep-dir", "sw")
    assert code == 0, text
    assert sorted(engine.ran) == ["s 2", "s 2", "s 3", "s 3"]  # only s declares scale; a is read from outputs/
    folder = project / "sw" / "scale"
    assert (folder / "scale=2" / "s" / "y" / "s.txt").read_text() == "y 6"
    assert (folder / "scale=3" / "s" / "x" / "s.txt").read_text() == "x 9"
    assert not (folder / "scale=2" / "a").exists() and (folder / "scale=2" / "manifest.json").is_file()
    table = rows(folder / "sweep.csv")
    assert [(r["combination"], r["scale"], r["scenario"], r["status"]) for r in table] == [
        ("scale=2", "2", "x", "ran"), ("scale=2", "2", "y", "ran"), ("scale=3", "3", "x", "ran"),
        ("scale=3", "3", "y", "ran")]
    assert tree(project / "outputs") == base  # the published outputs are only read
    code, engine, text = run(project, "--grid", "scale=2,3", "--sweep-dir", "sw")
    assert code == 0 and engine.ran == [] and "0 ran, 2 unchanged" in text  # nothing changed: nothing runs


def test_sweep_reruns_when_the_outputs_it_reads_change(project):
    run(project)
    run(project, "--grid", "scale=2", "--sweep-dir", "sw")
    (project / "data" / "in.txt").write_text("5")
    code, _, _ = run(project, "--grid", "scale=2", "--sweep-dir", "sw")
    assert code == 2  # a's published folder is out of date: the sweep says so and runs nothing
    assert run(project)[0] == 0
    code, engine, _ = run(project, "--grid", "scale=2", "--sweep-dir", "sw")
    assert code == 0 and sorted(engine.ran) == ["s 2", "s 2"]
    assert (project / "sw" / "scale" / "scale=2" / "s" / "x" / "s.txt").read_text() == "x 10"


def test_sweep_needs_published_upstream_outputs(project, capsys):
    code, engine, _ = run(project, "--grid", "scale=2", "--sweep-dir", "sw")
    assert code == 2 and engine.ran == []
    err = capsys.readouterr().err
    assert "the sweep reads a from outputs, which is not up to date (never published there)" in err
    assert "python -m helpers.run --outputs outputs" in err


@pytest.mark.parametrize("args, message", [
    (("--grid", "scael=2"), "--grid scael: no step declares this parameter; did you mean 'scale'?"),
    (("--grid", "scale=2,x"), "--grid scale='x'"),
    (("--grid", "scale=2", "-p", "scale=3"), "--grid scale: also given with -p"),
    (("--cluster", "local"), "--cluster runs a sweep's combinations: give --grid"),
    (("--grid", "scale=2", "--sweep-name", "../up"), "--sweep-name '../up'"),
])
def test_sweep_options_are_checked_before_anything_runs(project, capsys, args, message):
    run(project)
    code, engine, _ = run(project, *args, "--sweep-dir", "sw")
    assert code == 2 and engine.ran == []
    assert message in capsys.readouterr().err
    assert not (project / "sw").exists()


def test_a_failing_combination_is_reported_and_the_others_published(project, capsys):
    run(project)
    code, _, _ = run(project, "--grid", "scale=2,13", "--sweep-dir", "sw")
    assert code == 1
    assert "FAILED: scale=13" in capsys.readouterr().err
    folder = project / "sw" / "scale"
    assert (folder / "scale=2" / "s" / "x" / "s.txt").is_file() and not (folder / "scale=13" / "s").exists()
    assert [(r["combination"], r["status"]) for r in rows(folder / "sweep.csv")] == [
        ("scale=2", "ran"), ("scale=2", "ran"), ("scale=13", "failed")]


# ----------------------------------------------------------------------------- the project on a Dask LocalCluster
@pytest.mark.slow
def test_a_cluster_sweep_writes_the_same_bytes_as_the_local_pool(article_baseline, tmp_path):
    project = tmp_path / "project"
    shutil.copytree(article_baseline, project, symlinks=True)  # the article-only run published (tests/conftest.py)
    env = project_env(project)

    def runner(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "helpers.run", "-p", "city_tables=[]", "--jobs", "2", *args],
                              cwd=project, env=env, capture_output=True, text=True, timeout=900)

    published = tree(project / "outputs")
    sweep = ("--grid", "china_cameras=550e6", "--sweep-name", "s")  # one combination: the pool's grid tests cover more
    local = runner(*sweep)
    assert local.returncode == 0, local.stderr[-3000:]
    folder = project / "scratch" / "sweeps" / "s"
    shutil.move(folder, tmp_path / "local")
    cluster = runner(*sweep, "--cluster", "local")
    assert cluster.returncode == 0, cluster.stderr[-3000:]
    assert "on local" in cluster.stderr
    on_cluster, on_pool = tree(folder), tree(tmp_path / "local")
    runs = [k for k in on_pool if k.endswith(".ipynb")]
    assert len(runs) == 2  # one combination x two scenarios of notebook 03, executed in kernels
    assert {k: v for k, v in on_cluster.items() if k != "sweep.json"} == \
        {k: v for k, v in on_pool.items() if k != "sweep.json"}
    table = rows(folder / "sweep.csv")
    assert [r["china_cameras"] for r in table] == ["550000000"] * 2  # one row per scenario
    assert float(table[0]["03_scenarios: china_per_1000"]) == pytest.approx(550e6 / 1460e6 * 1000, rel=1e-9)
    assert tree(project / "outputs") == published
