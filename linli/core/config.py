"""Plugin configuration: what each key is, and the districts' values checked against it.

A plugin declares its per-district keys in its manifest's ``config_defaults``. A plain
default declares the key and its type (``"poll_days": 3`` is a whole number); a
:class:`Config` adds limits::

    config_defaults={
        "quorum": Config(0.5, above=0, below=1),
        "counting": Config("person", choices=("person", "household")),
        "digest_cron": Config("30 8 * * *", cron=True),
        "staff_room": Config("", room=True),
    }

:func:`check_districts` checks the districts of the settings file against the
installed plugins: their names, each config value, and the cron expressions. Start-up
(every process builds a :class:`~linli.workers.runtime.Runtime`), ``linli doctor``,
``linli db upgrade`` and ``linli districts sync`` refuse a wrong value with one line
that names the file and the key.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from attrs import frozen

from linli.core.errors import SettingsError
from linli.core.i18n import N_, Message
from linli.core.plugin_names import ALWAYS_ENABLED, current_name

if TYPE_CHECKING:
    from linli.core.directory import DistrictInfo
    from linli.core.registry import PluginRegistry
    from linli.core.settings import DistrictSettings, Settings

__all__ = [
    "Config",
    "check_districts",
    "check_value",
    "config_fields",
    "district_problems",
    "settings_file",
    "settings_problems",
    "team_rooms",
]

_ROOM = re.compile(r"^[a-z]+:.+$")


@frozen
class Config:
    """One configuration key of a plugin: its default and what a district may set it to.

    The type is the default's (``bool``, ``int``, ``float``, ``str``, ``list``, ``dict``);
    a ``float`` key takes whole numbers too. ``None`` as the default takes anything.

    Parameters:
      default: the value when the district does not set it.
      min, max: the smallest and largest value allowed (inclusive).
      above, below: the value must be greater than ``above`` and less than ``below``.
      choices: the only values allowed.
      cron: the value is a five-field cron expression (``"30 8 * * *"``), or ``""`` (off).
      room: the value is a room (``"telegram:-100123"``), or ``""`` (none).
      team: a room (as ``room``) where a team works — staff, mediators, assessors — not
        residents: a notice to the whole district leaves it out (:meth:`PluginContext.team_rooms`).
      help: what the key is for (a msgid), for the docs and ``linli plugins list``.
    """

    default: Any
    min: float | None = None
    max: float | None = None
    above: float | None = None
    below: float | None = None
    choices: tuple[Any, ...] = ()
    cron: bool = False
    room: bool = False
    team: bool = False
    help: str = ""

    @property
    def kind(self) -> type | None:
        """The type a value must have, from the default; ``None`` for any."""
        if self.default is None:
            return None
        if isinstance(self.default, bool):
            return bool
        for kind in (int, float, str):
            if isinstance(self.default, kind):
                return kind
        if isinstance(self.default, list | tuple):
            return list
        if isinstance(self.default, Mapping):
            return dict
        return None


def config_fields(declared: Mapping[str, Any]) -> dict[str, Config]:
    """A manifest's ``config_defaults`` with every plain default made a :class:`Config`."""
    return {key: value if isinstance(value, Config) else Config(value) for key, value in declared.items()}


_EXPECTED = {
    bool: N_("expected true or false, not {value}"),
    int: N_("expected a whole number, not {value}"),
    float: N_("expected a number, not {value}"),
    str: N_("expected text in quotes, not {value}"),
    list: N_('expected a list such as ["a", "b"], not {value}'),
    dict: N_("expected a table, not {value}"),
}


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value + '"'
    return repr(value)


def check_value(spec: Config, value: Any, timezone: str = "Asia/Shanghai") -> Message | None:
    """What is wrong with ``value`` for the key ``spec``, or ``None`` when it is fine."""
    kind, shown = spec.kind, _shown(value)
    if kind is not None:
        ok = isinstance(value, kind)
        if kind in (int, float) and isinstance(value, bool):
            ok = False
        elif (kind is float and isinstance(value, int) and not isinstance(value, bool)) or (
            kind is list and isinstance(value, tuple)
        ):
            ok = True
        if not ok:
            return Message(_EXPECTED[kind], value=shown)
    if spec.choices and value not in spec.choices:
        return Message(
            N_("must be one of {choices}, not {value}"), choices=", ".join(_shown(c) for c in spec.choices), value=shown
        )
    if isinstance(value, int | float) and not isinstance(value, bool):
        if spec.min is not None and value < spec.min:
            return Message(N_("must be at least {limit}, not {value}"), limit=spec.min, value=shown)
        if spec.max is not None and value > spec.max:
            return Message(N_("must be at most {limit}, not {value}"), limit=spec.max, value=shown)
        if spec.above is not None and value <= spec.above:
            return Message(N_("must be more than {limit}, not {value}"), limit=spec.above, value=shown)
        if spec.below is not None and value >= spec.below:
            return Message(N_("must be less than {limit}, not {value}"), limit=spec.below, value=shown)
    if spec.cron and isinstance(value, str) and value != "":
        from linli.core.scheduling import CronError, parse_cron

        try:
            parse_cron(value, timezone)
        except CronError:
            return Message(
                N_(
                    "{value} is not a cron expression: five fields (minute hour day month weekday) such as "
                    '"30 8 * * *", or "" to turn the job off'
                ),
                value=shown,
            )
    if (spec.room or spec.team) and isinstance(value, str) and value != "" and not _ROOM.match(value):
        return Message(
            N_("{value} is not a room: write 'platform:room', such as 'telegram:-100123' or 'console:demo'"),
            value=shown,
        )
    return None


