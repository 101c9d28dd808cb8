"""调解 — the mobile mediation room (指尖上的移动调解室) and the morning meeting (民情晨会).

A resident brings a dispute; the community's mediation team takes it up in private
chats relayed by the bot; each working morning the team sees what is new, overdue
and risky; the ledger (矛盾纠纷排查调处台账) is kept as the work happens.
See docs/mediation.md.
"""

from __future__ import annotations

from linli.core.plugin import N_, Config, Manifest, Plugin, RoleSpec
from linli.plugins.mediation.agreement import Agreements
from linli.plugins.mediation.casework import Casework
from linli.plugins.mediation.extension import Extensions
from linli.plugins.mediation.filing import Filing
from linli.plugins.mediation.ledgers import Ledgers
from linli.plugins.mediation.meeting import Meeting
from linli.plugins.mediation.merging import Merging
from linli.plugins.mediation.privacy import Privacy
from linli.plugins.mediation.tables import metadata
from linli.plugins.mediation.views import Views

__all__ = ["MediationPlugin"]


class MediationPlugin(Plugin):
    manifest = Manifest(
        name="mediation",
        version="1.0",
        description=N_("Mediation: residents bring disputes, the mediation team settles them in private"),
        depends=("basics",),
        roles=(
            RoleSpec(
                "mediator",
                N_("mediator (scope kind:judicial, kind:lawyer, kind:police, kind:worker or kind:volunteer)"),
                N_("mediator"),
            ),
            RoleSpec("mediation_lead", N_("lead of the mediation team"), N_("mediation team lead")),
        ),
        tables=metadata,
        handlers=(Filing, Casework, Extensions, Agreements, Meeting, Ledgers, Privacy, Merging, Views),
        config_defaults={
            "team_room": Config("", team=True),
            "meeting_cron": Config("30 8 * * *", cron=True),
            "reminders_cron": Config("0 9 * * *", cron=True),
            "limit_days": Config(30, min=1, max=365),
            "judicial_window_days": Config(30, min=1, max=365),
            "judicial_reminder_days": Config(7, min=0, max=365),
            # disputes the team settled before it used linli: the dashboard's running total starts there
            "settled_before": Config(0, min=0, max=1_000_000),
        },
    )
