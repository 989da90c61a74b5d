"""Build paper/main.pdf from an outputs folder (default: the committed ``outputs/``) with pdflatex and bibtex.

    python paper/build.py                 # check every table alone, then the note -> paper/main.pdf
    python paper/build.py --tables-only   # only the check of every table
    python paper/build.py --outputs /tmp/o

Every presentation table (``<outputs>/tables/*.tex``) is first checked to compile alone, with the paper's preamble
(all of them in one document, then one by one if that fails), so a table that does not compile, or does not fit, is
named ("table claims_audit does not compile: claims_audit.tex:12: Undefined control sequence. l.12 ..."). Then the
note is assembled: the figures of ``<outputs>/figures/index.tex`` are split into one file each
(paper/build/floats/), the main text (paper/main.tex) inputs the few it shows by name, and every other figure and
table goes to the supplement (numbered S1, S2...), cited in the order it prints them. The first figure is the world
map (``world_map``) when the outputs hold it, else `OVERVIEW_FALLBACK`, and the build says so. The note is compiled
with pdflatex, bibtex (paper/references.bib) and pdflatex twice, then the typesetting gate (paper/gate.py) reads the
log and the aux file: an overfull box, a float too large, an undefined reference or citation, a duplicate
destination, floats numbered out of the order the text cites them or a float page less than half full fails the
build, naming the figure or table. Build products go to paper/build/ (git-ignored); the PDF is copied to
paper/main.pdf. Standard library only. Needs pdflatex: see docs/manuscript.md for the Debian packages.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gate  # paper/gate.py, beside this file

PAPER = Path(__file__).resolve().parent
ROOT = PAPER.parent
BUILD = PAPER / "build"
ENGINE = "pdflatex"
OVERVIEW = "world_map"  # the note's first figure
OVERVIEW_FALLBACK = "per_1000_vs_per_sq_mi"  # until the outputs hold the world map
# TeX's log lines unwrapped (the gate reads one warning per line), dates fixed (a byte-stable PDF)
TEX_ENV = {"SOURCE_DATE_EPOCH": "0", "FORCE_SOURCE_DATE": "1", "max_print_line": "100000", "error_line": "254",
           "half_error_line": "238"}


class BuildError(Exception):
    """A compile that failed, with what the log says."""


def engine() -> str | None:
    """The TeX engine's path, or None."""
    return shutil.which(ENGINE)


def _tex_path(path: Path) -> str:
    """A path for TeX: relative to paper/ where possible (no spaces), with forward slashes."""
    try:
        return os.path.relpath(path, PAPER).replace(os.sep, "/")
    except ValueError:
        return path.as_posix()


_FILE_LINE_ERROR = re.compile(r"^(?P<file>[^\s:][^:]*):(?P<line>\d+): (?P<error>.*)$")  # -file-line-error's form


def _errors(log: str) -> str:
    """The first error of a TeX log with the line of source after it: "broken.tex:2: Undefined control sequence.
    l.2 \\undefinedmacro" (TeX's "file:line: error" form), or a "!" line and the two after it."""
    lines = log.splitlines()
    for i, line in enumerate(lines):
        found = _FILE_LINE_ERROR.match(line)
        if found and not found["error"].lstrip().startswith("==> Fatal error"):
            context = next((x.strip() for x in lines[i + 1:i + 4] if x.startswith("l.")), "")
            return f"{Path(found['file']).name}:{found['line']}: {found['error'].strip()} {context}".strip()
        if line.startswith("!"):
            return " ".join(x.strip() for x in lines[i:i + 3] if x.strip())
    return (lines[-1] if lines else "no log").strip()


