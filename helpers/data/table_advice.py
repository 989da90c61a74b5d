"""What a researcher running their own city table is told: a ``column_mapping`` to start from when the layout is
unknown, a table without ``edition``, and the warnings and dropped rows of each table counted for the runner's
terminal (`summary_lines`, read from notebook 01's published files).

The data layer does not know the pipeline: the runner calls `summary_lines` with the folder notebook 01 wrote.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import yaml

from helpers.data.table_facts import ESTIMATED
from helpers.data.table_options import CANONICAL, TableEntry
from helpers.paths import relative, resolve

GUIDE = "docs/your-own-table.md"
PLACEHOLDER = "?"  # the skeleton's value for a needed column no header looks like
DROPPED_RULES = ("bad_row_dropped",)  # cleaning-log rules of rows left out by on_bad_rows: drop (ragged rows too)
# (warning kind, test on the cleaning log's rule, what one is called, what several are called)
WARNING_KINDS = (
    ("damaged", lambda r: r == "warning: damaged name?", "damaged name", "damaged names"),
    ("estimated", lambda r: r == f"warning: {ESTIMATED}", "estimated row (one national rate)",
     "estimated rows (one national rate)"),
    ("scale", lambda r: r.startswith("warning: ") and "per person" in r, "per-person scale warning",
     "per-person scale warnings"),
)
# (canonical column, a header's words that suggest it): the first header that fits and is not taken yet
_GUESSES = (
    ("stated_per_sq_mi", re.compile(r"(mile|sq\b|square|km)")),
    ("stated_per_1000", re.compile(r"per.*(1,?000|1k|thousand|person|capita|people|head|inhabitant)")),
    ("crime_index", re.compile(r"crime")),
    ("country", re.compile(r"(country|nation)")),
    ("city", re.compile(r"(city|town|place|municipal|\bname\b)")),
    ("population", re.compile(r"(population|people|residents|inhabitants|\bpop\b)")),
    ("cameras", re.compile(r"(camera|cctv|\bcams?\b)")),
)


# --- an unknown layout --------------------------------------------------------------------------

def yaml_text(text: str) -> str:
    """``text`` as a YAML scalar inside a flow mapping: plain where YAML reads it back as the same text, else
    double-quoted (a header starting with '#' is a comment unquoted, one with ', ' ends the value, ...)."""
    try:
        plain = yaml.safe_load("{k: " + text + "}") if text and text == text.strip() else None
    except yaml.YAMLError:
        plain = None
    return text if plain == {"k": text} else json.dumps(text, ensure_ascii=False)


def guess_mapping(headers: list[str]) -> dict[str, str]:
    """{canonical column: header} guessed from the headers' words; a header is used once."""
    words = {h: " ".join(str(h).split()).casefold() for h in headers}
    taken: set[str] = set()
    guessed: dict[str, str] = {}
    for canon, pattern in _GUESSES:
        for header in headers:
            if header not in taken and pattern.search(words[header]):
                guessed[canon] = header
                taken.add(header)
                break
    return guessed


def mapping_skeleton(headers: list[str]) -> str:
    """A ``column_mapping`` for these headers, on one line, ready to edit: the guessed headers in the canonical
    order, '?' for city or country when no header looks like one, and the headers left out named after it."""
    guessed = guess_mapping(headers)
    pairs = [f"{c}: {yaml_text(guessed.get(c, PLACEHOLDER))}" for c in CANONICAL
             if c in guessed or c in ("city", "country")]
    unused = [yaml_text(str(h)) for h in headers if h not in guessed.values()]
    left = f" (left out: {', '.join(unused)})" if unused else ""
    return "column_mapping: {" + ", ".join(pairs) + "}" + left


def unknown_layout(where: str, headers: list[str], layouts: dict[str, dict[str, str]]) -> str:
    """The error for a table no known layout fits: its columns, the known layouts and a mapping to start from."""
    expected = "; ".join(f"{name}: {', '.join(spec.values())}" for name, spec in layouts.items())
    return (f"{where}: unknown table layout. Columns found: {', '.join(map(str, headers))}. Columns expected "
            f"({expected}). Give the table a column_mapping; one guessed from its headers, to check and edit "
            f"(replace any '?'; quote a header as shown), in the table's entry: {mapping_skeleton(headers)}. "
            f"See {GUIDE}, section 2")


# --- a table without an edition -----------------------------------------------------------------

def no_edition_warning(entry: TableEntry) -> str | None:
    """For a CSV table whose entry has no ``edition`` (a known public table's edition is known): a figure of the
    article that differs from it is judged inconsistent, not a difference between editions."""
    if entry.edition is not None or entry.table is not None:
        return None
    return (f"{entry.source}: no edition given, so a figure of the article that differs from this table is judged "
            "'inconsistent', never 'differs by edition' (docs/verdicts.md); declare which edition it is "
            f"with edition in its city_tables entry, e.g. {{path: {yaml_text(entry.path or '')}, edition: \"2023\"}}")


# --- counts per table ---------------------------------------------------------------------------

def dropped_rows(log: pd.DataFrame, source: str) -> int:
    """Rows of ``source`` left out by ``on_bad_rows: drop`` (a row with several problems counts once)."""
    rules = log["rule"].astype(str)
    rows = log.loc[log["source"].eq(source) & rules.str.startswith(DROPPED_RULES), "row"]
    return int(rows.nunique())


def warning_counts(log: pd.DataFrame, source: str) -> dict[str, int]:
    """{warning kind: rows of ``source`` the cleaning log warns about} (`WARNING_KINDS`), kinds without one left
    out; ``dropped``: rows left out by ``on_bad_rows: drop``."""
    rules = log.loc[log["source"].eq(source), "rule"].astype(str)
    counts = {kind: int(rules.map(test).sum()) for kind, test, _, _ in WARNING_KINDS}
    counts["dropped"] = dropped_rows(log, source)
    return {k: n for k, n in counts.items() if n}


def _counted(counts: dict[str, int]) -> str:
    names = {kind: (one, many) for kind, _, one, many in WARNING_KINDS} | {
        "dropped": ("row dropped (on_bad_rows: drop)", "rows dropped (on_bad_rows: drop)")}
    return ", ".join(f"{n:,} {names[k][0] if n == 1 else names[k][1]}" for k, n in counts.items())


def summary_lines(cleaning_dir: str | Path, shown_as: str | None = None) -> list[str]:
    """A few lines for the runner's terminal: per input table, its warnings and dropped rows counted, and a table
    without an edition; [] when there is nothing to say. ``shown_as``: the folder as the lines name it."""
    folder = resolve(cleaning_dir)
    log_path, sources_path = folder / "cleaning_log.csv", folder / "city_sources.csv"
    if not log_path.is_file() or not sources_path.is_file():
        return []
    log = pd.read_csv(log_path, dtype=str, keep_default_na=False)
    sources = pd.read_csv(sources_path, dtype=str, keep_default_na=False)
    lines = []
    for table in sources.itertuples():
        counts = warning_counts(log, str(table.name))
        said = [_counted(counts)] if counts else []
        if not str(table.edition) and not _known_table(str(table.file)):
            said.append("no edition given (edition differences are judged inconsistent)")
        if said:
            lines.append(f"  {table.name}: {'; '.join(said)}")
    if not lines:
        return []
    where = shown_as or relative(log_path)
    return [f"city tables: warnings (each with its line in {where}; how to act on them: {GUIDE}, section 6)",
            *lines]


def _known_table(file: str) -> bool:
    """A known public table is named in city_sources.csv by its name, not a path."""
    from helpers.data.fetch import TABLES

    return file in TABLES
