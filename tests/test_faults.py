"""Fault injection for the batch runner (`python -m helpers.run`), end to end, in throwaway copies of a project.

Faults of the project's own inputs (scenarios.yml, raw files, options, city tables, notebooks) run in a copy of the
project: a module fixture copies the git-tracked files (not outputs/) to a tmp folder and publishes a baseline there
with the fast "python" engine and no city table; each test copies that baseline and runs the runner in the copy as a
subprocess (``PYTHONPATH`` = the copy, so ``helpers`` and its paths are the copy's). Faults of the runner's own
machinery (records, journal, locks, a full or read-only disk, signals, kill -9) run the same command line on a tiny
project of two notebooks (`TINY_DRIVER`), whose runs take a fraction of a second. Every case checks the exit status,
a message naming the fault, and that the published outputs are byte-identical afterwards (or, where a change must
be published, that it replaced the old files completely).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from conftest import project_env
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[1]
ARTICLE = ("-p", "city_tables=[]")  # the baseline's parameters: every run passes them unless the case changes them
SKIPPED_AT_ROOT = {"run-record.json", "failed"}  # besides dot-entries: not part of the published tree
SUMS = "data/raw/SHA256SUMS"
HEADER = 'City,Country,# of CCTV Cameras,# of People,"# of CCTV Cameras per 1,000 People",Cameras per Square Mile,' \
         "Crime Index\n"
TABLE = HEADER + ("Taiyuan,China,465255,3975985,117.02,174.39,34.31\n"  # file line 2
                  "London,England (UK),691000,9425622,73.31,1138.48,53.07\n")  # file line 3
HIGH_BLOCK = re.compile(r"^  high:\n(?:    .*\n)+", re.M)  # the `high` scenario of scenarios.yml


# ----------------------------------------------------------------------------- helpers
def env(project: Path) -> dict[str, str]:
    return project_env(project)  # these tests never read the real city table


def command(*args: str, engine: str = "python", article: bool = True) -> list[str]:
    return [sys.executable, "-m", "helpers.run", "--engine", engine, "--jobs", "2", *(ARTICLE if article else ()),
            *args]


def run(project: Path, *args: str, engine: str = "python", article: bool = True, prefix: tuple[str, ...] = (),
        **kw) -> subprocess.CompletedProcess:
    return subprocess.run([*prefix, *command(*args, engine=engine, article=article)], cwd=project, env=env(project),
                          capture_output=True, text=True, timeout=900, **kw)


def check(result: subprocess.CompletedProcess, code: int, *fragments: str) -> str:
    """Assert the exit status and that every fragment appears in stdout or stderr; return both."""
    text = result.stdout + result.stderr
    assert result.returncode == code, f"exit {result.returncode}, expected {code}:\n{text[-4000:]}"
    for fragment in fragments:
        assert fragment in text, f"{fragment!r} not in the output:\n{text[-4000:]}"
    return text


def snapshot(outputs: Path) -> dict[str, bytes]:
    """{relative path: bytes} of the published tree (no dot-entries, run record or failed/ at the root)."""
    out = {}
    for path in sorted(outputs.rglob("*")):
        rel = path.relative_to(outputs)
        if rel.parts[0].startswith(".") or rel.parts[0] in SKIPPED_AT_ROOT or not path.is_file():
            continue
        out[rel.as_posix()] = path.read_bytes()
    return out


def assert_consistent(outputs: Path) -> None:
    """No leftovers of a run, and manifest.json lists exactly the files on disk with their sha256."""
    assert not [n for n in (".staging", ".trash", ".journal.json") if (outputs / n).exists()]
    manifest = json.loads((outputs / "manifest.json").read_text(encoding="utf-8"))
    listed = {p: h for r in manifest["runs"].values() for p, h in r["files"].items()}
    on_disk = {p: hashlib.sha256(b).hexdigest() for p, b in snapshot(outputs).items() if p != "manifest.json"}
    assert listed == on_disk, sorted(set(listed.items()) ^ set(on_disk.items()))[:10]


def status(text: str, step: str) -> str:
    """The status of ``step`` in the runner's summary table."""
    match = re.search(rf"^{re.escape(step)}\s+(\S+)", text, re.M)
    assert match, f"{step} not in the summary:\n{text[-3000:]}"
    return match.group(1)


def replace_in(path: Path, old: str | re.Pattern, new: str | Callable[[re.Match], str]) -> str:
    text = path.read_text(encoding="utf-8")
    edited = old.sub(new, text, count=1) if isinstance(old, re.Pattern) else text.replace(old, new, 1)
    assert edited != text, f"{old!r} not found in {path}"
    path.write_text(edited, encoding="utf-8")
    return edited


def edit_scenarios(project: Path, old: str | re.Pattern, new: str | Callable[[re.Match], str], *,
                   sums: bool = True) -> str:
    """Edit data/raw/scenarios.yml; record the new sha256 (`make checksums`) unless ``sums`` is False."""
    edited = replace_in(project / "data/raw/scenarios.yml", old, new)
    if sums:
        subprocess.run([sys.executable, "-m", "helpers.data.checksums", "--write"], cwd=project, env=env(project),
                       check=True, capture_output=True)
    return edited


def edit_cells(project: Path, notebook: str, change) -> None:
    path = project / "notebooks" / f"{notebook}.ipynb"
    nb = json.loads(path.read_text(encoding="utf-8"))
    change(nb["cells"])
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def code_cell(source: str) -> dict:
    return {"cell_type": "code", "execution_count": None, "id": "fault-cell", "metadata": {}, "outputs": [],
            "source": source}


def params_cell(cells: list[dict]) -> dict:
    return next(c for c in cells if "parameters" in c.get("metadata", {}).get("tags", []))


