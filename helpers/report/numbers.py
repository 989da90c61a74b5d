"""Headline numbers for a paper's prose, read from what the steps wrote: ``numbers.tex`` (LaTeX macros) and
``numbers.json``, so that no number in a manuscript is typed by hand.

Every number is read from a step folder's own CSV or JSON (never recomputed from raw data, never typed here);
this module only picks them and formats them for prose. The gather step writes both files into its
``numbers/`` folder (``outputs/numbers/numbers.tex``). A number whose source is absent (an article-only run has
no city table; a scenario without a sensitivity run) is left out, never invented.

In LaTeX, each number is a macro ``\\cctv<Key>`` (``\\cctvHighRate``: 428.8) and also ``\\cctv{high.rate}``;
an unknown key prints a bold "??" and a warning instead of failing the build. See docs/manuscript.md.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from helpers.analysis.density import counted_vs_rule
from helpers.atomic import write_text
from helpers.paths import resolve

DIGITS = {"0": "Zero", "1": "One", "2": "Two", "3": "Three", "4": "Four", "5": "Five", "6": "Six", "7": "Seven",
          "8": "Eight", "9": "Nine"}
VERDICT_KEYS = {"consistent within rounding": "consistent", "satisfies bound": "bound",
                "arithmetic identity": "identity", "differs by edition": "edition", "inconsistent": "inconsistent",
                "cannot be checked": "uncheckable", "cannot be checked against the quoted edition": "unquoted",
                "holds": "rank_holds", "holds only under the national-rate rule": "rank_rule_only",
                "does not hold": "rank_fails"}


@dataclass(frozen=True)
class Number:
    """One headline number: its key, value, the text prose prints, and where it was read."""

    key: str
    value: float | str
    text: str
    source: str

    @property
    def macro(self) -> str:
        return "cctv" + macro_name(self.key)


def macro_name(key: str) -> str:
    """A key as the letters of a LaTeX macro name: ``high.sens_low`` -> ``HighSensLow``, digits as words."""
    words = [w for w in re.split(r"[^A-Za-z0-9]+", key) if w]
    out = "".join(w[:1].upper() + w[1:] for w in words)
    return "".join(DIGITS.get(ch, ch) for ch in out)


# --- formats for prose ----------------------------------------------------------------------------------------

def fixed(x: float, decimals: int) -> str:
    """``x`` with thousands separators and ``decimals`` decimals."""
    return f"{x:,.{decimals}f}"


def large(x: float, decimals: int | None = None) -> str:
    """A count or population in words: 540000000 -> "540 million", 1448403670 -> "1.4484 billion" (decimals as
    given, else the fewest that show it to 5 significant digits)."""
    for size, word in ((1e9, "billion"), (1e6, "million")):
        if abs(x) >= size:
            scaled = x / size
            if decimals is None:
                decimals = 0
                while decimals < 4 and not math.isclose(round(scaled, decimals), scaled, rel_tol=1e-12, abs_tol=0):
                    decimals += 1
            return f"{scaled:,.{decimals}f} {word}"
    return fixed(x, 0)


def percent(x: float, decimals: int = 1, sign: bool = False) -> str:
    """A fraction as a percentage: 0.00797 -> "0.8%"."""
    return f"{x * 100:{'+' if sign else ''}.{decimals}f}%"


# --- reading the step folders ---------------------------------------------------------------------------------

def _csv(folder: Path | None, name: str) -> pd.DataFrame | None:
    if folder is None or not (folder / name).is_file():
        return None
    return pd.read_csv(folder / name, keep_default_na=True)


def _json(folder: Path | None, name: str) -> dict | None:
    if folder is None or not (folder / name).is_file():
        return None
    return json.loads((folder / name).read_text(encoding="utf-8"))


def _slug(name: str) -> str:
    return re.sub(r"[^a-z]+", "_", name.lower()).strip("_")


class _Numbers(list):
    """The numbers read so far; `add` appends one."""

    def add(self, key: str, value: float | str, text: str, source: str) -> None:
        self.append(Number(key, value if isinstance(value, str) else float(value), text, source))


def _audit_numbers(out: _Numbers, density: Path | None) -> None:
    """Verdict counts of the claims audit, and the per-1,000 figures of the cities outside China it recomputes."""
    audit = _csv(density, "claims_audit.csv")
    if audit is None:
        return
    out.add("audit.figures", len(audit), fixed(len(audit), 0), "02_density/claims_audit.csv: rows")
    counts = audit["verdict"].value_counts()
    for verdict, key in VERDICT_KEYS.items():
        n = int(counts.get(verdict, 0))
        out.add(f"audit.{key}", n, fixed(n, 0), f"02_density/claims_audit.csv: verdict == {verdict!r}")
    for row in audit[audit["metric"].eq("cameras_per_1000") & audit["recomputed"].notna()
                     & ~audit["entity"].eq("China")].itertuples():
        slug = _slug(row.entity)
        out.add(f"{slug}.per_thousand_article", row.stated, row.value_text,
                f"02_density/claims_audit.csv: {row.figure_id} stated")
        out.add(f"{slug}.per_thousand_table", row.recomputed, fixed(row.recomputed, 2),
                f"02_density/claims_audit.csv: {row.figure_id} recomputed")


def _article_numbers(out: _Numbers, density: Path | None) -> None:
    """Every figure of the article as it prints it (``article.<figure_id>``: "approximately 1 billion", "150"), from
    the claims audit's rows, so the note's data section quotes the article without typing its numbers."""
    audit = _csv(density, "claims_audit.csv")
    if audit is None or not {"figure_id", "value_text"} <= set(audit.columns):
        return
    for row in audit.itertuples():
        out.add(f"article.{row.figure_id}", str(row.value_text), str(row.value_text),
                f"02_density/claims_audit.csv: {row.figure_id} value_text")


def _population_numbers(out: _Numbers, density: Path | None) -> None:
    """The population of China both printed pairs imply, and the stated one against it."""
    implied = _csv(density, "implied_china_population.csv")
    if implied is None:
        return
    both = implied[implied["basis"].str.startswith("both pairs")]
    stated = implied[implied["basis"].str.startswith("stated")]
    if not len(both):
        return
    r = both.iloc[0]
    src = "02_density/implied_china_population.csv: both pairs at once"
    out.add("population.implied", r["population"], large(r["population"], 4), src)
    out.add("population.implied_low", r["low"], large(r["low"], 4), src + " (low)")
    out.add("population.implied_high", r["high"], large(r["high"], 4), src + " (high)")
    if len(stated):
        s = stated.iloc[0]
        out.add("population.stated", s["population"], large(s["population"]),
                "02_density/implied_china_population.csv: stated in the article")
        gap = s["population"] / r["population"] - 1
        out.add("population.stated_over_implied", gap, percent(gap, 1),
                "02_density/implied_china_population.csv: stated / implied - 1")


def _method_numbers(out: _Numbers, density: Path | None) -> None:
    """The Chinese city with the highest printed density: printed, by the national-rate rule, counted."""
    method = _csv(density, "chinese_city_method.csv")
    if method is None or not {"method_per_sq_mi", "counted_per_sq_mi"} <= set(method.columns):
        return
    rows = method.dropna(subset=["method_per_sq_mi", "counted_per_sq_mi"])
    if not len(rows):
        return
    r = rows.sort_values("stated_per_sq_mi", ascending=False, kind="mergesort").iloc[0]
    slug = _slug(str(r["city"]))
    src = f"02_density/chinese_city_method.csv: {r['city']}"
    out.add(f"{slug}.printed_per_sq_mi", r["stated_per_sq_mi"], fixed(r["stated_per_sq_mi"], 0), src)
    out.add(f"{slug}.rule_per_sq_mi", r["method_per_sq_mi"], fixed(r["method_per_sq_mi"], 0), src)
    out.add(f"{slug}.counted_per_sq_mi", r["counted_per_sq_mi"], fixed(r["counted_per_sq_mi"], 0), src)
    ratio = r["method_per_sq_mi"] / r["counted_per_sq_mi"]
    out.add(f"{slug}.rule_over_counted", ratio, fixed(ratio, 1), src + ": rule / counted")


def _city_numbers(out: _Numbers, density: Path | None, reference: str = "") -> None:
    """The reference table's rows (`_reference_table`; every row with one table), its top city per 1,000 and that
    city's rank per square mile (ranks are within each table), and the areas flagged."""
    cities = _csv(density, "city_densities.csv")
    if cities is not None and reference and "source" in cities:
        cities = cities[cities["source"].astype(str).eq(reference)]
    if cities is not None and len(cities):
        out.add("cities.rows", len(cities), fixed(len(cities), 0), "02_density/city_densities.csv: rows")
        top = cities[cities["rank_per_1000"].eq(1)] if "rank_per_1000" in cities else cities.iloc[:0]
        if len(top) == 1 and pd.notna(top["rank_per_sq_mi"].iloc[0]):
            r = top.iloc[0]
            out.add("cities.top_per_thousand", str(r["city"]), str(r["city"]),
                    "02_density/city_densities.csv: rank_per_1000 == 1")
            out.add("cities.top_per_thousand_rank_per_sq_mi", r["rank_per_sq_mi"], fixed(r["rank_per_sq_mi"], 0),
                    f"02_density/city_densities.csv: {r['city']} rank_per_sq_mi")
    flags = _csv(density, "area_definition_flags.csv")
    if flags is not None and reference and "source" in flags:
        flags = flags[flags["source"].astype(str).eq(reference)]
    if flags is not None:
        out.add("areas.flagged", len(flags), fixed(len(flags), 0), "02_density/area_definition_flags.csv: rows")


