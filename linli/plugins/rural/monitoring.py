"""Relapse-prevention monitoring (防返贫监测): a lead → a home visit record → the village's
appraisal after a public notice of at least five days → the township's approval → monitored,
with measures and a responsible helper → risk eliminated, the record kept.

People decide every step, and every decision names who made it. Income and health never go to a
group room: the home visit is recorded in a private chat, the public notice names the household
only, objections come in privately. The bot may point out households whose recorded income is
near the line (``/nearline``), never labels one."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from linli.core.plugin import (
    N_,
    Address,
    CommandContext,
    HandlerGroup,
    Household,
    JobContext,
    PluginContext,
    command,
    scheduled,
)
from linli.plugins.rural._common import (
    CAUSE_WORDS,
    CAUSES,
    EVENTS,
    HELPER,
    MEASURE_WORDS,
    MEASURES,
    OPEN_STATES,
    SECRETARY,
    SOURCE_WORDS,
    SOURCES,
    STATES,
    TEAM,
    TOWNSHIP,
    code_of,
    household_label,
    income_line,
    is_team,
    joined,
    labels,
    require_household,
    today,
    who,
)
from linli.plugins.rural.tables import case_events, cases, measures, reviews

__all__ = ["Monitoring", "late_cases"]

#: what a home visit records: key → (column, kind); kinds: money, causes, or a mapping of choices
_CHOICES: dict[str, dict[str, tuple[str, ...]]] = {
    "category": {
        "unstable": ("脱贫不稳定户", "脱贫不稳定", "不稳定"),
        "marginal": ("边缘易致贫户", "边缘易致贫", "边缘"),
        "sudden": ("突发严重困难户", "突发严重困难", "突发"),
    },
    "schooling": {"ok": ("正常", "在校"), "dropout": ("辍学", "失学"), "none": ("无", "无学生")},
    "insurance": {"yes": ("是", "已参保", "有"), "no": ("否", "未参保", "无")},
    "housing": {"safe": ("安全", "是"), "unsafe": ("不安全", "危房", "否")},
    "water": {"safe": ("安全", "是"), "unsafe": ("不安全", "否")},
    "labour": {"full": ("有", "强", "有劳动力"), "partial": ("弱", "弱劳动力", "部分"), "none": ("无", "无劳动力")},
}
_KEYS: dict[str, tuple[str, ...]] = {
    "income": ("收入", "人均收入", "人均纯收入"),
    "medical": ("医疗", "医疗支出"),
    "school": ("教育", "教育支出"),
    "causes": ("风险", "风险类型", "致贫原因"),
    "year": ("年度", "年份"),
    "category": ("类别", "监测类别"),
    "schooling": ("上学", "义务教育"),
    "insurance": ("医保", "基本医保"),
    "housing": ("住房", "住房安全"),
    "water": ("饮水", "饮水安全"),
    "labour": ("劳动力",),
}
CATEGORIES = {
    "unstable": N_("unstable after leaving poverty"),
    "marginal": N_("marginal, at risk"),
    "sudden": N_("sudden severe hardship"),
}
_SPLIT = re.compile(r"[,，、;；]+")
_MONEY = re.compile(r"^(\d{1,7})(元)?$")


def _key(word: str) -> str | None:
    word = word.strip().casefold()
    for key, words in _KEYS.items():
        if word == key or word in words:
            return key
    return None


def next_number(ctx: PluginContext) -> int:
    return int(ctx.store.execute(sa.select(sa.func.max(cases.c.number))).scalar() or 0) + 1


def case_by_number(ctx: PluginContext, word: str | None) -> Any:
    number = ctx.number(word)
    case = ctx.store.get(cases, cases.c.number == number)
    if case is None:
        raise ctx.fail(ctx.t("There is no monitoring case {number}.", number=number))
    return case


def event(ctx: PluginContext, case: Any, kind: str, detail: str = "") -> None:
    ctx.store.insert(
        case_events,
        case_id=case.id,
        kind=kind,
        detail=detail,
        by_id=ctx.person.id if ctx.person else None,
        at=ctx.clock.now(),
    )


def _household(ctx: PluginContext, case: Any) -> Household | None:
    return ctx.registry.household_by_id(case.household_id)


def _label(ctx: PluginContext, case: Any) -> str:
    return household_label(ctx, _household(ctx, case))


def _head(ctx: PluginContext, household_id: int) -> str:
    members = ctx.registry.members(household_id)
    head = next((m for m in members if m.relation in ("户主", "head")), members[0] if members else None)
    return head.name if head else ""


def _acted_for(ctx: PluginContext, household_id: int, action: str, target: str) -> None:
    """Record that the person acted for the household's people without a chat account."""
    reg = ctx.registry
    for m in reg.members(household_id):
        if not m.has_account:
            reg.act_for(m.person_id, action, target)


