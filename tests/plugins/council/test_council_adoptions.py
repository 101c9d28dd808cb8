"""认领: the register, applications, the agreement, inspections, reminders before the term ends,
renewal and lapse — and the adoption ledger."""

from __future__ import annotations

import csv

import openpyxl
import sqlalchemy as sa
from council_helpers import make

from linli.core.events import Address, Inbound, Sender
from linli.core.export import export_ledger
from linli.core.i18n import translator
from linli.core.settings import DistrictSettings
from linli.plugins.council.community_tables import adoptions, inspections

PLOT = "福宁大院1号小开荒"


def register(chat, name: str = PLOT) -> None:  # type: ignore[no-untyped-def]
    assert chat.say("刘书记", f"/newadoptable plot {name}") == [f"Registered for adoption: #1 green plot: {name}."]


def adopted(chat, who: str = "张三", months: str = "") -> list[str]:  # type: ignore[no-untyped-def]
    """``who`` applies for thing 1, the council offers the agreement, ``who`` signs it."""
    chat.say(who, "/adopt 1")
    chat.say("刘书记", f"/offer 1 {months}".rstrip(), private=True)
    return chat.pick(who, "I sign the agreement", private=True)


def statuses(chat) -> list[str]:  # type: ignore[no-untyped-def]
    with chat.runtime.store.connect() as conn:
        return list(conn.execute(sa.select(adoptions.c.status).order_by(adoptions.c.id)).scalars())


def test_a_plot_is_registered_applied_for_agreed_inspected_reminded_and_renewed(council):
    register(council)
    assert council.say("张三", "/adoptables") == [
        f"Things to adopt (send /adopt NUMBER to apply):\n#1 green plot: {PLOT} · free to adopt"
    ]

    assert council.say("张三", "/adopt 1") == [
        f"张三 applies to adopt #1 {PLOT}. Send /offer 1 to offer the agreement (12 months by default), or press a "
        "button.",
        f"Thank you! Your application for #1 {PLOT} is registered; the council will send you the adoption agreement.",
    ]
    assert council.in_room("@刘书记")[-1].startswith("张三 applies to adopt #1")

    # the council member presses the button in their private chat: the agreement goes to the applicant
    assert council.pick("刘书记", "Offer the agreement", private=True) == [
        f"Adoption agreement for #1 green plot: {PLOT}\nTerm: 12 months from the day you sign\n"
        "Duties: Water and weed it, keep it free of litter, plant flowers rather than vegetables, and tell the "
        "council if you can no longer look after it.\nThe council inspects now and then; before the term ends you "
        "will be asked whether you would like to renew.",
        "The agreement for #1 was sent to 张三 to sign.",
    ]
    assert council.pick("张三", "I sign the agreement", private=True) == [
        f"张三 signed the adoption agreement for #1 {PLOT}, until 2027-11-25.",
        f"Thank you! #1 {PLOT} is yours to look after from 2026-11-26 until 2027-11-25.",
    ]
    assert council.say("李四", "/adoptables")[-1].endswith(f"#1 green plot: {PLOT} · adopted until 2027-11-25")

    assert council.say("刘书记", "/inspect 1 花开得很好，杂草已清") == [
        f"Inspection of #1 {PLOT}: 花开得很好，杂草已清",
        "Inspection of #1 noted.",
    ]
    assert council.last("张三", private=True) == f"Inspection of #1 {PLOT}: 花开得很好，杂草已清"

    council.run_jobs()  # starts the schedule
    council.advance(days=333)  # 25 October 2027: 31 days before the end
    assert not [m for m in council.run_jobs() if "ends on" in m]
    council.advance(days=1)  # 30 days before
    reminders = [m for m in council.run_jobs() if "ends on" in m]
    assert reminders == [
        f"Your adoption of #1 {PLOT} ends on 2027-11-25. Would you like to renew it? Press the button or send "
        "/adopt 1.",
        f"The adoption of #1 {PLOT} ends on 2027-11-25.",
    ]
    council.advance(days=1)
    assert not [m for m in council.run_jobs() if "ends on" in m]  # once only

    assert council.pick("张三", "I would like to renew", private=True) == [
        f"张三 would like to renew the adoption of #1 {PLOT} (until 2027-11-25). Send /renew 1 to renew it.",
        "Your wish to renew #1 was passed to the council.",
    ]
    assert council.say("刘书记", "/renew 1") == [
        f"Your adoption of #1 {PLOT} is renewed until 2028-11-25. Thank you!",
        "The adoption of #1 is renewed until 2028-11-25.",
    ]
    council.advance(days=40)
    assert not [m for m in council.run_jobs() if "lapsed" in m]
    assert statuses(council) == ["active"]
    with council.runtime.store.connect() as conn:
        row = conn.execute(sa.select(adoptions)).one()
        assert (row.renewals, row.months, row.ends_on.isoformat()) == (1, 24, "2028-11-25")
        assert conn.execute(sa.select(sa.func.count()).select_from(inspections)).scalar() == 1


