"""Validation of data/raw/scenarios.yml: each mistake is one ConfigError line naming file, line and key.

Every test starts from the real file's text, changes one thing and checks the exact message. Line numbers
are counted by hand in the real file (its layout is pinned by ``test_real_file_layout``):

     8 defaults:                         29 population_assumptions:        53 sensitivity:
     9   year: 2021                      31   stated: {figure: ...}         54   seed: 20211231
    11   world_cameras: {figure: ...}    34   implied: {implied_by: ...}    55   draws: 10000
    14   world_total:                    37   un_wpp_2022: {source: ...}    56   percentiles: [5, 25, 50, 75, 95]
    17     scenario: conservative        40   nbs_2021: {source: ...}       60   cameras:
    20     rule: rest_of_world_fixed     42 scenarios:                      61     share: {figure: ...}
    24   world_population: 7909295151    43   conservative:                 63     world_spread: 0.10
    25   un_china_population: {source:}  45     china_cameras: {...}        67   population_between: [implied, ...]
    27   population: stated              46     stated_rate: {...}          70   city_inputs: printed_rounding
                                         47   high:
                                         49     china_cameras: {...}
                                         50     stated_rate: {...}
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.data.scenarios_file import IMPLIED, Value, load_spec, scenario_names
from helpers.errors import ChecksumError, ConfigError, ProjectError
from helpers.paths import DATA_RAW, PROJECT_ROOT

REAL = (DATA_RAW / "scenarios.yml").read_text(encoding="utf-8")
FILE = "data/raw/scenarios.yml"
HIGH = ("  high:\n    description: IHS Markit's higher estimate of cameras in China (626 million)\n"
        "    china_cameras: {figure: china_cameras_high}\n    stated_rate: {figure: china_per_1000_high}\n")


def edit(old: str, new: str, text: str = REAL) -> str:
    """``text`` with the one occurrence of ``old`` replaced."""
    assert text.count(old) == 1, f"{old!r} must occur once"
    return text.replace(old, new)


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A scratch project root holding data/raw/article_figures.csv and china_populations.csv, so messages read as
    for the real file."""
    root = tmp_path.resolve()
    (root / "data" / "raw").mkdir(parents=True)
    shutil.copy(DATA_RAW / "article_figures.csv", root / "data" / "raw" / "article_figures.csv")
    shutil.copy(DATA_RAW / "china_populations.csv", root / "data" / "raw" / "china_populations.csv")
    monkeypatch.setattr("helpers.paths.PROJECT_ROOT", root)
    return root


@pytest.fixture
def error(project):
    """error(text) -> the ConfigError message for a scenarios file holding ``text``."""

    def run(text: str) -> str:
        path = project / "data" / "raw" / "scenarios.yml"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(ConfigError) as err:
            load_spec(path, project / "data" / "raw" / "article_figures.csv", verify_checksum=False)
        message = str(err.value)
        assert "\n" not in message
        return message

    return run


def test_real_file_layout():
    lines = REAL.splitlines()
    assert lines[8 - 1] == "defaults:" and lines[24 - 1] == "  world_population: 7909295151"
    assert lines[17 - 1] == "    scenario: conservative" and lines[20 - 1] == "    rule: rest_of_world_fixed"
    assert lines[25 - 1] == "  un_china_population: {source: un_wpp_2022}" and lines[27 - 1] == "  population: stated"
    assert lines[42 - 1] == "scenarios:" and lines[47 - 1] == "  high:"
    assert lines[49 - 1] == "    china_cameras: {figure: china_cameras_high}"
    assert lines[54 - 1] == "  seed: 20211231" and lines[56 - 1] == "  percentiles: [5, 25, 50, 75, 95]"
    assert lines[61 - 1] == "    share: {figure: china_share_of_world}" and lines[63 - 1] == "    world_spread: 0.10"
    assert lines[67 - 1] == "  population_between: [implied, stated, un_wpp_2022, nbs_2021]"
    assert lines[70 - 1] == "  city_inputs: printed_rounding" and len(lines) == 70