def _national_numbers(out: _Numbers, name: str, src: str, res: dict) -> None:
    """A scenario's cameras, population, national rate, share of the world and the rest of the world."""
    sc, nat = res["scenario"], res["national"]
    out.add(f"{name}.cameras", sc["china_cameras"], large(sc["china_cameras"]), f"{src}: scenario.china_cameras")
    out.add(f"{name}.population", sc["china_population"], large(sc["china_population"]),
            f"{src}: scenario.china_population")
    out.add(f"{name}.rate", nat["china_per_1000"], fixed(nat["china_per_1000"], 1),
            f"{src}: national.china_per_1000")
    if sc.get("stated_rate") is not None:
        out.add(f"{name}.rate_printed", sc["stated_rate"], f"{sc['stated_rate']:g}", f"{src}: scenario.stated_rate")
    out.add(f"{name}.share", nat["china_share_of_world"], fixed(nat["china_share_of_world"], 3),
            f"{src}: national.china_share_of_world ({sc['world_rule']})")
    out.add(f"{name}.world_cameras", nat["world_cameras"], large(nat["world_cameras"]),
            f"{src}: national.world_cameras ({sc['world_rule']})")
    out.add(f"{name}.rest_rate", nat["rest_of_world_per_1000"], fixed(nat["rest_of_world_per_1000"], 1),
            f"{src}: national.rest_of_world_per_1000")
    out.add(f"{name}.ratio", nat["china_to_rest_ratio"], fixed(nat["china_to_rest_ratio"], 1),
            f"{src}: national.china_to_rest_ratio")
    for rule, key in (("world_fixed", "share_world_fixed"), ("rest_of_world_fixed", "share_rest_fixed")):
        by = (res.get("national_by_rule") or {}).get(rule)
        if by:
            out.add(f"{name}.{key}", by["china_share_of_world"], fixed(by["china_share_of_world"], 3),
                    f"{src}: national_by_rule.{rule}.china_share_of_world")


