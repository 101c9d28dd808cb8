"""Evaluation: each period (a quarter) a government-affairs captain rates the resident-affairs
captain of their building on the district's criteria, 1 to 5; only staff see the results."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from linli.core.plugin import (
    N_,
    ChoiceContext,
    CommandContext,
    ConversationContext,
    HandlerGroup,
    JobContext,
    PluginContext,
    command,
    on_choice,
    scheduled,
)
from linli.plugins.captains import _registry as reg
from linli.plugins.captains._common import STAFF, captain_buildings, captains_of, is_number, joined, require_building
from linli.plugins.captains.captainday import period_of
from linli.plugins.captains.tables import assignments, evaluations

__all__ = ["CRITERIA", "Evaluations", "criteria"]

CRITERIA = {
    "sweeps": N_("Sweeps and visits"),
    "publicity": N_("Notices and publicity"),
    "needs": N_("Help with residents' needs"),
    "meetings": N_("Captain day and meetings"),
}
SCORES = range(1, 6)


def criteria(ctx: PluginContext) -> dict[str, str]:
    value: Any = ctx.config.get("criteria")
    if isinstance(value, Mapping) and value and all(isinstance(v, str) for v in value.values()):
        return {str(k): v for k, v in value.items()}
    return dict(CRITERIA)


class Evaluations(HandlerGroup):
    """``/evaluate`` and ``/evaluations``."""

    @command(
        "evaluate",
        help=N_("Rate your building's resident-affairs captain for this quarter"),
        usage=N_("BUILDING"),
        where="private",
        aliases=("评价楼长",),
    )
    def evaluate(self, ctx: CommandContext) -> None:
        if not ctx.args:
            raise ctx.fail(ctx.t("Usage: /evaluate BUILDING"))
        building = require_building(ctx, ctx.args[0])
        if captain_buildings(ctx).get(building.id) != "gov":
            raise ctx.fail(
                ctx.t(
                    "Only the government-affairs captain of {building} rates its resident-affairs captain.",
                    building=building.label,
                )
            )
        resident = captains_of(ctx, building.id).get("resident")
        if resident is None:
            raise ctx.fail(ctx.t("{building} has no resident-affairs captain to rate.", building=building.label))
        period = period_of(ctx.now().date())
        data = {"building": building.id, "ratee": resident.person_id, "period": period, "scores": {}}
        self._ask_score(ctx, data, start=True)

    def _ask_score(self, ctx: ConversationContext, data: dict[str, Any], *, start: bool) -> None:
        crit = criteria(ctx)
        left = [c for c in crit if c not in data["scores"]]
        if not left:
            self._save_evaluation(ctx, data)
            return
        code = left[0]
        prompt = ctx.t("{criterion}: how well, from 1 (poor) to 5 (excellent)?", criterion=ctx.t(crit[code]))
        choices = [ctx.choice(str(n), "evalscore", f"{code}:{n}") for n in SCORES]
        if start:
            ctx.start_dialog("evaluate", step="score", data=data, prompt=prompt, choices=choices)
        else:
            ctx.continue_dialog(step="score", data=data, prompt=prompt, choices=choices)

    @on_choice("evalscore")
    def evalscore(self, ctx: ChoiceContext) -> None:
        if ctx.dialog is None or ctx.dialog.name != "evaluate":
            raise ctx.fail(ctx.t("That evaluation was already saved or cancelled. Send /evaluate to start again."))
        code, _, score = ctx.data.partition(":")
        if code not in criteria(ctx) or not is_number(score) or int(score) not in SCORES:
            raise ctx.fail(ctx.t("That button is out of date."))
        data = dict(ctx.dialog.data)
        data["scores"] = {**data["scores"], code: int(score)}
        self._ask_score(ctx, data, start=False)

    def _save_evaluation(self, ctx: ConversationContext, data: dict[str, Any]) -> None:
        building_id, ratee, period = int(data["building"]), data["ratee"], str(data["period"])
        ctx.store.delete(
            evaluations,
            evaluations.c.period == period,
            evaluations.c.building_id == building_id,
            evaluations.c.ratee_id == ratee,
        )
        now = ctx.clock.now()
        ctx.store.insert_many(
            evaluations,
            [
                {
                    "period": period,
                    "building_id": building_id,
                    "rater_id": ctx.person.id,
                    "ratee_id": ratee,
                    "criterion": code,
                    "score": score,
                    "rated_at": now,
                }
                for code, score in data["scores"].items()
            ],
        )
        ctx.end_dialog()
        ctx.audit("captains.evaluated", f"building:{building_id}", period=period)
        ctx.reply(
            ctx.t("Thank you: the evaluation for {period} is saved. Only the community's staff see it.", period=period)
        )

    @command(
        "evaluations",
        help=N_("The evaluations of resident-affairs captains"),
        usage=N_("[PERIOD]"),
        roles=(STAFF,),
        where="private",
        aliases=("楼长评价",),
    )
    def list_evaluations(self, ctx: CommandContext) -> None:
        period = ctx.args[0].upper() if ctx.args else period_of(ctx.now().date())
        rows = ctx.store.select(evaluations, evaluations.c.period == period, order_by=[evaluations.c.building_id])
        if not rows:
            ctx.reply(ctx.t("No evaluations for {period} yet.", period=period))
            return
        by: dict[tuple[int, int | None], list[Any]] = {}
        for r in rows:
            by.setdefault((r.building_id, r.ratee_id), []).append(r)
        names = ctx.display_names(sorted({k[1] for k in by if k[1] is not None}))
        labels = {b.id: b.label for b in reg.buildings(ctx, ids=sorted({k[0] for k in by}))}
        crit = criteria(ctx)
        lines = [ctx.t("Evaluations {period}:", period=period)]
        for (building_id, ratee), scores in sorted(by.items(), key=lambda kv: labels.get(kv[0][0], "")):
            average = sum(s.score for s in scores) / len(scores)
            order = list(crit)
            ordered = sorted(scores, key=lambda s: order.index(s.criterion) if s.criterion in order else len(order))
            detail = joined(ctx, [f"{ctx.t(crit.get(s.criterion, s.criterion))} {s.score}" for s in ordered])
            lines.append(
                f"{labels.get(building_id, building_id)} · {names.get(ratee, '—') if ratee else '—'} · "
                f"{average:.1f} ({detail})"
            )
        ctx.reply("\n".join(lines))

    @scheduled("evaluation_reminder", "0 9 1 3,6,9,12 *")
    def evaluation_reminder(self, ctx: JobContext) -> None:
        """On the first day of a quarter's last month: remind each government-affairs captain of
        the resident-affairs captains of their buildings not yet rated this quarter."""
        period = period_of(ctx.now().date())
        current = ctx.store.select(assignments, assignments.c.end_on.is_(None), assignments.c.person_id.is_not(None))
        residents = {a.building_id: a.person_id for a in current if a.kind == "resident"}
        rated = {(e.building_id, e.ratee_id) for e in ctx.store.select(evaluations, evaluations.c.period == period)}
        waiting: dict[int, list[int]] = {}
        for a in current:
            if (
                a.kind == "gov"
                and a.building_id in residents
                and (a.building_id, residents[a.building_id]) not in rated
            ):
                waiting.setdefault(a.person_id, []).append(a.building_id)
        labels = {b.id: b.label for b in reg.buildings(ctx, ids=sorted({b for ids in waiting.values() for b in ids}))}
        for pid, ids in sorted(waiting.items()):
            t = ctx.translator_for(pid)
            ctx.send_private(
                pid,
                t(
                    "Evaluations {period}: please rate the resident-affairs captain of {buildings} "
                    "before the quarter ends (/evaluate BUILDING).",
                    period=period,
                    buildings=joined(ctx, [labels.get(b, str(b)) for b in ids]),
                ),
            )
