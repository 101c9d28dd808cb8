"""Action items: the work a passed matter needs, volunteers who sign up for it, their progress,
and a council member's confirmation that it is done."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from linli.core.plugin import (
    N_,
    ChoiceContext,
    CommandContext,
    ConversationContext,
    HandlerGroup,
    PluginContext,
    command,
    on_choice,
    parse_number,
)
from linli.plugins.council._community import group_room, notify_council, number, tell
from linli.plugins.council.community_tables import task_updates, task_volunteers, tasks
from linli.plugins.council.matters import MOVERS, load_matter, matter_number, may_move, words_after
from linli.plugins.council.tables import matters

__all__ = ["TASK_STATES", "Actions"]

# TRANSLATORS: states of an action item
TASK_STATES = {"open": N_("open"), "reported": N_("reported done, to be confirmed"), "done": N_("done")}
#: a matter's states in which work can be given out
WORKING = ("passed", "implementing")


class Actions(HandlerGroup):
    """Handlers of action items."""

    @command(
        "action",
        help=N_("Create an action item for a passed matter"),
        usage=N_("MATTER TEXT"),
        roles=MOVERS,
        aliases=("行动",),
    )
    def create_action(self, ctx: CommandContext) -> None:
        usage = ctx.t("Usage: /action MATTER TEXT, for example /action 2 周六上午清理水塘淤泥")
        if len(ctx.args) < 2:
            raise ctx.fail(usage)
        matter = load_matter(ctx, matter_number(ctx, ctx.args[0]))
        if matter.status not in WORKING:
            raise ctx.fail(
                ctx.t("Matter {number} has not been passed; action items come after a decision.", number=matter.number)
            )
        text = ctx.checked_text(words_after(ctx, 1), empty=usage, limit=1000)
        n = (ctx.store.execute(sa.select(sa.func.max(tasks.c.number))).scalar() or 0) + 1
        ctx.store.insert(
            tasks,
            number=n,
            matter_id=matter.id,
            text=text,
            status="open",
            created_by=ctx.person.id if ctx.person else None,
            created_at=ctx.clock.now(),
        )
        ctx.audit("council.action_created", f"action:{n}", matter=matter.number)
        text = ctx.t(
            "Action item {number} for matter {matter}: {text}\nVolunteers, send /signup {number} or press the button.",
            number=n,
            matter=matter.number,
            text=text,
        )
        button = [ctx.choice(ctx.t("I will help"), "signup", str(n), anyone=True)]
        group = group_room(ctx)
        if group is not None and (ctx.address is None or group.room_key != ctx.address.room_key):
            ctx.send(group, text, choices=button)  # created in a private chat: volunteers are in the group
        ctx.reply(text, choices=button)

    @command("actions", help=N_("List the action items still to do"), usage=N_("[MATTER]"), aliases=("行动清单",))
    def list_actions(self, ctx: CommandContext) -> None:
        where = [tasks.c.status != "done"]
        if ctx.args:
            matter = load_matter(ctx, matter_number(ctx, ctx.args[0]))
            where = [tasks.c.matter_id == matter.id]
        rows = ctx.store.select(tasks, *where, order_by=[tasks.c.number])
        if not rows:
            ctx.reply(ctx.t("No action items to do."))
            return
        numbers = {
            m.id: m.number for m in ctx.store.select(matters, matters.c.id.in_(sorted({r.matter_id for r in rows})))
        }
        lines = [ctx.t("Action items:")]
        for r in rows:
            helpers = self._action_volunteers(ctx, r.id)
            names = ctx.display_names(helpers)
            lines.append(
                ctx.t(
                    "#{number} (matter {matter}) {text} · {state} · volunteers: {names}",
                    number=r.number,
                    matter=numbers.get(r.matter_id, "?"),
                    text=r.text,
                    state=ctx.t(TASK_STATES[r.status]),
                    names="、".join(names[p] for p in helpers) or ctx.t("none yet"),
                )
            )
        ctx.reply("\n".join(lines))

    def _action_volunteers(self, ctx: PluginContext, task_id: int) -> list[int]:
        rows = ctx.store.select(
            task_volunteers,
            task_volunteers.c.task_id == task_id,
            task_volunteers.c.person_id.is_not(None),
            order_by=[task_volunteers.c.id],
        )
        return [r.person_id for r in rows]

    def _action_item(self, ctx: PluginContext, word: str, usage: str) -> Any:
        n = number(ctx, word, usage)
        row = ctx.store.get(tasks, tasks.c.number == n)
        if row is None:
            raise ctx.fail(ctx.t("There is no action item {number} here. Send /actions to see them.", number=n))
        return row

    # --- volunteers ------------------------------------------------------------------------------

    @command("signup", help=N_("Volunteer for an action item"), usage=N_("NUMBER"), aliases=("报名",))
    def signup_action(self, ctx: CommandContext) -> None:
        usage = ctx.t("Usage: /signup NUMBER, for example /signup 1")
        if len(ctx.args) != 1:
            raise ctx.fail(usage)
        self._sign_up_action(ctx, self._action_item(ctx, ctx.args[0], usage))

    @on_choice("signup")
    def signup_action_button(self, ctx: ChoiceContext) -> None:
        row = ctx.store.get(tasks, tasks.c.number == (parse_number(ctx.data) or 0))
        if row is None:
            raise ctx.fail(ctx.t("That action item is gone."))
        self._sign_up_action(ctx, row)

    def _sign_up_action(self, ctx: ConversationContext, row: Any) -> None:
        if row.status == "done":
            raise ctx.fail(ctx.t("Action item {number} is already done. Thank you all the same!", number=row.number))
        if ctx.person.id in self._action_volunteers(ctx, row.id):
            raise ctx.fail(ctx.t("You are already signed up for action item {number}.", number=row.number))
        ctx.store.insert(task_volunteers, task_id=row.id, person_id=ctx.person.id, at=ctx.clock.now())
        ctx.reply(
            ctx.t(
                "Thank you, {name}! You are signed up for action item {number}: {text}. Tell us how it goes "
                "with /report {number} TEXT.",
                name=ctx.person.display_name,
                number=row.number,
                text=row.text,
            )
        )

    @command("report", help=N_("Report progress on an action item"), usage=N_("NUMBER TEXT"), aliases=("汇报",))
    def report_action(self, ctx: CommandContext) -> None:
        usage = ctx.t("Usage: /report NUMBER TEXT, for example /report 1 淤泥已清理一半")
        if len(ctx.args) < 2:
            raise ctx.fail(usage)
        row = self._action_item(ctx, ctx.args[0], usage)
        self._may_report_action(ctx, row)
        text = ctx.checked_text(words_after(ctx, 1), empty=usage, limit=1000)
        ctx.store.insert(task_updates, task_id=row.id, person_id=ctx.person.id, text=text, at=ctx.clock.now())
        ctx.reply(
            ctx.t("Progress on action item {number} noted. Send /finished {number} when it is done.", number=row.number)
        )

    def _may_report_action(self, ctx: ConversationContext, row: Any) -> None:
        if row.status == "done":
            raise ctx.fail(ctx.t("Action item {number} is already done.", number=row.number))
        if ctx.person.id not in self._action_volunteers(ctx, row.id) and not may_move(ctx):
            raise ctx.fail(
                ctx.t(
                    "Only the volunteers of action item {number} and council members may report on it; "
                    "send /signup {number} to join.",
                    number=row.number,
                )
            )

    # --- done -------------------------------------------------------------------------------------

    @command(
        "finished",
        help=N_("Say an action item is done (a council member confirms it)"),
        usage=N_("NUMBER [NOTE]"),
        aliases=("完成",),
    )
    def finish_action(self, ctx: CommandContext) -> None:
        usage = ctx.t("Usage: /finished NUMBER [NOTE], for example /finished 1")
        if not ctx.args:
            raise ctx.fail(usage)
        row = self._action_item(ctx, ctx.args[0], usage)
        self._may_report_action(ctx, row)
        note = words_after(ctx, 1)
        if note:
            ctx.store.insert(
                task_updates,
                task_id=row.id,
                person_id=ctx.person.id,
                text=ctx.checked_text(note, empty=usage, limit=1000),
                at=ctx.clock.now(),
            )
        if may_move(ctx):
            self._confirm_action(ctx, row)
            return
        if row.status == "reported":
            raise ctx.fail(
                ctx.t("Action item {number} is already waiting for a council member to confirm it.", number=row.number)
            )
        ctx.store.update(tasks, tasks.c.id == row.id, status="reported", reported_by=ctx.person.id)
        notify_council(
            ctx,
            ctx.t(
                "{name} says action item {number} ({text}) is done. Please check and confirm.",
                name=ctx.person.display_name,
                number=row.number,
                text=row.text,
            ),
            choices=[ctx.choice(ctx.t("Confirm it is done"), "action_done", str(row.number), anyone=True)],
        )
        ctx.reply(
            ctx.t("Thank you! A council member will confirm that action item {number} is done.", number=row.number)
        )

    @on_choice("action_done", roles=MOVERS)
    def confirm_action_button(self, ctx: ChoiceContext) -> None:
        row = ctx.store.get(tasks, tasks.c.number == (parse_number(ctx.data) or 0))
        if row is None or row.status == "done":
            raise ctx.fail(ctx.t("That action item is already done."))
        self._confirm_action(ctx, row)

    def _confirm_action(self, ctx: ConversationContext, row: Any) -> None:
        ctx.store.update(
            tasks, tasks.c.id == row.id, status="done", confirmed_by=ctx.person.id, done_at=ctx.clock.now()
        )
        ctx.audit("council.action_done", f"action:{row.number}")
        for pid in self._action_volunteers(ctx, row.id):
            if pid != ctx.person.id:
                tell(
                    ctx,
                    pid,
                    N_("Action item {number} ({text}) is done. Thank you for your help!"),
                    number=row.number,
                    text=row.text,
                )
        left = ctx.store.count(tasks, tasks.c.matter_id == row.matter_id, tasks.c.status != "done")
        matter: Any = ctx.store.get(matters, matters.c.id == row.matter_id)
        if left:
            ctx.reply(
                ctx.t(
                    "Action item {number} is done. {left} more for matter {matter}.",
                    number=row.number,
                    left=left,
                    matter=matter.number,
                )
            )
        else:
            ctx.reply(
                ctx.t(
                    "Action item {number} is done; that was the last one of matter {matter}. A council "
                    "member may now move the matter to done.",
                    number=row.number,
                    matter=matter.number,
                )
            )
