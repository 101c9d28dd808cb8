"""The life of a case as data: its states, the moves between them, and who may make them.

A case escalated to the police stays open until the police's answer is recorded with
``/progress N police_handled REASON`` (or ``mediating`` when they hand it back).

Every move is made by an assigned mediator or the team lead, with a reason (see
:func:`linli.plugins.mediation.cases.may_act`); this module says only which moves exist.
"""

from __future__ import annotations

from linli.core.plugin import N_

__all__ = ["CLOSED", "LABELS", "MANUAL", "OPEN", "TRANSITIONS", "allowed"]

LABELS = {
    "registered": N_("registered"),
    "accepted": N_("accepted"),
    "declined": N_("declined"),
    "mediating": N_("mediating"),
    "agreement": N_("agreement reached"),
    "performing": N_("being performed"),
    "performed": N_("performed"),
    "breached": N_("not performed"),
    "ended": N_("ended without agreement"),
    "escalated": N_("escalated to the police"),
    "police_handled": N_("handled by the police"),
}

#: from each state, the states a case may move to
TRANSITIONS: dict[str, frozenset[str]] = {
    "registered": frozenset({"accepted", "declined", "escalated"}),
    "accepted": frozenset({"mediating", "declined", "ended", "escalated"}),
    "mediating": frozenset({"agreement", "ended", "escalated"}),
    "agreement": frozenset({"performing", "ended", "escalated"}),
    "performing": frozenset({"performed", "breached", "escalated"}),
    "declined": frozenset(),
    "performed": frozenset(),
    "breached": frozenset(),
    "ended": frozenset(),
    # not final: the case stays on the team's list until the police's answer is recorded — they
    # dealt with it, or they hand it back to be mediated
    "escalated": frozenset({"police_handled", "mediating"}),
    "police_handled": frozenset(),
}

CLOSED = frozenset(state for state, onward in TRANSITIONS.items() if not onward)
OPEN = frozenset(TRANSITIONS) - CLOSED
#: reaching "agreement" needs its terms, so it goes through /agreement, not /progress
MANUAL = frozenset(TRANSITIONS) - {"registered", "agreement"}


def allowed(current: str, target: str) -> bool:
    """Whether a case in ``current`` may move to ``target``."""
    return target in TRANSITIONS.get(current, frozenset())
