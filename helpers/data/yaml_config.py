"""A YAML config file read for pydantic, and its mistakes worded as one ConfigError line: file, line, dotted key, rule.

`load_yaml` gives the data of any YAML file the project reads (corrections, column mappings, layouts), `read_yaml`
the node tree (for line numbers) and the data; both refuse a file over `MAX_YAML_BYTES`, nested deeper than
`MAX_YAML_DEPTH`, or with an anchor or alias (an alias bomb is refused at its first anchor, before any value is
built). `pydantic_problems` words pydantic's errors
(a validator's own message travels as a PydanticCustomError of type "config", see `fail`); `raise_first` raises
the first problem in file order. `helpers.data.scenarios_file` validates data/raw/scenarios.yml with them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NoReturn, get_args, get_origin

import yaml
from pydantic import BaseModel
from pydantic_core import PydanticCustomError

from helpers.errors import ConfigError, closest, did_you_mean
from helpers.paths import relative

Problem = tuple[tuple[str | int, ...], str]  # (location of the key, what is wrong)
MAX_YAML_BYTES = 1_000_000  # a larger config file is refused unread
MAX_YAML_DEPTH = 32  # mappings and lists inside each other deeper than this are refused


def fail(message: str, *subloc: str | int) -> PydanticCustomError:
    """An error whose message is used as is; ``subloc`` extends the field's location (a key inside the value)."""
    return PydanticCustomError("config", "{message}", {"message": message, "subloc": subloc})


def show(value: object) -> str:
    """A short, one-line rendering of a YAML value for messages."""
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    text = repr(value) if isinstance(value, str | dict | list) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def hint(word: object, options: Iterable[str], *, always: bool = False) -> str:
    """"; did you mean 'x'?" for the closest option (`helpers.errors.did_you_mean`), else the valid options."""
    options = list(options)
    close = did_you_mean(word, options, cutoff=0.0 if always else 0.6)
    return close or (f"; valid: {', '.join(options)}" if options else "")


def _refuse_hostile(source: str, text: str) -> None:
    """ConfigError at the first anchor, alias, or mapping or list nested deeper than MAX_YAML_DEPTH, read from
    PyYAML's event stream (no node or value is built, so this takes time in proportion to the text)."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        where = f"{source} line {event.start_mark.line + 1}"
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise ConfigError(f"{where}: YAML anchors and aliases (&name, *name) are not allowed; write the value "
                              "out in full")
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                raise ConfigError(f"{where}: mappings and lists are nested more than {MAX_YAML_DEPTH} levels deep")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _parse(source: str, text: str) -> tuple[yaml.Node | None, object]:
    """The node tree (for line numbers) and the data yaml.safe_load would return, from one parse (after
    `_refuse_hostile`)."""
    loader = yaml.SafeLoader(text)
    try:
        _refuse_hostile(source, text)
        root = loader.get_single_node()
        return root, (loader.construct_document(root) if root is not None else None)
    except ConfigError:  # a ValueError too: _refuse_hostile's own
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = source + (f" line {mark.line + 1}" if mark else "")
        problem = str(exc.problem or "")
        short = f"{exc.context} {problem}" if exc.context and (not problem or problem.startswith("but ")) else problem
        short = " ".join((short or "unreadable").split())
        raise ConfigError(f"{where}: not valid YAML: {short}") from None
    except (yaml.YAMLError, ValueError, OverflowError) as exc:  # ValueError: e.g. a date 2021-02-30, !!int x
        raise ConfigError(f"{source}: not valid YAML: {' '.join(str(exc).split())}") from None
    finally:
        loader.dispose()


def _text(path: Path) -> str:
    """The file's text: ConfigError when it is over MAX_YAML_BYTES or not UTF-8."""
    data = path.read_bytes()
    if len(data) > MAX_YAML_BYTES:
        raise ConfigError(f"{relative(path)}: {len(data):,} bytes, more than the {MAX_YAML_BYTES:,} a config file "
                          "may hold")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise ConfigError(f"{relative(path)} line {line}: not UTF-8 text ({exc.reason}); save the file as "
                          "UTF-8") from None


