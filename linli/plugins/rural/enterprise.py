"""The village collective enterprise (村集体企业) and its certificates (营业执照, 生产许可证, 环保登记…):
number, issuer, scope and expiry, with reminders to the first secretary and the work team 60, 30
and 7 days before a certificate expires (``licence_reminder_days``)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from linli.core.plugin import (
    N_,
    CommandContext,
    HandlerGroup,
    JobContext,
    PluginContext,
    command,
    parse_number,
    scheduled,
)
from linli.plugins.rural._village import STAFF, WORKERS, Label, next_number, number_arg, parse_date, tell_staff
from linli.plugins.rural.enterprise_tables import certificates, enterprises

__all__ = ["CERTIFICATE_KINDS", "Enterprise", "certificates_due", "kind_label", "reminder_days"]

#: the usual certificates, by code; another kind is kept as the person wrote it
CERTIFICATE_KINDS = {
    "business_licence": N_("business licence"),
    "production_permit": N_("production permit"),
    "environmental_registration": N_("environmental registration"),
}
#: what people call them in Chinese, whatever the district's language
_CHINESE_KINDS = {
    "营业执照": "business_licence",
    "生产许可证": "production_permit",
    "食品生产许可证": "production_permit",
    "环保登记": "environmental_registration",
    "环保登记证": "environmental_registration",
    "排污登记": "environmental_registration",
}
DEFAULT_REMINDERS = [60, 30, 7]


def kind_label(ctx: PluginContext, kind: str) -> str:
    """A certificate's kind as the reader says it."""
    return ctx.t(CERTIFICATE_KINDS[kind]) if kind in CERTIFICATE_KINDS else kind


def _kind_named(ctx: PluginContext, text: str) -> str:
    if text in CERTIFICATE_KINDS:
        return text
    if text in _CHINESE_KINDS:
        return _CHINESE_KINDS[text]
    wanted = text.casefold()
    for code, label in CERTIFICATE_KINDS.items():
        if wanted in (ctx.t(label).casefold(), label.casefold(), code.replace("_", " ")):
            return code
    return text


def reminder_days(ctx: PluginContext) -> list[int]:
    """The days before expiry at which staff are reminded, largest first."""
    days = ctx.config.get("licence_reminder_days") or DEFAULT_REMINDERS
    return sorted({int(d) for d in days if int(d) >= 0}, reverse=True)


def certificates_due(ctx: PluginContext, start: dt.date, end: dt.date) -> list[Any]:
    """Certificates expiring on ``start`` or later and before ``end``, soonest first."""
    return ctx.store.select(
        certificates,
        certificates.c.expires_on >= start,
        certificates.c.expires_on < end,
        order_by=[certificates.c.expires_on, certificates.c.number],
    )


def _enterprise(ctx: PluginContext, text: str) -> Any:
    """The enterprise named by its number or its name, or a clear answer."""
    row = None
    number = parse_number(text.strip())
    if number is not None:
        row = ctx.store.get(enterprises, enterprises.c.number == number)
    if row is None:
        row = ctx.store.get(enterprises, enterprises.c.name == text.strip())
    if row is None:
        raise ctx.fail(ctx.t("There is no enterprise {enterprise}. Send /licences to see them.", enterprise=text))
    return row