def compile_tex(source: str, jobname: str, outdir: Path) -> Path:
    """Compile LaTeX ``source`` (the text of a document) in paper/; return the PDF or raise BuildError."""
    outdir.mkdir(parents=True, exist_ok=True)
    (outdir / f"{jobname}.tex").write_text(source, encoding="utf-8")
    cmd = [ENGINE, "-interaction=nonstopmode", "-halt-on-error", "-file-line-error", f"-output-directory={outdir}",
           f"-jobname={jobname}", str(outdir / f"{jobname}.tex")]
    env = {**os.environ, **TEX_ENV}
    proc = subprocess.run(cmd, cwd=PAPER, capture_output=True, text=True, env=env, check=False)
    log = outdir / f"{jobname}.log"
    if proc.returncode != 0:
        text = log.read_text(encoding="utf-8", errors="replace") if log.is_file() else proc.stdout
        raise BuildError(_errors(text))
    return outdir / f"{jobname}.pdf"


def tables_document(tables: list[Path], outputs: Path) -> str:
    """A document holding presentation tables with the paper's preamble, each in a group of its own (nothing one
    defines reaches the next) and on a page of its own."""
    return "\n".join([r"\documentclass[10pt]{article}", rf"\newcommand\outputsdir{{{_tex_path(outputs)}}}",
                      r"\input{preamble}", r"\begin{document}",
                      *(rf"{{\input{{{_tex_path(table)}}}}}\clearpage" for table in tables), r"\end{document}", ""])


def _overfull(log: Path) -> list[str]:
    """The overfull-box lines of a compiled document's log."""
    return [line.split(": ", 1)[1] for line in gate.log_problems(log.read_text(encoding="utf-8", errors="replace"))
            if "Overfull" in line]


def check_tables(outputs: Path, jobs: int | None = None, folder: Path = BUILD / "tables") -> list[str]:
    """Compile every table of ``outputs``/tables alone (in ``folder``); return one line per table that fails.

    All of them are compiled in one document first (`tables_document`: one preamble loaded instead of one per
    table), in a temporary folder of its own under ``folder`` (two builds at once never share its files). When that
    compiles without an overfull box, so does each table alone, and nothing is named. Otherwise each table is
    compiled in a document of its own, to name the ones at fault.
    """
    tables = sorted(p for p in (outputs / "tables").glob("*.tex") if p.name != "index.tex")
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder, prefix="together-") as together:
        try:
            pdf = compile_tex(tables_document(tables, outputs), "tables", Path(together))
            if not _overfull(pdf.with_suffix(".log")):
                return []
        except BuildError:
            pass

    def one(table: Path) -> list[str]:
        try:
            pdf = compile_tex(tables_document([table], outputs), table.stem, folder)
        except BuildError as exc:
            return [f"table {table.stem} does not compile: {exc}"]
        return [f"table {table.stem}: {line}" for line in _overfull(pdf.with_suffix(".log"))]

    with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool:
        return [m for lines in pool.map(one, tables) for m in lines]


# --- the note's floats: main text and supplement ------------------------------------------------------------------

_FIGURE = re.compile(r"\\begin\{figure\}.*?\\end\{figure\}", re.S)
_LABEL = re.compile(r"\\label\{fig:([^}]+)\}")
_USES = re.compile(r"\\paper(figure|table)\{([^}]+)\}")


def split_figures(outputs: Path, folder: Path) -> list[str]:
    """Write each figure environment of ``outputs``/figures/index.tex to ``folder``/figure-<name>.tex; return
    the names in the index's order."""
    shutil.rmtree(folder, ignore_errors=True)  # no figure of an earlier build is left behind
    folder.mkdir(parents=True)
    names = []
    for block in _FIGURE.findall((outputs / "figures" / "index.tex").read_text(encoding="utf-8")):
        label = _LABEL.search(block)
        if label is None:
            raise BuildError(f"figures/index.tex: a figure without a label: {block[:80]!r}")
        names.append(label.group(1))
        (folder / f"figure-{label.group(1)}.tex").write_text(block + "\n", encoding="utf-8")
    return names


