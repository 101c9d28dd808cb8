"""The basics plugin, which every district has: help, identity, language and the privacy commands.

Like every plugin it uses the public plugin API only: the person's own record in the
core tables through ``ctx.account()``.
"""

from __future__ import annotations

from linli.core.plugin import (
    CONSENT_REQUIRED,
    N_,
    PERSON_MERGED,
    ChoiceContext,
    CommandContext,
    Config,
    ConsentRecord,
    EventContext,
    HandlerGroup,
    Manifest,
    Plugin,
    PluginContext,
    RoleSpec,
    Translator,
    command,
    on_choice,
    on_event,
    parse_number,
)

LANGUAGES = {
    "zh": "zh_CN",
    "zh_cn": "zh_CN",
    "zh-cn": "zh_CN",
    "中文": "zh_CN",
    "en": "en",
    "english": "en",
    "英文": "en",
    "英语": "en",
}

#: what a person may ask us to forget; the audit log and consent records are kept:
#: they are the archive the law requires us to be able to show.
PRIVACY_NOTICE = N_(
    "Privacy notice (version {version})\n"
    "linli keeps what you say to it here so that your community can act on it: your name as this chat "
    "shows it, the matters, requests and cases you raise, and your role if the community gives you one. "
    "It does not ask for your phone or ID number in a group, and never shows them there. Only the people "
    "who handle your matter can see its details, and every look at sensitive records is logged.\n"
    "You can see what linli holds about you with /mydata, and have it deleted with /forgetme.\n"
    "Do you agree?"
)


def _consent_line(t: Translator, consent: ConsentRecord, timezone: str) -> str:
    state = t("agreed") if consent.granted else t("refused")
    return f"{state} v{consent.version} {t.datetime(consent.at, timezone, 'short')}"


class Identity(HandlerGroup):
    """Help, who you are, language."""

    # "start": what Telegram sends when someone first opens the bot or a link to it
    @command("help", help=N_("Show what you can do here"), aliases=("帮助", "start"), before_consent=True)
    def help(self, ctx: CommandContext) -> None:
        t = ctx.t
        lines = [t("{district}: what you can do here", district=ctx.district.name)]
        for _plugin, spec in sorted(ctx.available(), key=lambda p: (p[0] != "basics", p[0], p[1].name)):
            usage = f" {t(spec.usage)}" if spec.usage else ""
            lines.append(f"/{spec.name}{usage} — {t(spec.help)}")
        lines.append(t("Send /cancel to stop a conversation half-way."))
        ctx.reply("\n".join(lines))

    @command("whoami", help=N_("Show who linli thinks you are, and your roles here"), aliases=("我是谁",))
    def whoami(self, ctx: CommandContext) -> None:
        t = ctx.t
        roles = [
            ctx.role_name(role) + (f" ({', '.join(sorted(x for x in scopes if x))})" if any(scopes) else "")
            for role, scopes in sorted(ctx.roles.items())
        ]
        ctx.reply(
            "\n".join(
                [
                    t(
                        "You are {name} (person #{id}) in {district}.",
                        name=ctx.person.display_name,
                        id=ctx.person.id,
                        district=ctx.district.name,
                    ),
                    t("Your roles here: {roles}", roles=t.join(roles) if roles else t("resident")),
                    t("Language: {language}", language=t.language_name(ctx.language)),
                    *self._districts(ctx),
                ]
            )
        )

    def _districts(self, ctx: CommandContext) -> list[str]:
        """The communities the person is a member of, and why; how to switch when several."""
        t = ctx.t
        why = {
            "room": t("its group"),
            "household": t("your household"),
            "role": t("your role"),
            "staff": t("added by staff"),
            "migrated": t("its group"),
        }
        held = ctx.account().districts()
        lines = (
            [
                t(
                    "Your communities: {districts}",
                    districts=t.join(
                        t(
                            "{name} ({id}, through {why})",
                            name=d.name,
                            id=d.district_id,
                            why=t.join(dict.fromkeys(why[x] for x in d.sources)),
                        )
                        for d in held
                    ),
                )
            ]
            if held
            else []
        )
        if len(held) > 1:
            lines.append(t("In a private chat with me, send /start and a community's id to talk about that one."))
        return lines

    @command(
        "lang",
        help=N_("Choose your language: /lang zh or /lang en"),
        usage=N_("zh|en"),
        aliases=("语言",),
        before_consent=True,
    )
    def lang(self, ctx: CommandContext) -> None:
        wanted = LANGUAGES.get(ctx.argtext.strip().lower())
        if wanted is None:
            raise ctx.fail(ctx.t("Which language? Send /lang zh for Chinese or /lang en for English."))
        ctx.account().set_language(wanted)
        t = ctx.in_language(wanted)
        ctx.reply(t("From now on I will answer you in English."))

    # --- the register ---------------------------------------------------------------------

    @command(
        "link",
        help=N_("Link your account to your household with the code your captain gave you"),
        usage=N_("LINK-CODE"),
        aliases=("绑定",),  # both in linli.core.register.api.LINK_COMMANDS
        # how a registered resident joins: it runs with the privacy notice on first contact,
        # so that the notice's buttons then belong to the district the code made them part of
        before_consent=True,
    )
    def link(self, ctx: CommandContext) -> None:
        code = ctx.argtext.strip()
        if not code:
            raise ctx.fail(ctx.t("Send /link followed by the code your captain gave you, e.g. /link 7KQ4M2XA."))
        chat_person = ctx.person.id
        identity = ctx.inbound.sender.identity
        resident = ctx.registry.redeem_link_code(code, chat_person, identity)
        if resident.person_id != chat_person:
            ctx.publish(PERSON_MERGED, {"from": chat_person, "into": resident.person_id})
        ctx.reply(
            ctx.t(
                "Done: your account is now linked to your entry in the community's register. "
                "Your captain no longer needs to act for you."
            )
        )

    # --- the dashboard ----------------------------------------------------------------------

    @command(
        "web",
        help=N_("Get a one-time link to open the dashboard in a browser"),
        aliases=("网页", "看板"),
        where="private",
    )
    def web(self, ctx: CommandContext) -> None:
        minutes = ctx.web_link_minutes
        token = ctx.account().web_login(now=ctx.clock.now(), minutes=minutes)
        ctx.audit("web.link_issued")
        url = f"{ctx.web_url}/login/{token}"
        ctx.reply(
            ctx.t(
                "Open this link within {minutes} minutes to see the dashboard. It works once, and only for you: "
                "do not pass it on.\n{url}",
                minutes=minutes,
                url=url,
            )
        )


