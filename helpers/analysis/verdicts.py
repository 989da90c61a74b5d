"""The one verdict vocabulary of the project (documented in docs/verdicts.md) and the rule that picks a verdict.

Every comparison of a stated figure with what it can be recomputed from ends in one of seven verdicts, a rank
claim in one of three (`RANK_VERDICTS`, picked by `rank_verdict`). The claims audit, the per-city checks and
the figures all call these, so the words mean the same thing everywhere. Kept light (no pandas): the
scenarios-file validation may import it.
"""

from __future__ import annotations

CONSISTENT = "consistent within rounding"
BOUND = "satisfies bound"
IDENTITY = "arithmetic identity"
EDITION = "differs by edition"
INCONSISTENT = "inconsistent"
UNCHECKABLE = "cannot be checked"
UNQUOTED = "cannot be checked against the quoted edition"
HOLDS = "holds"
HOLDS_UNDER_RULE = "holds only under the national-rate rule"
DOES_NOT_HOLD = "does not hold"
RANK_VERDICTS = (HOLDS, HOLDS_UNDER_RULE, DOES_NOT_HOLD)
VERDICTS = (CONSISTENT, BOUND, IDENTITY, *RANK_VERDICTS, EDITION, UNQUOTED, INCONSISTENT, UNCHECKABLE)

# Colours for figures (Okabe & Ito): agreement greens and blues, an edition difference amber, an error vermilion.
COLORS = {CONSISTENT: "#009E73", BOUND: "#56B4E9", IDENTITY: "#0072B2", EDITION: "#E69F00",
          INCONSISTENT: "#D55E00", UNCHECKABLE: "#999999", UNQUOTED: "#999999", HOLDS: "#009E73",
          HOLDS_UNDER_RULE: "#CC79A7", DOES_NOT_HOLD: "#D55E00"}


def verdict(*, checkable: bool, agrees: bool = False, bound: bool = False, identity: bool = False,
            editions_differ: bool = False, quoted_loaded: bool = True) -> str:
    """The verdict of one comparison.

    ``checkable``: both sides could be computed. ``agrees``: their intervals overlap (or the bound holds).
    ``bound``: the stated figure is a bound. ``identity``: the recomputation uses figures of the same source
    that the stated one is arithmetically derived with. ``editions_differ``: the two sides are known to come
    from different editions of the same source. ``quoted_loaded``: a table of the edition the figure quotes is
    loaded; without it, a difference between editions cannot be told from an error: `UNQUOTED`.
    """
    if not checkable:
        return UNCHECKABLE
    if agrees:
        return BOUND if bound else IDENTITY if identity else CONSISTENT
    if editions_differ:
        return EDITION if quoted_loaded else UNQUOTED
    return INCONSISTENT


def rank_verdict(claimed: int, published: tuple[int, int] | None, under_rule: tuple[int, int] | None) -> str:
    """The verdict of a rank claim: ``claimed`` within the places (best, worst: a tie spans several) the table as
    published gives -> holds; else within those under the national-rate rule -> holds only under that rule; else
    does not hold. A rank is exact: there is no rounding to be consistent within."""
    def within(places: tuple[int, int] | None) -> bool:
        return places is not None and places[0] <= claimed <= places[1]
    if within(published):
        return HOLDS
    return HOLDS_UNDER_RULE if within(under_rule) else DOES_NOT_HOLD
