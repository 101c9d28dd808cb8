"""What the actors do: run a plugin handler exactly once in effect, deliver a room's outbox."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
import structlog
from dramatiq.middleware import CurrentMessage

from linli.core import outbox, people
from linli.core.context import DialogState, Effects, PluginContext
from linli.core.dispatcher import usable_commands
from linli.core.errors import DeliveryError, PermanentDeliveryError, UserError
from linli.core.events import HandlerCall, Outbound
from linli.core.i18n import N_, translator
from linli.core.specs import CommandSpec
from linli.core.storage import ScopedStore
from linli.core.storage import schema as s

if TYPE_CHECKING:
    from linli.workers.runtime import Runtime

__all__ = ["deliver_room", "handle_in", "handler_failed", "run_handler", "unmark"]

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


def _last_try(rt: Runtime, call: HandlerCall, retries: int | None) -> bool:
    """Whether this attempt at ``call`` will not be retried if it fails.

    ``retries`` counts the earlier tries of a call run outside its message (a hop run
    in the thread that produced it); ``None``: the call is the message being handled."""
    if retries is None:
        message = CurrentMessage.get_current_message()
        if message is None:
            return True
        limit = message.options.get("max_retries")
        if limit is None:
            limit = rt.broker.get_actor(message.actor_name).options.get("max_retries", rt.settings.queue.max_retries)
        return bool(message.options.get("retries", 0) >= limit)
    actor = rt.plugin_actors[call.plugin]
    return bool(retries >= actor.options.get("max_retries", rt.settings.queue.max_retries))


def _mark(conn: sa.Connection, key: str) -> bool:
    """Claim the processed-event mark; False when the event was handled already."""
    return s.insert_ignore(conn, s.processed, {"key": key, "processed_at": s.utcnow()}, "key")


def unmark(conn: sa.Connection, key: str) -> None:
    """Remove a processed mark claimed in this transaction for a handler that did not run."""
    conn.execute(sa.delete(s.processed).where(s.processed.c.key == key))


def run_handler(rt: Runtime, call: HandlerCall, *, retries: int | None = None) -> Effects | None:
    """Run one plugin handler; its writes, its messages, its events and the
    processed mark commit together. Returns the effects, ``None`` when the event
    had been handled before.

    Parameters:
      retries: the tries before this one when the call runs without its message
        (see :mod:`linli.workers.hops`); by default the message being handled says.

    Raises:
      Exception: a transient database error when the call will be tried again.
    """
    rt.registry.handler(call.plugin, call.handler)  # an unknown handler is the message's error, not the person's
    try:
        with rt.store.begin() as conn:
            return handle_in(rt, conn, call)
    except Exception as exc:
        return handler_failed(rt, call, exc, retries=retries)


def handler_failed(rt: Runtime, call: HandlerCall, exc: Exception, *, retries: int | None = None) -> Effects | None:
    """After a try of ``call`` raised ``exc`` and its transaction was rolled back: answer
    the person and mark the event, or let the call be tried again.

    Raises:
      Exception: ``exc`` again, when it is transient and the call will be retried.
    """
    if isinstance(exc, UserError):
        log.info("bad input answered", key=call.key, error=type(exc).__name__)
        return _answer_failure(rt, call, exc.message, None)
    if is_transient(exc) and not _last_try(rt, call, retries):
        raise exc  # retried with backoff; nothing was committed
    log.error("handler failed", key=call.key, error=type(exc).__name__, exc_info=exc)
    return _answer_failure(rt, call, None, exc)


def handle_in(rt: Runtime, conn: sa.Connection, call: HandlerCall, *, marked: bool | None = None) -> Effects | None:
    """Run one plugin handler in the caller's transaction, with its mark; ``None``
    when the event had been handled before.

    Parameters:
      marked: whether the caller claimed the mark in this transaction already (False: it
        existed); by default it is claimed here.

    Raises:
      Exception: whatever the handler raised; the caller rolls the transaction back.
    """
    if not (_mark(conn, call.key) if marked is None else marked):
        log.debug("already handled", key=call.key)
        return None
    ctx = _context(rt, conn, call)
    if ctx is None:
        return Effects()
    rt.registry.handler(call.plugin, call.handler).func(ctx)
    if call.kind == "dialog" and not ctx.effects.dialog_kept and ctx.address and ctx.person:
        s.delete_dialog(conn, ctx.address.room_key, ctx.person.id)
    return ctx.effects


def _answer_failure(rt: Runtime, call: HandlerCall, message: str | None, exc: BaseException | None) -> Effects | None:
    """The handler's writes are gone; tell the person and mark the event, so it is not retried forever."""
    with rt.store.begin() as conn:
        if not _mark(conn, call.key):
            return None
        effects = Effects()
        if call.address is not None:
            t = translator(call.language)
            text = message or t(
                N_(
                    "Sorry, something went wrong on my side and nothing was changed. "
                    "The problem has been logged; please try again later."
                )
            )
            out = Outbound(call.address, text, key=f"{call.key}:error")
            if outbox.add_message(conn, out, call.district_id):
                effects.messages.append(out)
        return effects


