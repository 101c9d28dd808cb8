"""The dashboard in a real browser: Debian's Chromium driven by Playwright, against the app
served by uvicorn. A person logs in through the link /web gave them in the chat, sees a chart
and the table of its numbers (the numbers the chat produced), is refused another district,
and logs out.

Chromium is installed by ``scripts/services`` (``make test``); without it these tests skip,
and fail on CI. ``LINLI_SCREENSHOTS=docs/images`` keeps the screenshots for docs/web.md.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from web_helpers import ROLES, app_of, login_link

from linli.core.i18n import translator
from linli.testing import ChatHarness

CHROMIUM = "/usr/bin/chromium"
# no network beyond this machine: without these Chromium keeps calling Google's hosts
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
zh = translator("zh_CN")


@pytest.fixture
def chromium() -> str:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing, and CI needs it (scripts/services installs it)")
        pytest.skip(f"{CHROMIUM} is missing (scripts/services installs Debian's chromium)")
    return CHROMIUM


@pytest.fixture
def served(office: ChatHarness) -> Iterator[str]:
    """The dashboard served by uvicorn on a free port of 127.0.0.1: its address."""
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app_of(office), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def shots(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "shots"
    folder.mkdir()
    yield folder
    keep = os.environ.get("LINLI_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        for png in folder.glob("*.png"):
            shutil.copy(png, Path(keep) / png.name)


def test_a_worker_logs_in_from_the_chat_sees_the_figures_and_logs_out(
    office: ChatHarness, served: str, chromium: str, shots: Path
) -> None:
    from playwright.sync_api import sync_playwright

    link = login_link(office, ROLES["staff"][0])
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
            page.goto(served + link)
            assert page.url == served + "/"
            assert ROLES["staff"][0] in page.content()

            answer = page.goto(served + "/d/test/mediation/cases")
            assert answer is not None and answer.status == 200
            # the chart is drawn (ECharts' SVG) and its numbers are in the table under it
            page.wait_for_selector(".chart svg")
            settled = page.locator(".figure", has_text=zh("Settled in all")).locator(".value")
            assert settled.inner_text() == "401"  # 400 before linli, 1 settled in the chat
            by_type = page.locator("section.block", has_text=zh("Cases per month by type"))
            assert by_type.locator(".chart svg").count() == 1
            row = by_type.locator("table tr", has_text="2026-11")
            assert row.locator("td").all_inner_texts() == ["1"]
            assert zh("Between neighbours") in by_type.locator("table thead").inner_text()
            page.screenshot(path=str(shots / "web-mediation.png"), full_page=True)

            page.goto(served + "/d/test/overview")
            page.wait_for_selector(".chart svg")
            page.screenshot(path=str(shots / "web-overview.png"), full_page=True)

            page.goto(served + "/d/test/wall")
            page.wait_for_selector(".chart svg")
            page.screenshot(path=str(shots / "web-wall.png"))

            phone = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
            phone.context.add_cookies(page.context.cookies())
            phone.goto(served + "/d/test/mediation/cases")
            phone.wait_for_selector(".chart svg")
            width = phone.evaluate("document.documentElement.scrollWidth")
            assert width <= 390 + 1, f"the page is {width}px wide on a phone"
            phone.screenshot(path=str(shots / "web-phone.png"), full_page=True)

            refused = page.goto(served + "/d/other/mediation/cases")
            assert refused is not None and refused.status == 403
            assert zh("Not for you") in page.content()

            page.goto(served + "/")
            page.locator("header form button").click()
            page.wait_for_load_state()
            assert zh("Logged out") in page.content()
            again = page.goto(served + "/d/test/overview")
            assert again is not None and again.status == 401
        finally:
            browser.close()
