"""``linli web``: the wall displays' links from the command line; the dashboard loads lazily."""

from __future__ import annotations

import re
import subprocess
import sys


def test_an_admin_gives_a_wall_display_a_link_lists_it_and_revokes_it(linli):  # type: ignore[no-untyped-def]
    given = linli.ok("web", "display", "heping", "--label", "lobby")
    assert re.search(r"http://127\.0\.0\.1:8080/wall/\S{20,}", given)
    listing = linli.ok("web", "displays")
    assert "heping" in listing and "lobby" in listing
    assert "Display link 1 is revoked" in linli.ok("web", "revoke", "1")
    assert "no display link 1" in linli.fails("web", "revoke", "1", code=6)


def test_a_display_link_for_an_unknown_district_is_refused(linli):  # type: ignore[no-untyped-def]
    assert "no district 'nowhere' (see `linli districts list`)" in linli.fails("web", "display", "nowhere", code=6)


def test_the_display_link_starts_with_the_base_url(linli):  # type: ignore[no-untyped-def]
    given = linli.ok("web", "display", "heping", env={"LINLI_WEB_BASE_URL": "https://linli.example.org/"})
    assert "https://linli.example.org/wall/" in given


def test_the_command_line_does_not_load_the_web_app_until_it_serves() -> None:
    code = "import sys, linli.cli; print(any(m.startswith(('starlette', 'uvicorn', 'jinja2')) for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "False\n"


def test_the_dashboard_says_where_it_listens_and_warns_when_links_point_elsewhere(linli, monkeypatch):  # type: ignore[no-untyped-def]
    served = {}
    monkeypatch.setattr("uvicorn.run", lambda app, **options: served.update(options))
    result = linli("web", "--port", "9000")
    assert result.exit_code == 0, result.output
    assert served["port"] == 9000
    assert "http://127.0.0.1:9000" in result.stdout
    assert "http://127.0.0.1:8080" in result.stderr  # where the /web links still point


def test_no_warning_when_the_dashboard_runs_where_the_links_point(linli, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr("uvicorn.run", lambda app, **options: None)
    result = linli("web")
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:8080" in result.stdout and not result.stderr
