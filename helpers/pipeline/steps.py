"""The step table: the one place where the pipeline and the layout of the outputs tree are spelled out.

Each entry names what runs (a notebook, or a helper function), every parameter with its type and one line
of help, the folders it reads from upstream steps, the config files it reads, and the folder it owns under
the outputs root. A notebook parameter's default is the value its ``parameters`` cell assigns (`InCell`: what
a researcher sees in Lab and papermill documents), read from the notebook whenever it is asked for; a helper
step's defaults are written here (`Param`). The runner injects every parameter into every run. A step with
``per_scenario`` runs once per scenario of ``data/raw/scenarios.yml``.

Adding a notebook 05 is one entry here (see docs/runner.md).
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Annotated, Any

from pydantic import Field, TypeAdapter, ValidationError

from helpers.data import scenarios_file
from helpers.data.scenarios_file import scenario_names
from helpers.errors import ParameterError
from helpers.params import folder
from helpers.paths import PROJECT_ROOT, relative, resolve

OUTPUTS_DIR = "outputs"  # the default outputs root, relative to the project root
SCRATCH_DIR = "scratch"  # where interactive runs with other parameters write (git-ignored)
SCENARIOS_FILE = relative(scenarios_file.SCENARIOS_FILE)  # "data/raw/scenarios.yml"
POPULATIONS_FILE = relative(scenarios_file.POPULATIONS_FILE)  # "data/raw/china_populations.csv", read with it

Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]
Fraction = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]


@dataclass(frozen=True)
class Param:
    """A parameter: its default, its type (a pydantic type) and one line saying what it is."""

    default: Any
    type: Any
    help: str
    names_files: bool = False  # its value names files whose bytes belong to the step's inputs


@dataclass(frozen=True)
class InCell:
    """A notebook parameter whose default is the value the notebook's ``parameters`` cell assigns."""

    type: Any
    help: str
    names_files: bool = False


class CellDefaults(Mapping[str, Param]):
    """A notebook step's parameters: each an `InCell` completed with the default its notebook's ``parameters``
    cell assigns (read when asked for, so a saved edit of the cell is the new default), or a `Param` as given."""

    def __init__(self, step: str, notebook: str, declared: Mapping[str, InCell | Param]) -> None:
        self.step, self.notebook, self.declared = step, notebook, dict(declared)

    def __getitem__(self, name: str) -> Param:
        p = self.declared[name]
        if isinstance(p, Param):
            return p
        return Param(cell_default(self.step, self.notebook, name, p.type), p.type, p.help, p.names_files)

    def type_of(self, name: str) -> Any:
        """The declared type of parameter ``name`` (without reading the notebook)."""
        return self.declared[name].type

    def __iter__(self) -> Iterator[str]:
        return iter(self.declared)

    def __len__(self) -> int:
        return len(self.declared)


@dataclass(frozen=True)
class StepSpec:
    """One row of the step table."""

    name: str  # also the folder it owns, unless ``owns`` says otherwise
    run: str  # "notebooks/NAME.ipynb", or "module:function" for a helper step
    parameters: Mapping[str, Param] = field(default_factory=dict)
    uses: Mapping[str, str] = field(default_factory=dict)  # folder parameter -> upstream step name
    reads: tuple[str, ...] = ()  # config files (project-relative) the step reads
    owns: Mapping[str, str] = field(default_factory=lambda: {"output_dir": "{name}"})  # parameter -> folder
    per_scenario: bool = False

    def __post_init__(self) -> None:
        if any(isinstance(p, InCell) for p in self.parameters.values()):
            object.__setattr__(self, "parameters", CellDefaults(self.name, self.run, self.parameters))

    @property
    def is_notebook(self) -> bool:
        return self.run.endswith(".ipynb")

    def owned(self, scenario: str | None = None) -> dict[str, str]:
        """{folder parameter: folder relative to the outputs root} for one run of this step."""
        return {p: t.format(name=self.name, scenario=scenario) for p, t in self.owns.items()}