class Enterprise(HandlerGroup):
    """``/enterprise``, ``/licence``, ``/licences``, ``/renewlicence``; the expiry reminders."""

    @command(
        "enterprise",
        help=N_("Register a village collective enterprise"),
        usage=N_("NAME"),
        roles=WORKERS,
        aliases=("集体企业",),
    )
    def enterprise(self, ctx: CommandContext) -> None:
        name = ctx.checked_text(
            ctx.argtext,
            empty=ctx.t("Usage: /enterprise NAME, for example /enterprise 恒仁雅米农副产品加工有限公司"),
            limit=128,
        )
        if ctx.store.get(enterprises, enterprises.c.name == name):
            raise ctx.fail(ctx.t("Enterprise {enterprise} is already registered.", enterprise=name))
        number = next_number(ctx, enterprises)
        ctx.store.insert(enterprises, number=number, name=name, added_by=ctx.person.id, added_at=ctx.clock.now())
        ctx.audit("rural.enterprise_added", f"enterprise:{number}")
        ctx.reply(
            ctx.t(
                "Enterprise #{number} {enterprise} is registered. "
                "Add its certificates with /licence {number} KIND NUMBER EXPIRY ISSUER [SCOPE].",
                number=number,
                enterprise=name,
            )
        )

    @command(
        "licence",
        help=N_("Record a certificate of an enterprise: kind, number, expiry, issuer, scope"),
        usage=N_("ENTERPRISE KIND NUMBER EXPIRY ISSUER [SCOPE]"),
        roles=WORKERS,
        aliases=("证照",),
    )
    def licence(self, ctx: CommandContext) -> None:
        usage = ctx.t(
            "Usage: /licence ENTERPRISE KIND NUMBER EXPIRY ISSUER [SCOPE], for example "
            "/licence 1 营业执照 91210522MA0Y 2029-05-31 桓仁县市场监督管理局 大米加工、销售"
        )
        parts = re.split(r"[\s\u3000]+", ctx.argtext.strip(), maxsplit=5)
        if len(parts) < 5:
            raise ctx.fail(usage)
        enterprise = _enterprise(ctx, parts[0])
        kind = _kind_named(ctx, parts[1])
        code, issuer = parts[2], parts[4]
        expires = parse_date(parts[3])
        if expires is None:
            raise ctx.fail(ctx.t("{text} is not a date; write it as 2029-05-31.", text=parts[3]))
        if len(kind) > 64 or len(code) > 64 or len(issuer) > 128:
            raise ctx.fail(usage)
        scope = parts[5] if len(parts) > 5 else ""
        if len(scope) > 1000:
            raise ctx.fail(ctx.t("The scope is too long (1000 characters at most)."))
        number = next_number(ctx, certificates)
        ctx.store.insert(
            certificates,
            number=number,
            enterprise_id=enterprise.id,
            kind=kind,
            code=code,
            issuer=issuer,
            scope=scope,
            expires_on=expires,
            added_by=ctx.person.id,
            added_at=ctx.clock.now(),
        )
        ctx.audit("rural.certificate_added", f"certificate:{number}", enterprise=enterprise.number)
        ctx.reply(
            ctx.t(
                "Certificate #{number} of {enterprise}: {kind} {code}, issued by {issuer}, valid until {date}.",
                number=number,
                enterprise=enterprise.name,
                kind=kind_label(ctx, kind),
                code=code,
                issuer=issuer,
                date=expires.isoformat(),
            )
        )

    @command(
        "renewlicence",
        help=N_("Record a certificate's new expiry (and number) after renewal"),
        usage=N_("CERTIFICATE EXPIRY [NUMBER]"),
        roles=WORKERS,
        aliases=("证照换证",),
    )
    def renew(self, ctx: CommandContext) -> None:
        usage = ctx.t("Usage: /renewlicence CERTIFICATE EXPIRY [NUMBER], for example /renewlicence 2 2031-05-31")
        if len(ctx.args) < 2:
            raise ctx.fail(usage)
        number = number_arg(ctx, ctx.args[0], usage)
        row = ctx.store.get(certificates, certificates.c.number == number)
        if row is None:
            raise ctx.fail(ctx.t("There is no certificate #{number}. Send /licences to see them.", number=number))
        expires = parse_date(ctx.args[1])
        if expires is None:
            raise ctx.fail(ctx.t("{text} is not a date; write it as 2029-05-31.", text=ctx.args[1]))
        if expires <= row.expires_on:
            raise ctx.fail(
                ctx.t(
                    "The new expiry must be after the old one ({date}).",
                    date=row.expires_on.isoformat(),
                )
            )
        code = ctx.args[2] if len(ctx.args) > 2 else row.code
        if len(code) > 64:
            raise ctx.fail(usage)
        ctx.store.update(certificates, certificates.c.id == row.id, expires_on=expires, code=code, reminded_days=None)
        ctx.audit("rural.certificate_renewed", f"certificate:{number}")
        ctx.reply(
            ctx.t(
                "Certificate #{number} ({kind} {code}) is now valid until {date}.",
                number=number,
                kind=kind_label(ctx, row.kind),
                code=code,
                date=expires.isoformat(),
            )
        )

    @command(
        "licences",
        help=N_("The enterprises' certificates and when they expire"),
        roles=STAFF,
        aliases=("证照列表",),
    )
    def licences(self, ctx: CommandContext) -> None:
        rows = ctx.store.select(certificates, order_by=[certificates.c.expires_on, certificates.c.number])
        names = {e.id: e.name for e in ctx.store.select(enterprises)}
        if not names:
            ctx.reply(ctx.t("No enterprise is registered yet: /enterprise NAME."))
            return
        if not rows:
            ctx.reply(ctx.t("No certificates recorded yet: /licence ENTERPRISE KIND NUMBER EXPIRY ISSUER."))
            return
        today = ctx.now().date()
        lines = [ctx.t("Certificates:")]
        for r in rows:
            left = (r.expires_on - today).days
            when = (
                ctx.t("expired on {date}", date=r.expires_on.isoformat())
                if left < 0
                else ctx.t("expires {date}, in {days} days", date=r.expires_on.isoformat(), days=left)
            )
            lines.append(f"#{r.number} {names.get(r.enterprise_id, '')} · {kind_label(ctx, r.kind)} {r.code} · {when}")
        ctx.reply("\n".join(lines))

    @scheduled("licence_reminders", "0 9 * * *")
    def licence_reminders(self, ctx: JobContext) -> None:
        """Each morning: a reminder for each certificate that has come within 60, 30 or 7 days of
        its expiry, once per step; a certificate found late gets only the nearest step."""
        steps = reminder_days(ctx)
        if not steps:
            return
        today = ctx.now().date()
        due = ctx.store.select(
            certificates,
            certificates.c.expires_on >= today,
            certificates.c.expires_on <= today + dt.timedelta(days=steps[0]),
            order_by=[certificates.c.expires_on, certificates.c.number],
        )
        names = {e.id: e.name for e in ctx.store.select(enterprises)} if due else {}
        for r in due:
            left = (r.expires_on - today).days
            step = min(d for d in steps if d >= left)
            if r.reminded_days is not None and r.reminded_days <= step:
                continue
            tell_staff(
                ctx,
                N_(
                    "Certificate #{number} of {enterprise} ({kind} {code}) expires on {date}, "
                    "in {days} days: renew it in time."
                ),
                number=r.number,
                enterprise=names.get(r.enterprise_id, ""),
                kind=Label(CERTIFICATE_KINDS[r.kind]) if r.kind in CERTIFICATE_KINDS else r.kind,
                code=r.code,
                date=r.expires_on.isoformat(),
                days=left,
            )
            ctx.store.update(certificates, certificates.c.id == r.id, reminded_days=step)
        if due:
            ctx.log.info("licence reminders", due=len(due))


def enterprise_names(ctx: PluginContext) -> dict[int, str]:
    return {e.id: e.name for e in ctx.store.select(enterprises, order_by=[enterprises.c.number])}
