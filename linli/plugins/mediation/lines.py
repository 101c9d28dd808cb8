"""One line about a case for the team: number, category, state, risk, age, mediators — no names of
parties and no facts, so it may go to the team room."""

from __future__ import annotations

from typing import Any

from linli.core.plugin import PluginContext
from linli.plugins.mediation.labels import CATEGORIES, RISKS
from linli.plugins.mediation.states import LABELS
from linli.plugins.mediation.tables import members

__all__ = ["case_line"]


def case_line(ctx: PluginContext, row: Any) -> str:
    """``#3 Between neighbours · mediating · risk high · 12 days · 王律师``."""
    age = (ctx.clock.now() - row.opened_at).days
    mediators = [
        m.person_id
        for m in ctx.store.select(
            members,
            members.c.case_id == row.id,
            members.c.role == "mediator",
            members.c.person_id.is_not(None),
            order_by=[members.c.id],
        )
    ]
    names = ctx.display_names(mediators)
    return ctx.t(
        "#{number} {category} · {state} · risk {risk} · {days} day(s) · mediator: {mediators}",
        number=row.number,
        category=ctx.t(CATEGORIES[row.category]),
        state=ctx.t(LABELS[row.status]),
        risk=ctx.t(RISKS[row.risk]),
        days=age,
        mediators="、".join(names[m] for m in mediators) or ctx.t("none yet"),
    )
