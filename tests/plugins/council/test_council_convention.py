"""居民公约: articles written by the council, amended article by article through a poll, the text
in force and the history of each article."""

from __future__ import annotations

import sqlalchemy as sa
from council_helpers import make

from linli.core.i18n import translator
from linli.plugins.council.community_tables import amendments, articles, versions

SEED = "1. 爱护院内绿地，不在绿地里种菜\n2. 垃圾分类投放，不乱扔杂物\n3. 楼道内不堆放杂物"
NEW_3 = "楼道内不堆放杂物，宣传板报每季度更新一次"


def seeded(chat) -> None:  # type: ignore[no-untyped-def]
    assert chat.say("刘书记", f"/article {SEED}") == [
        "Written: article 1 (version 1)、article 2 (version 1)、article 3 (version 1). Send /convention to read the "
        "whole convention."
    ]


def test_an_article_is_amended_by_a_poll_and_the_old_text_stays_in_its_history(council):
    seeded(council)
    assert council.say("张三", "/convention") == [
        "Residents' convention of Test Community:\nArticle 1: 爱护院内绿地，不在绿地里种菜\n"
        "Article 2: 垃圾分类投放，不乱扔杂物\nArticle 3: 楼道内不堆放杂物\n"
        "Send /convention NUMBER history to see how an article changed."
    ]

    # the proposal: a poll with buttons in the group, on the article's new text
    sent = council.say("刘书记", f"/amend 3 {NEW_3}")
    assert sent[0].startswith(
        f"Poll 1 (agree / disagree / abstain): Amend article 3 of the residents' convention to read: {NEW_3}"
    )
    assert sent[-1].startswith("The amendment of article 3 is put to the vote as poll 1, until ")
    assert council.say("张三", "/convention 3")[0].endswith(f"An amendment is being voted on: {NEW_3}")

    council.pick("张三", "Agree")
    council.pick("李四", "Agree")
    council.say("王五", "/vote 1 no")
    council.pick("赵六", "Agree")
    closed = council.say("刘书记", "/closepoll 1")
    assert any(m.startswith("Poll 1 is closed") and "passed" in m for m in closed)
    assert f"The residents' convention is amended. Article 3 now reads (version 2):\n{NEW_3}" in closed

    shown = council.say("李四", "/convention 3")
    assert shown == [f"Article 3 (version 2, since 2026-11-26):\n{NEW_3}"]
    history = council.say("李四", "/convention 3 history")[0].splitlines()
    assert history == [
        "History of article 3:",
        "Version 1, 2026-11-26, written by the council: 楼道内不堆放杂物",
        f"Version 2, 2026-11-26, adopted by vote: {NEW_3}",
    ]
    assert f"Article 3: {NEW_3}" in council.say("李四", "/convention")[0]


def test_a_rejected_amendment_leaves_the_article_as_it_was(council):
    seeded(council)
    council.say("刘书记", "/amend 2 垃圾每天晚上八点前投放")
    for who in ("张三", "李四", "王五"):
        council.say(who, "/vote 1 no")
    closed = council.say("刘书记", "/closepoll 1")
    assert "The amendment to article 2 was not adopted (rejected); the article stays as it was." in closed
    assert council.say("张三", "/convention 2") == [
        "Article 2 (version 1, since 2026-11-26):\n垃圾分类投放，不乱扔杂物"
    ]
    assert council.say("张三", "/convention 2 history")[0].splitlines()[-1] == (
        "Proposed 2026-11-26, rejected: 垃圾每天晚上八点前投放"
    )


def test_an_amendment_closed_by_the_scheduler_without_quorum_changes_nothing(council):
    seeded(council)
    council.say("刘书记", "/household 3号楼1单元101")  # puts the council member on the roll too
    for who in ("张三", "李四", "王五", "赵六"):
        council.say(who, "/household 1号楼")
    council.say("刘书记", "/amend 1 爱护绿地，文明养犬，及时清理犬只粪便")
    council.say("张三", "/vote 1 yes")
    council.run_jobs()
    council.advance(days=7, minutes=1)
    sent = council.run_jobs()
    assert (
        "The amendment to article 1 was not adopted (not decided: too few votes); the article stays as it was." in sent
    )
    with council.runtime.store.connect() as conn:
        assert conn.execute(sa.select(amendments.c.status)).scalar() == "no_quorum"
        assert conn.execute(sa.select(articles.c.version).where(articles.c.number == 1)).scalar() == 1


