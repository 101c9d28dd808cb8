"""居民公约 — the residents' convention: versioned articles, written by the council, amended
article by article through a poll; ``/convention`` shows the text in force and its history."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from linli.core.plugin import (
    N_,
    Address,
    CommandContext,
    EventContext,
    HandlerGroup,
    PluginContext,
    command,
    on_event,
    parse_number,
)
from linli.plugins.council._community import notify_council, number
from linli.plugins.council.community_tables import amendments, articles, versions
from linli.plugins.council.matters import MOVERS, words_after
from linli.plugins.council.polls import open_poll

__all__ = ["SUBJECT", "Convention", "article_number"]

#: the poll subject of an amendment; its ``subject_ref`` is the article's id
SUBJECT = "convention_article"
MAX_ARTICLE = 2000
#: ``3. text``, ``3、text``, ``第3条 text``: one article per line when several are given at once
ARTICLE_LINE = re.compile(r"^\s*(?:第\s*)?(\d+)(?:\s*条|\s*[.、．:：]|\s)\s*[.、．:：]?\s*(.+?)\s*$")
HISTORY_WORDS = ("history", "历史", "沿革")
# TRANSLATORS: how a version of a convention article came about
SOURCES = {"edit": N_("written by the council"), "amendment": N_("adopted by vote")}
# TRANSLATORS: what became of a proposed amendment to the convention
OUTCOMES = {
    "voting": N_("being voted on"),
    "adopted": N_("adopted"),
    "rejected": N_("rejected"),
    "no_quorum": N_("not decided: too few votes"),
    "tie": N_("no decision: a tie"),
}


class Convention(HandlerGroup):
    """Handlers of the residents' convention."""

    @command(
        "convention",
        help=N_("Read the residents' convention, one article, or its history"),
        usage=N_("[ARTICLE] [history]"),
        aliases=("公约",),
    )
    def show_convention(self, ctx: CommandContext) -> None:
        usage = ctx.t("Usage: /convention [ARTICLE] [history], for example /convention 3 or /convention 3 history")
        if not ctx.args:
            ctx.reply(self._whole_convention(ctx))
            return
        article = self._load_article(ctx, article_number(ctx, ctx.args[0], usage), in_force=False)
        if len(ctx.args) > 1:
            if ctx.args[1].lower() not in HISTORY_WORDS:
                raise ctx.fail(usage)
            ctx.reply(self._article_history(ctx, article))
            return
        if article.version == 0:
            raise ctx.fail(ctx.t("The convention has no article {number} yet.", number=article.number))
        lines = [
            ctx.t(
                "Article {number} (version {version}, since {date}):\n{text}",
                number=article.number,
                version=article.version,
                date=self._article_date(ctx, article.updated_at),
                text=article.text,
            )
        ]
        pending = ctx.store.get(amendments, amendments.c.article_id == article.id, amendments.c.status == "voting")
        if pending is not None:
            lines.append(ctx.t("An amendment is being voted on: {text}", text=pending.text))
        ctx.reply("\n".join(lines))

    def _whole_convention(self, ctx: PluginContext) -> str:
        rows = ctx.store.select(articles, articles.c.version > 0, order_by=[articles.c.number])
        if not rows:
            return ctx.t(
                "The residents' convention has not been written down here yet. Council members add "
                "articles with /article NUMBER TEXT."
            )
        lines = [ctx.t("Residents' convention of {district}:", district=ctx.district.name)]
        lines += [ctx.t("Article {number}: {text}", number=r.number, text=r.text) for r in rows]
        lines.append(ctx.t("Send /convention NUMBER history to see how an article changed."))
        return "\n".join(lines)

    def _article_history(self, ctx: PluginContext, article: Any) -> str:
        rows = ctx.store.select(versions, versions.c.article_id == article.id, order_by=[versions.c.version])
        lines = [ctx.t("History of article {number}:", number=article.number)]
        lines += [
            ctx.t(
                "Version {version}, {date}, {source}: {text}",
                version=v.version,
                date=self._article_date(ctx, v.at),
                source=ctx.t(SOURCES[v.source]),
                text=v.text,
            )
            for v in rows
        ]
        for a in ctx.store.select(
            amendments,
            amendments.c.article_id == article.id,
            amendments.c.status != "adopted",
            order_by=[amendments.c.id],
        ):
            lines.append(
                ctx.t(
                    "Proposed {date}, {outcome}: {text}",
                    date=self._article_date(ctx, a.proposed_at),
                    outcome=ctx.t(OUTCOMES[a.status]),
                    text=a.text,
                )
            )
        if len(lines) == 1:
            lines.append(ctx.t("No versions yet."))
        return "\n".join(lines)

    def _article_date(self, ctx: PluginContext, when: dt.datetime) -> str:
        return when.astimezone(ZoneInfo(ctx.district.timezone)).date().isoformat()

    def _load_article(self, ctx: PluginContext, n: int, *, in_force: bool = True) -> Any:
        row = ctx.store.get(articles, articles.c.number == n)
        if row is None or (in_force and row.version == 0):
            raise ctx.fail(ctx.t("The convention has no article {number} yet.", number=n))
        return row

    # --- writing it ----------------------------------------------------------------------------

    @command(
        "article",
        help=N_("Write or correct an article of the residents' convention"),
        usage=N_("NUMBER TEXT"),
        roles=MOVERS,
        aliases=("公约条文",),
    )
    def write_article(self, ctx: CommandContext) -> None:
        usage = ctx.t(
            "Usage: /article NUMBER TEXT, for example /article 1 爱护院内绿地，不在绿地里种菜; several "
            "articles at once, one per line: 1. TEXT"
        )
        pairs = [ARTICLE_LINE.match(line) for line in ctx.argtext.splitlines() if line.strip()]
        given = [(parse_number(m.group(1)) or 0, m.group(2)) for m in pairs if m]
        numbers = [n for n, _ in given]
        if not pairs or len(given) != len(pairs) or min(numbers) < 1 or len(set(numbers)) != len(numbers):
            raise ctx.fail(usage)
        written = [
            self._write_article(ctx, n, ctx.checked_text(text, empty=usage, limit=MAX_ARTICLE)) for n, text in given
        ]
        ctx.reply(
            ctx.t("Written: {articles}. Send /convention to read the whole convention.", articles="、".join(written))
        )

    def _write_article(self, ctx: PluginContext, n: int, text: str) -> str:
        now = ctx.clock.now()
        row = ctx.store.get(articles, articles.c.number == n)
        if row is not None and ctx.store.count(
            amendments, amendments.c.article_id == row.id, amendments.c.status == "voting"
        ):
            raise ctx.fail(ctx.t("An amendment to article {number} is being voted on; wait for the result.", number=n))
        if row is None:
            row_id = ctx.store.insert(articles, number=n, version=1, text=text, updated_at=now)
            version = 1
        else:
            row_id, version = row.id, row.version + 1
            ctx.store.update(articles, articles.c.id == row.id, version=version, text=text, updated_at=now)
        ctx.store.insert(
            versions,
            article_id=row_id,
            version=version,
            text=text,
            source="edit",
            by=ctx.person.id if ctx.person else None,
            at=now,
        )
        ctx.audit("council.article_written", f"article:{n}", version=version)
        return ctx.t("article {number} (version {version})", number=n, version=version)

    # --- amending it by vote --------------------------------------------------------------------

    @command(
        "amend",
        help=N_("Put an amendment of a convention article to the vote"),
        usage=N_("ARTICLE TEXT"),
        roles=MOVERS,
        aliases=("修订公约",),
    )
    def amend_article(self, ctx: CommandContext) -> None:
        usage = ctx.t(
            "Usage: /amend ARTICLE TEXT, for example /amend 3 楼道内不堆放杂物，宣传板报每季度更新一次 "
            "(the next free number adds a new article)"
        )
        if len(ctx.args) < 2:
            raise ctx.fail(usage)
        n = article_number(ctx, ctx.args[0], usage)
        text = ctx.checked_text(words_after(ctx, 1), empty=usage, limit=MAX_ARTICLE)
        now = ctx.clock.now()
        row = ctx.store.get(articles, articles.c.number == n)
        if row is None:
            last = ctx.store.execute(sa.select(sa.func.max(articles.c.number))).scalar() or 0
            if n != last + 1:
                raise ctx.fail(
                    ctx.t(
                        "The convention has no article {number}; a new article takes the next number, {next}.",
                        number=n,
                        next=last + 1,
                    )
                )
            # a proposed new article: version 0 is not in force until a vote adopts it
            article_id = ctx.store.insert(articles, number=n, version=0, text="", updated_at=now)
            question = ctx.t("Add article {number} to the residents' convention: {text}", number=n, text=text)
        else:
            if ctx.store.count(amendments, amendments.c.article_id == row.id, amendments.c.status == "voting"):
                raise ctx.fail(
                    ctx.t("An amendment to article {number} is being voted on; wait for the result.", number=n)
                )
            if row.version > 0 and text == row.text:
                raise ctx.fail(ctx.t("Article {number} already reads like that.", number=n))
            article_id = row.id
            question = (
                ctx.t("Amend article {number} of the residents' convention to read: {text}", number=n, text=text)
                if row.version > 0
                else ctx.t("Add article {number} to the residents' convention: {text}", number=n, text=text)
            )
        days = int(ctx.config.get("amendment_days", 7))
        poll = open_poll(
            ctx,
            question=question,
            kind="yesno",
            subject=SUBJECT,
            subject_ref=article_id,
            closes_at=now + dt.timedelta(days=days),
        )
        ctx.store.insert(
            amendments,
            article_id=article_id,
            text=text,
            poll_id=poll.id,
            status="voting",
            proposed_by=ctx.person.id if ctx.person else None,
            room=ctx.address.room_key if ctx.address else "",
            proposed_at=now,
        )
        ctx.audit("council.amendment_proposed", f"article:{n}", poll=poll.number)
        ctx.reply(
            ctx.t(
                "The amendment of article {number} is put to the vote as poll {poll}, until {date}.",
                number=n,
                poll=poll.number,
                date=ctx.t.datetime(poll.closes_at, ctx.district.timezone, "short"),
            )
        )

    @on_event("council.poll_closed")
    def amendment_decided(self, ctx: EventContext) -> None:
        """A poll closed: when it was on an amendment, adopt the new text if it passed."""
        payload = ctx.event.payload
        if payload.get("subject") != SUBJECT:
            return
        proposal = ctx.store.get(amendments, amendments.c.poll_id == payload.get("poll_id"))
        if proposal is None or proposal.status != "voting":
            return  # not ours, or already applied
        article: Any = ctx.store.get(articles, articles.c.id == proposal.article_id)
        now = ctx.clock.now()
        outcome = str(payload.get("outcome", ""))
        if outcome == "passed":
            version = article.version + 1
            ctx.store.update(articles, articles.c.id == article.id, version=version, text=proposal.text, updated_at=now)
            ctx.store.insert(
                versions,
                article_id=article.id,
                version=version,
                text=proposal.text,
                source="amendment",
                poll_id=proposal.poll_id,
                by=proposal.proposed_by,
                at=now,
            )
            status = "adopted"
            text = ctx.t(
                "The residents' convention is amended. Article {number} now reads (version {version}):\n{text}",
                number=article.number,
                version=version,
                text=proposal.text,
            )
        else:
            status = outcome if outcome in ("no_quorum", "tie") else "rejected"
            text = ctx.t(
                "The amendment to article {number} was not adopted ({outcome}); the article stays as it was.",
                number=article.number,
                outcome=ctx.t(OUTCOMES[status]),
            )
        ctx.store.update(amendments, amendments.c.id == proposal.id, status=status, decided_at=now)
        ctx.audit("council.amendment_decided", f"article:{article.number}", outcome=status)
        ctx.log.info("convention amendment decided", article=article.number, outcome=status)
        if proposal.room:
            ctx.send(Address.parse(proposal.room), text)
        else:
            notify_council(ctx, text)


def article_number(ctx: PluginContext, word: str, usage: str) -> int:
    """The article number in ``word``: ``3``, ``3.``, ``第3条``.

    Raises: UserError: it is not one (the person reads ``usage``).
    """
    return number(ctx, word.strip().removeprefix("第").rstrip(".、．:：").removesuffix("条"), usage)
