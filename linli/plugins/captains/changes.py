"""Changes to a household from chat: a captain proposes (someone moves in or out, dies, a new
phone), staff approve or reject; the register applies an approved change and keeps the
household's history. Names and phones stay in private chats."""

from __future__ import annotations

from typing import Any

from linli.core.plugin import N_, Change, CommandContext, ConversationContext, HandlerGroup, command
from linli.plugins.captains import _registry as reg
from linli.plugins.captains._common import STAFF
from linli.plugins.captains.specials import _household_in_reach

__all__ = ["Changes"]

#: what a person types → the register's kind of change
KINDS = {
    "movein": "move_in",
    "迁入": "move_in",
    "moveout": "move_out",
    "迁出": "move_out",
    "death": "death",
    "去世": "death",
    "phone": "phone",
    "电话": "phone",
}
KIND_LABELS = {
    "move_in": N_("moves in"),
    "move_out": N_("moves out"),
    "death": N_("has died"),
    "phone": N_("new phone"),
}
USAGE = N_("HOUSEHOLD movein|moveout|death|phone NAME-OR-PHONE [RELATION-OR-NAME]")


def _masked(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 8 else "****"


def _member_named(ctx: ConversationContext, household: reg.Household, name: str) -> int:
    found = [r.person_id for r in ctx.registry.members(household.id) if r.name == name]
    if len(found) != 1:
        raise ctx.fail(
            ctx.t("Nobody called {name} lives in household {household}.", name=name, household=household.label)
        )
    return found[0]


def describe(ctx: ConversationContext, change: Change) -> str:
    """One line for a change: its number, household, kind and who or what (a phone masked)."""
    household = reg.household(ctx, change.household_id)
    where = household.label if household else str(change.household_id)
    detail: dict[str, Any] = dict(change.detail)
    if "name" in detail:
        who = detail["name"] + (f"（{detail['relation']}）" if detail.get("relation") else "")
    elif "person_id" in detail:
        who = ctx.display_names([detail["person_id"]]).get(detail["person_id"], "")
    else:
        who = ""
    if change.kind == "phone" and detail.get("phone"):  # a rejected change no longer holds it
        who = (who + " " if who else "") + _masked(str(detail["phone"]))
    if not who:
        return ctx.t(
            "Change {number}: {household} — {kind}",
            number=change.id,
            household=where,
            kind=ctx.t(KIND_LABELS.get(change.kind, change.kind)),
        )
    return ctx.t(
        "Change {number}: {household} — {kind}: {who}",
        number=change.id,
        household=where,
        kind=ctx.t(KIND_LABELS.get(change.kind, change.kind)),
        who=who,
    )


class Changes(HandlerGroup):
    """Household changes proposed by captains and decided by staff (the register keeps the history)."""

    @command(
        "change",
        help=N_("Propose a change to a household: someone moves in or out, dies, a new phone (in private)"),
        usage=USAGE,
        where="private",
        aliases=("变更",),
    )
    def change(self, ctx: CommandContext) -> None:
        if len(ctx.args) < 3 or ctx.args[1].lower() not in KINDS:
            raise ctx.fail(
                ctx.t(
                    "Usage: /change {usage}, for example /change 3-301 movein 王秀英 母亲, "
                    "/change 3-301 moveout 李四, /change 3-301 phone 13800000000",
                    usage=ctx.t(USAGE),
                )
            )
        household, _ = _household_in_reach(ctx, ctx.args[0])
        kind = KINDS[ctx.args[1].lower()]
        third, fourth = ctx.args[2], " ".join(ctx.args[3:])
        registry = ctx.registry
        if kind == "move_in":
            proposed = registry.propose_change(household.id, kind, name=third, relation=fourth)
        elif kind in ("move_out", "death"):
            proposed = registry.propose_change(household.id, kind, person_id=_member_named(ctx, household, third))
        else:
            person = _member_named(ctx, household, fourth) if fourth else None
            proposed = registry.propose_change(household.id, kind, phone=third, person_id=person)
        ctx.reply(ctx.t("{change}. Proposed: a community worker will approve it.", change=describe(ctx, proposed)))

    @command(
        "changes",
        help=N_("The household changes waiting for approval (in private)"),
        roles=(STAFF,),
        where="private",
        aliases=("待审变更",),
    )
    def changes(self, ctx: CommandContext) -> None:
        pending = ctx.registry.changes("pending")
        if not pending:
            ctx.reply(ctx.t("No household change is waiting for approval."))
            return
        lines = [describe(ctx, c) for c in pending]
        ctx.reply(
            ctx.t("Waiting for approval (/approvechange NUMBER or /rejectchange NUMBER REASON):")
            + "\n"
            + "\n".join(lines)
        )

    @command(
        "approvechange",
        help=N_("Approve a household change"),
        usage=N_("NUMBER"),
        roles=(STAFF,),
        where="private",
        aliases=("批准变更",),
    )
    def approve(self, ctx: CommandContext) -> None:
        number = ctx.number(ctx.args[0] if ctx.args else None)
        done = ctx.registry.approve(number)
        ctx.reply(ctx.t("{change}. Approved: the register is updated.", change=describe(ctx, done)))

    @command(
        "rejectchange",
        help=N_("Reject a household change, with the reason"),
        usage=N_("NUMBER REASON"),
        roles=(STAFF,),
        where="private",
        aliases=("驳回变更",),
    )
    def reject(self, ctx: CommandContext) -> None:
        number = ctx.number(ctx.args[0] if ctx.args else None)
        reason = " ".join(ctx.args[1:]).strip()
        if not reason:
            raise ctx.fail(ctx.t("Please give the reason: /rejectchange NUMBER REASON"))
        done = ctx.registry.reject(number, reason)
        ctx.reply(ctx.t("{change}. Rejected: {reason}", change=describe(ctx, done), reason=reason))
