"""The console adapter: a bare number answers the last numbered choices, and only a number does."""

from __future__ import annotations

import io

import pytest

from linli.adapters.console import ConsoleAdapter
from linli.core.events import Address, Choice, Inbound, Outbound


def adapter_with_choices() -> tuple[ConsoleAdapter, list[Inbound]]:
    console = ConsoleAdapter(room="demo", speaker="张三", stdin=io.StringIO(), stdout=io.StringIO())
    console.send(Outbound(Address("console", "demo"), "pick", (Choice("A", "p:a"), Choice("B", "p:b"))))
    return console, []


def test_a_bare_number_picks_the_choice_it_names():
    console, submitted = adapter_with_choices()

    console.handle_line("2", submitted.append)

    assert (submitted[0].kind, submitted[0].choice) == ("choice", "p:b")


@pytest.mark.parametrize("line", ["²", "3", "0", "99999999999999999999999", "-1"])
def test_what_names_no_choice_is_sent_as_a_message(line):
    console, submitted = adapter_with_choices()

    console.handle_line(line, submitted.append)

    assert (submitted[0].kind, submitted[0].text) == ("message", line)
