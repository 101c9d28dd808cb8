"""Voting from the chat: /poll opens one on a proposal, /vote and the buttons cast ballots,
/object records an objection, /proxy enters a facilitator's proxy vote, /closepoll and /polls."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from linli.core.plugin import (
    N_,
    ChoiceContext,
    CommandContext,
    ConversationContext,
    HandlerGroup,
    PluginContext,
    command,
    on_choice,
    parse_number,
)
from linli.plugins.council.matters import FACILITATOR, MOVERS, load_matter, matter_number, words_after
from linli.plugins.council.polls import (
    ANSWERS,
    KINDS,
    ballot_choices,
    cast,
    close_poll,
    load_poll,
    open_poll,
    poll_number,
    poll_text,
)
from linli.plugins.council.tables import polls, votes

__all__ = ["Voting"]

#: words for the kinds of poll in /poll, in both languages
KIND_WORDS = {
    "yesno": "yesno",
    "consent": "yesno",
    "表决": "yesno",
    "同意": "yesno",
    "single": "single",
    "单选": "single",
    "multiple": "multiple",
    "multi": "multiple",
    "多选": "multiple",
    "ranked": "ranked",
    "rank": "ranked",
    "排序": "ranked",
}
SECRET_WORDS = {"secret", "无记名", "秘密"}
ANSWER_WORDS = {
    "yes": 0,
    "y": 0,
    "agree": 0,
    "同意": 0,
    "赞成": 0,
    "no": 1,
    "n": 1,
    "disagree": 1,
    "反对": 1,
    "不同意": 1,
    "abstain": 2,
    "弃权": 2,
}
DURATION = re.compile(r"^(\d{1,3})(d|h|天|小时)$")
OPTION_SEPARATORS = re.compile(r"\s*[/|;；]\s*")


class Voting(HandlerGroup):
    """Polls from the chat."""

    @command(
        "poll",
        help=N_("Put a proposal to the vote"),
        usage=N_("NUMBER [yesno|single|multiple|ranked] [secret] [3d|48h] [OPTION / OPTION ...]"),
        roles=MOVERS,
        aliases=("发起表决",),
    )
    def poll(self, ctx: CommandContext) -> None:
        if not ctx.args:
            raise ctx.fail(
                ctx.t("Usage: /poll NUMBER [yesno|single|multiple|ranked] [secret] [3d|48h] [OPTION / OPTION ...]")
            )
        matter = load_matter(ctx, matter_number(ctx, ctx.args[0]))
        if matter.status != "proposal":
            raise ctx.fail(
                ctx.t("Only a proposal is put to the vote; first /propose {number} TEXT.", number=matter.number)
            )
        kind, secret, days, used = "yesno", False, float(ctx.config.get("poll_days", 3)), 1
        for word in ctx.args[1:]:
            low = word.lower()
            if low in KIND_WORDS:
                kind = KIND_WORDS[low]
            elif low in SECRET_WORDS:
                secret = True
            elif m := DURATION.match(low):
                days = int(m.group(1)) / (1 if m.group(2) in ("d", "天") else 24)
            else:
                break
            used += 1
        rest = words_after(ctx, used)
        options = [o for o in OPTION_SEPARATORS.split(rest) if o] if OPTION_SEPARATORS.search(rest) else rest.split()
        if kind == "yesno" and options:
            raise ctx.fail(
                ctx.t("A yes/no poll has no options of its own; for options say single, multiple or ranked.")
            )
        if days <= 0:
            raise ctx.fail(ctx.t("The closing time must be in the future."))
        question = matter.proposal or matter.title
        row = open_poll(
            ctx,
            question=question,
            kind=kind,
            options=options,
            matter_id=matter.id,
            secret=secret,
            closes_at=ctx.clock.now() + dt.timedelta(days=days),
        )
        if ctx.private or (row.room and ctx.address is not None and row.room != ctx.address.room_key):
            ctx.reply(ctx.t("Poll {number} is open.", number=row.number))

    @command("polls", help=N_("List the open polls"), aliases=("表决列表",))
    def list_polls(self, ctx: CommandContext) -> None:
        rows = ctx.store.select(polls, polls.c.status == "open", order_by=[polls.c.number])
        if not rows:
            ctx.reply(ctx.t("No poll is open."))
            return
        tz = ctx.district.timezone
        ctx.reply(
            "\n".join(
                [
                    ctx.t("Open polls:"),
                    *(
                        ctx.t(
                            "#{number} {question} · closes {when}",
                            number=r.number,
                            question=r.question,
                            when=ctx.t.datetime(r.closes_at, tz, "short"),
                        )
                        for r in rows
                    ),
                ]
            )
        )

    @command("vote", help=N_("Vote in a poll, or see it"), usage=N_("NUMBER [CHOICE ...]"), aliases=("投票",))
    def vote(self, ctx: CommandContext) -> None:
        if not ctx.args:
            raise ctx.fail(ctx.t("Usage: /vote NUMBER [CHOICE ...], for example /vote 2 yes"))
        row = load_poll(ctx, poll_number(ctx, ctx.args[0]))
        if len(ctx.args) == 1:
            self._show(ctx, row)
            return
        _secret_here(ctx, row)
        picks = _picks(ctx, row, ctx.args[1:])
        self._cast(ctx, row, picks)

    def _show(self, ctx: ConversationContext, row: Any) -> None:
        if row.status != "open" or (row.secret and not ctx.private):
            ctx.reply(poll_text(ctx, row, buttons=False))
        else:
            buttons = ballot_choices(ctx, row, anyone=not ctx.private, owner=ctx.person.id if ctx.private else None)
            ctx.reply(poll_text(ctx, row, with_tally=True), choices=buttons)

    @on_choice("vote")
    def vote_pressed(self, ctx: ChoiceContext) -> None:
        number, _, which = ctx.data.partition(":")
        row = load_poll(ctx, poll_number(ctx, number))
        _secret_here(ctx, row)
        mine = ctx.store.select(
            votes, votes.c.poll_id == row.id, votes.c.person_id == ctx.person.id, order_by=[votes.c.id]
        )
        current = list(mine[-1].choice) if mine else []
        if which == "reset":
            picks: list[int] = []
        elif (picked := parse_number(which, low=0, high=len(row.options) - 1)) is None:
            raise ctx.fail(ctx.t("Please pick one of the buttons."))
        elif row.kind == "multiple":
            i = picked
            picks = [p for p in current if p != i] if i in current else sorted([*current, i])
        elif row.kind == "ranked":
            i = picked
            if i in current:
                raise ctx.fail(
                    ctx.t("{option} is already in your ranking; press Start over to change it.", option=row.options[i])
                )
            picks = [*current, i]
        else:
            picks = [picked]
        self._cast(ctx, row, picks)

    def _cast(self, ctx: ConversationContext, row: Any, picks: list[int], objection: str = "") -> None:
        mine = ctx.store.select(
            votes, votes.c.poll_id == row.id, votes.c.person_id == ctx.person.id, order_by=[votes.c.id]
        )
        changed = bool(mine)
        shown = cast(ctx, row, ctx.person.id, picks, objection=objection)
        until = ctx.t.datetime(row.closes_at, ctx.district.timezone, "short")
        reason_only = bool(objection and mine and list(mine[-1].choice) == picks)
        if reason_only:
            # the same "no", now with its reason (or a new one): the vote itself did not change
            text = ctx.t(
                "{name}, your objection in poll {number} is recorded with your vote: {choice}. It is "
                "published with the result, without your name.",
                name=ctx.person.display_name,
                number=row.number,
                choice=shown,
            )
        elif row.kind in ("multiple", "ranked") and changed:
            text = ctx.t(
                "{name}, your ballot in poll {number} is now: {choice}. Only your latest ballot counts, until {when}.",
                name=ctx.person.display_name,
                number=row.number,
                choice=shown,
                when=until,
            )
        elif changed:
            text = ctx.t(
                "{name}, your vote in poll {number} is changed to: {choice}. Only your latest vote counts.",
                name=ctx.person.display_name,
                number=row.number,
                choice=shown,
            )
        else:
            text = ctx.t(
                "{name}, your vote in poll {number} is recorded: {choice}. You may change it until {when}.",
                name=ctx.person.display_name,
                number=row.number,
                choice=shown,
                when=until,
            )
        if row.kind == "yesno" and picks == [1] and not objection:
            text += "\n" + ctx.t("To say why, send /object {number} REASON.", number=row.number)
        elif objection and not reason_only:
            text += "\n" + ctx.t("Your objection is published with the result, without your name.")
        if mine and mine[-1].objection and not objection:
            text += "\n" + ctx.t("Your objection is withdrawn with your vote against.")
        # a hundred votes would be a hundred group messages (and Telegram allows 20 a minute in a
        # group): the voter hears it privately when they can
        if ctx.private or not ctx.send_private(ctx.person.id, text):
            ctx.reply(text)

    @command("object", help=N_("Disagree with a proposal and say why"), usage=N_("NUMBER REASON"), aliases=("异议",))
    def object(self, ctx: CommandContext) -> None:
        if len(ctx.args) < 2:
            raise ctx.fail(ctx.t("Usage: /object NUMBER REASON, for example /object 2 路灯太亮会照进卧室"))
        row = load_poll(ctx, poll_number(ctx, ctx.args[0]))
        if row.kind != "yesno":
            raise ctx.fail(
                ctx.t(
                    "Objections are for yes/no polls; poll {number} is a {kind} poll.",
                    number=row.number,
                    kind=ctx.t(KINDS[row.kind]),
                )
            )
        _secret_here(ctx, row)
        reason = ctx.checked_text(words_after(ctx, 1), empty=ctx.t("Please write a few words."), limit=500)
        self._cast(ctx, row, [1], reason)

    @command(
        "proxy",
        help=N_("Enter a vote for a resident who is offline (logged as a proxy vote)"),
        usage=N_("NUMBER NAME CHOICE"),
        roles=(FACILITATOR,),
        aliases=("代投",),
    )
    def proxy(self, ctx: CommandContext) -> None:
        if len(ctx.args) < 3:
            raise ctx.fail(ctx.t("Usage: /proxy NUMBER NAME CHOICE, for example /proxy 2 王奶奶 yes"))
        row = load_poll(ctx, poll_number(ctx, ctx.args[0]))
        if row.secret and not ctx.private:
            raise ctx.fail(
                ctx.t(
                    "Poll {number} is a secret ballot: enter the proxy vote in a private chat with me.",
                    number=row.number,
                )
            )
        voter = ctx.person_named(ctx.args[1])
        if voter is None:
            raise ctx.fail(
                ctx.t(
                    "{name} is not a resident here that I know of: they must have written in this "
                    "community's group once.",
                    name=ctx.args[1],
                )
            )
        if ctx.store.count(votes, votes.c.poll_id == row.id, votes.c.person_id == voter, votes.c.proxy_by.is_(None)):
            raise ctx.fail(
                ctx.t(
                    "{name} has voted in poll {number} themselves; a proxy vote is only for residents "
                    "who cannot vote online.",
                    name=ctx.args[1],
                    number=row.number,
                )
            )
        picks = _picks(ctx, row, ctx.args[2:])
        shown = cast(ctx, row, voter, picks, proxy_by=ctx.person.id)
        ctx.reply(
            ctx.t(
                "Proxy vote recorded in poll {number} for {name}: {choice} (entered by {by}, logged as a proxy vote).",
                number=row.number,
                name=ctx.args[1],
                choice=shown,
                by=ctx.person.display_name,
            )
        )

    @command(
        "closepoll",
        help=N_("Close a poll now and announce its result"),
        usage=N_("NUMBER"),
        roles=MOVERS,
        aliases=("结束表决",),
    )
    def closepoll(self, ctx: CommandContext) -> None:
        if len(ctx.args) != 1:
            raise ctx.fail(ctx.t("Usage: /closepoll NUMBER"))
        row = load_poll(ctx, poll_number(ctx, ctx.args[0]))
        if row.status != "open":
            raise ctx.fail(ctx.t("Poll {number} is already closed.", number=row.number))
        close_poll(ctx, row)
        if not row.room or ctx.address is None or row.room != ctx.address.room_key:
            ctx.reply(ctx.t("Poll {number} is closed; the result went to the group.", number=row.number))


def _secret_here(ctx: PluginContext, row: Any) -> None:
    if row.secret and not ctx.private:
        raise ctx.fail(
            ctx.t(
                "Poll {number} is a secret ballot: vote in a private chat with me (send /vote {number} "
                "there). Nothing was recorded here.",
                number=row.number,
            )
        )


def _picks(ctx: PluginContext, row: Any, words: tuple[str, ...] | list[str]) -> list[int]:
    """The option indexes ``words`` name: yes/no/abstain (either language), option numbers or texts."""
    picks: list[int] = []
    for word in words:
        low = word.lower()
        if row.kind == "yesno":
            index = ANSWER_WORDS.get(low)
            if index is None:
                index = next((i for i, k in enumerate(row.options) if low == ctx.t(ANSWERS[k]).lower()), None)
        elif (option := parse_number(word, high=len(row.options))) is not None:
            index = option - 1
        else:
            index = next((i for i, o in enumerate(row.options) if o == word), None)
        if index is None:
            raise ctx.fail(
                ctx.t(
                    "{word} is not a choice in poll {number}. Send /vote {number} to see the choices.",
                    word=word,
                    number=row.number,
                )
            )
        if index not in picks:
            picks.append(index)
    if row.kind in ("yesno", "single") and len(picks) != 1:
        raise ctx.fail(ctx.t("Poll {number} takes one choice.", number=row.number))
    return picks
