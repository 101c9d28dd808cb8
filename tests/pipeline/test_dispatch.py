"""The dispatch step: an event in, the handler calls and the dispatcher's own answers out."""

from __future__ import annotations

import sqlalchemy as sa

from linli.core.events import DomainEvent
from linli.core.outbox import add_event
from linli.core.storage import schema as s


def test_a_command_becomes_one_call_of_its_handler_and_nothing_is_sent(steps):
    work = steps.dispatch.inbound(steps.says("/echo hi"))

    assert [(c.plugin, c.handler, c.argtext) for c in work.calls] == [("echo", "echo", "hi")]
    assert work.rooms == [] and work.events == []
    assert steps.sent() == []


def test_an_unknown_command_is_answered_by_the_dispatcher_in_the_outbox_not_by_a_call(steps):
    work = steps.dispatch.inbound(steps.says("/nosuch"))

    assert work.calls == []
    assert work.rooms == ["test:group"]
    with steps.store.connect() as conn:
        [text] = [r.payload["text"] for r in conn.execute(sa.select(s.outbox.c.payload))]
    assert "/nosuch" in text


def test_routing_in_the_callers_transaction_commits_nothing_when_the_caller_rolls_back(steps):
    class Abandoned(Exception):
        pass

    try:
        with steps.store.begin() as conn:
            work = steps.dispatch.route(conn, steps.says("/nosuch"))
            assert work.rooms == ["test:group"]
            raise Abandoned
    except Abandoned:
        pass

    with steps.store.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(s.outbox)).scalar() == 0


def test_no_mark_is_claimed_with_the_sender_on_sqlite(steps):
    assert steps.dispatch.claim(steps.says("/echo hi"), lambda plugin: True) is None


def test_a_domain_event_becomes_the_calls_of_its_subscribers_in_its_district(steps):
    event = DomainEvent(event_id="ev-1", name="nobody.listens", district_id="test", payload={}, source_plugin="echo")

    assert steps.dispatch.event(event).calls == []


def test_routed_events_are_recorded_as_sent_so_the_outbox_sweep_leaves_them(steps):
    event = DomainEvent(event_id="ev-2", name="echo.shouted", district_id="test", payload={}, source_plugin="echo")
    with steps.store.begin() as conn:
        add_event(conn, event)

    steps.dispatch.events_sent([event])

    with steps.store.connect() as conn:
        assert conn.execute(sa.select(s.outbox.c.status).where(s.outbox.c.key == "ev-2")).scalar() == "sent"
