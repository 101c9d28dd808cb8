"""Who may open which page of the dashboard: every route × every role, as in chat."""

from __future__ import annotations

from pathlib import Path

import pytest
from web_helpers import OTHER, RESIDENT, ROLES, SECOND_MEDIATOR, client

from linli.core.i18n import translator
from linli.testing import ChatHarness

ANON, RES = "anonymous", "resident"
STAFF_ONLY = {"staff": 200, "admin": 200}

#: route → {role: status}; a role not named gets 403, the anonymous visitor 401
MATRIX: dict[str, dict[str, int]] = {
    "/": {r: 200 for r in [RES, "second_mediator", *ROLES]},
    "/d/test": {RES: 200, **{r: 303 for r in ["second_mediator", *ROLES]}},
    "/d/test/overview": STAFF_ONLY,
    "/d/test/wall": STAFF_ONLY,
    "/d/test/mediation/cases": {"staff": 200, "admin": 200, "lead": 200, "mediator": 200, "second_mediator": 200},
    # the case's page: its own mediator, the lead and staff; not another mediator
    "/d/test/mediation/cases/1": {"staff": 200, "admin": 200, "lead": 200, "mediator": 200},
    "/d/test/council/council": {"staff": 200, "admin": 200, "council": 200},
    "/d/test/captains/captains": {"staff": 200, "admin": 200, "grid_worker": 200},
    # a ledger holds the whole district: staff and admins, as `linli export`
    "/d/test/mediation/cases/export/cases.csv": STAFF_ONLY,
    "/d/test/council/council/export/polls.xlsx": STAFF_ONLY,
    # another district's pages: nobody here belongs to it
    "/d/other": {},
    "/d/other/mediation/cases": {},
}
WHO = [ANON, RES, "second_mediator", *ROLES]


def _name(role: str) -> str | None:
    if role == ANON:
        return None
    if role == RES:
        return RESIDENT
    if role == "second_mediator":
        return SECOND_MEDIATOR
    return ROLES[role][0]


@pytest.fixture
def browsers(office: ChatHarness) -> dict[str, object]:
    return {role: client(office, _name(role)) for role in WHO}


def test_every_route_answers_each_role_as_its_roles_allow(browsers: dict[str, object]) -> None:
    wrong = []
    for route, allowed in MATRIX.items():
        for role in WHO:
            expected = 401 if role == ANON else allowed.get(role, 403)
            got = browsers[role].get(route).status_code  # type: ignore[attr-defined]
            if got != expected:
                wrong.append(f"{route} as {role}: {got}, expected {expected}")
    assert not wrong, "\n".join(wrong)


def test_a_refusal_is_a_clear_page_that_shows_nothing_of_the_district(office: ChatHarness) -> None:
    resident = client(office, RESIDENT)
    page = resident.get("/d/test/mediation/cases")
    assert page.status_code == 403
    assert translator("zh_CN")("Not for you") in page.text
    assert "楼上李四家" not in page.text and "Traceback" not in page.text


def test_an_unknown_case_number_or_page_is_not_found(office: ChatHarness) -> None:
    staff = client(office, ROLES["staff"][0])
    for path in [
        "/d/test/mediation/cases/99",
        "/d/test/mediation/cases/abc",
        "/d/test/mediation/nothing",
        "/d/test/suggestions/cases",
        "/d/nowhere/overview",
        "/d/test/mediation/cases/export/cases.pdf",
        "/d/test/mediation/cases/export/sessions.csv",
        "/no/such/page",
    ]:
        page = staff.get(path)
        assert page.status_code == 404, path
        assert "Traceback" not in page.text


def test_a_view_of_a_plugin_the_district_has_not_enabled_does_not_exist(office: ChatHarness) -> None:
    staff = client(office, ROLES["staff"][0])
    office.enable("council", False)
    assert staff.get("/d/test/council/council").status_code == 404
    assert "/d/test/council/council" not in staff.get("/d/test/overview").text


def test_a_mediator_sees_only_the_cases_assigned_to_them(office: ChatHarness) -> None:
    own = client(office, ROLES["mediator"][0]).get("/d/test/mediation/cases").text
    other = client(office, SECOND_MEDIATOR).get("/d/test/mediation/cases").text
    assert "#1" in own
    assert "#1" not in other


def test_every_look_at_a_case_and_every_export_is_in_the_audit_log(office: ChatHarness) -> None:
    import sqlalchemy as sa

    from linli.core.storage import schema as s

    staff = client(office, ROLES["staff"][0])
    assert staff.get("/d/test/mediation/cases/1").status_code == 200
    assert staff.get("/d/test/mediation/cases/export/cases.csv").status_code == 200
    with office.runtime.store.connect() as conn:
        rows = conn.execute(sa.select(s.audit_log.c.action, s.audit_log.c.target)).all()
    assert ("web.view", "mediation.cases/1") in [(r.action, r.target) for r in rows]
    assert any(r.action.startswith("export") and "mediation.cases" in r.target for r in rows), rows


def test_an_export_is_the_same_file_as_linli_export(office: ChatHarness, tmp_path: Path) -> None:
    from linli.core.export import export_ledger

    staff = client(office, ROLES["staff"][0])
    answer = staff.get("/d/test/mediation/cases/export/cases.csv")
    assert answer.status_code == 200
    assert "attachment" in answer.headers["content-disposition"]
    rt = office.runtime
    same = export_ledger(
        rt.store,
        rt.registry,
        "mediation.cases",
        "test",
        actor="test",
        fmt="csv",
        path=tmp_path / "x.csv",
        clock=office.clock,
    )
    assert answer.content == same.path.read_bytes()
    assert OTHER in answer.content.decode("utf-8-sig")
