"""A photo with an urgent need, and one of the work done: kept with the need, in its ledger."""

from __future__ import annotations

import io

from captains_helpers import assign_captains
from PIL import Image

from linli.core.export import ledger_table


def photo(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 20), colour).save(out, "PNG")
    return out.getvalue()


def test_photos_of_a_need_and_of_its_resolution_are_kept_with_it_and_in_its_ledger(cap):
    chat, _ = cap
    assign_captains(chat)
    replies = chat.send_file("张三", photo((255, 0, 0)), "light.png", text="/need 楼道灯坏了三天")
    assert replies == [
        "Need 1 is registered; the grid will take it up, and I will tell you in private when it is resolved.\n"
        "1 file(s) attached to it."
    ]
    assert chat.send_file("张三", photo((0, 255, 0)), "dark.png")[0].startswith("Attached to need 1: dark.png")
    chat.say("网格员", "/needtake 1")
    replies = chat.send_file("居务乙", photo((0, 0, 255)), "fixed.png", text="/needresolve 1 换了灯泡")
    assert replies[0] == "Need 1: resolved.\n1 file(s) attached to it."

    table = ledger_table(chat.runtime.store, chat.runtime.registry, "captains.needs", "test", language="en")
    assert table.columns[-1] == "Attachments"
    (row,) = table.rows
    assert [line.split(" (")[0] for line in row[-1].splitlines()] == ["light.png", "dark.png", "fixed.png"]