def load_yaml(path: Path) -> object:
    """The data of the YAML file ``path`` (None when it is empty): ConfigError (one line, with the file and line)
    when it is not UTF-8 YAML, too large, too deep, or uses anchors or aliases."""
    return _parse(relative(path), _text(path))[1]


def load_yaml_text(text: str, source: str) -> object:
    """The data of a short YAML text (a command-line value), checked as `load_yaml` checks a file; ``source``
    names it in the ConfigError."""
    if len(text) > MAX_YAML_BYTES:
        raise ConfigError(f"{source}: {len(text):,} characters, more than the {MAX_YAML_BYTES:,} a value may hold")
    return _parse(source, text)[1]


def null_entries(path: Path) -> list[tuple[int, str, str]]:
    """(line, 'key' or 'value', the value as written, quoted) of every mapping key or value of the YAML file
    ``path`` that YAML reads as null: nothing, ``~``, ``null``, or a text starting with '#' (a comment to YAML)
    - in file order. The third item is '' unless the line holds a comment after the key, then it is that line
    with the comment's text quoted (``cameras: "# Cameras"``)."""
    text = _text(path)
    root = _parse(relative(path), text)[0]
    lines, found = text.splitlines(), []

    def walk(node: yaml.Node | None) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                for what, part in (("key", key), ("value", value)):
                    if isinstance(part, yaml.ScalarNode) and part.tag == "tag:yaml.org,2002:null":
                        line = (key if what == "value" else part).start_mark.line
                        found.append((line + 1, what, _quoted_comment(lines[line] if line < len(lines) else "")))
                walk(value)
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                walk(item)

    walk(root)
    return sorted(found)


def _quoted_comment(line: str) -> str:
    """``key: # Cameras`` -> ``key: "# Cameras"``; '' when the line is not a key followed by a comment."""
    key, sep, rest = line.partition(":")
    rest = rest.strip()
    if not sep or not rest.startswith("#") or not key.strip():
        return ""
    return f"{key.strip()}: {json.dumps(rest, ensure_ascii=False)}"


def read_yaml(path: Path, model: type[BaseModel]) -> tuple[yaml.Node, object]:
    """The node tree and the data of the YAML file ``path``; ConfigError when `load_yaml` would give one, when it is
    empty (a mapping of ``model``'s keys is expected) or gives a key twice in one mapping."""
    root, data = _parse(relative(path), _text(path))
    if root is None:
        raise ConfigError(f"{relative(path)}: the file is empty; expected {_expected_mapping(model, ())}")
    duplicates = _duplicates(root)
    if duplicates:
        raise_first(path, root, duplicates)
    return root, data


def _type_at(model: type[BaseModel], loc: tuple[str | int, ...]) -> tuple[Any, Any]:
    """The annotation (and pydantic field, if any) that describes the value at ``loc`` of ``model``."""
    t: Any = model
    field = None
    for part in loc:
        if isinstance(t, type) and issubclass(t, BaseModel) and part in t.model_fields:
            field = t.model_fields[part]
            t = field.annotation
        elif get_origin(t) is dict:
            t, field = get_args(t)[1], None
        else:
            return None, None
    return t, field


def _keys_at(model: type[BaseModel], loc: tuple[str | int, ...]) -> list[str]:
    t, _ = _type_at(model, loc)
    return list(t.model_fields) if isinstance(t, type) and issubclass(t, BaseModel) else []


