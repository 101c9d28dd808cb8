"""赛道 — race tracks (晒成绩、赛贡献): tracks with versioned assessment rules, units reporting their
results with evidence, assessors verifying them online and on site (线上看、线下验), quarterly
scores and rankings, publication, and the showcase venues (赛场). See docs/tracks.md."""

from __future__ import annotations

from linli.core.plugin import N_, Config, Manifest, Plugin, RoleSpec
from linli.plugins.tracks.ledgers import Ledgers
from linli.plugins.tracks.organising import Organising
from linli.plugins.tracks.persons import Persons
from linli.plugins.tracks.reporting import Reporting
from linli.plugins.tracks.results import Results
from linli.plugins.tracks.tables import metadata
from linli.plugins.tracks.verifying import Verifying

__all__ = ["TracksPlugin"]


class TracksPlugin(Plugin):
    manifest = Manifest(
        name="tracks",
        version="1.0",
        description=N_("Race tracks: results reported, verified, scored and ranked each quarter"),
        depends=("basics",),
        roles=(
            RoleSpec(
                "organiser",
                N_("contest organiser: tracks, rules, publication, showcase"),
                title=N_("contest organiser"),
            ),
            RoleSpec(
                "assessor", N_("assessor: verifies results (scope track:CODE or all tracks)"), title=N_("assessor")
            ),
            RoleSpec("reporter", N_("reporter of a unit (scope unit:CODE)"), title=N_("unit reporter")),
        ),
        tables=metadata,
        handlers=(Organising, Reporting, Verifying, Results, Ledgers, Persons),
        config_defaults={
            "room": Config("", room=True, help=N_("the contest's room: published rankings, the showcase")),
            "assessor_room": Config("", team=True, help=N_("the assessors' room: new and corrected results")),
            "track_rooms": Config({}, help=N_("a room per track: track code → room")),
            "deadline_days": Config(10, min=0, max=90, help=N_("days after a quarter's end its results are due")),
            "remind_days": Config(3, min=1, max=30, help=N_("days before the deadline the reminders go out")),
            "showcase_top": Config(1, min=1, max=10, help=N_("units of each track proposed for the showcase")),
            "venues": Config(["第一赛场", "第二赛场", "第三赛场", "第四赛场"], help=N_("the showcase venues")),
        },
    )