def test_real_file_validates_to_the_model():
    spec = load_spec()
    assert spec.defaults.world_population == Value(number=7909295151)  # typed in the file (line 24)
    # line 45: {figure: china_cameras_conservative}, "540 million" in data/raw/article_figures.csv
    assert spec.scenarios["conservative"].china_cameras == Value(number=540e6, figure="china_cameras_conservative")
    # lines 37 and 40: {source: <population_id>}, rows of data/raw/china_populations.csv
    assert spec.population_assumptions == {"stated": Value(number=1.46e9, figure="china_population"),
                                           "implied": IMPLIED,
                                           "un_wpp_2022": Value(number=1425893465, source="un_wpp_2022"),
                                           "nbs_2021": Value(number=1412.60e6, source="nbs_2021")}
    assert spec.defaults.un_china_population == Value(number=1425893465, source="un_wpp_2022")  # the same row
    assert spec.sensitivity.percentiles == (5.0, 25.0, 50.0, 75.0, 95.0)
    assert scenario_names(spec) == scenario_names() == ["conservative", "high"]
    assert isinstance(ConfigError("x"), ProjectError)


def test_import_does_not_load_pandas():
    code = "import helpers.data.scenarios_file, sys; assert 'pandas' not in sys.modules and 'numpy' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, check=True)


@pytest.mark.parametrize(("old", "new", "message"), [
    # line 54: a tab cannot start a token
    ("  seed: 20211231", "\tseed: 20211231", f"{FILE} line 54: not valid YAML: found character '\\t' that cannot "
     "start any token"),
    # line 54 opens a flow list that is still open at 'draws:' on line 55
    ("  seed: 20211231", "  seed: [20211231", f"{FILE} line 55: not valid YAML: expected ',' or ']', but got ':'"),
])
def test_invalid_yaml(error, old, new, message):
    assert error(edit(old, new)) == message


def test_wrong_type_lists_expected_keys(error):
    # `high:` is line 47 and becomes `high: 5`
    assert error(edit(HIGH, "  high: 5\n")) == (
        f"{FILE} line 47: scenarios.high: expected a mapping of china_cameras, stated_rate, description; got 5")


def test_misspelt_key_suggests_the_closest(error):
    # line 49 `    china_cameras: ...` becomes `    china_camera: ...`; the missing china_cameras is the same mistake
    text = edit("china_cameras: {figure: china_cameras_high}", "china_camera: {figure: china_cameras_high}")
    assert error(text) == f"{FILE} line 49: scenarios.high.china_camera: unknown key; did you mean 'china_cameras'?"
    # a top-level key: appended after the last line (70) and a blank line, so on line 72
    assert error(REAL + "\nscenario: {}\n") == f"{FILE} line 72: scenario: unknown key; did you mean 'scenarios'?"


def test_unknown_key_without_a_close_match_lists_valid_keys(error):
    # a new line after line 50 (the last of `high`) is line 51
    text = edit(HIGH, HIGH + "    colour: red\n")
    assert error(text) == (f"{FILE} line 51: scenarios.high.colour: unknown key; "
                           "valid: china_cameras, stated_rate, description")


def test_unknown_figure_is_named_with_the_closest_id(error):
    # line 49
    text = edit("{figure: china_cameras_high}", "{figure: china_camera_high}")
    assert error(text) == (f"{FILE} line 49: scenarios.high.china_cameras.figure: article figure 'china_camera_high' "
                           "is not in data/raw/article_figures.csv; did you mean 'china_cameras_high'?")


def test_misspelt_figure_key(error):
    # line 49
    text = edit("{figure: china_cameras_high}", "{figur: china_cameras_high}")
    assert error(text) == f"{FILE} line 49: scenarios.high.china_cameras.figur: unknown key; did you mean 'figure'?"


def test_unreadable_figure_value(error, project):
    csv_path = project / "data" / "raw" / "article_figures.csv"
    csv_path.write_text(csv_path.read_text(encoding="utf-8").replace(",626 million,", ",lots,"), encoding="utf-8")
    # line 49 refers to china_cameras_high, whose value_text is now 'lots'
    assert error(REAL).startswith(f"{FILE} line 49: scenarios.high.china_cameras.figure: article figure "
                                  "'china_cameras_high' in data/raw/article_figures.csv is not a number: 'lots' is")


