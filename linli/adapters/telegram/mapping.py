"""Telegram updates as linli events: messages, edits, commands, joins and button presses,
and the photos, files, voice notes and locations messages carry (as
:class:`~linli.core.events.Attachment` references: the worker downloads them)."""

from __future__ import annotations

from collections.abc import Callable

from telegram import Chat, Message, Update, User

from linli.core.events import Address, Attachment, Inbound, Sender

__all__ = ["PLATFORM", "address_of", "attachments_of", "to_inbound"]

PLATFORM = "telegram"


def address_of(message: Message) -> Address:
    """The chat of ``message``, and its forum topic when it was written in one."""
    # message_thread_id is also set on replies in ordinary groups; only a forum topic is a thread
    thread = str(message.message_thread_id) if message.is_topic_message and message.message_thread_id else None
    return Address(PLATFORM, str(message.chat.id), thread)


def _sender(user: User | None, chat: Chat) -> Sender:
    if user is None:  # an anonymous group admin or a channel writing as the chat
        return Sender(PLATFORM, str(chat.id), chat.title or "")
    return Sender(PLATFORM, str(user.id), user.full_name)


def attachments_of(message: Message) -> tuple[Attachment, ...]:
    """What ``message`` carries besides its text: the largest size of a photo, a file (a
    document, an audio file, a video), a voice note, a location. ``ref`` is Telegram's
    ``file_id``, which getFile downloads."""
    if message.photo:
        best = max(message.photo, key=lambda p: (p.width * p.height, p.file_size or 0))
        return (Attachment("photo", "photo.jpg", "image/jpeg", best.file_size or 0, ref=best.file_id),)
    if message.voice is not None:
        v = message.voice
        return (Attachment("voice", "voice.ogg", v.mime_type or "audio/ogg", v.file_size or 0, ref=v.file_id),)
    for doc, default in ((message.document, "file"), (message.audio, "audio"), (message.video, "video.mp4")):
        if doc is not None:
            name = getattr(doc, "file_name", None) or default
            return (Attachment("file", name, doc.mime_type or "", doc.file_size or 0, ref=doc.file_id),)
    place = message.location
    if place is not None:
        return (Attachment("location", latitude=place.latitude, longitude=place.longitude),)
    return ()


def _for_another_bot(text: str, username: str) -> tuple[bool, str]:
    """Whether ``text`` is a command addressed to another bot; the text without our ``@name``."""
    if not text.startswith("/"):
        return False, text
    head, sep, rest = text.partition(" ")
    command, at, mention = head.partition("@")
    if not at:
        return False, text
    if username and mention.lower() != username.lower():
        return True, text
    return False, command + sep + rest


def to_inbound(
    update: Update, *, bot_id: str, username: str, resolve: Callable[[str], str | None] = lambda data: data
) -> Inbound | None:
    """The linli event for ``update``, or ``None`` when linli has nothing to do with it.

    Parameters:
      update: one update from getUpdates or a webhook.
      bot_id: the bot's own user id; with the update id it makes the event id.
      username: the bot's username: commands addressed to another bot are ignored.
      resolve: turns a button's callback data back into the :class:`~linli.core.events.Choice`
        value it stands for (see :mod:`linli.adapters.telegram.send`); ``None``: unknown.
    """
    event_id = f"{PLATFORM}:{bot_id}:{update.update_id}"
    query = update.callback_query
    if query is not None:
        if query.data is None:  # a game button
            return None
        message = query.message
        if isinstance(message, Message):
            address, private = address_of(message), message.chat.type == Chat.PRIVATE
        else:  # too old to be shown: answer where the person is
            address, private = Address(PLATFORM, str(query.from_user.id)), True
        return Inbound(
            event_id,
            address,
            Sender(PLATFORM, str(query.from_user.id), query.from_user.full_name),
            kind="choice",
            private=private,
            choice=resolve(query.data) or "",
        )
    message = update.message or update.edited_message
    if message is None:  # channel posts, polls, member status changes of the bot itself, ...
        return None
    address = address_of(message)
    private = message.chat.type == Chat.PRIVATE
    sender = _sender(message.from_user, message.chat)
    if message.new_chat_members:
        member = message.new_chat_members[0]
        return Inbound(event_id, address, _sender(member, message.chat), kind="join", private=private)
    if message.left_chat_member is not None:
        return Inbound(
            event_id, address, _sender(message.left_chat_member, message.chat), kind="leave", private=private
        )
    text = message.text or message.caption or ""
    # an edit carries its file again (and a live location sends edits every few seconds): the
    # file came with the original message
    attachments = attachments_of(message) if update.message is not None else ()
    if not text and not attachments:
        return None
    other, text = _for_another_bot(text, username)
    if other:
        return None
    reply = message.reply_to_message
    # in a forum every message "replies" to the topic's first message: that is no reply
    reply_to = str(reply.message_id) if reply is not None and reply.message_id != message.message_thread_id else None
    return Inbound(event_id, address, sender, text=text, private=private, reply_to=reply_to, attachments=attachments)