STEP_TABLE: tuple[StepSpec, ...] = (
    StepSpec(
        "01_data_cleaning", "notebooks/01_data_cleaning.ipynb",
        parameters={
            "city_tables": InCell(list[str | dict[str, Any]],
                                  "known public tables and/or CSV paths; [] for an article-only run", True),
            "column_mapping": InCell(dict[str, str] | str | None,
                                     "None (known layouts), a dict canonical -> header, or a YAML path", True),
        },
        reads=("data/raw/article_figures.csv", "data/raw/city_table_layouts.yml")),
    StepSpec(
        "02_density", "notebooks/02_density.ipynb",
        parameters={
            "approx_tolerance": InCell(Fraction, '"approximately X" is read as X +- this fraction'),
            "area_outlier_factor": InCell(Annotated[float, Field(gt=1, allow_inf_nan=False)],
                                          "implied city areas above this multiple of the median are flagged"),
        },
        uses={"cleaning_dir": "01_data_cleaning"}),
    StepSpec(
        "sensitivity", "helpers.report.sensitivity_step:run_step", per_scenario=True,
        parameters={
            "seed": Param(None, Annotated[int, Field(ge=0)] | None, "Monte Carlo seed (None: the scenarios file's)"),
            "n_draws": Param(None, Annotated[int, Field(ge=1, le=10_000_000)] | None,
                             "Monte Carlo draws (None: the scenarios file's)"),
            "population": Param(None, Positive | str | None,
                                'None (the file\'s default), "stated", "implied", or a number of people'),
            "china_cameras": Param(None, Positive | None, "override the scenario's camera count"),
        },
        uses={"cleaning_dir": "01_data_cleaning"}, reads=(SCENARIOS_FILE, POPULATIONS_FILE),
        owns={"output_dir": "sensitivity/{scenario}"}),
    StepSpec(
        "03_scenarios", "notebooks/03_scenarios.ipynb", per_scenario=True,
        parameters={
            "population": InCell(Positive | str | None,
                                 'None (the file\'s default), "stated", "implied", or a number of people'),
            "china_cameras": InCell(Positive | None, "override the scenario's camera count"),
            "world_cameras": InCell(Positive | None, "override the world total"),
            "world_population": InCell(Positive | None, "override the world population"),
        },
        uses={"cleaning_dir": "01_data_cleaning", "sensitivity_dirs": "sensitivity"},
        reads=(SCENARIOS_FILE, POPULATIONS_FILE), owns={"output_dir": "03_scenarios/{scenario}"}),
    StepSpec(
        "04_compare", "notebooks/04_compare.ipynb",
        uses={"scenario_dirs": "03_scenarios", "sensitivity_dirs": "sensitivity"}),
    StepSpec(
        "gather", "helpers.report.gather:run_step",
        uses={"step_dirs": "*"},
        owns={"tables_dir": "tables", "figures_dir": "figures", "numbers_dir": "numbers"}),
)

# Parameters set by the runner, never by a user: the scenario of a per-scenario step and every folder.
RUNNER_PARAMETERS = ("scenario",)


def spec(name: str) -> StepSpec:
    """The row of the step table named ``name`` (a notebook stem or a helper step name)."""
    for s in STEP_TABLE:
        if s.name == name:
            return s
    raise ParameterError(f"no step named {name!r}; steps: {', '.join(s.name for s in STEP_TABLE)}")


def folder_parameters(s: StepSpec) -> tuple[str, ...]:
    """Names of the parameters that carry folders (owned and upstream)."""
    return (*s.owns, *s.uses)


def declared_names(s: StepSpec) -> set[str]:
    """Every parameter a notebook of this step must assign in its ``parameters`` cell."""
    return {*s.parameters, *folder_parameters(s), *(["scenario"] if s.per_scenario else [])}


def _validated(kind: Any, value: Any, where: str) -> Any:
    """``value`` validated against the pydantic type ``kind``; ParameterError "<where>: <rule>, got <value>"."""
    try:
        return TypeAdapter(kind).validate_python(value)
    except ValidationError as exc:
        raise ParameterError(f"{where}: {exc.errors()[0]['msg'].lower()}, got {value!r}") from None


def check_value(step: StepSpec | str, name: str, value: Any) -> Any:
    """``value`` validated against the parameter's declared type; ParameterError names step and parameter."""
    row = step if isinstance(step, StepSpec) else spec(step)
    params = row.parameters
    kind = params.type_of(name) if isinstance(params, CellDefaults) else params[name].type
    return _validated(kind, value, f"parameter {name!r} of {row.name}")


def _cell_assignments(notebook: Path) -> dict[str, ast.expr]:
    """{name: assigned expression} of a notebook's ``parameters`` cell ({} without one)."""
    cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
    for cell in cells:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            return {node.targets[0].id: node.value for node in ast.parse(source).body
                    if isinstance(node, ast.Assign) and len(node.targets) == 1
                    and isinstance(node.targets[0], ast.Name)}
    return {}


