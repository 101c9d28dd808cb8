"""驻村第一书记 — rural assistance: relapse-prevention monitoring (防返贫监测), pairing
(结对帮扶), the village collective enterprise and its licences, sales, projects and the
scholarship fund.

Villages, households and people without a chat account are the core registry's
(``ctx.registry``); this plugin keeps what monitoring and the village's work add to them.
See docs/rural.md.
"""

from __future__ import annotations

from linli.core.plugin import N_, Config, Manifest, Plugin, RoleSpec
from linli.plugins.rural import enterprise_tables as _enterprise_tables  # noqa: F401  (its tables)
from linli.plugins.rural.enterprise import Enterprise
from linli.plugins.rural.ledgers import MonitoringLedgers
from linli.plugins.rural.monitoring import Monitoring
from linli.plugins.rural.pairing import Pairing
from linli.plugins.rural.persons import Persons
from linli.plugins.rural.projects import Projects
from linli.plugins.rural.reports import Reports
from linli.plugins.rural.sales import Sales
from linli.plugins.rural.scholarships import Scholarships
from linli.plugins.rural.summary import monitoring_summary
from linli.plugins.rural.tables import metadata
from linli.plugins.rural.work_ledgers import WorkLedgers

__all__ = ["RuralPlugin", "monitoring_summary"]


class RuralPlugin(Plugin):
    manifest = Manifest(
        name="rural",
        version="1.0",
        description=N_("Rural assistance: monitoring, pairing, licences, sales, projects, scholarships"),
        depends=("basics",),
        roles=(
            RoleSpec(
                "secretary",
                N_("first secretary: runs the village's work, decides appraisals"),
                title=N_("first secretary"),
            ),
            RoleSpec(
                "village_team", N_("village work team: visits, records, sales, projects"), title=N_("village work team")
            ),
            RoleSpec("township", N_("township: approves monitoring decisions, reads reports"), title=N_("township")),
            RoleSpec(
                "helper",
                N_("pairing helper (scope unit:NAME): visits and measures for paired households"),
                title=N_("pairing helper"),
            ),
        ),
        tables=metadata,
        handlers=(
            # monitoring (防返贫监测) and pairing (结对帮扶)
            Monitoring,
            Pairing,
            MonitoringLedgers,
            Persons,
            # the village's own work: enterprise and licences, sales, projects, scholarships, reports
            Enterprise,
            Sales,
            Projects,
            Scholarships,
            Reports,
            WorkLedgers,
        ),
        config_defaults={
            # the village's room: public notices of monitoring cases (never income or health)
            "village_room": Config("", room=True, help=N_("the village's room, for public notices")),
            # the monitoring income line, yuan per person per year; "income_lines" sets it per year
            # in this place ({"2026": 7300}), over "income_line"
            "income_line": Config(0, min=0, max=1_000_000, help=N_("the monitoring income line (yuan per person)")),
            "income_lines": Config({}, help=N_("the income line of each year here: year → yuan")),
            # how near the line a recorded income is pointed out by /nearline (0.1: up to 10 % above)
            "near_line_margin": Config(0.1, above=0, below=1),
            # days from a lead to the township's decision before the case is late
            "decision_days": Config(15, min=1, max=90),
            # the shortest public notice, in days (never below 5)
            "notice_days": Config(5, min=5, max=30),
            # days a pair may go without a visit before the first secretary is told
            "pair_visit_days": Config(30, min=1, max=365),
            # (the village room also gets last month's sales totals on the 1st)
            # the first secretary and work team's room: certificate reminders, overdue milestones
            "staff_room": Config("", team=True),
            # the township's room: the monthly report on the 1st (township members get it privately too)
            "report_room": Config("", team=True),
            # days before a certificate expires when staff are reminded
            "licence_reminder_days": [60, 30, 7],
        },
    )
