"""``linli districts``, ``linli rooms`` and ``linli plugins``: the districts, the rooms
bound to them and the plugins enabled in them.

Each command is a thin shell over ``linli.core``: it opens the database, calls
one or two core functions in one transaction and prints the result as a table
or a sentence. Heavy modules are imported inside the commands.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from linli._cli.checks import checked_room
from linli._cli.database import actor, district_named, load_registry, opened
from linli._cli.output import joined, kind_text, language_text, print_fields, print_table, warn
from linli._cli.shared import LinliGroup, State, pass_state
from linli._cli.shared import t as _t
from linli.core.plugin_names import ALWAYS_ENABLED, current_name

if TYPE_CHECKING:
    from linli.core.directory import DistrictInfo
    from linli.core.registry import PluginRegistry
    from linli.core.settings import DistrictSettings

__all__ = ["register"]

# --- districts ------------------------------------------------------------------------------


@click.group(cls=LinliGroup, help=_t("Districts: list them, show one, sync them from the settings file."))
def districts() -> None:
    pass


@districts.command("list", help=_t("List the districts in the database."))
@pass_state
def districts_list(state: State) -> None:
    from linli.core import directory

    with opened(state, write=False) as rt, rt.store.connect() as conn:
        found = directory.list_districts(conn)
    if not found:
        click.echo(
            _t(
                "No districts yet: declare one under [districts.<id>] in settings.toml, "
                "then run `linli districts sync`."
            )
        )
        return
    print_table(
        [_t("ID"), _t("Name"), _t("Kind"), _t("Language"), _t("Time zone"), _t("Rooms"), _t("Plugins")],
        [
            (
                d.id,
                d.name,
                kind_text(d.kind),
                language_text(d.language),
                d.timezone,
                joined(d.rooms),
                joined(sorted(d.plugins)),
            )
            for d in found
        ],
    )


@districts.command(
    "show", help=_t("Show everything about one district: rooms, plugins, their configuration, role grants.")
)
@click.argument("district_id", metavar="ID")
@pass_state
def districts_show(state: State, district_id: str) -> None:
    import json

    from linli.core import people

    with opened(state, write=False) as rt, rt.store.connect() as conn:
        d = district_named(conn, district_id)
        grants = people.grants_of(conn, district_id)
        registry = rt.registry
    per_role: dict[str, int] = {}
    for g in grants:
        per_role[g.role] = per_role.get(g.role, 0) + 1
    plugins = [p if p in registry.plugins else _t("{plugin} (not installed)", plugin=p) for p in sorted(d.plugins)]
    print_fields(
        [
            (_t("ID"), d.id),
            (_t("Name"), d.name),
            (_t("Kind"), kind_text(d.kind)),
            (_t("Language"), language_text(d.language)),
            (_t("Time zone"), d.timezone),
            (_t("Rooms"), joined(d.rooms)),
            (_t("Plugins"), joined(plugins)),
            (
                _t("Role grants"),
                f"{len(grants)}"
                + (" (" + ", ".join(f"{role}: {n}" for role, n in sorted(per_role.items())) + ")" if grants else ""),
            ),
        ]
    )
    rows = []
    for name in sorted(d.plugins):
        plugin = registry.plugins.get(name)
        defaults = plugin.manifest.defaults if plugin else {}
        own = dict(d.plugin_config(name))
        for key in sorted({*defaults, *own}):
            value, source = (own[key], _t("district")) if key in own else (defaults[key], _t("default"))
            rows.append((name, key, json.dumps(value, ensure_ascii=False), source))
    if rows:
        print_table([_t("Plugin"), _t("Key"), _t("Value"), _t("From")], rows, title=_t("Plugin configuration"))
    for problem in registry.check_enabled(d.plugins):
        warn(problem.translated(_t))


def _changes(current: DistrictInfo | None, declared: DistrictSettings, rooms: dict[str, str]) -> list[str] | None:
    """What writing ``declared`` over ``current`` changes; ``None`` for a new district."""
    if current is None:
        return None
    out = []
    for attr in ("name", "kind", "language", "timezone"):
        before, after = getattr(current, attr), getattr(declared, attr)
        if before != after:
            out.append(f"{attr} {before!r} → {after!r}")
    plugins = {ALWAYS_ENABLED, *map(current_name, declared.plugins)}
    added, removed = sorted(plugins - current.plugins), sorted(current.plugins - plugins)
    if added or removed:
        out.append(_t("plugins {changes}", changes=" ".join([*(f"+{p}" for p in added), *(f"-{p}" for p in removed)])))
    for room in declared.rooms:
        if room not in current.rooms:
            before_district = rooms.get(room)
            out.append(
                _t("room +{room}", room=room)
                if before_district is None
                else _t("room +{room} (moved from {district})", room=room, district=before_district)
            )
    config = {k: dict(v) for k, v in declared.config.items()}
    changed = sorted(k for k in {*config, *current.config} if config.get(k) != dict(current.config.get(k, {})))
    if changed:
        out.append(_t("configuration of {plugins}", plugins=", ".join(changed)))
    return out


@districts.command(
    "sync",
    help=_t(
        "Write the districts of settings.toml over the database copy. Rooms bound with `linli rooms bind` stay bound."
    ),
)
@pass_state
def districts_sync(state: State) -> None:
    from linli.core import directory

    declared = state.settings.districts
    if not declared:
        click.echo(_t("The settings file declares no districts; nothing to do."))
        return
    with opened(state, write=True, seed=False) as rt, rt.store.begin() as conn:
        current = {d.id: d for d in directory.list_districts(conn)}
        rooms = {room: d.id for d in current.values() for room in d.rooms}
        changes = {d.id: _changes(current.get(d.id), d, rooms) for d in declared}
        directory.seed_districts(conn, [d for d in declared if changes[d.id] != []], overwrite=True)
    for d in declared:
        change = changes[d.id]
        if change is None:
            click.echo(_t("{district}: added", district=d.id))
        elif change:
            click.echo(_t("{district}: updated: {changes}", district=d.id, changes="; ".join(change)))
        else:
            click.echo(_t("{district}: unchanged", district=d.id))
    for other in sorted(set(current) - {d.id for d in declared}):
        click.echo(_t("{district}: not in the settings file, left as it is", district=other))


# --- rooms ---------------------------------------------------------------------------------


@click.group(cls=LinliGroup, help=_t("Rooms: bind chat rooms to districts."))
def rooms() -> None:
    pass


@rooms.command(
    "bind",
    help=_t("Bind a room (console:demo, telegram:-100123, matrix:!abc:example.org) to a district."),
    short_help=_t("Bind a room to a district."),
)
@click.argument("room")
@click.option("--district", "-d", "district_id", required=True, help=_t("the district's id"))
@pass_state
def rooms_bind(state: State, room: str, district_id: str) -> None:
    import sqlalchemy as sa

    from linli.core import directory
    from linli.core.storage import schema as s

    key = checked_room(room)
    with opened(state, write=True) as rt, rt.store.begin() as conn:
        district_named(conn, district_id)
        bound = conn.execute(sa.select(s.rooms.c.district_id).where(s.rooms.c.room_key == key)).scalar()
        if bound != district_id:
            before = directory.bind_room(conn, key, district_id, by=actor())
    if bound == district_id:
        click.echo(_t("{room} is already bound to {district}.", room=key, district=district_id))
    elif before:
        click.echo(_t("{room} moved from {before} to {district}.", room=key, before=before, district=district_id))
    else:
        click.echo(_t("{room} is bound to {district}.", room=key, district=district_id))


@rooms.command("unbind", help=_t("Unbind a room from its district."))
@click.argument("room")
@pass_state
def rooms_unbind(state: State, room: str) -> None:
    from linli.core import directory

    key = checked_room(room)
    with opened(state, write=True) as rt, rt.store.begin() as conn:
        directory.unbind_room(conn, key)
    click.echo(_t("{room} is no longer bound to a district.", room=key))


@rooms.command("list", help=_t("List the bound rooms."))
@click.option("--district", "-d", "district_id", help=_t("only this district's rooms"))
@pass_state
def rooms_list(state: State, district_id: str | None) -> None:
    import sqlalchemy as sa

    from linli.core.storage import schema as s

    stmt = (
        sa.select(s.rooms, s.districts.c.name)
        .join(s.districts, s.districts.c.id == s.rooms.c.district_id)
        .order_by(s.rooms.c.district_id, s.rooms.c.room_key)
    )
    with opened(state, write=False) as rt, rt.store.connect() as conn:
        if district_id:
            district_named(conn, district_id)
            stmt = stmt.where(s.rooms.c.district_id == district_id)
        rows = conn.execute(stmt).fetchall()
    if not rows:
        click.echo(_t("No rooms are bound. Bind one with `linli rooms bind ROOM --district ID`."))
        return
    print_table(
        [_t("Room"), _t("District"), _t("Name"), _t("Bound by"), _t("Bound at (UTC)")],
        [(r.room_key, r.district_id, r.name, r.bound_by, f"{r.bound_at:%Y-%m-%d %H:%M}") for r in rows],
    )


# --- plugins -------------------------------------------------------------------------------


@click.group(cls=LinliGroup, help=_t("Plugins: list the installed ones, enable or disable them in a district."))
def plugins() -> None:
    pass


def _plugin_rows(registry: PluginRegistry) -> dict[str, dict[str, list[str]]]:
    from linli.core.specs import CommandSpec, EventSpec, JobSpec, LedgerSpec

    out: dict[str, dict[str, list[str]]] = {
        n: {"commands": [], "events": [], "jobs": [], "ledgers": []} for n in registry.plugins
    }
    for handler in sorted(registry.handlers.values(), key=lambda h: h.name):
        spec, lists = handler.spec, out[handler.plugin]
        if isinstance(spec, CommandSpec):
            lists["commands"].append(f"/{spec.name}")
        elif isinstance(spec, EventSpec):
            lists["events"].append(spec.name)
        elif isinstance(spec, JobSpec):
            when = f"{spec.cron}" + (_t(", working days") if spec.working_days_only else "")
            lists["jobs"].append(f"{spec.name} ({when})")
        elif isinstance(spec, LedgerSpec):
            lists["ledgers"].append(f"{handler.plugin}.{spec.name}")
    # several handlers may subscribe to one event (a plugin made of parts): each is listed once
    return {name: {kind: sorted(set(items)) for kind, items in lists.items()} for name, lists in out.items()}


@plugins.command("list", help=_t("List the installed plugins and what they bring."))
@click.option("--district", "-d", "district_id", help=_t("also show which are enabled in this district"))
@pass_state
def plugins_list(state: State, district_id: str | None) -> None:
    enabled: frozenset[str] | None = None
    if district_id:
        with opened(state, write=False) as rt, rt.store.connect() as conn:
            enabled = district_named(conn, district_id).plugins
            registry = rt.registry
    else:
        registry = load_registry()
    details = _plugin_rows(registry)
    columns = [
        _t("Plugin"),
        _t("Version"),
        _t("Description"),
        _t("Needs"),
        _t("Commands"),
        _t("Events"),
        _t("Jobs"),
        _t("Ledgers"),
    ]
    rows: list[list[str]] = []
    for name, plugin in sorted(registry.plugins.items()):
        m, d = plugin.manifest, details[name]
        rows.append(
            [
                name,
                m.version,
                _t(m.description) if m.description else "",
                joined(m.depends),
                joined(d["commands"]),
                joined(d["events"]),
                joined(d["jobs"]),
                joined(d["ledgers"]),
            ]
        )
    if enabled is not None:
        columns.insert(1, _t("Enabled"))
        for row in rows:
            row.insert(1, "✓" if row[0] in enabled else "")
        for missing in sorted(enabled - set(registry.plugins)):
            rows.append([missing, "✓", "", _t("not installed"), "", "", "", "", ""])
    print_table(columns, rows)


@plugins.command("enable", help=_t("Enable a plugin in a district."))
@click.argument("name")
@click.option("--district", "-d", "district_id", required=True, help=_t("the district's id"))
@pass_state
def plugins_enable(state: State, name: str, district_id: str) -> None:
    from linli.core import directory
    from linli.core.errors import PluginError

    name = current_name(name)
    with opened(state, write=True) as rt, rt.store.begin() as conn:
        if name not in rt.registry.plugins:
            raise PluginError(
                _t(
                    "no plugin {name!r} is installed (installed: {installed})",
                    name=name,
                    installed=", ".join(sorted(rt.registry.plugins)),
                )
            )
        d = district_named(conn, district_id)
        already = name in d.plugins
        if not already:
            new = [
                p
                for p in rt.registry.check_enabled({*d.plugins, name})
                if p not in rt.registry.check_enabled(d.plugins)
            ]
            if new:
                raise PluginError(
                    _t(
                        "cannot enable {name} in {district}: {problems}; enable those first",
                        name=name,
                        district=district_id,
                        problems="; ".join(p.translated(_t) for p in new),
                    )
                )
            directory.enable_plugin(conn, district_id, name)
    if already:
        click.echo(_t("{name} is already enabled in {district}.", name=name, district=district_id))
    else:
        click.echo(_t("{name} is enabled in {district}.", name=name, district=district_id))


@plugins.command("disable", help=_t("Disable a plugin in a district (its data is kept)."))
@click.argument("name")
@click.option("--district", "-d", "district_id", required=True, help=_t("the district's id"))
@pass_state
def plugins_disable(state: State, name: str, district_id: str) -> None:
    from linli.core import directory
    from linli.core.errors import PluginError

    name = current_name(name)
    if name == ALWAYS_ENABLED:
        raise PluginError(
            _t(
                "the {name} plugin cannot be disabled: it gives every district /help and the privacy commands",
                name=name,
            )
        )
    with opened(state, write=True) as rt, rt.store.begin() as conn:
        d = district_named(conn, district_id)
        if name not in d.plugins and name not in rt.registry.plugins:
            raise PluginError(
                _t("no plugin {name!r} is installed or enabled in {district}", name=name, district=district_id)
            )
        enabled = name in d.plugins
        if enabled:
            dependents = sorted(
                p
                for p in d.plugins - {name}
                if p in rt.registry.plugins and name in rt.registry.plugins[p].manifest.depends
            )
            if dependents:
                raise PluginError(
                    _t(
                        "cannot disable {name} in {district}: {dependents} need(s) it; disable those first",
                        name=name,
                        district=district_id,
                        dependents=", ".join(dependents),
                    )
                )
            directory.disable_plugin(conn, district_id, name)
    if enabled:
        click.echo(_t("{name} is disabled in {district}; its data is kept.", name=name, district=district_id))
    else:
        click.echo(_t("{name} was not enabled in {district}.", name=name, district=district_id))


def register(main: click.Group) -> None:
    """Add this module's commands to ``main``."""
    for command in (districts, rooms, plugins):
        main.add_command(command)
