"""晒成绩 — a unit's reporter submits its results with evidence, corrects them until the quarter's
deadline, sees its own scores; reminders go out before the deadline."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from linli.core.plugin import N_, CommandContext, HandlerGroup, JobContext, PluginContext, command, scheduled
from linli.plugins.tracks._common import (
    REPORTER,
    STATUS,
    deadline,
    is_assessor,
    is_enrolled,
    is_organiser,
    my_units,
    next_number,
    quarter_arg,
    reporting_quarter,
    require_track,
    today,
)
from linli.plugins.tracks.contest import enrolled, fmt, rules_for
from linli.plugins.tracks.definitions import Quarter, quarter_of
from linli.plugins.tracks.scoring import Indicator, Item, decimal_of
from linli.plugins.tracks.tables import decisions, quarters, scores, submissions, tracks, units

__all__ = ["Reporting", "record_submission"]

LINK = re.compile(r"^https?://\S+$", re.IGNORECASE)
YES = {"yes", "y", "是", "有", "完成", "1"}
NO = {"no", "n", "否", "无", "未完成", "0"}


def _value(ctx: PluginContext, indicator: Indicator | Item, word: str) -> str:
    if isinstance(indicator, Indicator) and indicator.rule == "yesno":
        if word.lower() in YES:
            return "1"
        if word.lower() in NO:
            return "0"
        raise ctx.fail(ctx.t("{code} is answered yes or no (是/否), not “{word}”.", code=indicator.code, word=word))
    number = decimal_of(word)
    if number is None or number < 0:
        raise ctx.fail(ctx.t("“{word}” is not a number; nothing was recorded.", word=word))
    return fmt(number)


def record_submission(
    ctx: CommandContext, quarter: Quarter, track: Any, unit: Any, code: str, word: str, evidence: list[str]
) -> str:
    """Record (or correct) a unit's result for ``code``; returns the answer. Raises a clear
    answer, nothing recorded, for everything a reporter can get wrong."""
    if ctx.store.get(quarters, quarters.c.quarter == str(quarter), quarters.c.published_run.is_not(None)) is None:
        due = deadline(ctx, quarter)
        if today(ctx) > due:
            raise ctx.fail(
                ctx.t(
                    "The deadline for {quarter} was {day}; nothing was recorded.",
                    quarter=str(quarter),
                    day=due.isoformat(),
                )
            )
    else:
        raise ctx.fail(ctx.t("The ranking of {quarter} is published; nothing was recorded.", quarter=str(quarter)))
    if today(ctx) < quarter.start:
        raise ctx.fail(ctx.t("{quarter} has not begun yet.", quarter=str(quarter)))
    if (track.start_q and str(quarter) < track.start_q) or (track.end_q and str(quarter) > track.end_q):
        raise ctx.fail(
            ctx.t(
                "{track} runs from {first} to {last}, not in {quarter}; nothing was recorded.",
                track=track.code,
                first=track.start_q or "…",
                last=track.end_q or "…",
                quarter=str(quarter),
            )
        )
    if not is_enrolled(ctx, track.id, unit.id):
        raise ctx.fail(ctx.t("{unit} is not enrolled in {track}.", unit=unit.code, track=track.code))
    found = rules_for(ctx.store, track.id, quarter)
    if found is None:
        raise ctx.fail(ctx.t("{track} has no rules for {quarter} yet.", track=track.code, quarter=str(quarter)))
    rule_set = found[1]
    target: Indicator | Item | None = rule_set.indicator(code) or rule_set.item(code)
    if target is None:
        codes = [i.code for i in rule_set.indicators] + [i.code for i in rule_set.items if i.kind == "bonus"]
        raise ctx.fail(
            ctx.t(
                "{track} has no indicator {code} in {quarter}; its codes are {codes}. Nothing was recorded.",
                track=track.code,
                code=code,
                quarter=str(quarter),
                codes=ctx.t.join(codes),
            )
        )
    if isinstance(target, Item) and target.kind == "penalty":
        raise ctx.fail(ctx.t("Penalty items are recorded by the assessors."))
    value = _value(ctx, target, word)
    links = [w for w in evidence if LINK.match(w)]
    text = " ".join(w for w in evidence if not LINK.match(w)).strip()
    if len(text) > 2000 or sum(len(x) for x in links) > 2000:
        raise ctx.fail(ctx.t("That is too long; please keep the evidence under 2000 characters."))
    # photos and files sent with the result, or right after it, are attached to it (_photos)
    missing = [k for k in getattr(target, "evidence", ()) if (k == "text" and not text) or (k == "link" and not links)]
    if missing:
        raise ctx.fail(
            ctx.t(
                "{code} needs evidence: {kinds}. Add it after the value; nothing was recorded.",
                code=code,
                kinds=ctx.t.join(missing),
            )
        )
    now = ctx.clock.now()
    kind = "indicator" if isinstance(target, Indicator) else "bonus"
    existing = None
    if kind == "indicator":
        existing = ctx.store.get(
            submissions,
            submissions.c.quarter == str(quarter),
            submissions.c.track_id == track.id,
            submissions.c.unit_id == unit.id,
            submissions.c.code == code,
        )
    link = " ".join(links)
    if existing is not None:
        was_scoring = existing.status == "accepted"
        ctx.store.update(
            submissions,
            submissions.c.id == existing.id,
            value=value,
            text=text,
            link=link,
            revision=existing.revision + 1,
            status="pending",
            onsite="",
            reason="",
            submitted_by=ctx.person.id,
            submitted_at=now,
        )
        ctx.store.insert(
            decisions, submission_id=existing.id, action="corrected", value=value, actor_id=ctx.person.id, at=now
        )
        if was_scoring:
            from linli.plugins.tracks.verifying import rescore

            rescore(ctx, quarter, track.id)
        _tell_assessors(ctx, track, existing.number, corrected=True)
        return ctx.t(
            "Result {number} is corrected: {unit} {code} = {value} for {quarter}; it waits for review again.",
            number=existing.number,
            unit=unit.code,
            code=code,
            value=value,
            quarter=str(quarter),
        ) + _photos(ctx, existing.number)
    number = next_number(ctx, submissions)
    sid = ctx.store.insert(
        submissions,
        number=number,
        quarter=str(quarter),
        track_id=track.id,
        unit_id=unit.id,
        code=code,
        kind=kind,
        value=value,
        text=text,
        link=link,
        submitted_by=ctx.person.id,
        submitted_at=now,
    )
    ctx.store.insert(decisions, submission_id=sid, action="submitted", value=value, actor_id=ctx.person.id, at=now)
    _tell_assessors(ctx, track, number, corrected=False)
    return ctx.t(
        "Result {number} is recorded: {unit} {code} = {value} for {quarter}. It scores once an assessor accepts it.",
        number=number,
        unit=unit.code,
        code=code,
        value=value,
        quarter=str(quarter),
    ) + _photos(ctx, number)


def _photos(ctx: PluginContext, number: int) -> str:
    """Attach the photos and files of this message, and those the reporter sends in the next
    minutes, to result ``number`` (evidence the assessors see in the ledger); the line saying so."""
    attached = ctx.accept_attachments(number, ctx.t("result {number}", number=number))
    return "\n" + ctx.t("{count} file(s) attached to it.", count=attached) if attached else ""


def _tell_assessors(ctx: PluginContext, track: Any, number: int, *, corrected: bool) -> None:
    room = ctx.config.get("assessor_room")
    if not room:
        return
    from linli.core.plugin import Address

    text = (
        ctx.t("Result {number} of {track} was corrected; /evidence {number}", number=number, track=track.code)
        if corrected
        else ctx.t("New result {number} of {track}; /evidence {number}", number=number, track=track.code)
    )
    ctx.send(Address.parse(str(room)), text)


class Reporting(HandlerGroup):
    """``/result``, ``/correct``, ``/mine`` and the reminders."""

    @command(
        "result",
        help=N_("Report a result with its evidence"),
        usage=N_("[QUARTER] [UNIT] TRACK CODE VALUE [EVIDENCE…]"),
        roles=(REPORTER,),
        aliases=("晒成绩",),
    )
    def report(self, ctx: CommandContext) -> None:
        args = list(ctx.args)
        quarter = quarter_arg(ctx, args.pop(0)) if args and Quarter.parse(args[0]) else None
        mine = my_units(ctx)
        unit = next((u for u in mine if args and u.code == args[0]), None)
        if unit is not None:
            args.pop(0)
        elif args and ctx.store.get(units, units.c.code == args[0]) is not None:
            raise ctx.fail(
                ctx.t(
                    "You report for {units}, not for {unit}; nothing was recorded.",
                    units=ctx.t.join(u.code for u in mine) or "-",
                    unit=args[0],
                )
            )
        elif len(mine) == 1:
            unit = mine[0]
        else:
            raise ctx.fail(
                ctx.t(
                    "You report for {units}: name the unit first, e.g. /result {unit} TRACK CODE VALUE.",
                    units=ctx.t.join(u.code for u in mine),
                    unit=mine[0].code if mine else "UNIT",
                )
            )
        if len(args) < 3:
            raise ctx.fail(ctx.t("Usage: /result [QUARTER] [UNIT] TRACK CODE VALUE [EVIDENCE…]"))
        track = require_track(ctx, args[0])
        quarter = quarter or reporting_quarter(ctx, track.id)
        ctx.reply(record_submission(ctx, quarter, track, unit, args[1], args[2], args[3:]))

    @command(
        "correct",
        help=N_("Correct a result you reported, until the deadline"),
        usage=N_("NUMBER VALUE [EVIDENCE…]"),
        roles=(REPORTER,),
        aliases=("更正",),
    )
    def correct(self, ctx: CommandContext) -> None:
        if len(ctx.args) < 2:
            raise ctx.fail(ctx.t("Usage: /correct NUMBER VALUE [EVIDENCE…]"))
        number = ctx.number(ctx.args[0])
        row = ctx.store.get(submissions, submissions.c.number == number)
        unit = ctx.store.get(units, units.c.id == row.unit_id) if row is not None else None
        if row is None or unit is None or not ctx.has_role(REPORTER, scope=f"unit:{unit.code}"):
            raise ctx.fail(ctx.t("You have no result {number} to correct.", number=number))
        if row.kind != "indicator":
            raise ctx.fail(ctx.t("A bonus claim is not corrected; send it again with /result instead."))
        track = ctx.store.get(tracks, tracks.c.id == row.track_id)
        evidence = list(ctx.args[2:]) or [row.text, *row.link.split()]
        ctx.reply(
            record_submission(
                ctx,
                Quarter.parse(row.quarter) or quarter_of(today(ctx)),
                track,
                unit,
                row.code,
                ctx.args[1],
                [e for e in evidence if e],
            )
        )

    @command(
        "mine",
        help=N_("Your units' results and scores this quarter"),
        usage=N_("[QUARTER]"),
        roles=(REPORTER,),
        aliases=("我的成绩",),
        where="private",  # before publication a unit's scores are its own
    )
    def mine(self, ctx: CommandContext) -> None:
        quarter = quarter_arg(ctx, ctx.args[0]) if ctx.args else quarter_of(today(ctx))
        lines = []
        names = {t.id: t.code for t in ctx.store.select(tracks)}
        for unit in my_units(ctx):
            lines.append(ctx.t("{unit} {name}, {quarter}:", unit=unit.code, name=unit.name, quarter=str(quarter)))
            for s in ctx.store.select(
                scores, scores.c.quarter == str(quarter), scores.c.unit_id == unit.id, order_by=[scores.c.track_id]
            ):
                lines.append(
                    ctx.t("  {track}: {total} points", track=names.get(s.track_id, "?"), total=fmt(decimal_of(s.total)))
                )
            for r in ctx.store.select(
                submissions,
                submissions.c.quarter == str(quarter),
                submissions.c.unit_id == unit.id,
                order_by=[submissions.c.number],
            ):
                status = ctx.t(STATUS[r.status])
                if r.reason:
                    status += f" ({r.reason})"
                lines.append(f"  #{r.number} {names.get(r.track_id, '?')} {r.code} = {r.value}: {status}")
        ctx.reply("\n".join(lines) if lines else ctx.t("You report for no unit yet."))

    @scheduled("remind", "0 9 * * *")
    def remind(self, ctx: JobContext) -> None:
        """Once per quarter, ``remind_days`` before its deadline: each reporter hears what their
        unit has not reported yet, and what an assessor queried."""
        day = ctx.fire_time.date()
        current = quarter_of(day)
        for quarter in (current.previous(), current):
            row = ctx.store.get(quarters, quarters.c.quarter == str(quarter))
            if row is None or row.reminded_on is not None or row.published_run is not None:
                continue
            days_left = (row.deadline - day).days
            if not 0 <= days_left <= int(ctx.config["remind_days"]):
                continue
            ctx.store.update(quarters, quarters.c.id == row.id, reminded_on=day)
            self._remind_quarter(ctx, quarter, row.deadline)

    def _remind_quarter(self, ctx: JobContext, quarter: Quarter, due: Any) -> None:
        q = str(quarter)
        done = {
            (r.track_id, r.unit_id, r.code): r.status
            for r in ctx.store.execute(
                sa.select(
                    submissions.c.track_id, submissions.c.unit_id, submissions.c.code, submissions.c.status
                ).where(submissions.c.quarter == q)
            )
        }
        track_rows = {t.id: t for t in ctx.store.select(tracks)}
        missing: dict[str, list[str]] = {}
        for track_id, members in enrolled(ctx.store).items():
            found = rules_for(ctx.store, track_id, quarter)
            if found is None:
                continue
            for unit_id, code in members:
                for ind in found[1].indicators:
                    status = done.get((track_id, unit_id, ind.code))
                    if status is None or status == "queried":
                        missing.setdefault(code, []).append(f"{track_rows[track_id].code}/{ind.code}")
        sent = 0
        for unit_code, items in sorted(missing.items()):
            for person_id in ctx.holders_of(REPORTER, scope=f"unit:{unit_code}"):
                t = ctx.translator_for(person_id)
                ctx.send_private(
                    person_id,
                    t(
                        "Reminder: results of {unit} for {quarter} are due by {day}; "
                        "still to report or answer: {items}.",
                        unit=unit_code,
                        quarter=q,
                        day=due.isoformat(),
                        items=t.join(items[:30]),
                    ),
                )
                sent += 1
        self.log.info("reminders sent", quarter=q, units=len(missing), messages=sent)


def may_see_unit(ctx: PluginContext, unit_code: str) -> bool:
    """Organisers and assessors see every unit; a reporter their own."""
    return is_organiser(ctx) or is_assessor(ctx) or ctx.has_role(REPORTER, scope=f"unit:{unit_code}")
