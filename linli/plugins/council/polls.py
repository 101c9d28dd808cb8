"""Polls (表决): opening one, casting and counting votes, closing it with a result.

Part of the council plugin's public API: :func:`open_poll` opens a poll for any part of the
plugin (a matter's proposal, a convention amendment), and closing publishes
``council.poll_closed`` with ``poll_id``, ``number``, ``subject``, ``subject_ref``,
``matter_id`` and ``outcome`` (``passed``, ``rejected``, ``no_quorum``, ``tie`` or the winning
option's text) for the handlers that act on the result.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from linli.core.plugin import N_, Address, Choice, PluginContext
from linli.plugins.council.matters import enrol, household_of, load_matter, move_matter
from linli.plugins.council.states import LABELS
from linli.plugins.council.tables import matters, polls, roll, votes
from linli.plugins.council.tally import Result, count

__all__ = [
    "ANSWERS",
    "KINDS",
    "OUTCOMES",
    "ballot_choices",
    "cast",
    "choice_text",
    "close_poll",
    "latest_ballots",
    "load_poll",
    "open_poll",
    "poll_number",
    "poll_text",
    "result_text",
    "tally",
]

# TRANSLATORS: kinds of poll
KINDS = {
    "yesno": N_("agree / disagree / abstain"),
    "single": N_("single choice"),
    "multiple": N_("multiple choice"),
    "ranked": N_("ranked choice"),
}
#: the options of a yes/no poll, in the order of their indexes (tally.YES, NO, ABSTAIN)
ANSWERS = {"yes": N_("Agree"), "no": N_("Disagree"), "abstain": N_("Abstain")}
OUTCOMES = {
    "passed": N_("passed"),
    "rejected": N_("rejected"),
    "no_quorum": N_("no decision: quorum not met"),
    "tie": N_("no decision: a tie"),
}
MAX_OPTIONS = 10


def poll_number(ctx: PluginContext, word: str) -> int:
    return ctx.number(word)


def load_poll(ctx: PluginContext, number: int) -> Any:
    """The poll numbered ``number`` in this district.

    Raises: UserError: there is no such poll here.
    """
    row = ctx.store.get(polls, polls.c.number == number)
    if row is None:
        raise ctx.fail(ctx.t("There is no poll {number} here.", number=number))
    return row


def open_poll(
    ctx: PluginContext,
    *,
    question: str,
    kind: str,
    options: Sequence[str] = (),
    matter_id: int | None = None,
    subject: str | None = None,
    subject_ref: int | None = None,
    secret: bool = False,
    closes_at: dt.datetime,
) -> Any:
    """Open a poll and announce it; returns its row.

    Quorum, threshold, counting (per person or household) and hidden results come from the
    district's configuration and are kept with the poll. The announcement goes to the configured
    council ``room``, else to the group the command came from, else to the district's first room.
    A secret ballot is announced there without buttons, and each resident on the roll who has a
    private chat with the bot gets a ballot there.

    Parameters:
      question: what is asked.
      kind: ``yesno``, ``single``, ``multiple`` or ``ranked``.
      options: the options (2 to 10) of a choice poll; ignored for ``yesno``.
      matter_id: the matter decided; a matter in ``proposal`` moves to ``voting``.
      subject, subject_ref: what else the poll decides (``"convention"``, an article id), passed on
        in ``council.poll_closed``.
      secret: votes are cast only in private chats, and never shown.
      closes_at: an aware datetime in the future.

    Raises: UserError: an unknown kind, too few or too many options, or a time in the past.
    """
    if kind not in KINDS:
        raise ctx.fail(ctx.t("Unknown kind of poll {kind}; kinds: {kinds}", kind=kind, kinds=", ".join(KINDS)))
    opts = list(ANSWERS) if kind == "yesno" else [o.strip() for o in options if o.strip()]
    if kind != "yesno" and not 2 <= len(opts) <= MAX_OPTIONS:
        raise ctx.fail(ctx.t("A poll needs between 2 and {most} options.", most=MAX_OPTIONS))
    if kind != "yesno" and (len(set(opts)) != len(opts) or any(len(o) > 100 for o in opts)):
        raise ctx.fail(ctx.t("Each option must be different and at most 100 characters long."))
    if closes_at <= ctx.clock.now():
        raise ctx.fail(ctx.t("The closing time must be in the future."))
    question = ctx.checked_text(question, empty=ctx.t("Please say what the poll asks."), limit=500)
    number = (ctx.store.execute(sa.select(sa.func.max(polls.c.number))).scalar() or 0) + 1
    cfg = ctx.config
    room = _announce_room(ctx)
    poll_id = ctx.store.insert(
        polls,
        number=number,
        matter_id=matter_id,
        subject=subject,
        subject_ref=subject_ref,
        question=question,
        kind=kind,
        options=opts,
        secret=secret,
        hidden=bool(cfg.get("hide_results", False)),
        counting="household" if cfg.get("counting") == "household" else "person",
        quorum=float(cfg.get("quorum", 0.5)),
        threshold=float(cfg.get("threshold", 0.5)),
        room=room.room_key if room else "",
        opened_by=ctx.person.id if ctx.person else None,
        opened_at=ctx.clock.now(),
        closes_at=closes_at,
    )
    row = ctx.store.get(polls, polls.c.id == poll_id)
    if matter_id is not None:
        matter = ctx.store.get(matters, matters.c.id == matter_id)
        if matter is not None and matter.status == "proposal":
            move_matter(ctx, matter, "voting")
    ctx.audit("council.poll_open", f"poll:{number}", kind=kind, secret=secret)
    ctx.publish(
        "council.poll_opened",
        {"poll_id": poll_id, "number": number, "matter_id": matter_id, "subject": subject, "subject_ref": subject_ref},
    )
    if room is not None:
        if secret:
            ctx.send(room, poll_text(ctx, row, buttons=False))
        else:
            ctx.send(room, poll_text(ctx, row), choices=ballot_choices(ctx, row, anyone=True))
    if secret:
        for member in ctx.store.select(roll, order_by=[roll.c.id]):
            t = ctx.translator_for(member.person_id)
            ctx.send_private(
                member.person_id,
                poll_text(ctx, row, t=t),
                choices=ballot_choices(ctx, row, owner=member.person_id, t=t),
            )
    return row


def _announce_room(ctx: PluginContext) -> Address | None:
    configured = ctx.config.get("room", "")
    if configured:
        return Address.parse(configured)
    if ctx.address is not None and not ctx.private:
        return ctx.address
    return Address.parse(ctx.district.rooms[0]) if ctx.district.rooms else None


def option_label(t: Any, row: Any, index: int) -> str:
    return str(t(ANSWERS[row.options[index]])) if row.kind == "yesno" else str(row.options[index])


def choice_text(t: Any, row: Any, picks: Sequence[int]) -> str:
    """A ballot in words: ``Agree``, ``周六、周日``, ``A > C > B``."""
    if not picks:
        return str(t("no choice"))
    sep = " > " if row.kind == "ranked" else "、"
    return sep.join(option_label(t, row, i) for i in picks)


def ballot_choices(
    ctx: PluginContext, row: Any, *, anyone: bool = False, owner: int | None = None, t: Any = None
) -> list[Choice]:
    """The poll's options as buttons (and "start over" for multiple and ranked polls)."""
    t = t or ctx.t
    buttons = [
        ctx.choice(option_label(t, row, i), "vote", f"{row.number}:{i}", anyone=anyone, owner=owner)
        for i in range(len(row.options))
    ]
    if row.kind in ("multiple", "ranked"):
        buttons.append(ctx.choice(t("Start over"), "vote", f"{row.number}:reset", anyone=anyone, owner=owner))
    return buttons


