"""Special households (特殊户) and their care plans (一人一策).

Codes only, never free text. Seen by the household's building captains, the workers of its grid
and the community's staff, only in a private chat, and every look is audited."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import sqlalchemy as sa

from linli.core.plugin import (
    N_,
    ChoiceContext,
    CommandContext,
    DialogContext,
    HandlerGroup,
    JobContext,
    PluginContext,
    command,
    on_choice,
    on_dialog,
    scheduled,
)
from linli.plugins.captains import _registry as reg
from linli.plugins.captains._common import (
    is_number,
    joined,
    may_see_building,
    visible_buildings,
)
from linli.plugins.captains.labels import special_codes
from linli.plugins.captains.tables import assignments, care_plans, specials

__all__ = ["Specials"]

MAX_MEASURES = 1000


def _household_in_reach(ctx: PluginContext, text: str) -> tuple[reg.Household, reg.Building]:
    """The household named, if the person may see its building's private records; else a clear answer."""
    visible = visible_buildings(ctx)
    household = reg.find_household(ctx, text, visible) or (
        reg.find_household(ctx, text) if visible is not None else None
    )
    if household is None:
        raise ctx.fail(ctx.t("There is no household {household} here.", household=text))
    building = reg.buildings(ctx, ids=[household.building_id])[0]
    if not may_see_building(ctx, building):
        raise ctx.fail(
            ctx.t(
                "Household {household} is not in your buildings; only its captains, its grid and staff see it.",
                household=household.label,
            )
        )
    return household, building


def _rest(ctx: CommandContext) -> str:
    """What follows the first argument (a label may have spaces: "Elderly living alone")."""
    return re.split(r"[\s\u3000]+", ctx.argtext.strip(), maxsplit=1)[1]


def code_named(ctx: PluginContext, text: str) -> str:
    """The special-household code a person typed: the code itself (``alone_elderly``) or its
    label as they read it (独居老人, "Elderly living alone"); else the text, refused later."""
    codes = special_codes(ctx)
    if text in codes:
        return text
    wanted = text.casefold()
    for code, label in codes.items():
        if wanted in (code.casefold(), ctx.t(label).casefold(), label.casefold()):
            return code
    return text


