"""院子议事 — the courtyard council: residents raise matters, talk them over and decide together.

A resident raises a matter (议题) in the group; neighbours comment and support it; the council
(党群"智囊团") turns it into a proposal and puts it to a poll; the poll closes on time and decides
it; a passed matter is implemented and reviewed. Ledgers of matters and polls export with
``linli export``. See docs/council.md.

Its handlers are in handler groups, one per part of the work, listed in the manifest.
"""

from __future__ import annotations

from linli.core.plugin import N_, Config, Manifest, Plugin, RoleSpec
from linli.plugins.council.actions import Actions
from linli.plugins.council.adoptions import Adoptions
from linli.plugins.council.community_ledgers import CommunityLedgers
from linli.plugins.council.community_privacy import CommunityPrivacy
from linli.plugins.council.convention import Convention
from linli.plugins.council.deliberation import Deliberation
from linli.plugins.council.ledgers import Ledgers
from linli.plugins.council.meetings import Meetings
from linli.plugins.council.merging import Merging
from linli.plugins.council.privacy import Privacy
from linli.plugins.council.referral import Referral
from linli.plugins.council.schedule import Schedule
from linli.plugins.council.tables import metadata
from linli.plugins.council.views import Views
from linli.plugins.council.voting import Voting

__all__ = ["CouncilPlugin"]


class CouncilPlugin(Plugin):
    manifest = Manifest(
        name="council",
        version="1.0",
        description=N_("Courtyard council: residents raise matters, talk them over and vote on them"),
        depends=("basics",),
        roles=(
            RoleSpec("council", N_("member of the courtyard council"), N_("council member")),
            RoleSpec(
                "facilitator",
                N_("facilitator of the courtyard council (may enter proxy votes)"),
                N_("council facilitator"),
            ),
        ),
        tables=metadata,
        handlers=(
            Deliberation,
            Voting,
            Referral,
            Schedule,
            Ledgers,
            Privacy,
            Merging,
            Meetings,
            Convention,
            Actions,
            Adoptions,
            CommunityLedgers,
            CommunityPrivacy,
            Views,
        ),
        config_defaults={
            # the group where polls and results are announced ("" = where the poll was opened)
            "room": Config("", room=True),
            # where review reminders go ("" = privately to each council member)
            "council_room": Config("", team=True),
            # a poll is valid when more than this share of the eligible voters take part
            "quorum": Config(0.5, above=0, below=1),
            # a yes/no question passes when more than this share of those who vote agree
            "threshold": Config(0.5, above=0, below=1),
            # "person" or "household" (one vote per household: the latest of its members)
            "counting": Config("person", choices=("person", "household")),
            # how many may vote (persons or households); 0 = those on the council roll
            "electorate": Config(0, min=0),
            # hide the running count until the poll closes
            "hide_results": False,
            # how long a poll stays open unless /poll says otherwise
            "poll_days": Config(3, above=0, max=90),
            # remind those who have not voted this many hours before a poll closes
            "reminder_hours": Config(24, min=0, max=24 * 90),
            # a passed matter comes up for review this many days after the decision
            "review_days": Config(30, min=1, max=3650),
            "polls_cron": Config("* * * * *", cron=True),
            "reviews_cron": Config("0 9 * * *", cron=True),
            # an amendment of the residents' convention is voted on for this many days
            "amendment_days": Config(7, min=1, max=90),
            # the term of an adoption agreement (认领协议), and its duties ("" = the standard text)
            "adoption_months": Config(12, min=1, max=60),
            "adoption_duties": "",
            # adopters are reminded this many days before their term ends
            "adoption_reminder_days": Config(30, min=1, max=365),
            "adoptions_cron": Config("0 9 * * *", cron=True),
            # the residents' group hears of a council meeting the day before
            "meeting_reminders_cron": Config("0 9 * * *", cron=True),
        },
    )