def poll_text(ctx: PluginContext, row: Any, *, t: Any = None, with_tally: bool = False, buttons: bool = True) -> str:
    """The poll as people read it: question, options, how to vote, when it closes.

    ``buttons=False`` when the text goes without the poll's buttons (a secret ballot in the group):
    it then says where to vote instead of "press a button"; a closed poll says neither.
    """
    t = t or ctx.t
    tz = ctx.district.timezone
    lines = [t("Poll {number} ({kind}): {question}", number=row.number, kind=t(KINDS[row.kind]), question=row.question)]
    if row.kind != "yesno":
        lines += [f"{i + 1}. {o}" for i, o in enumerate(row.options)]
    how = {
        "yesno": N_("Press a button or send /vote {number} yes|no|abstain; to object, send /object {number} REASON."),
        "single": N_("Press a button or send /vote {number} OPTION."),
        "multiple": N_("Press each option you choose (again to unchoose), or send /vote {number} 1 3."),
        "ranked": N_("Press the options in your order of preference, or send /vote {number} 2 1 3."),
    }[row.kind]
    if row.status == "open" and buttons:
        lines.append(t(how, number=row.number))
    elif row.status == "open" and row.secret:
        lines.append(
            t(
                "This is a secret ballot: vote in a private chat with me (send /vote {number} there).",
                number=row.number,
            )
        )
    elif row.status == "open":
        lines.append(t("Send /vote {number} to see the choices with their buttons.", number=row.number))
    unit = N_("per household") if row.counting == "household" else N_("per person")
    lines.append(
        t(
            "Closes {when}; counted {unit}; only your latest vote counts.",
            when=t.datetime(row.closes_at, tz, "short"),
            unit=t(unit),
        )
    )
    if row.status == "closed":
        lines.append(result_text(ctx, row, t=t))
    elif with_tally:
        if row.hidden or row.secret:
            lines.append(t("The results are shown when the poll closes."))
        else:
            lines.append(counts_line(t, row, tally(ctx, row).counts))
    return "\n".join(lines)


