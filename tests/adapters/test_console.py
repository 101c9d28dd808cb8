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


def test_attach_sends_a_file_by_its_path_with_the_rest_of_the_line_as_its_caption(tmp_path):
    photo = tmp_path / "my lamp.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    console = ConsoleAdapter(room="demo", speaker="张三", stdin=io.StringIO(), stdout=io.StringIO())
    submitted: list[Inbound] = []

    console.handle_line(f'/attach "{photo}" /suggest 灯坏了', submitted.append)

    (event,) = submitted
    (attachment,) = event.attachments
    assert (event.text, attachment.kind, attachment.name, attachment.sha256) == (
        "/suggest 灯坏了",
        "photo",
        "my lamp.jpg",
        "",
    )
    assert attachment.size == photo.stat().st_size
    assert console.fetch(attachment) == photo.read_bytes()  # the worker reads the path


def test_attach_of_a_missing_file_says_so_and_sends_nothing(tmp_path):
    out = io.StringIO()
    console = ConsoleAdapter(room="demo", speaker="张三", stdin=io.StringIO(), stdout=out, language="en")
    submitted: list[Inbound] = []

    console.handle_line(f"/attach {tmp_path / 'gone.jpg'}", submitted.append)
    console.handle_line("/attach", submitted.append)

    assert submitted == []
    assert out.getvalue().splitlines() == [f"No such file: {tmp_path / 'gone.jpg'}", "Usage: /attach PATH [caption]"]


def test_a_file_gone_before_the_worker_fetches_it_is_a_permanent_failure(tmp_path):
    from linli.core.errors import PermanentDeliveryError
    from linli.core.events import Attachment

    console = ConsoleAdapter(room="demo", speaker="张三", stdin=io.StringIO(), stdout=io.StringIO())
    with pytest.raises(PermanentDeliveryError):
        console.fetch(Attachment("file", "a.pdf", ref=str(tmp_path / "a.pdf")))
