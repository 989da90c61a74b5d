"""The step table expanded into concrete runs: one `Step` per row, or per scenario for per-scenario rows.

`Pipeline` holds the runs in dependency order (dependencies come from each row's ``uses``), the project
root and the outputs root, and answers layout questions: which folders a run owns, which folders it
reads. Nothing here looks at what lies in the outputs folder.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from helpers.errors import ProjectError
from helpers.paths import PROJECT_ROOT
from helpers.pipeline.steps import OUTPUTS_DIR, STEP_TABLE, StepSpec

ALL = "*"  # ``uses`` value: every other run's folders (the gather step)


class PipelineError(ProjectError):
    """The pipeline definition or a runner option is inconsistent (the message says how)."""


@dataclass(frozen=True)
class Step:
    """One run of a row of the step table."""

    id: str  # "02_density", "03_scenarios/high"
    spec: StepSpec
    scenario: str | None
    owns: dict[str, str]  # folder parameter -> folder relative to the outputs root
    uses: dict[str, tuple[str, ...]]  # folder parameter -> ids of the upstream runs it reads
    after: tuple[str, ...]
    parameters: dict[str, Any] = field(default_factory=dict)  # science parameters (defaults + overrides)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def folders(self) -> tuple[str, ...]:
        return tuple(self.owns.values())


@dataclass(frozen=True)
class Pipeline:
    """Every run, in dependency order, with the roots its paths are relative to."""

    root: Path
    steps: tuple[Step, ...]
    outputs_dir: str = OUTPUTS_DIR

    def __post_init__(self) -> None:
        folders = [f for s in self.steps for f in s.folders]
        for f in folders:
            if f.startswith(".") or any(f != g and (g.startswith(f + "/") or f.startswith(g + "/")) for g in folders):
                raise PipelineError(f"folder {f!r} overlaps another step's folder or is hidden")
        if len(set(folders)) != len(folders):
            raise PipelineError(f"two steps own the same folder: {sorted(folders)}")

    @property
    def outputs(self) -> Path:
        """The outputs root as an absolute path."""
        p = Path(self.outputs_dir).expanduser()
        return p if p.is_absolute() else self.root / p

    def path(self, rel: str | Path) -> Path:
        p = Path(rel).expanduser()
        return p if p.is_absolute() else self.root / p

    def rel(self, path: str | Path) -> str:
        """``path`` relative to the project root when inside it (for records and messages)."""
        p = Path(path).absolute()
        try:
            return p.relative_to(self.root.absolute()).as_posix()
        except ValueError:
            return p.as_posix()

    def get(self, step_id: str) -> Step:
        for s in self.steps:
            if s.id == step_id:
                return s
        raise PipelineError(f"no step {step_id!r}; steps: {', '.join(self.ids())}")

    def ids(self) -> list[str]:
        return [s.id for s in self.steps]

    def ancestors(self, step: Step) -> set[str]:
        seen: set[str] = set()
        todo = list(step.after)
        while todo:
            sid = todo.pop()
            if sid not in seen:
                seen.add(sid)
                todo.extend(self.get(sid).after)
        return seen

    def parameters(self, step: Step, place: Callable[[Step, str, bool], str],
                   get: Callable[[str], Step] | None = None) -> dict[str, Any]:
        """Every parameter of a run: its science values, its scenario, and each folder it owns or reads, as
        ``place(run, folder, owned)`` locates it (the staging or published folder, a path under a root...).

        An upstream step read whole is one folder; per-scenario upstream runs are {scenario: folder}; ``*`` is
        {run id: folder}. ``get`` finds an upstream run by id (default: this pipeline's; a sweep also has
        runs outside it).
        """
        out: dict[str, Any] = dict(step.parameters)
        if step.spec.per_scenario:
            out["scenario"] = step.scenario
        out.update({name: place(step, folder, True) for name, folder in step.owns.items()})
        for name, ids in step.uses.items():
            ups = [(get or self.get)(i) for i in ids]
            if step.spec.uses[name] == ALL:
                out[name] = {u.id: place(u, u.folders[0], False) for u in ups}
            elif ups[0].spec.per_scenario:
                out[name] = {u.scenario: place(u, u.folders[0], False) for u in ups}
            else:
                out[name] = place(ups[0], ups[0].folders[0], False)
        return out

    def match(self, pattern: str) -> list[Step]:
        """Runs named by ``pattern``: an id, a step name, or a notebook number ('03')."""
        key = Path(pattern).stem if pattern.endswith(".ipynb") else pattern
        found = [s for s in self.steps if key in (s.id, s.name, s.name.split("_", 1)[0])]
        if not found:
            raise PipelineError(f"{pattern!r} names no step; steps: {', '.join(self.ids())}")
        return found


def expand(table: Sequence[StepSpec], scenarios: Sequence[str], root: Path = PROJECT_ROOT,
           outputs_dir: str = OUTPUTS_DIR) -> Pipeline:
    """Concrete runs of ``table``: per-scenario rows once per name of ``scenarios``, in dependency order."""
    names = [s.name for s in table]
    if len(set(names)) != len(names):
        raise PipelineError(f"duplicate step names in the step table: {names}")
    runs: dict[str, list[Step]] = {}
    for row in table:
        for scenario in (scenarios if row.per_scenario else [None]):
            uses: dict[str, tuple[str, ...]] = {}
            for param, upstream in row.uses.items():
                if upstream == ALL:
                    uses[param] = tuple(s.id for done in runs.values() for s in done)
                elif upstream not in runs:
                    raise PipelineError(f"step {row.name} uses {upstream!r}, which is not an earlier step "
                                        f"of the table ({', '.join(runs) or 'none'})")
                else:
                    uses[param] = tuple(s.id for s in runs[upstream])
            sid = f"{row.name}/{scenario}" if scenario else row.name
            after = tuple(dict.fromkeys(i for ids in uses.values() for i in ids))
            step = Step(sid, row, scenario, row.owned(scenario), uses, after,
                        {k: p.default for k, p in row.parameters.items()})
            runs.setdefault(row.name, []).append(step)
    return Pipeline(root, tuple(s for done in runs.values() for s in done), outputs_dir)


def with_parameters(pipeline: Pipeline, overrides: dict[str, dict[str, Any]]) -> Pipeline:
    """A copy whose runs take ``overrides`` ({step id: {name: value}}) over their defaults."""
    steps = tuple(Step(s.id, s.spec, s.scenario, s.owns, s.uses, s.after, {**s.parameters, **overrides.get(s.id, {})})
                  for s in pipeline.steps)
    return Pipeline(pipeline.root, steps, pipeline.outputs_dir)


def default_pipeline(root: Path = PROJECT_ROOT, outputs_dir: str = OUTPUTS_DIR,
                     table: Iterable[StepSpec] = STEP_TABLE) -> Pipeline:
    """The project's pipeline; scenario names come from the validated scenarios file."""
    from helpers.data.scenarios_file import load_spec, scenario_names
    from helpers.pipeline.steps import SCENARIOS_FILE

    return expand(tuple(table), scenario_names(load_spec(root / SCENARIOS_FILE)), root, outputs_dir)