def table_names(outputs: Path) -> list[str]:
    """The tables of ``outputs``/tables/index.tex, in its order."""
    text = (outputs / "tables" / "index.tex").read_text(encoding="utf-8")
    return re.findall(r"\\input\{\\outputsdir/tables/([^}]+)\.tex\}", text)


def overview(figures: list[str]) -> str:
    """The note's first figure: the world map when the outputs hold it, else `OVERVIEW_FALLBACK` (said so)."""
    if OVERVIEW in figures:
        return OVERVIEW
    print(f"NOTE: figures/{OVERVIEW}.pdf is not among the outputs' figures: Figure 1 is {OVERVIEW_FALLBACK} "
          f"until the world map step writes it", file=sys.stderr)
    if OVERVIEW_FALLBACK not in figures:
        raise BuildError(f"neither {OVERVIEW} nor {OVERVIEW_FALLBACK} is among the outputs' figures")
    return OVERVIEW_FALLBACK


def supplement(main: str, figures: list[str], tables: list[str]) -> str:
    """The supplement: every figure and table the main text does not show, numbered S1, S2... in the order the
    main text first cites them (then the outputs' order), each cited once in its opening paragraph."""
    shown = set(_USES.findall(main))
    cited = list(dict.fromkeys(re.findall(r"\\ref\{(fig|tab):([^}]+)\}", main)))
    out = [r"\FloatBarrier", r"\clearpage", r"\section*{Supplementary material}", r"\label{sec:supplement}",
           r"\setcounter{figure}{0}\setcounter{table}{0}",
           r"\renewcommand\thefigure{S\arabic{figure}}\renewcommand\theHfigure{S\arabic{figure}}",
           r"\renewcommand\thetable{S\arabic{table}}\renewcommand\theHtable{S\arabic{table}}"]
    parts = {}
    for kind, names in (("figure", figures), ("table", tables)):
        rest = [n for n in names if (kind, n) not in shown]
        first = [n for k, n in cited if k == kind[:3] and n in rest]
        parts[kind] = first + [n for n in rest if n not in first]
    refs = [f"{kind.title()}s " + ", ".join(rf"\ref{{{kind[:3]}:{n}}}" for n in names)
            for kind, names in parts.items() if names]
    out.append("The supplement holds every figure and table of the outputs that the main text does not show, in "
               f"the order of the analysis: {'; and '.join(refs) or 'none'}.")
    out += [rf"\paperfigure{{{n}}}" for n in parts["figure"]]
    out.append(r"\FloatBarrier")
    # the supplement's tables stand where they are cited ([H]): run-on pages of tables, never a float page that
    # one short table leaves mostly empty (the last page of a document of floats)
    out.append(r"\let\cctvtable\table\let\cctvendtable\endtable"
               r"\renewenvironment{table}[1][]{\cctvtable[H]}{\cctvendtable}")
    out += [rf"\papertable{{{n}}}" for n in parts["table"]]
    return "\n".join(out) + "\n"


def authors(cff: Path = ROOT / "CITATION.cff") -> str:
    """The author line from CITATION.cff: each author's name (or given and family names) and affiliation, for
    ``\\author`` (a line of YAML read by pattern: the file is flat and the build uses the standard library only)."""
    text = cff.read_text(encoding="utf-8")
    block = text.split("\nauthors:", 1)[1] if "\nauthors:" in text else ""
    people = []
    block = re.split(r"\n(?=\S)", block, maxsplit=1)[0]  # up to the next top-level key
    for entry in re.split(r"\n\s*-\s+", block)[1:]:
        fields = dict(re.findall(r"^\s*([\w-]+):\s*\"?([^\"\n]*)\"?", entry, re.M))
        name = fields.get("name") or " ".join(x for x in (fields.get("given-names"), fields.get("family-names")) if x)
        line = _tex_escape(name)
        if fields.get("affiliation"):
            line += r"\\ \small " + _tex_escape(fields["affiliation"])
        people.append(line)
    if not people:
        raise BuildError("CITATION.cff names no author")
    return r" \and ".join(people)