class Specials(HandlerGroup):
    """``/special``, ``/unspecial``, ``/specials``, ``/careplan``; review reminders."""

    @command(
        "special",
        help=N_("Register a special household (in private)"),
        usage=N_("HOUSEHOLD [CODE]"),
        where="private",
        aliases=("特殊户",),
    )
    def special(self, ctx: CommandContext) -> None:
        if not ctx.args:
            raise ctx.fail(ctx.t("Usage: /special HOUSEHOLD [CODE], for example /special 3-301"))
        household, _ = _household_in_reach(ctx, ctx.args[0])
        codes = special_codes(ctx)
        if len(ctx.args) > 1:
            self._register(ctx, household, code_named(ctx, _rest(ctx)))
            return
        ctx.reply(
            ctx.t("Household {household}: which kind of special household?", household=household.label),
            choices=[ctx.choice(ctx.t(label), "special", f"{household.id}:{code}") for code, label in codes.items()],
        )

    @on_choice("special")
    def special_choice(self, ctx: ChoiceContext) -> None:
        household_id, _, code = ctx.data.partition(":")
        household = reg.household(ctx, int(household_id)) if is_number(household_id) else None
        if household is None:
            raise ctx.fail(ctx.t("That button is out of date."))
        self._register(ctx, household, code, checked=False)

    def _register(self, ctx: PluginContext, household: reg.Household, code: str, *, checked: bool = True) -> None:
        codes = special_codes(ctx)
        if code not in codes:
            listed = joined(ctx, [f"{c} ({ctx.t(label)})" for c, label in codes.items()])
            raise ctx.fail(ctx.t("Please use one of the codes: {codes}", codes=listed))
        building = reg.buildings(ctx, ids=[household.building_id])[0]
        if not may_see_building(ctx, building):
            raise ctx.fail(
                ctx.t("That household is not in your buildings; only its captains, its grid and staff see it.")
            )
        if ctx.store.get(
            specials, specials.c.household_id == household.id, specials.c.code == code, specials.c.ended_at.is_(None)
        ):
            raise ctx.fail(
                ctx.t(
                    "Household {household} is already registered as: {label}.",
                    household=household.label,
                    label=ctx.t(codes[code]),
                )
            )
        ctx.store.insert(
            specials,
            household_id=household.id,
            building_id=household.building_id,
            code=code,
            registered_by=ctx.person.id if ctx.person else None,
            registered_at=ctx.clock.now(),
        )
        ctx.audit("captains.special_registered", f"household:{household.id}", code=code)
        ctx.publish("captains.special_registered", {"household_id": household.id})
        ctx.reply(
            ctx.t(
                "Household {household} is registered as: {label}. Make a care plan with /careplan {household}.",
                household=household.label,
                label=ctx.t(codes[code]),
            )
        )

    @command(
        "unspecial",
        help=N_("End a special-household registration (in private)"),
        usage=N_("HOUSEHOLD CODE"),
        where="private",
        aliases=("取消特殊户",),
    )
    def unspecial(self, ctx: CommandContext) -> None:
        if len(ctx.args) < 2:
            raise ctx.fail(ctx.t("Usage: /unspecial HOUSEHOLD CODE"))
        household, _ = _household_in_reach(ctx, ctx.args[0])
        code = code_named(ctx, _rest(ctx))
        ended = ctx.store.update(
            specials,
            specials.c.household_id == household.id,
            specials.c.code == code,
            specials.c.ended_at.is_(None),
            ended_at=ctx.clock.now(),
        )
        if not ended:
            raise ctx.fail(ctx.t("Household {household} is not registered with that code.", household=household.label))
        ctx.audit("captains.special_ended", f"household:{household.id}", code=code)
        ctx.reply(ctx.t("Done: household {household} no longer has that registration.", household=household.label))

    @command(
        "specials",
        help=N_("The special households you look after (in private)"),
        usage=N_("[BUILDING]"),
        where="private",
        aliases=("特殊户名单",),
    )
    def list_specials(self, ctx: CommandContext) -> None:
        visible = visible_buildings(ctx)
        if visible is not None and not visible:
            raise ctx.fail(ctx.t("Special households are seen only by their building's captains, its grid and staff."))
        where: list[Any] = [specials.c.ended_at.is_(None)]
        if ctx.args:
            building = reg.find_building(ctx, ctx.args[0])
            if building is None or (visible is not None and building.id not in visible):
                raise ctx.fail(
                    ctx.t("Special households are seen only by their building's captains, its grid and staff.")
                )
            where.append(specials.c.building_id == building.id)
        elif visible is not None:
            where.append(specials.c.building_id.in_(visible))
        rows = ctx.store.select(specials, *where, order_by=[specials.c.building_id, specials.c.household_id])
        if not rows:
            ctx.reply(ctx.t("No special households registered."))
            return
        codes = special_codes(ctx)
        names = {b.id: b.label for b in reg.buildings(ctx, ids=sorted({r.building_id for r in rows}))}
        plans = {
            p.household_id: p
            for p in ctx.store.select(care_plans, care_plans.c.household_id.in_([r.household_id for r in rows]))
        }
        lines = [ctx.t("Special households:")]
        for r in rows:
            household = reg.household(ctx, r.household_id)
            plan = plans.get(r.household_id)
            review = (
                ctx.t("care plan, review {date}", date=plan.review_on.isoformat())
                if plan
                else ctx.t("no care plan yet")
            )
            lines.append(
                f"{household.label if household else names.get(r.building_id, '')} · "
                f"{ctx.t(codes.get(r.code, r.code))} · {review}"
            )
        ctx.audit("captains.specials_read", "specials", rows=len(rows))
        ctx.reply("\n".join(lines))

    # --- 一人一策 ------------------------------------------------------------------------------

    @command(
        "careplan",
        help=N_("Make a care plan for a special household (in private)"),
        usage=N_("HOUSEHOLD"),
        where="private",
        aliases=("一人一策",),
    )
    def careplan(self, ctx: CommandContext) -> None:
        if not ctx.args:
            raise ctx.fail(ctx.t("Usage: /careplan HOUSEHOLD, for example /careplan 3-301"))
        household, _ = _household_in_reach(ctx, ctx.args[0])
        if not ctx.store.count(specials, specials.c.household_id == household.id, specials.c.ended_at.is_(None)):
            raise ctx.fail(
                ctx.t(
                    "Register household {household} as a special household first with /special.",
                    household=household.label,
                )
            )
        ctx.start_dialog(
            "careplan",
            step="measures",
            data={"household": household.id},
            prompt=ctx.t(
                "What are the measures for household {household}? (send /cancel to stop)", household=household.label
            ),
        )

    @on_dialog("careplan")
    def careplan_step(self, ctx: DialogContext) -> None:
        data = dict(ctx.dialog.data)
        if ctx.dialog.step == "measures":
            data["measures"] = ctx.checked_text(ctx.text, empty=ctx.t("Please write the measures."), limit=MAX_MEASURES)
            ctx.continue_dialog(
                step="responsible", data=data, prompt=ctx.t('Who is responsible? Send their name, or "me".')
            )
        elif ctx.dialog.step == "responsible":
            text = ctx.text.strip()
            pid = ctx.person.id if text.lower() in ("me", "我") else ctx.person_named(text)
            if pid is None:
                raise ctx.fail(ctx.t('{name} is not someone here that I know of. Send a name, or "me".', name=text))
            data["responsible"] = pid
            ctx.continue_dialog(
                step="review", data=data, prompt=ctx.t("When is it reviewed? Send a date (2027-01-15).")
            )
        else:
            try:
                review = dt.date.fromisoformat(ctx.text.strip())
            except ValueError:
                review = None
            today = ctx.now().date()
            if review is None or not today < review <= today + dt.timedelta(days=366):
                raise ctx.fail(ctx.t("Please send a date after today, within a year (2027-01-15)."))
            household = reg.household(ctx, int(data["household"]))
            if household is None:
                raise ctx.fail(ctx.t("That household is no longer registered."))
            ctx.store.insert(
                care_plans,
                household_id=household.id,
                building_id=household.building_id,
                measures=data["measures"],
                responsible_id=int(data["responsible"]),
                review_on=review,
                made_by=ctx.person.id,
                made_at=ctx.clock.now(),
            )
            ctx.audit("captains.care_plan", f"household:{household.id}")
            ctx.end_dialog()
            ctx.reply(
                ctx.t(
                    "The care plan for household {household} is kept; review on {date}.",
                    household=household.label,
                    date=review.isoformat(),
                )
            )

    @scheduled("careplans", "30 9 * * *")
    def careplans_job(self, ctx: JobContext) -> None:
        """Each morning: remind the responsible person and the building's captains of care plans due for review."""
        today = ctx.now().date()
        due = ctx.store.select(
            care_plans,
            care_plans.c.review_on <= today,
            care_plans.c.reviewed_at.is_(None),
            sa.or_(care_plans.c.reminded_on.is_(None), care_plans.c.reminded_on < care_plans.c.review_on),
        )
        for plan in due:
            household = reg.household(ctx, plan.household_id)
            label = household.label if household else str(plan.household_id)
            captains = ctx.store.execute(
                sa.select(assignments.c.person_id).where(
                    assignments.c.building_id == plan.building_id, assignments.c.end_on.is_(None)
                )
            ).scalars()
            for pid in sorted({plan.responsible_id, *captains} - {None}):
                t = ctx.translator_for(pid)
                ctx.send_private(
                    pid,
                    t("The care plan of household {household} is due for review today.", household=label),
                )
            ctx.store.update(care_plans, care_plans.c.id == plan.id, reminded_on=today)