TABLE_BASIS = " population / area"  # a headline label's basis on a table: "<table> population / area x ..."


def _headline_numbers(out: _Numbers, name: str, src: str, res: dict, reference: str) -> None:
    """The headline city's density under a scenario, on the article's and each table's basis: the reference
    table's (`_reference_table`) is ``<city>_table``, another table's ``<city>_table_<table>``."""
    for label, value in sorted(res.get("headline", {}).items()):
        city, _, basis = label.partition(" per sq mi")
        table = basis.strip(" ()").split(TABLE_BASIS, 1)[0] if TABLE_BASIS in basis else None
        key = ("article" if table is None else
               "table" if table == reference or not reference else f"table_{_table_slug(table)}")
        out.add(f"{name}.{_slug(city)}_{key}", value, fixed(value, 0), f"{src}: headline {label!r}")


def _table_slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def _reference_table(dirs: Mapping[str, Path]) -> str:
    """The table the claims audit checked city figures against (its ``table`` column), else the first of
    notebook 01's city_sources.csv, else '' (one table or none: every table number is the reference's)."""
    audit = _csv(dirs.get("02_density"), "claims_audit.csv")
    if audit is not None and "table" in audit:
        named = audit["table"].dropna().astype(str)
        if len(named[named != ""]):
            return str(named[named != ""].iloc[0])
    sources = _csv(dirs.get("01_data_cleaning"), "city_sources.csv")
    return str(sources["name"].iloc[0]) if sources is not None and len(sources) else ""