@pytest.mark.parametrize(("old", "new", "message"), [
    # line 49
    ("{figure: china_cameras_high}", "-5", "line 49: scenarios.high.china_cameras: must be greater than 0; got -5"),
    ("{figure: china_cameras_high}", "lots",
     "line 49: scenarios.high.china_cameras: expected a number, {figure: <id>} or {source: <population_id>}; got "
     "'lots'"),
    # line 50
    ("{figure: china_per_1000_high}", "0", "line 50: scenarios.high.stated_rate: must be greater than 0; got 0"),
    # line 11 (the sensitivity's cameras.world on line 62 refers to the same figure, not to this line)
    ("world_cameras: {figure: world_cameras}", "world_cameras: 0",
     "line 11: defaults.world_cameras: must be greater than 0; got 0"),
    # line 24
    ("7909295151", "-1", "line 24: defaults.world_population: must be greater than 0; got -1"),
    # line 25
    ("un_china_population: {source: un_wpp_2022}", "un_china_population: 0",
     "line 25: defaults.un_china_population: must be greater than 0; got 0"),
    # line 9
    ("year: 2021", "year: 2021.5", "line 9: defaults.year: expected a whole number; got 2021.5"),
])
def test_values_must_be_positive_numbers(error, old, new, message):
    assert error(edit(old, new)) == f"{FILE} {message}"


def test_numbers_may_be_text_or_numbers(project):
    text = edit("7909295151", "7.909e9", edit("{figure: china_cameras_high}", "'626,000,000'",
                                               edit("draws: 10000", "draws: 1e4")))
    path = project / "data" / "raw" / "scenarios.yml"
    path.write_text(text, encoding="utf-8")
    spec = load_spec(path, project / "data" / "raw" / "article_figures.csv", verify_checksum=False)
    assert spec.sensitivity.draws == 10_000  # YAML 1.1 reads 1e4 as text; still a whole number
    assert spec.defaults.world_population.number == 7.909e9  # text too
    assert spec.scenarios["high"].china_cameras == Value(number=626e6)  # a number typed in, no figure


def test_china_share_above_100_percent(error):
    # line 49: 1.2e9 cameras against the article's 1 billion worldwide
    text = edit("{figure: china_cameras_high}", "1.2e9")
    assert error(text) == (f"{FILE} line 49: scenarios.high.china_cameras: china_cameras (1,200,000,000) exceeds "
                           "world_cameras (1,000,000,000): China's share would be 120%, above 100%")


def test_world_population_must_exceed_china(error):
    # line 24; 1e9 is below 1.46e9 (stated), below the implied population of both scenarios, the UN's 1,425,893,465
    # and the statistics bureau's 1,412,600,000 (5 problems on line 24) and below the UN's China (one problem on
    # line 25, un_china_population)
    text = edit("7909295151", "1.0e9")
    assert error(text) == (f"{FILE} line 24: defaults.world_population: world_population (1,000,000,000) must exceed "
                           "China's population under population assumption 'stated' (1,460,000,000) (and 5 more)")
    # line 25: the UN's China above the UN's world
    assert error(edit("un_china_population: {source: un_wpp_2022}", "un_china_population: 8e9")) == (
        f"{FILE} line 25: defaults.un_china_population: un_china_population (8,000,000,000) must be below "
        "world_population (7,909,295,151)")


