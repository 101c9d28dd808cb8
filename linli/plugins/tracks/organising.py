"""The organiser's work in chat: units, tracks and their enrolled units, a draft of a track's
rules edited indicator by indicator, adopted once its weights add up; quarters' deadlines."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from linli.core.plugin import N_, CommandContext, HandlerGroup, PluginContext, command
from linli.plugins.tracks._common import (
    ORGANISER,
    definition_error,
    keyvalues,
    quarter_arg,
    require_track,
    require_unit,
    today,
)
from linli.plugins.tracks.contest import adopt, fmt, quarter_row, rules_for
from linli.plugins.tracks.definitions import (
    CODE,
    KINDS,
    DefinitionError,
    indicator_of,
    item_of,
    parse_track,
    quarter_of,
    rules_to_data,
)
from linli.plugins.tracks.scoring import HUNDRED, decimal_of
from linli.plugins.tracks.tables import drafts, enrolments, quarters, tracks, units

__all__ = ["Organising", "describe_rules"]

INDICATOR_KEYS = {
    "name": "name",
    "名称": "name",
    "unit": "unit",
    "单位": "unit",
    "weight": "weight",
    "权重": "weight",
    "target": "target",
    "目标": "target",
    "rule": "rule",
    "规则": "rule",
    "bands": "bands",
    "分档": "bands",
    "evidence": "evidence",
    "佐证": "evidence",
    "onsite": "onsite",
    "实地": "onsite",
}
ITEM_KEYS = {
    "name": "name",
    "名称": "name",
    "kind": "kind",
    "类别": "kind",
    "points": "points",
    "分值": "points",
    "cap": "cap",
    "上限": "cap",
}
RULE_NAMES = {"linear": N_("linear to target"), "bands": N_("bands"), "yesno": N_("yes or no")}


def describe_rules(ctx: PluginContext, data: dict[str, Any]) -> list[str]:
    """A track's rules (plain data), one line an indicator or item."""
    lines = []
    for i in data.get("indicators", []):
        rule = ctx.t(RULE_NAMES.get(i.get("rule", ""), i.get("rule", "")))
        detail = i.get("target") or ", ".join(f"≥{a}:{s}" for a, s in i.get("bands", []))
        extra = []
        if i.get("evidence"):
            extra.append(ctx.t("evidence: {kinds}", kinds=", ".join(i["evidence"])))
        if i.get("onsite"):
            extra.append(ctx.t("checked on site"))
        lines.append(
            ctx.t(
                "{code} {name}: weight {weight}, {rule} {detail} {unit}",
                code=i["code"],
                name=i["name"],
                weight=i.get("weight", ""),
                rule=rule,
                detail=detail or "",
                unit=i.get("unit", ""),
            ).rstrip()
            + ("; " + "; ".join(extra) if extra else "")
        )
    for i in data.get("items", []):
        label = ctx.t("bonus") if i.get("kind") == "bonus" else ctx.t("penalty")
        cap = ctx.t(", at most {cap} a quarter", cap=i["cap"]) if i.get("cap") else ""
        lines.append(
            ctx.t(
                "{code} {name}: {kind} {points} each{cap}",
                code=i["code"],
                name=i["name"],
                kind=label,
                points=i.get("points", ""),
                cap=cap,
            )
        )
    return lines


