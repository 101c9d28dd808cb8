"""Extending a case's time limit with the parties' consent.

A mediator asks (``/extend``); every party who talks to linli is asked privately and
answers with a button. The limit moves only when all of them agree; one refusal ends
the request. A party who does not use the chat (only named by the applicant) consents
to the mediator, who says so in the reason. With no party in the chat at all the
mediator's record stands on its own, as before.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from linli.core.plugin import (
    N_,
    Choice,
    ChoiceContext,
    CommandContext,
    HandlerGroup,
    PluginContext,
    command,
    on_choice,
    parse_number,
)
from linli.plugins.mediation.cases import (
    LEAD,
    MEDIATOR,
    case_number,
    load,
    may_act,
    mediator_ids,
    out_of_the_group,
    party_ids,
    record,
    tell,
    words_after,
)
from linli.plugins.mediation.states import CLOSED
from linli.plugins.mediation.tables import cases, extension_answers, extensions

__all__ = ["Extensions"]

#: the most days one extension may add.
MAX_DAYS = 365


class Extensions(HandlerGroup):
    """``/extend`` and the parties' answers."""

    @command(
        "extend",
        help=N_("Extend a case's time limit with the parties' consent"),
        usage=N_("NUMBER DAYS REASON"),
        roles=(MEDIATOR, LEAD),
        aliases=("延期",),
    )
    def extend(self, ctx: CommandContext) -> None:
        out_of_the_group(ctx, "extend")
        if len(ctx.args) < 3 or parse_number(ctx.args[1], high=MAX_DAYS) is None:
            raise ctx.fail(ctx.t("Usage: /extend NUMBER DAYS REASON, for example /extend 3 15 both parties agreed"))
        row = load(ctx, case_number(ctx, ctx.args[0]))
        if not may_act(ctx, row):
            raise ctx.fail(
                ctx.t("Only the mediators of case {number} and the team lead may do that.", number=row.number)
            )
        if row.status in CLOSED:
            raise ctx.fail(ctx.t("Case {number} is closed.", number=row.number))
        days, reason = ctx.number(ctx.args[1], high=MAX_DAYS), words_after(ctx, 2)
        if ctx.store.get(extensions, extensions.c.case_id == row.id, extensions.c.status == "asked") is not None:
            raise ctx.fail(
                ctx.t(
                    "The parties of case {number} have not yet answered the last request to extend it.",
                    number=row.number,
                )
            )
        parties = party_ids(ctx, row.id)
        request = ctx.store.insert(
            extensions,
            case_id=row.id,
            days=days,
            reason=reason,
            asked_by=ctx.person.id,
            asked_at=ctx.clock.now(),
            status="asked" if parties else "agreed",
        )
        ctx.audit("mediation.extend_asked", f"case:{row.number}", days=days, parties=len(parties))
        if not parties:
            _apply(ctx, row, days, reason, ctx.person.id)
            return

        def answers(person: int, t: Any) -> list[Choice]:
            return [
                ctx.choice(t("I agree to the extension"), "extension", f"{request}:yes", owner=person),
                ctx.choice(t("I do not agree"), "extension", f"{request}:no", owner=person),
            ]

        missing = tell(
            ctx,
            parties,
            N_(
                "The mediator asks to extend the time limit of your case {number} by {days} "
                "day(s). Reason: {reason}. Do you agree?"
            ),
            choices_for=answers,
            number=row.number,
            days=days,
            reason=reason,
        )
        if missing:
            names = ctx.display_names(missing)
            ctx.reply(
                ctx.t(
                    "Asked the parties of case {number}; {names} have no private chat with me yet, so the "
                    "request waits until they open one and answer with /extension {number}.",
                    number=row.number,
                    names="、".join(names[p] for p in missing),
                )
            )
        else:
            ctx.reply(
                ctx.t(
                    "Asked the parties of case {number}; the time limit changes when all of them agree.",
                    number=row.number,
                )
            )

    @command(
        "extension",
        help=N_("Answer a request to extend your mediation case"),
        usage=N_("NUMBER"),
        where="private",
        aliases=("延期确认",),
    )
    def extension(self, ctx: CommandContext) -> None:
        """Show the open request again, with its buttons (for a party who missed it)."""
        if not ctx.args:
            raise ctx.fail(ctx.t("Usage: /extension NUMBER, for example /extension 3"))
        row = load(ctx, case_number(ctx, ctx.args[0]))
        request = ctx.store.get(extensions, extensions.c.case_id == row.id, extensions.c.status == "asked")
        if request is None or ctx.person.id not in party_ids(ctx, row.id):
            raise ctx.fail(ctx.t("Case {number} is not waiting for your answer.", number=row.number))
        ctx.reply(
            ctx.t(
                "The mediator asks to extend the time limit of your case {number} by {days} day(s). "
                "Reason: {reason}. Do you agree?",
                number=row.number,
                days=request.days,
                reason=request.reason,
            ),
            choices=[
                ctx.choice(ctx.t("I agree to the extension"), "extension", f"{request.id}:yes"),
                ctx.choice(ctx.t("I do not agree"), "extension", f"{request.id}:no"),
            ],
        )

    @on_choice("extension")
    def extension_answer(self, ctx: ChoiceContext) -> None:
        ident, _, answer = ctx.data.partition(":")
        request_id = parse_number(ident)
        request = ctx.store.get(extensions, extensions.c.id == request_id) if request_id is not None else None
        row = ctx.store.get(cases, cases.c.id == request.case_id) if request is not None else None
        if (
            request is None
            or row is None
            or request.status != "asked"
            or row.status in CLOSED
            or ctx.person.id not in party_ids(ctx, row.id)
        ):
            raise ctx.fail(ctx.t("That request is no longer waiting for your answer."))
        agreed = answer == "yes"
        done = ctx.store.get(
            extension_answers,
            extension_answers.c.extension_id == request.id,
            extension_answers.c.person_id == ctx.person.id,
        )
        if done is not None:
            raise ctx.fail(ctx.t("You already answered this request."))
        now = ctx.clock.now()
        ctx.store.insert(
            extension_answers, extension_id=request.id, person_id=ctx.person.id, agreed=agreed, answered_at=now
        )
        record(ctx, row.id, "extension_answer", params={"agreed": agreed})
        ctx.audit("mediation.extension_answer", f"case:{row.number}", agreed=agreed)
        mediators = mediator_ids(ctx, row.id)
        if not agreed:
            ctx.store.update(extensions, extensions.c.id == request.id, status="refused", decided_at=now)
            tell(
                ctx,
                mediators,
                N_("{name} does not agree to extend case {number}; its time limit stays."),
                name=ctx.person.display_name,
                number=row.number,
            )
            ctx.reply(ctx.t("Noted: the time limit of case {number} stays as it is.", number=row.number))
            return
        yes = {
            a.person_id
            for a in ctx.store.select(
                extension_answers, extension_answers.c.extension_id == request.id, extension_answers.c.agreed.is_(True)
            )
        }
        waiting = [p for p in party_ids(ctx, row.id) if p not in yes]
        if waiting:
            ctx.reply(
                ctx.t(
                    "Thank you. The extension of case {number} waits for the other party's answer.", number=row.number
                )
            )
            return
        ctx.store.update(extensions, extensions.c.id == request.id, status="agreed", decided_at=now)
        ctx.reply(ctx.t("Thank you. Everyone agreed."))
        _apply(ctx, row, request.days, request.reason, request.asked_by, tell_ids=[*party_ids(ctx, row.id), *mediators])


def _apply(
    ctx: PluginContext, row: Any, days: int, reason: str, asked_by: int | None, tell_ids: list[int] | None = None
) -> None:
    deadline = row.deadline_at + dt.timedelta(days=days)
    ctx.store.update(cases, cases.c.id == row.id, deadline_at=deadline)
    # the mediator's request, in their words: the last party's button only completed it
    record(ctx, row.id, "extended", reason, params={"days": days}, by=asked_by)
    ctx.audit("mediation.extend", f"case:{row.number}", days=days)
    if tell_ids is None:
        ctx.reply(
            ctx.t(
                "Case {number} now runs until {date}.",
                number=row.number,
                date=ctx.t.datetime(deadline, ctx.district.timezone, "short"),
            )
        )
        return
    for pid in dict.fromkeys(tell_ids):
        t = ctx.translator_for(pid)
        ctx.send_private(
            pid,
            t(
                "Case {number} now runs until {date}.",
                number=row.number,
                date=t.datetime(deadline, ctx.district.timezone, "short"),
            ),
        )
