"""Working a case: reading it, talking in it through the bot, assigning mediators, moving it on."""

from __future__ import annotations

import datetime as dt
from typing import Any

from linli.core.plugin import (
    N_,
    Choice,
    ChoiceContext,
    CommandContext,
    ConversationContext,
    DialogContext,
    HandlerGroup,
    PluginContext,
    command,
    on_choice,
    on_dialog,
)
from linli.plugins.mediation.cases import (
    LEAD,
    MEDIATOR,
    case_number,
    load,
    may_act,
    may_see,
    mediator_ids,
    out_of_the_group,
    party_ids,
    party_names,
    record,
    team_room,
    tell,
    words_after,
)
from linli.plugins.mediation.labels import CATEGORIES, CONTACT, FORMS, RISKS
from linli.plugins.mediation.lines import case_line
from linli.plugins.mediation.states import CLOSED, LABELS, MANUAL, OPEN, allowed
from linli.plugins.mediation.tables import agreements, cases, members

__all__ = ["Casework"]

RELAY_TIMEOUT = dt.timedelta(hours=2)
#: what each closing move tells the parties, besides the reason
AFTERWORD = {
    "declined": N_(
        "Mediation is voluntary. You may still apply for arbitration, ask the competent administrative "
        "department to handle it, or go to court."
    ),
    "ended": N_(
        "The mediation ended without agreement. You may apply for arbitration, ask the competent "
        "administrative department to handle it, or bring a lawsuit in court."
    ),
    "breached": N_(
        "The agreement was not performed. You may bring a lawsuit in court; if the agreement was "
        "judicially confirmed, you may apply to the court for enforcement."
    ),
    "escalated": N_("Because of the risk to public order or safety, the case was handed to the community police."),
    "performed": N_("The agreement has been performed. Thank you for settling it peacefully."),
}


