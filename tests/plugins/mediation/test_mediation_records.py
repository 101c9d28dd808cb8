"""The ledger (矛盾纠纷排查调处台账), the figures, referrals from other plugins, and the parties' privacy."""

from __future__ import annotations

import csv

import openpyxl
import sqlalchemy as sa
from mediation_helpers import CONFIG, PLUGINS, agree, file_case, make

from linli.core.export import export_ledger
from linli.core.i18n import translator
from linli.core.plugin import Manifest, Plugin, PluginContext, command
from linli.core.storage import schema as s
from linli.plugins.mediation.tables import cases, members, records

HEADERS = [
    "Case number",
    "Date registered",
    "Grid",
    "Source",
    "Type of dispute",
    "Parties",
    "Headcount",
    "Claims",
    "Risk level",
    "Responsible mediator",
    "Measures",
    "Result",
    "Date closed",
    "Form of agreement",
    "Follow-up",
    "Remarks",
    "Evidence",
]


def performed(chat) -> None:  # type: ignore[no-untyped-def]
    file_case(chat)
    agree(chat)
    chat.pick("张三", "I confirm", private=True)
    chat.pick("李四", "I confirm", private=True)
    chat.say("王律师", "/note 1 组织双方线上调解一次", private=True)
    chat.say("王律师", "/progress 1 performing 开始履行", private=True)
    chat.say("王律师", "/progress 1 performed 已履行", private=True)


def test_the_ledger_exports_as_a_workbook_with_one_row_per_case(med, tmp_path):
    performed(med)
    result = export_ledger(
        med.runtime.store,
        med.runtime.registry,
        "mediation.cases",
        "test",
        actor="cli:tester",
        path=tmp_path / "ledger.xlsx",
        clock=med.clock,
    )
    sheet = openpyxl.load_workbook(result.path).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == HEADERS
    row = dict(zip(HEADERS, rows[1], strict=True))
    assert row["Case number"] == 1
    assert row["Source"] == "a party's application"
    assert row["Type of dispute"] == "Between neighbours"
    assert row["Parties"] == "张三、李四"  # 楼上李四家 is 李四: two people, as the headcount says
    assert row["Headcount"] == 2
    assert row["Claims"] == "修好排水管，赔偿顶棚维修费800元"
    assert row["Responsible mediator"] == "王律师"
    assert row["Measures"] == "2026-11-26 组织双方线上调解一次"
    assert row["Result"] == "performed"
    assert row["Form of agreement"] == "written"
    assert row["Date closed"] is not None


def test_the_ledger_headers_are_the_official_chinese_columns_and_csv_works(tmp_path):
    from linli.testing import ChatHarness

    chat = ChatHarness(tmp_path, plugins=PLUGINS, config=CONFIG)
    try:
        path = export_ledger(
            chat.runtime.store,
            chat.runtime.registry,
            "mediation.cases",
            "test",
            actor="cli:tester",
            fmt="csv",
            path=tmp_path / "ledger.csv",
            clock=chat.clock,
        ).path
        with path.open(encoding="utf-8-sig", newline="") as fh:
            header = next(csv.reader(fh))
        assert header == [translator("zh_CN")(h) for h in HEADERS]
        assert header[:5] == ["编号", "登记日期", "网格", "来源", "纠纷类型"]
    finally:
        chat.close()


def test_figures_count_cases_by_type_result_and_month(med, tmp_path):
    performed(med)
    file_case(med)
    assert med.say("王律师", "/stats", private=True) == [
        "Mediation cases: 2\nBy type:\n  Between neighbours: 2\nBy result:\n  registered: 1\n  performed: 1\n"
        "By month:\n  2026-11: 2"
    ]
    assert med.say("张三", "/stats", private=True)[0].startswith("Sorry")
    result = export_ledger(
        med.runtime.store,
        med.runtime.registry,
        "mediation.figures",
        "test",
        actor="cli:tester",
        path=tmp_path / "figures.xlsx",
        clock=med.clock,
    )
    rows = [[c.value for c in row] for row in openpyxl.load_workbook(result.path).active.iter_rows()]
    assert rows[0] == ["Counted by", "Item", "Cases"]
    assert ["By month", "2026-11", 2] in rows


