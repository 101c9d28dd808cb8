"""意见箱 — the suggestion box: residents leave suggestions, community workers answer them.

A small plugin that shows the whole plugin API: a command with a dialog and
choices, a staff command, a domain event, a working-day digest and a ledger.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from linli.core.plugin import (
    N_,
    PERSON_MERGED,
    ChoiceContext,
    CommandContext,
    Config,
    ConversationContext,
    DialogContext,
    EventContext,
    HandlerGroup,
    JobContext,
    Ledger,
    LedgerContext,
    Manifest,
    Plugin,
    PluginContext,
    RoleSpec,
    StoredAttachment,
    attachments_from_data,
    attachments_to_data,
    command,
    ledger,
    merged_persons,
    on_choice,
    on_dialog,
    on_event,
    parse_number,
    scheduled,
)
from linli.plugins.suggestions.tables import metadata, suggestions

#: what stands in place of a suggestion's text once its author was forgotten
REMOVED = N_("(removed: its author asked linli to forget them)")

__all__ = ["SuggestionsPlugin"]

CATEGORIES = {
    "environment": N_("Environment and hygiene"),
    "repairs": N_("Repairs and facilities"),
    "safety": N_("Safety"),
    "other": N_("Other"),
}
STATUS = {"open": N_("open"), "answered": N_("answered")}
MAX_TEXT = 2000


class Suggestions(HandlerGroup):
    """The suggestion box's handlers: a plugin lists its handler groups in its manifest."""

    @command("suggest", help=N_("Leave a suggestion for the community"), usage=N_("[text]"), aliases=("建议",))
    def suggest(self, ctx: CommandContext) -> None:
        # a photo sent with the command (its caption) waits in the dialog until the suggestion exists
        files = attachments_to_data(ctx.attachments)
        if ctx.argtext:
            self._ask_category(ctx, {"text": _checked(ctx, ctx.argtext), "files": files}, start=True)
        else:
            ctx.start_dialog(
                "suggest",
                step="text",
                data={"files": files},
                prompt=ctx.t("What is your suggestion? (send /cancel to stop)"),
            )

    @on_dialog("suggest")
    def suggest_step(self, ctx: DialogContext) -> None:
        files = list(ctx.dialog.data.get("files", [])) + attachments_to_data(ctx.attachments)
        if ctx.dialog.step == "text":
            if not ctx.text.strip() and files:  # a photo first, the words next
                ctx.continue_dialog(
                    step="text",
                    data={**ctx.dialog.data, "files": files},
                    prompt=ctx.t("Got it. Now, what is your suggestion? (send /cancel to stop)"),
                )
                return
            self._ask_category(ctx, {"text": _checked(ctx, ctx.text), "files": files}, start=False)
        else:  # waiting for a category: typing instead of picking keeps the dialog open
            ctx.continue_dialog(
                step=ctx.dialog.step,
                data={**ctx.dialog.data, "files": files},
                prompt=ctx.t("Please pick one of the categories above."),
            )

    def _ask_category(self, ctx: ConversationContext, data: dict[str, Any], *, start: bool) -> None:
        choices = [ctx.choice(ctx.t(label), "category", key) for key, label in CATEGORIES.items()]
        prompt = ctx.t("Which kind of suggestion is it?")
        if start:
            ctx.start_dialog("suggest", step="category", data=data, prompt=prompt, choices=choices)
        else:
            ctx.continue_dialog(step="category", data=data, prompt=prompt, choices=choices)

    @on_choice("category")
    def category(self, ctx: ChoiceContext) -> None:
        if ctx.dialog is None or ctx.dialog.name != "suggest" or ctx.data not in CATEGORIES:
            raise ctx.fail(ctx.t("That suggestion was already filed or cancelled. Send /suggest to start again."))
        data = ctx.dialog.data
        number = (ctx.store.execute(sa.select(sa.func.max(suggestions.c.number))).scalar() or 0) + 1
        ctx.store.insert(
            suggestions,
            number=number,
            person_id=ctx.person.id if ctx.person else None,
            category=ctx.data,
            text=data["text"],
            created_at=ctx.clock.now(),
        )
        ctx.end_dialog()
        # its photos so far, and those the person sends in the next minutes
        attached = ctx.accept_attachments(
            number, ctx.t("suggestion {number}", number=number), attachments_from_data(data.get("files"))
        )
        ctx.publish("suggestions.received", {"number": number, "category": ctx.data})
        thanks = ctx.t(
            "Thank you! Your suggestion is number {number}; a community worker will answer it.", number=number
        )
        if attached:
            thanks += "\n" + ctx.t("{count} file(s) attached to it.", count=attached)
        ctx.reply(thanks)

    @command("suggestions", help=N_("List open suggestions"), roles=("staff",), aliases=("意见箱",))
    def list_open(self, ctx: CommandContext) -> None:
        rows = ctx.store.select(suggestions, suggestions.c.status == "open", order_by=[suggestions.c.number])
        if not rows:
            ctx.reply(ctx.t("No open suggestions."))
            return
        lines = [ctx.t("Open suggestions:")]
        files = _by_subject(ctx.attachments_of())
        for r in rows:
            lines.append(f"#{r.number} [{ctx.t(CATEGORIES[r.category])}] {(r.text or ctx.t(REMOVED))}")
            lines += [f"  📎 {ctx.describe_file(f)}" for f in files.get(str(r.number), [])]
        lines.append(ctx.t("Answer one with /answer NUMBER TEXT."))
        ctx.reply("\n".join(lines))

    @command("answer", help=N_("Answer a suggestion"), usage=N_("NUMBER TEXT"), roles=("staff",), aliases=("答复",))
    def answer(self, ctx: CommandContext) -> None:
        number = parse_number(ctx.args[0]) if len(ctx.args) >= 2 else None
        if number is None:
            raise ctx.fail(ctx.t("Usage: /answer NUMBER TEXT, for example /answer 3 The lamp is fixed."))
        text = _checked(ctx, re.split(r"[\s\u3000]+", ctx.argtext, maxsplit=1)[1])
        row = ctx.store.get(suggestions, suggestions.c.number == number)
        if row is None:
            raise ctx.fail(ctx.t("There is no suggestion number {number}.", number=number))
        ctx.store.update(
            suggestions,
            suggestions.c.id == row.id,
            status="answered",
            answer=text,
            answered_by=ctx.person.id,
            answered_at=ctx.clock.now(),
        )
        ctx.audit("suggestions.answer", f"suggestion:{number}")
        ctx.reply(ctx.t("Suggestion {number} is answered.", number=number))
        if row.person_id is not None:
            ctx.send_private(
                row.person_id,
                ctx.t("Your suggestion number {number} was answered: {answer}", number=number, answer=text),
            )

    @on_event("linli.data_request")
    def data_request(self, ctx: EventContext) -> None:
        rows = ctx.store.select(
            suggestions, suggestions.c.person_id == ctx.event.payload["person_id"], order_by=[suggestions.c.number]
        )
        lines = [ctx.t("Suggestion box: {count} suggestion(s) of yours.", count=len(rows))]
        lines += [f"#{r.number} {ctx.t.datetime(r.created_at, ctx.district.timezone, 'short')} {r.text}" for r in rows]
        ctx.tell(ctx.event.payload["person_id"], "\n".join(lines))

    @on_event("linli.person_forgotten")
    def forget(self, ctx: EventContext) -> None:
        """The person's words go; the row stays (numbered, answered or not) so that the numbers
        of the box do not move and the worker's answer keeps its place (docs/privacy.md)."""
        ctx.store.update(
            suggestions, suggestions.c.person_id == ctx.event.payload["person_id"], person_id=None, text=""
        )

    @on_event(PERSON_MERGED)
    def merged(self, ctx: EventContext) -> None:
        """A resident linked their chat account to their register entry: their suggestions follow."""
        merged = merged_persons(ctx.event.payload)
        if merged is None:
            ctx.log.warning("suggestions: person_merged without two person ids ignored")
            return
        old, new = merged
        ctx.store.update(suggestions, suggestions.c.person_id == old, person_id=new)

    @scheduled("digest", "30 8 * * *", working_days_only=True)
    def digest(self, ctx: JobContext) -> None:
        room = ctx.config.get("staff_room")
        if not room:
            return
        count = ctx.store.count(suggestions, suggestions.c.status == "open")
        if count:
            from linli.core.plugin import Address

            ctx.send(
                Address.parse(room),
                ctx.t(
                    "Good morning. {count} suggestion(s) are waiting for an answer: send /suggestions to see them.",
                    count=count,
                ),
            )

    @ledger("suggestions", title=N_("Suggestion box ledger"))
    def ledger(self, ctx: LedgerContext) -> Ledger:
        # read as written, not all at once: a ledger of any length stays small in memory
        rows = ctx.store.execute(
            sa.select(suggestions).order_by(suggestions.c.number).execution_options(yield_per=1000)
        )
        tz = ctx.district.timezone
        files = ctx.attachment_cells()
        return Ledger(
            columns=[
                N_("Number"),
                N_("Date"),
                N_("Category"),
                N_("Suggestion"),
                N_("Status"),
                N_("Answer"),
                N_("Answered on"),
                N_("Attachments"),
            ],
            rows=(
                [
                    r.number,
                    ctx.t.datetime(r.created_at, tz, "short"),
                    ctx.t(CATEGORIES[r.category]),
                    (r.text or ctx.t(REMOVED)),
                    ctx.t(STATUS.get(r.status, r.status)),
                    r.answer or "",
                    ctx.t.datetime(r.answered_at, tz, "short") if r.answered_at else "",
                    files.get(str(r.number), ""),
                ]
                for r in rows
            ),
        )


def _by_subject(stored: list[StoredAttachment]) -> dict[str, list[StoredAttachment]]:
    """The files of the plugin's records, by record."""
    out: dict[str, list[StoredAttachment]] = {}
    for f in stored:
        out.setdefault(f.subject, []).append(f)
    return out


def _checked(ctx: PluginContext, text: str) -> str:
    return ctx.checked_text(
        text, empty=ctx.t("The suggestion is empty. What would you like to suggest?"), limit=MAX_TEXT
    )


class SuggestionsPlugin(Plugin):
    manifest = Manifest(
        name="suggestions",
        version="1.0",
        description=N_("Suggestion box: residents leave suggestions, community workers answer"),
        depends=("basics",),
        roles=(RoleSpec("staff", N_("community worker"), N_("community worker")),),
        tables=metadata,
        handlers=(Suggestions,),
        config_defaults={"digest_cron": Config("30 8 * * *", cron=True), "staff_room": Config("", team=True)},
    )