class Casework(HandlerGroup):
    """Handlers for the parties and the team once a case exists."""

    # --- reading and talking -----------------------------------------------------------

    @command(
        "case",
        help=N_("See a mediation case you take part in, and talk in it"),
        usage=N_("NUMBER [message]"),
        where="private",
        aliases=("案件",),
    )
    def case(self, ctx: CommandContext) -> None:
        if not ctx.args:
            raise ctx.fail(ctx.t("Usage: /case NUMBER [message], for example /case 3"))
        row = load(ctx, case_number(ctx, ctx.args[0]))
        if not may_see(ctx, row):
            raise ctx.fail(ctx.t("Only the parties and the mediators of case {number} may see it.", number=row.number))
        message = words_after(ctx, 1)
        if ctx.attachments:
            self._evidence(ctx, row)
        if message:
            self._relay(ctx, row, message)
            return
        if may_act(ctx, row):
            ctx.audit("mediation.read", f"case:{row.number}")
        ctx.reply(self._details(ctx, row))
        if row.status not in CLOSED:
            ctx.start_dialog(
                "relay",
                data={"case": row.number},
                timeout=RELAY_TIMEOUT,
                prompt=ctx.t(
                    "What you write here now goes to case {number} (send /cancel to stop).", number=row.number
                ),
            )

    @on_dialog(
        "relay",
        stopped=N_(
            "Stopped: what you write here no longer goes to case {case}. What you sent to it before was "
            "passed on and stays in the case record."
        ),
    )
    def relay_step(self, ctx: DialogContext) -> None:
        row = load(ctx, int(ctx.dialog.data["case"]))
        if not may_see(ctx, row) or row.status in CLOSED:
            raise ctx.fail(ctx.t("Case {number} is closed; nothing more goes to it.", number=row.number))
        if ctx.attachments:
            self._evidence(ctx, row)
        if ctx.text.strip() or not ctx.attachments:
            self._relay(ctx, row, ctx.text.strip())
        ctx.continue_dialog(step="", data=ctx.dialog.data, timeout=RELAY_TIMEOUT)

    def _evidence(self, ctx: ConversationContext, row: Any) -> None:
        """Photos and files sent to a case: its evidence, seen only by its parties and team
        (``/case NUMBER``); the others are told that there is new evidence."""
        if row.status in CLOSED:
            raise ctx.fail(ctx.t("Case {number} is closed; nothing more goes to it.", number=row.number))
        stored = [a for a in ctx.attachments if a.sha256]
        if not stored:
            return
        ctx.attach(row.number, stored)
        shown = ctx.t.join(ctx.describe_file(a) for a in stored)
        record(ctx, row.id, "evidence", shown)
        ctx.audit("mediation.evidence", f"case:{row.number}", files=len(stored))
        others = [p for p in (*party_ids(ctx, row.id), *mediator_ids(ctx, row.id)) if p != ctx.person.id]
        tell(
            ctx,
            others,
            N_("[Case {number}] {name} added evidence: {files}"),
            number=row.number,
            name=ctx.person.display_name,
            files=shown,
        )
        ctx.reply(ctx.t("Kept as evidence of case {number}: {files}", number=row.number, files=shown))

    def _relay(self, ctx: ConversationContext, row: Any, message: str) -> None:
        if row.status in CLOSED:
            raise ctx.fail(ctx.t("Case {number} is closed; nothing more goes to it.", number=row.number))
        if not message or len(message) > 2000:
            raise ctx.fail(ctx.t("Please write a message of at most 2000 characters."))
        record(ctx, row.id, "message", message)
        others = [p for p in (*party_ids(ctx, row.id), *mediator_ids(ctx, row.id)) if p != ctx.person.id]
        tell(
            ctx,
            others,
            N_("[Case {number}] {name}: {message}"),
            number=row.number,
            name=ctx.person.display_name,
            message=message,
        )
        ctx.reply(ctx.t("Passed on to case {number}.", number=row.number))

    def _details(self, ctx: PluginContext, row: Any) -> str:
        tz = ctx.district.timezone
        names = ctx.display_names([*party_ids(ctx, row.id), *mediator_ids(ctx, row.id)])
        shown = party_names(row, [names[p] for p in party_ids(ctx, row.id)])
        lines = [
            ctx.t(
                "Mediation case {number}: {category}, {state}",
                number=row.number,
                category=ctx.t(CATEGORIES[row.category]),
                state=ctx.t(LABELS[row.status]),
            ),
            ctx.t(
                "Filed: {date}; risk: {risk}",
                date=ctx.t.datetime(row.opened_at, tz, "short"),
                risk=ctx.t(RISKS[row.risk]),
            ),
            ctx.t("Parties: {names}", names="、".join(shown)),
            ctx.t("Mediators: {names}", names="、".join(names[p] for p in mediator_ids(ctx, row.id)) or "—"),
            ctx.t("What happened: {facts}", facts=row.facts or "—"),
            ctx.t("Wanted: {claims}", claims=row.claims or "—"),
            ctx.t("Contact: {contact}", contact=ctx.t(CONTACT.get(row.contact, CONTACT["chat"]))),
        ]
        if row.other_party and row.other_party not in shown:
            # linked by now; what the applicant wrote still helps to know who they meant
            lines.insert(3, ctx.t("The application named the other party: {name}", name=row.other_party))
        evidence = ctx.attachments_of(row.number)
        if evidence:
            lines.append(ctx.t("Evidence:"))
            lines += [f"  📎 {ctx.describe_file(f)}" for f in evidence]
        deal = ctx.store.get(agreements, agreements.c.case_id == row.id)
        if deal is not None:
            lines.append(agreement_text(ctx.t, row.number, deal))
        return "\n".join(lines)

    # --- the team ----------------------------------------------------------------------

    @command("cases", help=N_("List the open mediation cases"), roles=(MEDIATOR, LEAD), aliases=("案件列表",))
    def list_cases(self, ctx: CommandContext) -> None:
        out_of_the_group(ctx, "cases")
        rows = ctx.store.select(cases, cases.c.status.in_(sorted(OPEN)), order_by=[cases.c.number])
        if not rows:
            ctx.reply(ctx.t("No open mediation cases."))
            return
        ctx.reply("\n".join([ctx.t("Open mediation cases:"), *(case_line(ctx, r) for r in rows)]))

    @command(
        "take",
        help=N_("Take a mediation case as its mediator"),
        usage=N_("NUMBER"),
        roles=(MEDIATOR,),
        aliases=("接案",),
    )
    def take(self, ctx: CommandContext) -> None:
        out_of_the_group(ctx, "take")
        if len(ctx.args) != 1:
            raise ctx.fail(ctx.t("Usage: /take NUMBER, for example /take 3"))
        self._assign(ctx, load(ctx, case_number(ctx, ctx.args[0])), ctx.person.id)

    @command(
        "assign", help=N_("Assign a mediator to a case"), usage=N_("NUMBER NAME"), roles=(LEAD,), aliases=("指派",)
    )
    def assign(self, ctx: CommandContext) -> None:
        out_of_the_group(ctx, "assign")
        if len(ctx.args) < 2:
            raise ctx.fail(ctx.t("Usage: /assign NUMBER NAME, for example /assign 3 王律师"))
        row = load(ctx, case_number(ctx, ctx.args[0]))
        pid = ctx.person_named(words_after(ctx, 1))
        if pid is None or MEDIATOR not in ctx.roles_of(pid):
            raise ctx.fail(ctx.t("{name} is not a mediator here.", name=words_after(ctx, 1)))
        self._assign(ctx, row, pid)

    def _assign(self, ctx: PluginContext, row: Any, pid: int) -> None:
        if row.status in CLOSED:
            raise ctx.fail(ctx.t("Case {number} is closed.", number=row.number))
        if pid in mediator_ids(ctx, row.id):
            raise ctx.fail(ctx.t("That mediator is already on case {number}.", number=row.number))
        ctx.store.insert(members, case_id=row.id, person_id=pid, role=MEDIATOR, added_at=ctx.clock.now())
        ctx.audit("mediation.assign", f"case:{row.number}", mediator=pid)
        name = ctx.display_names([pid])[pid]
        tell(
            ctx,
            party_ids(ctx, row.id),
            N_("Mediator {name} takes care of your case {number}. Write to them with /case {number} MESSAGE."),
            name=name,
            number=row.number,
        )
        if ctx.person is not None and pid != ctx.person.id:
            tell(
                ctx,
                [pid],
                N_("You were assigned to mediation case {number}; send /case {number} to read it."),
                number=row.number,
            )
        ctx.reply(ctx.t("{name} is the mediator of case {number}.", name=name, number=row.number))

    @command(
        "addparty",
        help=N_("Add a party to a mediation case"),
        usage=N_("NUMBER NAME"),
        roles=(MEDIATOR, LEAD),
        aliases=("加当事人",),
    )
    def addparty(self, ctx: CommandContext) -> None:
        out_of_the_group(ctx, "addparty")
        if len(ctx.args) < 2:
            raise ctx.fail(ctx.t("Usage: /addparty NUMBER NAME, for example /addparty 3 李四"))
        row = self._actable(ctx)
        pid = ctx.person_named(words_after(ctx, 1))
        if pid is None:
            raise ctx.fail(ctx.t("I do not know {name}: they must have written to me once.", name=words_after(ctx, 1)))
        if pid in party_ids(ctx, row.id):
            raise ctx.fail(ctx.t("They are already a party to case {number}.", number=row.number))
        ctx.store.insert(members, case_id=row.id, person_id=pid, role="party", added_at=ctx.clock.now())
        ctx.store.update(cases, cases.c.id == row.id, headcount=max(row.headcount, len(party_ids(ctx, row.id))))
        ctx.audit("mediation.add_party", f"case:{row.number}", party=pid)

        def answers(person: int, t: Any) -> list[Choice]:
            return [
                ctx.choice(t("I agree to mediation"), "consent", f"{row.number}:yes", owner=person),
                ctx.choice(t("I do not wish to take part"), "consent", f"{row.number}:no", owner=person),
            ]

        missing = tell(
            ctx,
            [pid],
            N_(
                "You are invited to mediation case {number} ({category}). Mediation is "
                "voluntary and free; send /case {number} to read it and to answer."
            ),
            choices_for=answers,
            number=row.number,
            category=CATEGORIES[row.category],
        )
        if missing:
            ctx.reply(ctx.t("Added, but they have no private chat with me yet: please ask them to open one."))
        else:
            ctx.reply(ctx.t("Added to case {number}; they were invited privately.", number=row.number))

    @on_choice("consent")
    def consent(self, ctx: ChoiceContext) -> None:
        """A party invited with /addparty agrees to mediation or refuses it (mediation is voluntary)."""
        number, _, answer = ctx.data.partition(":")
        row = load(ctx, case_number(ctx, number))
        if ctx.person.id not in party_ids(ctx, row.id) or row.status in CLOSED:
            raise ctx.fail(ctx.t("Case {number} is not waiting for your answer.", number=row.number))
        record(ctx, row.id, "consent", params={"agreed": answer == "yes"})
        ctx.audit("mediation.consent", f"case:{row.number}", agreed=answer == "yes")
        if answer == "yes":
            msgid = N_("{name} agreed to mediation in case {number}.")
            ctx.reply(ctx.t("Thank you. The mediator will write to you here."))
        else:
            msgid = N_(
                "{name} does not wish to take part in case {number}; send /progress {number} declined "
                "REASON to close it."
            )
            ctx.reply(ctx.t(AFTERWORD["declined"]))
        tell(ctx, mediator_ids(ctx, row.id), msgid, name=ctx.person.display_name, number=row.number)

    def _actable(self, ctx: CommandContext) -> Any:
        row = load(ctx, case_number(ctx, ctx.args[0]))
        if not may_act(ctx, row):
            raise ctx.fail(
                ctx.t("Only the mediators of case {number} and the team lead may do that.", number=row.number)
            )
        return row

    # --- moving a case on ----------------------------------------------------------------

    @command(
        "progress",
        help=N_("Move a mediation case on"),
        usage=N_("NUMBER STATE REASON"),
        roles=(MEDIATOR, LEAD),
        aliases=("进展",),
    )
    def progress(self, ctx: CommandContext) -> None:
        out_of_the_group(ctx, "progress")
        if len(ctx.args) < 3:
            raise ctx.fail(
                ctx.t("Usage: /progress NUMBER STATE REASON; states: {states}", states=", ".join(sorted(MANUAL)))
            )
        row = self._actable(ctx)
        target = _state(ctx, ctx.args[1])
        if target is None:
            raise ctx.fail(
                ctx.t("Unknown state {state}; states: {states}", state=ctx.args[1], states=", ".join(sorted(MANUAL)))
            )
        if not allowed(row.status, target):
            raise ctx.fail(
                ctx.t(
                    "Case {number} is {current}; it cannot become {target}.",
                    number=row.number,
                    current=ctx.t(LABELS[row.status]),
                    target=ctx.t(LABELS[target]),
                )
            )
        if target == "performing":
            waiting = ctx.store.count(
                members,
                members.c.case_id == row.id,
                members.c.role == "party",
                members.c.person_id.is_not(None),
                members.c.confirmed_at.is_(None),
            )
            if waiting:
                raise ctx.fail(ctx.t("{n} party(ies) have not confirmed the agreement yet.", n=waiting))
        move(ctx, row, target, words_after(ctx, 2))

    @command(
        "risk",
        help=N_("Set the risk level of a case"),
        usage=N_("NUMBER low|medium|high"),
        roles=(MEDIATOR, LEAD),
        aliases=("风险",),
    )
    def risk(self, ctx: CommandContext) -> None:
        out_of_the_group(ctx, "risk")
        if len(ctx.args) != 2:
            raise ctx.fail(ctx.t("Usage: /risk NUMBER low|medium|high"))
        row = self._actable(ctx)
        level = next((k for k, v in RISKS.items() if ctx.args[1] in (k, ctx.t(v))), None)
        if level is None:
            raise ctx.fail(ctx.t("Usage: /risk NUMBER low|medium|high"))
        ctx.store.update(cases, cases.c.id == row.id, risk=level)
        record(ctx, row.id, "risk", params={"risk": level})
        ctx.audit("mediation.risk", f"case:{row.number}", risk=level)
        ctx.reply(ctx.t("Case {number}: risk {risk}.", number=row.number, risk=ctx.t(RISKS[level])))

    @command(
        "note",
        help=N_("Record a measure taken in a case"),
        usage=N_("NUMBER TEXT"),
        roles=(MEDIATOR, LEAD),
        aliases=("措施",),
    )
    def note(self, ctx: CommandContext) -> None:
        out_of_the_group(ctx, "note")
        self._append(ctx, "measures")

    @command(
        "followup",
        help=N_("Record a follow-up visit"),
        usage=N_("NUMBER TEXT"),
        roles=(MEDIATOR, LEAD),
        aliases=("回访",),
    )
    def followup(self, ctx: CommandContext) -> None:
        out_of_the_group(ctx, "followup")
        self._append(ctx, "followup")

    def _append(self, ctx: CommandContext, column: str) -> None:
        if len(ctx.args) < 2:
            raise ctx.fail(
                ctx.t("Usage: /{command} NUMBER TEXT", command="note" if column == "measures" else "followup")
            )
        row = self._actable(ctx)
        text = words_after(ctx, 1)
        day = ctx.now().date().isoformat()
        old = getattr(row, column)
        ctx.store.update(cases, cases.c.id == row.id, **{column: f"{old}\n{day} {text}".strip()})
        record(ctx, row.id, "note", text)
        ctx.audit(f"mediation.{column}", f"case:{row.number}")
        ctx.reply(ctx.t("Recorded in case {number}.", number=row.number))


