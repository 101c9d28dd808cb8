"""``linli web``: the dashboard, and the wall displays' links."""

from __future__ import annotations

import click

from linli._cli.database import actor, opened
from linli._cli.output import print_table
from linli._cli.shared import LinliGroup, State, pass_state
from linli._cli.shared import t as _t

__all__ = ["register"]


@click.group(
    "web",
    cls=LinliGroup,
    invoke_without_command=True,
    help=_t(
        "Serve the web dashboard (uvicorn) at [web] host and port. People log in with the link "
        "that /web gives them in a private chat with the bot. See docs/web.md."
    ),
    short_help=_t("Serve the web dashboard."),
)
@click.option("--host", help=_t("the address to listen on (default: [web] host)"))
@click.option("--port", type=click.IntRange(1, 65535), help=_t("the port (default: [web] port)"))
@click.pass_context
def web(ctx: click.Context, host: str | None, port: int | None) -> None:
    if ctx.invoked_subcommand is not None:
        return
    import uvicorn

    from linli.web import create_app

    state = ctx.ensure_object(State)
    settings = state.settings
    app = create_app(settings)
    host = host or settings.web.host
    port = port or settings.web.port
    here = f"http://{host}:{port}"
    click.echo(_t("The dashboard is at {url} (Ctrl-C stops it).", url=here))
    links = settings.web.url()
    if not settings.web.base_url and links != here:
        # /web links are made by the bot from the settings, not from this command's options
        click.echo(
            _t(
                "The links /web sends point to {links} ([web] in the settings): set [web] port, host "
                "or base_url there so that they open this dashboard.",
                links=links,
            ),
            err=True,
        )
    # proxy_headers: behind nginx the client's address comes from X-Forwarded-For (docs/web.md)
    uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=True, server_header=False)


@web.command(
    "display",
    help=_t(
        "Give a wall display (数据大屏) a long-lived, view-only link to a district's figures. "
        "It shows the wall page only and works until revoked (linli web revoke ID)."
    ),
)
@click.argument("district_id")
@click.option("--label", default="", help=_t("where the screen is, for the list (大厅大屏)"))
@pass_state
def display(state: State, district_id: str, label: str) -> None:
    from linli.core import directory, people, weblinks

    with opened(state, write=True) as rt, rt.store.begin() as conn:
        directory.load_district(conn, district_id)  # NotFound: exit code 6, naming `linli districts list`
        link_id, token = weblinks.issue_display(conn, district_id, label=label, by=actor(), now=rt.clock.now())
        people.audit(conn, action="web.display_added", actor=actor(), district_id=district_id, target=str(link_id))
        url = state.settings.web.url()
    click.echo(_t("Display link {id} for {district}:", id=link_id, district=district_id))
    click.echo(f"{url}/wall/{token}")
    click.echo(
        _t("Anyone with this link sees the district's figures: revoke it with `linli web revoke {id}`.", id=link_id)
    )


@web.command("displays", help=_t("List the wall displays' links."))
@pass_state
def displays(state: State) -> None:
    from linli.core import weblinks

    with opened(state, write=False) as rt, rt.store.connect() as conn:
        found = weblinks.displays(conn)
    print_table(
        [_t("Id"), _t("District"), _t("Label"), _t("Given by"), _t("Given on"), _t("Revoked on")],
        [
            (
                d.id,
                d.district_id,
                d.label,
                d.created_by,
                d.created_at.date().isoformat(),
                d.revoked_at.date().isoformat() if d.revoked_at else "",
            )
            for d in found
        ],
    )


@web.command("revoke", help=_t("Revoke a wall display's link: it shows nothing from now on."))
@click.argument("link_id", type=int)
@pass_state
def revoke(state: State, link_id: int) -> None:
    from linli.core import people, weblinks
    from linli.core.errors import NotFound
    from linli.core.i18n import N_

    with opened(state, write=True) as rt, rt.store.begin() as conn:
        district = weblinks.revoke_display(conn, link_id, now=rt.clock.now())
        if district is None:
            raise NotFound(N_("no display link {id} that is still valid (see linli web displays)"), id=link_id)
        people.audit(conn, action="web.display_revoked", actor=actor(), district_id=district, target=str(link_id))
    click.echo(_t("Display link {id} is revoked.", id=link_id))


def register(main: click.Group) -> None:
    """Add this module's commands to ``main``."""
    main.add_command(web)
