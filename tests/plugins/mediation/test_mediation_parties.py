"""The other party: invited, free to refuse, told in their own language; districts kept apart."""

from __future__ import annotations

import sqlalchemy as sa
from mediation_helpers import CONFIG, PLUGINS, agree, file_case, meet

from linli.core import people
from linli.core.events import Address, Inbound, Sender
from linli.core.i18n import translator
from linli.core.settings import DistrictSettings
from linli.plugins.mediation.tables import cases, members, records
from linli.testing import ChatHarness


def test_an_invited_party_may_refuse_and_the_mediator_is_told(med):
    file_case(med)
    med.say("王律师", "/take 1", private=True)
    med.say("王律师", "/addparty 1 李四", private=True)
    invitation = next(m for m in med.sent if m.address == med.address("李四", private=True) and m.choices)
    assert [c.label for c in invitation.choices] == ["I agree to mediation", "I do not wish to take part"]
    med.pick("李四", "I do not wish", private=True)
    assert med.last("李四", private=True).startswith("Mediation is voluntary.")
    assert med.last("王律师", private=True) == (
        "李四 does not wish to take part in case 1; send /progress 1 declined REASON to close it."
    )
    with med.runtime.store.connect() as conn:
        assert conn.execute(sa.select(cases.c.status)).scalar() == "registered"  # the mediator decides
        assert ("consent", {"agreed": False}) in conn.execute(sa.select(records.c.kind, records.c.params)).all()


def test_someone_else_cannot_press_a_partys_agreement_button(med):
    file_case(med)
    agree(med)
    button = next(m for m in reversed(med.sent) if m.address == med.address("李四", private=True) and m.choices)
    press = Inbound(
        "x-1",
        med.address("王五", private=True),
        Sender("test", "王五", "王五"),
        text="1",
        kind="choice",
        private=True,
        choice=button.choices[0].value,
    )
    med.submit(press)
    with med.runtime.store.connect() as conn:
        assert (
            conn.execute(
                sa.select(sa.func.count()).select_from(members).where(members.c.confirmed_at.is_not(None))
            ).scalar()
            == 0
        )


def test_a_redelivered_confirmation_is_recorded_once(med):
    file_case(med)
    agree(med)
    button = next(m for m in reversed(med.sent) if m.address == med.address("张三", private=True) and m.choices)
    press = Inbound(
        "tg-7",
        med.address("张三", private=True),
        Sender("test", "张三", "张三"),
        text="1",
        kind="choice",
        private=True,
        choice=button.choices[0].value,
    )
    med.submit(press)
    med.submit(press)
    thanks = "Thank you; your confirmation of the agreement of case 1 is recorded."
    assert med.in_room("@张三").count(thanks) == 1


def test_each_party_is_told_in_their_own_language(med):
    med.say("李四", "/lang zh_CN", private=True)
    file_case(med)
    med.say("王律师", "/take 1", private=True)
    med.say("王律师", "/addparty 1 李四", private=True)
    med.say("王律师", "/progress 1 accepted ok", private=True)
    zh = translator("zh_CN")
    assert med.last("李四", private=True) == zh(
        "Your mediation case {number} is now: {state}. Reason: {reason}", number=1, state=zh("accepted"), reason="ok"
    )
    assert med.last("张三", private=True) == "Your mediation case 1 is now: accepted. Reason: ok"


def test_cancelling_the_filing_dialog_saves_nothing(med):
    med.say("张三", "/mediate", private=True)
    med.pick("张三", "Family", private=True)
    med.say("张三", "我弟弟", private=True)
    med.say("张三", "/cancel", private=True)
    with med.runtime.store.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(cases)).scalar() == 0


def test_a_case_of_one_district_is_unknown_in_another(tmp_path):
    village = DistrictSettings(
        id="village",
        name="Village",
        language="en",
        rooms=("test:village",),
        plugins=("core", "mediation"),
        config={"mediation": {"team_room": "test:village"}},
    )  # casework allowed there
    chat = ChatHarness(tmp_path, plugins=PLUGINS, language="en", config=CONFIG, districts=[village])
    try:
        meet(chat, "张三", "李四")
        file_case(chat)
        with chat.runtime.store.begin() as conn:
            person = people.person_for(conn, "test:村民", "村民")
            assert person is not None
            people.record_consent(conn, person.id, 1, True)
            people.grant_role(conn, person.id, "village", "mediator", "kind:worker", by="test")
        village_room = Address("test", "village")
        chat.submit(Inbound("v-1", village_room, Sender("test", "村民", "村民"), text="/cases"))
        with chat.runtime.store.connect() as conn:
            assert conn.execute(sa.select(cases.c.district_id)).scalars().all() == ["test"]
        assert chat.in_room("village")[-1] == "No open mediation cases."
    finally:
        chat.close()