def counts_line(t: Any, row: Any, counts: Sequence[int]) -> str:
    return " · ".join(f"{option_label(t, row, i)} {n}" for i, n in enumerate(counts))


def latest_ballots(ctx: PluginContext, row: Any) -> dict[str, Any]:
    """The vote row that counts for each voter (the person, or their household), by voter key."""
    latest: dict[str, Any] = {}
    for vote in ctx.store.select(votes, votes.c.poll_id == row.id, order_by=[votes.c.id]):
        latest[_voter_key(row, vote)] = vote
    return latest


def _voter_key(row: Any, vote: Any) -> str:
    if row.counting == "household" and vote.household:
        return f"h:{vote.household}"
    # a forgotten voter's ballots are each their own
    return f"p:{vote.person_id}" if vote.person_id is not None else f"v:{vote.id}"


def _electorate(ctx: PluginContext, row: Any) -> int:
    configured = int(ctx.config.get("electorate", 0) or 0)
    if configured > 0:
        return configured
    members = ctx.store.select(roll)
    if row.counting == "household":
        return len({m.household or f"p:{m.person_id}" for m in members})
    return len(members)


def tally(ctx: PluginContext, row: Any) -> Result:
    """Count the poll as it stands."""
    ballots = {k: list(v.choice) for k, v in latest_ballots(ctx, row).items()}
    return count(
        row.kind,
        list(row.options),
        ballots,
        electorate=_electorate(ctx, row),
        quorum=row.quorum,
        threshold=row.threshold,
    )


def cast(
    ctx: PluginContext, row: Any, voter: int, picks: Sequence[int], *, proxy_by: int | None = None, objection: str = ""
) -> str:
    """Record ``voter``'s ballot in an open poll; returns how the ballot reads (in ``ctx.t``).

    An objection stays with a "no": the same "no" again without a reason keeps it (and changes
    nothing); another choice withdraws it; ``/object`` with a new reason replaces it.

    Raises: UserError: the poll is closed, or this exact ballot is already the voter's latest.
    """
    if row.status != "open":
        raise ctx.fail(
            ctx.t(
                "Poll {number} is closed; votes are no longer taken. Send /vote {number} to see the result.",
                number=row.number,
            )
        )
    mine = ctx.store.select(votes, votes.c.poll_id == row.id, votes.c.person_id == voter, order_by=[votes.c.id])
    if mine and list(mine[-1].choice) == list(picks) and objection in ("", mine[-1].objection):
        if mine[-1].objection:
            raise ctx.fail(
                ctx.t(
                    "This vote is already recorded in poll {number}: {choice}, with your objection. Nothing changed.",
                    number=row.number,
                    choice=choice_text(ctx.t, row, picks),
                )
            )
        raise ctx.fail(
            ctx.t(
                "This vote is already recorded in poll {number}: {choice}. Nothing changed.",
                number=row.number,
                choice=choice_text(ctx.t, row, picks),
            )
        )
    enrol(ctx, voter)
    ctx.store.insert(
        votes,
        poll_id=row.id,
        person_id=voter,
        household=household_of(ctx, voter),
        choice=list(picks),
        objection=objection,
        proxy_by=proxy_by,
        cast_at=ctx.clock.now(),
    )
    if proxy_by is not None:
        ctx.audit("council.proxy_vote", f"poll:{row.number}", voter=voter)
    ctx.log.info("council vote", poll=row.number, proxy=proxy_by is not None, changed=bool(mine))
    return choice_text(ctx.t, row, picks)