@pytest.mark.parametrize(("old", "new", "message"), [
    # line 55: 1.9 draws is refused, not truncated to 1
    ("draws: 10000", "draws: 1.9", "line 55: sensitivity.draws: expected a whole number; got 1.9"),
    ("draws: 10000", "draws: 0", "line 55: sensitivity.draws: must be between 1 and 10,000,000; got 0"),
    # line 54
    ("seed: 20211231", "seed: -1", "line 54: sensitivity.seed: must be at least 0; got -1"),
    ("seed: 20211231", "seed: true", "line 54: sensitivity.seed: expected a whole number; got true"),
    # line 63
    ("world_spread: 0.10", "world_spread: 1.5",
     "line 63: sensitivity.cameras.world_spread: must be between 0 and 1; got 1.5"),
    # line 63: at 1 the world total's low end would be 0 cameras
    ("world_spread: 0.10", "world_spread: 1",
     "line 63: sensitivity.cameras.world_spread: must be below 1 (the world total would reach 0); got 1"),
    # line 61: the share's printed rounding is part of the range, so a bare number is refused
    ("share: {figure: china_share_of_world}", "share: 54",
     "line 61: sensitivity.cameras.share: expected {figure: <id>} (the printed figure's rounding is used); got 54"),
    # line 61: a share of 540 million "percent" is no share
    ("share: {figure: china_share_of_world}", "share: {figure: china_cameras_conservative}",
     "line 61: sensitivity.cameras.share: a share in percent must be at most 100; got 540,000,000"),
    # line 60: `cameras:` loses its `world:` (line 62)
    ("    world: {figure: world_cameras}\n", "", "line 60: sensitivity.cameras.world: required key is missing"),
    # line 56: items are on the same line; [2] is the third
    ("[5, 25, 50, 75, 95]", "[5, 50, 25, 95]",
     "line 56: sensitivity.percentiles[2]: percentiles must increase; 25 follows 50"),
    ("[5, 25, 50, 75, 95]", "[5, 50, 95, 101]",
     "line 56: sensitivity.percentiles[3]: percentile must be between 0 and 100; got 101"),
    ("[5, 25, 50, 75, 95]", "[10, 50, 90]",
     "line 56: sensitivity.percentiles: must include 5, 50, 95 (notebook 04 compares them); missing 5, 95"),
    # line 67
    ("[implied, stated,", "[implied, stater,",
     "line 67: sensitivity.population_between[1]: unknown population assumption 'stater'; did you mean 'stated'?"),
    ("[implied, stated, un_wpp_2022, nbs_2021]", "[implied]",
     "line 67: sensitivity.population_between: expected a list of at least two population assumption names; "
     "got ['implied']"),
    ("[implied, stated, un_wpp_2022, nbs_2021]", "[implied, stated, implied]",
     "line 67: sensitivity.population_between[2]: population assumption 'implied' is named twice"),
    # line 70
    ("city_inputs: printed_rounding", "city_inputs: rounded",
     "line 70: sensitivity.city_inputs: unknown city-input rule 'rounded'; did you mean 'printed_rounding'?"),
])
def test_sensitivity_rules(error, old, new, message):
    assert error(edit(old, new)) == f"{FILE} {message}"


NAME_RULE = ("a scenario name must be 1 to 64 characters, start with a letter or digit and contain only letters, "
             "digits, '_' or '-'")


@pytest.mark.parametrize(("new", "message"), [
    ("  high one:\n", f"scenarios.high one: {NAME_RULE}; got 'high one'"),
    # "high\n" in double quotes is the name high plus a newline; in the one-line message the key's newline is a space
    ('  "high\\n":\n', f"scenarios.high : {NAME_RULE}; got 'high\\n'"),
    # show() keeps the first 57 characters of the repr (the quote and 56 h) and adds "..."
    ("  " + "h" * 65 + ":\n", f"scenarios.{'h' * 65}: {NAME_RULE}; got '{'h' * 56}..."),
    ("  a/b:\n", f"scenarios.a/b: {NAME_RULE}; got 'a/b'"),
    ("  common:\n", "scenarios.common: 'common' is reserved (the runner's folder for shared steps); "
     "choose another scenario name"),
])
def test_scenario_names(error, new, message):
    # the name `high` is on line 47
    assert error(edit("  high:\n", new)) == f"{FILE} line 47: {message}"


def test_a_64_character_scenario_name_is_accepted(project):
    path = project / "data" / "raw" / "scenarios.yml"
    path.write_text(edit("  high:\n", "  " + "h" * 64 + ":\n"), encoding="utf-8")
    spec = load_spec(path, project / "data" / "raw" / "article_figures.csv", verify_checksum=False)
    assert scenario_names(spec) == ["conservative", "h" * 64]


