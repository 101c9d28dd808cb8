"""The one base class every chat platform implements."""

from __future__ import annotations

import abc
from collections.abc import Callable

from linli.core.blobs import BlobNotFound, BlobStore
from linli.core.errors import PermanentDeliveryError
from linli.core.events import Attachment, Inbound, Outbound

__all__ = ["ChatAdapter", "Submit", "split_text", "stored_bytes"]

#: what a gateway calls for each event; it returns once the event is on the queue.
Submit = Callable[[Inbound], None]


class ChatAdapter(abc.ABC):
    """A chat platform: receiving (the gateway side) and sending (the delivery side).

    Adapters escape formatting and split long texts themselves: plugins write
    plain text.
    """

    #: the platform prefix of addresses and identities (``telegram``).
    platform: str = ""
    #: the longest text one message may carry.
    max_text_length: int = 4096

    @abc.abstractmethod
    def send(self, message: Outbound) -> str | None:
        """Send one message; returns the platform's id for it, if any.

        Raises:
          DeliveryError: it may work later (rate limit, timeout, 5xx).
          PermanentDeliveryError: it never will (bot removed, user blocked it).
        """

    def fetch(self, attachment: Attachment) -> bytes:
        """The content of a photo, file or voice note a person sent (``attachment.ref`` is
        what this platform calls it), downloaded from the platform.

        Raises:
          DeliveryError: it may work later (a timeout, 429, 5xx).
          PermanentDeliveryError: it never will (the file is gone or too big to download).
          NotImplementedError: this platform carries no files.
        """
        raise NotImplementedError(f"{self.platform} cannot download files")

    def run_gateway(self, submit: Submit) -> None:
        """Receive events until stopped, calling ``submit`` for each before
        acknowledging it to the platform."""
        raise NotImplementedError(f"{self.platform} has no gateway")

    def stop(self) -> None:
        """Ask :meth:`run_gateway` to return."""

    def close(self) -> None:
        """Release connections."""


def stored_bytes(blobs: BlobStore | None, attachment: Attachment) -> bytes:
    """The stored content of a file to send (``attachment.sha256`` is its key).

    Raises:
      PermanentDeliveryError: there is no store, or the content is not in it (deleted
        since the message was written): the message can never be sent as written.
    """
    if blobs is None:
        raise PermanentDeliveryError("a file to send, but this adapter has no blob store")
    try:
        return blobs.get(attachment.sha256)
    except (BlobNotFound, ValueError):
        raise PermanentDeliveryError(f"the {attachment.kind} to send is not in the blob store") from None


def split_text(text: str, limit: int) -> list[str]:
    """Split ``text`` into pieces of at most ``limit`` characters, at line ends where possible."""
    if len(text) <= limit:
        return [text]
    pieces: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        while len(line) > limit:  # a single line longer than the limit is cut hard
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:limit])
            line = line[limit:]
        if len(current) + len(line) > limit:
            pieces.append(current)
            current = ""
        current += line
    if current:
        pieces.append(current)
    return [p.rstrip("\n") or p for p in pieces]
