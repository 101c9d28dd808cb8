"""Step one: an event → the handler calls that should run.

A platform event (:class:`Inbound`) is routed by the :class:`~linli.core.dispatcher.Dispatcher`:
district from the room, person and roles from the sender, an open dialog, the command,
and whether the person may use it. What the dispatcher answers itself goes to the
outbox in the same transaction. A domain event a plugin published goes to the
handlers subscribed to it. Nothing here sends anything: the step returns a
:class:`Next` for the transport.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import sqlalchemy as sa

from linli.core.clock import Clock
from linli.core.dispatcher import Dispatcher, parse_command
from linli.core.events import DomainEvent, Inbound
from linli.core.outbox import mark_events_sent
from linli.core.people import Claim
from linli.core.registry import PluginRegistry
from linli.core.storage import Store
from linli.pipeline.next import Next

__all__ = ["Dispatch"]


class Dispatch:
    """Routes platform events and domain events to plugin handlers.

    Parameters:
      store: the database.
      dispatcher: the routing rules.
      registry: the installed plugins (which handler a command names).
      clock: the time source (when published events were routed).
    """

    def __init__(self, store: Store, dispatcher: Dispatcher, registry: PluginRegistry, clock: Clock) -> None:
        self.store = store
        self.dispatcher = dispatcher
        self.registry = registry
        self.clock = clock

    def inbound(self, inbound: Inbound) -> Next:
        """Route ``inbound`` in a transaction of its own: the handler calls, and the rooms
        the dispatcher answered in itself."""
        calls, rooms = self.dispatcher.dispatch(inbound)
        return Next(calls=calls, rooms=rooms)

    def route(self, conn: sa.Connection, inbound: Inbound, claim: Claim | None = None) -> Next:
        """Route ``inbound`` in the caller's transaction (which may run the calls too).

        Parameters:
          claim: a processed mark to claim while the sender is looked up (see :meth:`claim`).
        """
        calls, rooms = self.dispatcher.route(conn, inbound, claim)
        return Next(calls=calls, rooms=rooms)

    def claim(self, inbound: Inbound, runs_here: Callable[[str], bool]) -> Claim | None:
        """The processed mark of the command handler ``inbound`` names, for :meth:`route` to
        claim in the statement that finds the sender, when the caller runs that handler in
        the same transaction and the database can (PostgreSQL): a round trip less for most
        events. The caller removes the claim if the event does not reach that handler.

        Parameters:
          runs_here: whether the caller runs the handlers of a plugin in its transaction.
        """
        if inbound.kind != "message" or self.store.dialect != "postgresql":
            return None
        parsed = parse_command(inbound.text)
        handler = self.registry.command(parsed.name) if parsed is not None else None
        if handler is None or not runs_here(handler.plugin):
            return None
        return Claim(f"{inbound.event_id}:{handler.plugin}.{handler.name}")

    def event(self, event: DomainEvent) -> Next:
        """The calls of the handlers subscribed to ``event`` in its district."""
        return Next(calls=self.dispatcher.route_event(event))

    def events_sent(self, events: Iterable[DomainEvent]) -> None:
        """Record that published events were routed or put on a queue: the scheduler's
        sweep of the stale outbox need not send them again."""
        keys = [e.event_id for e in events]
        if keys:
            with self.store.begin() as conn:
                mark_events_sent(conn, keys, self.clock.now())
