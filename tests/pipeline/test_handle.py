"""The handle step: a handler's effects, its messages and its mark commit together, once."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from linli.core.storage import schema as s


def call_for(steps, text: str, event_id: str = "e1"):
    [call] = steps.dispatch.inbound(steps.says(text, event_id)).calls
    return call


def outbox_texts(steps) -> list[str]:
    with steps.store.connect() as conn:
        return [r.payload["text"] for r in conn.execute(sa.select(s.outbox.c.payload).order_by(s.outbox.c.id))]


def test_a_handler_run_leaves_its_room_to_deliver_with_the_message_it_committed(steps):
    work = steps.handle.run(call_for(steps, "/echo hi"), last_try=False)

    assert work is not None
    assert work.rooms == ["test:group"]
    assert [m.text for m in work.known.values()] == ["echo: hi"]
    assert outbox_texts(steps) == ["echo: hi"]
    assert steps.sent() == []  # delivering is the next step's work


def test_a_call_run_twice_runs_its_handler_once_and_the_second_time_only_delivers_its_room(steps):
    call = call_for(steps, "/echo once")

    steps.handle.run(call, last_try=False)
    again = steps.handle.run(call, last_try=False)

    # the first run's process may have died before delivering: the redelivered call delivers
    assert again is not None and again.rooms == ["test:group"] and not again.known and not again.calls
    assert type(steps.registry.plugins["echo"]).runs == 1
    assert outbox_texts(steps) == ["echo: once"]


def test_bad_input_keeps_no_write_and_answers_with_the_handlers_message(steps):
    work = steps.handle.run(call_for(steps, "/refuse"), last_try=False)

    assert work is not None and work.rooms == ["test:group"]
    assert outbox_texts(steps) == ["No."]


def test_a_transient_error_is_raised_for_a_retry_and_commits_nothing(steps):
    with pytest.raises(sa.exc.OperationalError):
        steps.handle.run(call_for(steps, "/locked"), last_try=False)

    assert outbox_texts(steps) == []
    with steps.store.connect() as conn:
        assert conn.execute(sa.select(s.processed.c.key)).all() == []


def test_a_transient_error_on_the_last_try_is_apologised_for_and_marked(steps):
    call = call_for(steps, "/locked")

    work = steps.handle.run(call, last_try=True)

    assert work is not None and work.rooms == ["test:group"]
    assert outbox_texts(steps)[0].startswith("Sorry, something went wrong")
    with steps.store.connect() as conn:
        assert conn.execute(sa.select(s.processed.c.key)).scalars().all() == [call.key]


def test_a_handler_run_in_the_callers_transaction_commits_with_it_or_not_at_all(steps):
    call = call_for(steps, "/echo hi")

    with pytest.raises(RuntimeError), steps.store.begin() as conn:
        effects = steps.handle.run_in(conn, call)
        assert effects is not None and [m.text for m in effects.messages] == ["echo: hi"]
        raise RuntimeError("the caller gives up")

    assert outbox_texts(steps) == []
    assert steps.handle.run(call, last_try=False) is not None  # the mark went with the rollback


def test_a_mark_claimed_by_the_caller_is_trusted_and_unmark_takes_it_back(steps):
    call = call_for(steps, "/echo hi")

    with steps.store.begin() as conn:
        assert steps.handle.run_in(conn, call, marked=False) is None  # "it existed": not run
        steps.handle.unmark(conn, call.key)

    assert type(steps.registry.plugins["echo"]).runs == 0
