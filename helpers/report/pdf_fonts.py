"""Lean TrueType subsets for the PDFs `helpers.report.figures.save_figure` writes.

A PDF places every glyph itself, so a viewer never applies a font's OpenType layout tables (GSUB, GPOS, GDEF:
ligatures, kerning, mark positioning; matplotlib has already laid the text out). matplotlib's Type 42 embedding
still subsets them, and that closure over DejaVu Sans' layout tables is most of the time a PDF takes to save
(about 0.05 s of 0.08 s per font). `lean_subsets` drops them while a figure is saved; the glyphs, their outlines
and metrics are the same, so the page looks the same (tests/test_figures.py renders both and compares).
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from contextlib import contextmanager

from matplotlib.backends import _backend_pdf_ps as pdf_ps

LAYOUT_TABLES = ["GSUB", "GPOS", "GDEF"]
# The tables matplotlib itself leaves out of a subset (matplotlib/backends/_backend_pdf_ps.py, 3.11).
_MATPLOTLIB_DROPS = ["FFTM", "PfEd", "BDF", "meta", "MERG", "TSIV", "Zapf", "bdat", "bloc", "cidg", "fdsc", "feat",
                     "fmtx", "fond", "just", "kerx", "ltag", "morx", "trak", "xref"]
_ORIGINAL = getattr(pdf_ps, "get_glyphs_subset", None)
# The function replaced must be the one this module mirrors (two arguments, a SubsetResults); otherwise, after a
# matplotlib upgrade, PDFs are written as matplotlib writes them (tests/test_figures.py then fails on purpose).
SUPPORTED = (_ORIGINAL is not None and hasattr(pdf_ps, "SubsetResults")
             and list(inspect.signature(_ORIGINAL).parameters) == ["fontfile", "glyphs"])


def glyphs_subset(fontfile, glyphs):
    """matplotlib's ``get_glyphs_subset`` with the OpenType layout tables left out of the subset."""
    from fontTools import subset

    options = subset.Options(glyph_names=True, recommended_glyphs=True)
    options.drop_tables += _MATPLOTLIB_DROPS + LAYOUT_TABLES
    options.font_number = fontfile.face_index
    font = subset.load_font(fontfile, options)
    subsetter = subset.Subsetter(options=options)
    subsetter.populate(gids=glyphs)
    subsetter.subset(font)
    return pdf_ps.SubsetResults(font, subsetter.glyph_index_map)._as_cm()


@contextmanager
def lean_subsets() -> Iterator[None]:
    """Within the block, PDFs (and PostScript) embed font subsets without layout tables (`glyphs_subset`)."""
    if not SUPPORTED:
        yield
        return
    pdf_ps.get_glyphs_subset = glyphs_subset
    try:
        yield
    finally:
        pdf_ps.get_glyphs_subset = _ORIGINAL
