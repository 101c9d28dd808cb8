"""Notices to the rooms of a building, a grid or the whole community (delivered within the
platforms' flood limits by the outbox), and the captains' tallies of notices posted on paper
(张贴通知单) and cards handed out (发放明白卡) per building."""

from __future__ import annotations

import re

from linli.core.plugin import N_, Address, CommandContext, HandlerGroup, PluginContext, command
from linli.plugins.captains import _registry as reg
from linli.plugins.captains._common import STAFF, captain_buildings, next_number, require_building
from linli.plugins.captains.tables import notices, tallies

__all__ = ["TALLY_KINDS", "Notices"]

TALLY_KINDS = {"notices": N_("notices posted"), "cards": N_("cards handed out")}
TALLY_WORDS = {
    "notices": "notices",
    "notice": "notices",
    "通知": "notices",
    "通知单": "notices",
    "cards": "cards",
    "card": "cards",
    "明白卡": "cards",
    "卡": "cards",
}
MAX_NOTICE = 2000


class Notices(HandlerGroup):
    """``/notice`` and ``/tally``."""

    @command(
        "notice",
        help=N_("Send a notice to the rooms of the community, a grid or a building"),
        usage=N_("all|GRID|BUILDING TEXT"),
        roles=(STAFF,),
        aliases=("通知",),
    )
    def notice(self, ctx: CommandContext) -> None:
        usage = ctx.t("Usage: /notice all|GRID|BUILDING TEXT, for example /notice 第五网格 周六停水")
        if len(ctx.args) < 2:
            raise ctx.fail(usage)
        target = ctx.args[0]
        text = ctx.checked_text(
            re.split(r"[\s\u3000]+", ctx.argtext.strip(), maxsplit=1)[1], empty=usage, limit=MAX_NOTICE
        )
        scope, scope_id, rooms = self._rooms(ctx, target)
        if not rooms:
            raise ctx.fail(
                ctx.t(
                    "{target} has no chat room bound to it, so there is nowhere to send the notice. A room is bound "
                    "in the settings: grid_rooms or building_rooms under the captains plugin's configuration.",
                    target=target,
                )
            )
        number = next_number(ctx, notices)
        ctx.store.insert(
            notices,
            number=number,
            scope=scope,
            scope_id=scope_id,
            text=text,
            rooms=len(rooms),
            sent_by=ctx.person.id if ctx.person else None,
            sent_at=ctx.clock.now(),
        )
        body = ctx.t("Notice {number}: {text}", number=number, text=text)
        for room in rooms:
            ctx.send(room, body)
        ctx.publish("captains.notice_sent", {"number": number, "rooms": len(rooms)})
        ctx.reply(ctx.t("Notice {number} goes to {n} room(s).", number=number, n=len(rooms)))

    def _rooms(self, ctx: PluginContext, target: str) -> tuple[str, int | None, list[Address]]:
        if target.lower() in ("all", "全部", "全社区"):
            seen: dict[str, Address] = {}
            for room in ctx.district.rooms:
                seen.setdefault(room, Address.parse(room))
            for grid in reg.grids(ctx):
                for a in reg.rooms_of_grid(ctx, grid):
                    seen.setdefault(a.room_key, a)
            for b in reg.buildings(ctx):
                for a in reg.rooms_of_building(ctx, b):
                    seen.setdefault(a.room_key, a)
            team = ctx.team_rooms()  # the mediators' or the staff's room is no residents' room
            return "district", None, [a for key, a in seen.items() if key not in team]
        named = reg.find_grid(ctx, target)
        if named is not None:
            found = {a.room_key: a for a in reg.rooms_of_grid(ctx, named)}
            for b in reg.buildings(ctx, grid_ids=[named.id]):
                for a in reg.rooms_of_building(ctx, b):
                    found.setdefault(a.room_key, a)
            return "grid", named.id, list(found.values())
        building = reg.find_building(ctx, target)
        if building is None:
            raise ctx.fail(ctx.t("There is no grid or building {target} in this community.", target=target))
        return "building", building.id, reg.rooms_of_building(ctx, building)

    @command(
        "tally",
        help=N_("Record notices posted or cards handed out in a building"),
        usage=N_("BUILDING notices|cards COUNT"),
        aliases=("记数",),
    )
    def tally(self, ctx: CommandContext) -> None:
        usage = ctx.t("Usage: /tally BUILDING notices|cards COUNT, for example /tally 2号楼 cards 40")
        if len(ctx.args) != 3 or ctx.args[1].lower() not in TALLY_WORDS:
            raise ctx.fail(usage)
        building = require_building(ctx, ctx.args[0])
        if building.id not in captain_buildings(ctx):
            raise ctx.fail(ctx.t("Only the captains of {building} report for it.", building=building.label))
        count = ctx.number(ctx.args[2], high=10000)
        kind = TALLY_WORDS[ctx.args[1].lower()]
        ctx.store.insert(
            tallies,
            building_id=building.id,
            captain_id=ctx.person.id if ctx.person else None,
            kind=kind,
            amount=count,
            recorded_at=ctx.clock.now(),
        )
        total = sum(
            r.amount for r in ctx.store.select(tallies, tallies.c.building_id == building.id, tallies.c.kind == kind)
        )
        ctx.reply(
            ctx.t(
                "{building}: {count} {kind} recorded, {total} in all.",
                building=building.label,
                count=count,
                kind=ctx.t(TALLY_KINDS[kind]),
                total=total,
            )
        )
