"""Referring a matter that turns out to be a dispute between parties to mediation.

The council publishes ``mediation.referral`` (the mediation plugin's documented way in, see
docs/mediation.md); it never imports the mediation plugin. Where mediation is not enabled, the
event finds no subscriber and the council says so.
"""

from __future__ import annotations

from linli.core.plugin import N_, CommandContext, HandlerGroup, command
from linli.plugins.council.matters import MOVERS, load_matter, matter_number, move_matter
from linli.plugins.council.tables import supports

__all__ = ["Referral"]

#: the mediation categories the council's categories correspond to
MEDIATION_CATEGORY = {"property": "property", "neighbours": "neighbours"}


class Referral(HandlerGroup):
    """``/refer``."""

    @command(
        "refer",
        help=N_("Refer a matter that is a dispute between parties to mediation"),
        usage=N_("NUMBER [NAME ...]"),
        roles=MOVERS,
        aliases=("转调解",),
    )
    def refer(self, ctx: CommandContext) -> None:
        if not ctx.args:
            raise ctx.fail(ctx.t("Usage: /refer NUMBER [NAME ...], for example /refer 3 张三 李四"))
        if "mediation" not in ctx.district.plugins:
            raise ctx.fail(ctx.t("Mediation is not enabled in this community, so nothing can be referred to it."))
        row = load_matter(ctx, matter_number(ctx, ctx.args[0]))
        parties: list[int] = []
        for name in ctx.args[1:]:
            pid = ctx.person_named(name)
            if pid is None:
                raise ctx.fail(
                    ctx.t(
                        "{name} is not a resident here that I know of: they must have written in this "
                        "community's group once.",
                        name=name,
                    )
                )
            parties.append(pid)
        if not parties and row.raised_by is not None:
            parties.append(row.raised_by)
        move_matter(ctx, row, "referred")
        ctx.publish(
            "mediation.referral",
            {
                "source": "council",
                "category": MEDIATION_CATEGORY.get(row.category, "other"),
                "summary": f"{row.title}\n{row.text}".strip(),
                "person_ids": list(dict.fromkeys(parties)),
                "reference": f"council:{row.number}",
            },
        )
        n = ctx.store.count(supports, supports.c.matter_id == row.id)
        lines = [
            ctx.t(
                "Matter {number} is referred to the community's mediators; the parties will hear from them privately.",
                number=row.number,
            )
        ]
        if n:  # nobody supported it: nothing to say about support
            lines.append(
                ctx.t.plural(
                    "{n} neighbour supported it; the support stays in the council's ledger.",
                    "{n} neighbours supported it; the support stays in the council's ledger.",
                    n,
                )
            )
        ctx.reply("\n".join(lines))
