"""The typesetting gate of paper/build.py: what a compile's log, aux file and sources must show before the PDF counts.

Each check returns one line per problem, naming the figure or table (or the main text's input lines) and the
warning, so `python paper/build.py` stops with a list a production editor would write:

* any ``Overfull \\hbox`` wider than `OVERFULL_PT` (1 pt);
* any float too large for the page;
* any undefined reference or citation, any unknown number of ``numbers.tex``;
* any duplicate PDF destination (two anchors of one name: the second link goes to the first);
* floats numbered out of the order the text first cites them, or never cited;
* any float-only page filled less than `FLOAT_PAGE_FILL` (half) by its floats.

The floats are found by the markers ``paper/preamble.tex`` writes to the log around every float it inputs
(``cctv-float-begin: figure claims_audit``) and by the float pages it measures (``cctv-float-page: 3 312.0pt
of 650.0pt``). Standard library only.
"""

from __future__ import annotations

import re

OVERFULL_PT = 1.0
FLOAT_PAGE_FILL = 0.5

_BEGIN = re.compile(r"^cctv-float-begin: (figure|table) (\S+)")
_END = re.compile(r"^cctv-float-end: ")
_OVERFULL = re.compile(r"^Overfull \\hbox \((\d+(?:\.\d+)?)pt too wide\) (.*)")
_TOO_LARGE = re.compile(r"Float too large for page by ([\d.]+pt)")
_UNDEFINED = re.compile(r"(Reference|Citation) `([^']+)' on page (\d+) undefined")
_UNKNOWN_NUMBER = re.compile(r"unknown number (\S+)")
_DUPLICATE = re.compile(r"destination with the same identifier \(name\{([^}]+)\}\)")
_FLOAT_PAGE = re.compile(r"^cctv-float-page: (\d+) ([\d.]+)pt of ([\d.]+)pt")
_NEWLABEL = re.compile(r"\\newlabel\{((?:fig|tab):[^}]+)\}\{\{([^}]*)\}\{([^}]*)\}")
_REF = re.compile(r"\\(?:ref|autoref|pageref)\{((?:fig|tab):[^}]+)\}")


def _where(current: tuple[str, str] | None) -> str:
    return f"{current[0]} {current[1]}" if current else "the main text"


def log_problems(log: str) -> list[str]:
    """Overfull boxes above 1 pt, floats too large, undefined references and citations, unknown numbers and
    duplicate destinations in a TeX log (written with ``max_print_line`` large, so no line is wrapped)."""
    problems: list[str] = []
    current: tuple[str, str] | None = None
    for line in log.splitlines():
        if m := _BEGIN.match(line):
            current = (m.group(1), m.group(2))
            continue
        if _END.match(line):
            current = None
            continue
        if (m := _OVERFULL.match(line)) and float(m.group(1)) > OVERFULL_PT:
            problems.append(f"{_where(current)}: Overfull \\hbox ({m.group(1)}pt too wide) {m.group(2)}")
        if m := _TOO_LARGE.search(line):
            problems.append(f"{_where(current)}: float too large for the page by {m.group(1)}")
        if m := _UNDEFINED.search(line):
            problems.append(f"{m.group(1).lower()} {m.group(2)} undefined (page {m.group(3)})")
        if m := _UNKNOWN_NUMBER.search(line):
            problems.append(f"{_where(current)}: unknown number {m.group(1)} (not in numbers.tex)")
        if m := _DUPLICATE.search(line):
            problems.append(f"duplicate PDF destination {m.group(1)} (near {_where(current)})")
    return list(dict.fromkeys(problems))


def float_labels(aux: str) -> dict[str, str]:
    """{label: number as printed} of every figure and table label of an aux file ("fig:claims_audit": "2")."""
    return {m.group(1): m.group(2) for m in _NEWLABEL.finditer(aux)}


def _series(number: str) -> tuple[str, int] | None:
    m = re.fullmatch(r"([A-Z]*)(\d+)", number)
    return (m.group(1), int(m.group(2))) if m else None


def order_problems(text: str, labels: dict[str, str]) -> list[str]:
    """Floats numbered otherwise than in the order ``text`` (the document's sources, in reading order) first cites
    them, and floats never cited. Main-text and supplement floats (S1, S2...) are numbered apart."""
    problems: list[str] = []
    first: list[str] = list(dict.fromkeys(_REF.findall(text)))
    for label in sorted(set(labels) - set(first)):
        problems.append(f"{_kind(label)} {label.split(':', 1)[1]} ({labels[label]}) is never cited in the text")
    position: dict[tuple[str, str], int] = {}  # (kind, "" or "S"): how many of that series the text has cited
    for label in first:
        if label not in labels:
            continue  # undefined: log_problems names it
        series = _series(labels[label])
        if series is None:
            continue
        key = (_kind(label), series[0])
        position[key] = position.get(key, 0) + 1
        if series[1] != position[key]:
            problems.append(f"{_kind(label)} {label.split(':', 1)[1]} is numbered {labels[label]} but is the "
                            f"{_ordinal(position[key])} {series[0] and 'supplementary '}{_kind(label)} the text cites")
    return problems


def _kind(label: str) -> str:
    return "figure" if label.startswith("fig:") else "table"


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def float_page_problems(log: str) -> list[str]:
    """Float-only pages whose floats fill less than `FLOAT_PAGE_FILL` of the text height."""
    problems = []
    for line in log.splitlines():
        if m := _FLOAT_PAGE.match(line):
            page, used, height = int(m.group(1)), float(m.group(2)), float(m.group(3))
            if height > 0 and used / height < FLOAT_PAGE_FILL:
                problems.append(f"page {page} holds only floats and is {used / height:.0%} full "
                                f"(at least {FLOAT_PAGE_FILL:.0%})")
    return problems
