"""The adapter against the fake Bot API over real HTTP: sending, flood limits, 429s,
blocked chats, long polling with its offset, and the webhook."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from dramatiq.rate_limits.backends import StubBackend

from linli.adapters.telegram import TelegramAdapter, TelegramConfig
from linli.core.errors import DeliveryError, PermanentDeliveryError
from linli.core.events import Address, Choice, Inbound, Outbound
from linli.core.storage import schema as s
from linli.testing.telegram import FakeBotApi

GROUP = -100123


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    with FakeBotApi() as fake:
        yield fake


@pytest.fixture
def make(api: FakeBotApi, tmp_path: Path) -> Iterator[Callable[..., TelegramAdapter]]:
    url = f"sqlite:///{tmp_path / 'linli.db'}"
    engine = sa.create_engine(url)
    s.metadata.create_all(engine)
    engine.dispose()
    made: list[TelegramAdapter] = []

    def build(**config: Any) -> TelegramAdapter:
        adapter = TelegramAdapter(
            TelegramConfig({"api_url": api.url, "poll_timeout": 1, **config}, env={"LINLI_TELEGRAM_TOKEN": api.token}),
            storage_url=url,
            rate_backend=StubBackend(),
        )
        made.append(adapter)
        return adapter

    yield build
    for adapter in made:
        adapter.stop()
        adapter.close()


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


class Gateway:
    """An adapter's gateway in a thread, collecting what it submits."""

    def __init__(self, adapter: TelegramAdapter, *, fail: int = 0, webhook: bool = False) -> None:
        self.adapter = adapter
        self.got: list[Inbound] = []
        self.fail = fail
        run = adapter.run_webhook if webhook else adapter.run_gateway
        self.thread = threading.Thread(target=run, args=(self.submit,), daemon=True)
        self.thread.start()

    def submit(self, inbound: Inbound) -> None:
        if self.fail > 0:
            self.fail -= 1
            raise ConnectionError("the broker is down")
        self.got.append(inbound)

    def stop(self) -> None:
        self.adapter.stop()
        self.thread.join(10)
        assert not self.thread.is_alive()


# --- sending -----------------------------------------------------------------------------


def test_a_message_is_sent_escaped_with_buttons_in_its_thread(make, api):
    adapter = make()
    message_id = adapter.send(Outbound(Address("telegram", str(GROUP), "7"), "1 < 2", choices=(Choice("是", "p:y"),)))
    [sent] = api.sent_to(GROUP)
    assert message_id == str(sent["message_id"])
    assert sent["text"] == "1 &lt; 2" and sent["parse_mode"] == "HTML" and sent["message_thread_id"] == 7
    assert sent["reply_markup"]["inline_keyboard"] == [[{"text": "是", "callback_data": "p:y"}]]


def test_a_429_is_a_delivery_error_with_its_retry_after_and_pauses_the_chat(make, api):
    adapter = make()
    api.storm = 1
    with pytest.raises(DeliveryError, match="retry after") as caught:
        adapter.send(Outbound(Address("telegram", "5"), "hi"))
    assert caught.value.retry_after == 1.0
    with pytest.raises(DeliveryError, match="paused"):
        adapter.send(Outbound(Address("telegram", "5"), "hi"))
    assert api.calls["sendMessage"] == 1
    adapter.send(Outbound(Address("telegram", "6"), "another chat goes on"))
    time.sleep(1.05)
    adapter.send(Outbound(Address("telegram", "5"), "hi"))
    assert len(api.sent_to(5)) == 1


def test_a_kicked_bot_is_a_permanent_error(make, api):
    api.forbidden.add(GROUP)
    with pytest.raises(PermanentDeliveryError, match="kicked"):
        make().send(Outbound(Address("telegram", str(GROUP)), "hi"))


def test_a_5xx_is_a_delivery_error_to_retry(make, api):
    api.server_errors = 1
    adapter = make()
    with pytest.raises(DeliveryError) as caught:
        adapter.send(Outbound(Address("telegram", "5"), "hi"))
    assert not isinstance(caught.value, PermanentDeliveryError)
    adapter.send(Outbound(Address("telegram", "5"), "hi"))
    assert len(api.sent_to(5)) == 1


