"""认领 — adoptions: a register of adoptable things (green plots, flower beds, a stair section),
residents' applications, the agreement (绿地认领协议) with its term and duties, inspections,
reminders before the term ends, lapse and renewal."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

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
    parse_number,
    scheduled,
)
from linli.plugins.council._community import add_months, notify_council, number, tell
from linli.plugins.council.community_tables import adoptables, adoptions, inspections
from linli.plugins.council.matters import MOVERS, words_after

__all__ = ["ENDINGS", "KINDS", "STATES", "Adoptions", "current_adoption", "ending_text"]

# TRANSLATORS: kinds of things residents can adopt (认领)
KINDS = {
    "plot": N_("green plot"),
    "bed": N_("flower bed"),
    "stairs": N_("stair section"),
    "other": N_("other"),
}
# TRANSLATORS: states of an adoption (认领)
STATES = {
    "applied": N_("applied for"),
    "offered": N_("agreement offered"),
    "active": N_("adopted"),
    "declined": N_("declined"),
    "lapsed": N_("lapsed"),
    "ended": N_("ended"),
}
# TRANSLATORS: why an adoption ended, in the remarks of the adoptions ledger
ENDINGS = {
    "council_declined": N_("turned down by the council"),
    "applicant_declined": N_("declined by the applicant"),
    "term_ended": N_("term ended"),
    "forgotten": N_("the adopter asked to be forgotten"),
}
#: what versions before the codes stored, in English, for the same endings
_OLD_ENDINGS = {str(label): code for code, label in ENDINGS.items()}


def ending_text(t: Any, note: str) -> str:
    """An adoption's note in words: an ending code (or the English an older version stored for it)
    in ``t``'s language; a reason a council member wrote, as written."""
    code = _OLD_ENDINGS.get(note, note)
    return str(t(ENDINGS[code])) if code in ENDINGS else note


#: an application or agreement that holds the thing: nobody else may apply meanwhile
CURRENT = ("applied", "offered", "active")
#: how many things one /newadoptable may register (one per line)
MAX_REGISTER = 200
DEFAULT_DUTIES = N_(
    "Water and weed it, keep it free of litter, plant flowers rather than vegetables, and tell the "
    "council if you can no longer look after it."
)


def current_adoption(ctx: PluginContext, thing_id: int) -> Any:
    """The application or agreement that holds the thing now, or None."""
    rows = ctx.store.select(
        adoptions,
        adoptions.c.adoptable_id == thing_id,
        adoptions.c.status.in_(CURRENT),
        order_by=[adoptions.c.id.desc()],
        limit=1,
    )
    return rows[0] if rows else None


