"""A quarter from defining a track to a published ranking: reports with evidence, a query and a
correction, an on-site check, a bonus and a penalty, publication, a recomputation after a
rejected result, the showcase, and the next quarter scored by changed rules."""

from __future__ import annotations

import sqlalchemy as sa
from tracks_helpers import define, make

from linli.plugins.tracks.tables import history, rules, submissions


def test_a_quarter_runs_from_a_defined_track_to_a_published_ranking(tmp_path):
    chat = make(tmp_path)
    try:
        define(chat)
        chat.say("和平报", "/mine", private=True)  # opens the reporter's private chat
        assert chat.say("和平报", "/result T01 I1 8 新增8家企业")[-1] == (
            "Result 1 is recorded: HP I1 = 8 for 2027Q1. It scores once an assessor accepts it."
        )
        assert chat.in_room("assessors") == ["New result 1 of T01; /evidence 1"]
        chat.say("和平报", "/result T01 I2 是")
        chat.say("沈河报", "/result T01 I1 10 新增10家")

        # a query, answered with a correction before the deadline
        assert chat.say("审核员", "/query 1 请补充企业名单")[-1] == "Result 1 is queried by 审核员: 请补充企业名单"
        assert chat.in_room("@和平报")[-1].startswith(
            "Your result 1 (I1 = 8, 2027Q1) was queried by 审核员: 请补充企业名单"
        )
        assert chat.say("和平报", "/correct 1 9 补充了名单")[-1] == (
            "Result 1 is corrected: HP I1 = 9 for 2027Q1; it waits for review again."
        )
        assert chat.say("审核员", "/accept 1")[-1] == "Result 1 (HP I1) is accepted by 审核员."
        assert chat.say("审核员", "/accept 2")[-1] == (
            "Result 2 (HP I2) is accepted by 审核员. It scores once its on-site check passes (/onsite 2 pass)."
        )
        assert chat.say("审核员", "/onsite 2 pass 现场看过")[-1] == (
            "On-site check of result 2 recorded by 审核员: passed."
        )
        chat.say("审核员", "/accept 3")
        assert chat.say("审核员", "/bonus HP T01 B1 国家级表彰") == [
            "Bonus B1 (2 points) for HP in T01, 2027Q1, recorded by 审核员 as 4."
        ]
        assert chat.say("审核员", "/penalty SH T01 P1 信访问题") == [
            "Penalty P1 (−3 points) for SH in T01, 2027Q1, recorded by 审核员 as 5."
        ]

        # before publication a unit sees only its own score
        assert chat.say("和平报", "/ranking") == [
            "The ranking of 2027Q1 is not published yet; /mine shows your own scores."
        ]
        assert chat.say("和平报", "/explain SH T01", private=True) == [
            "Before the ranking is published, a unit's score is shown only to the unit."
        ]
        assert chat.say("和平报", "/explain HP T01", private=True) == [
            "HP 和平区 on T01, 2027Q1 (rules version 1):\n"
            "I1 新增企业: 9 家 → 90% of the target × weight 60 = 54\n"
            "I2 群众满意: 1 → 100% of the target × weight 40 = 40\n"
            "B1 国家级表彰: × 1 = 2\n"
            "Indicators 94 + bonus 2 − penalty 0 = 96\n"
            "Rank 1 on T01."
        ]
        assert chat.in_room("contest") == []

        assert chat.say("组织者", "/publish 2027Q1")[-1] == "The ranking of 2027Q1 is published."
        published = (
            "Overall ranking, 2027Q1:\n"
            "1. HP 和平区 — 96 (mean of 1 track(s))\n"
            "2. SH 沈河区 — 57 (mean of 1 track(s))\n"
            "3. DD 大东区 — 0 (mean of 1 track(s))"
        )
        assert chat.in_room("contest") == [published]
        assert chat.say("沈河报", "/ranking 2027Q1 T01") == [
            "Ranking of T01 营商环境新突破, 2027Q1:\n1. HP 和平区 — 96\n2. SH 沈河区 — 57\n3. DD 大东区 — 0"
        ]

        # a verified result changes: the quarter is recomputed and the history keeps both rankings
        chat.say("审核员", "/reject 3 名单与工商登记不符")
        assert chat.say("沈河报", "/explain SH T01", private=True)[0].endswith(
            "Indicators 0 + bonus 0 − penalty 3 = -3\nRank 3 on T01."
        )
        assert chat.say("组织者", "/publish 2027Q1")[0].splitlines()[2:] == [
            "2. DD 大东区 — 0 (mean of 1 track(s))",
            "3. SH 沈河区 — -3 (mean of 1 track(s))",
        ]
        with chat.runtime.store.connect() as conn:
            runs = conn.execute(sa.select(sa.func.count(sa.distinct(history.c.run)))).scalar()
            sh_ranks = [
                r.rank
                for r in conn.execute(
                    sa.select(history.c.rank)
                    .where(history.c.track_id != 0, history.c.unit_id == 2)
                    .order_by(history.c.run)
                )
            ]
        assert runs >= 2 and sh_ranks[-1] == 3 and 2 in sh_ranks

        # the showcase: proposed, confirmed, the unit told
        assert chat.say("组织者", "/showcase 2027Q1") == [
            "Proposed for the showcase of 2027Q1:\n第一赛场: T01 — HP\nConfirm with /confirmshowcase 2027Q1."
        ]
        chat.say("组织者", "/confirmshowcase 2027Q1")
        assert chat.in_room("@和平报")[-1] == "HP presents its work on T01 at 第一赛场 in the 2027Q1 showcase meeting."
        assert chat.in_room("contest")[-1] == "Showcase of 2027Q1:\n第一赛场: T01 — HP"
    finally:
        chat.close()