def test_an_adoption_lapses_when_its_term_ends_and_the_thing_is_free_again(council):
    register(council)
    assert (
        adopted(council, months="1")[-1] == f"Thank you! #1 {PLOT} is yours to look after from 2026-11-26 until "
        "2026-12-25."
    )
    council.run_jobs()
    council.advance(days=29)  # 25 December: the last day
    assert not [m for m in council.run_jobs() if "lapsed" in m or "ended on" in m]
    council.advance(days=1)
    sent = council.run_jobs()
    assert (
        f"Your adoption of #1 {PLOT} ended on 2026-12-25. Thank you for looking after it! Send /adopt 1 if you "
        "would like it again." in sent
    )
    assert f"The adoption of #1 {PLOT} lapsed on 2026-12-25; it is free to adopt again." in sent
    assert statuses(council) == ["lapsed"]
    assert council.say("李四", "/adoptables")[-1].endswith("· free to adopt")
    council.say("李四", "/adopt 1")
    assert statuses(council) == ["lapsed", "applied"]


def test_an_adopter_who_declines_the_agreement_leaves_the_plot_free(council):
    register(council)
    council.say("张三", "/adopt 1")
    council.say("刘书记", "/offer 1 6 每周浇水两次", private=True)
    assert "Term: 6 months from the day you sign\nDuties: 每周浇水两次" in council.last("张三", private=True)
    assert council.pick("张三", "I decline", private=True) == [
        "The applicant declined the adoption agreement for #1; it is free again.",
        "All right, #1 stays free for others.",
    ]
    assert statuses(council) == ["declined"]
    assert council.pick("张三", "I sign the agreement", private=True) == [
        "This agreement is no longer waiting for your answer."
    ]
    assert statuses(council) == ["declined"]


def test_the_council_can_turn_an_application_down_with_a_button(council):
    register(council)
    council.say("张三", "/adopt 1")
    assert council.pick("刘书记", "Turn it down", private=True) == [
        f"Sorry, the council could not give you #1 {PLOT} this time; send /adoptables to see what else is free.",
        "The application for #1 was turned down.",
    ]
    assert statuses(council) == ["declined"]


