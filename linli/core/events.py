"""The messages that travel on linli's queues: small, versioned attrs classes,
turned into plain JSON with cattrs. Never pickle."""

from __future__ import annotations

import re
from typing import Any, Literal, TypeVar

import cattrs
from attrs import field, frozen

__all__ = [
    "Address",
    "Attachment",
    "Choice",
    "DomainEvent",
    "HandlerCall",
    "Inbound",
    "Outbound",
    "PersonInfo",
    "Sender",
    "clean_text",
    "from_json",
    "to_json",
]

SCHEMA_VERSION = 1

# C0 and C1 control characters (tab and newline kept), DEL, and UTF-16 surrogates: a Python
# string holds a surrogate only alone (a pair is one code point), and a lone one cannot be
# encoded as UTF-8, so it would fail in the database, the broker and every platform
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_LINE_BREAK = re.compile("\r\n?")


def clean_text(text: str) -> str:
    """``text`` as a handler may read it: lone surrogates and control characters removed,
    line breaks made ``\\n``. Applied where every inbound event is made, so that no adapter
    has to remember it and no handler sees such characters."""
    if text.isprintable():  # the usual case, one pass in C
        return text
    return _UNPRINTABLE.sub("", _LINE_BREAK.sub("\n", text))


def _clean_optional(text: str | None) -> str | None:
    return None if text is None else clean_text(text)


@frozen
class Address:
    """Where a message is: a room (group, private chat, console session) and an optional thread."""

    platform: str
    room: str
    thread: str | None = None

    @property
    def room_key(self) -> str:
        """``platform:room``, the form rooms are bound to districts with."""
        return f"{self.platform}:{self.room}"

    @classmethod
    def parse(cls, key: str) -> Address:
        """Parameters: key: ``platform:room`` such as ``telegram:-100123``.

        Raises: ValueError: the key has no platform prefix."""
        platform, sep, room = key.partition(":")
        if not sep or not platform or not room:
            raise ValueError(f"{key!r} is not 'platform:room' (for example 'console:demo')")
        return cls(platform, room)


@frozen
class Sender:
    """Who spoke, as the platform knows them."""

    platform: str
    user_id: str
    display_name: str = field(default="", converter=clean_text)

    @property
    def identity(self) -> str:
        return f"{self.platform}:{self.user_id}"


@frozen
class Choice:
    """One button. ``value`` comes back in :attr:`Inbound.choice` when it is picked;
    :meth:`PluginContext.choice` builds it so that the dispatcher can route it."""

    label: str
    value: str


@frozen
class Attachment:
    """A photo, file, voice note or location carried by a message, in or out.

    On an inbound event an adapter fills what the platform says (``ref``: Telegram's
    ``file_id``, a Matrix ``mxc://`` URI, the console's path); ``sha256`` is empty until a
    worker has fetched the content into the blob store (:mod:`linli.core.blobs`), whose key it
    then is. On an outbound message ``sha256`` names the stored content to upload. Queues carry
    this reference, never the bytes."""

    kind: Literal["photo", "file", "voice", "location"]
    name: str = field(default="", converter=clean_text)
    mime: str = ""
    size: int = 0
    sha256: str = ""
    ref: str = ""
    latitude: float | None = None
    longitude: float | None = None


@frozen
class Inbound:
    """One event from a platform: a message, a picked choice, a join or a leave.

    ``event_id`` is the platform's own id (update id, event id), unique per platform:
    it is how a redelivered event is recognised.
    """

    event_id: str
    address: Address
    sender: Sender
    text: str = field(default="", converter=clean_text)
    kind: Literal["message", "choice", "join", "leave"] = "message"
    private: bool = False
    choice: str | None = field(default=None, converter=_clean_optional)
    reply_to: str | None = None
    #: the sender's standing in the room as the platform says it (Matrix power levels give
    #: ``moderator`` and ``room_admin``); a district may map these to its roles
    platform_roles: tuple[str, ...] = ()
    #: where the bot can write to the sender privately without their having written privately
    #: first (Matrix: ``matrix:@user:server``, a direct room the adapter opens); ``None`` when
    #: the platform needs the person to open the private chat (Telegram)
    private_address: str | None = None
    attachments: tuple[Attachment, ...] = ()
    v: int = SCHEMA_VERSION


@frozen
class Outbound:
    """One message to send. ``key`` makes sending idempotent; the adapter escapes
    ``text`` and splits it at the platform's limits."""

    address: Address
    text: str
    choices: tuple[Choice, ...] = ()
    reply_to: str | None = None
    key: str = ""
    attachments: tuple[Attachment, ...] = ()


@frozen
class DomainEvent:
    """What a plugin publishes for other plugins (``mediation.case_opened``)."""

    event_id: str
    name: str
    district_id: str
    payload: dict[str, Any] = field(factory=dict)
    source_plugin: str = ""
    person_id: int | None = None
    #: the room the publishing handler was answering in, if any: subscribers may answer there
    address: Address | None = None
    v: int = SCHEMA_VERSION


@frozen
class PersonInfo:
    """A person as the dispatcher saw them (``consent_version`` 0: never shown the notice)."""

    id: int
    display_name: str
    language: str | None = None
    home_district: str | None = None
    consent_version: int | None = None


@frozen
class HandlerCall:
    """The dispatcher's decision: run this plugin handler for this event.

    ``key`` is unique per (event, handler) and is the processed-event mark.
    """

    key: str
    plugin: str
    handler: str
    kind: Literal["command", "choice", "dialog", "event", "job"]
    district_id: str
    person_id: int | None = None
    address: Address | None = None
    inbound: Inbound | None = None
    domain_event: DomainEvent | None = None
    args: tuple[str, ...] = ()
    argtext: str = ""
    #: a button's data (kind "choice"), or the dialog step the dispatcher saw (kind "dialog")
    data: str = ""
    language: str = "zh_CN"
    #: the person and their roles here (role -> scopes) when the dispatcher looked them up
    person: PersonInfo | None = None
    roles: dict[str, list[str]] | None = None
    fire_time: str | None = None
    v: int = SCHEMA_VERSION


converter = cattrs.Converter()
T = TypeVar("T")


def to_json(obj: Any) -> dict[str, Any]:
    """The plain-JSON form of an event class."""
    result: dict[str, Any] = converter.unstructure(obj)
    return result


def from_json(data: dict[str, Any], cls: type[T]) -> T:
    """Rebuild an event class from its JSON form; unknown newer fields are ignored."""
    return converter.structure(data, cls)
