"""The dashboard's routes: logging in with a link from ``/web``, the districts' pages, exports
and the wall display.

Who sees what is decided as in chat: the person's roles in the district (``linli roles``),
checked with the core's :func:`~linli.core.people.has_role` against each view's ``roles``.
A view of a plugin the district has not enabled does not exist there (404).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from importlib import resources
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import structlog
from attrs import frozen
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from linli.core import directory, people, weblinks
from linli.core.clock import Clock, SystemClock
from linli.core.context import plugin_logger
from linli.core.directory import DistrictInfo
from linli.core.errors import LinliError, NotFound, PermissionDenied, UserError
from linli.core.i18n import N_, Translator, translator
from linli.core.registry import Handler, PluginRegistry
from linli.core.settings import Settings
from linli.core.specs import LedgerSpec, ViewSpec
from linli.core.storage import ScopedStore, Store
from linli.core.storage import schema as s
from linli.core.views import Chart, Figure, Page, Tiles, ViewContext
from linli.web import overview
from linli.web.render import chart_option, tile_colour

__all__ = ["Web", "create_app"]

log = structlog.get_logger("linli.web")

SESSION_KEY_NAME = "web_session_key"
STAFF = ("staff",)
#: the wall display reloads itself this often (seconds)
WALL_REFRESH = 60
#: its figures are computed at most this often per district (seconds)
WALL_CACHE = 30


@frozen
class Nav:
    """A link in a district's menu."""

    url: str
    title: str


