"""Step two: run a plugin handler, exactly once in effect.

The handler's writes, its outgoing messages (outbox rows), the events it publishes
and the processed mark of the (event, handler) pair commit in one transaction; a
redelivered call finds the mark and does nothing. Bad input is answered and marked;
an unexpected error is logged, apologised for and marked; a transient database error
is raised for the transport to retry, unless this is the last try.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import structlog

from linli.core import outbox, people
from linli.core.blobs import BlobStore
from linli.core.calendar import WorkingDays
from linli.core.clock import Clock
from linli.core.config import team_rooms
from linli.core.context import DEFAULT_ATTACHMENT_WINDOW, DialogState, Effects, PluginContext, context_for
from linli.core.directory import DirectoryCache
from linli.core.dispatcher import usable_commands
from linli.core.errors import UserError
from linli.core.events import HandlerCall, Outbound
from linli.core.i18n import N_, translator
from linli.core.registry import PluginRegistry
from linli.core.specs import CommandSpec
from linli.core.storage import Store
from linli.core.storage import schema as s
from linli.pipeline.next import Next

__all__ = ["Handle", "describe", "is_transient"]

log = structlog.get_logger("linli.worker")

_PERMANENT_WORDS = ("no such table", "no such column", "syntax error", "has no column")


def is_transient(exc: BaseException) -> bool:
    """Whether a database error says "try again later" (connection lost, locked,
    serialisation failure) rather than "this will never work"."""
    if isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, sa.exc.TimeoutError | sa.exc.InterfaceError):
        return True
    if isinstance(exc, sa.exc.OperationalError):
        return not any(word in str(exc.orig).lower() for word in _PERMANENT_WORDS)
    # two handlers numbering rows at once (max + 1) collide on a unique key: the
    # second one's retry reads the first one's row and takes the next number
    return isinstance(exc, sa.exc.IntegrityError)


def describe(call: HandlerCall) -> dict[str, str]:
    """What every log line about ``call`` is bound to."""
    return {"district": call.district_id, "plugin": call.plugin, "event_id": call.key}


def _mark(conn: sa.Connection, key: str) -> bool:
    """Claim the processed-event mark; False when the event was handled already."""
    return s.insert_ignore(conn, s.processed, {"key": key, "processed_at": s.utcnow()}, "key")


class Handle:
    """Runs plugin handlers.

    Parameters:
      store: the database.
      registry: the installed plugins and their handlers.
      directory: the districts (is the plugin still enabled there?).
      clock: the time source handlers get.
      calendar: the working days handlers get.
      notice_version: the current privacy notice's version.
      attachment_window: how long after a record a photo in the same chat goes to it.
    """

    def __init__(
        self,
        store: Store,
        registry: PluginRegistry,
        directory: DirectoryCache,
        clock: Clock,
        calendar: WorkingDays,
        notice_version: int,
        attachment_window: dt.timedelta = DEFAULT_ATTACHMENT_WINDOW,
        *,
        blobs: BlobStore | None = None,
        web_url: str = "",
        web_link_minutes: int = 10,
    ) -> None:
        self.store = store
        self.attachment_window = attachment_window
        self.blobs = blobs
        self.web_url = web_url
        self.web_link_minutes = web_link_minutes
        self.registry = registry
        self.directory = directory
        self.clock = clock
        self.calendar = calendar
        self.notice_version = notice_version
        #: the plugins that have dialogs (their handlers look up the person's open dialog)
        self.dialog_plugins = frozenset(plugin for plugin, _ in registry.dialogs)

    def run(self, call: HandlerCall, *, last_try: bool) -> Next | None:
        """Run one handler in a transaction of its own; its writes, its messages, its
        events and the processed mark commit together.

        Parameters:
          last_try: whether a failure of this try will not be retried (then a transient
            error is answered with an apology instead of raised).

        Returns: the rooms to deliver and events to route. When the event had been
          handled before, only its room (what that run committed may still be pending:
          its process may have died before delivering), or ``None`` without a room.

        Raises:
          Exception: a transient database error, when the call will be tried again.
        """
        self.registry.handler(call.plugin, call.handler)  # an unknown handler is the message's error, not the person's
        try:
            with self.store.begin() as conn:
                effects = self.run_in(conn, call)
        except Exception as exc:
            return self.failed(call, exc, last_try=last_try)
        if effects is None:
            return Next(rooms=[call.address.room_key]) if call.address is not None else None
        return Next.of(effects.messages, effects.events)

    def failed(self, call: HandlerCall, exc: Exception, *, last_try: bool) -> Next | None:
        """After a try of ``call`` raised ``exc`` and its transaction was rolled back: answer
        the person and mark the event, or let the call be tried again.

        Raises:
          Exception: ``exc`` again, when it is transient and the call will be retried.
        """
        if isinstance(exc, UserError):
            log.info("bad input answered", key=call.key, error=type(exc).__name__)
            return self._answer_failure(call, exc.message)
        if is_transient(exc) and not last_try:
            raise exc  # retried with backoff; nothing was committed
        log.error("handler failed", key=call.key, error=type(exc).__name__, exc_info=exc)
        return self._answer_failure(call, None)

    def run_in(self, conn: sa.Connection, call: HandlerCall, *, marked: bool | None = None) -> Effects | None:
        """Run one handler in the caller's transaction, with its mark; ``None`` when the
        event had been handled before.

        Parameters:
          marked: whether the caller claimed the mark in this transaction already (False: it
            existed); by default it is claimed here.

        Raises:
          Exception: whatever the handler raised; the caller rolls the transaction back.
        """
        if not (_mark(conn, call.key) if marked is None else marked):
            log.debug("already handled", key=call.key)
            return None
        ctx = self._context(conn, call)
        if ctx is None:
            return Effects()
        self.registry.handler(call.plugin, call.handler).func(ctx)
        if call.kind == "dialog" and not ctx.effects.dialog_kept and ctx.address and ctx.person:
            s.delete_dialog(conn, ctx.address.room_key, ctx.person.id)
        return ctx.effects

    @staticmethod
    def unmark(conn: sa.Connection, key: str) -> None:
        """Remove a processed mark claimed in this transaction for a handler that did not run."""
        conn.execute(sa.delete(s.processed).where(s.processed.c.key == key))

    def _answer_failure(self, call: HandlerCall, message: str | None) -> Next | None:
        """The handler's writes are gone; tell the person and mark the event, so it is not retried forever."""
        with self.store.begin() as conn:
            if not _mark(conn, call.key):
                return None
            if call.address is None:
                return Next()
            t = translator(call.language)
            text = message or t(
                N_(
                    "Sorry, something went wrong on my side and nothing was changed. "
                    "The problem has been logged; please try again later."
                )
            )
            out = Outbound(call.address, text, key=f"{call.key}:error")
            return Next.of([out] if outbox.add_message(conn, out, call.district_id) else [])

    def _context(self, conn: sa.Connection, call: HandlerCall) -> PluginContext | None:
        district = self.directory.district(conn, call.district_id)
        if district is None or call.plugin not in district.plugins:
            log.info("plugin no longer enabled here; event dropped", key=call.key)
            return None
        person = call.person
        roles: dict[str, frozenset[str]] = {}
        if call.roles is not None:
            roles = {role: frozenset(scopes) for role, scopes in call.roles.items()}
        if person is None and call.person_id is not None:
            row = conn.execute(sa.select(s.persons).where(s.persons.c.id == call.person_id)).first()
            if row is not None:
                person = people.PersonInfo(
                    row.id, row.display_name, row.language, row.home_district, row.consent_version
                )
                roles = people.roles_in(conn, person.id, district.id)
        language = (person.language if person and person.language else None) or call.language or district.language
        dialog = None
        has_dialogs = call.plugin in self.dialog_plugins
        if has_dialogs and call.address is not None and person is not None:
            # FOR UPDATE: two quick answers run one after the other, each seeing the step
            # the other left (SQLite's BEGIN IMMEDIATE serialises them already)
            row = conn.execute(
                sa.select(s.dialogs)
                .where(
                    s.dialogs.c.room_key == call.address.room_key,
                    s.dialogs.c.person_id == person.id,
                    s.dialogs.c.plugin == call.plugin,
                )
                .with_for_update()
            ).first()
            if row is not None:
                dialog = DialogState(row.name, row.step, row.data or {})
            elif call.kind == "dialog":
                return None  # cancelled in the meantime
            if call.kind == "dialog" and dialog is not None and dialog.step != call.data:
                # an answer sent before the bot asked its question: it belongs to no step
                raise UserError(
                    translator(language)(
                        N_("I was still busy with your previous answer. Please send that message again.")
                    )
                )
        private = bool(call.inbound and call.inbound.private)
        registry = self.registry

        def available() -> list[tuple[str, CommandSpec]]:
            return usable_commands(registry, district, roles, private=private)

        spec = registry.handler(call.plugin, call.handler).spec if call.kind == "command" else None
        return context_for(
            call,
            conn=conn,
            district=district,
            person=person,
            roles=roles,
            dialog=dialog,
            t=translator(language, kind=district.kind),
            clock=self.clock,
            calendar=self.calendar,
            notice_version=self.notice_version,
            config_defaults=registry.plugins[call.plugin].manifest.defaults,
            available=available,
            team_rooms=lambda: team_rooms(registry, district),
            command=spec if isinstance(spec, CommandSpec) else None,
            role_titles=registry.role_titles(),
            attachment_window=self.attachment_window,
            blobs=self.blobs,
            web_url=self.web_url,
            web_link_minutes=self.web_link_minutes,
        )