def move(ctx: PluginContext, row: Any, target: str, reason: str = "", *, form: str | None = None) -> None:
    """Move a case to ``target``, record why, and tell everyone who must know.

    Parameters:
      reason: why, as the mediator wrote it.
      form: the agreement's form (``written``, ``oral``) when the move records an agreement: a
        code, worded for each reader.
    """
    now = ctx.clock.now()
    values: dict[str, Any] = {"status": target}
    if target in CLOSED:
        values["closed_at"] = now
    if target == "escalated":
        values["risk"] = "high"
    ctx.store.update(cases, cases.c.id == row.id, **values)
    record(
        ctx,
        row.id,
        "transition",
        reason,
        params={"form": form} if form else None,
        state_from=row.status,
        state_to=target,
    )
    ctx.audit("mediation.transition", f"case:{row.number}", state_from=row.status, state_to=target)
    parties = party_ids(ctx, row.id)
    if form:
        tell(
            ctx,
            parties,
            N_("Your mediation case {number} is now: {state} ({form})."),
            number=row.number,
            state=LABELS[target],
            form=FORMS[form],
        )
    else:
        tell(
            ctx,
            parties,
            N_("Your mediation case {number} is now: {state}. Reason: {reason}"),
            number=row.number,
            state=LABELS[target],
            reason=reason,
        )
    if target in AFTERWORD:
        tell(ctx, parties, AFTERWORD[target])
    if target == "escalated":
        police = ctx.holders_of(MEDIATOR, scope="kind:police")
        tell(
            ctx,
            police,
            N_(
                "Case {number} ({category}) was escalated for public-order or criminal risk; please "
                "take it up. Send /case {number} to read it."
            ),
            number=row.number,
            category=CATEGORIES[row.category],
        )
        for pid in police:  # the police may read it from now on
            if pid not in mediator_ids(ctx, row.id):
                ctx.store.insert(members, case_id=row.id, person_id=pid, role=MEDIATOR, added_at=now)
        room = team_room(ctx)
        if room is not None:
            ctx.send(
                room,
                ctx.t(
                    "Case {number} ({category}) was escalated to the community police.",
                    number=row.number,
                    category=ctx.t(CATEGORIES[row.category]),
                ),
            )
    ctx.publish("mediation.case_moved", {"number": row.number, "state": target})
    ctx.reply(ctx.t("Case {number} is now: {state}.", number=row.number, state=ctx.t(LABELS[target])))


def _state(ctx: PluginContext, word: str) -> str | None:
    for key in MANUAL:
        if word.lower() in (key, ctx.t(LABELS[key]).lower()):
            return key
    return None


def agreement_text(t: Any, number: int, deal: Any) -> str:
    return str(
        t(
            "Agreement of case {number} ({form}):\nTerms: {terms}\nResponsibilities: {duties}\nManner of "
            "performance: {manner}\nPerform by: {deadline}",
            number=number,
            form=t(FORMS[deal.form]),
            terms=deal.terms,
            duties=deal.responsibilities,
            manner=deal.manner,
            deadline=deal.deadline.isoformat(),
        )
    )
