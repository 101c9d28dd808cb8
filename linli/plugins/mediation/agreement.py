"""The agreement: a mediator records its terms in a dialog, each party confirms it with their own button."""

from __future__ import annotations

import datetime as dt
from typing import Any

from linli.core.plugin import (
    N_,
    ChoiceContext,
    CommandContext,
    DialogContext,
    HandlerGroup,
    PluginContext,
    command,
    on_choice,
    on_dialog,
)
from linli.plugins.mediation.cases import LEAD, MEDIATOR, case_number, load, may_act, mediator_ids, party_ids, record
from linli.plugins.mediation.casework import agreement_text, move
from linli.plugins.mediation.labels import FORMS
from linli.plugins.mediation.states import allowed
from linli.plugins.mediation.tables import agreements, members

__all__ = ["Agreements"]

QUESTIONS = {
    "terms": N_("What did the parties agree? (the terms; send /cancel to stop)"),
    "responsibilities": N_("Who is responsible for what?"),
    "manner": N_("How will it be performed?"),
    "deadline": N_("By which date must it be performed? (YYYY-MM-DD)"),
}
STEPS = list(QUESTIONS)


class Agreements(HandlerGroup):
    """Handlers for recording and confirming an agreement."""

    @command(
        "agreement",
        help=N_("Record the agreement of a mediation case"),
        usage=N_("NUMBER"),
        roles=(MEDIATOR, LEAD),
        where="private",
        aliases=("协议",),
    )
    def agreement(self, ctx: CommandContext) -> None:
        if len(ctx.args) != 1:
            raise ctx.fail(ctx.t("Usage: /agreement NUMBER, for example /agreement 3"))
        row = load(ctx, case_number(ctx, ctx.args[0]))
        if not may_act(ctx, row):
            raise ctx.fail(
                ctx.t("Only the mediators of case {number} and the team lead may do that.", number=row.number)
            )
        if not allowed(row.status, "agreement"):
            raise ctx.fail(ctx.t("An agreement can be recorded only while a case is being mediated."))
        ctx.start_dialog("agreement", step=STEPS[0], data={"case": row.number}, prompt=ctx.t(QUESTIONS[STEPS[0]]))

    @on_dialog("agreement")
    def agreement_step(self, ctx: DialogContext) -> None:
        step, data = ctx.dialog.step, dict(ctx.dialog.data)
        if step not in QUESTIONS:
            ctx.continue_dialog(step=step, data=data, prompt=ctx.t("Please pick one of the buttons above."))
            return
        text = ctx.text.strip()
        if not text or len(text) > 2000:
            raise ctx.fail(ctx.t("Please write a few words (at most 2000 characters)."))
        if step == "deadline":
            try:
                due = dt.date.fromisoformat(text)
            except ValueError:
                raise ctx.fail(ctx.t("Please write the date as YYYY-MM-DD, for example 2026-12-31.")) from None
            if due < ctx.now().date():
                raise ctx.fail(ctx.t("That date has passed; please give a later one."))
            text = due.isoformat()
        data[step] = text
        following = STEPS.index(step) + 1
        if following < len(STEPS):
            ctx.continue_dialog(step=STEPS[following], data=data, prompt=ctx.t(QUESTIONS[STEPS[following]]))
        else:
            ctx.continue_dialog(
                step="form",
                data=data,
                prompt=ctx.t("Is the agreement written or oral?"),
                choices=[ctx.choice(ctx.t(label), "form", key) for key, label in FORMS.items()],
            )

    @on_choice("form")
    def form(self, ctx: ChoiceContext) -> None:
        if ctx.dialog is None or ctx.dialog.name != "agreement" or ctx.dialog.step != "form" or ctx.data not in FORMS:
            raise ctx.fail(ctx.t("That agreement was already recorded or cancelled."))
        data = ctx.dialog.data
        row = load(ctx, int(data["case"]))
        if not may_act(ctx, row) or not allowed(row.status, "agreement"):
            raise ctx.fail(ctx.t("An agreement can be recorded only while a case is being mediated."))
        ctx.store.insert(
            agreements,
            case_id=row.id,
            form=ctx.data,
            terms=data["terms"],
            responsibilities=data["responsibilities"],
            manner=data["manner"],
            deadline=dt.date.fromisoformat(data["deadline"]),
            made_by=ctx.person.id if ctx.person else None,
            made_at=ctx.clock.now(),
        )
        ctx.end_dialog()
        move(ctx, row, "agreement", form=ctx.data)
        deal = ctx.store.get(agreements, agreements.c.case_id == row.id)
        for pid in party_ids(ctx, row.id):
            t = ctx.translator_for(pid)
            ctx.send_private(
                pid,
                t(
                    "{agreement}\nPlease confirm it if it is what you agreed.",
                    agreement=agreement_text(t, row.number, deal),
                ),
                choices=[ctx.choice(t("I confirm the agreement"), "confirm", str(row.number), owner=pid)],
            )

    @on_choice("confirm")
    def confirm(self, ctx: ChoiceContext) -> None:
        row = load(ctx, case_number(ctx, ctx.data))
        if row.status != "agreement":
            raise ctx.fail(ctx.t("Case {number} is not waiting for confirmations.", number=row.number))
        changed = ctx.store.update(
            members,
            members.c.case_id == row.id,
            members.c.role == "party",
            members.c.person_id == ctx.person.id,
            members.c.confirmed_at.is_(None),
            confirmed_at=ctx.clock.now(),
        )
        if not changed:
            raise ctx.fail(
                ctx.t("You have already confirmed, or you are not a party to case {number}.", number=row.number)
            )
        record(ctx, row.id, "confirm")
        ctx.audit("mediation.confirm", f"case:{row.number}")
        ctx.reply(
            ctx.t("Thank you; your confirmation of the agreement of case {number} is recorded.", number=row.number)
        )
        waiting = ctx.store.count(
            members,
            members.c.case_id == row.id,
            members.c.role == "party",
            members.c.person_id.is_not(None),
            members.c.confirmed_at.is_(None),
        )
        if not waiting:
            _tell_mediators(ctx, row)


def _tell_mediators(ctx: PluginContext, row: Any) -> None:
    for pid in mediator_ids(ctx, row.id):
        t = ctx.translator_for(pid)
        ctx.send_private(
            pid,
            t(
                "All parties confirmed the agreement of case {number}. Send /progress {number} "
                "performing REASON when performance begins.",
                number=row.number,
            ),
        )
