"""A photo of a matter: sent while raising it or right after, shown with it and in its ledger."""

from __future__ import annotations

import io

from PIL import Image

from linli.core.export import ledger_table


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (30, 20), (120, 120, 0)).save(out, "WEBP")
    return out.getvalue()


def test_a_photo_sent_while_raising_a_matter_and_one_right_after_are_attached_to_it(council):
    council.say("张三", "/raise 3号楼前路灯坏了")
    assert council.send_file("张三", photo(), "lamp.webp") == ["Got it. Now please write a few words."]
    council.say("张三", "晚上太黑，希望修好路灯")
    raised = council.pick("张三", "Repairs")[0]
    assert raised.endswith("\n1 file(s) attached to it.")
    assert council.send_file("张三", photo(), "night.webp")[0].startswith("Attached to matter 1: night.webp")

    shown = council.say("李四", "/matter 1")[0]
    assert "📎 lamp.webp (photo, " in shown and "📎 night.webp (photo, " in shown
    table = ledger_table(council.runtime.store, council.runtime.registry, "council.matters", "test", language="en")
    (row,) = table.rows
    assert len(row[-1].splitlines()) == 2