# --- hostile YAML (issue 24): refused from the event stream, before any value is built ---------------
LAST = REAL.count("\n")  # the real file's lines: text appended after it starts on line LAST + 1


def test_an_anchor_is_refused_at_its_line(error):
    # the anchor on conservative's china_cameras (line 45); high's alias (line 49) is never reached
    text = edit("china_cameras: {figure: china_cameras_conservative}",
                "china_cameras: &c {figure: china_cameras_conservative}")
    text = edit("china_cameras: {figure: china_cameras_high}", "china_cameras: *c", text)
    assert error(text) == (f"{FILE} line 45: YAML anchors and aliases (&name, *name) are not allowed; write the "
                           "value out in full")


def test_an_alias_alone_is_refused_at_its_line(error):
    assert error(edit("china_cameras: {figure: china_cameras_high}", "china_cameras: *c")).startswith(
        f"{FILE} line 49: YAML anchors and aliases")


def test_an_alias_bomb_is_refused_at_its_first_anchor(error):
    # eight levels of ten aliases (10^8 leaves if expanded), appended: the first anchor is on line LAST + 1
    bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 9))
    assert error(REAL + bomb).startswith(f"{FILE} line {LAST + 1}: YAML anchors and aliases")


@pytest.mark.parametrize(("depth", "refused"), [(31, False), (32, True)])
def test_nesting_deeper_than_32_is_refused(error, project, depth, refused):
    # the file's top mapping is level 1, so `deep:` holding `depth` nested lists reaches level depth + 1
    text = REAL + "deep: " + "[" * depth + "]" * depth + "\n"
    if refused:
        assert error(text) == f"{FILE} line {LAST + 1}: mappings and lists are nested more than 32 levels deep"
    else:  # read, then refused only as an unknown key
        assert "deep: unknown key" in error(text)


def test_a_file_over_1_mb_is_refused_unread(error):
    text = REAL + "#" * 1_000_000  # the real file's bytes plus a million: over the bound whatever the file's size
    size = len(REAL.encode("utf-8")) + 1_000_000
    assert error(text) == f"{FILE}: {size:,} bytes, more than the 1,000,000 a config file may hold"


def test_an_impossible_date_is_a_config_error(error):
    # YAML reads 2021-02-30 as a date, which does not exist (datetime raises ValueError)
    assert error(edit("  year: 2021\n", "  year: 2021-02-30\n")) == (
        f"{FILE}: not valid YAML: day is out of range for month")


def test_a_non_utf8_byte_names_its_line(project):
    path = project / "data" / "raw" / "scenarios.yml"
    path.write_bytes(edit("  high:\n", "  h\xe9:\n").encode("latin-1"))  # on line 47, as `high` was
    with pytest.raises(ConfigError) as err:
        load_spec(path, project / "data" / "raw" / "article_figures.csv", verify_checksum=False)
    assert str(err.value) == f"{FILE} line 47: not UTF-8 text (invalid continuation byte); save the file as UTF-8"


def test_at_least_one_scenario(error):
    # `scenarios:` on line 42 becomes `scenarios: {}` (lines 43-50 removed); the second problem is the missing
    # 'conservative' scenario that sensitivity.population_between's 'implied' needs
    block = "\nscenarios:\n" + REAL.split("\nscenarios:\n")[1].split("\n\n")[0] + "\n"
    assert block.endswith(HIGH) and block.count("\n") == 10  # the blank line 41, then lines 42-50
    text = edit(block, "\nscenarios: {}\n")
    assert error(text) == f"{FILE} line 42: scenarios: at least one scenario is needed (and 1 more)"


def test_conservative_needed_for_implied_without_stated_rate(error):
    # `conservative` renamed `low` (and the world total goes with `low`, line 17); `high` loses its stated_rate
    # (line 50); the error points at `scenarios:`, line 42
    text = edit("    stated_rate: {figure: china_per_1000_high}\n", "",
                edit("  conservative:", "  low:", edit("scenario: conservative", "scenario: low")))
    assert error(text) == (f"{FILE} line 42: scenarios: scenario 'conservative' is required: scenario 'high' has no "
                           "stated_rate, and population assumption 'implied' falls back to the conservative "
                           "scenario's cameras and stated_rate")