def pydantic_problems(errors: list[dict], model: type[BaseModel]) -> tuple[list[Problem], set[int]]:
    """Problems for pydantic's errors validating ``model``, and which of them are missing keys.

    A missing key that an unknown key in the same mapping is a misspelling of is the same mistake: left out.
    """
    misspelt = {(tuple(e["loc"][:-1]), closest(e["loc"][-1], _keys_at(model, tuple(e["loc"][:-1]))))
                for e in errors if e["type"] == "extra_forbidden"}
    kept = [e for e in errors if not (e["type"] == "missing" and (tuple(e["loc"][:-1]), e["loc"][-1]) in misspelt)]
    return [_describe(e, model) for e in kept], {i for i, e in enumerate(kept) if e["type"] == "missing"}


def _expected_mapping(model: type[BaseModel], loc: tuple[str | int, ...]) -> str:
    t, field = _type_at(model, loc)
    if isinstance(t, type) and issubclass(t, BaseModel):
        return f"a mapping of {', '.join(t.model_fields)}"
    if field is not None and field.description:
        return f"a mapping of {field.description}"
    return "a mapping"


def _describe(error: dict, model: type[BaseModel]) -> Problem:
    """(location, message) for one pydantic error."""
    loc = tuple(error["loc"])
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if loc and loc[-1] == "[key]":  # a mapping key (scenario or assumption name) was refused
        loc = loc[:-1]
    if kind == "config":
        return loc + tuple(ctx.get("subloc", ())), ctx["message"]
    if kind == "missing":
        return loc, "required key is missing"
    if kind == "extra_forbidden":
        return loc, "unknown key" + hint(loc[-1], _keys_at(model, loc[:-1]))
    if kind in {"model_type", "model_attributes_type", "dict_type"}:
        return loc, f"expected {_expected_mapping(model, loc)}; got {show(error['input'])}"
    if kind == "string_type":
        return loc, f"expected text; got {show(error['input'])}"
    return loc, f"{error['msg']}; got {show(error.get('input'))}"


def _line(root: yaml.Node | None, loc: tuple[str | int, ...]) -> int | None:
    """1-based line of the key (or list item) at ``loc`` in the YAML node tree; None if it is not there."""
    if root is None:
        return None
    node, line = root, root.start_mark.line
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = [(k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == str(part)]
            if not match:
                return None
            key, node = match[-1]
            line = key.start_mark.line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line
        else:
            return None
    return line + 1


def _dotted(loc: tuple[str | int, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")


def raise_first(path: Path, root: yaml.Node | None, problems: list[Problem], *,
           missing: frozenset[int] | set[int] = frozenset()) -> NoReturn:
    """Raise ConfigError for the first of ``problems`` in file order, counting the others (``missing``: the
    indices of missing keys, shown at the line of the mapping that lacks them)."""
    located = []
    for i, (loc, message) in enumerate(problems):
        # A missing key is shown at the line of the mapping that lacks it (none for a top-level key).
        line = (_line(root, loc[:-1]) if len(loc) > 1 else None) if i in missing else _line(root, loc)
        located.append((line is None, line or 0, i, loc, message))
    located.sort()
    _, line, _, loc, message = located[0]
    where = relative(path) + (f" line {line}" if line else "")
    text = f"{where}: {_dotted(loc)}: {message}" if loc else f"{where}: {message}"
    if len(problems) > 1:
        text += f" (and {len(problems) - 1} more)"
    raise ConfigError(" ".join(text.split("\n")))


def _duplicates(node: yaml.Node | None, loc: tuple[str | int, ...] = ()) -> list[Problem]:
    """Keys given twice in one mapping (safe_load would silently keep the last)."""
    problems: list[Problem] = []
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else None
            if name is not None and name != "<<":
                if name in seen:
                    problems.append(((*loc, name), f"duplicate key (first on line {seen[name]}); YAML would keep "
                                     "only the last"))
                seen.setdefault(name, key.start_mark.line + 1)
            problems.extend(_duplicates(value, loc + ((name,) if name is not None else ())))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            problems.extend(_duplicates(item, (*loc, i)))
    return problems
