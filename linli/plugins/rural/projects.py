"""Projects (项目: 草莓大棚, 产业园): milestones with dates, progress in percent from reports in chat,
and milestones past their date flagged to the first secretary and the work team.

A progress report is a row of ``rural_progress_reports``, announced with the domain event
``rural.progress_reported`` (``report_id``, ``project_id``). That row is what photos of the
report attach to once messages carry attachments: the attachment of a report's message (or of
a photo sent right after it) belongs to ``rural_progress_reports.id``."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import sqlalchemy as sa

from linli.core.plugin import N_, CommandContext, HandlerGroup, JobContext, PluginContext, command, scheduled
from linli.plugins.rural._village import STAFF, WORKERS, fetch, next_number, number_arg, parse_date, tell_staff
from linli.plugins.rural.enterprise_tables import milestones, progress_reports, projects

__all__ = ["PROGRESS_REPORTED", "Projects", "project_progress"]

#: published when a progress report is kept; its payload names the report's row
PROGRESS_REPORTED = "rural.progress_reported"
_PERCENT = re.compile(r"^(\d{1,3})\s*[%％]?$")


def _project(ctx: PluginContext, text: str, usage: str) -> Any:
    number = number_arg(ctx, text, usage)
    row = ctx.store.get(projects, projects.c.number == number)
    if row is None:
        raise ctx.fail(ctx.t("There is no project #{number}. Send /projects to see them.", number=number))
    return row


def project_progress(ctx: PluginContext, today: dt.date) -> list[tuple[Any, int, int]]:
    """Each project with its milestones done and overdue (not done, due before ``today``)."""
    rows = ctx.store.select(projects, order_by=[projects.c.number])
    if not rows:
        return []
    done: dict[int, int] = dict(
        fetch(
            ctx,
            sa.select(milestones.c.project_id, sa.func.count())
            .where(milestones.c.done_on.is_not(None))
            .group_by(milestones.c.project_id),
        )
    )
    late: dict[int, int] = dict(
        fetch(
            ctx,
            sa.select(milestones.c.project_id, sa.func.count())
            .where(milestones.c.done_on.is_(None), milestones.c.due_on < today)
            .group_by(milestones.c.project_id),
        )
    )
    return [(p, int(done.get(p.id, 0)), int(late.get(p.id, 0))) for p in rows]


class Projects(HandlerGroup):
    """``/project``, ``/milestone``, ``/milestonedone``, ``/projectprogress``, ``/projects``; overdue flags."""

    @command("project", help=N_("Start a project"), usage=N_("NAME"), roles=WORKERS, aliases=("项目",))
    def project(self, ctx: CommandContext) -> None:
        name = ctx.checked_text(
            ctx.argtext, empty=ctx.t("Usage: /project NAME, for example /project 草莓大棚29座"), limit=128
        )
        number = next_number(ctx, projects)
        ctx.store.insert(
            projects, number=number, name=name, progress=0, added_by=ctx.person.id, added_at=ctx.clock.now()
        )
        ctx.audit("rural.project_added", f"project:{number}")
        ctx.reply(
            ctx.t(
                "Project #{number} {project} is started. Add its milestones with /milestone {number} DATE TITLE.",
                number=number,
                project=name,
            )
        )

    @command(
        "milestone",
        help=N_("Add a milestone to a project"),
        usage=N_("PROJECT DATE TITLE"),
        roles=WORKERS,
        aliases=("节点",),
    )
    def milestone(self, ctx: CommandContext) -> None:
        usage = ctx.t("Usage: /milestone PROJECT DATE TITLE, for example /milestone 1 2027-03-31 大棚主体完工")
        parts = re.split(r"[\s\u3000]+", ctx.argtext.strip(), maxsplit=2)
        if len(parts) < 3:
            raise ctx.fail(usage)
        project = _project(ctx, parts[0], usage)
        due = parse_date(parts[1])
        if due is None:
            raise ctx.fail(ctx.t("{text} is not a date; write it as 2029-05-31.", text=parts[1]))
        title = ctx.checked_text(parts[2], empty=usage, limit=200)
        number = next_number(ctx, milestones, milestones.c.project_id == project.id)
        ctx.store.insert(milestones, project_id=project.id, number=number, title=title, due_on=due)
        ctx.reply(
            ctx.t(
                "Milestone {project}.{number} {title}, due {date}.",
                project=project.number,
                number=number,
                title=title,
                date=due.isoformat(),
            )
        )

    @command(
        "milestonedone",
        help=N_("Mark a project's milestone done"),
        usage=N_("PROJECT MILESTONE"),
        roles=WORKERS,
        aliases=("节点完成",),
    )
    def milestone_done(self, ctx: CommandContext) -> None:
        usage = ctx.t("Usage: /milestonedone PROJECT MILESTONE, for example /milestonedone 1 2")
        if len(ctx.args) != 2:
            raise ctx.fail(usage)
        project = _project(ctx, ctx.args[0], usage)
        number = number_arg(ctx, ctx.args[1], usage)
        row = ctx.store.get(milestones, milestones.c.project_id == project.id, milestones.c.number == number)
        if row is None:
            raise ctx.fail(
                ctx.t("Project #{project} has no milestone {number}.", project=project.number, number=number)
            )
        if row.done_on is not None:
            raise ctx.fail(ctx.t("That milestone was done on {date}.", date=row.done_on.isoformat()))
        today = ctx.now().date()
        ctx.store.update(milestones, milestones.c.id == row.id, done_on=today)
        ctx.audit("rural.milestone_done", f"project:{project.number}", milestone=number)
        ctx.reply(
            ctx.t(
                "Milestone {project}.{number} {title} is done.", project=project.number, number=number, title=row.title
            )
        )

    @command(
        "projectprogress",
        help=N_("Report a project's progress in percent, with what was done"),
        usage=N_("PROJECT PERCENT [TEXT]"),
        roles=WORKERS,
        aliases=("项目进度",),
    )
    def progress(self, ctx: CommandContext) -> None:
        usage = ctx.t(
            "Usage: /projectprogress PROJECT PERCENT [TEXT], for example /projectprogress 1 60% 已建成18座大棚"
        )
        parts = re.split(r"[\s\u3000]+", ctx.argtext.strip(), maxsplit=2)
        if len(parts) < 2:
            raise ctx.fail(usage)
        project = _project(ctx, parts[0], usage)
        match = _PERCENT.match(parts[1].translate(str.maketrans("０１２３４５６７８９", "0123456789")))
        if match is None or int(match.group(1)) > 100:
            raise ctx.fail(ctx.t("{text} is not a percentage from 0 to 100.", text=parts[1]))
        percent = int(match.group(1))
        text = parts[2].strip() if len(parts) > 2 else ""
        if len(text) > 2000:
            raise ctx.fail(ctx.t("That report is too long (2000 characters at most)."))
        report_id = ctx.store.insert(
            progress_reports,
            project_id=project.id,
            progress=percent,
            text=text,
            reported_by=ctx.person.id,
            reported_at=ctx.clock.now(),
        )
        ctx.store.update(projects, projects.c.id == project.id, progress=percent)
        ctx.publish(PROGRESS_REPORTED, {"report_id": report_id, "project_id": project.id})
        # the photos of this message, and those sent in the next minutes, belong to the report
        attached = ctx.accept_attachments(
            report_id, ctx.t("the progress report of project #{number}", number=project.number)
        )
        answer = ctx.t(
            "Project #{number} {project}: {percent}% (was {before}%).",
            number=project.number,
            project=project.name,
            percent=percent,
            before=project.progress,
        )
        if attached:
            answer += "\n" + ctx.t("{count} file(s) attached to it.", count=attached)
        ctx.reply(answer)

    @command(
        "projects", help=N_("The projects, their progress and overdue milestones"), roles=STAFF, aliases=("项目列表",)
    )
    def list_projects(self, ctx: CommandContext) -> None:
        today = ctx.now().date()
        found = project_progress(ctx, today)
        if not found:
            ctx.reply(ctx.t("No projects yet: /project NAME."))
            return
        pending = ctx.store.select(
            milestones, milestones.c.done_on.is_(None), order_by=[milestones.c.due_on, milestones.c.number]
        )
        lines = [ctx.t("Projects:")]
        for p, _done, _late in found:
            lines.append(ctx.t("#{number} {project} · {percent}%", number=p.number, project=p.name, percent=p.progress))
            for m in (m for m in pending if m.project_id == p.id):
                mark = ctx.t("overdue") if m.due_on < today else ctx.t("due")
                lines.append(f"  {p.number}.{m.number} {m.title} · {mark} {m.due_on.isoformat()}")
        ctx.reply("\n".join(lines))

    @scheduled("milestones_overdue", "30 8 * * *")
    def milestones_overdue(self, ctx: JobContext) -> None:
        """Each morning: flag, once, each milestone past its date and not done."""
        today = ctx.now().date()
        late = ctx.store.select(
            milestones,
            milestones.c.done_on.is_(None),
            milestones.c.due_on < today,
            milestones.c.flagged_on.is_(None),
            order_by=[milestones.c.due_on, milestones.c.id],
        )
        if not late:
            return
        names = {p.id: p for p in ctx.store.select(projects, projects.c.id.in_(sorted({m.project_id for m in late})))}
        for m in late:
            p = names.get(m.project_id)
            tell_staff(
                ctx,
                N_("Overdue: milestone {project}.{number} {title} of {name} was due on {date} and is not done."),
                project=p.number if p else "",
                number=m.number,
                title=m.title,
                name=p.name if p else "",
                date=m.due_on.isoformat(),
            )
            ctx.store.update(milestones, milestones.c.id == m.id, flagged_on=today)
