"""Build paper/main.pdf from an outputs folder (default: the committed ``outputs/``) with pdflatex.

    python paper/build.py                 # check every table alone, then main.tex (twice) -> paper/main.pdf
    python paper/build.py --tables-only   # only the check of every table
    python paper/build.py --outputs /tmp/o

Every presentation table (``<outputs>/tables/*.tex``) is first compiled alone, with the paper's preamble, so a table
that does not compile is named ("table claims_audit does not compile: ! Undefined control sequence ..."); then the
manuscript is compiled twice (references). Build products go to paper/build/ (git-ignored); the PDF is copied to
paper/main.pdf. Standard library only. Needs pdflatex: see docs/manuscript.md for the Debian packages.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

PAPER = Path(__file__).resolve().parent
ROOT = PAPER.parent
BUILD = PAPER / "build"
ENGINE = "pdflatex"


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


def _errors(log: str) -> str:
    """The first error of a TeX log: the '!' line and the two lines after it."""
    lines = log.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("!"):
            return " ".join(x.strip() for x in lines[i:i + 3] if x.strip())
    return (lines[-1] if lines else "no log").strip()


def compile_tex(source: str, jobname: str, outdir: Path) -> Path:
    """Compile LaTeX ``source`` (the text of a document) in paper/; return the PDF or raise BuildError."""
    outdir.mkdir(parents=True, exist_ok=True)
    (outdir / f"{jobname}.tex").write_text(source, encoding="utf-8")
    cmd = [ENGINE, "-interaction=nonstopmode", "-halt-on-error", "-file-line-error", f"-output-directory={outdir}",
           f"-jobname={jobname}", str(outdir / f"{jobname}.tex")]
    env = {**os.environ, "SOURCE_DATE_EPOCH": "0", "FORCE_SOURCE_DATE": "1"}
    proc = subprocess.run(cmd, cwd=PAPER, capture_output=True, text=True, env=env, check=False)
    log = outdir / f"{jobname}.log"
    if proc.returncode != 0:
        text = log.read_text(encoding="utf-8", errors="replace") if log.is_file() else proc.stdout
        raise BuildError(_errors(text))
    return outdir / f"{jobname}.pdf"


def table_document(table: Path, outputs: Path) -> str:
    """A document holding one presentation table, with the paper's preamble."""
    return "\n".join([r"\documentclass[10pt]{article}", rf"\newcommand\outputsdir{{{_tex_path(outputs)}}}",
                      r"\input{preamble}", r"\begin{document}", rf"\input{{{_tex_path(table)}}}",
                      r"\end{document}", ""])


def check_tables(outputs: Path, jobs: int | None = None) -> list[str]:
    """Compile every table of ``outputs``/tables alone; return one line per table that fails."""
    tables = sorted(p for p in (outputs / "tables").glob("*.tex") if p.name != "index.tex")

    def one(table: Path) -> str | None:
        try:
            compile_tex(table_document(table, outputs), table.stem, BUILD / "tables")
        except BuildError as exc:
            return f"table {table.stem} does not compile: {exc}"
        return None

    with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool:
        return [m for m in pool.map(one, tables) if m]


def build(outputs: Path) -> Path:
    """Compile paper/main.tex on ``outputs`` twice; copy the PDF to paper/main.pdf."""
    source = rf"\newcommand\outputsdir{{{_tex_path(outputs)}}}" + "\n" + (PAPER / "main.tex").read_text(
        encoding="utf-8")
    for _ in range(2):
        pdf = compile_tex(source, "main", BUILD)
    target = PAPER / "main.pdf"
    shutil.copyfile(pdf, target)
    return target


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
        pdf = build(outputs)
    except BuildError as exc:
        print(f"paper/main.tex does not compile: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {_tex_path(pdf)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
