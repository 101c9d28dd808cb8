"""The one exception tree of linli.

Every error linli raises on purpose derives from :class:`LinliError`. Errors that
a person should read carry their message and the exit code the CLI uses.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = [
    "BrokerError",
    "DeliveryError",
    "LinliError",
    "NotFound",
    "PermanentDeliveryError",
    "PermissionDenied",
    "PluginError",
    "SettingsError",
    "StorageError",
    "UserError",
]


class LinliError(Exception):
    """Root of linli's exceptions.

    Parameters:
      message: what went wrong, in words for the person who reads it. With ``values``
        it is a msgid (mark it with ``N_``) formatted with them, so that the CLI can
        show it translated: ``NotFound(N_("no district {district!r}"), district=d)``.
      values: the values of the message's placeholders.
    """

    exit_code = 1

    def __init__(self, message: str, /, **values: Any) -> None:
        self.msgid = message
        self.values = values
        self.message = message.format(**values) if values else message
        super().__init__(self.message)

    def translated(self, t: Callable[..., str]) -> str:
        """The message in the language of ``t`` (a translator)."""
        return t(self.msgid, **{k: v.translated(t) if hasattr(v, "translated") else v for k, v in self.values.items()})

    def __str__(self) -> str:
        return self.message


class SettingsError(LinliError):
    """The settings file or an environment override is wrong."""

    exit_code = 2


class StorageError(LinliError):
    """The database is unreachable or its schema is not what linli expects."""

    exit_code = 3


class BrokerError(LinliError):
    """The message broker is unreachable or misconfigured."""

    exit_code = 4


class PluginError(LinliError):
    """A plugin is broken: bad manifest, duplicate command, unknown dependency."""

    exit_code = 5


class NotFound(LinliError):
    """A district, room, person or record named by the user does not exist."""

    exit_code = 6


class UserError(LinliError):
    """Bad input from a chat user: the handler stops, nothing it wrote is kept,
    and the user gets ``message`` (already translated) as the reply."""


class PermissionDenied(UserError):
    """The person may not do this here."""


class DeliveryError(LinliError):
    """Sending to a platform failed but may succeed later.

    Parameters:
      message: what the platform said.
      retry_after: seconds the platform asked us to wait, if it said so.
    """

    def __init__(self, message: str, /, *, retry_after: float | None = None, **values: Any) -> None:
        super().__init__(message, **values)
        self.retry_after = retry_after


class PermanentDeliveryError(LinliError):
    """Sending to a platform failed for good (the bot was removed, the user blocked it)."""
