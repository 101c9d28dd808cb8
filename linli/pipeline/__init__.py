"""The event pipeline: dispatch → handle → deliver, as plain steps.

Each step takes its dependencies when it is built, does its work in the database,
and returns a :class:`Next`: what is to be sent on to the next steps. None of them
knows how work travels between them; that is a transport's job (:mod:`linli.transport`).
See docs/architecture.md for the path of one event.
"""

from __future__ import annotations

from linli.pipeline.deliver import Deliver
from linli.pipeline.dispatch import Dispatch
from linli.pipeline.handle import Handle
from linli.pipeline.next import Next

__all__ = ["Deliver", "Dispatch", "Handle", "Next"]
