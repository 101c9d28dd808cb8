"""Photos and files as a case's evidence: kept with the case, seen only by its parties and team."""

from __future__ import annotations

import io

from mediation_helpers import file_case
from PIL import Image

from linli.core.export import ledger_table


def photo(colour: tuple[int, int, int] = (90, 90, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(out, "JPEG")
    return out.getvalue()


def test_a_photo_sent_right_after_filing_is_the_cases_evidence_seen_by_its_parties_and_team(med):
    file_case(med)
    replies = med.send_file("张三", photo(), "ceiling.jpg", private=True)
    assert replies[0].startswith("Attached to mediation case 1: ceiling.jpg (photo, ")

    assert "Evidence:" in med.say("张三", "/case 1", private=True)[0]
    med.say("王律师", "/take 1", private=True)
    shown = med.say("王律师", "/case 1", private=True)[0]
    assert "📎 ceiling.jpg (photo, " in shown
    refused = med.say("王五", "/case 1", private=True)
    assert refused == ["Only the parties and the mediators of case 1 may see it."]


def test_a_photo_sent_to_a_case_is_kept_as_evidence_and_the_others_are_told(med):
    file_case(med)
    med.say("王律师", "/take 1", private=True)
    med.say("张三", "/case 1", private=True)  # what they send here now goes to the case

    replies = med.send_file("张三", photo((10, 10, 10)), "leak.jpg", private=True)

    assert any(r.startswith("Kept as evidence of case 1: leak.jpg (photo, ") for r in replies)
    assert med.last("王律师", private=True).startswith("[Case 1] 张三 added evidence: leak.jpg")
    table = ledger_table(med.runtime.store, med.runtime.registry, "mediation.cases", "test", language="en")
    (row,) = table.rows
    assert "leak.jpg (photo, " in row[-1]


def test_evidence_sent_by_someone_who_may_not_see_the_case_is_not_kept(med):
    file_case(med)
    replies = med.send_file("王五", photo(), "x.jpg", text="/case 1", private=True)

    assert replies[-1] == "Only the parties and the mediators of case 1 may see it."
    with med.runtime.store.connect() as conn:
        from linli.core.storage import schema as s

        assert [r.plugin for r in conn.execute(s.attachments.select())] == [""]