def _estimate_numbers(out: _Numbers, name: str, step_id: str, folder: Path, reference: str = "") -> None:
    """How far the national-rate rule lands from the counted density, over a scenario's Chinese cities of the
    reference table (`_reference_table`; every table's when there is none)."""
    estimates = _csv(folder, "city_estimates.csv")
    if estimates is None or "counted_per_sq_mi" not in estimates:
        return
    if reference:
        estimates = estimates[estimates["basis"].astype(str).str.startswith(reference + TABLE_BASIS)]
    both = estimates.dropna(subset=["counted_per_sq_mi"])
    both = both[both["counted_per_sq_mi"] > 0]
    if not len(both):
        return
    ratio = both["per_sq_mi"] / both["counted_per_sq_mi"]
    esrc = f"{step_id}/city_estimates.csv: per_sq_mi / counted_per_sq_mi over {len(both)} cities"
    out.add(f"{name}.counted_cities", len(both), fixed(len(both), 0), esrc)
    out.add(f"{name}.rule_over_counted_median", ratio.median(), fixed(ratio.median(), 1), esrc + ", median")
    out.add(f"{name}.rule_over_counted_min", ratio.min(), fixed(ratio.min(), 1), esrc + ", min")
    out.add(f"{name}.rule_over_counted_max", ratio.max(), fixed(ratio.max(), 1), esrc + ", max")


def _sensitivity_numbers(out: _Numbers, name: str, folder: Path | None) -> None:
    """A scenario's sensitivity percentiles of China's rate, and its number of draws."""
    sens = _json(folder, "sensitivity.json")
    if sens is None:
        return
    ssrc = f"sensitivity/{name}/sensitivity.json"
    rate = sens["summary"]["china_per_1000"]
    for stat, key in (("p5", "sens_low"), ("p50", "sens_median"), ("p95", "sens_high")):
        out.add(f"{name}.{key}", rate[stat], fixed(rate[stat], 1), f"{ssrc}: summary.china_per_1000.{stat}")
    out.add(f"{name}.draws", sens["setup"]["draws"], fixed(sens["setup"]["draws"], 0), f"{ssrc}: setup.draws")
    setup = sens["setup"]
    for part in ("cameras", "population"):
        if isinstance(setup.get(part), dict) and {"low", "high"} <= set(setup[part]):
            for end in ("low", "high"):
                value = setup[part][end]
                out.add(f"{name}.sens_{part}_{end}", value, large(value, 4 if part == "population" else 1),
                        f"{ssrc}: setup.{part}.{end}")
    tornado = _csv(folder, "tornado.csv")
    if tornado is not None and {"output", "input", "swing"} <= set(tornado.columns):
        national = tornado[tornado["output"].astype(str).str.startswith("China:")]
        for row in national.itertuples():
            key = _slug(str(row.input).replace("China's ", ""))
            out.add(f"{name}.swing_{key}", row.swing, fixed(row.swing, 1),
                    f"sensitivity/{name}/tornado.csv: {row.output} / {row.input} swing")


def _population_source_numbers(out: _Numbers, dirs: Mapping[str, Path]) -> None:
    """China's population under each named source (`rates_by_population` of the first scenario run), and the first
    scenario's rate under it: ``population.<source>`` and ``<scenario>.rate_<source>``."""
    seen: set[str] = set()
    for step_id, folder in dirs.items():
        if not step_id.startswith("03_scenarios/"):
            continue
        table = _csv(folder, "rates_by_population.csv")
        if table is None:
            continue
        src = f"{step_id}/rates_by_population.csv"
        for row in table.itertuples():
            source = _table_slug(str(row.population_source))
            if source not in seen and source not in ("stated", "implied"):
                seen.add(source)
                out.add(f"population.{source}", row.china_population, large(row.china_population, 4),
                        f"{src}: {row.population_source} china_population")
            out.add(f"{row.scenario}.rate_{source}", row.china_per_1000, fixed(row.china_per_1000, 1),
                    f"{src}: {row.scenario} {row.population_source} china_per_1000")
        return


def _scenario_numbers(out: _Numbers, dirs: Mapping[str, Path], reference: str = "") -> None:
    """Every scenario run's numbers (`03_scenarios/<name>` folders holding a results.json), in the folders' order."""
    for step_id, folder in dirs.items():
        if not step_id.startswith("03_scenarios/"):
            continue
        name = step_id.split("/", 1)[1]
        res = _json(folder, "results.json")
        if not isinstance(res, dict) or not {"scenario", "national"} <= set(res):
            continue
        src = f"{step_id}/results.json"
        _national_numbers(out, name, src, res)
        _headline_numbers(out, name, src, res, reference)
        _estimate_numbers(out, name, step_id, folder, reference)
        _sensitivity_numbers(out, name, dirs.get(f"sensitivity/{name}"))