def close_poll(ctx: PluginContext, row: Any) -> Result:
    """Close the poll now: count it, announce the result where it was announced, decide its matter,
    and publish ``council.poll_closed``."""
    result = tally(ctx, row)
    now = ctx.clock.now()
    tally_json = {"counts": list(result.counts), "rounds": [list(r) for r in result.rounds]}
    ctx.store.update(
        polls,
        polls.c.id == row.id,
        polls.c.status == "open",
        status="closed",
        closed_at=now,
        electorate=result.electorate,
        turnout=result.turnout,
        tally=tally_json,
        outcome=result.outcome,
    )
    closed = ctx.store.get(polls, polls.c.id == row.id)
    lines = [
        ctx.t("Poll {number} is closed: {question}", number=row.number, question=row.question),
        result_text(ctx, closed),
    ]
    if row.matter_id is not None:
        matter = ctx.store.get(matters, matters.c.id == row.matter_id)
        if matter is not None and matter.status == "voting":
            target = {"passed": "passed", "rejected": "rejected", "no_quorum": "proposal", "tie": "proposal"}.get(
                result.outcome, "passed"
            )
            # the history says why when the state alone does not: a winning option, no quorum, a tie
            note = "" if result.outcome == target else result.outcome
            move_matter(ctx, matter, target, note, outcome=result.outcome if target != "proposal" else None)
            after = load_matter(ctx, matter.number)
            lines.append(
                ctx.t("Matter {number} is now: {state}.", number=matter.number, state=ctx.t(LABELS[after.status]))
            )
    text = "\n".join(lines)
    if row.room:
        ctx.send(Address.parse(row.room), text)
    elif ctx.address is not None:
        ctx.reply(text)
    ctx.audit("council.poll_close", f"poll:{row.number}", outcome=result.outcome, turnout=result.turnout)
    ctx.publish(
        "council.poll_closed",
        {
            "poll_id": row.id,
            "number": row.number,
            "subject": row.subject,
            "subject_ref": row.subject_ref,
            "matter_id": row.matter_id,
            "outcome": result.outcome,
        },
    )
    return result


def result_text(ctx: PluginContext, row: Any, *, t: Any = None) -> str:
    """The result of a closed poll: turnout, quorum met or not, the count, objections, the outcome."""
    t = t or ctx.t
    percent = round(100 * (row.turnout or 0) / row.electorate) if row.electorate else 0
    if row.counting == "household":
        turnout = t(
            "Turnout: {voted} of {eligible} households ({percent}%).",
            voted=row.turnout,
            eligible=row.electorate,
            percent=percent,
        )
    else:
        turnout = t(
            "Turnout: {voted} of {eligible} eligible voters ({percent}%).",
            voted=row.turnout,
            eligible=row.electorate,
            percent=percent,
        )
    needed = round(100 * row.quorum)
    met = row.outcome != "no_quorum"
    quorum = (
        t("Quorum (more than {needed}% taking part): met.", needed=needed)
        if met
        else t("Quorum (more than {needed}% taking part): not met.", needed=needed)
    )
    lines = [turnout, quorum]
    counts = (row.tally or {}).get("counts", [])
    if counts:
        if row.kind == "ranked":
            rounds = (row.tally or {}).get("rounds", [])
            lines.append(t("First preferences: {counts}", counts=counts_line(t, row, counts)))
            if len(rounds) > 1:
                lines.append(t("Decided by instant runoff in {n} rounds.", n=len(rounds)))
        else:
            lines.append(counts_line(t, row, counts))
    objections = [v.objection for v in latest_ballots(ctx, row).values() if v.objection]
    if objections:
        lines.append(t("Objections:"))
        lines += [f"- {o}" for o in objections]
    outcome = t(OUTCOMES[row.outcome]) if row.outcome in OUTCOMES else row.outcome
    lines.append(t("Outcome: {outcome}.", outcome=outcome))
    return "\n".join(lines)