def _state_is(ctx: PluginContext, case: Any, *states: str) -> None:
    if case.state not in states:
        raise ctx.fail(
            ctx.t(
                "Case {number} is at the step: {state}; this cannot be done now.",
                number=case.number,
                state=ctx.t(STATES[case.state]),
            )
        )


def _space(ctx: PluginContext) -> str:
    """What goes between two sentences: nothing in Chinese, a space otherwise."""
    return "" if ctx.t.language.startswith("zh") else " "


def _tell_all(ctx: PluginContext, role: str, msgid: str, **values: Any) -> None:
    """A private message to every holder of ``role``, each in their own language."""
    for pid in ctx.holders_of(role):
        ctx.send_private(pid, ctx.translator_for(pid)(msgid, **values))


def decision_due(ctx: PluginContext, case: Any) -> dt.date:
    """The day by which a lead must be decided (``decision_days`` after it came in)."""
    tz = ctx.now().tzinfo
    lead: dt.datetime = case.lead_at
    return lead.astimezone(tz).date() + dt.timedelta(days=int(ctx.config.get("decision_days", 15)))


def late_cases(ctx: PluginContext) -> list[Any]:
    """The open cases whose lead came in longer ago than the district's limit."""
    limit = int(ctx.config.get("decision_days", 15))
    since = ctx.clock.now() - dt.timedelta(days=limit)
    return list(
        ctx.store.select(cases, cases.c.state.in_(OPEN_STATES), cases.c.lead_at < since, order_by=[cases.c.number])
    )


