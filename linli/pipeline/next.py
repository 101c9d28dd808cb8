"""What a step of the pipeline leaves to be sent on."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from linli.core.events import DomainEvent, HandlerCall, Outbound

__all__ = ["Next"]


class Next:
    """The work a step leaves behind, for a transport to move to the next steps.

    Parameters:
      calls: plugin handlers to run (the handle step).
      rooms: rooms with messages to deliver (the deliver step), each named once.
      known: the messages just committed, by key: a delivery in the same thread sends
        them as they are instead of decoding their rows again.
      events: domain events a handler published, to route (the dispatch step).
    """

    __slots__ = ("calls", "events", "known", "rooms")

    def __init__(
        self,
        calls: Iterable[HandlerCall] = (),
        rooms: Iterable[str] = (),
        known: Mapping[str, Outbound] | None = None,
        events: Iterable[DomainEvent] = (),
    ) -> None:
        self.calls = list(calls)
        self.rooms = list(dict.fromkeys(rooms))
        self.known: Mapping[str, Outbound] = known or {}
        self.events = list(events)

    @classmethod
    def of(cls, messages: Iterable[Outbound], events: Iterable[DomainEvent] = ()) -> Next:
        """The rooms of messages just committed (sent as they are), and events to route."""
        known = {m.key: m for m in messages}
        return cls(rooms=(m.address.room_key for m in known.values()), known=known, events=events)

    def __bool__(self) -> bool:
        return bool(self.calls or self.rooms or self.events)

    def __repr__(self) -> str:
        return (
            f"Next(calls={[c.key for c in self.calls]}, rooms={self.rooms}, events={[e.event_id for e in self.events]})"
        )
