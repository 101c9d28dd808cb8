"""线上看、线下验 — assessors review each result online (accept, query, reject with a reason),
record on-site checks and award bonus and penalty items; every decision names its assessor,
and a decision that changes a verified result rescores the track's quarter at once."""

from __future__ import annotations

from typing import Any

from linli.core.plugin import N_, CommandContext, HandlerGroup, PluginContext, command
from linli.plugins.tracks._common import (
    ASSESSOR,
    STATUS,
    is_assessor,
    is_enrolled,
    next_number,
    quarter_arg,
    require_track,
    require_unit,
    today,
)
from linli.plugins.tracks.contest import fmt, recompute, rules_for
from linli.plugins.tracks.definitions import Quarter, quarter_of
from linli.plugins.tracks.scoring import decimal_of
from linli.plugins.tracks.tables import decisions, quarters, submissions, tracks, units

__all__ = ["Verifying", "rescore"]


def rescore(ctx: PluginContext, quarter: Quarter, track_id: int) -> bool:
    """Recompute a track's quarter after a verified result changed; True when the ranking moved."""
    changed = recompute(ctx.store, quarter, ctx.clock.now(), [track_id])
    row = ctx.store.get(quarters, quarters.c.quarter == str(quarter))
    if changed and row is not None and row.published_run is not None:
        ctx.log.info("published ranking changed", quarter=str(quarter), run=row.run)
    return changed


def _submission(ctx: CommandContext) -> tuple[Any, Any, Any]:
    number = ctx.number(ctx.args[0] if ctx.args else None)
    row = ctx.store.get(submissions, submissions.c.number == number)
    if row is None:
        raise ctx.fail(ctx.t("There is no result {number}.", number=number))
    track: Any = ctx.store.get(tracks, tracks.c.id == row.track_id)
    unit: Any = ctx.store.get(units, units.c.id == row.unit_id)
    if not is_assessor(ctx, track.code):
        raise ctx.fail(ctx.t("Only an assessor of {track} decides on its results.", track=track.code))
    return row, track, unit


def _reason(ctx: CommandContext, what: str) -> str:
    return ctx.checked_text(
        " ".join(ctx.args[1:]), empty=ctx.t("Please give the reason: /{what} NUMBER REASON", what=what), limit=500
    )


