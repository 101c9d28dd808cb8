"""Logging in with a link from /web: once, within minutes, for one person; sessions, logout,
forged cookies and the wall displays' links."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from web_helpers import RESIDENT, ROLES, app_of, client, login_link

from linli.core import weblinks
from linli.core.i18n import translator
from linli.testing import ChatHarness

STAFF = ROLES["staff"][0]
zh = translator("zh_CN")


def test_web_in_a_private_chat_gives_a_link_that_logs_the_person_in(office: ChatHarness) -> None:
    browser = client(office)
    assert browser.get("/").status_code == 401
    answer = browser.get(login_link(office, STAFF))
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    home = browser.get("/")
    assert home.status_code == 200 and STAFF in home.text


def test_web_in_the_group_is_refused_so_no_link_is_shown_to_the_room(office: ChatHarness) -> None:
    office.say(STAFF, "/web")
    assert "/login/" not in office.last(STAFF)


def test_a_link_works_once(office: ChatHarness) -> None:
    link = login_link(office, STAFF)
    assert client(office).get(link).status_code == 303
    again = client(office).get(link)
    assert again.status_code == 401
    assert "Traceback" not in again.text


def test_a_link_expires_after_ten_minutes(office: ChatHarness) -> None:
    link = login_link(office, STAFF)
    office.advance(minutes=10, seconds=1)
    assert client(office).get(link).status_code == 401


def test_a_link_still_works_just_before_it_expires(office: ChatHarness) -> None:
    link = login_link(office, STAFF)
    office.advance(minutes=9, seconds=59)
    assert client(office).get(link).status_code == 303


def test_the_link_is_stored_only_as_its_hash(office: ChatHarness) -> None:
    import sqlalchemy as sa

    from linli.core.storage import schema as s

    token = login_link(office, STAFF).rsplit("/", 1)[1]
    with office.runtime.store.connect() as conn:
        stored = conn.execute(sa.select(s.web_links.c.token_hash)).scalars().all()
    assert stored and token not in stored and all(len(h) == 64 for h in stored)


@pytest.mark.parametrize("token", ["nothing", "x" * 500, "%00", "..%2F..%2Fetc"])
def test_a_made_up_link_is_refused(office: ChatHarness, token: str) -> None:
    page = client(office).get(f"/login/{token}")
    assert page.status_code in (401, 404)
    assert "Traceback" not in page.text


def test_a_forged_cookie_is_not_a_session(office: ChatHarness) -> None:
    browser = client(office)
    browser.cookies.set("linli_session", "eyJwIjogMX0=.forged.signature")
    assert browser.get("/").status_code == 401
    assert browser.get("/d/test/overview").status_code == 401


def test_logging_out_ends_the_session(office: ChatHarness) -> None:
    browser = client(office, STAFF)
    csrf = browser.get("/").text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    assert browser.post("/logout", data={"csrf": csrf}).status_code == 200
    assert browser.get("/d/test/overview").status_code == 401


def test_logging_out_without_the_forms_token_is_refused(office: ChatHarness) -> None:
    browser = client(office, STAFF)
    assert browser.post("/logout", data={"csrf": "guess"}).status_code == 403
    assert browser.post("/logout").status_code == 403
    assert browser.get("/d/test/overview").status_code == 200


def test_a_person_who_was_forgotten_is_logged_out(office: ChatHarness) -> None:
    browser = client(office, RESIDENT)
    office.say(RESIDENT, "/forgetme", private=True)
    office.pick(RESIDENT, 1, private=True)
    assert browser.get("/").status_code == 401


def test_a_residents_home_page_shows_nothing_of_others(office: ChatHarness) -> None:
    page = client(office, RESIDENT).get("/")
    assert page.status_code == 200
    assert "/d/test/" not in page.text


def test_the_session_cookie_is_httponly_samesite_and_secure_behind_https(office: ChatHarness) -> None:
    import attrs
    from starlette.testclient import TestClient

    from linli.web import create_app

    settings = attrs.evolve(
        office.settings, web=attrs.evolve(office.settings.web, base_url="https://linli.example.org")
    )
    rt = office.runtime
    browser = TestClient(
        create_app(settings, store=rt.store, registry=rt.registry, clock=office.clock),
        base_url="https://linli.example.org",
        follow_redirects=False,
    )
    answer = browser.get(login_link(office, STAFF))
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" in cookie


def test_a_wall_display_link_shows_the_wall_until_revoked(office: ChatHarness) -> None:
    from starlette.testclient import TestClient

    with office.runtime.store.begin() as conn:
        link_id, token = weblinks.issue_display(conn, "test", label="大厅", by="test", now=office.clock.now())
    screen = TestClient(app_of(office), follow_redirects=False)
    wall = screen.get(f"/wall/{token}")
    assert wall.status_code == 200
    assert 'http-equiv="refresh"' in wall.text
    assert "楼上李四家" not in wall.text  # figures only, never a name or a case's words
    assert screen.get("/d/test/overview").status_code == 401  # view-only: the wall and nothing else
    with office.runtime.store.begin() as conn:
        assert weblinks.revoke_display(conn, link_id, now=office.clock.now()) == "test"
    assert screen.get(f"/wall/{token}").status_code == 404


def test_the_web_settings_are_checked(tmp_path: Path) -> None:
    from linli.core.errors import SettingsError
    from linli.core.settings import load_settings

    (tmp_path / "none.toml").write_text("")

    with pytest.raises(SettingsError, match="port"):
        load_settings(tmp_path / "none.toml", env={"LINLI_WEB_PORT": "70000"})
    with pytest.raises(SettingsError, match="base_url"):
        load_settings(tmp_path / "none.toml", env={"LINLI_WEB_BASE_URL": "linli.example.org"})
    assert (
        load_settings(tmp_path / "none.toml", env={"LINLI_WEB_BASE_URL": "https://x.org/linli/"}).web.url()
        == "https://x.org/linli"
    )


def test_dates_on_pages_are_in_the_districts_time_zone(office: ChatHarness) -> None:
    # the clock is 2026-11-26 09:00 in Shanghai, 01:00 UTC
    page = client(office, STAFF).get("/d/test/wall").text
    assert "2026-11-26 09:" in page
    assert dt.datetime(2026, 11, 26, 1, 0, tzinfo=dt.UTC).strftime("%Y-%m-%d %H:") not in page
