"""A track's period bounds what can be reported; a forgotten person leaves the unit's results
without a name; and a quarter runs to its published ranking on PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from tracks_helpers import define, make

from linli.plugins.tracks.tables import decisions, history, scores, submissions


def test_a_result_outside_the_tracks_period_is_refused(tmp_path):
    chat = make(tmp_path)
    try:
        define(chat)
        assert chat.say("组织者", "/period T01 2027Q2 2027Q4") == ["T01 runs from 2027Q2 to 2027Q4."]
        assert chat.say("和平报", "/result T01 I1 8 新增8家") == [
            "T01 runs from 2027Q2 to 2027Q4, not in 2027Q1; nothing was recorded."
        ]
        assert chat.say("组织者", "/period T01 2027Q4 2027Q1") == ["The period ends before it starts."]
        assert chat.say("组织者", "/period T01 topic=优化营商环境") == ["The topic of T01 is: 优化营商环境"]
    finally:
        chat.close()


def test_a_forgotten_reporter_leaves_the_units_results_without_a_name(tmp_path):
    chat = make(tmp_path)
    try:
        define(chat)
        chat.say("和平报", "/result T01 I1 8 新增8家")
        chat.say("审核员", "/accept 1")
        assert chat.say("和平报", "/mydata", private=True)[-1] == (
            "Race tracks: 1 result(s) you reported for your unit, 0 decision(s) you made as an assessor or organiser."
        )
        chat.say("和平报", "/forgetme", private=True)
        chat.pick("和平报", "Yes", private=True)
        with chat.runtime.store.connect() as conn:
            row = conn.execute(sa.select(submissions.c.submitted_by, submissions.c.status, submissions.c.value)).one()
            actors = [r.actor_id for r in conn.execute(sa.select(decisions.c.actor_id).order_by(decisions.c.id))]
        assert tuple(row) == (None, "accepted", "8")
        assert actors[0] is None and actors[1] is not None  # the assessor's decision keeps its name
    finally:
        chat.close()


@pytest.mark.postgres
def test_a_quarter_is_scored_ranked_and_published_on_postgresql(tmp_path, postgres_url):
    chat = make(tmp_path, database_url=postgres_url)
    try:
        assert chat.runtime.store.engine.dialect.name == "postgresql"
        define(chat)
        chat.say("和平报", "/result T01 I1 9 新增9家")
        chat.say("沈河报", "/result T01 I1 10 新增10家")
        chat.say("审核员", "/accept 1")
        chat.say("审核员", "/accept 2")
        chat.say("审核员", "/penalty SH T01 P1 信访")
        assert chat.say("组织者", "/publish 2027Q1")[-1] == "The ranking of 2027Q1 is published."
        assert chat.in_room("contest") == [
            "Overall ranking, 2027Q1:\n"
            "1. SH 沈河区 — 57 (mean of 1 track(s))\n"
            "2. HP 和平区 — 54 (mean of 1 track(s))\n"
            "3. DD 大东区 — 0 (mean of 1 track(s))"
        ]
        chat.say("审核员", "/reject 2 名单不符")
        assert chat.say("组织者", "/recompute 2027Q1") == ["2027Q1 is recomputed; the ranking is the same."]
        with chat.runtime.store.connect() as conn:
            totals = dict(conn.execute(sa.select(scores.c.unit_id, scores.c.total)).all())
            runs = conn.execute(sa.select(sa.func.max(history.c.run))).scalar()
        assert sorted(totals.values()) == ["-3.0000", "0.0000", "54.0000"]
        assert runs >= 2
    finally:
        chat.close()
