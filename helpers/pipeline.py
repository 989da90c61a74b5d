"""The notebook pipeline, declared as data: which notebooks run, with which parameters, in which order.

Each `Step` names a notebook, its parameters, the files it reads (`inputs`, globs relative to the
root; the recorded outputs of its upstream steps are added by the runner), the files it may write
(`outputs`, globs) and the steps it runs `after`. `default_pipeline` builds the project's pipeline;
tests build their own `Pipeline` on throwaway notebooks.
"""

from __future__ import annotations

import glob
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from helpers.errors import ProjectError
from helpers.paths import PROJECT_ROOT

COMMON = "common"
SCENARIOS_FILE = "data/raw/scenarios.yml"
# Code whose change invalidates every step: the helpers the notebooks import and the pinned environment.
CODE_GLOBS: tuple[str, ...] = ("helpers/**/*.py", "requirements.lock")
SCENARIO_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


class PipelineError(ProjectError):
    """The pipeline definition or a runner option is inconsistent (the message says how)."""


@dataclass(frozen=True)
class Step:
    """One notebook execution."""

    name: str  # notebook stem, e.g. "03_scenarios"
    notebook: str  # path relative to the pipeline root
    parameters: dict[str, Any] = field(default_factory=dict)
    inputs: tuple[str, ...] = ()  # globs of files read (besides upstream outputs)
    outputs: tuple[str, ...] = ()  # globs of files the notebook may write
    after: tuple[str, ...] = ()  # ids of the steps that must finish first
    scenario: str | None = None
    exclude: tuple[str, ...] = ()  # globs matching other steps' files among ``outputs``

    @property
    def group(self) -> str:
        """Folder under outputs/notebooks/ (and failed/, .cache/): the scenario or 'common'."""
        return self.scenario or COMMON

    @property
    def id(self) -> str:
        return f"{self.group}/{self.name}"


@dataclass(frozen=True)
class Pipeline:
    """Steps plus the root they are relative to and where the runner keeps its own files."""

    root: Path
    steps: tuple[Step, ...]
    outputs_dir: str = "outputs"  # executed notebooks, .cache/, failed/, .tmp/, manifest.json
    code: tuple[str, ...] = CODE_GLOBS

    def __post_init__(self) -> None:
        ids = [s.id for s in self.steps]
        if len(set(ids)) != len(ids):
            raise PipelineError(f"duplicate step ids in {ids}")
        for step in self.steps:
            missing = set(step.after) - set(ids)
            if missing:
                raise PipelineError(f"step {step.id} runs after unknown step(s) {sorted(missing)}")
        self.ordered()  # raises on a cycle

    def path(self, rel: str | Path) -> Path:
        """``rel`` as an absolute path (relative paths are taken from the root)."""
        p = Path(rel).expanduser()
        return p if p.is_absolute() else self.root / p

    def rel(self, path: str | Path) -> str:
        """``path`` relative to the root when inside it, for manifests and messages."""
        p = Path(path).resolve()
        try:
            return p.relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return p.as_posix()

    def expand(self, patterns: Iterable[str]) -> list[Path]:
        """Existing files matching any of the globs (``**`` recurses), sorted, without duplicates."""
        found = {Path(p) for pat in patterns for p in glob.glob(str(self.path(pat)), recursive=True)}
        return sorted(p for p in found if p.is_file())

    def outputs_of(self, step: Step) -> list[Path]:
        """Existing files matching the step's output globs and not its exclusions."""
        excluded = set(self.expand(step.exclude))
        return [p for p in self.expand(step.outputs) if p not in excluded]

    def get(self, step_id: str) -> Step:
        return next(s for s in self.steps if s.id == step_id)

    def ordered(self) -> list[Step]:
        """Steps in dependency order (stable: declaration order among ready steps)."""
        done: list[str] = []
        left = list(self.steps)
        while left:
            ready = [s for s in left if set(s.after) <= set(done)]
            if not ready:
                raise PipelineError(f"dependency cycle among {[s.id for s in left]}")
            done.extend(s.id for s in ready)
            left = [s for s in left if s not in ready]
        return [self.get(i) for i in done]

    def ancestors(self, step: Step) -> list[Step]:
        """Every step ``step`` depends on, directly or not, in dependency order."""
        seen: set[str] = set()
        todo = list(step.after)
        while todo:
            sid = todo.pop()
            if sid not in seen:
                seen.add(sid)
                todo.extend(self.get(sid).after)
        return [s for s in self.ordered() if s.id in seen]

    def select(self, only: str | None = None, scenario: str | None = None) -> list[Step]:
        """Steps to run: all, or one notebook (``03_scenarios``, ``03``), or one scenario's runs."""
        steps = self.ordered()
        if only:
            key = Path(only).stem
            steps = [s for s in steps if key in (s.name, s.name.split("_", 1)[0])]
            if not steps:
                raise PipelineError(f"--only {only}: no such notebook; known: {self.names()}")
        if scenario:
            known = sorted({s.scenario for s in self.steps if s.scenario})
            if scenario not in known:
                raise PipelineError(f"--scenario {scenario}: unknown scenario; known: {known}")
            steps = [s for s in steps if s.scenario in (None, scenario)]
        return steps

    def names(self) -> list[str]:
        return list(dict.fromkeys(s.name for s in self.ordered()))


