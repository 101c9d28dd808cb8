"""Filing a case: a resident's /mediate dialog, a mediator's /opencase, and referrals from other plugins."""

from __future__ import annotations

from typing import Any

from linli.core.plugin import (
    N_,
    Address,
    ChoiceContext,
    CommandContext,
    ConversationContext,
    DialogContext,
    EventContext,
    HandlerGroup,
    PluginContext,
    attachments_from_data,
    attachments_to_data,
    command,
    on_choice,
    on_dialog,
    on_event,
)
from linli.plugins.mediation.cases import LEAD, MEDIATOR, create_case, out_of_the_group
from linli.plugins.mediation.labels import CATEGORIES, CONTACT, SOURCES

__all__ = ["Filing"]

MAX_TEXT = 2000
#: the text steps of the dialog, in order, with their questions
QUESTIONS = {
    "other": N_("Who is the other party? (a name, a flat, or a company; send /cancel to stop)"),
    "facts": N_("What happened? Tell it in a few sentences."),
    "claims": N_("What would you like to achieve?"),
}
STEPS = list(QUESTIONS)


class Filing(HandlerGroup):
    """Handlers that open cases."""

    @command("mediate", help=N_("Ask the community's mediators for help with a dispute"), aliases=("调解",))
    def mediate(self, ctx: CommandContext) -> None:
        self._begin(ctx, {"source": "application"})

    @command("opencase", help=N_("Open a mediation case found by the team"), roles=(MEDIATOR, LEAD), aliases=("立案",))
    def opencase(self, ctx: CommandContext) -> None:
        out_of_the_group(ctx, "opencase")
        choices = [ctx.choice(ctx.t(label), "source", key) for key, label in SOURCES.items() if key != "application"]
        self._begin(ctx, {}, step="source", prompt=ctx.t("Where does this case come from?"), choices=choices)

    def _begin(
        self,
        ctx: ConversationContext,
        data: dict[str, Any],
        *,
        step: str = "category",
        prompt: str | None = None,
        choices: list[Any] | None = None,
    ) -> None:
        if prompt is None:
            prompt = ctx.t("What kind of dispute is it? Everything you tell me stays between you and the mediators.")
            choices = [ctx.choice(ctx.t(label), "category", key) for key, label in CATEGORIES.items()]
        if ctx.private:
            ctx.start_dialog("mediate", step=step, data=data, prompt=prompt, choices=choices or ())
            return
        # in the group: the questions go to the private chat, the group hears nothing of them
        private = ctx.private_address(ctx.person.id)
        if private is None:
            raise ctx.fail(
                ctx.t(
                    "Please open a private chat with me first (on the console: /dm), then send "
                    "/mediate there; a dispute is not talked about in the group."
                )
            )
        ctx.start_dialog(
            "mediate",
            step=step,
            data={**data, "origin": ctx.address.room_key if ctx.address else ""},
            prompt=prompt,
            choices=choices or (),
            address=private,
        )
        ctx.reply(ctx.t("I have written to you privately; let us continue there."))

    @on_choice("source")
    def source(self, ctx: ChoiceContext) -> None:
        data = self._dialog_data(ctx, "source")
        if ctx.data not in SOURCES:
            raise ctx.fail(ctx.t("Please pick one of the buttons."))
        ctx.continue_dialog(
            step="category",
            data={**data, "source": ctx.data},
            prompt=ctx.t("What kind of dispute is it?"),
            choices=[ctx.choice(ctx.t(label), "category", key) for key, label in CATEGORIES.items()],
        )

    @on_choice("category")
    def category(self, ctx: ChoiceContext) -> None:
        data = self._dialog_data(ctx, "category")
        if ctx.data not in CATEGORIES:
            raise ctx.fail(ctx.t("Please pick one of the buttons."))
        ctx.continue_dialog(step=STEPS[0], data={**data, "category": ctx.data}, prompt=ctx.t(QUESTIONS[STEPS[0]]))

    @on_dialog("mediate")
    def mediate_step(self, ctx: DialogContext) -> None:
        step, data = ctx.dialog.step, dict(ctx.dialog.data)
        if step not in QUESTIONS:  # typed while buttons were expected: ask again
            ctx.continue_dialog(step=step, data=data, prompt=ctx.t("Please pick one of the buttons above."))
            return
        # photos and files sent along the way are the case's evidence once it exists
        files = [*data.get("files", []), *attachments_to_data(ctx.attachments)]
        if files:
            data["files"] = files
        if not ctx.text.strip() and ctx.attachments:
            ctx.continue_dialog(
                step=step,
                data=data,
                prompt=ctx.t("Got it; it will be kept as evidence.") + "\n" + ctx.t(QUESTIONS[step]),
            )
            return
        data[step] = _checked(ctx, ctx.text)
        following = STEPS.index(step) + 1
        if following < len(STEPS):
            nxt = STEPS[following]
            ctx.continue_dialog(step=nxt, data=data, prompt=ctx.t(QUESTIONS[nxt]))
        else:
            ctx.continue_dialog(
                step="contact",
                data=data,
                prompt=ctx.t("How would you like to be contacted?"),
                choices=[ctx.choice(ctx.t(label), "contact", key) for key, label in CONTACT.items()],
            )

    @on_choice("contact")
    def contact(self, ctx: ChoiceContext) -> None:
        data = self._dialog_data(ctx, "contact")
        if ctx.data not in CONTACT:
            raise ctx.fail(ctx.t("Please pick one of the buttons."))
        source = data.get("source", "application")
        applicant = ctx.person.id if source == "application" else None
        number = create_case(
            ctx,
            source=source,
            category=data["category"],
            applicant=applicant,
            other_party=data["other"],
            facts=data["facts"],
            claims=data["claims"],
            contact=ctx.data,
        )
        ctx.end_dialog()
        # its evidence so far, and what the person sends in the next minutes
        attached = ctx.accept_attachments(
            number, ctx.t("mediation case {number}", number=number), attachments_from_data(data.get("files"))
        )
        if attached:
            ctx.reply(ctx.t("{count} file(s) kept as evidence of case {number}.", count=attached, number=number))
        if applicant is not None:
            ctx.reply(
                ctx.t(
                    "Your request is registered as mediation case {number}. A mediator will write to you "
                    "here. Mediation is voluntary and free; what is said stays within the case. Send "
                    "/case {number} to see it.",
                    number=number,
                )
            )
        else:
            ctx.reply(
                ctx.t(
                    "Mediation case {number} is open. Add the parties with /addparty {number} NAME and "
                    "take it with /take {number}.",
                    number=number,
                )
            )
        origin = data.get("origin")
        if origin:
            ctx.send(Address.parse(origin), ctx.t("A mediation case was filed: number {number}.", number=number))

    def _dialog_data(self, ctx: ConversationContext, step: str) -> dict[str, Any]:
        if ctx.dialog is None or ctx.dialog.name != "mediate" or ctx.dialog.step != step:
            raise ctx.fail(ctx.t("That request was already filed or cancelled. Send /mediate to start again."))
        return dict(ctx.dialog.data)

    @on_event("mediation.referral")
    def referral(self, ctx: EventContext) -> None:
        """Another plugin refers a matter: ``{"source", "category", "summary", "claims", "person_ids", "grid",
        "reference"}``. The summary is what the case is about; without ``claims`` it is the claims
        summary (诉求摘要) of the ledger too, which is never left empty."""
        payload = ctx.event.payload
        source = payload.get("source", "council")
        category = payload.get("category", "other")
        people = payload.get("person_ids", [])
        if (
            source not in SOURCES
            or category not in CATEGORIES
            or not isinstance(people, list)
            or not all(isinstance(p, int) for p in people)
        ):
            ctx.log.warning("mediation referral refused: bad payload", source_plugin=ctx.event.source_plugin)
            return
        summary = str(payload.get("summary", ""))[:MAX_TEXT]
        claims = str(payload.get("claims") or summary)[:MAX_TEXT]
        number = create_case(
            ctx,
            source=source,
            category=category,
            applicant=None,
            facts=summary,
            claims=claims,
            grid=str(payload.get("grid", ""))[:64],
            reference=str(payload.get("reference", ""))[:64],
            parties=people,
        )
        for pid in people:
            t = ctx.translator_for(pid)
            ctx.send_private(
                pid,
                t(
                    "Your matter was passed to the community's mediators as mediation case "
                    "{number}. Mediation is voluntary and free; a mediator will write to you here.",
                    number=number,
                ),
            )


def _checked(ctx: PluginContext, text: str) -> str:
    return ctx.checked_text(text, empty=ctx.t("Please write a few words."), limit=MAX_TEXT)
