"""A matter that is a dispute between parties goes to mediation as a domain event; the council
never imports the mediation plugin."""

from __future__ import annotations

import ast
from pathlib import Path

import sqlalchemy as sa
from council_helpers import PLUGINS, make, raise_matter

from linli.plugins.council.tables import matters
from linli.plugins.mediation import MediationPlugin
from linli.plugins.mediation.tables import cases, members

COUNCIL = Path(__file__).resolve().parents[3] / "linli" / "plugins" / "council"


def test_a_referred_matter_becomes_a_mediation_case_with_its_parties(tmp_path):
    chat = make(tmp_path, plugins=[*PLUGINS, MediationPlugin], config={"mediation": {"team_room": "test:team"}})
    try:
        raise_matter(
            chat, who="张三", title="楼上漏水", text="楼上李四家漏水，把我家厨房顶棚泡坏了", category="Neighbourly"
        )
        assert chat.say("刘书记", "/refer 1 张三 李四") == [
            "Matter 1 is referred to the community's mediators; the parties will hear from them privately.",
            "New mediation case 1: Between neighbours, from a council matter.",
            "Your matter was passed to the community's mediators as mediation case 1. Mediation is voluntary and "
            "free; a mediator will write to you here.",
            "Your matter was passed to the community's mediators as mediation case 1. Mediation is voluntary and "
            "free; a mediator will write to you here.",
        ]
        with chat.runtime.store.connect() as conn:
            assert conn.execute(sa.select(matters.c.status, matters.c.outcome)).one() == ("referred", "")
            case = conn.execute(sa.select(cases)).one()
            assert (case.source, case.category, case.reference) == ("council", "neighbours", "council:1")
            assert "楼上李四家漏水" in case.facts
            assert case.claims == "楼上漏水\n楼上李四家漏水，把我家厨房顶棚泡坏了"
            assert len(conn.execute(sa.select(members).where(members.c.role == "party")).all()) == 2
        assert chat.say("张三", "/comment 1 x") == [
            "Matter 1 is referred to mediation; it takes no more comments or support."
        ]
    finally:
        chat.close()


def test_a_referral_counts_the_supporters_only_when_there_are_some(tmp_path):
    chat = make(tmp_path, plugins=[*PLUGINS, MediationPlugin], config={"mediation": {"team_room": "test:team"}})
    try:
        raise_matter(chat, who="张三", title="楼上漏水", text="楼上李四家漏水", category="Neighbourly")
        chat.say("李四", "/support 1")
        chat.say("王五", "/support 1")
        assert chat.say("刘书记", "/refer 1 张三")[0] == (
            "Matter 1 is referred to the community's mediators; the parties will hear from them privately.\n"
            "2 neighbours supported it; the support stays in the council's ledger."
        )
    finally:
        chat.close()


def test_a_referred_case_carries_the_matter_into_the_claims_of_the_mediation_ledger(tmp_path):
    from linli.core.export import export_ledger

    chat = make(tmp_path, plugins=[*PLUGINS, MediationPlugin], config={"mediation": {"team_room": "test:team"}})
    try:
        raise_matter(chat, who="张三", title="楼上漏水", text="楼上李四家漏水", category="Neighbourly")
        chat.say("刘书记", "/refer 1 张三")
        result = export_ledger(
            chat.runtime.store,
            chat.runtime.registry,
            "mediation.cases",
            "test",
            actor="cli:tester",
            path=tmp_path / "cases.csv",
            fmt="csv",
            clock=chat.clock,
        )
        text = result.path.read_text(encoding="utf-8-sig")
        assert "楼上漏水\n楼上李四家漏水" in text.replace("\r\n", "\n")
    finally:
        chat.close()


def test_without_mediation_in_the_district_nothing_is_referred(council):
    raise_matter(council)
    assert council.say("刘书记", "/refer 1") == [
        "Mediation is not enabled in this community, so nothing can be referred to it."
    ]
    with council.runtime.store.connect() as conn:
        assert conn.execute(sa.select(matters.c.status)).scalar() == "open"


def test_the_council_package_never_imports_another_plugin():
    for path in COUNCIL.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            for name in names:
                if name.startswith("linli.plugins."):
                    assert name.startswith("linli.plugins.council"), f"{path.name} imports {name}"
