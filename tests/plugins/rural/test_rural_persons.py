"""People in the rural rows: a resident linking their chat account keeps their objections, /mydata
shows what is kept, /forgetme erases their name and their objection's words."""

from __future__ import annotations

from rural_helpers import rows

from linli.plugins.rural.tables import case_events, cases


def _objection(chat) -> None:
    chat.say("队员甲", "/lead 一组/13 grid")
    chat.say("队员甲", "/homevisit 1 income=6800", private=True)
    chat.say("曲书记", "/publicize 1 5", private=True)
    chat.say("张三", "/dissent 1 他家儿子在城里有房", private=True)


def test_mydata_shows_the_objections_kept_and_forgetme_erases_them(village):
    chat, ids = village
    _objection(chat)
    (objection,) = [e for e in rows(chat, case_events) if e.kind == "objection"]
    assert objection.by_id == ids["张三"]  # the linked account is the register's person
    answer = "\n".join(chat.say("张三", "/mydata", private=True))
    assert "Rural work: 1 objection(s) to public notices and 0 pairing visit(s) recorded with your name." in answer
    chat.say("张三", "/forgetme", private=True)
    assert "forgotten you" in chat.pick("张三", "Yes, delete my data", private=True)[0]
    (objection,) = [e for e in rows(chat, case_events) if e.kind == "objection"]
    assert (objection.by_id, objection.detail) == (None, "")
    assert rows(chat, cases)[0].state == "notice"  # the case itself is the village's record and stays
