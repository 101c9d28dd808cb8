"""A plugin sends a file: ``ctx.send_file`` keeps the bytes in the blob store and queues
a reference in the outbox, sent in order with the room's texts, once, retried on a 429."""

from __future__ import annotations

import io
import time
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
from dramatiq.rate_limits.backends import StubBackend

from linli.adapters.telegram import TelegramAdapter, TelegramConfig
from linli.core import outbox
from linli.core.attachments import release_blobs
from linli.core.blobs import FileBlobStore
from linli.core.context import PluginContext
from linli.core.errors import DeliveryError
from linli.core.events import Address, Attachment, Outbound
from linli.core.i18n import N_
from linli.core.plugin import Manifest, Plugin, command
from linli.core.storage import schema as s
from linli.testing import ChatHarness
from linli.testing.telegram import FakeBotApi

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def ledger_bytes(rows: list[tuple[str, int]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(("户", "人数"))
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


class Reports(Plugin):
    manifest = Manifest(name="reports", version="1.0")

    @command("report", help=N_("Send the month's report"))
    def report(self, ctx: PluginContext) -> None:
        ctx.reply("正在生成")
        ctx.send_file(ledger_bytes([("3-101", 3), ("3-102", 2)]), "本月台账.xlsx", caption="本月台账")
        ctx.reply("已发送")

    @command("dm_report", help=N_("Send the report privately"))
    def dm_report(self, ctx: PluginContext) -> None:
        assert ctx.person is not None
        if not ctx.send_file(b"\x89PNG chart", "chart.png", to=ctx.person.id):
            ctx.reply("请先私聊我")


@pytest.fixture
def chat(tmp_path: Path):
    harness = ChatHarness(tmp_path, plugins=[Reports])
    yield harness
    harness.close()


def test_a_plugin_sends_a_generated_xlsx_to_the_room_between_its_texts(chat):
    chat.say("张三", "/report")
    texts, report, done = chat.adapter.sent[-3:]
    assert (texts.text, report.text, done.text) == ("正在生成", "本月台账", "已发送")
    [file] = report.attachments
    assert (file.kind, file.name, file.mime) == ("file", "本月台账.xlsx", XLSX)
    data = chat.runtime.blobs.get(file.sha256)
    assert file.size == len(data)
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet is not None and [c.value for c in sheet[2]] == ["3-101", 3]
    with chat.runtime.store.connect() as conn:
        assert outbox.files_in_use(conn, [file.sha256, "0" * 64]) == {file.sha256}
        # the outbox keeps the reference, never the bytes
        payloads = conn.execute(sa.select(sa.cast(s.outbox.c.payload, sa.Text))).scalars().all()
    assert not any("PK" in p for p in payloads) and any(file.sha256 in p for p in payloads)


def test_an_image_goes_as_a_photo_and_a_person_without_a_private_chat_is_told(chat):
    chat.say("张三", "/dm_report")
    assert chat.last() == "请先私聊我"
    chat.say("张三", "hello", private=True)
    chat.say("张三", "/dm_report")
    [photo] = chat.adapter.sent[-1].attachments
    assert (photo.kind, photo.mime) == ("photo", "image/png")
    assert chat.adapter.sent[-1].address == chat.address("张三", private=True)


def test_pruning_sent_messages_takes_their_files_with_them_once_nothing_else_needs_them(chat):
    import datetime as dt

    chat.say("张三", "/report")
    [file] = chat.adapter.sent[-2].attachments
    with chat.runtime.store.begin() as conn:
        outbox.prune(conn, dt.datetime.now(dt.UTC) + dt.timedelta(days=1))  # rows are stamped in real time
        assert outbox.files_in_use(conn, [file.sha256]) == set()
    assert chat.runtime.blobs.exists(file.sha256)  # until the housekeeping releases it
    assert release_blobs(chat.runtime.store.begin, chat.runtime.blobs) == 1
    assert not chat.runtime.blobs.exists(file.sha256)


def test_a_file_that_meets_a_429_on_its_upload_is_retried_and_sent_once(steps, tmp_path):
    blobs = FileBlobStore(tmp_path / "blobs")
    with FakeBotApi() as api:
        adapter = TelegramAdapter(
            TelegramConfig({"api_url": api.url}, env={"LINLI_TELEGRAM_TOKEN": api.token}),
            storage_url=f"sqlite:///{tmp_path / 'linli.db'}",
            rate_backend=StubBackend(),
            blobs=blobs,
        )
        steps.adapters["telegram"] = adapter
        data = ledger_bytes([("1-1", 1)])
        file = Attachment("file", "台账.xlsx", XLSX, len(data), sha256=blobs.put(data))
        room = Address("telegram", "-100123")
        with steps.store.begin() as conn:
            outbox.add_message(conn, Outbound(room, "本月台账如下", key="k1:m0"), "test")
            outbox.add_message(conn, Outbound(room, "", key="k1:m1", attachments=(file,)), "test")
            outbox.add_message(conn, Outbound(room, "以上", key="k1:m2"), "test")
        api.per_chat = 1  # the upload, second in the chat's window, meets a 429
        try:
            with pytest.raises(DeliveryError) as caught:
                steps.deliver.room(room.room_key)
            assert caught.value.retry_after
            api.per_chat = 10
            adapter.limits.per_chat = 10
            time.sleep(caught.value.retry_after)
            steps.deliver.room(room.room_key)
        finally:
            adapter.close()
        sent = api.sent_to(-100123)
        assert [m.get("method", "sendMessage") for m in sent] == ["sendMessage", "sendDocument", "sendMessage"]
        assert sent[1]["file"] == data and sent[1]["filename"] == "台账.xlsx"
        assert api.calls["sendDocument"] == 2  # the refused try and the one that went out