def scenario_names(path: Path) -> list[str]:
    """Scenario names, in file order, from the top-level ``scenarios:`` mapping of ``path``."""
    if not path.is_file():
        raise PipelineError(f"{path} not found: the scenario runs of 03_scenarios take their names from it")
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    scenarios = data.get("scenarios") if isinstance(data, dict) else None
    if not isinstance(scenarios, dict) or not scenarios:
        raise PipelineError(f"{path}: expected a top-level 'scenarios:' mapping of name -> definition")
    names = [str(n) for n in scenarios]
    bad = [n for n in names if n == COMMON or not SCENARIO_NAME.match(n)]
    if bad:
        raise PipelineError(f"{path}: scenario names {bad} are not usable as folder names (or are '{COMMON}')")
    return names


def declared_parameters(notebook: Path) -> set[str]:
    """Names assigned in the cell tagged ``parameters`` (read as JSON: no nbformat import)."""
    import ast

    cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
    for cell in cells:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            tree = ast.parse(source)
            return {t.id for node in ast.walk(tree) if isinstance(node, ast.Assign | ast.AnnAssign)
                    for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
                    if isinstance(t, ast.Name)}
    return set()


def default_pipeline(root: Path = PROJECT_ROOT, processed_dir: str = "data/processed",
                     outputs_dir: str = "outputs") -> Pipeline:
    """The project's pipeline: 01 -> 02 -> 03 once per scenario -> 04.

    ``processed_dir`` and ``outputs_dir`` are passed to every notebook as given (strings relative
    to the root, or absolute); the output globs follow them.
    """
    p, o = processed_dir, outputs_dir
    dirs = {"processed_dir": p, "outputs_dir": o}
    shared_out = (f"{o}/tables/**/*", f"{o}/figures/**/*")
    nb = "notebooks/{}.ipynb".format
    steps = [
        Step("01_data_cleaning", nb("01_data_cleaning"), dict(dirs),
             inputs=("data/raw/*",), outputs=(f"{p}/**/*", *shared_out)),
        Step("02_density", nb("02_density"), dict(dirs),
             outputs=shared_out, after=(f"{COMMON}/01_data_cleaning",)),
    ]
    scenarios_nb = root / nb("03_scenarios")
    if (root / SCENARIOS_FILE).is_file() or scenarios_nb.is_file():
        names: list[str | None] = list(scenario_names(root / SCENARIOS_FILE))
    else:
        names = [None]  # notebook and scenario file both absent: one placeholder, reported 'absent'
    def named(name: str | None) -> tuple[str, ...]:  # files of one scenario run in the shared folders
        return (f"{o}/tables/**/*{name}*", f"{o}/figures/**/*{name}*") if name else ()

    for name in names:
        steps.append(Step(
            "03_scenarios", nb("03_scenarios"), {**dirs, "scenario": name} if name else dict(dirs),
            inputs=(SCENARIOS_FILE,), outputs=(f"{o}/scenarios/{name}/**/*", *named(name)) if name else (),
            after=(f"{COMMON}/02_density",), scenario=name,
            exclude=tuple(g for other in names if other and name and other != name and name in other
                          for g in named(other))))
    steps.append(Step("04_compare", nb("04_compare"), dict(dirs), inputs=(SCENARIOS_FILE,),
                      outputs=shared_out, after=tuple(s.id for s in steps if s.name == "03_scenarios")))
    return Pipeline(root=root, steps=tuple(steps), outputs_dir=outputs_dir)