def test_bad_input_gets_a_clear_answer_and_changes_nothing(council):
    assert council.say("张三", "/adoptables") == ["Nothing is registered for adoption yet."]
    assert council.say("张三", "/newadoptable plot 花坛")[0].startswith("Sorry, /newadoptable is only for")
    assert council.say("刘书记", "/newadoptable garden 花坛")[0].startswith("Unknown kind garden; kinds:")
    assert council.say("刘书记", "/newadoptable plot")[0].startswith("Usage: /newadoptable KIND NAME")
    assert council.say("刘书记", "/newadoptable plot 甲\nbed 乙\nplot 甲") == ["甲 is already in the register."]
    register(council)
    assert council.say("刘书记", f"/newadoptable bed {PLOT}") == [f"{PLOT} is already in the register."]
    assert council.say("张三", "/adopt 7") == [
        "There is no adoptable thing 7 here. Send /adoptables to see the register."
    ]
    assert council.say("张三", "/adopt x")[0].startswith("Usage: /adopt NUMBER")
    adopted(council)
    assert council.say("李四", "/adopt 1") == [
        f"#1 {PLOT} is already adopted; please pick another one from /adoptables."
    ]
    assert council.say("李四", "/inspect 1 ok")[0].startswith("Sorry, /inspect is only for")
    assert council.say("刘书记", "/inspect 1")[0].startswith("Usage: /inspect NUMBER NOTE")
    assert council.say("刘书记", "/renew 1 99") == ["The term is between 1 and 60 months."]
    assert council.say("刘书记", "/offer 1") == ["Nobody is waiting for an agreement for #1."]
    assert council.say("李四", "/endadoption 1 不想要了")[0].startswith("Sorry, /endadoption is only for")
    assert statuses(council) == ["active"]
    assert council.say("刘书记", "/endadoption 1 认领人搬走了") == [
        f"Your adoption of #1 {PLOT} was ended by the council: 认领人搬走了",
        "The adoption of #1 has ended; it is free to adopt again.",
    ]
    assert council.say("刘书记", "/inspect 1 ok") == [f"#1 {PLOT} is not adopted at the moment."]
    assert statuses(council) == ["ended"]


def test_a_resident_of_another_district_cannot_adopt_this_districts_plot(tmp_path):
    village = DistrictSettings(
        id="village", name="Village", language="en", rooms=("test:village",), plugins=("core", "council")
    )
    chat = make(tmp_path, districts=[village])
    try:
        register(chat)
        chat._ensure("村民老王")  # has accepted the privacy notice
        chat.submit(
            Inbound("village-1", Address("test", "village"), Sender("test", "村民老王", "村民老王"), text="/adopt 1")
        )
        assert chat.in_room("village") == ["There is no adoptable thing 1 here. Send /adoptables to see the register."]
        assert statuses(chat) == []
    finally:
        chat.close()


def test_a_forgotten_adopter_ends_their_agreement_and_leaves_the_record_without_their_name(council):
    register(council)
    adopted(council)
    council.say("刘书记", "/inspect 1 很好")
    assert "#1 福宁大院1号小开荒: adopted" in "\n".join(council.say("张三", "/mydata", private=True))
    council.say("张三", "/forgetme", private=True)
    council.pick("张三", 1, private=True)
    with council.runtime.store.connect() as conn:
        row = conn.execute(sa.select(adoptions)).one()
        assert (row.status, row.person_id) == ("ended", None)
    assert council.say("李四", "/adoptables")[-1].endswith("· free to adopt")


def test_the_adoption_ledger_exports_as_xlsx_and_csv_with_chinese_headers(council, tmp_path):
    register(council)
    council.say("刘书记", "/newadoptable bed 2号楼花坛")
    adopted(council)
    council.say("刘书记", "/inspect 1 花开得很好")
    result = export_ledger(
        council.runtime.store,
        council.runtime.registry,
        "council.adoptions",
        "test",
        actor="cli:tester",
        path=tmp_path / "adoptions.xlsx",
        clock=council.clock,
    )
    rows = [[c.value for c in row] for row in openpyxl.load_workbook(result.path).active.iter_rows()]
    assert rows[0][:5] == ["Adoptable number", "Kind", "Name", "Adopter", "State"]
    first = dict(zip(rows[0], rows[1], strict=True))
    assert (first["Adoptable number"], first["Kind"], first["Name"], first["Adopter"], first["State"]) == (
        1,
        "green plot",
        PLOT,
        "张三",
        "adopted",
    )
    assert (first["Term (months)"], first["Renewals"], first["Inspections"]) == (12, 0, 1)
    assert str(first["End date"]).startswith("2027-11-25")
    assert first["Last inspection"] == "2026-11-26 花开得很好"
    assert rows[2][:5] == [2, "flower bed", "2号楼花坛", None, "free to adopt"]

    path = export_ledger(
        council.runtime.store,
        council.runtime.registry,
        "council.adoptions",
        "test",
        actor="cli:tester",
        fmt="csv",
        path=tmp_path / "adoptions.csv",
        clock=council.clock,
        language="zh_CN",
    ).path
    with path.open(encoding="utf-8-sig", newline="") as fh:
        header = next(csv.reader(fh))
    assert header == [translator("zh_CN")(h) for h in rows[0]]
    assert header[0] == "认领物编号"