class Organising(HandlerGroup):
    """``/unit``, ``/track``, ``/enrol``, ``/indicator``, ``/item``, ``/drop``, ``/draft``,
    ``/adoptrules``, ``/deadline``."""

    @command(
        "unit",
        help=N_("Add or rename a competing unit"),
        usage=N_("CODE KIND NAME"),
        roles=(ORGANISER,),
        aliases=("参赛单位",),
    )
    def unit(self, ctx: CommandContext) -> None:
        if len(ctx.args) < 3:
            raise ctx.fail(ctx.t("Usage: /unit CODE KIND NAME, the kind one of {kinds}.", kinds=", ".join(KINDS)))
        code, kind, name = ctx.args[0], ctx.args[1].lower(), " ".join(ctx.args[2:])
        if not CODE.match(code):
            raise ctx.fail(ctx.t("A code is up to 16 Latin letters, digits, “-”, “_” or “.”."))
        if kind not in KINDS:
            raise ctx.fail(ctx.t("The kind of unit is one of {kinds}.", kinds=", ".join(KINDS)))
        name = ctx.checked_text(name, empty=ctx.t("Please give the unit's name."), limit=200)
        if ctx.store.update(units, units.c.code == code, name=name, kind=kind):
            ctx.reply(ctx.t("Unit {code} is now {name}.", code=code, name=name))
        else:
            ctx.store.insert(units, code=code, name=name, kind=kind, created_at=ctx.clock.now())
            ctx.reply(ctx.t("Unit {code} {name} is added. Enrol it with /enrol TRACK {code}.", code=code, name=name))
        ctx.audit("tracks.unit", code)

    @command("track", help=N_("Define a track"), usage=N_("CODE NAME"), roles=(ORGANISER,), aliases=("赛道",))
    def track(self, ctx: CommandContext) -> None:
        if len(ctx.args) < 2:
            raise ctx.fail(ctx.t("Usage: /track CODE NAME, for example /track T01 思想解放新突破"))
        code, name = ctx.args[0], " ".join(ctx.args[1:])
        if not CODE.match(code):
            raise ctx.fail(ctx.t("A code is up to 16 Latin letters, digits, “-”, “_” or “.”."))
        name = ctx.checked_text(name, empty=ctx.t("Please give the track's name."), limit=200)
        if ctx.store.update(tracks, tracks.c.code == code, name=name):
            ctx.reply(ctx.t("Track {code} is now called {name}.", code=code, name=name))
            return
        now = ctx.clock.now()
        track_id = ctx.store.insert(tracks, code=code, name=name, topic="", created_by=ctx.person.id, created_at=now)
        _save_draft(ctx, track_id, {"indicators": [], "items": []})
        ctx.audit("tracks.track", code)
        ctx.reply(
            ctx.t(
                "Track {code} {name} is defined. Add its indicators with /indicator {code} CODE name=… weight=… "
                "rule=linear target=…, then /adoptrules {code} once the weights add up to 100.",
                code=code,
                name=name,
            )
        )

    @command(
        "period",
        help=N_("Set a track's topic or the quarters it runs"),
        usage=N_("TRACK FIRST LAST | TRACK topic=…"),
        roles=(ORGANISER,),
        aliases=("赛道周期",),
    )
    def period(self, ctx: CommandContext) -> None:
        if len(ctx.args) < 2:
            raise ctx.fail(ctx.t("Usage: /period TRACK 2027Q1 2027Q4, or /period TRACK topic=…"))
        track = require_track(ctx, ctx.args[0])
        if ctx.args[1].lower().startswith(("topic=", "主题=", "topic＝", "主题＝")):
            topic = ctx.checked_text(
                ctx.argtext.split("=", 1)[-1].split("＝", 1)[-1], empty=ctx.t("Please give the topic."), limit=500
            )
            ctx.store.update(tracks, tracks.c.id == track.id, topic=topic)
            ctx.reply(ctx.t("The topic of {track} is: {topic}", track=track.code, topic=topic))
            return
        if len(ctx.args) != 3:
            raise ctx.fail(ctx.t("Usage: /period TRACK 2027Q1 2027Q4, or /period TRACK topic=…"))
        first, last = quarter_arg(ctx, ctx.args[1]), quarter_arg(ctx, ctx.args[2])
        if last < first:
            raise ctx.fail(ctx.t("The period ends before it starts."))
        ctx.store.update(tracks, tracks.c.id == track.id, start_q=str(first), end_q=str(last))
        ctx.audit("tracks.period", track.code, first=str(first), last=str(last))
        ctx.reply(ctx.t("{track} runs from {first} to {last}.", track=track.code, first=str(first), last=str(last)))

    @command(
        "enrol", help=N_("Enrol units in a track"), usage=N_("TRACK UNIT…"), roles=(ORGANISER,), aliases=("参赛报名",)
    )
    def enrol(self, ctx: CommandContext) -> None:
        if len(ctx.args) < 2:
            raise ctx.fail(ctx.t("Usage: /enrol TRACK UNIT…"))
        track = require_track(ctx, ctx.args[0])
        found = [require_unit(ctx, code) for code in ctx.args[1:]]
        added = []
        for unit in found:
            if ctx.store.get(enrolments, enrolments.c.track_id == track.id, enrolments.c.unit_id == unit.id) is None:
                ctx.store.insert(enrolments, track_id=track.id, unit_id=unit.id)
                added.append(unit.code)
        ctx.audit("tracks.enrol", track.code, units=added)
        ctx.reply(
            ctx.t("Enrolled in {track}: {units}.", track=track.code, units=ctx.t.join(added))
            if added
            else ctx.t("They were all enrolled already.")
        )

    @command(
        "indicator",
        help=N_("Add or change an indicator in a track's draft rules"),
        usage=N_("TRACK CODE name=… weight=… rule=… target=…"),
        roles=(ORGANISER,),
        aliases=("指标",),
    )
    def indicator(self, ctx: CommandContext) -> None:
        if len(ctx.args) < 3:
            raise ctx.fail(
                ctx.t(
                    "Usage: /indicator TRACK CODE name=… unit=… weight=… rule=linear|bands|yesno target=… "
                    "bands=60:0.6,80:1 evidence=text,link onsite=yes"
                )
            )
        track = require_track(ctx, ctx.args[0])
        draft = _draft(ctx, track)
        code = ctx.args[1]
        old: dict[str, Any] = next((i for i in draft["indicators"] if i["code"] == code), {})
        row: dict[str, Any] = {**old, "code": code, **keyvalues(ctx, list(ctx.args[2:]), INDICATOR_KEYS)}
        if any(i["code"] == code for i in draft["items"]):
            raise ctx.fail(ctx.t("{code} is a bonus or penalty item of {track} already.", code=code, track=track.code))
        try:
            checked = indicator_of(row, track.code)
        except DefinitionError as e:
            raise definition_error(ctx, e) from None
        plain = rules_to_data(_one(checked))["indicators"][0]
        draft["indicators"] = _replaced(draft["indicators"], plain)
        _save_draft(ctx, track.id, draft)
        ctx.reply(
            ctx.t("Draft of {track}: {line}", track=track.code, line=describe_rules(ctx, {"indicators": [plain]})[0])
            + "\n"
            + _weights_line(ctx, draft)
        )

    @command(
        "item",
        help=N_("Add or change a bonus or penalty item in a track's draft rules"),
        usage=N_("TRACK CODE name=… kind=bonus|penalty points=… cap=…"),
        roles=(ORGANISER,),
        aliases=("加减分项",),
    )
    def item(self, ctx: CommandContext) -> None:
        if len(ctx.args) < 3:
            raise ctx.fail(ctx.t("Usage: /item TRACK CODE name=… kind=bonus|penalty points=… cap=…"))
        track = require_track(ctx, ctx.args[0])
        draft = _draft(ctx, track)
        code = ctx.args[1]
        if any(i["code"] == code for i in draft["indicators"]):
            raise ctx.fail(ctx.t("{code} is an indicator of {track} already.", code=code, track=track.code))
        old: dict[str, Any] = next((i for i in draft["items"] if i["code"] == code), {})
        row: dict[str, Any] = {**old, "code": code, **keyvalues(ctx, list(ctx.args[2:]), ITEM_KEYS)}
        try:
            checked = item_of(row, track.code)
        except DefinitionError as e:
            raise definition_error(ctx, e) from None
        plain = {
            "code": checked.code,
            "name": checked.name,
            "kind": checked.kind,
            "points": fmt(checked.points),
            "cap": fmt(checked.cap),
        }
        draft["items"] = _replaced(draft["items"], plain)
        _save_draft(ctx, track.id, draft)
        ctx.reply(ctx.t("Draft of {track}: {line}", track=track.code, line=describe_rules(ctx, {"items": [plain]})[0]))

    @command(
        "drop",
        help=N_("Remove an indicator or item from a track's draft rules"),
        usage=N_("TRACK CODE"),
        roles=(ORGANISER,),
        aliases=("删除指标",),
    )
    def drop(self, ctx: CommandContext) -> None:
        if len(ctx.args) != 2:
            raise ctx.fail(ctx.t("Usage: /drop TRACK CODE"))
        track = require_track(ctx, ctx.args[0])
        draft = _draft(ctx, track)
        code = ctx.args[1]
        before = len(draft["indicators"]) + len(draft["items"])
        draft["indicators"] = [i for i in draft["indicators"] if i["code"] != code]
        draft["items"] = [i for i in draft["items"] if i["code"] != code]
        if len(draft["indicators"]) + len(draft["items"]) == before:
            raise ctx.fail(ctx.t("The draft of {track} has no {code}.", track=track.code, code=code))
        _save_draft(ctx, track.id, draft)
        ctx.reply(
            ctx.t("{code} is out of the draft of {track}.", code=code, track=track.code)
            + "\n"
            + _weights_line(ctx, draft)
        )

    @command(
        "draft", help=N_("Show a track's draft rules"), usage=N_("TRACK"), roles=(ORGANISER,), aliases=("规则草案",)
    )
    def draft(self, ctx: CommandContext) -> None:
        track = require_track(ctx, ctx.args[0] if ctx.args else "")
        draft = _draft(ctx, track)
        lines = [ctx.t("Draft rules of {track} {name}:", track=track.code, name=track.name)]
        lines += describe_rules(ctx, draft) or [ctx.t("(no indicators yet)")]
        lines.append(_weights_line(ctx, draft))
        ctx.reply("\n".join(lines))

    @command(
        "adoptrules",
        help=N_("Adopt a track's draft rules"),
        usage=N_("TRACK"),
        roles=(ORGANISER,),
        aliases=("启用规则",),
    )
    def adoptrules(self, ctx: CommandContext) -> None:
        track = require_track(ctx, ctx.args[0] if ctx.args else "")
        draft = _draft(ctx, track)
        try:
            checked = parse_track({**draft, "code": track.code, "name": track.name})
            version, first = adopt(
                ctx.store,
                track.id,
                track.code,
                checked.rules,
                today=today(ctx),
                first=None,
                by=ctx.person.id,
                source="chat",
                now=ctx.clock.now(),
            )
        except DefinitionError as e:
            raise definition_error(ctx, e) from None
        ctx.audit("tracks.adopt", track.code, version=version, first=str(first))
        ctx.reply(
            ctx.t(
                "Rules version {version} of {track} are adopted; they score {quarter} and the quarters after it. "
                "A quarter that has begun keeps the rules it began with.",
                version=version,
                track=track.code,
                quarter=str(first),
            )
        )

    @command(
        "deadline",
        help=N_("Set a quarter's reporting deadline"),
        usage=N_("QUARTER DATE"),
        roles=(ORGANISER,),
        aliases=("截止日期",),
    )
    def deadline(self, ctx: CommandContext) -> None:
        if len(ctx.args) != 2:
            raise ctx.fail(ctx.t("Usage: /deadline 2026Q1 2026-04-10"))
        quarter = quarter_arg(ctx, ctx.args[0])
        try:
            day = dt.date.fromisoformat(ctx.args[1])
        except ValueError:
            raise ctx.fail(ctx.t("“{word}” is not a date; write it as 2026-04-10.", word=ctx.args[1])) from None
        if day < quarter.start:
            raise ctx.fail(ctx.t("The deadline cannot be before the quarter begins."))
        quarter_row(ctx.store, quarter, int(ctx.config["deadline_days"]))
        ctx.store.update(quarters, quarters.c.quarter == str(quarter), deadline=day, reminded_on=None)
        ctx.audit("tracks.deadline", str(quarter), deadline=day.isoformat())
        ctx.reply(ctx.t("Results for {quarter} are due by {day}.", quarter=str(quarter), day=day.isoformat()))