def _context(rt: Runtime, conn: sa.Connection, call: HandlerCall) -> PluginContext | None:
    district = rt.directory.district(conn, call.district_id)
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
            person = people.PersonInfo(row.id, row.display_name, row.language, row.home_district, row.consent_version)
            roles = people.roles_in(conn, person.id, district.id)
    language = (person.language if person and person.language else None) or call.language or district.language
    dialog = None
    has_dialogs = call.plugin in rt.dialog_plugins
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
                translator(language)(N_("I was still busy with your previous answer. Please send that message again."))
            )
    fire_time = dt.datetime.fromisoformat(call.fire_time) if call.fire_time else None
    private = bool(call.inbound and call.inbound.private)

    def available() -> list[tuple[str, CommandSpec]]:
        return usable_commands(rt.registry, district, roles, private=private)

    spec = rt.registry.handler(call.plugin, call.handler).spec if call.kind == "command" else None
    return PluginContext(
        plugin=call.plugin,
        key=call.key,
        district=district,
        person=person,
        roles=roles,
        address=call.address,
        store=ScopedStore(conn, call.plugin, district.id),
        t=translator(language),
        clock=rt.clock,
        log=structlog.get_logger(f"linli.plugins.{call.plugin}"),
        conn=conn,
        inbound=call.inbound,
        event=call.domain_event,
        args=call.args,
        argtext=call.argtext,
        data=call.data,
        dialog=dialog,
        fire_time=fire_time,
        available=available,
        notice_version=rt.settings.privacy.notice_version,
        config_defaults=rt.registry.plugins[call.plugin].manifest.defaults,
        calendar=rt.calendar,
        command=spec if isinstance(spec, CommandSpec) else None,
        role_titles=rt.registry.role_titles(),
    )


BATCH = 20  # a drain holds its room well within the lock TTL (30 s)


def _backoff(attempts: int) -> float:
    """Seconds to wait before the next try of a message that failed ``attempts`` times."""
    return float(min(2**attempts, 300)) * random.uniform(0.8, 1.2)


def deliver_room(
    rt: Runtime, room_key: str, conn: sa.Connection | None = None, known: Mapping[str, Outbound] | None = None
) -> int:
    """Send a room's pending messages in order; returns how many were sent.

    A message the platform refuses for good is marked failed and the room goes on;
    one that fails for now (a 5xx, a timeout) is tried again later, and marked
    failed after ``[queue] max_retries`` tries so that it cannot block its room;
    one the platform asks to hold back (a rate limit) waits as long as it says.

    Parameters:
      conn: an autocommit connection to use (:meth:`Store.autocommit`); by default one of its own.
      known: messages this thread has just committed, by key: sent as they are, not decoded again.

    Raises:
      DeliveryError: try again after ``retry_after`` seconds; the rest stay pending, in order.
    """
    if conn is None:
        with rt.store.autocommit() as own:
            return deliver_room(rt, room_key, own, known)
    sent = 0
    while True:
        rows = outbox.pending_for_room(conn, room_key, limit=BATCH, known=known)
        if not rows:
            return sent
        for row in rows:
            adapter = rt.adapters.get(row.message.address.platform)
            try:
                if adapter is None:
                    raise DeliveryError(f"no {row.message.address.platform} adapter in this process")
                adapter.send(row.message)
            except PermanentDeliveryError as exc:
                log.warning("message cannot be delivered", room=room_key, outbox_id=row.id, error=str(exc))
                outbox.mark_failed(conn, row.id, str(exc), final=True)
                continue
            except DeliveryError as exc:
                if exc.retry_after is not None:  # the platform said how long to wait: not a failure
                    raise
                final = row.attempts + 1 >= rt.settings.queue.max_retries
                outbox.mark_failed(conn, row.id, str(exc), final=final)
                if final:
                    log.error(
                        "message given up after repeated failures",
                        room=room_key,
                        outbox_id=row.id,
                        attempts=row.attempts + 1,
                        error=str(exc),
                    )
                    continue
                raise DeliveryError(str(exc), retry_after=_backoff(row.attempts + 1)) from exc
            outbox.mark_sent(conn, row.id, rt.clock.now())
            sent += 1
        if len(rows) < BATCH:
            # a row committed after our read is found by the look after the room is let go
            return sent


def describe(call: HandlerCall) -> dict[str, Any]:
    return {"district": call.district_id, "plugin": call.plugin, "event_id": call.key}