def _job_cron_keys(registry: PluginRegistry, plugin: str) -> set[str]:
    from linli.core.specs import JobSpec

    return {f"{h.spec.name}_cron" for h in registry.jobs if h.plugin == plugin and isinstance(h.spec, JobSpec)}


def district_problems(district: DistrictSettings, registry: PluginRegistry) -> list[tuple[str, Message]]:
    """What is wrong with one declared district: (the key's path, the problem)."""
    here = f"districts.{district.id}"
    problems: list[tuple[str, Message]] = [
        (f"{here}.plugins", m) for m in registry.check_enabled({ALWAYS_ENABLED, *district.plugins})
    ]
    installed = sorted(registry.plugins)
    for named, values in district.config.items():
        where, plugin = f"{here}.config.{named}", current_name(named)
        if plugin not in registry.plugins:
            problems.append(
                (
                    where,
                    Message(
                        N_("no plugin {plugin} is installed (installed: {installed})"),
                        plugin=plugin,
                        installed=", ".join(installed),
                    ),
                )
            )
            continue
        if not isinstance(values, Mapping):
            problems.append((where, Message(_EXPECTED[dict], value=_shown(values))))
            continue
        fields = config_fields(registry.plugins[plugin].manifest.config_defaults)
        for job_key in _job_cron_keys(registry, plugin):
            fields.setdefault(job_key, Config("", cron=True))
        for key, value in values.items():
            spec = fields.get(key)
            if spec is None:
                problems.append(
                    (
                        f"{where}.{key}",
                        Message(
                            N_("{plugin} has no such setting (its settings: {keys})"),
                            plugin=plugin,
                            keys=", ".join(sorted(fields)) or "-",
                        ),
                    )
                )
                continue
            problem = check_value(spec, value, district.timezone)
            if problem is not None:
                problems.append((f"{where}.{key}", problem))
    return problems


def settings_problems(districts: Iterable[DistrictSettings], registry: PluginRegistry) -> list[tuple[str, Message]]:
    """What is wrong with the declared districts, for every district."""
    return [problem for district in districts for problem in district_problems(district, registry)]


def settings_file(settings: Settings) -> str | Message:
    """The settings file as an error line names it: relative to the working directory when inside it."""
    if settings.path is None:
        return Message(N_("built-in defaults"))
    try:
        return str(settings.path.relative_to(Path.cwd()))
    except ValueError:
        return str(settings.path)


def check_districts(settings: Settings, registry: PluginRegistry) -> None:
    """Refuse districts of the settings whose plugins are not installed or whose config is wrong.

    Raises:
      SettingsError: the first problem, one line naming the file and the key
        (``settings.toml: districts.heping.config.council.quorum: expected a number, not "half"``).
    """
    problems = settings_problems(settings.districts, registry)
    if len(problems) == 1:
        key, problem = problems[0]
        raise SettingsError(N_("{file}: {key}: {problem}"), file=settings_file(settings), key=key, problem=problem)
    if problems:
        key, problem = problems[0]
        raise SettingsError(
            N_("{file}: {key}: {problem} (and {more} more: `linli doctor` lists them all)"),
            file=settings_file(settings),
            key=key,
            problem=problem,
            more=len(problems) - 1,
        )


def team_rooms(registry: PluginRegistry, district: DistrictInfo) -> frozenset[str]:
    """The rooms the district's plugins are configured to use as a team's (``Config(team=True)``):
    never a residents' room, whatever notice goes to the whole district."""
    out = set()
    for name in district.plugins:
        loaded = registry.plugins.get(name)
        if loaded is None:
            continue
        for key, spec in loaded.manifest.config_defaults.items():
            if isinstance(spec, Config) and spec.team:
                value = district.config.get(name, {}).get(key, spec.default)
                if isinstance(value, str) and value:
                    out.add(value)
    return frozenset(out)
