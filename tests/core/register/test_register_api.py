"""The register's API as plugins use it (``ctx.registry``): areas, households, people without a
chat account, acting for them, link codes, duplicates, change requests and history, district
isolation. Every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from linli.core import people
from linli.core.errors import UserError
from linli.core.storage import schema as s

ID_WANG = "11010519491231002X"  # a valid number (check character X)
ID_LI = "110105194803050011"


@pytest.fixture
def home(registry):
    """Building 12栋 of grid 第一网格 with household 2-301, where 王秀英 lives (no chat account)."""
    reg = registry()
    building = reg.add_building("12栋", grid="第一网格")
    household = reg.add_household(building.id, "301", unit="2", phone="13800001234")
    wang = reg.add_person(household.id, "王秀英", relation="户主", gender="女", id_number=ID_WANG).resident
    return building, household, wang


def test_a_person_of_the_register_has_no_chat_account_and_lives_in_her_household(registry, home):
    building, household, wang = home
    reg = registry()

    assert wang.has_account is False
    assert wang.birth_date == dt.date(1949, 12, 31)  # from the ID number
    assert reg.household("12栋", "2-301") == household
    assert reg.household("12栋", "2单元301") == household
    assert [m.name for m in reg.members(household.id)] == ["王秀英"]
    assert reg.household_of(wang.person_id) == household
    assert [b.code for b in reg.buildings(building.grid_id)] == ["12栋"]


def test_an_id_number_is_kept_only_as_a_salted_hash(conn, home):
    dumped = " ".join(
        str(value)
        for table in (s.residents, s.persons, s.household_history, s.audit_log, s.household_changes)
        for row in conn.execute(sa.select(table))
        for value in row
    )

    assert ID_WANG not in dumped
    assert "1231002" not in dumped


def test_a_bad_id_number_or_phone_is_refused_with_a_clear_message(registry, home):
    _, household, _ = home
    reg = registry()

    with pytest.raises(UserError, match="not a valid ID number"):
        reg.add_person(household.id, "李四", id_number="110105194912310021")
    with pytest.raises(UserError, match="phone number"):
        reg.add_person(household.id, "李四", phone="call me")
    assert [m.name for m in reg.members(household.id)] == ["王秀英"]


def test_staff_add_a_building_once_and_a_second_time_is_refused(registry, conn, home):
    reg = registry(person_id=7)

    added = reg.add_building("13栋", grid="第一网格", address="清河路 13 号")
    with pytest.raises(UserError, match="already in the register"):
        reg.add_building("13栋")

    assert added.grid_id == reg.grid("第一网格").id
    actions = conn.execute(sa.select(s.audit_log.c.action, s.audit_log.c.person_id)).all()
    assert ("registry.building_added", 7) in actions


def test_acting_for_a_resident_records_who_acted_for_whom(registry, conn, home):
    _, _, wang = home
    captain = people.person_for(conn, "test:captain", "楼长").id

    registry(person_id=captain).act_for(wang.person_id, "captains.need_confirmed", "need:17")

    row = conn.execute(sa.select(s.audit_log).where(s.audit_log.c.action == "captains.need_confirmed")).one()
    assert (row.person_id, row.acted_for, row.target, row.plugin) == (captain, wang.person_id, "need:17", "test")
    assert [a["action"] for a in registry().acted_for(wang.person_id)] == ["captains.need_confirmed"]


def test_nobody_acts_for_a_person_of_another_district(registry, home):
    _, _, wang = home

    with pytest.raises(UserError, match="not in this community's register"):
        registry("yahe").act_for(wang.person_id, "rural.visit")


def test_another_district_sees_none_of_the_register(registry, home):
    _, household, wang = home
    other = registry("yahe")

    assert other.buildings() == []
    assert other.building("12栋") is None
    assert other.household_by_id(household.id) is None
    assert other.resident(wang.person_id) is None
    assert other.members(household.id) == []
    with pytest.raises(UserError):
        other.issue_link_code(wang.person_id)
    with pytest.raises(UserError):
        other.propose_change(household.id, "phone", phone="13900000000")


# --- link codes --------------------------------------------------------------------------


def test_a_resident_links_her_chat_account_with_a_code_and_keeps_her_consent_and_roles(registry, conn, home):
    _, household, wang = home
    code = registry(person_id=1).issue_link_code(wang.person_id)
    chat_person = people.person_for(conn, "test:wang", "Wang").id
    people.record_consent(conn, chat_person, 1, True)
    people.grant_role(conn, chat_person, "qinghe", "volunteer", by="test")

    linked = registry().redeem_link_code(code.lower(), chat_person, "test:wang")

    assert linked.person_id == wang.person_id and linked.has_account
    assert people.person_for(conn, "test:wang", "Wang", create=False).id == wang.person_id
    assert people.roles_in(conn, wang.person_id, "qinghe") == {"volunteer": frozenset({""})}
    assert conn.execute(sa.select(s.persons.c.consent_version).where(s.persons.c.id == wang.person_id)).scalar() == 1
    assert conn.execute(sa.select(s.persons.c.id).where(s.persons.c.id == chat_person)).first() is None
    assert [h.kind for h in registry().history(household.id)][-1] == "linked"


def test_a_link_code_works_once(registry, conn, home):
    _, _, wang = home
    code = registry().issue_link_code(wang.person_id)
    registry().redeem_link_code(code, people.person_for(conn, "test:wang", "Wang").id)

    with pytest.raises(UserError, match="not valid or was used"):
        registry().redeem_link_code(code, people.person_for(conn, "test:other", "Other").id)


def test_a_link_code_expires(registry, conn, clock, home):
    _, _, wang = home
    code = registry().issue_link_code(wang.person_id, valid_for=dt.timedelta(days=1))
    clock.advance(dt.timedelta(days=1, seconds=1))

    with pytest.raises(UserError, match="expired"):
        registry().redeem_link_code(code, people.person_for(conn, "test:wang", "Wang").id)


def test_a_link_code_of_one_district_does_nothing_in_another(registry, conn, home):
    _, _, wang = home
    code = registry().issue_link_code(wang.person_id)

    with pytest.raises(UserError, match="not valid"):
        registry("yahe").redeem_link_code(code, people.person_for(conn, "test:wang", "Wang").id)


def test_only_the_hash_of_a_link_code_is_kept(registry, conn, home):
    _, _, wang = home
    code = registry().issue_link_code(wang.person_id)

    assert code not in str(conn.execute(sa.select(s.link_codes)).all())


# --- duplicates ---------------------------------------------------------------------------


def test_the_same_id_number_in_two_households_is_offered_as_a_duplicate_not_merged(registry, home):
    building, _, wang = home
    reg = registry()
    other = reg.add_household(building.id, "302", unit="2")

    added = reg.add_person(other.id, "王秀英", id_number=ID_WANG)

    assert [(d.person_ids, d.reason) for d in added.duplicates] == [((wang.person_id, added.resident.person_id), "id")]
    assert reg.resident(wang.person_id) is not None and reg.resident(added.resident.person_id) is not None


def test_the_same_name_birth_date_and_building_is_a_duplicate_too(registry, home):
    building, _, _ = home
    reg = registry()
    one = reg.add_household(building.id, "401", unit="3")
    two = reg.add_household(building.id, "402", unit="3")
    first = reg.add_person(one.id, "赵四", birth_date=dt.date(1950, 1, 2)).resident
    second = reg.add_person(two.id, "赵四", birth_date=dt.date(1950, 1, 2))

    assert [(d.person_ids, d.reason) for d in second.duplicates] == [
        ((first.person_id, second.resident.person_id), "name_birth_building")
    ]


def test_a_pair_found_to_be_two_people_is_no_longer_listed(registry, home):
    building, _, wang = home
    reg = registry()
    twin = reg.add_person(reg.add_household(building.id, "302", unit="2").id, "王秀英", id_number=ID_WANG).resident

    reg.not_duplicate(twin.person_id, wang.person_id)

    assert reg.duplicates() == []


def test_merging_duplicates_keeps_one_person_with_both_households_history(registry, home):
    building, _, wang = home
    reg = registry(person_id=3)
    other = reg.add_household(building.id, "302", unit="2")
    twin = reg.add_person(other.id, "王秀英", id_number=ID_WANG, phone="13700000000").resident

    merged = reg.merge(wang.person_id, twin.person_id)

    assert merged.person_id == wang.person_id and merged.phone == "13700000000"
    assert reg.resident(twin.person_id) is None
    assert reg.duplicates() == []
    assert [h.kind for h in reg.history(other.id)] == ["created", "move_in", "merge"]


# --- change requests ----------------------------------------------------------------------


def test_a_move_in_proposed_by_a_captain_is_applied_when_staff_approve_it(registry, home):
    _, household, _ = home
    change = registry(person_id=5).propose_change(
        household.id, "move_in", name="李建国", relation="配偶", id_number=ID_LI, phone="13600000000"
    )
    assert [m.name for m in registry().members(household.id)] == ["王秀英"]
    assert "id_number" not in change.detail and "id_hash" in change.detail

    approved = registry(person_id=9).approve(change.id)

    assert approved.status == "approved" and approved.decided_by == 9
    members = registry().members(household.id)
    assert [(m.name, m.relation, m.birth_date) for m in members] == [
        ("王秀英", "户主", dt.date(1949, 12, 31)),
        ("李建国", "配偶", dt.date(1948, 3, 5)),
    ]
    last = registry().history(household.id)[-1]
    assert (last.kind, last.source, last.proposed_by, last.approved_by, last.change_id) == (
        "move_in",
        "change",
        5,
        9,
        change.id,
    )


def test_a_rejected_change_changes_nothing_and_forgets_the_phone(registry, home):
    _, household, _ = home
    change = registry(person_id=5).propose_change(household.id, "phone", phone="13911112222")

    rejected = registry(person_id=9).reject(change.id, "号码不对")

    assert (rejected.status, rejected.reason, rejected.detail) == ("rejected", "号码不对", {})
    assert registry().household_by_id(household.id).phone == "13800001234"
    assert [h.kind for h in registry().history(household.id)] == ["created", "move_in"]


def test_a_death_approved_ends_the_membership_and_keeps_the_history(registry, home):
    _, household, wang = home
    change = registry(person_id=5).propose_change(
        household.id, "death", person_id=wang.person_id, date=dt.date(2026, 11, 30)
    )

    registry(person_id=9).approve(change.id)

    assert registry().members(household.id) == []
    assert registry().resident(wang.person_id).deceased_on == dt.date(2026, 11, 30)
    assert registry().household_by_id(household.id).status == "moved_out"
    assert [m.name for m in registry().members(household.id, current=False)] == ["王秀英"]
    assert registry().history(household.id)[-1].detail == {"person_id": wang.person_id, "date": "2026-11-30"}


def test_a_new_phone_is_kept_masked_in_the_history(registry, home):
    _, household, _ = home
    change = registry(person_id=5).propose_change(household.id, "phone", phone="13911112222")

    registry(person_id=9).approve(change.id)

    assert registry().household_by_id(household.id).phone == "13911112222"
    assert registry().history(household.id)[-1].detail == {"phone": "*******2222"}


def test_a_change_is_decided_once(registry, home):
    _, household, _ = home
    change = registry().propose_change(household.id, "phone", phone="13911112222")
    registry().approve(change.id)

    with pytest.raises(UserError, match="decided already"):
        registry().reject(change.id)


def test_moving_out_someone_who_does_not_live_there_is_refused(registry, home):
    building, household, _ = home
    reg = registry()
    stranger = reg.add_person(reg.add_household(building.id, "501").id, "外人").resident

    with pytest.raises(UserError, match="does not live in this household"):
        reg.propose_change(household.id, "move_out", person_id=stranger.person_id)
    with pytest.raises(UserError, match="Unknown kind"):
        reg.propose_change(household.id, "divorce")
    assert reg.changes() == []