def test_the_chat_limit_asks_to_retry_before_telegram_would_refuse(make, api):
    adapter = make()
    adapter.limits.chat_wait = 0
    for n in range(3):
        adapter.send(Outbound(Address("telegram", "5"), f"m{n}"))
    with pytest.raises(DeliveryError) as caught:
        adapter.send(Outbound(Address("telegram", "5"), "m3"))
    assert caught.value.retry_after and caught.value.retry_after >= 1
    assert api.too_many == 0 and len(api.sent_to(5)) == 3


def test_a_split_message_retried_after_a_429_sends_only_the_parts_still_missing(make, api):
    adapter = make()
    message = Outbound(Address("telegram", "5"), "a" * 4096 + "\n" + "b" * 10, key="e1:p.h:0")
    api.storm = 0
    first_only = api.per_chat
    api.per_chat = 1  # the second part meets a 429
    with pytest.raises(DeliveryError):
        adapter.send(message)
    api.per_chat = first_only
    time.sleep(1.05)
    adapter.send(message)
    assert [m["text"][0] for m in api.sent_to(5)] == ["a", "b"]


# --- long polling ------------------------------------------------------------------------


def test_polling_submits_each_update_once_and_confirms_it_only_after(make, api):
    api.push_message(GROUP, "one")
    api.push_message(GROUP, "/help@other_bot")
    api.push_message(5, "/start", user_id=5)
    gateway = Gateway(make(), fail=1)  # the first submit fails: that update is fetched again
    wait_for(lambda: len(gateway.got) == 2 and api.pending() == 0)
    gateway.stop()
    assert [i.text for i in gateway.got] == ["one", "/start"]
    assert gateway.got[1].private
    assert None in api.offsets and 4 in api.offsets

    api.push_message(GROUP, "two")
    again = Gateway(make())  # a restarted gateway goes on from the stored offset
    wait_for(lambda: len(again.got) == 1)
    again.stop()
    assert [i.text for i in again.got] == ["two"]


def test_a_button_press_is_submitted_and_answered(make, api):
    adapter = make()
    adapter.send(Outbound(Address("telegram", str(GROUP)), "选", choices=(Choice("是", "x:" + "y" * 80),)))
    api.push_press(api.sent_to(GROUP)[0], "是")
    gateway = Gateway(make())
    wait_for(lambda: len(gateway.got) == 1 and len(api.answered) == 1)
    gateway.stop()
    assert gateway.got[0].kind == "choice" and gateway.got[0].choice == "x:" + "y" * 80


def test_a_bad_update_is_skipped_and_server_errors_are_waited_out(make, api):
    api.push({"message": {"broken": True}})
    api.push_message(GROUP, "after")
    api.server_errors = 2
    gateway = Gateway(make())
    wait_for(lambda: len(gateway.got) == 1)
    gateway.stop()
    assert gateway.got[0].text == "after"
    assert api.calls["getUpdates"] < 20  # backed off, no busy loop


def test_polling_removes_a_webhook(make, api):
    api.webhook = {"url": "https://example.invalid/hook"}
    gateway = Gateway(make())
    wait_for(lambda: api.calls["getUpdates"] >= 1)
    gateway.stop()
    assert api.webhook is None


# --- webhook -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def post(url: str, body: dict[str, Any], secret: str | None) -> int:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    request = urllib.request.Request(url, json.dumps(body).encode(), headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status: int = response.status
            return status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_the_webhook_refuses_a_wrong_secret_and_answers_200_after_submitting(make, api):
    port = free_port()
    adapter = make(
        webhook_url="https://bot.example.invalid/telegram", webhook_secret="s3cret", webhook_listen=f"127.0.0.1:{port}"
    )
    gateway = Gateway(adapter, webhook=True, fail=1)
    wait_for(lambda: api.webhook is not None)
    assert api.webhook == {
        "url": "https://bot.example.invalid/telegram",
        "secret_token": "s3cret",
        "allowed_updates": ["message", "edited_message", "callback_query"],
    }
    url = f"http://127.0.0.1:{port}/telegram"
    update = {"update_id": 50, "message": api.message(GROUP, "hello")}
    assert post(url, update, "wrong") == 403
    assert post(url, update, None) == 403
    assert post(url, update, "s3cret") == 503  # not on the queue: Telegram sends it again
    assert post(url, update, "s3cret") == 200
    assert post(url, update, "s3cret") == 200  # a duplicate: answered, not submitted twice
    gateway.stop()
    assert [i.text for i in gateway.got] == ["hello"]