def stored_parameters(notebook: Path) -> dict[str, Any]:
    """The literal values assigned in a notebook's ``parameters`` cell (non-literals as their source text)."""
    out: dict[str, Any] = {}
    for name, value in _cell_assignments(notebook).items():
        try:
            out[name] = ast.literal_eval(value)
        except ValueError:
            out[name] = ast.unparse(value)
    return out


def cell_default(step: str, notebook: str, name: str, kind: Any) -> Any:
    """The default of notebook parameter ``name``: the literal its ``parameters`` cell assigns, checked against
    the parameter's type ``kind``; ParameterError naming the notebook otherwise."""
    path = PROJECT_ROOT / notebook
    try:
        assigned = _cell_assignments(path)
    except (OSError, ValueError, SyntaxError) as exc:
        raise ParameterError(f"{notebook}: cannot read its parameters cell ({exc})") from None
    if name not in assigned:
        raise ParameterError(f"{notebook}: parameters cell lacks {name}, declared for {step} in the step table "
                             "(helpers/pipeline/steps.py)")
    try:
        value = ast.literal_eval(assigned[name])
    except ValueError:
        raise ParameterError(f"{notebook}: parameters cell assigns {name} = {ast.unparse(assigned[name])}, not a "
                             "literal value (the step table takes its default from there)") from None
    return _validated(kind, value, f"{notebook}: parameters cell assigns {name}")


def default_folder(folder: str, outputs: str | Path = OUTPUTS_DIR) -> Path:
    """A folder of the step table under the outputs root (default ``outputs/``), as an absolute path."""
    return resolve(outputs) / folder


def notebook_parameters(step: str, namespace: Mapping[str, Any]) -> SimpleNamespace:
    """The parameters of a notebook, checked against the step table, with folders as absolute paths.

    A folder parameter left at ``None`` (an interactive run) means the step table's folder under
    ``outputs/``, where the batch runner publishes, as long as every other parameter has its default (the
    value of the notebook's saved parameters cell). An interactive run with other values (or a scenario the
    scenarios file does not define) writes under ``scratch/`` instead, so an exploration never changes the
    committed outputs. An interactive run says where its files go in one printed line; a batch run (folders
    given) prints nothing.
    """
    s = spec(step)
    defaults = {name: p.default for name, p in s.parameters.items()}
    values = {name: check_value(s, name, namespace.get(name, default)) for name, default in defaults.items()}
    scenario = namespace.get("scenario") if s.per_scenario else None
    if s.per_scenario:
        if not isinstance(scenario, str) or not scenario:
            raise ParameterError(f"parameter 'scenario' of {step} must be a scenario name, got {scenario!r}")
        values["scenario"] = scenario
    interactive = all(namespace.get(n) is None for n in folder_parameters(s))
    changed = [n for n in defaults if values[n] != defaults[n]]
    if s.per_scenario and interactive and scenario not in scenario_names():
        changed.append("scenario")
    root = SCRATCH_DIR if interactive and changed else OUTPUTS_DIR
    for name, owned in s.owned(scenario).items():
        given = namespace.get(name)
        values[name] = folder(name, given) if given is not None else default_folder(owned, root)
    where = ", ".join(f"{root}/{f}/" for f in s.owned(scenario).values())
    if root == SCRATCH_DIR:
        print(f"{', '.join(changed)} differ from the defaults (the notebook's saved parameters cell): writing to "
              f"{where} (git-ignored), not {OUTPUTS_DIR}/")
    elif interactive:
        print(f"default parameters: writing to {where}, the folder the batch runner publishes (the same files "
              "for the same inputs)")
    return SimpleNamespace(**values, **upstream_folders(s, namespace))


def upstream_folders(s: StepSpec, namespace: Mapping[str, Any]) -> dict[str, Path | dict[str, Path]]:
    """The folders step ``s`` reads: as given in ``namespace`` (which must exist), else the upstream steps'
    folders under ``outputs/`` ({scenario: folder} for a per-scenario upstream step)."""
    out: dict[str, Path | dict[str, Path]] = {}
    for name, upstream in s.uses.items():
        given = namespace.get(name)
        if isinstance(given, Mapping):
            out[name] = {k: folder(f"{name}[{k!r}]", v, must_exist=True) for k, v in given.items()}
        elif given is not None:
            out[name] = folder(name, given, must_exist=True)
        elif spec(upstream).per_scenario:
            out[name] = {n: default_folder(spec(upstream).owned(n)["output_dir"]) for n in scenario_names()}
        else:
            out[name] = default_folder(spec(upstream).owned()["output_dir"])
    return out
