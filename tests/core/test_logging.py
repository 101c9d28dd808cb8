"""Logging: JSON or pretty lines bound to district, plugin and event, with phone and ID numbers masked."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from structlog.contextvars import bound_contextvars
from structlog.testing import capture_logs

from linli.core.logging import Redactor, bound_context, configure_logging, redact

PHONE = "13800138000"
ID = "110101199003071234"


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """Put structlog and the standard library's root logger back as they were."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    quiet = {name: logging.getLogger(name).level for name in ("dramatiq", "alembic")}
    yield
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, old in quiet.items():
        logging.getLogger(name).setLevel(old)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def json_logging(level: str = "info") -> io.StringIO:
    stream = io.StringIO()
    configure_logging(level, "auto", stream)
    return stream


# --- what is masked -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我的电话13800138000，身份证110101199003071234", "我的电话[phone]，身份证[id]"),
        ("请联系138-0013-8000", "请联系[phone]"),
        ("手机 138 0013 8000。", "手机 [phone]。"),
        ("+86 138 0013 8000", "[phone]"),
        ("+8613800138000", "[phone]"),
        ("0086-139-1234-5678", "[phone]"),
        ("身份证号11010119900307123X，住3号楼", "身份证号[id]，住3号楼"),
        ("id 11010119900307123x", "id [id]"),
        ("110101 19900307 1234", "[id]"),
        ("老身份证110101900307123", "老身份证[id]"),
        ("电话１３８００１３８０００", "电话[phone]"),
        ("两个号码：13800138000和15912345678", "两个号码：[phone]和[phone]"),
    ],
)
def test_phone_and_id_numbers_are_masked_in_chinese_text(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "奖学金共6400元，资助200名学生",
        "会议定在20261126上午",
        "订单号202611260001",
        "订单号138001380001",
        "timestamp 1732600000",
        "毫秒 1732600000123",
        "微秒 1732600000123456",
        "2026-11-26T08:30:00.123456+08:00",
        "telegram:-1001234567890",
        "金额 13800138000.50 元",
        "比例 0.13800138000",
        "681栋楼，668名政务楼长",
        "电话12800138000",  # 12x is not a mobile prefix
    ],
)
def test_ordinary_numbers_are_left_alone(text: str) -> None:
    assert redact(text) == text


def test_keys_and_nested_values_are_masked() -> None:
    event = Redactor()(
        None,
        "info",
        {
            "event": f"resident called from {PHONE}",
            f"note_{PHONE}": "key with a number",
            "payload": {"parties": [{"name": "张三", "contact": f"电话{PHONE}"}, ("身份证", ID)], PHONE: 1},
            "as_number": int(PHONE),
            "amount": 6400,
            "tags": {"id", ID},
        },
    )
    assert event == {
        "event": "resident called from [phone]",
        "note_[phone]": "key with a number",
        "payload": {"parties": [{"name": "张三", "contact": "电话[phone]"}, ("身份证", "[id]")], "[phone]": 1},
        "as_number": "[phone]",
        "amount": 6400,
        "tags": {"id", "[id]"},
    }


def test_values_under_a_sensitive_key_are_masked_whatever_they_look_like() -> None:
    event = Redactor()(
        None,
        "info",
        {
            "event": "x",
            "phone": "1380013800",
            "bot_token": "123:ABC",
            "person": {"身份证号": "1101"},
            "telegram_id": 12345,
            "event_id": "test:1",
            "tokens_used": 3,
        },
    )
    assert event == {
        "event": "x",
        "phone": "[redacted]",
        "bot_token": "[redacted]",
        "person": {"身份证号": "[redacted]"},
        "telegram_id": 12345,
        "event_id": "test:1",
        "tokens_used": 3,
    }


def test_objects_whose_repr_shows_a_number_are_masked_and_others_kept() -> None:
    class Party:
        def __init__(self, phone: str) -> None:
            self.phone = phone

        def __repr__(self) -> str:
            return f"Party(phone={self.phone!r})"

    keep = object()
    event = Redactor()(None, "info", {"event": "x", "party": Party(PHONE), "other": keep})
    assert event["party"] == "Party(phone='[phone]')"
    assert event["other"] is keep


