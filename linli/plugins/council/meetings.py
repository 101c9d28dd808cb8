"""议事会 — council meetings: scheduled with an agenda of the open matters, attendance checked
in with a short code read out at the meeting, minutes, and decisions linked to matters."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from linli.core.plugin import N_, CommandContext, HandlerGroup, JobContext, PluginContext, command, scheduled
from linli.plugins.council._community import group_room, number, tell
from linli.plugins.council.community_tables import agenda, attendance, meetings
from linli.plugins.council.matters import MOVERS, load_matter, matter_number, may_move, words_after
from linli.plugins.council.states import LABELS
from linli.plugins.council.tables import matters

__all__ = ["AGENDA_STATES", "MEETING_STATES", "Meetings"]

#: the matters a new meeting's agenda is built from: those still being talked over or carried out
AGENDA_STATES = ("open", "proposal", "voting", "passed", "implementing")
# TRANSLATORS: states of a council meeting (议事会)
MEETING_STATES = {"scheduled": N_("scheduled"), "closed": N_("closed")}
#: check-in opens this long before the start and closes this long after it (or when the meeting closes)
CHECKIN_BEFORE = dt.timedelta(hours=1)
CHECKIN_AFTER = dt.timedelta(hours=6)
DATE = re.compile(r"^(?:(\d{4})[-/.年])?(\d{1,2})[-/.月](\d{1,2})日?$")
TIME = re.compile(r"^(\d{1,2})[:：点](\d{2})?分?$")


class Meetings(HandlerGroup):
    """Handlers of council meetings."""

    @command(
        "callmeeting",
        help=N_("Call a council meeting; its agenda is made of the open matters"),
        usage=N_("DATE TIME [PLACE]"),
        roles=MOVERS,
        aliases=("召开议事会",),
    )
    def call_meeting(self, ctx: CommandContext) -> None:
        usage = ctx.t("Usage: /callmeeting DATE TIME [PLACE], for example /callmeeting 2026-12-05 19:00 红邻议事亭")
        if len(ctx.args) < 2:
            raise ctx.fail(usage)
        starts = self._meeting_time(ctx, ctx.args[0], ctx.args[1], usage)
        if starts <= ctx.clock.now():
            raise ctx.fail(ctx.t("That time has passed; please give a time to come."))
        place = ctx.checked_text(words_after(ctx, 2) or "—", empty=usage, limit=200)
        now = ctx.clock.now()
        n = (ctx.store.execute(sa.select(sa.func.max(meetings.c.number))).scalar() or 0) + 1
        code = f"{secrets.randbelow(10000):04d}"
        meeting_id = ctx.store.insert(
            meetings,
            number=n,
            starts_at=starts,
            place=place,
            code=code,
            status="scheduled",
            called_by=ctx.person.id,
            created_at=now,
        )
        items = ctx.store.select(matters, matters.c.status.in_(AGENDA_STATES), order_by=[matters.c.number])
        for position, matter in enumerate(items, start=1):
            ctx.store.insert(agenda, meeting_id=meeting_id, matter_id=matter.id, position=position)
        ctx.audit("council.meeting_called", f"meeting:{n}", items=len(items))
        meeting = ctx.store.get(meetings, meetings.c.id == meeting_id)
        text = self._meeting_text(ctx, meeting)
        group = group_room(ctx)
        if group is not None and (ctx.address is None or group.room_key != ctx.address.room_key):
            ctx.send(group, text)  # called from a private chat or the council's room: the residents hear of it
        ctx.reply(text)
        told = tell(
            ctx,
            ctx.person.id,
            N_(
                "The check-in code of council meeting {number} is {code}. Read it out at "
                "the meeting; those present send /checkin {code}."
            ),
            number=n,
            code=code,
        )
        if not told:
            ctx.reply(
                ctx.t(
                    "Open a private chat with me and send /meeting {number} there to see the check-in code.", number=n
                )
            )

    def _meeting_time(self, ctx: PluginContext, day: str, time: str, usage: str) -> dt.datetime:
        d, t = DATE.match(day), TIME.match(time)
        if d is None or t is None:
            raise ctx.fail(usage)
        today = ctx.now().date()
        try:
            date = dt.date(int(d.group(1) or today.year), int(d.group(2)), int(d.group(3)))
            if d.group(1) is None and date < today:
                date = date.replace(year=today.year + 1)
            local = dt.datetime.combine(date, dt.time(int(t.group(1)), int(t.group(2) or 0)))
        except ValueError:
            raise ctx.fail(usage) from None
        return local.replace(tzinfo=ZoneInfo(ctx.district.timezone)).astimezone(dt.UTC)

    def _meeting_text(self, ctx: PluginContext, meeting: Any) -> str:
        """The meeting, its agenda with what was decided, and the headcount."""
        tz = ctx.district.timezone
        lines = [
            ctx.t(
                "Council meeting {number}: {time}, {place} ({state})",
                number=meeting.number,
                time=ctx.t.datetime(meeting.starts_at, tz, "short"),
                place=meeting.place,
                state=ctx.t(MEETING_STATES[meeting.status]),
            )
        ]
        items = ctx.store.select(agenda, agenda.c.meeting_id == meeting.id, order_by=[agenda.c.position])
        found = {m.id: m for m in ctx.store.select(matters, matters.c.id.in_([i.matter_id for i in items]))}
        if items:
            lines.append(ctx.t("Agenda:"))
        else:
            lines.append(ctx.t("No open matters for the agenda yet."))
        for item in items:
            matter = found[item.matter_id]
            lines.append(
                ctx.t(
                    "{position}. matter {number} {title} ({state})",
                    position=item.position,
                    number=matter.number,
                    title=matter.title,
                    state=ctx.t(LABELS[matter.status]),
                )
            )
            if item.decision:
                lines.append(ctx.t("   decided: {decision}", decision=item.decision))
        present = ctx.store.count(attendance, attendance.c.meeting_id == meeting.id)
        if present:
            lines.append(ctx.t("Checked in: {n}.", n=present))
        if meeting.minutes:
            lines.append(ctx.t("Minutes:\n{minutes}", minutes=meeting.minutes))
        return "\n".join(lines)

    def _load_meeting(self, ctx: PluginContext, word: str, usage: str) -> Any:
        n = number(ctx, word, usage)
        row = ctx.store.get(meetings, meetings.c.number == n)
        if row is None:
            raise ctx.fail(ctx.t("There is no council meeting {number} here. Send /meetings to see them.", number=n))
        return row

    @scheduled("meeting_reminders", "0 9 * * *")
    def meeting_reminders(self, ctx: JobContext) -> None:
        """Each morning: the residents' group hears of the council meetings of the next day."""
        group = group_room(ctx)
        if group is None:
            return
        tz = ZoneInfo(ctx.district.timezone)
        tomorrow = (ctx.fire_time or ctx.now()).date() + dt.timedelta(days=1)
        for meeting in ctx.store.select(meetings, meetings.c.status == "scheduled", order_by=[meetings.c.starts_at]):
            if meeting.starts_at.astimezone(tz).date() == tomorrow:
                reminder = ctx.t(
                    "Reminder: the council meeting is tomorrow. Everyone is welcome; bring your neighbours."
                )
                ctx.send(group, "\n".join([reminder, self._meeting_text(ctx, meeting)]))

    @command("meetings", help=N_("List the council meetings"), aliases=("议事会",))
    def list_meetings(self, ctx: CommandContext) -> None:
        rows = ctx.store.select(meetings, order_by=[meetings.c.number.desc()], limit=10)
        if not rows:
            ctx.reply(ctx.t("No council meetings yet."))
            return
        tz = ctx.district.timezone
        lines = [ctx.t("Council meetings (send /meeting NUMBER for the agenda):")]
        lines += [
            ctx.t(
                "#{number} {time}, {place} ({state})",
                number=r.number,
                time=ctx.t.datetime(r.starts_at, tz, "short"),
                place=r.place,
                state=ctx.t(MEETING_STATES[r.status]),
            )
            for r in reversed(rows)
        ]
        ctx.reply("\n".join(lines))

    @command(
        "meeting", help=N_("See a council meeting: agenda, decisions, minutes"), usage=N_("NUMBER"), aliases=("会议",)
    )
    def show_meeting(self, ctx: CommandContext) -> None:
        usage = ctx.t("Usage: /meeting NUMBER, for example /meeting 1")
        if len(ctx.args) != 1:
            raise ctx.fail(usage)
        meeting = self._load_meeting(ctx, ctx.args[0], usage)
        text = self._meeting_text(ctx, meeting)
        if ctx.private and may_move(ctx) and meeting.status == "scheduled":
            code = ctx.t("Check-in code: {code}", code=meeting.code)
            text = f"{text}\n{code}"
        ctx.reply(text)

    # --- at the meeting ----------------------------------------------------------------------------

    @command(
        "checkin",
        help=N_("Check in at a council meeting with the code read out there"),
        usage=N_("CODE"),
        aliases=("签到",),
    )
    def check_in(self, ctx: CommandContext) -> None:
        usage = ctx.t("Usage: /checkin CODE, with the code read out at the meeting, for example /checkin 4821")
        if len(ctx.args) != 1:
            raise ctx.fail(usage)
        code = ctx.args[0].strip()
        now = ctx.clock.now()
        candidates = ctx.store.select(meetings, meetings.c.status == "scheduled", meetings.c.code == code)
        meeting = next(
            (m for m in candidates if m.starts_at - CHECKIN_BEFORE <= now <= m.starts_at + CHECKIN_AFTER), None
        )
        if meeting is None:
            if candidates:
                raise ctx.fail(
                    ctx.t(
                        "Check-in for council meeting {number} is open from an hour before it starts until it ends.",
                        number=candidates[0].number,
                    )
                )
            raise ctx.fail(ctx.t("That check-in code is not right; please check it with the meeting's host."))
        if ctx.store.count(attendance, attendance.c.meeting_id == meeting.id, attendance.c.person_id == ctx.person.id):
            raise ctx.fail(ctx.t("You are already checked in at council meeting {number}.", number=meeting.number))
        ctx.store.insert(attendance, meeting_id=meeting.id, person_id=ctx.person.id, at=now)
        present = ctx.store.count(attendance, attendance.c.meeting_id == meeting.id)
        ctx.reply(
            ctx.t(
                "Welcome, {name}! You are checked in at council meeting {number} ({present} present).",
                name=ctx.person.display_name,
                number=meeting.number,
                present=present,
            )
        )

    @command(
        "minutes",
        help=N_("Add to the minutes of a council meeting"),
        usage=N_("NUMBER TEXT"),
        roles=MOVERS,
        aliases=("纪要",),
    )
    def add_minutes(self, ctx: CommandContext) -> None:
        usage = ctx.t("Usage: /minutes NUMBER TEXT, for example /minutes 1 居民代表12人到会，讨论了水塘整治")
        if len(ctx.args) < 2:
            raise ctx.fail(usage)
        meeting = self._load_meeting(ctx, ctx.args[0], usage)
        text = ctx.checked_text(words_after(ctx, 1), empty=usage, limit=4000)
        ctx.store.update(meetings, meetings.c.id == meeting.id, minutes=f"{meeting.minutes}\n{text}".strip())
        ctx.audit("council.minutes", f"meeting:{meeting.number}")
        ctx.reply(ctx.t("Added to the minutes of council meeting {number}.", number=meeting.number))

    @command(
        "decision",
        help=N_("Record what a council meeting decided about a matter"),
        usage=N_("MEETING MATTER TEXT"),
        roles=MOVERS,
        aliases=("会议决定",),
    )
    def record_decision(self, ctx: CommandContext) -> None:
        usage = ctx.t("Usage: /decision MEETING MATTER TEXT, for example /decision 1 2 同意清淤后栽种荷花")
        if len(ctx.args) < 3:
            raise ctx.fail(usage)
        meeting = self._load_meeting(ctx, ctx.args[0], usage)
        matter = load_matter(ctx, matter_number(ctx, ctx.args[1]))
        text = ctx.checked_text(words_after(ctx, 2), empty=usage, limit=2000)
        now = ctx.clock.now()
        item = ctx.store.get(agenda, agenda.c.meeting_id == meeting.id, agenda.c.matter_id == matter.id)
        if item is None:  # a matter the agenda did not have: it is added at the end
            last = (
                ctx.store.execute(
                    sa.select(sa.func.max(agenda.c.position)).where(agenda.c.meeting_id == meeting.id)
                ).scalar()
                or 0
            )
            ctx.store.insert(
                agenda,
                meeting_id=meeting.id,
                matter_id=matter.id,
                position=last + 1,
                decision=text,
                decided_by=ctx.person.id,
                decided_at=now,
            )
        else:
            ctx.store.update(agenda, agenda.c.id == item.id, decision=text, decided_by=ctx.person.id, decided_at=now)
        ctx.audit("council.meeting_decision", f"meeting:{meeting.number}", matter=matter.number)
        ctx.publish(
            "council.meeting_decided", {"meeting": meeting.number, "matter_id": matter.id, "matter": matter.number}
        )
        ctx.reply(
            ctx.t(
                "Council meeting {number} decided on matter {matter}: {text}",
                number=meeting.number,
                matter=matter.number,
                text=text,
            )
        )

    @command(
        "closemeeting",
        help=N_("Close a council meeting and post its summary"),
        usage=N_("NUMBER"),
        roles=MOVERS,
        aliases=("散会",),
    )
    def close_meeting(self, ctx: CommandContext) -> None:
        usage = ctx.t("Usage: /closemeeting NUMBER, for example /closemeeting 1")
        if len(ctx.args) != 1:
            raise ctx.fail(usage)
        meeting = self._load_meeting(ctx, ctx.args[0], usage)
        if meeting.status != "scheduled":
            raise ctx.fail(ctx.t("Council meeting {number} is already closed.", number=meeting.number))
        ctx.store.update(meetings, meetings.c.id == meeting.id, status="closed", closed_at=ctx.clock.now())
        ctx.audit("council.meeting_closed", f"meeting:{meeting.number}")
        ctx.reply(self._meeting_text(ctx, ctx.store.get(meetings, meetings.c.id == meeting.id)))
