"""Logging: structlog, pretty on a terminal and JSON otherwise, with personal data redacted.

Every line carries the context bound with ``structlog.contextvars`` (district,
plugin, event id). :class:`Redactor` masks mainland mobile numbers and resident
ID numbers wherever they appear: in the message, in keys and values however
deeply nested, in exceptions and their tracebacks, in lines from the standard
library's loggers (Dramatiq, SQLAlchemy); the rendered line is checked once more
before it is written. Values under keys that name a secret or a phone or ID
number (``phone``, ``id_number``, ``token``, ``身份证`` ...) are masked whatever
they look like.

What residents wrote and who they are never reach a line through the libraries
either: Dramatiq names a message it failed on by its actor and id instead of its
arguments (:class:`HideMessageArguments`), SQLAlchemy's engines are built with
``hide_parameters`` (:class:`~linli.core.storage.Store`), and the value a
PostgreSQL error quotes (``DETAIL: Key (identity)=(telegram:42) already exists``)
is masked.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, TextIO


def _import_structlog() -> None:
    """Import structlog without the extras it picks up whenever they are installed.

    structlog imports rich (to pretty-print tracebacks on a terminal) and its Twisted
    integration as soon as it is imported; linli needs neither for its logs, and
    together they cost 6 MB in every process, the Dramatiq workers (forked from a
    parent that has imported this module) included. They stay importable for
    whoever wants them later (the CLI prints tables with rich); a pretty log shows
    plain tracebacks.
    """
    hidden = [name for name in ("rich", "twisted") if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        import structlog  # noqa: F401
    finally:
        for name in hidden:
            if sys.modules.get(name, False) is None:
                del sys.modules[name]


_import_structlog()

import structlog  # noqa: E402 - imported above without its extras

__all__ = ["HideMessageArguments", "Redactor", "bound_context", "configure_logging", "log_stream", "redact"]

_DIGIT_RUN_START = r"(?<![0-9])(?<![0-9]\.)"  # not inside a longer number or after a decimal point
_DIGIT_RUN_END = r"(?![0-9])(?!\.[0-9])"
# An 11-digit mainland mobile number, alone or after +86 / 0086 / 86, written whole or in
# groups separated by spaces or dashes (138-0013-8000, +86 138 0013 8000).
_PHONE = re.compile(_DIGIT_RUN_START + r"(?:(?:\+|00)?86[ -]?)?1[3-9][0-9](?:[ -]?[0-9]{4}){2}" + _DIGIT_RUN_END)
# An 18-character resident ID number: area, birth date, sequence, check digit (maybe X),
# whole or grouped 6-8-4; and the old 15-digit one (two-digit year, no check digit).
_ID_18 = re.compile(
    _DIGIT_RUN_START + r"[1-9][0-9]{5}[ -]?(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
    r"[ -]?[0-9]{3}[0-9Xx]" + _DIGIT_RUN_END
)
_ID_15 = re.compile(
    _DIGIT_RUN_START + r"[1-9][0-9]{5}[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}" + _DIGIT_RUN_END
)
# Chinese input methods often type full-width digits; matching runs on a half-width copy of
# the same length, so the positions found are the original's.
_HALF_WIDTH = str.maketrans("０１２３４５６７８９Ｘｘ＋－　", "0123456789Xx+- ")
# keys whose values are masked whatever they look like (a phone number typed with a digit
# missing is still someone's phone number)
_SENSITIVE_KEY = re.compile(
    r"(?:^|[_\-.])(?:phone|mobile|tel|telephone|cellphone|password|passwd|secret|token|id_?card|id_?number)"
    r"(?:$|[_\-.])|身份证|手机|电话|密码",
    re.IGNORECASE,
)
_MASKED = "[redacted]"
# what PostgreSQL quotes of a row in an error's detail: "Key (identity)=(telegram:42)",
# "Failing row contains (1, 张三, ...)"
_DB_KEY_VALUE = re.compile(
    r"(Key \([^)\n]*\)=)\((?:[^\n]*?)\)(?= already exists| is not present| is still referenced| conflicts|$)", re.M
)
_DB_FAILING_ROW = re.compile(r"(Failing row contains )\(.*\)", re.M)
# and the value it could not take: 'invalid input syntax for type integer: "..."',
# 'value "..." is out of range for type integer'
_DB_BAD_VALUE = re.compile(
    r'(invalid input (?:syntax|value) for (?:type |enum )?[^:\n]*: )"[^\n]*"|(value )"[^\n]*"(?= is out of range)'
)
# structlog's own bookkeeping and what the renderer still has to turn into text
_META_KEYS = frozenset({"_record", "_from_structlog", "exc_info"})
_MAX_DEPTH = 16
# marks the handler configure_logging installs, so a second call replaces only its own
_HANDLER_NAME = "linli"


def redact(text: str) -> str:
    """``text`` with resident ID numbers and mobile numbers replaced by ``[id]`` and ``[phone]``.

    Parameters:
      text: any text, Chinese or not; ordinary numbers (amounts, dates, order numbers,
        timestamps) are left alone.
    """
    if ")=(" in text or "Failing row" in text or "invalid input" in text or "out of range" in text:
        text = _DB_KEY_VALUE.sub(r"\1(" + _MASKED + ")", text)
        text = _DB_FAILING_ROW.sub(r"\1(" + _MASKED + ")", text)
        text = _DB_BAD_VALUE.sub(lambda m: (m.group(1) or m.group(2)) + '"' + _MASKED + '"', text)
    if not any(c.isdigit() for c in text):
        return text
    half = text.translate(_HALF_WIDTH)
    spans = [(m.start(), m.end(), "[id]") for pattern in (_ID_18, _ID_15) for m in pattern.finditer(half)]
    for m in _PHONE.finditer(half):
        if not any(start < m.end() and m.start() < end for start, end, _ in spans):
            spans.append((m.start(), m.end(), "[phone]"))
    if not spans:
        return text
    out, last = [], 0
    for start, end, token in sorted(spans):
        if start >= last:
            out += [text[last:start], token]
            last = end
    out.append(text[last:])
    return "".join(out)


def _sensitive(key: object) -> bool:
    return isinstance(key, str) and _SENSITIVE_KEY.search(key) is not None


def _walk(value: Any, depth: int = 0) -> Any:
    if isinstance(value, str):
        return redact(value)
    if value is None or isinstance(value, bool | float):
        return value
    if isinstance(value, int):  # a phone number stored as a number is still a phone number
        text = str(value)
        clean = redact(text)
        return value if clean == text else clean
    if depth >= _MAX_DEPTH:
        return _redacted_repr(value)
    if isinstance(value, Mapping):
        return {_walk(k, depth + 1): _MASKED if _sensitive(k) else _walk(v, depth + 1) for k, v in value.items()}
    if type(value) in (list, tuple, set, frozenset):
        return type(value)(_walk(v, depth + 1) for v in value)
    return _redacted_repr(value)


def _redacted_repr(value: Any) -> Any:
    # renderers show other objects (exceptions, attrs classes, bytes) by their repr: keep the
    # object unless its repr would show a number
    text = repr(value)
    clean = redact(text)
    return value if clean == text else clean


class Redactor:
    """A structlog processor that masks phone and ID numbers in every key and value of the
    event dict, the message and formatted exceptions included.

    Put it after ``format_exc_info`` (so tracebacks are text by then) and before the renderer.
    """

    def __call__(self, logger: Any, method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        """Redact ``event_dict`` in place.

        Parameters:
          logger: the wrapped logger (unused).
          method: the log method's name (unused).
          event_dict: the line's keys and values.
        """
        for key in list(event_dict):
            if key in _META_KEYS:
                continue
            value = event_dict.pop(key)
            event_dict[redact(key)] = _MASKED if _sensitive(key) else _walk(value)
        return event_dict


def _redact_rendered(logger: Any, method: str, line: Any) -> str:
    # the last word: whatever a renderer produced from an object we did not look into
    return redact(str(line))


class HideMessageArguments(logging.Filter):
    """A logging filter that shows a Dramatiq message as its actor and id, not its arguments.

    Dramatiq logs the message it failed on (``Failed to process message %s``, ``Message %s
    was skipped``) as ``actor(arguments)``, and linli's arguments are events: what a resident
    wrote, their name and identity. Put it on the handler: a filter on the ``dramatiq``
    logger would not see the lines of its child loggers.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Replace each message among ``record``'s arguments by its label; keep the line.

        Parameters:
          record: any line; only those from Dramatiq's loggers are looked at.
        """
        if record.args and record.name.startswith("dramatiq"):
            if isinstance(record.args, tuple):
                record.args = tuple(_message_label(arg) for arg in record.args)
            else:
                record.args = {key: _message_label(arg) for key, arg in record.args.items()}
        return True


def _message_label(value: Any) -> Any:
    # a dramatiq Message, or the MessageProxy a worker holds (it forwards attributes)
    actor, message_id = getattr(value, "actor_name", None), getattr(value, "message_id", None)
    if isinstance(actor, str) and isinstance(message_id, str) and hasattr(value, "args"):
        return f"{actor}[{message_id}]"
    return value


class _Bound:
    __slots__ = ("_tokens", "_values")

    def __init__(self, values: dict[str, Any]) -> None:
        self._values = values

    def __enter__(self) -> None:
        self._tokens = structlog.contextvars.bind_contextvars(**self._values)

    def __exit__(self, *exc: object) -> None:
        structlog.contextvars.reset_contextvars(**self._tokens)


def bound_context(**values: Any) -> AbstractContextManager[None]:
    """Bind ``values`` to every log line of this context inside the block; restore the
    keys' earlier values after it (``structlog.contextvars.bound_contextvars``, cheaper).

    structlog's own first copies the whole context to learn what to restore; resetting
    the variables to the tokens their binding returned restores the same, for a few
    times less, and it runs a few times per event.
    """
    return _Bound(values)


def log_stream(file: str, base_dir: Path) -> TextIO | None:
    """Where ``[logging] file`` sends log lines: that file (relative to ``base_dir``, the
    settings file's folder), opened for appending, or ``None`` (standard error) when empty."""
    if not file:
        return None
    path = Path(file)
    if not path.is_absolute():
        path = base_dir / path
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.open("a", encoding="utf-8", buffering=1)


def configure_logging(level: str = "info", fmt: str = "auto", stream: TextIO | None = None) -> None:
    """Set up structlog and the standard library's logging (Dramatiq, SQLAlchemy) to match.

    Calling it again replaces what an earlier call installed and leaves other handlers
    (pytest's, an embedding application's) where they are.

    Parameters:
      level: ``debug``, ``info``, ``warning`` or ``error``.
      fmt: ``pretty``, ``json`` or ``auto`` (pretty when ``stream`` is a terminal).
      stream: where lines go (standard error by default).

    Raises:
      ValueError: for an unknown level or format.
    """
    if fmt not in ("auto", "pretty", "json"):
        raise ValueError(f"log format {fmt!r}: use auto, pretty or json")
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        raise ValueError(f"log level {level!r}: use debug, info, warning or error")
    stream = stream or sys.stderr
    pretty = fmt == "pretty" or (fmt == "auto" and stream.isatty())
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.stdlib.PositionalArgumentsFormatter(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        # tracebacks become text before redaction, in both formats: a traceback shows the
        # message and, with rich, the local variables, where numbers hide
        structlog.processors.format_exc_info,
        Redactor(),
    ]
    renderer: Any = (
        structlog.dev.ConsoleRenderer(colors=stream.isatty())
        if pretty
        else structlog.processors.JSONRenderer(ensure_ascii=False)
    )
    structlog.configure(
        processors=[structlog.stdlib.filter_by_level, *shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(stream)
    handler.set_name(_HANDLER_NAME)
    handler.addFilter(HideMessageArguments())
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer, _redact_rendered],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [h for h in root.handlers if h.get_name() != _HANDLER_NAME] + [handler]
    root.setLevel(numeric)
    # their info lines ("Retrying message ...", "Running upgrade ...") are for operators at debug level
    for noisy in ("dramatiq", "alembic"):
        logging.getLogger(noisy).setLevel(numeric if numeric <= logging.DEBUG else max(logging.WARNING, numeric))