def test_the_redactor_works_in_any_structlog_chain() -> None:
    with capture_logs(processors=[Redactor()]) as logs:
        structlog.get_logger("test").info("case opened", applicant={"contact": f"{PHONE}", "city": "沈阳"})
    assert logs == [{"event": "case opened", "applicant": {"contact": "[phone]", "city": "沈阳"}, "log_level": "info"}]


# --- the lines ------------------------------------------------------------------------------


def test_lines_are_json_when_not_on_a_terminal_and_carry_district_plugin_and_event() -> None:
    stream = json_logging()
    with bound_contextvars(district="heping", plugin="suggestions", event_id="test:7"):
        structlog.get_logger("linli.plugins.suggestions").info("建议已收到", number=3, text=f"电话{PHONE}")
    [line] = lines(stream)
    assert line["event"] == "建议已收到"
    assert (line["district"], line["plugin"], line["event_id"]) == ("heping", "suggestions", "test:7")
    assert line["number"] == 3 and line["text"] == "电话[phone]"
    assert line["level"] == "info" and line["logger"] == "linli.plugins.suggestions" and "timestamp" in line
    assert "建议已收到" in stream.getvalue()  # Chinese stays readable, not \u escapes


def test_lines_are_pretty_when_forced_or_on_a_terminal() -> None:
    forced = io.StringIO()
    configure_logging("info", "pretty", forced)
    with bound_contextvars(district="heping"):
        structlog.get_logger("linli").info("worker started", phone_hint=f"call {PHONE}")
    text = forced.getvalue()
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)
    assert "worker started" in text and "district=heping" in text and PHONE not in text
    assert "\x1b[" not in text  # no colour codes in a file

    terminal = Terminal()
    configure_logging("info", "auto", terminal)
    structlog.get_logger("linli").info("on a terminal")
    assert "on a terminal" in terminal.getvalue() and not terminal.getvalue().startswith("{")


def test_exception_messages_and_tracebacks_are_masked() -> None:
    stream = json_logging()
    try:
        raise ValueError(f"could not parse 身份证{ID} or {PHONE}")
    except ValueError:
        structlog.get_logger("linli.workers").exception("handler failed", key="test:1")
    [line] = lines(stream)
    assert "Traceback" in line["exception"] and "ValueError" in line["exception"]
    assert "身份证[id] or [phone]" in line["exception"]
    assert PHONE not in stream.getvalue() and ID not in stream.getvalue()


def test_pretty_tracebacks_are_masked_too() -> None:
    stream = io.StringIO()
    configure_logging("info", "pretty", stream)
    try:
        raise RuntimeError(f"电话{PHONE}")
    except RuntimeError:
        structlog.get_logger("linli").exception("failed")
    assert "RuntimeError: 电话[phone]" in stream.getvalue() and PHONE not in stream.getvalue()


def test_standard_library_loggers_pass_through_the_same_redaction() -> None:
    stream = json_logging()
    with bound_contextvars(district="heping", event_id="test:9"):
        logging.getLogger("dramatiq").warning("Retrying message for %s after error", f"{PHONE}")
        try:
            raise OSError(f"lookup {ID}")
        except OSError:
            logging.getLogger("sqlalchemy.engine").exception("query failed for %s", PHONE)
    first, second = lines(stream)
    assert first["event"] == "Retrying message for [phone] after error"
    assert (first["logger"], first["level"], first["district"], first["event_id"]) == (
        "dramatiq",
        "warning",
        "heping",
        "test:9",
    )
    assert second["event"] == "query failed for [phone]" and "OSError: lookup [id]" in second["exception"]