class Council(Plugin):
    """A stand-in for another plugin that refers a matter to mediation."""

    manifest = Manifest(name="council", version="1.0")

    @command("refer")
    def refer(self, ctx: PluginContext) -> None:
        assert ctx.person is not None
        ctx.publish(
            "mediation.referral",
            {
                "source": "council",
                "category": "property",
                "grid": "网格3",
                "summary": "停车位分配争议",
                "person_ids": [ctx.person.id],
            },
        )
        ctx.reply("referred")


def test_a_referral_event_from_another_plugin_opens_a_case(tmp_path):
    chat = make(tmp_path, plugins=[*PLUGINS, Council])
    try:
        chat.say("张三", "/refer")
        assert chat.in_room("team")[-1] == (
            "New mediation case 1: Owners and the property company, from a council matter."
        )
        assert chat.last("张三", private=True).startswith(
            "Your matter was passed to the community's mediators as mediation case 1."
        )
        with chat.runtime.store.connect() as conn:
            row = conn.execute(sa.select(cases)).one()
            assert (row.source, row.category, row.grid, row.facts) == ("council", "property", "网格3", "停车位分配争议")
    finally:
        chat.close()


def test_a_person_is_told_which_cases_they_are_party_to(med):
    file_case(med)
    answer = med.say("张三", "/mydata", private=True)
    assert "Mediation: you take part in 1 case(s).\n#1 registered\nSend /case NUMBER to read one." in answer


def test_a_forgotten_party_leaves_closed_cases_as_archives_without_their_name(med):
    performed(med)
    with med.runtime.store.connect() as conn:
        forgotten = conn.execute(sa.select(s.persons.c.id).where(s.persons.c.display_name == "李四")).scalar()
    med.say("李四", "/forgetme", private=True)
    med.pick("李四", 1, private=True)
    with med.runtime.store.connect() as conn:
        parties = conn.execute(sa.select(members.c.person_id).where(members.c.role == "party")).scalars().all()
        assert len(parties) == 2 and None in parties and forgotten not in parties
        assert conn.execute(sa.select(cases.c.status)).scalar() == "performed"
        assert forgotten not in conn.execute(sa.select(records.c.person_id)).scalars().all()


def test_the_session_record_keeps_every_relayed_message_and_move_in_order(med, tmp_path):
    file_case(med)
    med.say("王律师", "/take 1", private=True)
    med.say("王律师", "/case 1 周六上午入户查看", private=True)
    med.say("王律师", "/progress 1 accepted 双方同意", private=True)
    result = export_ledger(
        med.runtime.store,
        med.runtime.registry,
        "mediation.sessions",
        "test",
        actor="cli:tester",
        path=tmp_path / "sessions.xlsx",
        clock=med.clock,
    )
    rows = [[c.value for c in row] for row in openpyxl.load_workbook(result.path).active.iter_rows()]
    assert rows[0] == ["Case number", "Time", "Who", "Kind", "Record"]
    assert [(r[0], r[2], r[3], r[4]) for r in rows[1:]] == [
        (1, "张三", "state change", "registered"),
        (1, "王律师", "message", "周六上午入户查看"),
        (1, "王律师", "state change", "registered→accepted 双方同意"),
    ]


def sessions(chat, tmp_path, language: str | None = None) -> list[list[object]]:  # type: ignore[no-untyped-def]
    result = export_ledger(
        chat.runtime.store,
        chat.runtime.registry,
        "mediation.sessions",
        "test",
        actor="cli:tester",
        path=tmp_path / f"sessions-{language}.xlsx",
        language=language,
        clock=chat.clock,
    )
    return [[c.value for c in row] for row in openpyxl.load_workbook(result.path).active.iter_rows()]


