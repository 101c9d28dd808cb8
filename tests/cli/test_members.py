"""``linli members``: who is a member of a district and why; an administrator adds and removes."""

from __future__ import annotations

from linli.core import members, people
from linli.core.storage import Store


def _districts(url: str, identity: str) -> list[str]:
    store = Store(url)
    try:
        with store.connect() as conn:
            return members.districts_of(conn, people.find_person(conn, identity).id)
    finally:
        store.dispose()


def test_an_administrator_adds_a_member_who_is_then_listed_with_why(ready):
    out = ready.ok("members", "add", "console:王奶奶", "--district", "heping")
    assert "Created person #1 (王奶奶) for console:王奶奶" in out
    assert "#1 王奶奶 is now a member of heping." in out
    assert "already" in ready.ok("members", "add", "console:王奶奶", "-d", "heping")

    listing = ready.ok("members", "list", "-d", "heping")

    assert "王奶奶" in listing and "added by an administrator" in listing
    assert _districts(ready.database_url, "console:王奶奶") == ["heping"]


def test_removing_a_member_ends_what_an_administrator_can_end_and_says_what_remains(ready):
    ready.ok("members", "add", "console:李四", "-d", "heping")
    ready.ok("roles", "grant", "console:李四", "staff", "-d", "heping")

    result = ready("members", "remove", "console:李四", "-d", "heping")

    assert result.exit_code == 0
    assert "still a member of heping through: role" in result.stderr
    ready.ok("roles", "revoke", "console:李四", "staff", "-d", "heping")
    assert _districts(ready.database_url, "console:李四") == []
    assert "was not a member" in ready.ok("members", "remove", "console:李四", "-d", "heping")


def test_a_district_without_members_says_so_and_an_unknown_one_is_an_error(ready):
    assert "heping has no members yet." in ready.ok("members", "list", "-d", "heping")
    assert ready.fails("members", "list", "-d", "nowhere").startswith("Error: ")