def source_of(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def descendants(pid: int) -> list[int]:
    """Every live process below ``pid`` (scanned from /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(stat.parent.name))
    out, todo = [], [pid]
    while todo:
        kids = children.get(todo.pop(), [])
        out += kids
        todo += kids
    return out


def open_files(pid: int) -> set[str]:
    """The paths of the files process ``pid`` holds open."""
    out = set()
    for fd in Path(f"/proc/{pid}/fd").glob("*"):
        with contextlib.suppress(OSError):
            out.add(os.readlink(fd))
    return out


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] not in "ZX"
    except (OSError, IndexError):
        return False


def wait_for(condition, what: str, seconds: float = 30) -> None:
    """Poll ``condition`` (a state of other processes, which send no event) until true; fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {seconds:.0f} s")
        time.sleep(0.05)


def start_and_wait(project: Path, *args: str, engine: str) -> subprocess.Popen:
    """Start the tiny project's runner (its first run held by the ``pause`` file) and return once that run's process
    is up: its log exists in the staging folder and the runner has a child process."""
    (project / "pause").touch()
    # SIGINT at its default in the runner, as for a command typed at a terminal: a shell without job control starts
    # background commands (`make test &`, some CI) with SIGINT ignored, and the runner would inherit that
    proc = subprocess.Popen(tiny_command(*args, engine=engine, forked=True), cwd=project, env={**env(project),
                            "PYTHONFAULTHANDLER": "1"}, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    work = project / "outputs/.staging/.work"

    def started() -> bool:
        if proc.poll() is not None:
            pytest.fail(f"the runner ended: {proc.communicate()}")
        return bool(list(work.glob("*/kernel.log")) and descendants(proc.pid))

    try:
        wait_for(started, "no run started")
    except BaseException:
        proc.kill()
        raise
    return proc


# ----------------------------------------------------------------------------- the tiny project
# Two notebooks: a writes 100 * size characters (and waits while a file named ``pause`` exists in the project), b
# writes how many characters a wrote. Its step table and command line are in driver.py: `helpers.pipeline.run.main`
# with the table as the pipeline.
TINY_NOTEBOOKS = {  # name: (parameters cell, code)
    "a": ("size = 1\noutput_dir = None",
          "import time\nfrom pathlib import Path\nROOT = Path.cwd().parent\n"
          "if (ROOT / 'pause').exists():\n    time.sleep(600)\n"
          "Path(ROOT, output_dir, 'a.txt').write_text('a' * (100 * size))"),
    "b": ("a_dir = None\noutput_dir = None",
          "from pathlib import Path\nROOT = Path.cwd().parent\n"
          "Path(ROOT, output_dir, 'b.txt').write_text(str(len(Path(ROOT, a_dir, 'a.txt').read_text())))"),
}
TINY_DRIVER = """\
import sys
from collections.abc import Callable
from pathlib import Path

from helpers.pipeline.run import main
from helpers.pipeline.runs import expand
from helpers.pipeline.steps import Param, StepSpec

ROOT = Path(__file__).resolve().parent
TABLE = (StepSpec("a", "nb/a.ipynb", parameters={"size": Param(1, int, "a.txt holds 100 * size characters")}),
         StepSpec("b", "nb/b.ipynb", uses={"a_dir": "a"}))


def pipeline(outputs_dir="outputs"):
    return expand(TABLE, [], ROOT, outputs_dir)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], factory=pipeline))
"""
NB_META = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
           "language_info": {"name": "python"}}


def tiny_command(*args: str, engine: str = "python", forked: bool = False) -> list[str]:
    """The tiny project's command line. As a script (driver.py), its plain runs start a fresh interpreter each; run
    as a module (``forked``, like python -m helpers.run), they are forked from the forkserver, which first imports
    the notebooks' libraries (helpers/pipeline/plain_runs.py): a second of CPU the tiny notebooks do not need."""
    return [sys.executable, *(("-m", "driver") if forked else ("driver.py",)), "--engine", engine, "--jobs", "2", *args]


def tiny_run(project: Path, *args: str, engine: str = "python", prefix: tuple[str, ...] = (),
             **kw) -> subprocess.CompletedProcess:
    return subprocess.run([*prefix, *tiny_command(*args, engine=engine)], cwd=project, env=env(project),
                          capture_output=True, text=True, timeout=300, **kw)


# ----------------------------------------------------------------------------- fixtures
def copy_of(tree: Path, dest: Path) -> Path:
    """A copy of a project with its published outputs, for one test to change."""
    shutil.copytree(tree, dest, symlinks=True)
    return dest


@pytest.fixture(scope="module")
def baseline(article_baseline) -> Path:
    """The article-only baseline (tests/conftest.py, `article_baseline`), shared by the session; tests copy it
    (`project`). Its ``helpers`` are the copy's, and its published tree is consistent."""
    where = subprocess.run([sys.executable, "-c", "import helpers.paths as p; print(p.PROJECT_ROOT)"],
                           cwd=article_baseline, env=env(article_baseline), capture_output=True, text=True,
                           check=True).stdout.strip()
    assert Path(where) == article_baseline.resolve(), "helpers must be imported from the copy"
    assert_consistent(article_baseline / "outputs")
    return article_baseline


@pytest.fixture
def project(baseline, tmp_path) -> Path:
    return copy_of(baseline, tmp_path / "project")


@pytest.fixture
def outputs(project) -> Path:
    return project / "outputs"


def build_tiny(root: Path) -> None:
    """The tiny project with a published baseline (size 1: a.txt of 100 characters, b.txt "100")."""
    for name, (params, code) in TINY_NOTEBOOKS.items():
        cells = [new_markdown_cell(f"# {name}"), new_code_cell(params, metadata={"tags": ["parameters"]}),
                 new_code_cell(code)]
        (root / "nb").mkdir(parents=True, exist_ok=True)
        nbformat.write(new_notebook(cells=cells, metadata=NB_META), root / "nb" / f"{name}.ipynb")
    (root / "driver.py").write_text(TINY_DRIVER, encoding="utf-8")
    check(tiny_run(root), 0)
    assert (root / "outputs/b/b.txt").read_text() == "100"
    assert_consistent(root / "outputs")


@pytest.fixture(scope="module")
def tiny_baseline(built_once) -> Path:
    return built_once("faults-tiny", build_tiny)


@pytest.fixture
def tiny(tiny_baseline, tmp_path) -> Path:
    return copy_of(tiny_baseline, tmp_path / "tiny")


# ----------------------------------------------------------------------------- scenarios.yml and raw files
SCENARIO_FAULTS = {  # id: (old text, new text, marker of the faulty line, expected "<dotted key>: <message>")
    "invalid_yaml": ("  year: 2021", "  year: 2021: x", "year: 2021: x", "not valid YAML"),
    "wrong_type": (HIGH_BLOCK, "  high: 5\n", "high: 5", "scenarios.high: expected a mapping of china_cameras"),
    "misspelt_key": ("china_cameras: {figure: china_cameras_high}", "china_camera: {figure: china_cameras_high}",
                     "china_camera:", "scenarios.high.china_camera: unknown key; did you mean 'china_cameras'?"),
    "negative": ("china_cameras: {figure: china_cameras_high}", "china_cameras: -5", "china_cameras: -5",
                 "scenarios.high.china_cameras: must be greater than 0; got -5"),
    # world_cameras is the article's figure of 1 billion: 2 billion in China is a 200% share
    "share_over_100": ("china_cameras: {figure: china_cameras_high}", "china_cameras: 2000000000",
                       "china_cameras: 2000000000", "scenarios.high.china_cameras: china_cameras (2,000,000,000) "
                                                    "exceeds world_cameras (1,000,000,000)"),
    "fractional_draws": ("draws: 10000", "draws: 1.9", "draws: 1.9", "sensitivity.draws: expected a whole number"),
    "unknown_figure": ("china_cameras: {figure: china_cameras_high}", "china_cameras: {figure: no_such_figure}",
                       "no_such_figure", "scenarios.high.china_cameras.figure: article figure 'no_such_figure' is "
                                         "not in data/raw/article_figures.csv"),
    "zero_rate": ("stated_rate: {figure: china_per_1000_high}", "stated_rate: 0", "stated_rate: 0",
                  "scenarios.high.stated_rate: must be greater than 0; got 0"),
    "year_in_words": ("  year: 2021", "  year: twenty", "year: twenty", "defaults.year: expected a whole number"),
    "not_a_number": ("china_cameras: {figure: china_cameras_high}", "china_cameras: .nan", "china_cameras: .nan",
                     "scenarios.high.china_cameras: expected a finite number; got nan"),
    # YAML keeps the last of two equal keys: the second `high` would silently replace the first
    "duplicate_scenario": (HIGH_BLOCK, lambda m: m.group(0) + "  high:  # again\n    china_cameras: 600000000\n",
                           "# again", "scenarios.high: duplicate key (first on line"),
    "unknown_population": ("  population: stated", "  population: guessed", "population: guessed",
                           "defaults.population: unknown population assumption 'guessed'; valid: stated, implied, "
                           "un_wpp_2022, nbs_2021"),
    "unknown_rule": ("rule: rest_of_world_fixed", "rule: world_grows", "rule: world_grows",
                     "defaults.world_total.rule: unknown world-total rule 'world_grows'; did you mean 'world_fixed'?"),
    # 1,000 people in the world cannot hold China's 1.46 billion (the stated population assumption)
    "world_smaller_than_china": ("  world_population: 7909295151", "  world_population: 1000",
                                 "world_population: 1000", "defaults.world_population: world_population (1,000) must "
                                                           "exceed China's population"),
}


@pytest.mark.parametrize("fault", list(SCENARIO_FAULTS))
def test_scenarios_file_fault_is_refused_before_anything_runs(project, outputs, fault):
    old, new, marker, message = SCENARIO_FAULTS[fault]
    before = snapshot(outputs)
    edited = edit_scenarios(project, old, new)
    line = next(i for i, text in enumerate(edited.splitlines(), 1) if marker in text)
    check(run(project), 2, f"data/raw/scenarios.yml line {line}: {message}")
    assert snapshot(outputs) == before


@pytest.mark.parametrize("name", ["scenarios.yml", "article_figures.csv", "city_table_layouts.yml"])
def test_raw_file_changed_without_checksum_is_refused(project, outputs, name):
    before = snapshot(outputs)
    with open(project / "data/raw" / name, "a", encoding="utf-8") as fh:
        fh.write("\n")
    check(run(project), 2, f"data/raw/{name}", "SHA256SUMS", "make checksums")
    assert snapshot(outputs) == before


# ----------------------------------------------------------------------------- command line
CLI_FAULTS = {  # id: (arguments, fragments of the message)
    "unknown_parameter": (("-p", "approx_tolerence=0.1"), ("-p approx_tolerence", "did you mean 'approx_tolerance'")),
    "fractional_n_draws": (("-p", "n_draws=1.9"), ("-p n_draws=1.9", "fractional part")),
    "runner_set_scenario": (("-p", "scenario=x"), ("-p scenario", "set by the runner")),
    "out_of_range": (("-p", "approx_tolerance=2"), ("-p approx_tolerance=2", "less than or equal to 1")),
    "not_yaml": (("-p", "seed=[1"), ("-p 'seed=[1' line 1: not valid YAML",)),
    "no_equals": (("-p", "approx_tolerance"), ("-p 'approx_tolerance'", "expected name=value")),
    "unknown_step": (("--force", "nosuch"), ("'nosuch' names no step",)),
    "zero_jobs": (("--jobs", "0"), ("--jobs must be at least 1",)),
    # argparse would take --forc for --force; the no-change path knows only whole option names (allow_abbrev=False)
    "abbreviated_option": (("--forc",), ("unrecognized arguments: --forc",)),
    "abbreviated_parameter_option": (("--par", "seed=1"), ("unrecognized arguments: --par",)),
    # every file under helpers/ is part of every run's key: outputs there would change every key at every run
    "outputs_inside_helpers": (("--outputs", "helpers/out"), ("--outputs helpers/out is inside helpers,",)),
    "outputs_inside_notebooks": (("--outputs", "notebooks/out"), ("--outputs notebooks/out is inside notebooks,",)),
    "outputs_inside_raw_data": (("--outputs", "data/raw/out"), ("--outputs data/raw/out is inside data/raw,",)),
    "jobs_in_words": (("--jobs", "two"), ("argument --jobs: invalid int value: 'two'",)),
    "unknown_engine": (("--engine", "docker"), ("argument --engine: invalid choice: 'docker'",)),
    "table_is_a_folder": (("-p", "city_tables=[helpers]"), ("parameter city_tables: 'helpers' is neither an "
                                                            "existing file", "nor a known public table name",)),
    "tables_not_a_list": (("-p", "city_tables=mine.csv"), ("-p city_tables='mine.csv'", "a valid list")),
    "unknown_step_number": (("--force", "99"), ("'99' names no step; steps: 01_data_cleaning",)),
    "zero_draws": (("-p", "n_draws=0"), ("-p n_draws=0", "greater than or equal to 1")),
    "negative_tolerance": (("-p", "approx_tolerance=-0.1"), ("-p approx_tolerance=-0.1", "greater than or equal to 0")),
    "seed_in_words": (("-p", "seed=abc"), ("-p seed='abc'", "a valid integer")),
    "grid_without_values": (("--grid", "china_cameras"), ("--grid 'china_cameras': expected NAME=V1,V2,...",)),
    "grid_empty_values": (("--grid", "china_cameras="), ("--grid 'china_cameras=': expected NAME=V1,V2,...",)),
    "grid_unknown_parameter": (("--grid", "chinese_cameras=1,2"), ("--grid chinese_cameras: no step declares",
                                                                    "did you mean 'china_cameras'")),
    "grid_bad_value": (("--grid", "china_cameras=5e8,-1"), ("--grid china_cameras=-1",)),
    "cluster_without_grid": (("--cluster", "local"), ("--cluster runs a sweep's combinations: give --grid",)),
    # anchors and aliases are refused in command-line YAML too (an alias bomb would expand without bound)
    "alias_in_a_parameter": (("-p", "seed=&a [1]"), ("-p 'seed=&a [1]' line 1: YAML anchors and aliases",)),
    "alias_in_a_grid": (("--grid", "china_cameras=[&a 5e8, *a]"), ("--grid 'china_cameras=[&a 5e8, *a]' line 1: "
                                                                   "YAML anchors and aliases",)),
    "sweep_name_with_a_path": (("--grid", "china_cameras=5e8", "--sweep-name", "../x"),
                               ("--sweep-name '../x': use letters, digits",)),
}


@pytest.mark.parametrize("fault", list(CLI_FAULTS))
def test_command_line_fault_is_refused(project, outputs, fault):
    args, fragments = CLI_FAULTS[fault]
    before = snapshot(outputs)
    check(run(project, *args), 2, *fragments)
    assert snapshot(outputs) == before
    assert not list(project.glob("*/out"))  # no outputs root was started anywhere


def test_abbreviated_option_is_refused_every_time(project, outputs):
    """The no-change answer and the full runner read options alike: --forc is refused twice, never 'nothing to
    do' the second time (before, argparse took it for --force once, then the no-change path answered)."""
    before = snapshot(outputs)
    for _ in range(2):
        check(run(project, "--forc"), 2, "unrecognized arguments: --forc")
    assert snapshot(outputs) == before


# ----------------------------------------------------------------------------- city tables
TABLE_FAULTS = {  # id: (file content or None for no file, exit status, fragments of the message)
    "missing_file": (None, 2, ("parameter city_tables", "'missing_file.csv'", "an existing file")),
    "empty_file": (b"", 1, ("notebooks/01_data_cleaning.ipynb", "empty_file.csv: the table has no data rows")),
    # answered with a mapping guessed from its six headers, the '#' ones quoted, and the guide
    "missing_column": (TABLE.replace(",Crime Index", "").replace(",34.31", "").replace(",53.07", "").encode(), 1,
                       ("missing_column.csv: unknown table layout", "Crime Index",
                        'column_mapping: {city: City, country: Country, cameras: "# of CCTV Cameras", population: '
                        '"# of People", stated_per_1000: "# of CCTV Cameras per 1,000 People", stated_per_sq_mi: '
                        "Cameras per Square Mile}", "See docs/your-own-table.md, section 2")),
    "text_in_number": (TABLE.replace("691000", "lots").encode(), 1,
                       ("text_in_number.csv, line 3, column '# of CCTV Cameras'", "'lots'")),
    "negative_count": (TABLE.replace("691000", "-691000").encode(), 1,
                       ("negative_count.csv, line 3, column '# of CCTV Cameras'", "negative")),
    "utf16": (TABLE.encode("utf-16"), 1, ("utf16.csv", "UTF-8")),
}


@pytest.mark.parametrize("fault", list(TABLE_FAULTS))
def test_bad_city_table_publishes_nothing(project, outputs, fault):
    content, code, fragments = TABLE_FAULTS[fault]
    if content is not None:
        (project / f"{fault}.csv").write_bytes(content)
    before = snapshot(outputs)
    check(run(project, "-p", f"city_tables=[{fault}.csv]", article=False), code, *fragments)
    assert snapshot(outputs) == before


# A table in the 2021 layout saved with a byte-order mark and CRLF line ends, a padded name and a population in
# millions: London on file line 2, Tokyo on line 3.
BOM_TABLE = ("\ufeff" + "\r\n".join([HEADER.strip(), 'London ,England (UK),"691,000",9.43M,73.31,1138.48,53.07',
                                    "Tokyo,Japan,39504,37339804,1.06,7.54,"]) + "\r\n").encode("utf-8")


def published_tables() -> str:
    """The ``city_tables`` value of `with_tables`: mytable.csv, bom.csv, then each table of `HOSTILE_PUBLISHED`
    with the option that makes it readable."""
    return ("[{path: mytable.csv, edition: '2021'}, {path: bom.csv, edition: '2021'}, "
            + ", ".join(e for _, e, *_ in HOSTILE_PUBLISHED.values()) + "]")


@pytest.fixture(scope="module")
def with_tables(baseline, built_once) -> Path:
    """A copy of the baseline with five city tables published over the article-only outputs in one run: a
    two-city table (mytable.csv), `BOM_TABLE` (bom.csv) and the three hostile tables of `HOSTILE_PUBLISHED`; the
    run's terminal output is kept in published.txt. Their city results appear in 02_density and tables only."""
    def build(root: Path) -> None:
        shutil.copytree(baseline, root, symlinks=True, dirs_exist_ok=True)
        (root / "mytable.csv").write_text(TABLE, encoding="utf-8")
        (root / "bom.csv").write_bytes(BOM_TABLE)
        for name, (content, *_) in HOSTILE_PUBLISHED.items():
            (root / f"{name}.csv").write_bytes(content)
        text = check(run(root, "-p", f"city_tables={published_tables()}", article=False), 0)
        (root / "published.txt").write_text(text, encoding="utf-8")
        city_files = [p for p in snapshot(root / "outputs") if re.search(r"/city_densities\.", p)]
        assert {p.split("/")[0] for p in city_files} == {"02_density", "tables"}

    return built_once("faults-with-tables", build)


@pytest.fixture
def tabled(with_tables, tmp_path) -> Path:
    return copy_of(with_tables, tmp_path / "project")


def rows_of(outputs: Path, rel: str, source: str) -> pd.DataFrame:
    """The rows of city table ``source`` in a published table (``source`` names the table a row came from)."""
    table = pd.read_csv(outputs / rel, keep_default_na=False)
    return table[table["source"] == source]


def test_crlf_with_a_byte_order_mark_in_the_known_layout(with_tables):
    outputs = with_tables / "outputs"
    assert rows_of(outputs, "01_data_cleaning/cities.csv", "bom")["city"].tolist() == ["London", "Tokyo"]
    # 691,000 / 9.43M x 1000 = 73.28 with 9.43M exact; 73.31 fits once 9.43M is read as [9.425M, 9.435M]
    densities = rows_of(outputs, "02_density/city_densities.csv", "bom").set_index("city")
    assert densities.loc["London", "per_1000_check"] == "consistent within rounding"


def test_edited_city_table_is_rerun_and_republished(tabled):
    outputs = tabled / "outputs"
    (tabled / "mytable.csv").write_text(TABLE.replace("691000", "700000"), encoding="utf-8")  # London's cameras
    text = check(run(tabled, "-p", f"city_tables={published_tables()}", article=False), 0)
    assert status(text, "01_data_cleaning") == "ran"
    for rel in ("01_data_cleaning/cities.csv", "02_density/city_densities.csv", "tables/city_densities.csv"):
        cameras = rows_of(outputs, rel, "mytable").set_index("city")["cameras"]
        assert cameras.to_dict() == {"Taiyuan": 465255, "London": 700000}, rel
    assert_consistent(outputs)


def test_article_only_run_removes_the_city_table_results(baseline, tabled):
    outputs = tabled / "outputs"
    text = check(run(tabled), 0)
    assert status(text, "01_data_cleaning") == "ran"
    assert not [p for p in snapshot(outputs) if re.search(r"/city_densities\.", p)]
    assert snapshot(outputs) == snapshot(baseline / "outputs")  # same inputs as the baseline: the same tree
    assert_consistent(outputs)


# ----------------------------------------------------------------------------- scenarios that go away
def gone(outputs: Path, scenario: str) -> None:
    """Nothing of ``scenario`` is left in the published tree."""
    assert not (outputs / "03_scenarios" / scenario).exists() and not (outputs / "sensitivity" / scenario).exists()
    assert not [p for p in snapshot(outputs) if re.match(rf"(tables|figures)/.*_{scenario}\.", p)]


def test_scenario_removed_from_the_file_is_gone_from_the_outputs(project, outputs):
    edit_scenarios(project, HIGH_BLOCK, "")
    text = check(run(project), 0)
    assert status(text, "03_scenarios/conservative") == "ran"  # it reads the edited scenarios.yml
    gone(outputs, "high")
    assert (outputs / "04_compare/scenario_comparison.csv").read_text().splitlines()[0] == "quantity,conservative"
    assert_consistent(outputs)


def test_scenario_renamed_then_a_failing_one_leaves_the_published_scenarios_alone(project, outputs):
    """`high` renamed `sens`, a name that starts like the sensitivity step's: its results are published under the
    new name and nothing of `high` is left; then a scenario whose run fails publishes nothing, and the published
    scenarios stay as they were."""
    edit_scenarios(project, "  high:\n", "  sens:\n")
    text = check(run(project), 0)
    assert status(text, "03_scenarios/conservative") == "ran"  # it reads the edited scenarios.yml
    gone(outputs, "high")
    header = (outputs / "04_compare/scenario_comparison.csv").read_text().splitlines()[0]
    assert header == "quantity,conservative,sens"
    before = snapshot(outputs)
    assert {"03_scenarios/sens/national.csv", "sensitivity/sens/sensitivity.csv", "tables/national_sens.csv",
            "figures/sensitivity_sens.png"} <= set(before)
    assert_consistent(outputs)
    edit_scenarios(project, "scenarios:\n", "scenarios:\n  broken:\n    china_cameras: 550000000\n")
    edit_cells(project, "03_scenarios", lambda cells: cells.insert(
        3, code_cell('if scenario == "broken":\n    raise RuntimeError("scenario broken fails")')))
    text = check(run(project), 1, "notebooks/03_scenarios.ipynb [scenario broken] failed",
                 "RuntimeError: scenario broken fails")
    assert status(text, "03_scenarios/sens") == "ran"  # it ran, and nothing of it was published
    assert snapshot(outputs) == before


# ----------------------------------------------------------------------------- failing notebooks
def test_failing_cell_mid_batch_publishes_nothing(project, outputs):
    before = snapshot(outputs)
    edit_cells(project, "04_compare", lambda cells: cells.insert(4, code_cell('raise RuntimeError("boom")')))
    # the message counts cells of the source notebook from 0, markdown included (helpers.pipeline.engines.cell_message)
    check(run(project), 1, "notebooks/04_compare.ipynb failed in cell 4", "RuntimeError: boom", "nothing published")
    assert snapshot(outputs) == before


@pytest.mark.slow
def test_failing_cell_in_a_kernel_publishes_nothing_and_keeps_the_executed_notebook(tiny):
    outputs = tiny / "outputs"
    before = snapshot(outputs)
    path = tiny / "nb/b.ipynb"
    nb = json.loads(path.read_text(encoding="utf-8"))
    nb["cells"].insert(2, code_cell('raise RuntimeError("boom")'))  # after the markdown title and parameters cell
    path.write_text(json.dumps(nb), encoding="utf-8")
    # the kernel engine reruns a and b (the engine is part of every run's key); b fails in its cell 2
    check(tiny_run(tiny, engine="kernel"), 1, "nb/b.ipynb failed in cell 2", "RuntimeError: boom", "nothing published")
    assert snapshot(outputs) == before
    assert (outputs / "failed/b.ipynb").is_file()


# ----------------------------------------------------------------------------- notebooks' parameters cells
def test_parameters_cell_value_outside_its_type_is_refused(project, outputs):
    """A notebook parameter's default is its parameters cell's value (helpers/pipeline/steps.py): one that breaks
    the step table's type for it stops the run before anything runs."""
    before = snapshot(outputs)
    edit_cells(project, "02_density", lambda cells: params_cell(cells).update(
        source=source_of(params_cell(cells)).replace("approx_tolerance = 0.05 ", "approx_tolerance = 5 ")))
    check(run(project), 2, "notebooks/02_density.ipynb: parameters cell assigns approx_tolerance: input should be "
                           "less than or equal to 1, got 5")
    assert snapshot(outputs) == before


@pytest.mark.parametrize("fault, fragment", [("extra", "parameters cell assigns bogus_knob"),
                                             ("missing", "parameters cell lacks area_outlier_factor")])
def test_parameters_cell_out_of_step_with_the_table_is_refused(project, outputs, fault, fragment):
    before = snapshot(outputs)

    def change(cells):
        cell = params_cell(cells)
        lines = source_of(cell).splitlines(keepends=True)
        cell["source"] = ([*lines, "\nbogus_knob = 1\n"] if fault == "extra"
                          else [ln for ln in lines if not ln.startswith("area_outlier_factor")])

    edit_cells(project, "02_density", change)
    check(run(project), 2, f"notebooks/02_density.ipynb: {fragment}")
    assert snapshot(outputs) == before


# ----------------------------------------------------------------------------- damaged outputs folder (tiny project)
def test_corrupt_manifest_is_rewritten(tiny):
    outputs = tiny / "outputs"
    before = snapshot(outputs)
    (outputs / "manifest.json").write_text("{garbage", encoding="utf-8")
    text = check(tiny_run(tiny), 0)
    assert status(text, "b") == "skipped-unchanged"
    assert snapshot(outputs) == before


def test_corrupt_run_record_reruns_that_step(tiny):
    outputs = tiny / "outputs"
    before = snapshot(outputs)
    (outputs / ".cache/a.json").write_text("{garbage", encoding="utf-8")
    text = check(tiny_run(tiny), 0, "warning: outputs/.cache/a.json is unreadable")
    assert status(text, "a") == "ran"
    assert json.loads((outputs / ".cache/a.json").read_text())["files"]
    assert snapshot(outputs) == before
    assert_consistent(outputs)


@pytest.mark.parametrize("leftover", ["staging_and_trash", "journal_cut_short"])
def test_leftovers_of_a_killed_run_are_cleared(tiny, leftover):
    outputs = tiny / "outputs"
    before = snapshot(outputs)
    if leftover == "staging_and_trash":
        for junk in (".staging/a/junk", ".trash/0/junk"):
            (outputs / junk).parent.mkdir(parents=True)
            (outputs / junk).write_text("junk")
    else:  # never committed (its write was cut short): dropped
        (outputs / ".journal.json").write_text('{"moves": [[".staging/a", "a')
    check(tiny_run(tiny), 0, *(["finished publishing an interrupted run"] if leftover != "staging_and_trash" else []))
    assert snapshot(outputs) == before
    assert_consistent(outputs)


KILL_DURING_PUBLICATION = """
import os, sys
sys.path.insert(0, os.getcwd())
from driver import pipeline
from helpers.pipeline import publish, run
left = int(sys.argv.pop(1))  # os.replace calls of the publication allowed before the process dies
real_replace, real_carry_out = os.replace, publish._carry_out

def replace(src, dst):
    global left
    if left == 0:
        os._exit(9)
    left -= 1
    real_replace(src, dst)

def carry_out(*args):  # after the journal (the commit point) is written
    os.replace = replace
    real_carry_out(*args)

publish._carry_out = carry_out
sys.exit(run.main(sys.argv[1:], factory=pipeline))
"""


@pytest.mark.parametrize("moves_done", [0, 1, 3])
def test_journal_of_a_killed_publication_is_finished(tiny, tmp_path, moves_done):
    outputs = tiny / "outputs"
    script = tmp_path / "killed.py"
    script.write_text(KILL_DURING_PUBLICATION, encoding="utf-8")
    args = ["--engine", "python", "--jobs", "2", "-p", "size=2"]
    killed = subprocess.run([sys.executable, str(script), str(moves_done), *args], cwd=tiny, env=env(tiny),
                            capture_output=True, text=True, timeout=300)
    assert killed.returncode == 9 and (outputs / ".journal.json").is_file(), killed.stderr[-3000:]
    text = check(tiny_run(tiny, "-p", "size=2"), 0, "finished publishing an interrupted run")
    assert {status(text, s) for s in ("a", "b")} == {"skipped-unchanged"}  # published by the journal
    after = snapshot(outputs)
    assert after["a/a.txt"] == b"a" * 200  # 100 * size characters, size 2
    assert after["b/b.txt"] == b"200"  # the length of a.txt: b's run from the same publication
    assert_consistent(outputs)


def test_folder_that_is_not_an_outputs_folder_is_refused(tiny, tmp_path):
    before = snapshot(tiny / "outputs")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("precious", encoding="utf-8")
    check(tiny_run(tiny, "--outputs", str(mine)), 2, f"{mine} is not empty", "not an outputs folder")
    assert (mine / "notes.txt").read_text(encoding="utf-8") == "precious"
    assert snapshot(tiny / "outputs") == before


def test_other_outputs_root_leaves_the_project_outputs_alone(tiny, tmp_path):
    outputs = tiny / "outputs"
    before = snapshot(outputs)
    other = tmp_path / "o2"
    check(tiny_run(tiny, "--outputs", str(other)), 0, f"run record: {other}/run-record.json")
    assert snapshot(outputs) == before
    assert snapshot(other) == before  # same inputs and engine: the same published tree
    assert_consistent(other)


def test_second_runner_on_the_same_outputs_is_refused(tiny):
    outputs = tiny / "outputs"
    before = snapshot(outputs)
    with open(outputs / ".lock", "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = tiny_run(tiny, "-p", "size=2")  # something would run
    check(result, 2, "another runner is using outputs (lock outputs/.lock)")
    assert snapshot(outputs) == before


# ----------------------------------------------------------------------------- the file system says no (tiny project)
def test_disk_full_publishes_nothing_and_names_the_path(tiny):
    outputs = tiny / "outputs"
    before = snapshot(outputs)

    def small_files() -> None:  # the executed notebooks' HTML copies are larger than this
        resource.setrlimit(resource.RLIMIT_FSIZE, (20000, 20000))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes then fail with EFBIG instead of killing

    result = tiny_run(tiny, "-p", "size=2", preexec_fn=small_files)  # a and b must rerun
    check(result, 1, "File too large", "nothing published")
    problems = "\n".join(ln for ln in result.stderr.splitlines() if ln.startswith(("FAILED", "error")))
    named = r"outputs/[\w./-]+\S*: .*File too large|File too large: '[^']*outputs/[\w./-]+"  # path first or last
    assert re.search(named, problems), problems
    assert snapshot(outputs) == before


def test_disk_full_inside_a_notebook_names_the_file(project, outputs):
    """A write that fails inside a notebook's own code (the project's writers, helpers/atomic.py) names the file
    being written, not just the error number."""
    before = snapshot(outputs)

    def small_files() -> None:  # notebook 02's figures are larger than this; its first CSV tables are not
        resource.setrlimit(resource.RLIMIT_FSIZE, (30000, 30000))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

    result = run(project, "--force", "02", preexec_fn=small_files)
    check(result, 1, "notebooks/02_density.ipynb failed", "File too large", "nothing published")
    # the runner names a staged file as it will be published (runner.py)
    assert re.search(r"File too large: 'outputs/02_density/[\w.-]+'", result.stderr), result.stderr
    assert snapshot(outputs) == before


def unprivileged() -> tuple[str, ...]:
    """A command prefix that makes permission bits apply (root without capabilities), or skip."""
    if os.geteuid() != 0:
        return ()
    if not shutil.which("setpriv"):
        pytest.skip("running as root, and setpriv (to drop root's capabilities) is not available")
    probe = subprocess.run(["setpriv", "--bounding-set=-all", "--inh-caps=-all", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"running as root, and setpriv cannot drop capabilities: {probe.stderr.decode().strip()}")
    return ("setpriv", "--bounding-set=-all", "--inh-caps=-all")


def read_only(outputs: Path, writable: tuple[str, ...]) -> None:
    for path in [outputs, *outputs.rglob("*")]:
        path.chmod(path.stat().st_mode & ~0o222)
    for rel in writable:
        (outputs / rel).chmod((outputs / rel).stat().st_mode | 0o200)


def writable_again(outputs: Path) -> None:
    for path in [outputs, *outputs.rglob("*")]:
        path.chmod(path.stat().st_mode | 0o200)


@pytest.mark.parametrize("writable, path", [((), r"outputs/\.lock"), (("", ".lock"), r"outputs/\w+")],
                         ids=["all_read_only", "step_folders_read_only"])
def test_read_only_outputs_publish_nothing(tiny, writable, path):
    prefix = unprivileged()
    outputs = tiny / "outputs"
    before = snapshot(outputs)
    read_only(outputs, writable)
    try:
        result = tiny_run(tiny, "-p", "size=2", prefix=prefix)  # a and b must rerun
    finally:
        writable_again(outputs)
    check(result, 1)
    assert re.search(rf"^error: .*{path}: Permission denied", result.stderr, re.M), result.stderr[-3000:]
    assert snapshot(outputs) == before


def test_failed_publication_leaves_a_consistent_tree(tiny):
    """Publication fails after its journal is written; the next runner must not record files that never arrived."""
    prefix = unprivileged()
    outputs = tiny / "outputs"
    read_only(outputs, ("", ".lock"))
    try:
        result = tiny_run(tiny, "-p", "size=2", prefix=prefix)
    finally:
        writable_again(outputs)
    assert result.returncode == 1 and re.search(r"outputs/\w+: Permission denied", result.stderr), result.stderr
    check(tiny_run(tiny, "-p", "size=2", "--dry-run"), 0, "a: would run")
    assert_consistent(outputs)


# ----------------------------------------------------------------------------- signals (tiny project)
@pytest.mark.slow
@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["SIGINT", "SIGTERM"])
def test_signal_stops_the_run_and_publishes_nothing(tiny, sig, code):
    outputs = tiny / "outputs"
    before = snapshot(outputs)
    proc = start_and_wait(tiny, "--force", engine="kernel")
    kernels = descendants(proc.pid)
    proc.send_signal(sig)
    try:
        _, stderr = proc.communicate(timeout=3)
    except subprocess.TimeoutExpired:  # SIGABRT: the runner's threads' stacks on its stderr (PYTHONFAULTHANDLER)
        proc.send_signal(signal.SIGABRT)
        pytest.fail(f"still running 3 s after {sig.name}: {proc.communicate()[1][-6000:]}")
    assert proc.returncode == code, stderr[-3000:]
    assert "interrupted: nothing published" in stderr
    assert not (outputs / ".staging").exists()
    assert snapshot(outputs) == before
    wait_for(lambda: not [p for p in kernels if alive(p)], "kernels outlived the runner", 3)


@pytest.mark.parametrize("engine", ["python", "kernel"])
def test_kill_9_mid_run_leaves_no_process_and_the_next_run_recovers(tiny, engine):
    """Every process the runner started ends within 2 s of its kill -9, by itself (a plain run polls its parent,
    multiprocessing's forkserver and resource tracker their pipes from the runner, as ipykernel does); the next run,
    started at once, waits for the runs (they hold the outputs lock) and publishes nothing of the killed run."""
    outputs = tiny / "outputs"
    before = snapshot(outputs)
    proc = start_and_wait(tiny, "--force", engine=engine)
    children = descendants(proc.pid)
    runs = [p for p in children if os.getsid(p) == p]  # each run leads a session of its own, as kernels do
    lock = str((outputs / ".lock").resolve())
    assert runs and all(lock in open_files(p) for p in runs)
    proc.kill()
    proc.communicate()
    killed = time.monotonic()
    (tiny / "pause").unlink()
    following = subprocess.Popen(tiny_command(), cwd=tiny, env=env(tiny), text=True, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE)
    wait_for(lambda: not [p for p in children if alive(p)], "the killed runner's processes did not end", 2)
    assert time.monotonic() - killed < 2
    stdout, stderr = following.communicate(timeout=120)
    text = check(subprocess.CompletedProcess(following.args, following.returncode, stdout, stderr), 0)
    assert status(text, "a") == "skipped-unchanged"  # nothing of the killed run was published
    assert snapshot(outputs) == before
    assert_consistent(outputs)


# ----- hostile input (issue 24)
# Inputs an adversarial user might give: each is refused with a one-line message naming the file, line and (for a
# cell) column, and nothing is published; the success cases publish exactly what the table says.
NAME_RULE = "a scenario name must be 1 to 64 characters"
ALIASES = "YAML anchors and aliases (&name, *name) are not allowed"
BOMB = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(  # eight levels of ten aliases: 10^8 leaves if expanded
    f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 9))
END = re.compile(r"\Z")  # appends to scenarios.yml
HOSTILE_SCENARIOS = {  # id: (old text, new text, marker of the faulty line, expected "<message>" after "line N: ")
    "name_trailing_newline": ("  high:\n", '  "high\\n":\n', '"high\\n"', f"scenarios.high : {NAME_RULE}"),
    "name_65_chars": ("  high:\n", f"  {'h' * 65}:\n", "h" * 65, f"scenarios.{'h' * 65}: {NAME_RULE}"),
    "name_300_chars": ("  high:\n", f"  {'h' * 300}:\n", "h" * 300, f"scenarios.{'h' * 300}: {NAME_RULE}"),
    "name_with_slash": ("  high:\n", "  hi/gh:\n", "hi/gh", f"scenarios.hi/gh: {NAME_RULE}"),
    "name_dot_dot": ("  high:\n", '  "..":\n', '"..":', f"scenarios...: {NAME_RULE}"),
    "anchor_and_alias": ("china_cameras: {figure: china_cameras_high}", "china_cameras: &c {figure: china_cameras_high}"
                         "\n    x: *c", "&c", ALIASES),
    "alias_alone": ("china_cameras: {figure: china_cameras_high}", "china_cameras: *c", "*c", ALIASES),
    "alias_bomb": (END, BOMB, "a0: &a0", ALIASES),
    "nested_40_deep": (END, "deep: " + "[" * 40 + "]" * 40 + "\n", "deep:",
                       "mappings and lists are nested more than 32 levels deep"),
    "impossible_date": ("  year: 2021\n", "  year: 2021-02-30\n", None, "not valid YAML: day is out of range"),
}


@pytest.mark.parametrize("fault", list(HOSTILE_SCENARIOS))
def test_hostile_scenarios_file_is_refused_naming_the_line(project, outputs, fault):
    old, new, marker, message = HOSTILE_SCENARIOS[fault]
    before = snapshot(outputs)
    edited = edit_scenarios(project, old, new)
    if marker is None:  # a value that fails after parsing, with no line to name
        check(run(project), 2, f"data/raw/scenarios.yml: {message}")
    else:
        line = next(i for i, text in enumerate(edited.splitlines(), 1) if marker in text)
        check(run(project), 2, f"data/raw/scenarios.yml line {line}: {message}")
    assert snapshot(outputs) == before


def test_hostile_scenarios_file_over_1_mb_is_refused_unread(project, outputs):
    before = snapshot(outputs)
    edited = edit_scenarios(project, END, "#" * 1_000_000 + "\n")  # a comment of a million characters
    size = len(edited.encode("utf-8"))  # the real file's bytes + 1,000,001
    check(run(project), 2, f"data/raw/scenarios.yml: {size:,} bytes, more than the 1,000,000 a config file may hold")
    assert snapshot(outputs) == before


def test_hostile_scenarios_file_not_utf8_names_the_line(project, outputs):
    before = snapshot(outputs)
    path = project / "data/raw/scenarios.yml"
    text = path.read_text(encoding="utf-8")
    line = text[:text.index("  high:\n")].count("\n") + 1  # `high` becomes `hé` (latin-1 0xe9) on its own line
    path.write_bytes(text.replace("  high:\n", "  h\u00e9:\n").encode("latin-1", "replace"))
    subprocess.run([sys.executable, "-m", "helpers.data.checksums", "--write"], cwd=project, env=env(project),
                   check=True, capture_output=True)
    check(run(project), 2, f"data/raw/scenarios.yml line {line}: not UTF-8 text")
    assert snapshot(outputs) == before


BOGOTA = TABLE.replace("London", "Bogotá")  # "á" is 0xe1 in latin-1, on line 3
HOSTILE_TABLES = {  # id: (file content, exit status, fragments of the message); the table is <id>.csv
    # TABLE's lines: header 1, Taiyuan 2, London 3; an appended row is line 4
    "truncated_last_row": ((TABLE + "Shenyang,China,200000,73\n").encode(), 1,
                           ("truncated_last_row.csv, line 4: 4 fields; the header has 7",)),
    "truncated_no_newline": ((TABLE + "Shenyang,China,200000,73").encode(), 1,
                             ("truncated_no_newline.csv, line 4: 4 fields; the header has 7",)),
    "extra_field": (TABLE.replace("53.07\n", "53.07,x\n").encode(), 1, ("extra_field.csv, line 3: 8 fields",)),
    "header_only": (HEADER.encode(), 1, ("header_only.csv: the table has no data rows",)),
    "header_blank_lines": ((HEADER + "\n  \n").encode(), 1, ("header_blank_lines.csv: the table has no data rows",)),
    "empty": (b"", 1, ("empty.csv: the table has no data rows",)),
    "city_2000_chars": (TABLE.replace("London", "L" * 2000).encode(), 1,
                        ("city_2000_chars.csv, line 3, column 'City': a cell of 2,000 characters",)),
    "city_1mb": (TABLE.replace("London", "L" * 1_000_000).encode(), 1,
                 ("city_1mb.csv, line 3, column 'City': a cell of 1,000,000 characters",)),
    "country_1001_chars": (TABLE.replace("England (UK)", "E" * 1001).encode(), 1,
                           ("country_1001_chars.csv, line 3, column 'Country': a cell of 1,001 characters",)),
    "duplicate_city": ((TABLE + "London,UK,1,2,3,4,5\n").encode(), 1,
                       ("duplicate_city.csv, line 4, column 'City': the city 'London' (United Kingdom) is also on "
                        "line 3",)),
    "population_0": (TABLE.replace("9425622", "0").encode(), 1,
                     ("population_0.csv, line 3, column '# of People': population must be above 0; got 0",)),
    "latin1": (BOGOTA.encode("latin-1"), 1,
               ("latin1.csv, line 3: byte 0xe1 is not UTF-8 text", "encoding: latin-1")),
    # an unclosed quote takes the rest of the file into one field
    "unclosed_quote": ((TABLE + '"Osaka,Japan,1,2,3,4,5\n').encode(), 1,
                       ("unclosed_quote.csv, line 4: 1 field; the header has 7",)),
}


@pytest.mark.parametrize("fault", list(HOSTILE_TABLES))
def test_hostile_city_table_publishes_nothing(project, outputs, fault):
    content, code, fragments = HOSTILE_TABLES[fault]
    (project / f"{fault}.csv").write_bytes(content)
    before = snapshot(outputs)
    text = check(run(project, "-p", f"city_tables=[{fault}.csv]", article=False), code, *fragments)
    assert "greater_than" not in text and "uniqueness" not in text
    assert snapshot(outputs) == before


HOSTILE_OPTIONS = {  # id: (files to write, the city_tables value, exit status, fragments of the message)
    "unknown_table_name": ({}, "[comparitech_2099]", 2,
                           ("'comparitech_2099' is neither an existing file", "known: comparitech_2021")),
    "unknown_encoding": ({"t.csv": TABLE}, "[{path: t.csv, encoding: latin-9x}]", 2, ("unknown encoding 'latin-9x'",)),
    "corrections_alias": ({"t.csv": TABLE, "fix.yml": "city_names: &c {x: y}\ncountry_aliases: *c\n"},
                          "[{path: t.csv, corrections: fix.yml}]", 1, (f"fix.yml line 1: {ALIASES}",)),
    "mapping_alias_bomb": ({"t.csv": TABLE, "map.yml": "columns: {city: City, country: Country}\n" + BOMB},
                           "[{path: t.csv, column_mapping: map.yml}]", 1, (f"map.yml line 2: {ALIASES}",)),
    "corrections_too_deep": ({"t.csv": TABLE, "fix.yml": "values: " + "[" * 40 + "]" * 40 + "\n"},
                             "[{path: t.csv, corrections: fix.yml}]", 1,
                             ("fix.yml line 1: mappings and lists are nested more than 32 levels deep",)),
    # line 4 of map.yml: an unquoted '# of CCTV Cameras' is a YAML comment, the header null
    "mapping_hash_header": ({"t.csv": TABLE, "map.yml": "columns:\n  city: City\n  country: Country\n"
                                                        "  cameras: # of CCTV Cameras\n"},
                            "[{path: t.csv, column_mapping: map.yml}]", 1,
                            ("map.yml line 4: this value is empty to YAML",
                             'quote it: cameras: "# of CCTV Cameras"')),
    "population_0_by_correction": (
        {"t.csv": TABLE, "fix.yml": "values: [{city: London, column: population, value: 0, source: a typo}]\n"},
        "[{path: t.csv, corrections: fix.yml}]", 1, ("t.csv, line 3, column '# of People': population must be above "
                                                     "0; got 0",)),
}


@pytest.mark.parametrize("fault", list(HOSTILE_OPTIONS))
def test_hostile_table_option_publishes_nothing(project, outputs, fault):
    files, value, code, fragments = HOSTILE_OPTIONS[fault]
    for name, text in files.items():
        (project / name).write_text(text, encoding="utf-8")
    before = snapshot(outputs)
    check(run(project, "-p", f"city_tables={value}", article=False), code, *fragments)
    assert snapshot(outputs) == before


HOSTILE_PUBLISHED = {  # table name: (file content, its city_tables entry, cities published (line: city),
    # a cleaning-log entry (row, column, before, after, rule) or None)
    # line 3: "Bogotá" in latin-1, read with the encoding declared
    "latin1": (BOGOTA.encode("latin-1"), "{path: latin1.csv, encoding: latin-1, edition: '2021'}",
               {2: "Taiyuan", 3: "Bogotá"}, None),
    # line 4: 'Medelln' (Medellín with its accented letter lost), kept and warned about; line 5 cut short, dropped;
    # no edition given
    "truncated": ((TABLE + "Medelln,Colombia,1000,2500000,0.4,2,50\nShenyang,China,200000,73\n").encode(),
                  "{path: truncated.csv, on_bad_rows: drop}", {2: "Taiyuan", 3: "London", 4: "Medelln"},
                  ("5", "*", "Shenyang,China,200000,73", "", "bad_row_dropped: wrong number of fields")),
    "duplicate": ((TABLE + "London,UK,1,2,3,4,5\n").encode(),
                  "{path: duplicate.csv, on_bad_rows: drop, edition: '2021'}",
                  {2: "Taiyuan", 3: "London"},
                  ("4", "City", "", "", "bad_row_dropped: the city 'London' (United Kingdom) is also on line 3")),
}


def test_hostile_tables_with_their_options_are_published_and_their_warnings_counted(with_tables):
    """Three hostile tables, each published with the option that makes it readable, in one run with mytable.csv and
    bom.csv (`with_tables`; each table's rows and log entries carry its name); the terminal counts each table's
    warnings once, and only for tables that have some (tests/test_table_advice.py)."""
    outputs = with_tables / "outputs"
    text = (with_tables / "published.txt").read_text(encoding="utf-8")
    assert ("city tables: warnings (each with its line in outputs/01_data_cleaning/cleaning_log.csv; how to act "
            "on them: docs/your-own-table.md, section 6)\n"
            "  truncated: 1 damaged name, 1 row dropped (on_bad_rows: drop); no edition given (edition "
            "differences are judged inconsistent)\n"
            "  duplicate: 1 row dropped (on_bad_rows: drop)\n") in text, text[-3000:]
    assert text.count("city tables: warnings") == 1
    assert "  latin1:" not in text and "  mytable:" not in text and "  bom:" not in text
    cities = pd.read_csv(outputs / "01_data_cleaning/cities.csv", keep_default_na=False)
    log = pd.read_csv(outputs / "01_data_cleaning/cleaning_log.csv", keep_default_na=False, dtype=str)
    for name, (_, _, published, logged) in HOSTILE_PUBLISHED.items():
        rows = cities[cities["source"] == name]
        assert dict(zip(rows["source_row"].astype(int), rows["city"], strict=True)) == published, name
        if logged is not None:
            entries = log.loc[log["source"] == name, ["row", "column", "before", "after", "rule"]]
            assert logged in set(entries.itertuples(index=False, name=None)), (name, entries.values.tolist())
    sources = pd.read_csv(outputs / "01_data_cleaning/city_sources.csv").set_index("name")
    assert sources["rows"].to_dict() == {"mytable": 2, "bom": 2, "latin1": 2, "truncated": 3, "duplicate": 2}
    assert sources["dropped_rows"].to_dict() == {"mytable": 0, "bom": 0, "latin1": 0, "truncated": 1, "duplicate": 1}
    assert_consistent(outputs)
