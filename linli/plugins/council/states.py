"""The life of a matter as data: its states, the moves between them, and the words for them.

Who may make a move is decided in :mod:`linli.plugins.council.matters` (council members, the
facilitator; a resident may withdraw their own matter); a poll's close makes the decision moves.
"""

from __future__ import annotations

from linli.core.plugin import N_

__all__ = ["CATEGORIES", "CLOSED", "LABELS", "TRANSITIONS", "allowed"]

# TRANSLATORS: states of a council matter (议题)
LABELS = {
    "open": N_("open for comment"),
    "proposal": N_("proposal"),
    "voting": N_("voting"),
    "passed": N_("passed"),
    "rejected": N_("rejected"),
    "withdrawn": N_("withdrawn"),
    "implementing": N_("being implemented"),
    "done": N_("done"),
    "merged": N_("merged"),
    "referred": N_("referred to mediation"),
}

#: from each state, the states a matter may move to
TRANSITIONS: dict[str, frozenset[str]] = {
    "open": frozenset({"proposal", "withdrawn", "merged", "referred"}),
    "proposal": frozenset({"voting", "withdrawn", "merged", "referred"}),
    # a poll without quorum (or a tie) sends the matter back to the proposal
    "voting": frozenset({"passed", "rejected", "proposal"}),
    "passed": frozenset({"implementing"}),
    "implementing": frozenset({"done"}),
    "rejected": frozenset(),
    "withdrawn": frozenset(),
    "done": frozenset(),
    "merged": frozenset(),
    "referred": frozenset(),
}

CLOSED = frozenset(state for state, onward in TRANSITIONS.items() if not onward)

# TRANSLATORS: categories of a council matter
CATEGORIES = {
    "environment": N_("Greenery and environment"),
    "facilities": N_("Repairs and facilities"),
    "safety": N_("Safety"),
    "convention": N_("Residents' convention"),
    "property": N_("Property management"),
    "neighbours": N_("Neighbourly relations"),
    "other": N_("Other"),
}


def allowed(current: str, target: str) -> bool:
    """Whether a matter in ``current`` may move to ``target``."""
    return target in TRANSITIONS.get(current, frozenset())