def _printed_rule_numbers(out: _Numbers, density: Path | None, reference: str) -> None:
    """The counted_vs_rule figure's numbers: the reference table's counted Chinese cities, their cameras per square
    mile by the article's rule at its printed rate over the counted ones (`density.counted_vs_rule`), as the figure and
    its caption give them (notebook 02)."""
    cities, method = _csv(density, "city_densities.csv"), _csv(density, "chinese_city_method.csv")
    if cities is None or method is None or "rate" not in method or not len(method.dropna(subset=["rate"])):
        return
    rate = float(method["rate"].dropna().iloc[0])
    pairs = counted_vs_rule(cities[cities["source"] == reference] if reference else cities, rate)
    ratio = (pairs["rule"] / pairs["counted"])[pairs["counted"] > 0]
    if not len(ratio):
        return
    src = f"02_density/city_densities.csv: printed rate {rate:g} x people_per_sq_mi / per_sq_mi, counted Chinese cities"
    out.add("printed_rule.counted_cities", len(ratio), fixed(len(ratio), 0), src)
    for stat, value, decimals in (("median", ratio.median(), 1), ("min", ratio.min(), 1), ("max", ratio.max(), 0)):
        # as the caption writes them: "3.2 to 332 times ... (median 14.5)"
        out.add(f"printed_rule.rule_over_counted_{stat}", value, fixed(value, decimals), f"{src}, {stat}")


def collect(step_dirs: Mapping[str, str | Path]) -> list[Number]:
    """Every headline number the step folders hold ({step id: folder}, as the gather step gets them)."""
    dirs = {k: resolve(v) for k, v in step_dirs.items()}
    out = _Numbers()
    density = dirs.get("02_density")
    reference = _reference_table(dirs)
    for step in (_audit_numbers, _article_numbers, _population_numbers, _method_numbers):
        step(out, density)
    _city_numbers(out, density, reference)
    _printed_rule_numbers(out, density, reference)
    _scenario_numbers(out, dirs, reference)
    _population_source_numbers(out, dirs)
    keys = [n.key for n in out]
    duplicated = sorted({k for k in keys if keys.count(k) > 1})
    if duplicated:
        raise ValueError(f"numbers: keys read twice: {duplicated}")
    return list(out)


# --- writing ---------------------------------------------------------------------------------------------------

def _jsonable(x: float | str) -> float | str:
    return x if isinstance(x, str) else float(f"{x:.12g}")


def to_json(numbers: list[Number]) -> str:
    data = {n.key: {"value": _jsonable(n.value), "text": n.text, "macro": "\\" + n.macro, "source": n.source}
            for n in numbers}
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def to_tex(numbers: list[Number]) -> str:
    from helpers.report.tables import latex_escape

    lines = ["% Headline numbers of the outputs, written by helpers/report/numbers.py (the gather step); do not edit.",
             "% Each is a macro (\\cctvHighRate) and a key (\\cctv{high.rate}); numbers.json says where each was read.",
             r"\providecommand\cctv[1]{\ifcsname cctv@#1\endcsname\csname cctv@#1\endcsname\else"
             r"\textbf{??#1??}\PackageWarning{numbers}{unknown number #1}\fi}"]
    macros = [n.macro for n in numbers]
    clash = sorted({m for m in macros if macros.count(m) > 1})
    if clash:
        raise ValueError(f"numbers: two keys give the macro(s) {clash}")
    for n in sorted(numbers, key=lambda n: n.key):
        text = latex_escape(n.text)
        lines.append(f"\\expandafter\\def\\csname cctv@{n.key}\\endcsname{{{text}}}")
        lines.append(f"\\newcommand\\{n.macro}{{{text}}}")
    return "\n".join(lines) + "\n"


def write(step_dirs: Mapping[str, str | Path], folder: str | Path) -> dict[str, Path]:
    """Write ``numbers.tex`` and ``numbers.json`` into ``folder``."""
    numbers = collect(step_dirs)
    folder = resolve(folder)
    return {"tex": write_text(folder / "numbers.tex", to_tex(numbers)),
            "json": write_text(folder / "numbers.json", to_json(numbers))}
