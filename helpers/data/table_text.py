"""A city table's text, checked before any cell is worked on: decoded with the table's encoding (a bad byte named
by its line), no cell longer than `MAX_CELL_CHARS`, every row as many fields as the header (or, with
``on_bad_rows: drop``, the other rows left out and returned), at least one data row.

Rows are counted as pandas counts them, a blank line being a row: data row ``i`` (from 0) is file line
``i + 1 + HEADER_LINES``, the line every message and the cleaning log name. The frame is then read by pandas with
the options of `helpers.data.io.read_text_table`, so a table that passes reads exactly as it did before.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from helpers.data.io import HEADER_LINES, TEXT_CELLS
from helpers.errors import RawDataError
from helpers.paths import relative

MAX_CELL_CHARS = 1_000  # the longest cell a city table may hold (docs/your-own-table.md)
NO_ROWS = "the table has no data rows (a header row and at least one row of values are needed)"


@dataclass
class TableText:
    """A table's cells as text (index + 1 + HEADER_LINES = file line) and the rows left out for their number of
    fields: (line, the row's text, what is wrong)."""

    frame: pd.DataFrame
    ragged: list[tuple[int, str, str]] = field(default_factory=list)


def decode(path: Path, encoding: str | None = None) -> str:
    """The file's text in ``encoding`` (default UTF-8, a byte-order mark dropped); RawDataError naming the line of
    the first byte that is not in that encoding, and the option that names another."""
    data = path.read_bytes()
    name = codecs.lookup(encoding or "utf-8").name
    try:
        return data.decode("utf-8-sig" if name == "utf-8" else name)
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise RawDataError(
            f"{relative(path)}, line {line}: byte 0x{data[exc.start]:02x} is not {encoding or 'UTF-8'} text; give "
            f"the table's encoding as an option, e.g. {{path: {relative(path)}, encoding: latin-1}} "
            "(docs/your-own-table.md)") from None


@contextmanager
def _fields_up_to(chars: int) -> Iterator[None]:
    """The csv module's field limit raised to ``chars`` while a table is split (a long cell is then reported by
    `_check_cells` with its line and column rather than by csv without them), and restored after."""
    before = csv.field_size_limit()
    csv.field_size_limit(max(before, chars))
    try:
        yield
    finally:
        csv.field_size_limit(before)


def _rows(text: str, where: str) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        with _fields_up_to(len(text) + 1):
            return list(reader)
    except csv.Error as exc:
        raise RawDataError(f"{where}, line {reader.line_num}: cannot be read as CSV ({exc})") from None


def _blank(row: list[str]) -> bool:
    return all(not cell.strip() for cell in row)


def _check_cells(rows: list[list[str]], where: str) -> None:
    """RawDataError at the first cell longer than MAX_CELL_CHARS (before any cell is worked on)."""
    header = rows[0]
    for n, row in enumerate(rows):
        if max(map(len, row), default=0) <= MAX_CELL_CHARS:
            continue
        col = next(i for i, cell in enumerate(row) if len(cell) > MAX_CELL_CHARS)
        column = f"column '{header[col]}'" if col < len(header) and n else f"field {col + 1}"
        raise RawDataError(f"{where}, line {n + HEADER_LINES}, {column}: a cell of {len(row[col]):,} characters "
                           f"({row[col][:20]!r}...); a cell may hold at most {MAX_CELL_CHARS:,}: shorten it")


def _frame(text: str, where: str) -> pd.DataFrame:
    try:
        return pd.read_csv(io.StringIO(text), **TEXT_CELLS)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise RawDataError(f"{where}: cannot be read as CSV ({' '.join(str(exc).split())})") from None


def read_table_text(path: Path, *, encoding: str | None = None, drop_ragged: bool = False) -> TableText:
    """The table's cells as text, checked (see the module). A row with another number of fields than the header is
    a RawDataError naming its line, or with ``drop_ragged`` left out and returned in ``ragged``."""
    where = relative(path)
    text = decode(path, encoding)
    rows = _rows(text, where)
    if not rows or all(_blank(row) for row in rows[1:]):
        raise RawDataError(f"{where}: {NO_ROWS}")
    if _blank(rows[0]):
        raise RawDataError(f"{where}, line 1: the header row is blank; the first line must name the columns")
    _check_cells(rows, where)
    width = len(rows[0])
    ragged = [(n + HEADER_LINES, ",".join(row), f"{len(row)} field{'s' * (len(row) != 1)}; the header has {width}")
              for n, row in enumerate(rows[1:], start=1) if len(row) != width and not _blank(row)]
    if ragged and not drop_ragged:
        line, _, why = ragged[0]
        more = f" (and {len(ragged) - 1} more)" if len(ragged) > 1 else ""
        raise RawDataError(f"{where}, line {line}: {why}, a row cut short or with a stray separator{more}. Fix the "
                           "table, or set on_bad_rows: drop to leave such rows out (docs/your-own-table.md)")
    if not ragged:
        return TableText(_frame(text, where))
    left_out = {line for line, _, _ in ragged}
    kept = [row for n, row in enumerate(rows) if n + HEADER_LINES not in left_out]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(kept)
    frame = _frame(out.getvalue(), where)
    index = [n - 1 for n in range(1, len(rows)) if n + HEADER_LINES not in left_out]
    if len(frame) != len(index):
        raise RawDataError(f"{where}: cannot be read as CSV (rows of {width} fields and others could not be told "
                           "apart); fix the rows with another number of fields")
    frame.index = pd.Index(index)
    return TableText(frame, ragged)