class Adoptions(HandlerGroup):
    """Handlers of the adoption register."""

    # --- the register ---------------------------------------------------------------------

    @command(
        "adoptables", help=N_("List the green plots, flower beds and other things you can adopt"), aliases=("认领清单",)
    )
    def list_adoptables(self, ctx: CommandContext) -> None:
        things = ctx.store.select(adoptables, order_by=[adoptables.c.number])
        if not things:
            ctx.reply(ctx.t("Nothing is registered for adoption yet."))
            return
        lines = [ctx.t("Things to adopt (send /adopt NUMBER to apply):")]
        for thing in things:
            lines.append(self._adoptable_line(ctx, thing, current_adoption(ctx, thing.id)))
        ctx.reply("\n".join(lines))

    def _adoptable_line(self, ctx: PluginContext, thing: Any, held: Any) -> str:
        if held is None:
            state = ctx.t("free to adopt")
        elif held.status == "active":
            state = ctx.t("adopted until {date}", date=held.ends_on.isoformat())
        else:
            state = ctx.t(STATES[held.status])
        return ctx.t(
            "#{number} {kind}: {name} · {state}",
            number=thing.number,
            kind=ctx.t(KINDS[thing.kind]),
            name=thing.name,
            state=state,
        )

    @command(
        "newadoptable",
        help=N_("Register a thing residents can adopt"),
        usage=N_("KIND NAME"),
        roles=MOVERS,
        aliases=("登记认领",),
    )
    def new_adoptable(self, ctx: CommandContext) -> None:
        kinds = "、".join(f"{key} ({ctx.t(label)})" for key, label in KINDS.items())
        usage = ctx.t(
            "Usage: /newadoptable KIND NAME, for example /newadoptable plot 3号楼东侧绿地 (several at once: "
            "one KIND NAME per line); kinds: {kinds}",
            kinds=kinds,
        )
        lines = [line.split(None, 1) for line in ctx.argtext.splitlines() if line.strip()]
        if not lines or len(lines) > MAX_REGISTER or any(len(words) < 2 for words in lines):
            raise ctx.fail(usage)
        first = (ctx.store.execute(sa.select(sa.func.max(adoptables.c.number))).scalar() or 0) + 1
        added, seen = [], set()
        for n, (word, rest) in enumerate(lines, start=first):
            kind = next((k for k, v in KINDS.items() if word.lower() in (k, ctx.t(v).lower())), None)
            if kind is None:
                raise ctx.fail(ctx.t("Unknown kind {kind}; kinds: {kinds}", kind=word, kinds=kinds))
            name = ctx.checked_text(rest, empty=ctx.t("Please give it a name."), limit=200)
            if name in seen or ctx.store.count(adoptables, adoptables.c.name == name):
                raise ctx.fail(ctx.t("{name} is already in the register.", name=name))
            seen.add(name)
            ctx.store.insert(
                adoptables,
                number=n,
                kind=kind,
                name=name,
                created_by=ctx.person.id if ctx.person else None,
                created_at=ctx.clock.now(),
            )
            ctx.audit("council.adoptable_added", f"adoptable:{n}", kind=kind)
            added.append(ctx.t("#{number} {kind}: {name}", number=n, kind=ctx.t(KINDS[kind]), name=name))
        if len(added) == 1:
            ctx.reply(ctx.t("Registered for adoption: {things}.", things=added[0]))
        else:
            ctx.reply("\n".join([ctx.t("Registered for adoption: {count} things.", count=len(added)), *added]))

    def _adoptable(self, ctx: CommandContext, usage: str) -> Any:
        if not ctx.args:
            raise ctx.fail(usage)
        n = number(ctx, ctx.args[0], usage)
        thing = ctx.store.get(adoptables, adoptables.c.number == n)
        if thing is None:
            raise ctx.fail(
                ctx.t("There is no adoptable thing {number} here. Send /adoptables to see the register.", number=n)
            )
        return thing

    # --- applying ---------------------------------------------------------------------------

    @command(
        "adopt",
        help=N_("Apply to adopt a green plot, flower bed or other thing"),
        usage=N_("NUMBER"),
        aliases=("认领",),
    )
    def apply_adoption(self, ctx: CommandContext) -> None:
        thing = self._adoptable(
            ctx, ctx.t("Usage: /adopt NUMBER, for example /adopt 3 (send /adoptables for the numbers)")
        )
        held = current_adoption(ctx, thing.id)
        if held is not None and held.person_id == ctx.person.id:
            if held.status != "active":
                raise ctx.fail(
                    ctx.t(
                        "You have already applied for #{number}; the council will send you the agreement.",
                        number=thing.number,
                    )
                )
            self._ask_renewal(ctx, thing, held)
            return
        if held is not None:
            raise ctx.fail(
                ctx.t(
                    "#{number} {name} is already {state}; please pick another one from /adoptables.",
                    number=thing.number,
                    name=thing.name,
                    state=ctx.t(STATES[held.status]),
                )
            )
        ctx.store.insert(
            adoptions, adoptable_id=thing.id, person_id=ctx.person.id, status="applied", applied_at=ctx.clock.now()
        )
        ctx.audit("council.adoption_applied", f"adoptable:{thing.number}")
        months = int(ctx.config.get("adoption_months", 12))
        notify_council(
            ctx,
            ctx.t(
                "{name} applies to adopt #{number} {thing}. Send /offer {number} to offer the "
                "agreement ({months} months by default), or press a button.",
                name=ctx.person.display_name,
                number=thing.number,
                thing=thing.name,
                months=months,
            ),
            choices=[
                ctx.choice(ctx.t("Offer the agreement"), "adoption_offer", str(thing.number), anyone=True),
                ctx.choice(ctx.t("Turn it down"), "adoption_refuse", str(thing.number), anyone=True),
            ],
        )
        ctx.reply(
            ctx.t(
                "Thank you! Your application for #{number} {name} is registered; the council will send you "
                "the adoption agreement.",
                number=thing.number,
                name=thing.name,
            )
        )

    def _ask_renewal(self, ctx: ConversationContext, thing: Any, held: Any) -> None:
        if held.renewal_asked:
            raise ctx.fail(
                ctx.t("You have already asked to renew #{number}; the council will answer.", number=thing.number)
            )
        ctx.store.update(adoptions, adoptions.c.id == held.id, renewal_asked=True)
        notify_council(
            ctx,
            ctx.t(
                "{name} would like to renew the adoption of #{number} {thing} (until {date}). "
                "Send /renew {number} to renew it.",
                name=ctx.person.display_name,
                number=thing.number,
                thing=thing.name,
                date=held.ends_on.isoformat(),
            ),
        )
        ctx.reply(ctx.t("Your wish to renew #{number} was passed to the council.", number=thing.number))

    # --- the agreement ------------------------------------------------------------------------

    @command(
        "offer",
        help=N_("Offer the adoption agreement to the applicant"),
        usage=N_("NUMBER [MONTHS] [DUTIES]"),
        roles=MOVERS,
        aliases=("认领协议",),
    )
    def offer_adoption(self, ctx: CommandContext) -> None:
        thing = self._adoptable(ctx, ctx.t("Usage: /offer NUMBER [MONTHS] [DUTIES], for example /offer 3 12"))
        months = int(ctx.config.get("adoption_months", 12))
        rest = 1
        if len(ctx.args) > 1 and parse_number(ctx.args[1]) is not None:
            months, rest = ctx.number(ctx.args[1]), 2
            if not 1 <= months <= 60:
                raise ctx.fail(ctx.t("The term is between 1 and 60 months."))
        duties = words_after(ctx, rest) or str(ctx.config.get("adoption_duties", "") or "")
        self._offer_adoption(ctx, thing, months, duties)

    @on_choice("adoption_offer", roles=MOVERS)
    def offer_adoption_button(self, ctx: ChoiceContext) -> None:
        thing = self._adoptable_from_data(ctx)
        self._offer_adoption(
            ctx, thing, int(ctx.config.get("adoption_months", 12)), str(ctx.config.get("adoption_duties", "") or "")
        )

    def _adoptable_from_data(self, ctx: ChoiceContext) -> Any:
        thing = ctx.store.get(adoptables, adoptables.c.number == (parse_number(ctx.data) or 0))
        if thing is None:
            raise ctx.fail(ctx.t("That is no longer in the register."))
        return thing

    def _offer_adoption(self, ctx: PluginContext, thing: Any, months: int, duties: str) -> None:
        held = current_adoption(ctx, thing.id)
        if held is None or held.status not in ("applied", "offered"):
            raise ctx.fail(ctx.t("Nobody is waiting for an agreement for #{number}.", number=thing.number))
        if len(duties) > 1000:
            raise ctx.fail(ctx.t("Please keep the duties under 1000 characters."))
        ctx.store.update(
            adoptions,
            adoptions.c.id == held.id,
            status="offered",
            months=months,
            duties=duties,
            offered_by=ctx.person.id if ctx.person else None,
        )
        ctx.audit("council.adoption_offered", f"adoptable:{thing.number}", months=months)
        t = ctx.translator_for(held.person_id)
        text = agreement_text(t, thing, months, duties)
        buttons = [
            ctx.choice(t("I sign the agreement"), "adoption_sign", str(held.id), owner=held.person_id),
            ctx.choice(t("I decline"), "adoption_decline", str(held.id), owner=held.person_id),
        ]
        if not ctx.send_private(held.person_id, text, choices=buttons):
            ctx.reply(text, choices=buttons)
        name = ctx.display_names([held.person_id]).get(held.person_id, "")
        ctx.reply(ctx.t("The agreement for #{number} was sent to {name} to sign.", number=thing.number, name=name))

    @on_choice("adoption_refuse", roles=MOVERS)
    def refuse_adoption_button(self, ctx: ChoiceContext) -> None:
        thing = self._adoptable_from_data(ctx)
        held = current_adoption(ctx, thing.id)
        if held is None or held.status not in ("applied", "offered"):
            raise ctx.fail(ctx.t("Nobody is waiting for an agreement for #{number}.", number=thing.number))
        self._end_adoption(ctx, held, "declined", "council_declined")
        tell(
            ctx,
            held.person_id,
            N_(
                "Sorry, the council could not give you #{number} {name} this time; send "
                "/adoptables to see what else is free."
            ),
            number=thing.number,
            name=thing.name,
        )
        ctx.reply(ctx.t("The application for #{number} was turned down.", number=thing.number))

    @on_choice("adoption_sign")
    def sign_adoption(self, ctx: ChoiceContext) -> None:
        held, thing = self._offered_adoption(ctx)
        today = ctx.now().date()
        ends = add_months(today, held.months) - dt.timedelta(days=1)
        ctx.store.update(
            adoptions,
            adoptions.c.id == held.id,
            status="active",
            signed_at=ctx.clock.now(),
            starts_on=today,
            ends_on=ends,
        )
        ctx.audit("council.adoption_signed", f"adoptable:{thing.number}", ends_on=ends.isoformat())
        name = ctx.person.display_name if ctx.person else ""
        notify_council(
            ctx,
            ctx.t(
                "{name} signed the adoption agreement for #{number} {thing}, until {date}.",
                name=name,
                number=thing.number,
                thing=thing.name,
                date=ends.isoformat(),
            ),
        )
        ctx.reply(
            ctx.t(
                "Thank you! #{number} {name} is yours to look after from {start} until {end}.",
                number=thing.number,
                name=thing.name,
                start=today.isoformat(),
                end=ends.isoformat(),
            )
        )

    @on_choice("adoption_decline")
    def decline_adoption(self, ctx: ChoiceContext) -> None:
        held, thing = self._offered_adoption(ctx)
        self._end_adoption(ctx, held, "declined", "applicant_declined")
        notify_council(
            ctx,
            ctx.t(
                "The applicant declined the adoption agreement for #{number}; it is free again.", number=thing.number
            ),
        )
        ctx.reply(ctx.t("All right, #{number} stays free for others.", number=thing.number))

    def _offered_adoption(self, ctx: ChoiceContext) -> tuple[Any, Any]:
        held = ctx.store.get(adoptions, adoptions.c.id == (parse_number(ctx.data) or 0))
        if held is None or held.status != "offered" or ctx.person is None or held.person_id != ctx.person.id:
            raise ctx.fail(ctx.t("This agreement is no longer waiting for your answer."))
        thing = ctx.store.get(adoptables, adoptables.c.id == held.adoptable_id)
        return held, thing

    def _end_adoption(self, ctx: PluginContext, held: Any, status: str, note: str) -> None:
        ctx.store.update(adoptions, adoptions.c.id == held.id, status=status, closed_at=ctx.clock.now(), note=note)

    # --- looking after it ---------------------------------------------------------------------

    def _adopted(self, ctx: CommandContext, usage: str) -> tuple[Any, Any]:
        thing = self._adoptable(ctx, usage)
        held = current_adoption(ctx, thing.id)
        if held is None or held.status != "active":
            raise ctx.fail(
                ctx.t("#{number} {name} is not adopted at the moment.", number=thing.number, name=thing.name)
            )
        return thing, held

    @command(
        "inspect",
        help=N_("Note an inspection of an adopted thing"),
        usage=N_("NUMBER NOTE"),
        roles=MOVERS,
        aliases=("巡查",),
    )
    def inspect_adoption(self, ctx: CommandContext) -> None:
        usage = ctx.t("Usage: /inspect NUMBER NOTE, for example /inspect 3 花开得很好")
        thing, held = self._adopted(ctx, usage)
        note = ctx.checked_text(words_after(ctx, 1), empty=usage, limit=1000)
        ctx.store.insert(
            inspections, adoption_id=held.id, by=ctx.person.id if ctx.person else None, note=note, at=ctx.clock.now()
        )
        ctx.audit("council.adoption_inspected", f"adoptable:{thing.number}")
        tell(
            ctx,
            held.person_id,
            N_("Inspection of #{number} {name}: {note}"),
            number=thing.number,
            name=thing.name,
            note=note,
        )
        ctx.reply(ctx.t("Inspection of #{number} noted.", number=thing.number))

    @command(
        "renew", help=N_("Renew an adoption agreement"), usage=N_("NUMBER [MONTHS]"), roles=MOVERS, aliases=("续期",)
    )
    def renew_adoption(self, ctx: CommandContext) -> None:
        usage = ctx.t("Usage: /renew NUMBER [MONTHS], for example /renew 3 12")
        thing, held = self._adopted(ctx, usage)
        months = int(ctx.config.get("adoption_months", 12))
        if len(ctx.args) > 1:
            months = number(ctx, ctx.args[1], usage)
            if months > 60:
                raise ctx.fail(ctx.t("The term is between 1 and 60 months."))
        ends = add_months(held.ends_on + dt.timedelta(days=1), months) - dt.timedelta(days=1)
        ctx.store.update(
            adoptions,
            adoptions.c.id == held.id,
            ends_on=ends,
            months=(held.months or 0) + months,
            renewals=held.renewals + 1,
            renewal_asked=False,
            reminded_on=None,
        )
        ctx.audit("council.adoption_renewed", f"adoptable:{thing.number}", ends_on=ends.isoformat())
        tell(
            ctx,
            held.person_id,
            N_("Your adoption of #{number} {name} is renewed until {date}. Thank you!"),
            number=thing.number,
            name=thing.name,
            date=ends.isoformat(),
        )
        ctx.reply(
            ctx.t("The adoption of #{number} is renewed until {date}.", number=thing.number, date=ends.isoformat())
        )

    @command(
        "endadoption",
        help=N_("End an adoption before its term"),
        usage=N_("NUMBER REASON"),
        roles=MOVERS,
        aliases=("终止认领",),
    )
    def end_adoption(self, ctx: CommandContext) -> None:
        usage = ctx.t("Usage: /endadoption NUMBER REASON, for example /endadoption 3 认领人搬走了")
        thing = self._adoptable(ctx, usage)
        reason = ctx.checked_text(words_after(ctx, 1), empty=usage, limit=500)
        held = current_adoption(ctx, thing.id)
        if held is None:
            raise ctx.fail(
                ctx.t("#{number} {name} is not adopted at the moment.", number=thing.number, name=thing.name)
            )
        self._end_adoption(ctx, held, "ended", reason)
        ctx.audit("council.adoption_ended", f"adoptable:{thing.number}")
        tell(
            ctx,
            held.person_id,
            N_("Your adoption of #{number} {name} was ended by the council: {reason}"),
            number=thing.number,
            name=thing.name,
            reason=reason,
        )
        ctx.reply(ctx.t("The adoption of #{number} has ended; it is free to adopt again.", number=thing.number))

    # --- the end of the term ---------------------------------------------------------------------

    @scheduled("adoptions", "0 9 * * *")
    def adoption_terms(self, ctx: JobContext) -> None:
        """Each morning: remind adopters whose term ends soon; let lapse those whose term has ended."""
        today = (ctx.fire_time or ctx.now()).date()
        ahead = dt.timedelta(days=int(ctx.config.get("adoption_reminder_days", 30)))
        things = {r.id: r for r in ctx.store.select(adoptables)}
        for held in ctx.store.select(adoptions, adoptions.c.status == "active", order_by=[adoptions.c.id]):
            thing = things[held.adoptable_id]
            if held.ends_on < today:
                self._end_adoption(ctx, held, "lapsed", "term_ended")
                tell(
                    ctx,
                    held.person_id,
                    N_(
                        "Your adoption of #{number} {name} ended on {date}. Thank you for "
                        "looking after it! Send /adopt {number} if you would like it again."
                    ),
                    number=thing.number,
                    name=thing.name,
                    date=held.ends_on.isoformat(),
                )
                notify_council(
                    ctx,
                    ctx.t(
                        "The adoption of #{number} {name} lapsed on {date}; it is free to adopt again.",
                        number=thing.number,
                        name=thing.name,
                        date=held.ends_on.isoformat(),
                    ),
                )
            elif held.reminded_on is None and held.ends_on - ahead <= today:
                ctx.store.update(adoptions, adoptions.c.id == held.id, reminded_on=today)
                t = ctx.translator_for(held.person_id) if held.person_id is not None else ctx.t
                tell(
                    ctx,
                    held.person_id,
                    N_(
                        "Your adoption of #{number} {name} ends on {date}. Would you like to "
                        "renew it? Press the button or send /adopt {number}."
                    ),
                    number=thing.number,
                    name=thing.name,
                    date=held.ends_on.isoformat(),
                    choices=[
                        ctx.choice(t("I would like to renew"), "adoption_renew", str(held.id), owner=held.person_id)
                    ],
                )
                notify_council(
                    ctx,
                    ctx.t(
                        "The adoption of #{number} {name} ends on {date}.",
                        number=thing.number,
                        name=thing.name,
                        date=held.ends_on.isoformat(),
                    ),
                )

    @on_choice("adoption_renew")
    def renew_adoption_button(self, ctx: ChoiceContext) -> None:
        held = ctx.store.get(adoptions, adoptions.c.id == (parse_number(ctx.data) or 0))
        if held is None or held.status != "active" or ctx.person is None or held.person_id != ctx.person.id:
            raise ctx.fail(ctx.t("This adoption has already ended; send /adoptables to apply again."))
        thing = ctx.store.get(adoptables, adoptables.c.id == held.adoptable_id)
        self._ask_renewal(ctx, thing, held)


def agreement_text(t: Any, thing: Any, months: int, duties: str) -> str:
    """The adoption agreement as the applicant reads it."""
    return str(
        t(
            "Adoption agreement for #{number} {kind}: {name}\nTerm: {months} months from the day you sign\n"
            "Duties: {duties}\nThe council inspects now and then; before the term ends you will be asked "
            "whether you would like to renew.",
            number=thing.number,
            kind=t(KINDS[thing.kind]),
            name=thing.name,
            months=months,
            duties=duties or t(DEFAULT_DUTIES),
        )
    )
