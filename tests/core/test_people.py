"""Persons and their identities, roles and consent: who someone is on first contact, which
roles they hold in which district and scope, and the audit of every role change.

Every test runs on SQLite and on a real PostgreSQL (skipped locally without one,
failing on CI).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from linli.core import people
from linli.core.errors import NotFound
from linli.core.storage import schema as s


@pytest.fixture
def store(core_store):
    """The core store with two districts, heping and xinglong."""
    with core_store.begin() as conn:
        conn.execute(
            sa.insert(s.districts), [{"id": "heping", "name": "和平社区"}, {"id": "xinglong", "name": "兴隆村"}]
        )
    return core_store


def audit_rows(conn: sa.Connection) -> list[tuple[str, str, str, dict]]:
    rows = conn.execute(
        sa.select(s.audit_log.c.action, s.audit_log.c.actor, s.audit_log.c.target, s.audit_log.c.detail).order_by(
            s.audit_log.c.id
        )
    )
    return [tuple(r) for r in rows]


# --- who someone is -------------------------------------------------------------------------------


def test_a_person_is_created_on_first_contact_not_yet_shown_the_privacy_notice(store):
    with store.begin() as conn:
        zhang = people.person_for(conn, "telegram:12345", "张三")
        again = people.person_for(conn, "telegram:12345", "张三丰")

    assert zhang is not None and again == zhang
    assert (zhang.display_name, zhang.consent_version, zhang.language, zhang.home_district) == ("张三", 0, None, None)


def test_a_person_without_a_display_name_is_shown_by_their_identity(store):
    with store.begin() as conn:
        person = people.person_for(conn, "console:alice", "")

    assert person is not None and person.display_name == "console:alice"


def test_looking_someone_up_without_creating_them_finds_nobody_new(store):
    with store.begin() as conn:
        assert people.person_for(conn, "telegram:1", "张三", create=False) is None
        assert conn.execute(sa.select(sa.func.count()).select_from(s.persons)).scalar_one() == 0


def test_a_person_is_found_by_their_number_or_their_identity(store):
    with store.begin() as conn:
        zhang = people.person_for(conn, "console:张三", "张三")
        assert zhang is not None

        assert people.find_person(conn, f"#{zhang.id}") == zhang
        assert people.find_person(conn, "console:张三") == zhang


@pytest.mark.parametrize("who", ["#999", "console:nobody", "#", "nobody"])
def test_nobody_by_that_name_is_a_clear_not_found(store, who):
    with store.begin() as conn, pytest.raises(NotFound, match="no person"):
        people.find_person(conn, who)


def test_linking_an_identity_makes_both_accounts_one_person(store):
    with store.begin() as conn:
        zhang = people.person_for(conn, "telegram:1", "张三")
        stray = people.person_for(conn, "matrix:@zhang:example.org", "zhang")
        assert zhang is not None and stray is not None and stray.id != zhang.id
        people.link_identity(conn, zhang.id, "matrix:@zhang:example.org")

        assert people.person_for(conn, "matrix:@zhang:example.org", "", create=False) == zhang
        assert sorted(people.identities_of(conn, zhang.id)) == ["matrix:@zhang:example.org", "telegram:1"]
        assert people.identities_of(conn, stray.id) == []


# --- roles ----------------------------------------------------------------------------------------


def test_roles_are_held_in_one_district_each_with_its_scopes(store):
    with store.begin() as conn:
        zhang = people.person_for(conn, "telegram:1", "张三")
        assert zhang is not None
        people.grant_role(conn, zhang.id, "heping", "captain", "building:12", by="cli:admin")
        people.grant_role(conn, zhang.id, "heping", "captain", "building:13", by="cli:admin")
        people.grant_role(conn, zhang.id, "heping", "staff", by="cli:admin")
        people.grant_role(conn, zhang.id, "xinglong", "admin", by="cli:admin")

        assert people.roles_in(conn, zhang.id, "heping") == {
            "captain": frozenset({"building:12", "building:13"}),
            "staff": frozenset({""}),
        }
        assert people.roles_in(conn, zhang.id, "xinglong") == {"admin": frozenset({""})}
        assert people.roles_in(conn, zhang.id, "nowhere") == {}


def test_the_sender_and_their_roles_here_come_in_one_lookup(store):
    with store.begin() as conn:
        zhang = people.person_for(conn, "telegram:1", "张三")
        assert zhang is not None
        people.grant_role(conn, zhang.id, "heping", "staff", by="cli:admin")
        people.grant_role(conn, zhang.id, "xinglong", "council", by="cli:admin")

        here = people.person_with_roles(conn, "telegram:1", "张三", "heping")
        nowhere = people.person_with_roles(conn, "telegram:1", "张三", None)

    assert here == (zhang, {"staff": frozenset({""})})
    assert nowhere == (zhang, {})


def test_a_stranger_looked_up_with_their_roles_is_created_with_none(store):
    with store.begin() as conn:
        person, roles = people.person_with_roles(conn, "telegram:7", "王五", "heping")

        assert roles == {}
        assert people.person_for(conn, "telegram:7", "", create=False) == person
        assert person.consent_version == 0


def test_the_handlers_mark_is_claimed_with_the_lookup_once_on_postgresql_and_left_untried_elsewhere(store):
    with store.begin() as conn:
        first, second = people.Claim("e1:core.help"), people.Claim("e1:core.help")
        people.person_with_roles(conn, "telegram:1", "张三", "heping", first)
        people.person_with_roles(conn, "telegram:1", "张三", "heping", second)

        if conn.dialect.name == "postgresql":
            assert (first.inserted, second.inserted) == (True, False)
            assert list(conn.execute(sa.select(s.processed.c.key)).scalars()) == ["e1:core.help"]
        else:
            assert (first.inserted, second.inserted) == (None, None)
            assert conn.execute(sa.select(sa.func.count()).select_from(s.processed)).scalar_one() == 0


def test_a_role_is_granted_once_and_each_grant_and_revocation_is_audited(store):
    with store.begin() as conn:
        zhang = people.person_for(conn, "telegram:1", "张三")
        assert zhang is not None
        granted = people.grant_role(conn, zhang.id, "heping", "captain", "grid:3", by="cli:wang")
        again = people.grant_role(conn, zhang.id, "heping", "captain", "grid:3", by="cli:wang")
        other_scope = people.revoke_role(conn, zhang.id, "heping", "captain", "grid:4", by="cli:wang")
        revoked = people.revoke_role(conn, zhang.id, "heping", "captain", "grid:3", by="cli:wang")
        twice = people.revoke_role(conn, zhang.id, "heping", "captain", "grid:3", by="cli:wang")

        assert (granted, again, other_scope, revoked, twice) == (True, False, False, True, False)
        assert people.roles_in(conn, zhang.id, "heping") == {}
        assert audit_rows(conn) == [
            ("role.grant", "cli:wang", "captain", {"scope": "grid:3"}),
            ("role.revoke", "cli:wang", "captain", {"scope": "grid:3"}),
        ]


def test_the_grants_are_listed_by_district_with_the_persons_names(store):
    with store.begin() as conn:
        zhang = people.person_for(conn, "telegram:1", "张三")
        li = people.person_for(conn, "telegram:2", "李四")
        assert zhang is not None and li is not None
        people.grant_role(conn, li.id, "xinglong", "admin", by="cli:a")
        people.grant_role(conn, zhang.id, "heping", "staff", by="cli:b")
        people.grant_role(conn, li.id, "heping", "captain", "grid:1", by="cli:c")

        every = people.grants_of(conn)
        heping = people.grants_of(conn, "heping")

    assert [(g.district_id, g.role, g.display_name) for g in every] == [
        ("heping", "captain", "李四"),
        ("heping", "staff", "张三"),
        ("xinglong", "admin", "李四"),
    ]
    assert heping == [
        people.Grant(li.id, "heping", "captain", "grid:1", "cli:c", "李四"),
        people.Grant(zhang.id, "heping", "staff", "", "cli:b", "张三"),
    ]


@pytest.mark.parametrize(
    ("roles", "wanted", "scope", "allowed"),
    [
        ({"admin": frozenset({""})}, ["staff"], "grid:3", True),
        ({"staff": frozenset({""})}, ["staff"], "grid:3", True),
        ({"captain": frozenset({"grid:3"})}, ["captain"], "grid:3", True),
        ({"captain": frozenset({"grid:3"})}, ["captain"], "grid:4", False),
        ({"captain": frozenset({"grid:3"})}, ["captain"], None, True),
        ({"captain": frozenset({""})}, ["staff", "council"], None, False),
        ({}, ["staff"], None, False),
    ],
)
def test_a_role_counts_at_its_scope_or_district_wide_and_an_admin_may_do_everything(roles, wanted, scope, allowed):
    assert people.has_role(roles, wanted, scope) is allowed


# --- consent --------------------------------------------------------------------------------------


def test_consent_given_records_its_version_and_withdrawn_clears_it_both_kept_in_history(store):
    with store.begin() as conn:
        zhang = people.person_for(conn, "telegram:1", "张三")
        assert zhang is not None
        people.record_consent(conn, zhang.id, 2, True)
        given = people.find_person(conn, f"#{zhang.id}").consent_version
        people.record_consent(conn, zhang.id, 2, False)
        withdrawn = people.find_person(conn, f"#{zhang.id}").consent_version
        history = [
            tuple(r)
            for r in conn.execute(
                sa.select(s.consents.c.kind, s.consents.c.version, s.consents.c.granted).order_by(s.consents.c.id)
            )
        ]

    assert (given, withdrawn) == (2, None)
    assert history == [("privacy", 2, True), ("privacy", 2, False)]
