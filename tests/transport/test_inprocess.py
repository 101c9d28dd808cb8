"""The in-process transport: the next step runs at once here, or goes to the queue behind it."""

from __future__ import annotations

from collections.abc import Container

import pytest
import sqlalchemy as sa

from linli.core.events import DomainEvent, Inbound
from linli.core.storage import schema as s
from linli.pipeline import Next
from linli.transport.base import Hop
from linli.transport.inprocess import InProcessTransport


class RecordingQueue:
    """A queue that keeps what it is given; it retries every failed first try."""

    def __init__(self, *, retries: bool = True) -> None:
        self.submitted: list[Inbound] = []
        self.sent: list[Next] = []
        self.retried: list[tuple[Hop, Exception]] = []
        self.retries = retries

    def submit(self, inbound: Inbound) -> None:
        self.submitted.append(inbound)

    def send(self, work: Next) -> None:
        self.sent.append(work)

    def retry(self, hop: Hop, exc: Exception) -> None:
        self.retried.append((hop, exc))

    def will_retry(self, hop: Hop) -> bool:
        return self.retries


class ServesAll:
    """Every step runs here (to deliver, the platforms with an adapter), as in ``linli run``."""

    def __init__(self, platforms: Container[str]) -> None:
        self.platforms = platforms

    def dispatches(self) -> bool:
        return True

    def handles(self, plugin: str) -> bool:
        return True

    def delivers(self, platform: str) -> bool:
        return platform in self.platforms


class ServesNoHandlers(ServesAll):
    def handles(self, plugin: str) -> bool:
        return False


def transport(steps, queue, serves=None, *, fused: bool = True) -> InProcessTransport:
    return InProcessTransport(
        steps.dispatch,
        steps.handle,
        steps.deliver,
        store=steps.store,
        serves=serves or ServesAll(steps.adapters),
        queue=queue,
        fused=fused,
    )


def marks(steps) -> list[str]:
    with steps.store.connect() as conn:
        return list(conn.execute(sa.select(s.processed.c.key)).scalars())


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "hop by hop"])
def test_an_event_is_dispatched_handled_and_delivered_before_submit_returns(steps, fused):
    queue = RecordingQueue()

    transport(steps, queue, fused=fused).submit(steps.says("/echo hi"))

    assert steps.sent() == ["echo: hi"]
    assert queue.submitted == queue.sent == queue.retried == []


def test_a_step_this_process_does_not_serve_goes_to_the_queue(steps):
    queue = RecordingQueue()

    transport(steps, queue, ServesNoHandlers(steps.adapters)).submit(steps.says("/echo hi"))

    [work] = queue.sent
    assert [c.key for c in work.calls] == ["e1:echo.echo"]
    assert steps.sent() == []


def test_a_room_of_a_platform_without_an_adapter_here_goes_to_the_queue(steps):
    queue = RecordingQueue()
    steps.adapters.pop("test")

    transport(steps, queue).submit(steps.says("/echo hi"))

    assert [w.rooms for w in queue.sent] == [["test:group"]]


def test_a_handler_that_fails_for_now_is_handed_to_the_queue_once_and_the_dispatch_is_kept(steps):
    queue = RecordingQueue()

    transport(steps, queue).submit(steps.says("/locked"))

    [(hop, exc)] = queue.retried
    assert hop.key == "e1:echo.locked"
    assert isinstance(exc, sa.exc.OperationalError)
    assert type(steps.registry.plugins["echo"]).runs == 1  # not run a second time here
    assert marks(steps) == []


def test_a_handler_that_fails_on_its_only_try_is_apologised_for_instead(steps):
    queue = RecordingQueue(retries=False)

    transport(steps, queue).submit(steps.says("/locked"))

    assert queue.retried == []
    assert steps.sent()[0].startswith("Sorry, something went wrong")


def test_a_fused_handler_that_refuses_runs_once_and_the_dispatchers_writes_are_kept(steps):
    queue = RecordingQueue()

    transport(steps, queue).submit(steps.says("/refuse", who="张三"))

    assert type(steps.registry.plugins["echo"]).runs == 1
    assert steps.sent() == ["No."]


def test_a_published_event_is_routed_here_and_recorded_as_sent(steps):
    queue = RecordingQueue()

    transport(steps, queue).submit(steps.says("/shout hello"))

    assert steps.sent() == ["shouted"]  # nobody subscribes to echo.shouted
    with steps.store.connect() as conn:
        assert conn.execute(sa.select(s.outbox.c.status).where(s.outbox.c.kind == "event")).scalar() == "sent"
    assert queue.sent == []


def test_hops_nested_too_deep_in_one_thread_go_to_the_queue(steps):
    queue = RecordingQueue()
    t = transport(steps, queue)
    t._depth.n = 8
    event = DomainEvent(event_id="deep", name="x", district_id="test", payload={}, source_plugin="echo")

    t.send(Next(events=[event]))

    assert [w.events for w in queue.sent] == [[event]]
