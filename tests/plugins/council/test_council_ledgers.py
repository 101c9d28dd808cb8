"""The council's ledgers (议事台账) through ``linli export``: matters with their outcomes, polls
with their results, ballots (proxy votes marked, secret ballots unnamed); Chinese headers."""

from __future__ import annotations

import csv

import openpyxl
from council_helpers import PLUGINS, raise_matter, to_vote

from linli.core.export import export_ledger
from linli.core.i18n import translator
from linli.testing import ChatHarness

MATTER_HEADERS = [
    "Matter number",
    "Date raised",
    "Title",
    "Category",
    "Raised by",
    "Content",
    "Supporters",
    "Comments",
    "Proposal",
    "Polls",
    "State",
    "Outcome",
    "Date decided",
    "Review date",
    "How it was done",
    "Date closed",
    "Attachments",
]
POLL_HEADERS = [
    "Poll number",
    "Matter number",
    "Question",
    "Kind of poll",
    "Secret ballot",
    "Counted per",
    "Opened",
    "Closes",
    "Closed",
    "Eligible voters",
    "Turnout",
    "Quorum met",
    "Count",
    "Proxy votes",
    "Objections",
    "Outcome",
]


def _rows(chat, ledger, tmp_path):  # type: ignore[no-untyped-def]
    result = export_ledger(
        chat.runtime.store,
        chat.runtime.registry,
        ledger,
        "test",
        actor="cli:tester",
        path=tmp_path / f"{ledger}.xlsx",
        clock=chat.clock,
    )
    return [[c.value for c in row] for row in openpyxl.load_workbook(result.path).active.iter_rows()]


def _decided(council) -> None:  # type: ignore[no-untyped-def]
    raise_matter(council)
    council.say("李四", "/support 1")
    council.say("王五", "/comment 1 同意")
    to_vote(council)
    council.pick("张三", "Agree")
    council.say("李四", "/object 1 太亮了")
    council.say("陈主任", "/proxy 1 赵六 yes")
    council.say("刘书记", "/closepoll 1")
    council.say("刘书记", "/implement 1")
    council.say("刘书记", "/done 1 两盏路灯已装好")
    raise_matter(council, who="王五", title="楼道堆放杂物", text="2单元楼道里堆了很多纸箱", category="Safety")


def test_the_matters_ledger_has_one_row_per_matter_with_its_outcome(council, tmp_path):
    _decided(council)
    rows = _rows(council, "council.matters", tmp_path)
    assert rows[0] == MATTER_HEADERS
    first = dict(zip(MATTER_HEADERS, rows[1], strict=True))
    assert (first["Matter number"], first["Title"], first["Category"], first["Raised by"]) == (
        1,
        "3号楼前路灯坏了",
        "Repairs and facilities",
        "张三",
    )
    assert (first["Supporters"], first["Comments"], first["Polls"], first["State"], first["Outcome"]) == (
        1,
        1,
        "1",
        "done",
        "passed",
    )
    assert first["How it was done"] == "两盏路灯已装好"
    assert first["Date decided"] is not None and first["Review date"] is not None and first["Date closed"]
    second = dict(zip(MATTER_HEADERS, rows[2], strict=True))
    assert (second["Matter number"], second["State"], second["Outcome"], second["Date closed"]) == (
        2,
        "open for comment",
        None,
        None,
    )


def test_the_polls_ledger_has_the_result_and_the_ballots_ledger_marks_proxy_votes(council, tmp_path):
    _decided(council)
    rows = _rows(council, "council.polls", tmp_path)
    assert rows[0] == POLL_HEADERS
    poll = dict(zip(POLL_HEADERS, rows[1], strict=True))
    assert (poll["Poll number"], poll["Matter number"], poll["Kind of poll"], poll["Secret ballot"]) == (
        1,
        1,
        "agree / disagree / abstain",
        "no",
    )
    assert (poll["Eligible voters"], poll["Turnout"], poll["Quorum met"], poll["Count"]) == (
        4,
        3,
        "yes",
        "Agree 2; Disagree 1; Abstain 0",
    )
    assert (poll["Proxy votes"], poll["Objections"], poll["Outcome"]) == (1, "太亮了", "passed")

    ballots = _rows(council, "council.ballots", tmp_path)
    assert ballots[0] == ["Poll number", "Time", "Voter", "Household", "Choice", "Objection", "Entered by proxy"]
    assert [(b[2], b[4], b[5], b[6]) for b in ballots[1:]] == [
        ("张三", "Agree", None, None),
        ("李四", "Disagree", "太亮了", None),
        ("赵六", "Agree", None, "陈主任"),
    ]


def test_a_secret_ballots_voters_are_not_named_in_the_ledger(council, tmp_path):
    raise_matter(council)
    to_vote(council, poll="secret")
    council.pick("张三", "Agree", private=True)
    ballots = _rows(council, "council.ballots", tmp_path)
    assert [(b[2], b[3], b[4]) for b in ballots[1:]] == [("(secret)", None, "Agree")]


def test_the_ledgers_have_chinese_headers_and_export_as_csv(tmp_path):
    chat = ChatHarness(tmp_path, plugins=PLUGINS)
    try:
        for ledger, headers in (("council.matters", MATTER_HEADERS), ("council.polls", POLL_HEADERS)):
            path = export_ledger(
                chat.runtime.store,
                chat.runtime.registry,
                ledger,
                "test",
                actor="cli:tester",
                fmt="csv",
                path=tmp_path / f"{ledger}.csv",
                clock=chat.clock,
            ).path
            with path.open(encoding="utf-8-sig", newline="") as fh:
                header = next(csv.reader(fh))
            assert header == [translator("zh_CN")(h) for h in headers]
            assert all(any("\u4e00" <= ch <= "\u9fff" for ch in h) for h in header), header
    finally:
        chat.close()