class Denied(Exception):
    """A page refused, with its status: 401 (not logged in), 403 (not for you), 404 (no such page)."""

    def __init__(self, status: int, message: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Web:
    """What the routes share: the database, the plugins, the settings, the templates."""

    def __init__(self, settings: Settings, store: Store, registry: PluginRegistry, clock: Clock | None = None) -> None:
        self.settings = settings
        self.store = store
        self.registry = registry
        self.clock = clock or SystemClock()
        folder = Path(str(resources.files("linli.web")))
        self.env = Environment(
            loader=FileSystemLoader(str(folder / "templates")),
            autoescape=select_autoescape(["html"]),
            extensions=["jinja2.ext.i18n"],
        )
        # {% trans %} and _() in a template translate in the page's language, as t() does
        self.env.install_gettext_callables(  # type: ignore[attr-defined]
            lambda message: _PAGE_T.get()(message),
            lambda singular, plural, n: _PAGE_T.get().plural(singular, plural, n),
            newstyle=False,
        )
        self.static = folder / "static"
        self.role_titles = registry.role_titles()
        #: the wall displays' blocks by (district, language): (good until, figures, charts, computed at)
        self.walls: dict[tuple[str, str], tuple[float, list[Figure], list[Chart | Tiles], dt.datetime]] = {}

    # --- the person --------------------------------------------------------------------

    def secret_key(self) -> str:
        """The key that signs the session cookies: made once per deployment and kept in the database,
        so every ``linli web`` process and restart accepts the same cookies."""
        with self.store.begin() as conn:
            value = conn.execute(sa.select(s.secrets.c.value).where(s.secrets.c.name == SESSION_KEY_NAME)).scalar()
            if value is None:
                s.insert_ignore(conn, s.secrets, {"name": SESSION_KEY_NAME, "value": secrets.token_hex(32)}, "name")
                value = conn.execute(
                    sa.select(s.secrets.c.value).where(s.secrets.c.name == SESSION_KEY_NAME)
                ).scalar_one()
        return str(value)

    def person(self, request: Request, conn: sa.Connection) -> people.PersonInfo:
        """The person logged in; 401 without a valid session."""
        pid = request.session.get("p")
        if not isinstance(pid, int):
            raise Denied(401)
        row = conn.execute(sa.select(s.persons).where(s.persons.c.id == pid)).first()
        known = conn.execute(sa.select(s.identities.c.person_id).where(s.identities.c.person_id == pid).limit(1))
        if row is None or known.first() is None:  # forgotten (/forgetme) or merged away since
            request.session.clear()
            raise Denied(401)
        return people.PersonInfo(row.id, row.display_name, row.language, row.home_district, row.consent_version)

    def districts_of(self, conn: sa.Connection, person: people.PersonInfo) -> list[DistrictInfo]:
        """The districts where the person holds a role, or lives."""
        ids = set(
            conn.execute(
                sa.select(s.role_grants.c.district_id).where(s.role_grants.c.person_id == person.id).distinct()
            ).scalars()
        )
        if person.home_district:
            ids.add(person.home_district)
        return [d for d in directory.list_districts(conn) if d.id in ids]

    def t_for(self, person: people.PersonInfo | None, district: DistrictInfo | None = None) -> Translator:
        language = (person.language if person else None) or (
            district.language if district else self.settings.i18n.default_language
        )
        return translator(language, kind=district.kind if district else "")

    # --- rendering ---------------------------------------------------------------------

    def page(self, request: Request, template: str, t: Translator, *, status: int = 200, **values: Any) -> HTMLResponse:
        tmpl = self.env.get_template(template)
        _PAGE_T.set(t)
        csrf = request.session.get("csrf", "") if "session" in request.scope else ""
        html = tmpl.render(
            t=t,
            lang="zh-CN" if t.language.startswith("zh") else "en",
            csrf=csrf,
            logged_in="session" in request.scope and isinstance(request.session.get("p"), int),
            kind=lambda block: type(block).__name__,
            only=lambda blocks, name: [b for b in blocks if type(b).__name__ == name],
            # "</script>" in a label must not end the script element
            chart_json=lambda chart: json.dumps(chart_option(chart), ensure_ascii=False).replace("<", "\\u003c"),
            tile_colour=tile_colour,
            cell=lambda value, tz: _cell(value, tz, t),
            root=self.settings.web.url() if self.settings.web.base_url else "",
            **values,
        )
        return HTMLResponse(html, status_code=status, headers=_NO_STORE)

    def error(self, request: Request, status: int, message: str = "") -> HTMLResponse:
        t = self.t_for(None)
        pid = request.session.get("p") if "session" in request.scope else None
        if isinstance(pid, int):
            with self.store.connect() as conn:
                language = conn.execute(sa.select(s.persons.c.language).where(s.persons.c.id == pid)).scalar()
            if language:
                t = translator(language)
        titles = {
            401: N_("Please log in"),
            403: N_("Not for you"),
            404: N_("Not found"),
            405: N_("Not allowed"),
            500: N_("Something went wrong"),
        }
        texts = {
            401: N_(
                "This page needs you to log in. Send /web to the bot in a private chat: it answers with a link "
                "that logs you in. A link works once, for a few minutes."
            ),
            403: N_("Your roles do not let you see this page. Ask your community's administrator if you need it."),
            404: N_("There is no such page here."),
            405: N_("That is not how this page is used."),
            500: N_("The page could not be shown. It has been logged; please try again later."),
        }
        return self.page(
            request,
            "error.html",
            t,
            status=status,
            title=t(titles.get(status, N_("Something went wrong"))),
            message=message or t(texts.get(status, texts[500])),
        )

    # --- the views ---------------------------------------------------------------------

    def views_in(self, district: DistrictInfo, roles: Mapping[str, frozenset[str]]) -> list[Handler]:
        """The plugin views of the district's enabled plugins that ``roles`` may see, in menu order."""
        found = [
            h for h in self.registry.views.values() if h.plugin in district.plugins and _may(roles, _spec(h).roles)
        ]
        return sorted(found, key=lambda h: (_spec(h).order, h.plugin, _spec(h).name))

    def nav(self, district: DistrictInfo, roles: Mapping[str, frozenset[str]], t: Translator) -> list[Nav]:
        out = []
        if people.has_role(dict(roles), STAFF):
            out.append(Nav(f"/d/{district.id}/overview", t("Overview")))
        for h in self.views_in(district, roles):
            spec = _spec(h)
            out.append(Nav(f"/d/{district.id}/{h.plugin}/{spec.name}", t(spec.title) if spec.title else spec.name))
        if people.has_role(dict(roles), STAFF):
            out.append(Nav(f"/d/{district.id}/wall", t("Wall display")))
        return out

    def run_view(
        self,
        conn: sa.Connection,
        h: Handler,
        district: DistrictInfo,
        person: people.PersonInfo | None,
        roles: Mapping[str, frozenset[str]],
        t: Translator,
        arg: str | None,
    ) -> Page:
        ctx = ViewContext(
            plugin=h.plugin,
            key=f"web:{h.plugin}.{_spec(h).name}:{district.id}",
            district=district,
            person=person,
            roles=roles,
            store=ScopedStore(conn, h.plugin, district.id),
            t=t,
            clock=self.clock,
            log=plugin_logger(h.plugin),
            conn=conn,
            config_defaults=self.registry.plugins[h.plugin].manifest.config_defaults,
            role_titles=self.role_titles,
            arg=arg,
        )
        page = h.func(ctx)
        if not isinstance(page, Page):
            raise TypeError(f"view {h.plugin}.{_spec(h).name} returned {type(page).__name__}, not a Page")
        return page

    @contextmanager
    def reading(self) -> Iterator[sa.Connection]:
        """A connection for a page: its reads in one read-only transaction (PostgreSQL)."""
        with self.store.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SET TRANSACTION READ ONLY"))
            try:
                yield conn
            finally:
                conn.rollback()

    def audit(self, person: people.PersonInfo, district: DistrictInfo, plugin: str, action: str, target: str) -> None:
        with self.store.begin() as conn:
            people.audit(
                conn,
                action=action,
                actor=f"person:{person.id}",
                district_id=district.id,
                person_id=person.id,
                plugin=plugin,
                target=target,
                detail={"via": "web"},
            )

    def district_for(
        self, request: Request, conn: sa.Connection, district_id: str
    ) -> tuple[people.PersonInfo, DistrictInfo, dict[str, frozenset[str]], Translator]:
        """The person, the district and their roles there; 401, 404 or 403 when they may not look."""
        person = self.person(request, conn)
        try:
            district = directory.load_district(conn, district_id)
        except NotFound:
            raise Denied(404) from None
        roles = people.roles_in(conn, person.id, district.id)
        if not roles and person.home_district != district.id:
            raise Denied(403)
        return person, district, roles, self.t_for(person, district)


#: the translator of the page being rendered, for the templates' gettext
_PAGE_T: ContextVar[Translator] = ContextVar("page_translator")

_NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


def _spec(h: Handler) -> ViewSpec:
    spec = h.spec
    assert isinstance(spec, ViewSpec)
    return spec


def _may(roles: Mapping[str, frozenset[str]], wanted: tuple[str, ...]) -> bool:
    return not wanted or people.has_role(dict(roles), wanted)


def _cell(value: Any, tz: str, t: Translator) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return t.datetime(value, tz, "yyyy-MM-dd HH:mm")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


# --- the routes ----------------------------------------------------------------------------


def _web(request: Request) -> Web:
    web: Web = request.app.state.web
    return web


def home(request: Request) -> Response:
    web = _web(request)
    with web.reading() as conn:
        person = web.person(request, conn)
        t = web.t_for(person)
        places = []
        for district in web.districts_of(conn, person):
            roles = people.roles_in(conn, person.id, district.id)
            places.append((district, web.nav(district, roles, t)))
    return web.page(request, "home.html", t, person=person, places=places, title=t("Dashboard"))


def login(request: Request) -> Response:
    web = _web(request)
    token = request.path_params["token"]
    with web.store.begin() as conn:
        pid = weblinks.consume_login(conn, token, now=web.clock.now())
        if pid is not None:
            people.audit(conn, action="web.login", actor=f"person:{pid}", person_id=pid, detail={"via": "web"})
    if pid is None:
        t = web.t_for(None)
        return web.error(
            request,
            401,
            t(
                "This login link is not valid: it has expired, or it was used already. "
                "Send /web to the bot in a private chat for a new one."
            ),
        )
    request.session.clear()
    request.session.update({"p": pid, "csrf": secrets.token_urlsafe(16)})
    return RedirectResponse("/", status_code=303)


async def logout(request: Request) -> Response:
    web = _web(request)
    form = await request.form()
    sent = str(form.get("csrf", ""))
    expected = request.session.get("csrf", "")
    if not expected or not secrets.compare_digest(sent, str(expected)):
        return web.error(request, 403, web.t_for(None)("The form was out of date; please try again."))
    pid = request.session.get("p")
    request.session.clear()
    t = web.t_for(None)
    if isinstance(pid, int):
        with web.store.begin() as conn:
            people.audit(conn, action="web.logout", actor=f"person:{pid}", person_id=pid, detail={"via": "web"})
            language = conn.execute(sa.select(s.persons.c.language).where(s.persons.c.id == pid)).scalar()
        t = translator(language) if language else t
    return web.page(
        request,
        "message.html",
        t,
        title=t("Logged out"),
        message=t("You are logged out. Send /web to the bot to log in again."),
    )


def district_home(request: Request) -> Response:
    web = _web(request)
    with web.reading() as conn:
        _person, district, roles, t = web.district_for(request, conn, request.path_params["district"])
        menu = web.nav(district, roles, t)
    if menu:
        return RedirectResponse(menu[0].url, status_code=303)
    return web.page(
        request,
        "view.html",
        t,
        district=district,
        nav=menu,
        title=district.name,
        page=Page([], title=district.name),
        exports=[],
        empty=t("There is nothing here for your role. What you sent is answered in the chat."),
    )


def overview_page(request: Request) -> Response:
    web = _web(request)
    with web.reading() as conn:
        _person, district, roles, t = web.district_for(request, conn, request.path_params["district"])
        if not people.has_role(roles, STAFF):
            raise Denied(403)
        page = overview.page(conn, district, t, web.clock, web.registry)
        menu = web.nav(district, roles, t)
    return web.page(
        request, "view.html", t, district=district, nav=menu, title=page.title, page=page, exports=[], here="overview"
    )


def view_page(request: Request) -> Response:
    web = _web(request)
    plugin = request.path_params["plugin"]
    name = request.path_params["view"]
    arg = request.path_params.get("arg")
    with web.reading() as conn:
        person, district, roles, t = web.district_for(request, conn, request.path_params["district"])
        h = web.registry.views.get(f"{plugin}.{name}")
        if h is None or plugin not in district.plugins:
            raise Denied(404)
        spec = _spec(h)
        if not _may(roles, spec.roles):
            raise Denied(403)
        page = web.run_view(conn, h, district, person, roles, t, arg)
        menu = web.nav(district, roles, t)
        exports = _exports(web, h, district)
    web.audit(person, district, plugin, "web.view", f"{plugin}.{name}" + (f"/{arg}" if arg else ""))
    base = f"/d/{district.id}/{plugin}/{name}"
    return web.page(
        request,
        "view.html",
        t,
        district=district,
        nav=menu,
        title=page.title or (t(spec.title) if spec.title else name),
        page=page,
        exports=exports,
        base=base,
        here=base,
    )


def _exports(web: Web, h: Handler, district: DistrictInfo) -> list[tuple[str, str]]:
    """The view's ledgers the web offers: (ledger name, title); never a sensitive one."""
    out = []
    for name in _spec(h).exports:
        ledger = web.registry.ledgers.get(f"{h.plugin}.{name}")
        if ledger is None or not isinstance(ledger.spec, LedgerSpec) or ledger.spec.sensitive:
            continue
        out.append((name, ledger.spec.title or name))
    return out


def export_file(request: Request) -> Response:
    from linli.core.export import export_ledger

    web = _web(request)
    plugin = request.path_params["plugin"]
    name = request.path_params["view"]
    ledger = request.path_params["ledger"]
    fmt = request.path_params["fmt"]
    if fmt not in ("xlsx", "csv"):
        raise Denied(404)
    with web.reading() as conn:
        person, district, roles, t = web.district_for(request, conn, request.path_params["district"])
        h = web.registry.views.get(f"{plugin}.{name}")
        if h is None or plugin not in district.plugins:
            raise Denied(404)
        if not _may(roles, _spec(h).roles):
            raise Denied(403)
        if ledger not in dict(_exports(web, h, district)):
            raise Denied(404)
        if not people.has_role(roles, STAFF) and _spec(h).roles != ():
            # a ledger holds the whole district's rows: staff and admins only, as `linli export`
            raise Denied(403)
    folder = Path(tempfile.mkdtemp(prefix="linli-web-export-"))
    try:
        result = export_ledger(
            web.store,
            web.registry,
            f"{plugin}.{ledger}",
            district.id,
            actor=f"person:{person.id}",
            fmt=fmt,
            path=folder / f"{district.id}-{plugin}-{ledger}.{fmt}",
            language=t.language,
            clock=web.clock,
        )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    today = web.clock.now().date().isoformat()
    return FileResponse(
        result.path,
        filename=f"{district.id}-{plugin}-{ledger}-{today}.{fmt}",
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
        headers={"Cache-Control": "no-store"},
    )


def wall_page(request: Request) -> Response:
    web = _web(request)
    with web.reading() as conn:
        _person, district, roles, t = web.district_for(request, conn, request.path_params["district"])
        if not people.has_role(roles, STAFF):
            raise Denied(403)
        return _wall(request, web, conn, district, t)


def wall_display(request: Request) -> Response:
    web = _web(request)
    with web.reading() as conn:
        district_id = weblinks.display_district(conn, request.path_params["token"])
        if district_id is None:
            raise Denied(404)
        district = directory.load_district(conn, district_id)
        return _wall(request, web, conn, district, translator(district.language, kind=district.kind))


def _wall(request: Request, web: Web, conn: sa.Connection, district: DistrictInfo, t: Translator) -> Response:
    """The wall display: the overview's figures and each wall view's figures and first chart;
    never a table of names (a wall is seen by whoever walks by). Its blocks are computed at most
    every :data:`WALL_CACHE` seconds per district and language: every screen of the street
    reloading each minute costs the database one computation."""
    key = (district.id, t.language)
    cached = web.walls.get(key)
    if cached is not None and cached[0] > time.monotonic():
        _, figures, charts, now = cached
    else:
        figures, charts = _wall_blocks(web, conn, district, t)
        now = web.clock.now()
        web.walls[key] = (time.monotonic() + WALL_CACHE, figures, charts, now)
    return web.page(
        request,
        "wall.html",
        t,
        district=district,
        title=t("{district}: figures", district=district.name),
        figures=figures,
        charts=charts,
        refresh=WALL_REFRESH,
        updated=t.datetime(now, district.timezone, "yyyy-MM-dd HH:mm"),
    )


def _wall_blocks(
    web: Web, conn: sa.Connection, district: DistrictInfo, t: Translator
) -> tuple[list[Figure], list[Chart | Tiles]]:
    summary = overview.page(conn, district, t, web.clock, web.registry)
    figures: list[Figure] = [b for b in summary.blocks if isinstance(b, Figure)]
    charts: list[Chart | Tiles] = []
    staff = {"staff": frozenset({""})}
    for h in sorted(web.registry.views.values(), key=lambda h: (_spec(h).order, h.plugin)):
        if h.plugin not in district.plugins or not _spec(h).wall:
            continue
        page = web.run_view(conn, h, district, None, staff, t, None)
        figures += [b for b in page.blocks if isinstance(b, Figure)]
        first = next((b for b in page.blocks if isinstance(b, Chart | Tiles)), None)
        if first is not None:
            charts.append(first)
    return figures, charts


# --- errors ----------------------------------------------------------------------------


async def _denied(request: Request, exc: Exception) -> Response:
    web = _web(request)
    if isinstance(exc, Denied):
        return web.error(request, exc.status, exc.message)
    if isinstance(exc, HTTPException):
        return web.error(request, exc.status_code if exc.status_code in (401, 403, 404, 405) else 404)
    if isinstance(exc, PermissionDenied):
        return web.error(request, 403)
    if isinstance(exc, NotFound):
        return web.error(request, 404)
    if isinstance(exc, UserError | LinliError):
        return web.error(request, 404)
    log.exception("page failed", path=request.url.path)
    return web.error(request, 500)


def create_app(
    settings: Settings,
    *,
    store: Store | None = None,
    registry: PluginRegistry | None = None,
    clock: Clock | None = None,
) -> Starlette:
    """The dashboard as an ASGI app (uvicorn runs it).

    Parameters:
      settings: the deployment's settings (``[web]``, ``[storage]``).
      store, registry, clock: a running runtime's own (the tests pass the chat harness's);
        by default made from the settings.
    """
    if store is None or registry is None:
        from dramatiq.brokers.stub import StubBroker

        from linli.workers.runtime import Runtime

        # the dashboard sends no work: a stub broker spares it Redis or RabbitMQ
        rt = Runtime(settings, broker=StubBroker())
        rt.prepare_database()
        store, registry = rt.store, rt.registry
    web = Web(settings, store, registry, clock)
    routes = [
        Route("/", home),
        Route("/login/{token}", login),
        Route("/logout", logout, methods=["POST"]),
        Route("/wall/{token}", wall_display),
        Route("/d/{district}", district_home),
        Route("/d/{district}/overview", overview_page),
        Route("/d/{district}/wall", wall_page),
        Route("/d/{district}/{plugin}/{view}", view_page),
        Route("/d/{district}/{plugin}/{view}/export/{ledger}.{fmt}", export_file),
        Route("/d/{district}/{plugin}/{view}/{arg}", view_page),
        Mount("/static", app=StaticFiles(directory=str(web.static)), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(
                SessionMiddleware,
                secret_key=web.secret_key(),
                session_cookie="linli_session",
                max_age=settings.web.session_hours * 3600,
                same_site="lax",
                https_only=settings.web.base_url.startswith("https://"),
            )
        ],
        # LinliError and Denied become their pages here; anything else is a 500 page (and its log line)
        exception_handlers={Exception: _denied, HTTPException: _denied, Denied: _denied, LinliError: _denied},
    )
    app.state.web = web
    return app