def test_a_rule_changed_during_a_quarter_scores_the_next_one_only(tmp_path):
    chat = make(tmp_path)
    try:
        define(chat)
        chat.say("和平报", "/result T01 I1 5 五家")
        chat.say("审核员", "/accept 1")
        chat.say("组织者", "/indicator T01 I1 weight=50")
        assert chat.say("组织者", "/indicator T01 I3 name=典型案例 weight=10 rule=bands bands=1:0.5,3:1")[0].endswith(
            "The weights add up to 100: ready for /adoptrules."
        )
        assert chat.say("组织者", "/adoptrules T01") == [
            "Rules version 2 of T01 are adopted; they score 2027Q2 and the quarters after it. "
            "A quarter that has begun keeps the rules it began with."
        ]
        assert "(version 1)" in chat.say("组织者", "/rules T01 2027Q1")[0]
        assert "I3 典型案例: weight 10, bands ≥1:0.5, ≥3:1" in chat.say("组织者", "/rules T01 2027Q2")[0]
        assert "= 30" in chat.say("和平报", "/explain HP T01", private=True)[0]  # 5/10 × 60: rules v1

        chat.advance(days=100)  # 15 April 2027: Q1's deadline (10 April) has passed
        assert chat.say("和平报", "/result 2027Q1 T01 I1 9 x") == [
            "The deadline for 2027Q1 was 2027-04-10; nothing was recorded."
        ]
        chat.say("和平报", "/result T01 I1 5 五家")
        chat.say("和平报", "/result T01 I3 2 两个案例")
        chat.say("审核员", "/accept 2")
        chat.say("审核员", "/accept 3")
        lines = chat.say("和平报", "/explain 2027Q2 HP T01", private=True)[0].splitlines()
        assert lines[0] == "HP 和平区 on T01, 2027Q2 (rules version 2):"
        assert "I1 新增企业: 5 家 → 50% of the target × weight 50 = 25" in lines
        assert "I3 典型案例: 2 → 50% of the target × weight 10 = 5" in lines
        assert lines[-2] == "Indicators 30 + bonus 0 − penalty 0 = 30"
    finally:
        chat.close()


def test_bad_input_gets_a_clear_answer_and_changes_nothing(tmp_path):
    chat = make(tmp_path)
    try:
        define(chat)

        def counts():
            with chat.runtime.store.connect() as conn:
                return [conn.execute(sa.select(sa.func.count()).select_from(t)).scalar() for t in (submissions, rules)]

        before = counts()
        assert chat.say("和平报", "/result T01 I9 3") == [
            "T01 has no indicator I9 in 2027Q1; its codes are I1, I2, B1. Nothing was recorded."
        ]
        assert chat.say("和平报", "/result SH T01 I1 5 x") == ["You report for HP, not for SH; nothing was recorded."]
        assert chat.say("和平报", "/result T01 I1 5") == [
            "I1 needs evidence: text. Add it after the value; nothing was recorded."
        ]
        assert chat.say("和平报", "/result T01 I1 很多 x") == ["“很多” is not a number; nothing was recorded."]
        assert chat.say("和平报", "/result T01 P1 1 x") == ["Penalty items are recorded by the assessors."]
        chat.say("和平报", "/result T01 I1 5 五家")
        before = counts()
        assert chat.say("和平报", "/accept 1") == ["Sorry, /accept is only for: assessor."]
        chat.grant("赛道二审核", "assessor", scope="track:T02")
        assert chat.say("赛道二审核", "/accept 1") == ["Only an assessor of T01 decides on its results."]
        chat.say("组织者", "/indicator T01 I4 name=多余 weight=5 rule=yesno")
        assert chat.say("组织者", "/adoptrules T01") == [
            "T01: the weights add up to 105, not 100. Nothing was changed."
        ]
        assert chat.say("组织者", "/indicator T01 I5 weight=x rule=linear name=n target=1")[0] == (
            "T01 I5: “weight” should be a number, not “x”. Nothing was changed."
        )
        assert counts() == before
        with chat.runtime.store.connect() as conn:
            assert conn.execute(sa.select(submissions.c.status)).scalar() == "pending"
    finally:
        chat.close()


def test_reporters_are_reminded_before_the_deadline_of_what_is_missing(tmp_path):
    chat = make(tmp_path)
    try:
        define(chat)
        chat.say("和平报", "/mine", private=True)
        chat.say("沈河报", "/mine", private=True)
        chat.say("和平报", "/result T01 I1 5 五家")
        chat.run_jobs()
        chat.advance(days=83)  # 29 March 10:00; Q1's results are due on 10 April
        assert chat.run_jobs() == []
        chat.advance(days=9)  # 7 April: three days before
        sent = chat.run_jobs()
        assert sorted(sent) == [
            "Reminder: results of HP for 2027Q1 are due by 2027-04-10; still to report or answer: T01/I2.",
            "Reminder: results of SH for 2027Q1 are due by 2027-04-10; still to report or answer: T01/I1, T01/I2.",
        ]
        chat.advance(days=1)
        assert chat.run_jobs() == []  # once a quarter
    finally:
        chat.close()
