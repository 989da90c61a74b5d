"""Checks made before anything runs: -p values against the step table, the notebooks' parameters cells, the raw
files' checksums, the files a run's parameters name, and the outputs folder the runner is to take over."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from helpers.data.checksums import SUMS_FILE, recorded, sha256
from helpers.errors import ProjectError, did_you_mean
from helpers.pipeline import publish as pub
from helpers.pipeline.runs import Pipeline, PipelineError, Step, with_parameters
from helpers.pipeline.steps import RUNNER_PARAMETERS, check_value, declared_names, stored_parameters


def apply_overrides(pipeline: Pipeline, params: Mapping[str, Any]) -> Pipeline:
    """Give each -p value to every run whose step declares it, validated by the step table's type."""
    declared = {n for s in pipeline.steps for n in s.spec.parameters}
    runner_set = {*RUNNER_PARAMETERS, *(n for s in pipeline.steps for n in (*s.owns, *s.uses))}
    overrides: dict[str, dict[str, Any]] = {}
    for name, value in params.items():
        if name in runner_set:
            raise PipelineError(f"-p {name}: set by the runner from the step table, not a parameter you can pass"
                                + (" (the scenarios come from data/raw/scenarios.yml)" if name == "scenario" else ""))
        if name not in declared:
            raise PipelineError(f"-p {name}: no step declares this parameter{did_you_mean(name, declared)} "
                                f"(parameters: {', '.join(sorted(declared))})")
        for s in pipeline.steps:
            if name in s.spec.parameters:
                try:
                    overrides.setdefault(s.id, {})[name] = check_value(s.spec, name, value)
                except ProjectError as exc:
                    raise PipelineError(f"-p {name}={value!r}: {str(exc).split(': ', 1)[-1]}") from None
    return with_parameters(pipeline, overrides)


def check_notebooks(pipeline: Pipeline) -> list[str]:
    """Compare each notebook's parameters cell with the step table; return warnings, raise on a mismatch."""
    warnings: list[str] = []
    seen: set[str] = set()
    for s in pipeline.steps:
        if not s.spec.is_notebook or s.name in seen:
            continue
        seen.add(s.name)
        nb = pipeline.path(s.spec.run)
        if not nb.is_file():
            raise PipelineError(f"{s.spec.run}: notebook of step {s.name} not found")
        try:
            stored = stored_parameters(nb)
        except (ValueError, SyntaxError) as exc:
            raise PipelineError(f"{s.spec.run}: cannot read its parameters cell ({exc})") from None
        wanted = declared_names(s.spec)
        if extra := sorted(set(stored) - wanted):
            raise PipelineError(f"{s.spec.run}: parameters cell assigns {', '.join(extra)}, which the step table "
                                f"(helpers/pipeline/steps.py) does not declare for {s.name}")
        if missing := sorted(wanted - set(stored)):
            raise PipelineError(f"{s.spec.run}: parameters cell lacks {', '.join(missing)}, declared for {s.name} "
                                "in the step table (helpers/pipeline/steps.py)")
        for name, value in stored.items():
            default = s.spec.parameters[name].default if name in s.spec.parameters else None
            if name not in RUNNER_PARAMETERS and value != default:
                warnings.append(f"warning: {s.spec.run} stores {name} = {value!r} in its parameters cell; the batch "
                                f"run uses the step table's {default!r} (helpers/pipeline/steps.py)")
    return warnings


def check_raw(root: Path) -> None:
    """Every file listed in data/raw/SHA256SUMS still has its recorded sha256."""
    sums = root / SUMS_FILE.relative_to(SUMS_FILE.parents[2])
    for name, expected in recorded(sums).items():
        path = sums.parent / name
        rel = path.relative_to(root).as_posix()
        if not path.is_file():
            raise PipelineError(f"{rel}: listed in {sums.name} but missing")
        if sha256(path) != expected:
            raise PipelineError(f"{rel}: sha256 differs from the one recorded in {sums.name}; after a deliberate "
                                "edit run `make checksums`")


def file_inputs(pipeline: Pipeline, step: Step) -> dict[str, str]:
    """{name or path: sha256} of every file named by the run's parameters and every config file it reads."""
    from helpers.data.table_options import entries, named_files, not_found

    out: dict[str, str] = {}
    for rel in step.spec.reads:
        path = pipeline.path(rel)
        if not path.is_file():
            raise PipelineError(f"{rel}: read by step {step.name} but not found")
        out[rel] = sha256(path)
    for name, param in step.spec.parameters.items():
        value = step.parameters.get(name)
        if not param.names_files or value is None or name == "column_mapping":
            continue  # column_mapping is hashed with each table entry it applies to
        if name != "city_tables":  # a path, or a list of paths
            for item in value if isinstance(value, list) else [value]:
                path = pipeline.path(str(item))
                if not path.is_file():
                    raise PipelineError(f"parameter {name}: {item!r} is not an existing file ({path})")
                out[pipeline.rel(path)] = sha256(path)
            continue
        for entry in entries(value, step.parameters.get("column_mapping")):
            for what, file in named_files(entry).items():
                if isinstance(file, str):  # a known table: its pinned sha256
                    out[what] = file
                    continue
                if not file.is_file():
                    raise PipelineError("parameter city_tables: " + (
                        not_found(entry.path or "", file) if what == "path" else
                        f"{what} {pipeline.rel(file)!r} of table {entry.source!r} is not an existing file"))
                out[pipeline.rel(file)] = sha256(file)
    return out



CODE_GLOBS = ("helpers/**/*",)  # the code every run's key includes (`Runner.code_digest`)


def hashed_folders(pipeline: Pipeline) -> list[Path]:
    """The folders whose files go into run keys: the code (`CODE_GLOBS`), the notebooks and the raw data."""
    code = [pipeline.root / pattern.split("/**")[0] for pattern in CODE_GLOBS]
    notebooks = {pipeline.path(s.spec.run).parent for s in pipeline.steps if s.spec.is_notebook}
    return [*code, *sorted(notebooks), SUMS_FILE.parent]


def check_outputs_folder(root: Path, rel: Callable[[Path], str], hashed: Iterable[Path] = ()) -> None:
    """Refuse an outputs root inside a folder whose files are hashed into run keys (every run would change every
    key), and a non-empty folder that is not an outputs folder of this project."""
    for folder in hashed:
        if root.resolve().is_relative_to(folder.resolve()):
            raise PipelineError(f"--outputs {rel(root)} is inside {rel(folder)}, whose files are part of every run's "
                                "key (each run would change them all); choose a folder outside it")
    if root.is_dir() and any(root.iterdir()):
        marks = [root / pub.MANIFEST, root / pub.CACHE, root / pub.LOCK, root / pub.JOURNAL]
        if not any(m.exists() for m in marks):
            raise PipelineError(f"{rel(root)} is not empty and holds no {pub.MANIFEST}: not an outputs folder of "
                                "this project (the runner replaces everything in it); choose another --outputs")