class Verifying(HandlerGroup):
    """``/pending``, ``/evidence``, ``/accept``, ``/query``, ``/reject``, ``/onsite``, ``/bonus``,
    ``/penalty``."""

    @command(
        "pending", help=N_("Results waiting for review"), usage=N_("[TRACK]"), roles=(ASSESSOR,), aliases=("待审核",)
    )
    def pending(self, ctx: CommandContext) -> None:
        where = [submissions.c.status == "pending"]
        if ctx.args:
            where.append(submissions.c.track_id == require_track(ctx, ctx.args[0]).id)
        names = {t.id: t.code for t in ctx.store.select(tracks)}
        codes = {u.id: u.code for u in ctx.store.select(units)}
        rows = [
            r
            for r in ctx.store.select(submissions, *where, order_by=[submissions.c.number], limit=50)
            if is_assessor(ctx, names.get(r.track_id))
        ]
        if not rows:
            ctx.reply(ctx.t("Nothing is waiting for review."))
            return
        ctx.reply(
            "\n".join(
                f"#{r.number} {r.quarter} {names.get(r.track_id)} {codes.get(r.unit_id)} {r.code} = {r.value}"
                + (f" · {r.text}" if r.text else "")
                + (f" · {r.link}" if r.link else "")
                for r in rows
            )
        )

    @command(
        "evidence",
        help=N_("Show a result, its evidence and its history"),
        usage=N_("NUMBER"),
        roles=(ASSESSOR,),
        aliases=("审核",),
    )
    def evidence(self, ctx: CommandContext) -> None:
        row, track, unit = _submission(ctx)
        lines = [
            ctx.t(
                "Result {number}: {unit} {track} {code} = {value} for {quarter}, revision {revision}: {status}",
                number=row.number,
                unit=unit.code,
                track=track.code,
                code=row.code,
                value=row.value,
                quarter=row.quarter,
                revision=row.revision,
                status=ctx.t(STATUS[row.status]),
            ),
        ]
        if row.text:
            lines.append(ctx.t("Evidence: {text}", text=row.text))
        if row.link:
            lines.append(ctx.t("Link: {link}", link=row.link))
        names = ctx.display_names(
            [
                d.actor_id
                for d in ctx.store.select(decisions, decisions.c.submission_id == row.id)
                if d.actor_id is not None
            ]
        )
        for d in ctx.store.select(decisions, decisions.c.submission_id == row.id, order_by=[decisions.c.id]):
            when = ctx.t.datetime(d.at, ctx.district.timezone, "short")
            lines.append(f"  {when} {names.get(d.actor_id, '?')}: {d.action} {d.value} {d.note}".rstrip())
        ctx.reply("\n".join(lines))

    @command("accept", help=N_("Accept a result: it scores"), usage=N_("NUMBER"), roles=(ASSESSOR,), aliases=("通过",))
    def accept(self, ctx: CommandContext) -> None:
        row, track, unit = _submission(ctx)
        if row.status == "accepted":
            raise ctx.fail(ctx.t("Result {number} is accepted already.", number=row.number))
        self._decide(ctx, row, track, "accepted", "")
        found = rules_for(ctx.store, track.id, Quarter.parse(row.quarter) or quarter_of(today(ctx)))
        ind = found[1].indicator(row.code) if found else None
        extra = ""
        if ind is not None and ind.onsite and row.onsite != "passed":
            extra = " " + ctx.t("It scores once its on-site check passes (/onsite {number} pass).", number=row.number)
        ctx.reply(
            ctx.t(
                "Result {number} ({unit} {code}) is accepted by {assessor}.",
                number=row.number,
                unit=unit.code,
                code=row.code,
                assessor=ctx.person.display_name,
            )
            + extra
        )

    @command(
        "query",
        help=N_("Ask the unit about a result"),
        usage=N_("NUMBER QUESTION"),
        roles=(ASSESSOR,),
        aliases=("质询",),
    )
    def query(self, ctx: CommandContext) -> None:
        row, track, _unit = _submission(ctx)
        reason = _reason(ctx, "query")
        self._decide(ctx, row, track, "queried", reason)
        ctx.reply(
            ctx.t(
                "Result {number} is queried by {assessor}: {reason}",
                number=row.number,
                assessor=ctx.person.display_name,
                reason=reason,
            )
        )

    @command(
        "reject",
        help=N_("Reject a result, with the reason"),
        usage=N_("NUMBER REASON"),
        roles=(ASSESSOR,),
        aliases=("驳回",),
    )
    def reject(self, ctx: CommandContext) -> None:
        row, track, _unit = _submission(ctx)
        if row.status == "rejected":
            raise ctx.fail(ctx.t("Result {number} is rejected already.", number=row.number))
        reason = _reason(ctx, "reject")
        self._decide(ctx, row, track, "rejected", reason)
        ctx.reply(
            ctx.t(
                "Result {number} is rejected by {assessor}: {reason}",
                number=row.number,
                assessor=ctx.person.display_name,
                reason=reason,
            )
        )

    @command(
        "onsite",
        help=N_("Record an on-site check of a result"),
        usage=N_("NUMBER pass|fail [NOTE]"),
        roles=(ASSESSOR,),
        aliases=("实地核查",),
    )
    def onsite(self, ctx: CommandContext) -> None:
        row, track, _unit = _submission(ctx)
        word = ctx.args[1].lower() if len(ctx.args) > 1 else ""
        outcome = {
            "pass": "passed",
            "passed": "passed",
            "通过": "passed",
            "合格": "passed",
            "fail": "failed",
            "failed": "failed",
            "不合格": "failed",
            "不通过": "failed",
        }.get(word)
        if outcome is None:
            raise ctx.fail(ctx.t("Usage: /onsite NUMBER pass|fail [NOTE]"))
        note = " ".join(ctx.args[2:])[:500]
        if outcome == "failed" and not note:
            raise ctx.fail(ctx.t("A failed check needs its reason: /onsite NUMBER fail REASON"))
        now = ctx.clock.now()
        status = "rejected" if outcome == "failed" else row.status
        ctx.store.update(
            submissions,
            submissions.c.id == row.id,
            onsite=outcome,
            status=status,
            reason=note if outcome == "failed" else row.reason,
            decided_by=ctx.person.id,
            decided_at=now,
        )
        ctx.store.insert(
            decisions,
            submission_id=row.id,
            action=f"onsite_{outcome}",
            value=row.value,
            note=note,
            actor_id=ctx.person.id,
            at=now,
        )
        rescore(ctx, Quarter.parse(row.quarter) or quarter_of(today(ctx)), track.id)
        self._tell(
            ctx,
            row,
            ctx.t(
                "On-site check of result {number} by {assessor}: {outcome}. {note}",
                number=row.number,
                assessor=ctx.person.display_name,
                outcome=ctx.t("passed") if outcome == "passed" else ctx.t("failed"),
                note=note,
            ),
        )
        ctx.audit("tracks.onsite", f"submission:{row.number}", outcome=outcome)
        ctx.reply(
            ctx.t(
                "On-site check of result {number} recorded by {assessor}: {outcome}.",
                number=row.number,
                assessor=ctx.person.display_name,
                outcome=ctx.t("passed") if outcome == "passed" else ctx.t("failed"),
            )
        )

    @command(
        "bonus",
        help=N_("Award a bonus item to a unit"),
        usage=N_("[QUARTER] UNIT TRACK ITEM [COUNT] REASON"),
        roles=(ASSESSOR,),
        aliases=("加分",),
    )
    def bonus(self, ctx: CommandContext) -> None:
        self._award(ctx, "bonus")

    @command(
        "penalty",
        help=N_("Record a penalty item of a unit"),
        usage=N_("[QUARTER] UNIT TRACK ITEM [COUNT] REASON"),
        roles=(ASSESSOR,),
        aliases=("扣分",),
    )
    def penalty(self, ctx: CommandContext) -> None:
        self._award(ctx, "penalty")

    def _award(self, ctx: CommandContext, kind: str) -> None:
        args = list(ctx.args)
        quarter = quarter_arg(ctx, args.pop(0)) if args and Quarter.parse(args[0]) else quarter_of(today(ctx))
        if len(args) < 4:
            raise ctx.fail(ctx.t("Usage: /{kind} [QUARTER] UNIT TRACK ITEM [COUNT] REASON", kind=kind))
        unit, track, code = require_unit(ctx, args[0]), require_track(ctx, args[1]), args[2]
        if not is_assessor(ctx, track.code):
            raise ctx.fail(ctx.t("Only an assessor of {track} decides on its results.", track=track.code))
        if not is_enrolled(ctx, track.id, unit.id):
            raise ctx.fail(ctx.t("{unit} is not enrolled in {track}.", unit=unit.code, track=track.code))
        found = rules_for(ctx.store, track.id, quarter)
        item = found[1].item(code) if found else None
        if item is None or item.kind != kind:
            raise ctx.fail(
                ctx.t(
                    "{track} has no {kind} item {code} in {quarter}; nothing was recorded.",
                    track=track.code,
                    kind=ctx.t("bonus") if kind == "bonus" else ctx.t("penalty"),
                    code=code,
                    quarter=str(quarter),
                )
            )
        rest = args[3:]
        count = 1
        if len(rest) > 1 and decimal_of(rest[0]) is not None:
            count = ctx.number(rest.pop(0), high=100)
        reason = ctx.checked_text(" ".join(rest), empty=ctx.t("Please give the reason."), limit=500)
        row = ctx.store.get(quarters, quarters.c.quarter == str(quarter))
        if row is not None and row.published_run is not None:
            raise ctx.fail(ctx.t("The ranking of {quarter} is published; nothing was recorded.", quarter=str(quarter)))
        now = ctx.clock.now()
        number = next_number(ctx, submissions)
        sid = ctx.store.insert(
            submissions,
            number=number,
            quarter=str(quarter),
            track_id=track.id,
            unit_id=unit.id,
            code=code,
            kind=kind,
            value=str(count),
            text=reason,
            status="accepted",
            submitted_by=ctx.person.id,
            submitted_at=now,
            decided_by=ctx.person.id,
            decided_at=now,
        )
        ctx.store.insert(
            decisions, submission_id=sid, action=kind, value=str(count), note=reason, actor_id=ctx.person.id, at=now
        )
        rescore(ctx, quarter, track.id)
        points = fmt(item.points * count)
        ctx.audit(f"tracks.{kind}", f"submission:{number}", unit=unit.code, item=code)
        ctx.reply(
            ctx.t(
                "Bonus {code} ({points} points) for {unit} in {track}, {quarter}, recorded by {assessor} as {number}.",
                code=code,
                points=points,
                unit=unit.code,
                track=track.code,
                quarter=str(quarter),
                assessor=ctx.person.display_name,
                number=number,
            )
            if kind == "bonus"
            else ctx.t(
                "Penalty {code} (−{points} points) for {unit} in {track}, {quarter}, recorded by {assessor} "
                "as {number}.",
                code=code,
                points=points,
                unit=unit.code,
                track=track.code,
                quarter=str(quarter),
                assessor=ctx.person.display_name,
                number=number,
            )
        )

    def _decide(self, ctx: CommandContext, row: Any, track: Any, status: str, reason: str) -> None:
        quarter = Quarter.parse(row.quarter) or quarter_of(today(ctx))
        q = ctx.store.get(quarters, quarters.c.quarter == row.quarter)
        if q is not None and q.published_run is not None and status != row.status:
            # a published quarter may still be corrected by its assessors: it is rescored and the
            # organiser publishes the new ranking (the history keeps the one published)
            ctx.log.info("decision after publication", quarter=row.quarter, number=row.number)
        now = ctx.clock.now()
        ctx.store.update(
            submissions,
            submissions.c.id == row.id,
            status=status,
            reason=reason,
            decided_by=ctx.person.id,
            decided_at=now,
        )
        ctx.store.insert(
            decisions, submission_id=row.id, action=status, value=row.value, note=reason, actor_id=ctx.person.id, at=now
        )
        ctx.audit(f"tracks.{status}", f"submission:{row.number}")
        if status == "accepted" or row.status == "accepted":
            rescore(ctx, quarter, track.id)
        t = ctx.translator_for(row.submitted_by) if row.submitted_by is not None else ctx.t
        values = {"number": row.number, "code": row.code, "value": row.value, "quarter": row.quarter,
                  "assessor": ctx.person.display_name, "reason": reason}  # fmt: skip
        if status == "accepted":
            text = t("Your result {number} ({code} = {value}, {quarter}) was verified by {assessor}.", **values)
        elif status == "queried":
            text = t("Your result {number} ({code} = {value}, {quarter}) was queried by {assessor}: {reason}", **values)
        else:
            text = t(
                "Your result {number} ({code} = {value}, {quarter}) was rejected by {assessor}: {reason}", **values
            )
        self._tell(
            ctx,
            row,
            text
            + (
                " " + t("Correct it with /correct {number} VALUE [EVIDENCE…].", number=row.number)
                if status == "queried"
                else ""
            ),
        )

    def _tell(self, ctx: CommandContext, row: Any, text: str) -> None:
        if row.submitted_by is not None and row.submitted_by != ctx.person.id:
            ctx.send_private(row.submitted_by, text)
