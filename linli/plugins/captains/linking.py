"""A captain gives a resident of their building the one-time code that links the resident's
chat account to their entry in the register (they send ``/link CODE`` to the bot)."""

from __future__ import annotations

import re

from linli.core.plugin import N_, CommandContext, HandlerGroup, command
from linli.plugins.captains import _registry as reg
from linli.plugins.captains._common import captain_buildings, is_staff, joined

__all__ = ["Linking"]


class Linking(HandlerGroup):
    """``/linkcode``."""

    @command(
        "linkcode",
        help=N_("Give a resident of your building the code that links their chat account (in private)"),
        usage=N_("HOUSEHOLD [NAME]"),
        where="private",
        aliases=("绑定码",),
    )
    def linkcode(self, ctx: CommandContext) -> None:
        if not ctx.args:
            raise ctx.fail(ctx.t("Usage: /linkcode HOUSEHOLD [NAME], for example /linkcode 3-301 孙秀英"))
        mine = list(captain_buildings(ctx))
        household = reg.find_household(ctx, ctx.args[0], mine) or reg.find_household(ctx, ctx.args[0])
        if household is None:
            raise ctx.fail(ctx.t("There is no household {household} here.", household=ctx.args[0]))
        if household.building_id not in mine and not is_staff(ctx):
            raise ctx.fail(
                ctx.t(
                    "Household {household} is not in your buildings; its own captains give its codes.",
                    household=household.label,
                )
            )
        people = reg.register_people(ctx, household)
        waiting = [(pid, name) for pid, name, linked in people if not linked]
        name = re.split(r"[\s\u3000]+", ctx.argtext.strip(), maxsplit=1)[1] if len(ctx.args) > 1 else ""
        if name:
            chosen = [pid for pid, n in waiting if n == name]
        else:
            chosen = [pid for pid, _ in waiting] if len(waiting) == 1 else []
        if len(chosen) != 1:
            listed = joined(ctx, [n for _, n in waiting]) or ctx.t("nobody")
            raise ctx.fail(
                ctx.t(
                    "Whose code is it? Household {household} has no chat account yet for: {names}. "
                    "Send /linkcode {household} NAME.",
                    household=household.label,
                    names=listed,
                )
            )
        code = reg.link_code(ctx, chosen[0])
        ctx.reply(
            ctx.t(
                "The code is {code}. Give it to them in person; they send /link {code} to me within 7 days, "
                "once. From then on they speak for themselves.",
                code=code,
            )
        )