def test_the_session_record_words_its_codes_in_the_language_of_the_export(med, tmp_path):
    file_case(med)
    med.say("王律师", "/take 1", private=True)
    med.say("王律师", "/addparty 1 李四", private=True)
    med.pick("李四", "I agree to mediation", private=True)
    med.say("王律师", "/risk 1 medium", private=True)
    agree(med)  # its /take and /addparty are refused: already done
    med.pick("张三", "I confirm", private=True)
    records_zh = [(r[3], r[4]) for r in sessions(med, tmp_path, "zh_CN")[1:]]
    assert ("风险等级", "风险等级定为：中。") in records_zh
    assert ("是否同意调解", "同意调解。") in records_zh
    assert ("确认协议", "确认了调解协议。") in records_zh
    assert ("状态变更", "调解中→已达成协议（书面）") in records_zh
    text = "\n".join(f"{kind} {record}" for kind, record in records_zh)
    for english in ("risk:", "agreed to", "confirmed", "written"):
        assert english not in text
    records_en = [r[4] for r in sessions(med, tmp_path, "en")[1:]]
    assert "Risk level set to medium." in records_en
    assert "mediating→agreement reached (written)" in records_en
    with med.runtime.store.connect() as conn:  # what is stored is codes, not words of one language
        assert ("risk", "", {"risk": "medium"}) in conn.execute(
            sa.select(records.c.kind, records.c.text, records.c.params)
        ).all()


def test_an_extension_is_recorded_as_the_mediator_asked_it_not_as_the_last_party_agreed(med, tmp_path):
    file_case(med)
    agree(med)
    med.say("王律师", "/extend 1 15 对方出差", private=True)
    med.pick("张三", "I agree to the extension", private=True)
    med.pick("李四", "I agree to the extension", private=True)
    rows = [(r[2], r[4]) for r in sessions(med, tmp_path, "zh_CN")[1:]]
    assert ("王律师", "办理期限延长15天。理由：对方出差") in rows
    assert ("李四", "同意延期。") in rows
    assert ("李四", "对方出差") not in rows


def test_the_parties_shown_and_the_headcount_count_the_same_people(med, tmp_path):
    file_case(med)  # 张三 names the other side as 楼上李四家; nobody stands for it yet
    row = export_rows(med, tmp_path, "before")
    assert (row["Parties"], row["Headcount"]) == ("张三、楼上李四家", 2)
    med.say("王律师", "/take 1", private=True)
    med.say("王律师", "/addparty 1 李四", private=True)
    row = export_rows(med, tmp_path, "after")
    assert (row["Parties"], row["Headcount"]) == ("张三、李四", 2)
    details = med.say("王律师", "/case 1", private=True)[0]
    assert "Parties: 张三、李四\n" in details
    assert "The application named the other party: 楼上李四家" in details


def export_rows(chat, tmp_path, name: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    result = export_ledger(
        chat.runtime.store,
        chat.runtime.registry,
        "mediation.cases",
        "test",
        actor="cli:tester",
        path=tmp_path / f"{name}.xlsx",
        clock=chat.clock,
    )
    rows = [[c.value for c in row] for row in openpyxl.load_workbook(result.path).active.iter_rows()]
    return dict(zip(HEADERS, rows[1], strict=True))


def test_a_referral_without_claims_keeps_its_summary_as_the_claims_of_the_ledger(tmp_path):
    chat = make(tmp_path, plugins=[*PLUGINS, Council])
    try:
        chat.say("张三", "/refer")
        row = export_rows(chat, tmp_path, "referred")
        assert row["Claims"] == "停车位分配争议"
        assert (row["Parties"], row["Headcount"]) == ("张三", 1)  # nobody else is known yet
    finally:
        chat.close()


def test_a_forgotten_party_s_words_and_facts_are_scrubbed_and_the_case_stays(med):
    performed(med)
    med.say("张三", "/case 1 有事请打13812345678", private=True)
    med.say("张三", "/forgetme", private=True)

    med.pick("张三", 1, private=True)

    with med.runtime.store.connect() as conn:
        case = conn.execute(sa.select(cases)).one()
        mine = conn.execute(sa.select(records.c.text).where(records.c.kind.in_(("message", "note")))).scalars().all()
    assert (case.status, case.facts, case.claims) == ("performed", "", "")
    assert not any("13812345678" in text for text in mine)
    assert "组织双方线上调解一次" in mine  # the mediator's note stays
