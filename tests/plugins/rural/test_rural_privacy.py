"""No group room ever receives income or health details: the whole monitoring and pairing work of a
village, jobs included, and every text sent to a room that is not a private chat is checked."""

from __future__ import annotations

import re

from rural_helpers import CONFIG, make

from linli.core.i18n import translator

SECRET_NUMBERS = ("6800", "15000", "3200", "8100")  # 7300 is the public income line
HEALTH_WORDS = ("illness", "disab", "medical", "hospital", "insurance", "因病", "住院", "医疗", "医保", "残疾", "大病")
OBJECTION = "他家儿子在城里有房"


def _village_work(chat) -> None:
    chat.say("队员甲", "/lead 一组/13 grid 老人住院")
    chat.say(
        "队员甲",
        "/homevisit 1 income=6800 medical=15000 school=3200 causes=illness,disability insurance=yes",
        private=True,
    )
    chat.say("队员甲", "/homevisit 1 income=6800 medical=15000")  # in the group: refused, nothing echoed
    chat.say("曲书记", "/publicize 1 5")  # from the group: the notice goes to the village room
    chat.say("张三", f"/dissent 1 {OBJECTION}", private=True)
    chat.say("张三", f"/dissent 1 {OBJECTION}")  # in the group: refused
    chat.say("曲书记", "/casefile 1")  # in the group: refused
    chat.say("曲书记", "/monitoring")
    chat.say("曲书记", "/nearline")
    chat.run_jobs()
    chat.advance(days=5)
    chat.say("曲书记", "/appraise 1 yes")
    chat.say("乡镇干部", "/decide 1 yes 因病")
    chat.say("队员甲", "/sethelper 1 李干部")
    chat.say("李干部", "/addmeasure 1 medical 大病救助")  # in the group: refused
    chat.say("李干部", "/addmeasure 1 medical 大病救助", private=True)
    chat.say("李干部", "/pairmeasure 一组/13 medical 陪同就医")
    chat.say("曲书记", "/yearreview 2026")
    chat.say("队员甲", "/homevisit 1 income=8100", private=True)
    chat.say("队员甲", "/pair 区财政局 一组/13 李干部")
    chat.say("李干部", "/helpvisit 一组/13 住院回访")
    chat.advance(days=40)
    chat.run_jobs()
    chat.say("乡镇干部", "/eliminate 1 医疗报销后收入稳定")
    chat.say("张三", "/incomeline")


def _room_texts(chat) -> list[str]:
    return [m.text for m in chat.adapter.sent if not m.address.room.startswith("@")]


def _check(texts: list[str]) -> None:
    assert texts, "the village work sends something to rooms"
    for text in texts:
        assert not any(n in text for n in SECRET_NUMBERS), text
        assert not any(w in text.casefold() for w in HEALTH_WORDS), text
        assert OBJECTION not in text, text
        assert not re.search(r"income \d|收入 ?\d", text), text


def test_no_group_room_receives_income_or_health_details(village):
    chat, _ = village
    _village_work(chat)
    texts = _room_texts(chat)
    _check([t for t in texts if "income line" not in t])  # /incomeline says the line itself, no household's
    assert any(t.startswith("Public notice:") for t in chat.in_room("village"))


def test_no_group_room_receives_them_in_chinese_either(tmp_path):
    chat, _ = make(tmp_path, language="zh_CN", config=CONFIG)
    try:
        _village_work(chat)
        line = translator("zh_CN")(
            "The monitoring income line of {year}: {line} yuan per person per year.", year=2026, line=7300
        )
        _check([t for t in _room_texts(chat) if t != line])
    finally:
        chat.close()