def _replaced(rows: list[dict[str, Any]], row: dict[str, Any]) -> list[dict[str, Any]]:
    """``rows`` with ``row`` in the place of the one of its code (or last): the order stays."""
    if any(r["code"] == row["code"] for r in rows):
        return [row if r["code"] == row["code"] else r for r in rows]
    return [*rows, row]


def _one(indicator: Any) -> Any:
    from linli.plugins.tracks.scoring import Rules

    return Rules((indicator,))


def _draft(ctx: PluginContext, track: Any) -> dict[str, Any]:
    """The track's draft; the first edit after an adoption starts from the rules in force."""
    row = ctx.store.get(drafts, drafts.c.track_id == track.id)
    if row is not None:
        return json.loads(row.data)  # type: ignore[no-any-return]
    found = rules_for(ctx.store, track.id, quarter_of(today(ctx)).next())
    return rules_to_data(found[1]) if found else {"indicators": [], "items": []}


def _save_draft(ctx: PluginContext, track_id: int, data: dict[str, Any]) -> None:
    text = json.dumps(data, ensure_ascii=False)
    if not ctx.store.update(
        drafts,
        drafts.c.track_id == track_id,
        data=text,
        edited_by=ctx.person and ctx.person.id,
        edited_at=ctx.clock.now(),
    ):
        ctx.store.insert(
            drafts, track_id=track_id, data=text, edited_by=ctx.person and ctx.person.id, edited_at=ctx.clock.now()
        )


def _weights_line(ctx: PluginContext, draft: dict[str, Any]) -> str:
    total = sum((decimal_of(i.get("weight")) or HUNDRED * 0 for i in draft["indicators"]), HUNDRED * 0)
    if total == HUNDRED:
        return ctx.t("The weights add up to 100: ready for /adoptrules.")
    return ctx.t("The weights add up to {total} of 100.", total=fmt(total))