class Monitoring(HandlerGroup):
    """``/lead``, ``/apply``, ``/homevisit``, ``/publicize``, ``/dissent``, ``/appraise``, ``/decide``,
    ``/sethelper``, ``/addmeasure``, ``/eliminate``, ``/monitoring``, ``/casefile``, ``/nearline``,
    ``/incomeline``, ``/yearreview``; the daily check for late leads and reviews."""

    # --- the lead -------------------------------------------------------------------------------

    @command(
        "lead",
        help=N_("Record a monitoring lead for a household"),
        usage=N_("HOUSEHOLD SOURCE [NOTE]"),
        roles=(SECRETARY, TEAM, HELPER),
        aliases=("监测线索",),
    )
    def lead(self, ctx: CommandContext) -> None:
        if len(ctx.args) < 2:
            raise ctx.fail(
                ctx.t(
                    "Usage: /lead HOUSEHOLD SOURCE [NOTE], for example /lead 一组/12 grid. Sources: {sources}",
                    sources=labels(ctx, SOURCES),
                )
            )
        household = require_household(ctx, ctx.args[0])
        source = code_of(ctx, ctx.args[1], SOURCES, SOURCE_WORDS)
        if source is None:
            raise ctx.fail(ctx.t("Please use one of the sources: {sources}", sources=labels(ctx, SOURCES)))
        note = " ".join(ctx.args[2:])[:500]
        self._open(ctx, household, source, note)
        if source == "application":
            _acted_for(ctx, household.id, "rural.application", f"household:{household.id}")

    @command(
        "apply",
        help=N_("Ask for your household to be looked at by the monitoring (in private)"),
        usage=N_("[WHAT HAPPENED]"),
        where="private",
        aliases=("申请监测",),
    )
    def apply(self, ctx: CommandContext) -> None:
        household = ctx.registry.household_of(ctx.person.id)
        if household is None:
            raise ctx.fail(
                ctx.t(
                    "You are not linked to a household of the register; ask the village work team to record it for you."
                )
            )
        self._open(ctx, household, "application", ctx.argtext.strip()[:500])

    def _open(self, ctx: CommandContext, household: Household, source: str, note: str) -> None:
        open_case = ctx.store.get(
            cases, cases.c.household_id == household.id, cases.c.state.in_((*OPEN_STATES, "monitored"))
        )
        label = household_label(ctx, household)
        if open_case is not None:
            raise ctx.fail(
                ctx.t(
                    "Household {household} already has case {number} ({state}).",
                    household=label,
                    number=open_case.number,
                    state=ctx.t(STATES[open_case.state]),
                )
            )
        number = next_number(ctx)
        case_id = ctx.store.insert(
            cases,
            number=number,
            household_id=household.id,
            state="lead",
            source=source,
            lead_note=note,
            lead_by=ctx.person.id,
            lead_at=ctx.clock.now(),
        )
        case = ctx.store.get(cases, cases.c.id == case_id)
        event(ctx, case, "lead", source)
        ctx.audit("rural.lead", f"case:{number}", source=source)
        ctx.publish("rural.lead_recorded", {"case": number, "household_id": household.id})
        due = decision_due(ctx, case)
        ctx.reply(
            ctx.t(
                "Case {number}: a lead for household {household} ({source}), recorded by you. "
                "Next: a home visit (/homevisit {number} in private); a decision is due by {due}.",
                number=number,
                household=label,
                source=ctx.t(SOURCES[source]),
                due=due.isoformat(),
            )
        )

    # --- the home visit ---------------------------------------------------------------------------

    @command(
        "homevisit",
        help=N_("Record a home visit: income, spending, risks and conditions (in private)"),
        usage=N_("CASE income=YUAN [medical=YUAN] [school=YUAN] [causes=illness,…] [year=YYYY] …"),
        roles=(SECRETARY, TEAM),
        where="private",
        aliases=("入户核查",),
    )
    def homevisit(self, ctx: CommandContext) -> None:
        if len(ctx.args) < 2:
            raise ctx.fail(
                ctx.t(
                    "Usage: /homevisit CASE income=YUAN [medical=YUAN] [school=YUAN] [causes=CODES] [category=…] "
                    "[schooling=…] [insurance=yes|no] [housing=safe|unsafe] [water=safe|unsafe] "
                    "[labour=full|partial|none] [year=YYYY], "
                    "for example /homevisit 1 income=6500 medical=12000 causes=illness"
                )
            )
        case = case_by_number(ctx, ctx.args[0])
        _state_is(ctx, case, "lead", "visited", "monitored")
        values = self._record(ctx, ctx.args[1:])
        if "income" not in values:
            raise ctx.fail(ctx.t("Please give the income per person in the year: income=YUAN."))
        year = values.pop("year", today(ctx).year)
        state = "visited" if case.state in ("lead", "visited") else case.state
        ctx.store.update(
            cases,
            cases.c.id == case.id,
            state=state,
            year=year,
            visited_by=ctx.person.id,
            visited_at=ctx.clock.now(),
            **values,
        )
        event(ctx, case, "visit", str(year))
        ctx.audit("rural.home_visit", f"case:{case.number}")
        _acted_for(ctx, case.household_id, "rural.home_visit", f"case:{case.number}")
        line = income_line(ctx, year)
        lines = [
            ctx.t(
                "Case {number} ({household}): home visit of {year} recorded by you.",
                number=case.number,
                household=_label(ctx, case),
                year=year,
            )
        ]
        if line:
            lines.append(
                ctx.t(
                    "Recorded income {income} yuan per person; the line of {year} is {line} yuan.",
                    income=values["income"],
                    year=year,
                    line=line,
                )
            )
        review = ctx.store.get(reviews, reviews.c.case_id == case.id, reviews.c.year == year)
        if review is not None and review.reviewed_at is None:
            ctx.store.update(
                reviews,
                reviews.c.id == review.id,
                income=values["income"],
                reviewed_by=ctx.person.id,
                reviewed_at=ctx.clock.now(),
            )
            event(ctx, case, "review", str(year))
            lines.append(ctx.t("This counts as the case's review of {year}.", year=year))
        if case.state == "lead":
            lines.append(ctx.t("Next: the village's public notice, /publicize {number} DAYS.", number=case.number))
        ctx.reply("\n".join(lines))

    def _record(self, ctx: CommandContext, words: Sequence[str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for word in words:
            name, sep, value = word.replace("＝", "=").partition("=")
            key = _key(name) if sep else None
            value = value.strip()
            if key is None or not value:
                raise ctx.fail(
                    ctx.t("I did not understand {word}: write KEY=VALUE, for example income=6500.", word=word)
                )
            if key in ("income", "medical", "school"):
                m = _MONEY.match(value)
                if m is None:
                    raise ctx.fail(ctx.t("{key}: please give whole yuan, for example 6500.", key=name))
                out[{"medical": "medical_spending", "school": "school_spending"}.get(key, key)] = int(m.group(1))
            elif key == "year":
                year = ctx.number(value, low=2000, high=2100)
                out["year"] = year
            elif key == "causes":
                codes = []
                for part in _SPLIT.split(value):
                    code = code_of(ctx, part, CAUSES, CAUSE_WORDS) if part else None
                    if code is None:
                        raise ctx.fail(ctx.t("Please use the risk causes: {causes}", causes=labels(ctx, CAUSES)))
                    codes.append(code)
                out["causes"] = ",".join(dict.fromkeys(codes))
            else:
                choices = _CHOICES[key]
                found = next((c for c, ws in choices.items() if value.casefold() == c or value in ws), None)
                if found is None:
                    raise ctx.fail(
                        ctx.t("{key}: please use one of {values}.", key=name, values=joined(ctx, list(choices)))
                    )
                out[key] = found
        return out

    # --- the public notice and the appraisal --------------------------------------------------------

    @command(
        "publicize",
        help=N_("Put a case on public notice in the village (at least 5 days)"),
        usage=N_("CASE DAYS"),
        roles=(SECRETARY,),
        aliases=("公示",),
    )
    def publicize(self, ctx: CommandContext) -> None:
        if len(ctx.args) < 2:
            raise ctx.fail(ctx.t("Usage: /publicize CASE DAYS, for example /publicize 1 5"))
        case = case_by_number(ctx, ctx.args[0])
        days = ctx.number(ctx.args[1], high=90)
        least = int(ctx.config.get("notice_days", 5))
        if days < least:
            raise ctx.fail(
                ctx.t("A public notice lasts at least {least} days; {days} is too short.", least=least, days=days)
            )
        _state_is(ctx, case, "visited")
        room_text = str(ctx.config.get("village_room") or "")
        if room_text:
            room = Address.parse(room_text)
        elif not ctx.private:
            room = ctx.address
        else:
            raise ctx.fail(
                ctx.t("The village's room is not set (village_room); send /publicize in the village room instead.")
            )
        start = today(ctx)
        until = start + dt.timedelta(days=days - 1)
        ctx.store.update(cases, cases.c.id == case.id, state="notice", notice_from=start, notice_until=until)
        event(ctx, case, "notice", f"{start.isoformat()}..{until.isoformat()}")
        ctx.audit("rural.notice", f"case:{case.number}", days=days)
        t = ctx.in_language(ctx.district.language)
        head = _head(ctx, case.household_id)
        ctx.send(
            room,
            t(
                "Public notice: the village proposes to take household {household} ({head}) into relapse-prevention "
                "monitoring. The notice runs from {start} to {until}. Objections privately to this bot: "
                "/dissent {number} YOUR WORDS",
                household=_label(ctx, case),
                head=head or "—",
                start=start.isoformat(),
                until=until.isoformat(),
                number=case.number,
            ),
        )
        if room != ctx.address:
            ctx.reply(
                ctx.t(
                    "Case {number} is on public notice until {until}; appraise it after that with /appraise {number}.",
                    number=case.number,
                    until=until.isoformat(),
                )
            )

    @command(
        "dissent",
        help=N_("Object to a public notice (in private; kept private)"),
        usage=N_("CASE YOUR WORDS"),
        where="private",
        aliases=("公示异议",),
    )
    def dissent(self, ctx: CommandContext) -> None:
        if len(ctx.args) < 2:
            raise ctx.fail(ctx.t("Usage: /dissent CASE YOUR WORDS, for example /dissent 1 他家去年新盖了房"))
        case = case_by_number(ctx, ctx.args[0])
        if case.state != "notice" or (case.notice_until and today(ctx) > case.notice_until):
            raise ctx.fail(ctx.t("Case {number} is not on public notice now.", number=case.number))
        words = ctx.checked_text(
            ctx.argtext.split(maxsplit=1)[1], empty=ctx.t("Please say what you object to."), limit=1000
        )
        event(ctx, case, "objection", words)
        ctx.audit("rural.objection", f"case:{case.number}")
        _tell_all(
            ctx,
            SECRETARY,
            N_("An objection to the public notice of case {number} came in; read it with /casefile {number}."),
            number=case.number,
        )
        ctx.reply(
            ctx.t(
                "Thank you: your objection to case {number} is recorded and kept private; "
                "the first secretary will look into it.",
                number=case.number,
            )
        )

    @command(
        "appraise",
        help=N_("The village's appraisal of a case after its public notice"),
        usage=N_("CASE yes|no [NOTE]"),
        roles=(SECRETARY,),
        aliases=("评议",),
    )
    def appraise(self, ctx: CommandContext) -> None:
        case, yes, note = self._verdict(ctx, "appraise")
        _state_is(ctx, case, "notice")
        if case.notice_until is not None and today(ctx) <= case.notice_until:
            raise ctx.fail(
                ctx.t(
                    "The public notice of case {number} runs until {until}; appraise it after that.",
                    number=case.number,
                    until=case.notice_until.isoformat(),
                )
            )
        objections = ctx.store.count(case_events, case_events.c.case_id == case.id, case_events.c.kind == "objection")
        state = "appraised" if yes else "declined"
        now = ctx.clock.now()
        values: dict[str, Any] = {"state": state, "appraised_by": ctx.person.id, "appraised_at": now}
        if not yes:
            values.update(decided_by=ctx.person.id, decided_at=now, decision_note=note)
        ctx.store.update(cases, cases.c.id == case.id, **values)
        event(ctx, case, "appraised", ("yes" if yes else "no") + (f": {note}" if note else ""))
        ctx.audit("rural.appraised", f"case:{case.number}", result="yes" if yes else "no", objections=objections)
        text = ctx.t.plural(
            "{n} objection was received during the notice.",
            "{n} objections were received during the notice.",
            objections,
        )
        if yes:
            _tell_all(
                ctx,
                TOWNSHIP,
                N_("Case {number} was appraised by the village; it awaits your decision: /decide {number} yes|no"),
                number=case.number,
            )
            ctx.reply(
                ctx.t(
                    "Case {number}: the village proposes monitoring, appraised by you. It goes to the township "
                    "for approval.",
                    number=case.number,
                )
                + _space(ctx)
                + text
            )
        else:
            ctx.reply(
                ctx.t(
                    "Case {number}: the village decided, by you, not to propose monitoring. The record is kept.",
                    number=case.number,
                )
                + _space(ctx)
                + text
            )

    def _verdict(self, ctx: CommandContext, name: str) -> tuple[Any, bool, str]:
        if len(ctx.args) < 2:
            raise ctx.fail(ctx.t("Usage: /{command} CASE yes|no [NOTE], for example /{command} 1 yes", command=name))
        case = case_by_number(ctx, ctx.args[0])
        word = ctx.args[1].casefold()
        if word in ("yes", "y", "是", "同意", "通过"):
            yes = True
        elif word in ("no", "n", "否", "不同意", "不通过"):
            yes = False
        else:
            raise ctx.fail(ctx.t("Please answer yes or no, for example /{command} 1 yes", command=name))
        return case, yes, " ".join(ctx.args[2:])[:500]

    # --- the township's decision ----------------------------------------------------------------

    @command(
        "decide",
        help=N_("The township's decision on an appraised case"),
        usage=N_("CASE yes|no [NOTE]"),
        roles=(TOWNSHIP,),
        aliases=("审批监测",),
    )
    def decide(self, ctx: CommandContext) -> None:
        case, yes, note = self._verdict(ctx, "decide")
        _state_is(ctx, case, "appraised")
        state = "monitored" if yes else "declined"
        ctx.store.update(
            cases,
            cases.c.id == case.id,
            state=state,
            decided_by=ctx.person.id,
            decided_at=ctx.clock.now(),
            decision_note=note,
        )
        event(ctx, case, "approved" if yes else "declined", note)
        ctx.audit("rural.decided", f"case:{case.number}", result=state)
        ctx.publish("rural.case_decided", {"case": case.number, "state": state})
        for pid in ctx.holders_of(SECRETARY):
            tr = ctx.translator_for(pid)
            ctx.send_private(
                pid, tr("The township decided case {number}: {state}.", number=case.number, state=tr(STATES[state]))
            )
        if yes:
            ctx.reply(
                ctx.t(
                    "Case {number}: household {household} is monitored from today, approved by you. "
                    "Next: a responsible helper (/sethelper) and measures (/addmeasure).",
                    number=case.number,
                    household=_label(ctx, case),
                )
            )
        else:
            ctx.reply(
                ctx.t(
                    "Case {number}: not taken into monitoring, decided by you. The record is kept.", number=case.number
                )
            )

    # --- monitored: helper, measures, elimination -------------------------------------------------

    @command(
        "sethelper",
        help=N_("Name the responsible helper of a monitored household"),
        usage=N_("CASE NAME"),
        roles=(SECRETARY, TEAM),
        aliases=("帮扶责任人",),
    )
    def sethelper(self, ctx: CommandContext) -> None:
        if len(ctx.args) < 2:
            raise ctx.fail(ctx.t("Usage: /sethelper CASE NAME, for example /sethelper 1 李干部"))
        case = case_by_number(ctx, ctx.args[0])
        _state_is(ctx, case, "appraised", "monitored")
        name = " ".join(ctx.args[1:])
        pid = ctx.person_named(name)
        if pid is None:
            raise ctx.fail(
                ctx.t("I do not know one person called {name} here; they must have talked to the bot once.", name=name)
            )
        ctx.store.update(cases, cases.c.id == case.id, helper_id=pid)
        event(ctx, case, "helper", str(pid))
        ctx.audit("rural.helper", f"case:{case.number}", helper=pid)
        ctx.send_private(
            pid,
            ctx.translator_for(pid)(
                "You are the responsible helper of monitoring case {number} (household {household}); "
                "see /casefile {number}.",
                number=case.number,
                household=_label(ctx, case),
            ),
        )
        ctx.reply(ctx.t("Case {number}: {name} is the responsible helper.", number=case.number, name=name))

    @command(
        "addmeasure",
        help=N_("Log a measure of help for a monitored household (in private)"),
        usage=N_("CASE KIND [NOTE]"),
        roles=(SECRETARY, TEAM, HELPER),
        where="private",
        aliases=("监测帮扶措施",),
    )
    def addmeasure(self, ctx: CommandContext) -> None:
        if len(ctx.args) < 2:
            raise ctx.fail(ctx.t("Usage: /addmeasure CASE KIND [NOTE]. Kinds: {kinds}", kinds=labels(ctx, MEASURES)))
        case = case_by_number(ctx, ctx.args[0])
        if not is_team(ctx) and case.helper_id != ctx.person.id:
            raise ctx.fail(ctx.t("Only the case's responsible helper and the village work team log its measures."))
        _state_is(ctx, case, "monitored")
        kind = code_of(ctx, ctx.args[1], MEASURES, MEASURE_WORDS)
        if kind is None:
            raise ctx.fail(ctx.t("Please use one of the kinds: {kinds}", kinds=labels(ctx, MEASURES)))
        note = " ".join(ctx.args[2:])[:500]
        ctx.store.insert(
            measures,
            household_id=case.household_id,
            case_id=case.id,
            kind=kind,
            note=note,
            by_id=ctx.person.id,
            at=ctx.clock.now(),
        )
        event(ctx, case, "measure", kind)
        ctx.reply(ctx.t("Case {number}: measure recorded: {kind}.", number=case.number, kind=ctx.t(MEASURES[kind])))

    @command(
        "eliminate",
        help=N_("Record that a monitored household's risk is eliminated (township)"),
        usage=N_("CASE [NOTE]"),
        roles=(TOWNSHIP,),
        aliases=("风险消除",),
    )
    def eliminate(self, ctx: CommandContext) -> None:
        if not ctx.args:
            raise ctx.fail(ctx.t("Usage: /eliminate CASE [NOTE], for example /eliminate 1 务工收入稳定"))
        case = case_by_number(ctx, ctx.args[0])
        _state_is(ctx, case, "monitored")
        note = " ".join(ctx.args[1:])[:500]
        ctx.store.update(
            cases, cases.c.id == case.id, state="eliminated", eliminated_by=ctx.person.id, eliminated_at=ctx.clock.now()
        )
        event(ctx, case, "eliminated", note)
        ctx.audit("rural.eliminated", f"case:{case.number}")
        ctx.publish("rural.risk_eliminated", {"case": case.number})
        ctx.reply(ctx.t("Case {number}: risk eliminated, decided by you. The record is kept.", number=case.number))

    # --- looking ----------------------------------------------------------------------------------

    @command(
        "monitoring",
        help=N_("The monitoring cases and their steps (in private)"),
        roles=(SECRETARY, TEAM, TOWNSHIP),
        where="private",
        aliases=("监测户",),
    )
    def monitoring(self, ctx: CommandContext) -> None:
        rows = ctx.store.select(cases, cases.c.state.in_((*OPEN_STATES, "monitored")), order_by=[cases.c.number])
        if not rows:
            ctx.reply(ctx.t("No household is in the monitoring work now."))
            return
        late = {c.id for c in late_cases(ctx)}
        lines = [ctx.t("Monitoring cases:")]
        for c in rows:
            line = ctx.t(
                "{number}. {household}: {state}",
                number=c.number,
                household=_label(ctx, c),
                state=ctx.t(STATES[c.state]),
            )
            if c.id in late:
                line += _space(ctx) + ctx.t("(late: due {due})", due=decision_due(ctx, c).isoformat())
            lines.append(line)
        ctx.audit("rural.read_cases")
        ctx.reply("\n".join(lines))

    @command(
        "casefile",
        help=N_("Everything recorded on a monitoring case (in private)"),
        usage=N_("CASE"),
        roles=(SECRETARY, TEAM, TOWNSHIP, HELPER),
        where="private",
        aliases=("监测档案",),
    )
    def casefile(self, ctx: CommandContext) -> None:
        case = case_by_number(ctx, ctx.args[0] if ctx.args else None)
        if not (is_team(ctx) or ctx.has_role(TOWNSHIP) or case.helper_id == ctx.person.id):
            raise ctx.fail(ctx.t("Only the case's responsible helper, the village work team and the township see it."))
        ctx.audit("rural.read_case", f"case:{case.number}")
        events = ctx.store.select(case_events, case_events.c.case_id == case.id, order_by=[case_events.c.id])
        names = who(ctx, [case.helper_id, *(e.by_id for e in events)])
        lines = [
            ctx.t(
                "Case {number}, household {household}: {state}",
                number=case.number,
                household=_label(ctx, case),
                state=ctx.t(STATES[case.state]),
            ),
            ctx.t("Lead: {source}", source=ctx.t(SOURCES.get(case.source, case.source))),
        ]
        if case.income is not None:
            lines.append(
                ctx.t(
                    "Income per person in {year}: {income} yuan (line {line}); medical {medical}, "
                    "schooling {school} yuan.",
                    year=case.year,
                    income=case.income,
                    line=income_line(ctx, case.year or today(ctx).year),
                    medical=case.medical_spending or 0,
                    school=case.school_spending or 0,
                )
            )
        if case.causes:
            lines.append(
                ctx.t(
                    "Risk causes: {causes}",
                    causes=joined(ctx, [ctx.t(CAUSES.get(c, c)) for c in case.causes.split(",")]),
                )
            )
        if case.helper_id:
            lines.append(ctx.t("Responsible helper: {name}", name=names.get(case.helper_id, "?")))
        tz = ctx.district.timezone
        for e in events:
            detail = e.detail
            if e.kind == "helper" and detail.isdigit():
                detail = who(ctx, [int(detail)]).get(int(detail), "")
            by = names.get(e.by_id, "—") if e.by_id else "—"
            when = ctx.t.datetime(e.at, tz, "short")
            lines.append(f"{when} {ctx.t(EVENTS.get(e.kind, e.kind))} · {by}" + (f" · {detail}" if detail else ""))
        ctx.reply("\n".join(lines))

    @command(
        "nearline",
        help=N_("Households whose recorded income is near this year's line (in private; people decide)"),
        roles=(SECRETARY, TEAM),
        where="private",
        aliases=("临界提示",),
    )
    def nearline(self, ctx: CommandContext) -> None:
        year = today(ctx).year
        line = income_line(ctx, year)
        if not line:
            raise ctx.fail(ctx.t("No income line is set for {year} (income_line, income_lines).", year=year))
        margin = float(ctx.config.get("near_line_margin", 0.1))
        high = int(line * (1 + margin))
        busy = {c.household_id for c in ctx.store.select(cases, cases.c.state.in_((*OPEN_STATES, "monitored")))}
        latest: dict[int, int] = {}
        for c in ctx.store.select(
            cases, cases.c.income.is_not(None), cases.c.year >= year - 1, order_by=[cases.c.visited_at]
        ):
            latest[c.household_id] = c.income
        near = sorted((h, i) for h, i in latest.items() if h not in busy and i <= high)
        ctx.audit("rural.read_near_line")
        if not near:
            ctx.reply(
                ctx.t(
                    "No household outside the monitoring has a recorded income near the line of {line} yuan.", line=line
                )
            )
            return
        reg = ctx.registry
        lines = [
            ctx.t(
                "Recorded income near the {year} line of {line} yuan, outside the monitoring — for you to "
                "look at; people decide:",
                year=year,
                line=line,
            )
        ]
        lines += [f"{household_label(ctx, reg.household_by_id(h))}: {i}" for h, i in near]
        ctx.reply("\n".join(lines))

    @command("incomeline", help=N_("The monitoring income line of a year"), usage=N_("[YEAR]"), aliases=("监测收入线",))
    def incomeline(self, ctx: CommandContext) -> None:
        year = ctx.number(ctx.args[0], low=2000, high=2100) if ctx.args else today(ctx).year
        line = income_line(ctx, year)
        if not line:
            ctx.reply(ctx.t("No income line is set for {year}.", year=year))
            return
        ctx.reply(ctx.t("The monitoring income line of {year}: {line} yuan per person per year.", year=year, line=line))

    # --- the yearly review ------------------------------------------------------------------------

    @command(
        "yearreview",
        help=N_("Open (or see) the yearly review of every monitored household"),
        usage=N_("YEAR [DEADLINE]"),
        roles=(SECRETARY,),
        aliases=("年度复核",),
    )
    def yearreview(self, ctx: CommandContext) -> None:
        if not ctx.args:
            raise ctx.fail(ctx.t("Usage: /yearreview YEAR [DEADLINE], for example /yearreview 2026 2026-12-31"))
        year = ctx.number(ctx.args[0], low=2000, high=2100)
        existing = ctx.store.select(reviews, reviews.c.year == year)
        if existing:
            done = sum(1 for r in existing if r.reviewed_at is not None)
            ctx.reply(
                ctx.t(
                    "Review of {year}: {done} of {total} household(s) reviewed; due {deadline}.",
                    year=year,
                    done=done,
                    total=len(existing),
                    deadline=existing[0].deadline.isoformat(),
                )
            )
            return
        line = income_line(ctx, year)
        if not line:
            raise ctx.fail(ctx.t("No income line is set for {year} (income_line, income_lines).", year=year))
        try:
            deadline = dt.date.fromisoformat(ctx.args[1]) if len(ctx.args) > 1 else dt.date(year, 12, 31)
        except ValueError:
            raise ctx.fail(ctx.t("Please write the deadline as YYYY-MM-DD, for example 2026-12-31.")) from None
        if deadline < today(ctx):
            raise ctx.fail(ctx.t("The deadline {deadline} is already past.", deadline=deadline.isoformat()))
        monitored = ctx.store.select(cases, cases.c.state == "monitored", order_by=[cases.c.number])
        if not monitored:
            raise ctx.fail(ctx.t("No household is monitored now; there is nothing to review."))
        ctx.store.insert_many(
            reviews,
            [
                {"year": year, "case_id": c.id, "line": line, "deadline": deadline, "opened_by": ctx.person.id}
                for c in monitored
            ],
        )
        ctx.audit("rural.review_opened", f"year:{year}", households=len(monitored))
        ctx.reply(
            ctx.t(
                "Review of {year} opened for {total} monitored household(s) against the line of {line} yuan, "
                "due {deadline}. Each home visit of {year} (/homevisit CASE income=… year={year}) counts.",
                year=year,
                total=len(monitored),
                line=line,
                deadline=deadline.isoformat(),
            )
        )

    # --- the clock --------------------------------------------------------------------------------

    @scheduled("monitoring", "0 9 * * *")
    def monitoring_job(self, ctx: JobContext) -> None:
        """Each morning: flag newly late leads, and reviews past their deadline, to the first secretary."""
        day = today(ctx)
        newly = [c for c in late_cases(ctx) if c.late_flagged_on is None]
        if newly:
            listed = ", ".join(str(c.number) for c in newly)
            _tell_all(
                ctx,
                SECRETARY,
                N_(
                    "Late monitoring cases, past {days} days from lead to decision: {cases}. "
                    "Send /monitoring to see them."
                ),
                days=int(ctx.config.get("decision_days", 15)),
                cases=listed,
            )
            ctx.store.update(cases, cases.c.id.in_([c.id for c in newly]), late_flagged_on=day)
            self.log.info("late monitoring cases", count=len(newly))
        overdue = ctx.store.select(
            reviews, reviews.c.reviewed_at.is_(None), reviews.c.deadline < day, reviews.c.reminded_on.is_(None)
        )
        if overdue:
            _tell_all(
                ctx,
                SECRETARY,
                N_(
                    "{n} household review(s) of the yearly review are past their deadline; "
                    "send /yearreview YEAR to see them."
                ),
                n=len(overdue),
            )
            ctx.store.update(reviews, reviews.c.id.in_([r.id for r in overdue]), reminded_on=day)