def test_a_new_article_is_added_by_vote_under_the_next_number(council):
    seeded(council)
    assert council.say("刘书记", "/amend 6 文明养犬") == [
        "The convention has no article 6; a new article takes the next number, 4."
    ]
    council.say("刘书记", "/amend 4 文明养犬，出门牵绳，及时清理粪便")
    assert council.say("张三", "/convention 4") == ["The convention has no article 4 yet."]
    assert "Article 4" not in council.say("张三", "/convention")[0]
    for who in ("张三", "李四", "王五"):
        council.say(who, "/vote 1 yes")
    council.say("刘书记", "/closepoll 1")
    assert council.say("张三", "/convention 4")[0].endswith("文明养犬，出门牵绳，及时清理粪便")


def test_council_members_correct_an_article_and_bad_input_changes_nothing(council):
    assert council.say("张三", "/convention")[0].startswith("The residents' convention has not been written down")
    assert council.say("张三", f"/article {SEED}")[0].startswith("Sorry, /article is only for")
    assert council.say("张三", "/amend 1 x")[0].startswith("Sorry, /amend is only for")
    seeded(council)
    assert council.say("刘书记", "/article 1 爱护院内绿地，花籽换菜籽") == [
        "Written: article 1 (version 2). Send /convention to read the whole convention."
    ]
    assert council.say("刘书记", "/article x")[0].startswith("Usage: /article NUMBER TEXT")
    assert council.say("刘书记", "/article 1 ok\nnot numbered")[0].startswith("Usage: /article NUMBER TEXT")
    assert council.say("张三", "/convention 9") == ["The convention has no article 9 yet."]
    assert council.say("张三", "/convention 1 everything")[0].startswith("Usage: /convention [ARTICLE] [history]")
    assert council.say("刘书记", "/amend 2 垃圾分类投放，不乱扔杂物") == ["Article 2 already reads like that."]
    council.say("刘书记", "/amend 2 垃圾分类投放")
    assert council.say("刘书记", "/amend 2 别的") == [
        "An amendment to article 2 is being voted on; wait for the result."
    ]
    assert council.say("刘书记", "/article 2 直接改") == [
        "An amendment to article 2 is being voted on; wait for the result."
    ]
    with council.runtime.store.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(versions)).scalar() == 4
        assert conn.execute(sa.select(sa.func.count()).select_from(amendments)).scalar() == 1


def test_the_convention_reads_naturally_in_chinese(tmp_path):
    chat = make(tmp_path, language="zh_CN")
    t = translator("zh_CN")
    try:
        chat.say("刘书记", "/公约条文 1 爱护院内绿地")
        answer = chat.say("张三", "/公约")[0]
        assert answer.splitlines()[0] == t("Residents' convention of {district}:", district="测试社区")
        assert answer.splitlines()[1] == t("Article {number}: {text}", number=1, text="爱护院内绿地")
    finally:
        chat.close()


def test_articles_are_numbered_the_way_people_write_them(council):
    assert council.say("刘书记", "/article 1. 爱护院内绿地")[0].startswith("Written: article 1 (version 1)")
    assert council.say("刘书记", "/article 第2条 楼道内不堆放杂物")[0].startswith("Written: article 2 (version 1)")
    assert council.say("刘书记", "/article 3、文明养犬")[0].startswith("Written: article 3 (version 1)")
    assert council.say("刘书记", "/article 12")[0].startswith("Usage: /article NUMBER TEXT")
    assert council.say("刘书记", "/article 1 甲\n1 乙")[0].startswith("Usage: /article NUMBER TEXT")
    assert council.say("张三", "/convention 第2条") == ["Article 2 (version 1, since 2026-11-26):\n楼道内不堆放杂物"]
    council.say("刘书记", "/amend 第3条 文明养犬，出门牵绳")
    assert council.say("张三", "/convention 3.")[0].endswith("An amendment is being voted on: 文明养犬，出门牵绳")
