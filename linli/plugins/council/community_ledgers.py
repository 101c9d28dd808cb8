"""认领台账、议事会记录、行动清单、公约修订 — the ledgers of adoptions, meetings, action items and
the convention's versions, for ``linli export``."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from linli.core.plugin import N_, HandlerGroup, Ledger, LedgerContext, ledger
from linli.plugins.council.actions import TASK_STATES
from linli.plugins.council.adoptions import KINDS, STATES, ending_text
from linli.plugins.council.community_tables import (
    adoptables,
    adoptions,
    agenda,
    articles,
    attendance,
    inspections,
    meetings,
    task_updates,
    task_volunteers,
    tasks,
    versions,
)
from linli.plugins.council.convention import SOURCES
from linli.plugins.council.meetings import MEETING_STATES
from linli.plugins.council.tables import matters

__all__ = ["CommunityLedgers"]

ADOPTION_COLUMNS = [
    N_("Adoptable number"),
    N_("Kind"),
    N_("Name"),
    N_("Adopter"),
    N_("State"),
    N_("Date applied"),
    N_("Term (months)"),
    N_("Duties"),
    N_("Start date"),
    N_("End date"),
    N_("Renewals"),
    N_("Inspections"),
    N_("Last inspection"),
    N_("Date closed"),
    N_("Remarks"),
]
MEETING_COLUMNS = [
    N_("Meeting number"),
    N_("Time"),
    N_("Place"),
    N_("State"),
    N_("Present"),
    N_("Matter number"),
    N_("Matter"),
    N_("Decision"),
    N_("Minutes"),
]
ACTION_COLUMNS = [
    N_("Action number"),
    N_("Matter number"),
    N_("Action item"),
    N_("Volunteers"),
    N_("State"),
    N_("Progress"),
    N_("Confirmed by"),
    N_("Date done"),
]
CONVENTION_COLUMNS = [N_("Article"), N_("Version"), N_("In force"), N_("Text"), N_("How"), N_("Date")]


class CommunityLedgers(HandlerGroup):
    """Ledgers of the council's community work."""

    @ledger("adoptions", title=N_("Adoption ledger (green plots and other adopted things)"))
    def adoptions_ledger(self, ctx: LedgerContext) -> Ledger:
        tz = ZoneInfo(ctx.district.timezone)
        things = {t.id: t for t in ctx.store.select(adoptables)}
        held = ctx.store.select(adoptions, order_by=[adoptions.c.adoptable_id, adoptions.c.id])
        names = ctx.display_names(sorted({h.person_id for h in held if h.person_id is not None}))
        checks: dict[int, list[Any]] = {}
        for i in ctx.store.select(inspections, order_by=[inspections.c.id]):
            checks.setdefault(i.adoption_id, []).append(i)
        rows = []
        for h in held:
            thing = things[h.adoptable_id]
            seen = checks.get(h.id, [])
            last = f"{seen[-1].at.astimezone(tz).date().isoformat()} {seen[-1].note}" if seen else ""
            rows.append(
                [
                    thing.number,
                    ctx.t(KINDS[thing.kind]),
                    thing.name,
                    names.get(h.person_id, ""),
                    ctx.t(STATES[h.status]),
                    h.applied_at.astimezone(tz).date(),
                    h.months,
                    h.duties,
                    h.starts_on,
                    h.ends_on,
                    h.renewals,
                    len(seen),
                    last,
                    h.closed_at.astimezone(tz).date() if h.closed_at else None,
                    ending_text(ctx.t, h.note),
                ]
            )
        taken = {h.adoptable_id for h in held}
        rows += [
            [
                t.number,
                ctx.t(KINDS[t.kind]),
                t.name,
                "",
                ctx.t("free to adopt"),
                None,
                None,
                "",
                None,
                None,
                0,
                0,
                "",
                None,
                "",
            ]
            for t in things.values()
            if t.id not in taken
        ]
        rows.sort(key=lambda r: r[0])
        return Ledger(columns=ADOPTION_COLUMNS, rows=rows)

    @ledger("meetings", title=N_("Council meeting record"))
    def meetings_ledger(self, ctx: LedgerContext) -> Ledger:
        """One row per agenda item (a meeting without one has a row of its own)."""
        tz = ZoneInfo(ctx.district.timezone)
        found = {m.id: m for m in ctx.store.select(matters)}
        rows = []
        for m in ctx.store.select(meetings, order_by=[meetings.c.number]):
            present = ctx.store.count(attendance, attendance.c.meeting_id == m.id)
            head = [
                m.number,
                m.starts_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                m.place,
                ctx.t(MEETING_STATES[m.status]),
                present,
            ]
            items = ctx.store.select(agenda, agenda.c.meeting_id == m.id, order_by=[agenda.c.position])
            entries: list[Any] = list(items) or [None]
            for item in entries:
                matter = found.get(item.matter_id) if item is not None else None
                rows.append(
                    [
                        *head,
                        matter.number if matter else None,
                        matter.title if matter else "",
                        item.decision if item is not None else "",
                        m.minutes,
                    ]
                )
        return Ledger(columns=MEETING_COLUMNS, rows=rows)

    @ledger("actions", title=N_("Action items of the courtyard council"))
    def actions_ledger(self, ctx: LedgerContext) -> Ledger:
        tz = ZoneInfo(ctx.district.timezone)
        numbers = {m.id: m.number for m in ctx.store.select(matters)}
        helpers = ctx.store.select(
            task_volunteers, task_volunteers.c.person_id.is_not(None), order_by=[task_volunteers.c.id]
        )
        rows_ = ctx.store.select(tasks, order_by=[tasks.c.number])
        names = ctx.display_names(
            sorted({h.person_id for h in helpers} | {r.confirmed_by for r in rows_ if r.confirmed_by is not None})
        )
        notes: dict[int, list[str]] = {}
        for u in ctx.store.select(task_updates, order_by=[task_updates.c.id]):
            notes.setdefault(u.task_id, []).append(f"{u.at.astimezone(tz).date().isoformat()} {u.text}")
        rows = [
            [
                r.number,
                numbers.get(r.matter_id),
                r.text,
                "、".join(names[h.person_id] for h in helpers if h.task_id == r.id),
                ctx.t(TASK_STATES[r.status]),
                "\n".join(notes.get(r.id, [])),
                names.get(r.confirmed_by, "") if r.confirmed_by else "",
                r.done_at.astimezone(tz).date() if r.done_at else None,
            ]
            for r in rows_
        ]
        return Ledger(columns=ACTION_COLUMNS, rows=rows)

    @ledger("convention", title=N_("Residents' convention and its versions"))
    def convention_ledger(self, ctx: LedgerContext) -> Ledger:
        tz = ZoneInfo(ctx.district.timezone)
        current = {a.id: a for a in ctx.store.select(articles)}
        rows = []
        for v in ctx.store.select(versions, order_by=[versions.c.article_id, versions.c.version]):
            article = current[v.article_id]
            rows.append(
                [
                    article.number,
                    v.version,
                    ctx.t("yes") if v.version == article.version else ctx.t("no"),
                    v.text,
                    ctx.t(SOURCES[v.source]),
                    v.at.astimezone(tz).date(),
                ]
            )
        rows.sort(key=lambda r: (r[0], r[1]))
        return Ledger(columns=CONVENTION_COLUMNS, rows=rows)
