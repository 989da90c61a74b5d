"""The one verdict vocabulary of the project (documented in docs/verdicts.md) and the rule that picks a verdict.

Every comparison of a stated figure with what it can be recomputed from ends in one of six verdicts. The
claims audit, the per-city checks and the figures all call `verdict`, so the words mean the same thing
everywhere. Kept light (no pandas): the scenarios-file validation may import it.
"""

from __future__ import annotations

CONSISTENT = "consistent within rounding"
BOUND = "satisfies bound"
IDENTITY = "arithmetic identity"
EDITION = "differs by edition"
INCONSISTENT = "inconsistent"
UNCHECKABLE = "cannot be checked"
VERDICTS = (CONSISTENT, BOUND, IDENTITY, EDITION, INCONSISTENT, UNCHECKABLE)

# Colours for figures (Okabe & Ito): agreement greens and blues, an edition difference amber, an error vermilion.
COLORS = {CONSISTENT: "#009E73", BOUND: "#56B4E9", IDENTITY: "#0072B2", EDITION: "#E69F00",
          INCONSISTENT: "#D55E00", UNCHECKABLE: "#999999"}


def verdict(*, checkable: bool, agrees: bool = False, bound: bool = False, identity: bool = False,
            editions_differ: bool = False) -> str:
    """The verdict of one comparison.

    ``checkable``: both sides could be computed. ``agrees``: their intervals overlap (or the bound holds).
    ``bound``: the stated figure is a bound. ``identity``: the recomputation uses figures of the same source
    that the stated one is arithmetically derived with. ``editions_differ``: the two sides are known to come
    from different editions of the same source.
    """
    if not checkable:
        return UNCHECKABLE
    if agrees:
        return BOUND if bound else IDENTITY if identity else CONSISTENT
    return EDITION if editions_differ else INCONSISTENT
