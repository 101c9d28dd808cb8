"""``linli roles`` and ``linli persons``: who holds which role where, audited."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from linli.core import people
from linli.core.storage import Store
from linli.core.storage import schema as s


def _query(url: str, stmt: sa.Select) -> list[sa.Row]:
    store = Store(url)
    try:
        with store.connect() as conn:
            return list(conn.execute(stmt))
    finally:
        store.dispose()


def _roles(url: str, identity: str, district: str) -> dict[str, frozenset[str]]:
    store = Store(url)
    try:
        with store.connect() as conn:
            person = people.find_person(conn, identity)
            return people.roles_in(conn, person.id, district)
    finally:
        store.dispose()


def test_granting_a_role_to_someone_who_never_spoke_creates_the_person(ready):
    out = ready.ok("roles", "grant", "console:王主任", "staff", "--district", "heping")
    assert "Created person #1 (王主任) for console:王主任" in out
    assert "#1 王主任 is now community worker (staff) in heping (whole district)" in out
    assert _roles(ready.database_url, "console:王主任", "heping") == {"staff": frozenset({""})}


def test_a_role_can_be_limited_to_a_grid_and_revoked_again(ready):
    ready.ok("roles", "grant", "telegram:12345", "staff", "-d", "heping", "--scope", "grid:3", "--name", "李楼长")
    assert _roles(ready.database_url, "telegram:12345", "heping") == {"staff": frozenset({"grid:3"})}
    out = ready.ok("roles", "revoke", "#1", "staff", "-d", "heping", "--scope", "grid:3")
    assert "#1 李楼长 is no longer community worker (staff) in heping (grid:3)" in out
    assert _roles(ready.database_url, "telegram:12345", "heping") == {}


def test_every_role_change_is_audited_with_the_os_user_as_actor(ready):
    ready.ok("roles", "grant", "console:张三", "admin", "-d", "heping")
    ready.ok("roles", "revoke", "console:张三", "admin", "-d", "heping")
    rows = _query(ready.database_url, sa.select(s.audit_log).order_by(s.audit_log.c.id))
    assert [(r.action, r.target, r.district_id) for r in rows] == [
        ("role.grant", "admin", "heping"),
        ("role.revoke", "admin", "heping"),
    ]
    assert all(r.actor.startswith("cli:") and len(r.actor) > len("cli:") for r in rows)


def test_granting_a_held_role_again_changes_nothing(ready):
    ready.ok("roles", "grant", "console:张三", "staff", "-d", "heping")
    assert "already is community worker (staff)" in ready.ok("roles", "grant", "console:张三", "staff", "-d", "heping")
    assert len(_query(ready.database_url, sa.select(s.role_grants))) == 1


def test_a_role_no_plugin_declares_is_granted_with_a_warning(ready):
    result = ready("roles", "grant", "console:张三", "captian", "-d", "heping")
    assert result.exit_code == 0
    assert "no installed plugin declares the role 'captian'" in result.stderr
    assert "admin, assessor, council, facilitator, grid_worker, helper, mediation_lead, mediator" in result.stderr


def test_roles_grant_refuses_a_bad_scope_an_unknown_district_and_an_unknown_person(ready):
    assert "is not a scope" in ready.fails(
        "roles", "grant", "console:张三", "staff", "-d", "heping", "--scope", "grid3", code=2
    )
    assert "no district 'nowhere'" in ready.fails("roles", "grant", "console:张三", "staff", "-d", "nowhere", code=6)
    assert "no person '#999'" in ready.fails("roles", "grant", "#999", "staff", "-d", "heping", code=6)
    assert "is not a person" in ready.fails("roles", "grant", "张三", "staff", "-d", "heping", code=2)
    assert "is not a role name" in ready.fails("roles", "grant", "console:张三", "Staff", "-d", "heping", code=2)


def test_revoking_a_role_the_person_does_not_hold_says_what_they_hold(ready):
    ready.ok("roles", "grant", "console:张三", "staff", "-d", "heping", "--scope", "grid:3")
    error = ready.fails("roles", "revoke", "console:张三", "staff", "-d", "heping", code=6)
    assert "does not hold staff in heping (whole district)" in error and "staff@grid:3" in error
    assert "no person 'console:nobody'" in ready.fails("roles", "revoke", "console:nobody", "staff", "-d", "heping")


def test_roles_list_shows_grants_with_person_identities_and_role_description(ready):
    ready.ok("roles", "grant", "console:张三", "staff", "-d", "heping")
    ready.ok("roles", "grant", "console:李四", "admin", "-d", "xinglong")
    out = ready.ok("roles", "list", "--district", "heping")
    row = next(line for line in out.splitlines() if "张三" in line)
    for cell in ("heping", "community worker (staff)", "whole district", "#1 张三", "console:张三", "cli:"):
        assert cell in row
    assert "李四" not in out
    assert "李四" in ready.ok("roles", "list")


def test_persons_link_gives_one_person_a_second_platform_identity(ready):
    ready.ok("roles", "grant", "telegram:12345", "staff", "-d", "heping", "--name", "王楼长")
    out = ready.ok("persons", "link", "telegram:12345", "matrix:@wang:example.org")
    assert "matrix:@wang:example.org now belongs to #1 王楼长" in out
    assert _roles(ready.database_url, "matrix:@wang:example.org", "heping") == {"staff": frozenset({""})}
    listed = ready.ok("persons", "list", "--district", "heping")
    assert "matrix:@wang:example.org, telegram:12345" in listed and "heping/staff" in listed
    audit = _query(ready.database_url, sa.select(s.audit_log).where(s.audit_log.c.action == "person.link"))
    assert [(a.person_id, a.target) for a in audit] == [(1, "matrix:@wang:example.org")]


def test_persons_link_moving_an_identity_warns_about_the_person_it_leaves(ready):
    ready.ok("roles", "grant", "console:张三", "staff", "-d", "heping")
    ready.ok("roles", "grant", "telegram:42", "staff", "-d", "heping")
    result = ready("persons", "link", "#1", "telegram:42")
    assert result.exit_code == 0
    assert "telegram:42 was taken from #2" in result.stderr
    assert "already belongs to #1" in ready.ok("persons", "link", "#1", "telegram:42")


def test_persons_link_refuses_an_unknown_person_and_a_bad_identity(ready):
    assert "no person '#999'" in ready.fails("persons", "link", "#999", "telegram:1", code=6)
    ready.ok("roles", "grant", "console:张三", "staff", "-d", "heping")
    assert "numeric id" in ready.fails("persons", "link", "#1", "telegram:@zhang", code=2)


def test_persons_list_without_anybody_says_so(ready):
    assert "Nobody yet" in ready.ok("persons", "list")


def test_roles_are_granted_listed_and_revoked_on_postgresql(linli, postgres_url):
    linli.env["LINLI_DATABASE_URL"] = postgres_url
    linli.ok("roles", "grant", "console:张三", "staff", "-d", "heping", "--scope", "building:12")
    linli.ok("persons", "link", "console:张三", "telegram:777")
    assert "building:12" in linli.ok("roles", "list", "-d", "heping")
    assert _roles(postgres_url, "telegram:777", "heping") == {"staff": frozenset({"building:12"})}
    linli.ok("roles", "revoke", "telegram:777", "staff", "-d", "heping", "--scope", "building:12")
    assert _roles(postgres_url, "console:张三", "heping") == {}
    actions = [r.action for r in _query(postgres_url, sa.select(s.audit_log).order_by(s.audit_log.c.id))]
    assert actions == ["role.grant", "person.link", "role.revoke"]


@pytest.mark.parametrize("who", ["#²", "#99999999999999999999999", "#-1"])
def test_a_person_number_that_is_no_number_is_nobody_not_a_crash(ready, who):
    assert "no person" in ready.fails("roles", "revoke", who, "staff", "-d", "heping", code=6)