class Privacy(HandlerGroup):
    """The privacy notice, consent, what linli holds about you, and forgetting you."""

    @on_event(CONSENT_REQUIRED)
    def consent_required(self, ctx: EventContext) -> None:
        if ctx.person is not None:  # shown now: the next message is no longer a first contact
            ctx.account().notice_shown()
        self._notice(ctx)

    @command(
        "privacy",
        help=N_("Read the privacy notice and give or withdraw consent"),
        aliases=("隐私",),
        before_consent=True,
    )
    def privacy(self, ctx: CommandContext) -> None:
        self._notice(ctx)

    def _notice(self, ctx: PluginContext) -> None:
        version = ctx.notice_version
        ctx.reply(
            ctx.t(PRIVACY_NOTICE, version=version),
            choices=[
                ctx.choice(ctx.t("I agree"), "consent", f"yes:{version}"),
                ctx.choice(ctx.t("I do not agree"), "consent", f"no:{version}"),
            ],
        )

    @on_choice("consent", before_consent=True)
    def consent(self, ctx: ChoiceContext) -> None:
        answer, _, version = ctx.data.partition(":")
        granted = answer == "yes"
        account = ctx.account()
        # someone who agreed before (to this notice or an older one) may have matters, cases and
        # votes stored: withdrawing stops what comes next, it does not delete what is there
        agreed_before = any(c.granted for c in account.data().consents)
        account.record_consent(parse_number(version) or 1, granted)
        ctx.audit("privacy.consent" if granted else "privacy.refuse", f"notice:{version}")
        if granted:
            ctx.reply(ctx.t("Thank you. Send /help to see what you can do here."))
        elif agreed_before:
            ctx.reply(
                ctx.t(
                    "Understood: your consent is withdrawn. linli takes in nothing new from you until you agree "
                    "again (send /privacy if you change your mind). What it already holds about you (your name "
                    "and accounts, and the suggestions, matters, cases and votes you took part in) stays until "
                    "you have it deleted with /forgetme; /mydata shows what that is."
                )
            )
        else:
            ctx.reply(
                ctx.t(
                    "Understood. linli takes in nothing you say until you agree; it keeps only your name and "
                    "account as this chat shows them, and this answer. Send /privacy if you change your mind, "
                    "or /forgetme to delete your name and account as well."
                )
            )

    @command(
        "mydata", help=N_("See what linli holds about you"), aliases=("我的数据",), before_consent=True, where="private"
    )
    def mydata(self, ctx: CommandContext) -> None:
        t = ctx.t
        person_id = ctx.person.id
        held = ctx.account().data()
        lines = [
            t("What linli holds about you:"),
            t("Name: {name}; person #{id}", name=ctx.person.display_name, id=person_id),
            t("Accounts: {accounts}", accounts=", ".join(held.identities)),
            t(
                "Language: {language}",
                language=t.language_name(ctx.person.language) if ctx.person.language else t("the community's default"),
            ),
            t(
                "Roles: {roles}",
                roles=", ".join(f"{g.district_id}/{g.role}{'@' + g.scope if g.scope else ''}" for g in held.roles)
                or t("none"),
            ),
            t(
                "Consents: {consents}",
                consents="; ".join(_consent_line(t, c, ctx.district.timezone) for c in held.consents) or t("none"),
            ),
        ]
        if held.files:
            lines.append(t("Files you sent ({count}):", count=len(held.files)))
            lines += [
                "· "
                + t(
                    "{file}, {when}, key {key}",
                    file=ctx.describe_file(f),
                    when=t.datetime(f.created_at, ctx.district.timezone, "short"),
                    key=f.sha256[:12],
                )
                + (f" → {f.plugin} {f.subject}" if f.plugin else "")
                for f in held.files
            ]
        else:
            lines.append(t("Files you sent: none"))
        reg = ctx.registry
        resident = reg.resident(person_id)
        if resident is not None:
            household = reg.household_of(person_id)
            building = reg.building_by_id(household.building_id) if household else None
            lines.append(
                t(
                    "In the community's register: {name}, household {household} of building {building}",
                    name=resident.name,
                    household=household.label if household else "-",
                    building=building.code if building else "-",
                )
            )
        lines.append(t("Each service of your community tells you below what it holds."))
        ctx.reply("\n".join(lines))
        ctx.audit("privacy.access", f"person:{person_id}")
        ctx.publish("linli.data_request", {"person_id": person_id})

    @command("forgetme", help=N_("Delete what linli holds about you"), aliases=("删除我的数据",), before_consent=True)
    def forgetme(self, ctx: CommandContext) -> None:
        ctx.reply(
            ctx.t(
                "This deletes your name, accounts, language, open conversations and the photos and files "
                "you sent from linli, and asks "
                "every service of your community to delete what it holds about you. Records the law requires "
                "us to keep (the audit log, your consent records, closed mediation agreements) are kept "
                "without your name. It cannot be undone. Go ahead?"
            ),
            choices=[
                ctx.choice(ctx.t("Yes, delete my data"), "forget", "yes"),
                ctx.choice(ctx.t("No, keep it"), "forget", "no"),
            ],
        )

    @on_choice("forget", before_consent=True)
    def forget(self, ctx: ChoiceContext) -> None:
        if ctx.data != "yes":
            ctx.reply(ctx.t("Nothing was deleted."))
            return
        person_id = ctx.person.id
        # tell the plugins first: their handlers run after this commits, with the person id
        ctx.publish("linli.person_forgotten", {"person_id": person_id})
        ctx.account().forget()
        ctx.audit("privacy.forget", f"person:{person_id}")
        ctx.reply(ctx.t("Done: linli has forgotten you. If you talk to me again, you will be a new person here."))


class BasicsPlugin(Plugin):
    """The plugin every district has (it cannot be disabled). It was called ``core``: a district
    or a manifest that still says ``core`` means this plugin."""

    manifest = Manifest(
        name="basics",
        version="1.0",
        description=N_("Help, who you are, language, and your privacy"),
        roles=(
            RoleSpec("admin", N_("district administrator: may do everything in the district"), N_("administrator")),
            RoleSpec("staff", N_("community worker"), N_("community worker")),
        ),
        handlers=(Identity, Privacy),
        # roles granted for a standing in a room the platform reports: {moderator = "staff"}
        config_defaults={"platform_roles": Config({})},
    )