def test_the_remarks_of_the_adoption_ledger_are_in_the_language_of_the_export(council, tmp_path):
    register(council)
    adopted(council, months="1")
    council.run_jobs()
    council.advance(days=30)
    council.run_jobs()  # the term ends: a remark the plugin writes itself
    with council.runtime.store.begin() as conn:  # and one an older version wrote in English
        conn.execute(
            sa.insert(adoptions).values(
                district_id="test",
                adoptable_id=1,
                status="declined",
                applied_at=council.clock.now(),
                months=12,
                duties="",
                note="turned down by the council",
            )
        )
    path = export_ledger(
        council.runtime.store,
        council.runtime.registry,
        "council.adoptions",
        "test",
        actor="cli:tester",
        fmt="csv",
        path=tmp_path / "adoptions.csv",
        clock=council.clock,
        language="zh_CN",
    ).path
    with path.open(encoding="utf-8-sig", newline="") as fh:
        remarks = [row[-1] for row in csv.reader(fh)][1:]
    assert remarks == [translator("zh_CN")("term ended"), translator("zh_CN")("turned down by the council")]
    assert not any("term" in r or "council" in r for r in remarks)


def test_adoption_reads_naturally_in_chinese_and_in_english_for_who_asks(tmp_path):
    chat = make(tmp_path, language="zh_CN")
    t = translator("zh_CN")
    try:
        assert chat.say("刘书记", "/登记认领 绿地 东侧小开荒") == ["已登记为可认领：#1 绿地：东侧小开荒。"]
        assert chat.say("张三", "/认领 1")[-1] == "谢谢您！您认领#1 东侧小开荒的申请已登记，议事会会把认领协议发给您。"
        assert chat.pick("刘书记", "发出认领协议", private=True)[0].startswith(
            "认领协议：#1 绿地：东侧小开荒\n期限：自签订之日起12个月\n认领责任：按时浇水除草"
        )
        assert chat.pick("张三", "我签订协议", private=True)[-1] == (
            "谢谢您！从2026-11-26到2027-11-25，#1 东侧小开荒就交给您照料了。"
        )
        assert chat.say("李四", "/认领 1") == [
            t(
                "#{number} {name} is already {state}; please pick another one from /adoptables.",
                number=1,
                name="东侧小开荒",
                state=t("adopted"),
            )
        ]
        chat.say("李四", "/lang en")
        assert chat.say("李四", "/adoptables") == [
            "Things to adopt (send /adopt NUMBER to apply):\n#1 green plot: 东侧小开荒 · adopted until 2027-11-25"
        ]
    finally:
        chat.close()


def test_many_plots_are_registered_at_once_one_per_line(council):
    assert council.say("刘书记", "/newadoptable plot 小开荒1号\nplot 小开荒2号\nbed 2号楼门前花坛") == [
        "Registered for adoption: 3 things.\n#1 green plot: 小开荒1号\n#2 green plot: 小开荒2号\n"
        "#3 flower bed: 2号楼门前花坛"
    ]
    assert council.say("张三", "/adopt 3")[-1].startswith("Thank you! Your application for #3 2号楼门前花坛")