def _tex_escape(text: str) -> str:
    return re.sub(r"([&%$#_{}])", r"\\\1", text)


def _bibtex(jobname: str, outdir: Path) -> None:
    env = {**os.environ, **TEX_ENV, "BIBINPUTS": f"{PAPER}{os.pathsep}"}
    proc = subprocess.run(["bibtex", jobname], cwd=outdir, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        raise BuildError(f"bibtex: {(proc.stdout + proc.stderr).strip().splitlines()[-1:]}")


def build(outputs: Path) -> tuple[Path, list[str]]:
    """Assemble and compile the note on ``outputs`` (pdflatex, bibtex, pdflatex twice); copy the PDF to
    paper/main.pdf; return it and the typesetting gate's problems (none: the note is ready)."""
    floats = BUILD / "floats"
    figures = split_figures(outputs, floats)
    first = overview(figures)
    main = (PAPER / "main.tex").read_text(encoding="utf-8").replace(r"\overviewfigure", first)
    main_floats = [n for _, n in _USES.findall(main)]
    missing = [n for n in main_floats if n not in figures and n not in table_names(outputs)]
    if missing:
        raise BuildError(f"paper/main.tex shows {missing}, which the outputs do not hold")
    supp = supplement(main, figures, table_names(outputs))
    (floats / "supplement.tex").write_text(supp, encoding="utf-8")
    head = "\n".join([rf"\newcommand\outputsdir{{{_tex_path(outputs)}}}",
                      rf"\newcommand\floatsdir{{{_tex_path(floats)}}}", rf"\newcommand\overviewfigure{{{first}}}",
                      rf"\newcommand\paperauthor{{{authors()}}}"])
    source = head + "\n" + (PAPER / "main.tex").read_text(encoding="utf-8")
    compile_tex(source, "main", BUILD)
    _bibtex("main", BUILD)
    for _ in range(2):
        pdf = compile_tex(source, "main", BUILD)
    log = (BUILD / "main.log").read_text(encoding="utf-8", errors="replace")
    aux = (BUILD / "main.aux").read_text(encoding="utf-8", errors="replace")
    problems = (gate.log_problems(log) + gate.order_problems(main + supp, gate.float_labels(aux))
                + gate.float_page_problems(log))
    target = PAPER / "main.pdf"
    shutil.copyfile(pdf, target)
    return target, problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outputs", default=str(ROOT / "outputs"), help="outputs folder (default: outputs/)")
    parser.add_argument("--tables-only", action="store_true", help="only check that every table compiles")
    args = parser.parse_args(argv)
    outputs = Path(args.outputs).resolve()
    if engine() is None:
        print(f"{ENGINE} not found: install a TeX engine (docs/manuscript.md: apt-get install texlive-latex-base "
              "texlive-latex-recommended texlive-latex-extra texlive-science)", file=sys.stderr)
        return 2
    for need in ("tables/index.tex", "figures/index.tex", "numbers/numbers.tex"):
        if not (outputs / need).is_file():
            print(f"{outputs / need} is missing: run `make reproduce` first", file=sys.stderr)
            return 2
    failures = check_tables(outputs)
    for line in failures:
        print(line, file=sys.stderr)
    if failures:
        return 1
    print(f"every table of {_tex_path(outputs)}/tables compiles")
    if args.tables_only:
        return 0
    try:
        pdf, problems = build(outputs)
    except BuildError as exc:
        print(f"paper/main.tex does not compile: {exc}", file=sys.stderr)
        return 1
    for line in problems:
        print(f"typesetting: {line}", file=sys.stderr)
    if problems:
        print(f"wrote {_tex_path(pdf)}, which fails the typesetting gate ({len(problems)} problems)", file=sys.stderr)
        return 1
    print(f"wrote {_tex_path(pdf)}; it passes the typesetting gate")
    return 0


if __name__ == "__main__":
    sys.exit(main())
