"""双楼长 — dual building captains: a government-affairs captain sent down by a department and a
resident-affairs volunteer captain per building; sweeps (排查), special households (特殊户,
一人一策), urgent needs (急难愁盼), notices, captain day (楼长日) and evaluations.

Grids, buildings, households and people without a chat account are the core registry's; this
plugin keeps the captains' own work. See docs/captains.md.
"""

from __future__ import annotations

from linli.core.plugin import N_, Config, Manifest, Plugin, RoleSpec
from linli.plugins.captains.assignments import Assignments
from linli.plugins.captains.captainday import CaptainDay
from linli.plugins.captains.changes import Changes
from linli.plugins.captains.evaluations import Evaluations
from linli.plugins.captains.ledgers import Ledgers
from linli.plugins.captains.linking import Linking
from linli.plugins.captains.needs import Needs
from linli.plugins.captains.notices import Notices
from linli.plugins.captains.persons import Persons
from linli.plugins.captains.specials import Specials
from linli.plugins.captains.stats import Stats
from linli.plugins.captains.sweeps import Sweeps
from linli.plugins.captains.tables import metadata
from linli.plugins.captains.views import Views

__all__ = ["CaptainsPlugin"]


class CaptainsPlugin(Plugin):
    manifest = Manifest(
        name="captains",
        version="1.0",
        description=N_("Building captains: sweeps, special households, urgent needs, notices, captain day"),
        depends=("basics",),
        roles=(
            RoleSpec("staff", N_("community worker"), title=N_("community worker")),
            RoleSpec("grid_worker", N_("grid worker (scope grid:ID)"), title=N_("grid worker")),
        ),
        tables=metadata,
        handlers=(
            Assignments,
            Sweeps,
            Specials,
            Needs,
            Notices,
            CaptainDay,
            Evaluations,
            Stats,
            Ledgers,
            Persons,
            Linking,
            Changes,
            Views,
        ),
        config_defaults={
            # the community's room: sweep summaries, captain-day agendas
            "room": "",
            # the staff's room: overdue and escalated needs
            "staff_room": Config("", team=True),
            # days a need may stay open before it is overdue
            "need_days": 7,
            # captain day: the week of the month (1–4) and the ISO weekday (Friday = 5)
            "captain_day_week": 1,
            "captain_day_weekday": 5,
            # sweep outcomes and special-household codes: code → label; empty keeps the defaults
            "outcomes": {},
            "special_codes": {},
            # evaluation criteria: code → label; empty keeps the defaults
            "criteria": {},
            # the chat rooms of grids and buildings, by their codes in the register: code → room
            "grid_rooms": {},
            "building_rooms": {},
        },
    )
