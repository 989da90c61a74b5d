"""Fuzzing the readers of the project's inputs (issue 24): arbitrary bytes to the city-table reader, arbitrary YAML
text and structures to the config loaders (scenarios file, corrections, column mappings).

Every example ends in a result or a `ProjectError` whose message is one line, within the deadline: never another
exception type, never a hang (an alias bomb or a deep nesting is refused before any value is built).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers.data.city_tables import gazetteer, load_mapping, read_city_table
from helpers.data.scenarios_file import load_spec
from helpers.data.table_options import TableEntry, load_corrections
from helpers.errors import ProjectError
from helpers.paths import DATA_RAW

pytestmark = pytest.mark.slow  # about 15 s: the full suite fuzzes, the edit-test loop does not
FUZZ = settings(max_examples=200, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
HEADER = ('City,Country,# of CCTV Cameras,# of People,"# of CCTV Cameras per 1,000 People",Cameras per Square Mile,'
          "Crime Index\n")
# characters that matter to a CSV reader, to number cells and to YAML, plus a few beyond ASCII
CSV_CHARS = st.sampled_from(list(',"\n\r \t0123456789.-abcLondonChina\u00e9\u2019\ufeff\x00'))
YAML_CHARS = st.sampled_from(list("&*[]{}:,-?!|>'\"#%@`\n \tabcxyz0123456789.~\u00e9"))
SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
STRUCTURES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                          | st.dictionaries(st.text(max_size=10) | st.integers(), inner, max_size=4), max_leaves=20)
FOLDER = Path(tempfile.mkdtemp(prefix="fuzz-"))  # one folder for every example (hypothesis runs them one by one)


@pytest.fixture(scope="module", autouse=True)
def warm_gazetteer():
    gazetteer()  # loaded once, so no example's time includes it


def ends_well(call) -> None:
    """``call()`` returns, or raises a ProjectError of one line."""
    try:
        call()
    except ProjectError as exc:
        assert "\n" not in str(exc), str(exc)


def table(content: bytes) -> Path:
    path = FOLDER / "t.csv"
    path.write_bytes(content)
    return path


@FUZZ
@given(st.binary(max_size=2000))
def test_any_bytes_as_a_city_table(content):
    ends_well(lambda: read_city_table(str(table(content))))


@FUZZ
@given(st.text(CSV_CHARS, max_size=600), st.sampled_from(["stop", "drop"]))
def test_any_rows_under_a_known_header(rows, policy):
    path = table((HEADER + rows).encode("utf-8", "surrogatepass"))
    ends_well(lambda: read_city_table({"path": str(path), "on_bad_rows": policy}))


def config(text: str) -> Path:
    path = FOLDER / "c.yml"
    path.write_text(text, encoding="utf-8")
    return path


def each_loader(path: Path) -> None:
    figures = DATA_RAW / "article_figures.csv"
    ends_well(lambda: load_spec(path, figures, verify_checksum=False))
    ends_well(lambda: load_corrections(TableEntry(path="t.csv", corrections=str(path))))
    ends_well(lambda: load_mapping(str(path)))


@FUZZ
@given(st.text(YAML_CHARS, max_size=300))
def test_any_yaml_text_to_the_config_loaders(text):
    each_loader(config(text))


@FUZZ
@given(STRUCTURES)
def test_any_yaml_structure_to_the_config_loaders(data):
    each_loader(config(yaml.safe_dump(data, allow_unicode=True)))


@FUZZ
@given(STRUCTURES, st.sampled_from(["scenarios", "defaults", "columns", "country_aliases", "drop_rows", "values",
                                    "sensitivity", "city_names"]))
def test_any_value_under_a_known_key(data, key):
    each_loader(config(yaml.safe_dump({key: data}, allow_unicode=True)))
