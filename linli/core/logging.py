"""Logging: structlog, pretty on a terminal and JSON otherwise, with personal data redacted.

Every line carries the context bound with ``structlog.contextvars`` (district,
plugin, event id); :class:`Redactor` masks mainland mobile numbers and resident
ID numbers wherever they appear in a line.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog

__all__ = ["Redactor", "configure_logging", "redact"]

# An 11-digit mainland mobile number, alone or after +86 / 0086, not inside a longer number.
_PHONE = re.compile(r"(?<![0-9])(?:(?:\+|00)86[ -]?)?1[3-9][0-9](?:[ -]?[0-9]{4}){2}(?![0-9])")
# An 18-character resident ID number (the last may be X), or an old 15-digit one.
_ID_18 = re.compile(r"(?<![0-9A-Za-z])[1-9][0-9]{5}(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
                    r"[0-9]{3}[0-9Xx](?![0-9A-Za-z])")
_ID_15 = re.compile(r"(?<![0-9])[1-9][0-9]{5}[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}(?![0-9])")


def redact(text: str) -> str:
    """``text`` with ID numbers and mobile numbers replaced by ``[id]`` and ``[phone]``."""
    text = _ID_18.sub("[id]", text)
    text = _ID_15.sub("[id]", text)
    return _PHONE.sub("[phone]", text)


def _walk(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _walk(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_walk(v) for v in value)
    return value


class Redactor:
    """A structlog processor that redacts every string value of the event dict,
    the message and rendered exceptions included."""

    def __call__(self, logger: Any, method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        for key, value in list(event_dict.items()):
            event_dict[key] = _walk(value)
        return event_dict


def configure_logging(level: str = "info", fmt: str = "auto", stream: TextIO | None = None) -> None:
    """Set up structlog and the standard library's logging (Dramatiq, SQLAlchemy) to match.

    Parameters:
      level: ``debug``, ``info``, ``warning`` or ``error``.
      fmt: ``pretty``, ``json`` or ``auto`` (pretty when ``stream`` is a terminal).
      stream: where lines go (standard error by default).
    """
    stream = stream or sys.stderr
    pretty = fmt == "pretty" or (fmt == "auto" and stream.isatty())
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
    ]
    if not pretty:
        shared.append(structlog.processors.format_exc_info)
    shared.append(Redactor())
    renderer: Any = structlog.dev.ConsoleRenderer() if pretty else structlog.processors.JSONRenderer(ensure_ascii=False)
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Dramatiq's own info lines ("Retrying message ...") are for operators at debug level
    logging.getLogger("dramatiq").setLevel(max(logging.WARNING, root.level))
