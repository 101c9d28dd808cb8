"""The ids of rooms and users, as each platform writes them."""

from __future__ import annotations

import pytest

from linli.adapters.ids import is_matrix_room, is_matrix_user, is_telegram_chat, is_telegram_user


@pytest.mark.parametrize(
    "room",
    [
        "!abc:example.org",  # room versions 1-11: the creating server is named
        "!abc:example.org:8448",
        "!abc:[::1]:8448",
        "!FZzPps5Mak8xjI8fwqgT2cX-wXdq74PPDBK2uknozVc",  # room version 12: the create event's hash alone
    ],
)
def test_a_matrix_room_id_of_any_room_version_is_a_room(room):
    assert is_matrix_room(room)


@pytest.mark.parametrize("text", ["", "!", "!abc:", "#hall:example.org", "abc:example.org", "!a b", "!abc:ex ample"])
def test_an_alias_or_a_broken_id_is_not_a_matrix_room(text):
    assert not is_matrix_room(text)


def test_a_matrix_user_names_its_server():
    assert is_matrix_user("@li:example.org")
    assert not is_matrix_user("@li")
    assert not is_matrix_user("li:example.org")


def test_telegram_ids_are_ascii_numbers_and_only_chats_are_negative():
    assert is_telegram_chat("-1001234567890") and is_telegram_chat("42")
    assert is_telegram_user("12345") and not is_telegram_user("-12345")
    assert not is_telegram_chat("１２３") and not is_telegram_user("²")
