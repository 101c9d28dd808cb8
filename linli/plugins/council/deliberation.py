"""Raising matters and talking them over: /raise, /matters, /matter, /comment, /support, and the
council's moves (/propose, /merge, /withdraw, /implement, /done, /review)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from linli.core.plugin import (
    N_,
    Choice,
    ChoiceContext,
    CommandContext,
    ConversationContext,
    DialogContext,
    HandlerGroup,
    PluginContext,
    attachments_from_data,
    attachments_to_data,
    command,
    on_choice,
    on_dialog,
)
from linli.plugins.council.matters import (
    MOVERS,
    create_matter,
    enrol,
    load_matter,
    matter_number,
    may_move,
    move_matter,
    record,
    words_after,
)
from linli.plugins.council.polls import KINDS, OUTCOMES
from linli.plugins.council.states import CATEGORIES, CLOSED, LABELS
from linli.plugins.council.tables import comments, history, matters, polls, supports

__all__ = ["Deliberation"]

MAX_TITLE = 100
MAX_TEXT = 2000
#: what stands in place of the words of a person who asked linli to forget them (docs/privacy.md)
REMOVED = N_("(removed: its author asked linli to forget them)")


class Deliberation(HandlerGroup):
    """Matters from raising to done."""

    # --- raising ---------------------------------------------------------------------

    @command("raise", help=N_("Raise a matter for the courtyard council"), usage=N_("[TITLE]"), aliases=("提议题",))
    def raise_matter(self, ctx: CommandContext) -> None:
        # a photo sent with the command waits in the dialog until the matter exists
        files = attachments_to_data(ctx.attachments)
        if ctx.argtext.strip():
            title = _title(ctx, ctx.argtext)
            ctx.start_dialog(
                "raise",
                step="text",
                data={"title": title, "files": files},
                prompt=ctx.t(
                    "Tell the neighbours more: what is the matter, and what would you like done? (send /cancel to stop)"
                ),
            )
        else:
            ctx.start_dialog(
                "raise",
                step="title",
                data={"files": files},
                prompt=ctx.t("What is the matter, in a short title? (send /cancel to stop)"),
            )

    @on_dialog("raise")
    def raise_step(self, ctx: DialogContext) -> None:
        data = dict(ctx.dialog.data)
        data["files"] = [*data.get("files", []), *attachments_to_data(ctx.attachments)]
        if not ctx.text.strip() and ctx.attachments and ctx.dialog.step in ("title", "text"):
            ctx.continue_dialog(step=ctx.dialog.step, data=data, prompt=ctx.t("Got it. Now please write a few words."))
            return
        if ctx.dialog.step == "title":
            data["title"] = _title(ctx, ctx.text)
            ctx.continue_dialog(
                step="text",
                data=data,
                prompt=ctx.t("Tell the neighbours more: what is the matter, and what would you like done?"),
            )
        elif ctx.dialog.step == "text":
            data["text"] = ctx.checked_text(ctx.text, empty=ctx.t("Please write a few words."), limit=MAX_TEXT)
            ctx.continue_dialog(
                step="category",
                data=data,
                prompt=ctx.t("What is it about?"),
                choices=[ctx.choice(ctx.t(label), "category", key) for key, label in CATEGORIES.items()],
            )
        else:
            ctx.continue_dialog(step=ctx.dialog.step, data=data, prompt=ctx.t("Please pick one of the buttons above."))

    @on_choice("category")
    def category(self, ctx: ChoiceContext) -> None:
        if ctx.dialog is None or ctx.dialog.name != "raise" or ctx.dialog.step != "category":
            raise ctx.fail(ctx.t("That matter was already raised or cancelled. Send /raise to start again."))
        if ctx.data not in CATEGORIES:
            raise ctx.fail(ctx.t("Please pick one of the buttons."))
        data = ctx.dialog.data
        number = create_matter(ctx, title=data["title"], text=data["text"], category=ctx.data)
        ctx.end_dialog()
        # its photos so far, and those the person sends in the next minutes
        attached = ctx.accept_attachments(
            number, ctx.t("matter {number}", number=number), attachments_from_data(data.get("files"))
        )
        text = ctx.t(
            "Matter {number} is raised: {title} ({category}). Neighbours, comment with /comment {number} "
            "TEXT and support it with /support {number} or the button.",
            number=number,
            title=data["title"],
            category=ctx.t(CATEGORIES[ctx.data]),
        )
        if attached:
            text += "\n" + ctx.t("{count} file(s) attached to it.", count=attached)
        ctx.reply(text, choices=[_support_button(ctx, number)])

    # --- reading -------------------------------------------------------------------------

    @command("matters", help=N_("List the matters before the courtyard council"), aliases=("议题列表",))
    def list_matters(self, ctx: CommandContext) -> None:
        rows = ctx.store.select(matters, matters.c.status.not_in(sorted(CLOSED)), order_by=[matters.c.number])
        if not rows:
            ctx.reply(ctx.t("No matters are open. Raise one with /raise."))
            return
        backing = _support_counts(ctx)
        lines = [ctx.t("Matters before the council:")]
        lines += [
            ctx.t(
                "#{number} {title} · {state} · {n} supporter(s)",
                number=r.number,
                title=r.title,
                state=ctx.t(LABELS[r.status]),
                n=backing.get(r.id, 0),
            )
            for r in rows
        ]
        ctx.reply("\n".join(lines))

    @command(
        "matter",
        help=N_("Show a matter: its text, comments, support and history"),
        usage=N_("NUMBER"),
        aliases=("议题",),
    )
    def show_matter(self, ctx: CommandContext) -> None:
        if len(ctx.args) != 1:
            raise ctx.fail(ctx.t("Usage: /matter NUMBER, for example /matter 3"))
        row = load_matter(ctx, matter_number(ctx, ctx.args[0]))
        choices = [] if row.status in CLOSED else [_support_button(ctx, row.number)]
        ctx.reply(matter_text(ctx, row), choices=choices)

    # --- taking part -----------------------------------------------------------------------

    @command("comment", help=N_("Comment on a matter"), usage=N_("NUMBER TEXT"), aliases=("评论",))
    def comment(self, ctx: CommandContext) -> None:
        if len(ctx.args) < 2:
            raise ctx.fail(ctx.t("Usage: /comment NUMBER TEXT, for example /comment 3 我同意，晚上太黑了"))
        row = _open_matter(ctx, matter_number(ctx, ctx.args[0]))
        text = ctx.checked_text(words_after(ctx, 1), empty=ctx.t("Please write a few words."), limit=MAX_TEXT)
        ctx.store.insert(comments, matter_id=row.id, person_id=ctx.person.id, text=text, at=ctx.clock.now())
        enrol(ctx, ctx.person.id)
        ctx.reply(
            ctx.t(
                "Thank you, {name}: your comment on matter {number} is recorded.",
                name=ctx.person.display_name,
                number=row.number,
            )
        )

    @command("support", help=N_("Support a matter"), usage=N_("NUMBER"), aliases=("支持",))
    def support(self, ctx: CommandContext) -> None:
        if len(ctx.args) != 1:
            raise ctx.fail(ctx.t("Usage: /support NUMBER, for example /support 3"))
        self._support(ctx, matter_number(ctx, ctx.args[0]))

    @on_choice("support")
    def support_pressed(self, ctx: ChoiceContext) -> None:
        self._support(ctx, matter_number(ctx, ctx.data))

    def _support(self, ctx: ConversationContext, number: int) -> None:
        row = _open_matter(ctx, number)
        if ctx.store.get(supports, supports.c.matter_id == row.id, supports.c.person_id == ctx.person.id):
            raise ctx.fail(ctx.t("You already support matter {number}.", number=row.number))
        ctx.store.insert(supports, matter_id=row.id, person_id=ctx.person.id, at=ctx.clock.now())
        enrol(ctx, ctx.person.id)
        n = ctx.store.count(supports, supports.c.matter_id == row.id)
        ctx.reply(
            ctx.t(
                "{name} supports matter {number} ({n} supporter(s)).",
                name=ctx.person.display_name,
                number=row.number,
                n=n,
            )
        )

    @command(
        "household",
        help=N_("Say which household you belong to, for votes counted per household"),
        usage=N_("HOUSEHOLD"),
        aliases=("户号",),
    )
    def household(self, ctx: CommandContext) -> None:
        text = ctx.checked_text(
            ctx.argtext, empty=ctx.t("Usage: /household HOUSEHOLD, for example /household 3-2-501"), limit=64
        )
        enrol(ctx, ctx.person.id, household=text)
        ctx.reply(ctx.t("Noted: you belong to household {household}.", household=text))

    # --- the council's moves ---------------------------------------------------------------

    @command(
        "propose",
        help=N_("Turn a matter into a proposal for a vote"),
        usage=N_("NUMBER TEXT"),
        roles=MOVERS,
        aliases=("提案",),
    )
    def propose(self, ctx: CommandContext) -> None:
        if len(ctx.args) < 2:
            raise ctx.fail(ctx.t("Usage: /propose NUMBER TEXT, for example /propose 3 在3号楼前加装两盏路灯"))
        row = load_matter(ctx, matter_number(ctx, ctx.args[0]))
        text = ctx.checked_text(words_after(ctx, 1), empty=ctx.t("Please write a few words."), limit=MAX_TEXT)
        if row.status == "proposal":
            ctx.store.update(matters, matters.c.id == row.id, proposal=text)
            record(ctx, row.id, "proposal", text, state_from="proposal")
        else:
            move_matter(ctx, row, "proposal", text)
            ctx.store.update(matters, matters.c.id == row.id, proposal=text)
        ctx.reply(
            ctx.t(
                "Matter {number} is now a proposal: {text}\nA council member opens the vote with /poll {number}.",
                number=row.number,
                text=text,
            )
        )

    @command(
        "merge",
        help=N_("Merge a duplicate matter into another"),
        usage=N_("NUMBER INTO"),
        roles=MOVERS,
        aliases=("合并",),
    )
    def merge(self, ctx: CommandContext) -> None:
        if len(ctx.args) != 2:
            raise ctx.fail(ctx.t("Usage: /merge NUMBER INTO, for example /merge 4 3 (matter 4 goes into 3)"))
        dup = load_matter(ctx, matter_number(ctx, ctx.args[0]))
        into = load_matter(ctx, matter_number(ctx, ctx.args[1]))
        if dup.id == into.id:
            raise ctx.fail(ctx.t("A matter cannot be merged into itself."))
        if into.status in CLOSED:
            raise ctx.fail(ctx.t("Matter {number} is closed; merge into an open matter.", number=into.number))
        note = f"#{into.number}"
        move_matter(ctx, dup, "merged", note)
        ctx.store.update(matters, matters.c.id == dup.id, merged_into=into.number)
        already = {s.person_id for s in ctx.store.select(supports, supports.c.matter_id == into.id)}
        for s in ctx.store.select(supports, supports.c.matter_id == dup.id, order_by=[supports.c.id]):
            if s.person_id not in already:
                ctx.store.insert(supports, matter_id=into.id, person_id=s.person_id, at=s.at)
                already.add(s.person_id)
        for c in ctx.store.select(comments, comments.c.matter_id == dup.id, order_by=[comments.c.id]):
            ctx.store.insert(comments, matter_id=into.id, person_id=c.person_id, text=c.text, at=c.at)
        record(ctx, into.id, into.status, f"merged:{dup.number}", state_from=into.status)
        ctx.reply(
            ctx.t(
                "Matter {dup} is merged into matter {into}; its supporters and comments are carried over.",
                dup=dup.number,
                into=into.number,
            )
        )

    @command(
        "withdraw",
        help=N_("Withdraw a matter (the resident who raised it, or the council)"),
        usage=N_("NUMBER [REASON]"),
        aliases=("撤回",),
    )
    def withdraw(self, ctx: CommandContext) -> None:
        if not ctx.args:
            raise ctx.fail(ctx.t("Usage: /withdraw NUMBER [REASON]"))
        row = load_matter(ctx, matter_number(ctx, ctx.args[0]))
        if row.raised_by != ctx.person.id and not may_move(ctx):
            raise ctx.fail(
                ctx.t(
                    "Only the resident who raised matter {number} or a council member may withdraw it.",
                    number=row.number,
                )
            )
        move_matter(ctx, row, "withdrawn", words_after(ctx, 1))
        ctx.reply(ctx.t("Matter {number} is withdrawn.", number=row.number))

    @command(
        "implement",
        help=N_("Start implementing a passed matter"),
        usage=N_("NUMBER [NOTE]"),
        roles=MOVERS,
        aliases=("实施",),
    )
    def implement(self, ctx: CommandContext) -> None:
        self._step(ctx, "implementing", N_("Matter {number} is being implemented."))

    @command("done", help=N_("Record that a matter is done"), usage=N_("NUMBER NOTE"), roles=MOVERS, aliases=("办结",))
    def done(self, ctx: CommandContext) -> None:
        if len(ctx.args) < 2:
            raise ctx.fail(ctx.t("Usage: /done NUMBER NOTE, for example /done 3 两盏路灯已装好"))
        self._step(ctx, "done", N_("Matter {number} is done. Thank you, neighbours!"))

    def _step(self, ctx: CommandContext, target: str, msgid: str) -> None:
        if not ctx.args:
            raise ctx.fail(
                ctx.t("Usage: /{command} NUMBER [NOTE]", command="implement" if target == "implementing" else "done")
            )
        row = load_matter(ctx, matter_number(ctx, ctx.args[0]))
        move_matter(ctx, row, target, words_after(ctx, 1))
        ctx.reply(ctx.t(msgid, number=row.number))

    @command(
        "review",
        help=N_("Set the date a passed matter is reviewed"),
        usage=N_("NUMBER YYYY-MM-DD"),
        roles=MOVERS,
        aliases=("复查",),
    )
    def review(self, ctx: CommandContext) -> None:
        if len(ctx.args) != 2:
            raise ctx.fail(ctx.t("Usage: /review NUMBER YYYY-MM-DD, for example /review 3 2027-01-15"))
        row = load_matter(ctx, matter_number(ctx, ctx.args[0]))
        if row.status not in ("passed", "implementing", "done"):
            raise ctx.fail(
                ctx.t(
                    "Only a passed matter has a review date; matter {number} is {state}.",
                    number=row.number,
                    state=ctx.t(LABELS[row.status]),
                )
            )
        try:
            day = dt.date.fromisoformat(ctx.args[1])
        except ValueError:
            raise ctx.fail(ctx.t("Please write the date as YYYY-MM-DD, for example 2027-01-15.")) from None
        if day < ctx.now().date():
            raise ctx.fail(ctx.t("The review date must not be in the past."))
        ctx.store.update(matters, matters.c.id == row.id, review_on=day, review_reminded_on=None)
        record(ctx, row.id, row.status, f"review:{day.isoformat()}", state_from=row.status)
        ctx.reply(ctx.t("Matter {number} will be reviewed on {date}.", number=row.number, date=day.isoformat()))


def _title(ctx: PluginContext, text: str) -> str:
    return ctx.checked_text(text, empty=ctx.t("Please give the matter a short title."), limit=MAX_TITLE)


def _open_matter(ctx: PluginContext, number: int) -> Any:
    row = load_matter(ctx, number)
    if row.status in CLOSED:
        raise ctx.fail(
            ctx.t(
                "Matter {number} is {state}; it takes no more comments or support.",
                number=row.number,
                state=ctx.t(LABELS[row.status]),
            )
        )
    return row


def _support_button(ctx: PluginContext, number: int) -> Choice:
    return ctx.choice(ctx.t("Support"), "support", str(number), anyone=True)


def _support_counts(ctx: PluginContext) -> dict[int, int]:
    counts: dict[int, int] = {}
    for s in ctx.store.select(supports):
        counts[s.matter_id] = counts.get(s.matter_id, 0) + 1
    return counts


def matter_text(ctx: PluginContext, row: Any) -> str:
    """A matter as people read it: what, who raised it, state, proposal, support, comments, history, polls."""
    tz = ctx.district.timezone
    notes = ctx.store.select(comments, comments.c.matter_id == row.id, order_by=[comments.c.id])
    moves = ctx.store.select(history, history.c.matter_id == row.id, order_by=[history.c.id])
    names = ctx.display_names(
        sorted(
            {p for p in [row.raised_by, *(c.person_id for c in notes), *(m.person_id for m in moves)] if p is not None}
        )
    )
    n = ctx.store.count(supports, supports.c.matter_id == row.id)
    lines = [
        ctx.t("Matter {number}: {title}", number=row.number, title=row.title),
        ctx.t(
            "{category} · {state} · raised by {name} on {date} · {n} supporter(s)",
            category=ctx.t(CATEGORIES[row.category]),
            state=ctx.t(LABELS[row.status]),
            name=names.get(row.raised_by, "—"),
            date=ctx.t.datetime(row.created_at, tz, "short"),
            n=n,
        ),
        row.text or ctx.t(REMOVED),
    ]
    lines += [f"📎 {ctx.describe_file(f)}" for f in ctx.attachments_of(row.number)]
    if row.proposal:
        lines.append(ctx.t("Proposal: {text}", text=row.proposal))
    if row.merged_into:
        lines.append(ctx.t("Merged into matter {number}.", number=row.merged_into))
    if row.outcome:
        lines.append(ctx.t("Outcome: {outcome}.", outcome=outcome_label(ctx, row.outcome)))
    if row.review_on:
        lines.append(ctx.t("Review on {date}.", date=row.review_on.isoformat()))
    if notes:
        lines.append(ctx.t("Comments:"))
        lines += [f"- {names.get(c.person_id, '—')}: {c.text or ctx.t(REMOVED)}" for c in notes[-10:]]
    for p in ctx.store.select(polls, polls.c.matter_id == row.id, order_by=[polls.c.number]):
        lines.append(
            ctx.t(
                "Poll {number} ({kind}): {state}",
                number=p.number,
                kind=ctx.t(KINDS[p.kind]),
                state=outcome_label(ctx, p.outcome) if p.status == "closed" else ctx.t("open for voting"),
            )
        )
    lines.append(ctx.t("History:"))
    for m in moves:
        moved = (
            f"{ctx.t(LABELS[m.state_from])}→{ctx.t(LABELS[m.state_to])}"
            if m.state_from and m.state_from != m.state_to
            else ctx.t(LABELS[m.state_to])
        )
        note = _note(ctx, m.note)
        lines.append(f"- {ctx.t.datetime(m.at, tz, 'short')} {names.get(m.person_id, '')} {moved} {note}".rstrip())
    return "\n".join(line for line in lines if line)


def _note(ctx: PluginContext, note: str) -> str:
    """A history note in words: the marks the plugin writes itself are translated, people's text kept."""
    kind, _, value = note.partition(":")
    if kind == "merged" and value.isdigit():
        return ctx.t("matter {number} was merged into this one", number=value)
    if kind == "review" and value:
        return ctx.t("review date set to {date}", date=value)
    return outcome_label(ctx, note)


def outcome_label(ctx: PluginContext, outcome: str | None) -> str:
    """A poll's outcome key in words; any other text as it is."""
    if not outcome:
        return ""
    return ctx.t(OUTCOMES[outcome]) if outcome in OUTCOMES else outcome