def test_population_names(error):
    # line 27
    assert error(edit("population: stated", "population: stat")) == (
        f"{FILE} line 27: defaults.population: unknown population assumption 'stat'; did you mean 'stated'? "
        "(or give a number)")
    # line 34
    assert error(edit("{implied_by: stated_rate}", "{implied_by: rate}")) == (
        f"{FILE} line 34: population_assumptions.implied.implied_by: expected 'stated_rate' (the only rule); "
        "got 'rate'")


def test_several_errors_report_the_first_in_file_order(error):
    # line 9 (year), line 54 (seed) and line 55 (draws): the first is line 9
    text = edit("year: 2021", "year: x", edit("seed: 20211231", "seed: x", edit("draws: 10000", "draws: 1.9")))
    assert error(text) == f"{FILE} line 9: defaults.year: expected a whole number; got 'x' (and 2 more)"


def test_missing_keys(error):
    # high's china_cameras (line 49) removed: reported at `high:`, line 47
    assert error(edit("    china_cameras: {figure: china_cameras_high}\n", "")) == (
        f"{FILE} line 47: scenarios.high.china_cameras: required key is missing")
    # a missing top-level section has no line
    assert error(REAL.split("# Seeded")[0]) == f"{FILE}: sensitivity: required key is missing"
    assert error("# nothing\n") == (f"{FILE}: the file is empty; expected a mapping of defaults, "
                                    "population_assumptions, scenarios, sensitivity")


def test_duplicate_key(error):
    # a second `draws:` right after line 55 is line 56
    assert error(edit("  draws: 10000\n", "  draws: 10000\n  draws: 5\n")) == (
        f"{FILE} line 56: sensitivity.draws: duplicate key (first on line 55); YAML would keep only the last")


def test_checksum_is_verified_unless_disabled(project):
    path = project / "data" / "raw" / "scenarios.yml"
    path.write_text(edit("draws: 10000", "draws: 20000"), encoding="utf-8")
    figures = project / "data" / "raw" / "article_figures.csv"
    with pytest.raises(ChecksumError, match="has changed"):
        load_spec(path, figures)
    assert load_spec(path, figures, verify_checksum=False).sensitivity.draws == 20000


@pytest.mark.parametrize(("old", "new", "message"), [
    # line 20
    ("rule: rest_of_world_fixed", "rule: world",
     "line 20: defaults.world_total.rule: unknown world-total rule 'world'; did you mean 'world_fixed'?"),
    # line 17
    ("scenario: conservative", "scenario: conservativ",
     "line 17: defaults.world_total.scenario: unknown scenario 'conservativ'; did you mean 'conservative'?"),
    # line 14: `world_total:` loses its `rule:` (line 20)
    ("    rule: rest_of_world_fixed\n", "", "line 14: defaults.world_total.rule: required key is missing"),
])
def test_world_total_rules(error, old, new, message):
    assert error(edit(old, new)) == f"{FILE} {message}"


def test_the_world_total_is_a_named_assumption():
    d = load_spec().defaults
    assert (d.world_total.scenario, d.world_total.rule) == ("conservative", "rest_of_world_fixed")
    # both UN populations from one source; the rest of the world is their difference
    assert d.world_population.number - d.un_china_population.number == 6_483_401_686


def test_a_population_source_is_a_row_of_china_populations(error):
    # line 40: nbs_2021 misspelt; the rows of data/raw/china_populations.csv are offered
    assert error(edit("nbs_2021: {source: nbs_2021}", "nbs_2021: {source: nbs_2012}")) == (
        f"{FILE} line 40: population_assumptions.nbs_2021.source: population source 'nbs_2012' is not in "
        "data/raw/china_populations.csv; did you mean 'nbs_2021'?")
    # line 40: the row 'stated' has no number of its own (it is the article's figure china_population)
    assert error(edit("nbs_2021: {source: nbs_2021}", "nbs_2021: {source: stated}")) == (
        f"{FILE} line 40: population_assumptions.nbs_2021.source: population source 'stated' in "
        "data/raw/china_populations.csv has no number: it is the article's (figure 'china_population')")