def test_a_dramatiq_message_is_logged_by_its_actor_and_id_not_by_what_it_carries() -> None:
    from dramatiq.broker import MessageProxy
    from dramatiq.message import Message

    event = {"text": "楼上漏水三天了", "display_name": "王秀英", "identity": "telegram:4242"}
    message = Message(queue_name="linli.events", actor_name="linli.dispatch", args=(event,), kwargs={}, options={})
    stream = json_logging()
    try:
        raise RuntimeError("the database went away")
    except RuntimeError:
        logging.getLogger("dramatiq.worker.WorkerThread").error(
            "Failed to process message %s with unhandled exception.", MessageProxy(message), exc_info=True
        )
    logging.getLogger("dramatiq.worker.WorkerThread").warning("Message %s was skipped.", message)
    first, second = lines(stream)
    assert first["event"] == f"Failed to process message linli.dispatch[{message.message_id}] with unhandled exception."
    assert second["event"] == f"Message linli.dispatch[{message.message_id}] was skipped."
    for secret in ("楼上漏水", "王秀英", "telegram:4242"):
        assert secret not in stream.getvalue()


def test_the_row_values_a_postgresql_error_quotes_are_masked() -> None:
    detail = (
        'duplicate key value violates unique constraint "uq_identity"\n'
        "DETAIL:  Key (identity)=(telegram:4242 (王秀英)) already exists.\n"
        "DETAIL:  Failing row contains (7, 王秀英, null).\n"
        'DETAIL:  Key (person_id)=(42) is not present in table "people".'
    )
    assert redact(detail) == (
        'duplicate key value violates unique constraint "uq_identity"\n'
        "DETAIL:  Key (identity)=([redacted]) already exists.\n"
        "DETAIL:  Failing row contains ([redacted]).\n"
        'DETAIL:  Key (person_id)=([redacted]) is not present in table "people".'
    )
    assert redact('invalid input syntax for type integer: "王秀英家漏水"\nLINE 1: ...') == (
        'invalid input syntax for type integer: "[redacted]"\nLINE 1: ...'
    )
    assert redact('value "99999999999999999999" is out of range for type bigint') == (
        'value "[redacted]" is out of range for type bigint'
    )


def test_positional_arguments_of_structlog_loggers_are_formatted_then_masked() -> None:
    stream = json_logging()
    structlog.get_logger("linli").info("sms to %s failed", PHONE)
    assert lines(stream)[0]["event"] == "sms to [phone] failed"


def test_lines_below_the_level_are_dropped_and_dramatiq_chatter_waits_for_debug() -> None:
    stream = json_logging("warning")
    structlog.get_logger("linli").info("not shown")
    structlog.get_logger("linli").warning("shown")
    assert [line["event"] for line in lines(stream)] == ["shown"]

    json_logging("info")
    assert logging.getLogger("dramatiq").level == logging.WARNING
    json_logging("debug")
    assert logging.getLogger("dramatiq").level == logging.DEBUG


def test_configuring_again_replaces_only_its_own_handler() -> None:
    other = logging.NullHandler()
    logging.getLogger().addHandler(other)
    first, second = io.StringIO(), io.StringIO()
    configure_logging("info", "json", first)
    configure_logging("info", "json", second)
    logging.getLogger("linli.test").warning("once")
    assert other in logging.getLogger().handlers
    assert first.getvalue() == "" and len(lines(second)) == 1


@pytest.mark.parametrize(("level", "fmt"), [("loud", "json"), ("info", "xml")])
def test_an_unknown_level_or_format_is_refused(level: str, fmt: str) -> None:
    with pytest.raises(ValueError, match="use"):
        configure_logging(level, fmt, io.StringIO())


def test_a_bound_context_is_on_every_line_inside_and_the_earlier_values_come_back_after() -> None:
    structlog.contextvars.bind_contextvars(event_id="outer")
    with bound_context(event_id="e1", plugin="core"):
        assert structlog.contextvars.get_contextvars() == {"event_id": "e1", "plugin": "core"}
        with bound_context(plugin="mediation"):
            assert structlog.contextvars.get_contextvars() == {"event_id": "e1", "plugin": "mediation"}
        assert structlog.contextvars.get_contextvars() == {"event_id": "e1", "plugin": "core"}
    assert structlog.contextvars.get_contextvars() == {"event_id": "outer"}
