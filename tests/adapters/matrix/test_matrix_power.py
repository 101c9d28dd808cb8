"""Power levels as roles: moderators, room admins, room-version-12 creators outside the map,
and a district's choice to let them act as its own roles."""

from __future__ import annotations

from linli.adapters.matrix.power import MODERATOR, ROOM_ADMIN, creators, roles_for
from linli.core.directory import DistrictInfo
from linli.core.dispatcher import with_platform_roles

LEVELS = {"users": {"@mod:x": 50, "@admin:x": 100, "@odd:x": "75"}, "users_default": 0}


def create(version: str, sender: str = "@founder:x", **content: object) -> dict[str, object]:
    return {"type": "m.room.create", "sender": sender, "content": {"room_version": version, **content}}


def test_power_levels_give_moderator_and_room_admin():
    old = create("10")
    assert roles_for("@mod:x", LEVELS, old) == (MODERATOR,)
    assert roles_for("@odd:x", LEVELS, old) == (MODERATOR,)
    assert roles_for("@admin:x", LEVELS, old) == (MODERATOR, ROOM_ADMIN)
    assert roles_for("@someone:x", LEVELS, old) == ()
    assert roles_for("@someone:x", {"users_default": 50}, old) == (MODERATOR,)


def test_room_version_12_creators_outrank_everyone_without_being_in_the_map():
    room = create("12", additional_creators=["@cofounder:x"])
    assert creators(room) == {"@founder:x", "@cofounder:x"}
    assert roles_for("@founder:x", LEVELS, room) == (MODERATOR, ROOM_ADMIN)
    assert roles_for("@cofounder:x", LEVELS, room) == (MODERATOR, ROOM_ADMIN)
    assert creators(create("11")) == set()  # before version 12 a creator's power is in the map
    assert roles_for("@founder:x", LEVELS, create("11")) == ()


def district(config: dict[str, dict[str, object]]) -> DistrictInfo:
    return DistrictInfo("d", "D", "community", "zh_CN", "Asia/Shanghai", frozenset({"core"}), (), config)


def test_a_district_grants_nothing_for_room_power_unless_it_says_so():
    roles = {"resident": frozenset({""})}
    assert with_platform_roles(roles, (MODERATOR,), district({})) == roles
    mapped = district({"core": {"platform_roles": {"moderator": "staff", "room_admin": ["staff", "council"]}}})
    assert with_platform_roles({}, (MODERATOR,), mapped) == {"staff": frozenset({""})}
    assert with_platform_roles({"staff": frozenset({"grid:3"})}, (MODERATOR, ROOM_ADMIN), mapped) == {
        "staff": frozenset({"grid:3", ""}),
        "council": frozenset({""}),
    }
