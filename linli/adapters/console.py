"""The console adapter: talk to linli in a terminal, or pipe a scripted session in.

Console-only commands (not sent to the bot): ``/as NAME`` speaks as someone else,
``/dm`` moves to a private chat with the bot and ``/group`` back, ``/quit`` ends.
``/attach PATH [caption]`` sends a file as a platform would: the event carries the path,
and the worker fetches the content (:meth:`ConsoleAdapter.fetch`); the caption may be a
command (``/attach lamp.jpg /suggest 楼道灯坏了``). A bare number answers the last
numbered choices.
"""

from __future__ import annotations

import contextlib
import itertools
import mimetypes
import re
import sys
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Literal, TextIO

from linli.core.adapter import ChatAdapter, Submit
from linli.core.commands import parse_number
from linli.core.errors import DeliveryError, PermanentDeliveryError
from linli.core.events import Address, Attachment, Inbound, Outbound, Sender

__all__ = ["ConsoleAdapter"]

CONSOLE_HELP_ZH = (
    "控制台命令：/as 名字 换人说话，/dm 私聊机器人，/group 回到群里，/attach 路径 [说明] 发送照片或文件，/quit 退出。"
)
CONSOLE_HELP_EN = (
    "Console: /as NAME to speak as someone else, /dm for a private chat, /group to go back, "
    "/attach PATH [caption] to send a photo or file, /quit to leave."
)

#: ``/attach PATH [caption]``: the path may be quoted ("my photo.jpg")
_ATTACH = re.compile(r"""\s*(?:"([^"]+)"|'([^']+)'|(\S+))(.*)""", re.DOTALL)


class ConsoleAdapter(ChatAdapter):
    """Parameters:
    room: the group room of this session (``console:<room>``).
    speaker: who speaks first.
    stdin, stdout: the terminal (or a pipe).
    after_submit: called after each line is submitted; ``linli run`` waits there
      until every reply is printed, so a piped session reads in order.
    language: the language of the console's own hints.
    """

    platform = "console"
    max_text_length = 100_000

    def __init__(
        self,
        *,
        room: str,
        speaker: str,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        after_submit: Callable[[], None] | None = None,
        language: str = "zh_CN",
    ) -> None:
        self.room = room
        self.speaker = speaker
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.after_submit = after_submit or (lambda: None)
        self.language = language
        self.private = False
        self._session = uuid.uuid4().hex[:8]
        self._counter = itertools.count(1)
        self._choices: dict[str, list[str]] = {}
        self._lock = threading.Lock()
        self._stopped = threading.Event()

    @property
    def interactive(self) -> bool:
        return self.stdin.isatty()

    def _address(self) -> Address:
        return Address("console", f"@{self.speaker}" if self.private else self.room)

    # --- sending ----------------------------------------------------------------------

    def send(self, message: Outbound) -> str | None:
        where = message.address.room
        with self._lock:
            tag = "linli" if where == self.room else f"linli → {where.lstrip('@')}"
            lines = message.text.splitlines() or ([] if message.attachments else [""])
            lines += [self._file_line(a) for a in message.attachments]
            out = [f"  {tag} › {lines[0]}", *(" " * (len(tag) + 5) + line for line in lines[1:])]
            for n, choice in enumerate(message.choices, 1):
                out.append(" " * (len(tag) + 5) + f"[{n}] {choice.label}")
            if message.choices:
                self._choices[message.address.room_key] = [c.value for c in message.choices]
            self.stdout.write("\n".join(out) + "\n")
            self.stdout.flush()
        return None

    def fetch(self, attachment: Attachment) -> bytes:
        """The content of a file sent with ``/attach``: read from its path.

        Raises:
          PermanentDeliveryError: the file is gone or is not a file.
          DeliveryError: it could not be read now.
        """
        path = Path(attachment.ref)
        try:
            return path.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise PermanentDeliveryError("no file at the attached path") from None
        except OSError as exc:
            raise DeliveryError("the attached file could not be read: {error}", error=type(exc).__name__) from None

    def _attachment(self, rest: str) -> tuple[Attachment, str] | None:
        """``/attach PATH [caption]``: the attachment and its caption, or None (told why)."""
        zh = self.language == "zh_CN"
        match = _ATTACH.match(rest)
        if match is None:
            self.stdout.write(("用法：/attach 路径 [说明]" if zh else "Usage: /attach PATH [caption]") + "\n")
            return None
        path = Path(next(g for g in match.group(1, 2, 3) if g is not None)).expanduser()
        caption = match.group(4).strip()
        if not path.is_file():
            self.stdout.write((f"找不到文件：{path}" if zh else f"No such file: {path}") + "\n")
            return None
        mime = mimetypes.guess_type(path.name)[0] or ""
        kind: Literal["photo", "file", "voice"] = (
            "photo" if mime.startswith("image/") else "voice" if mime.startswith("audio/") else "file"
        )
        size = path.stat().st_size
        return Attachment(kind, path.name, mime, size, ref=str(path.resolve())), caption

    def _file_line(self, a: Attachment) -> str:
        """A file the bot sends, as the console shows it: its kind, name and size."""
        zh = self.language == "zh_CN"
        if a.kind == "location":
            return f"[{'位置' if zh else 'location'} {a.latitude}, {a.longitude}]"
        kinds = {"photo": "图片", "file": "文件", "voice": "语音"} if zh else {}
        size = f"{a.size / 1024:.1f} KB" if a.size >= 1024 else f"{a.size} B"
        return f"[{kinds.get(a.kind, a.kind)} {a.name}, {size}]"

    # --- receiving ----------------------------------------------------------------------

    def _prompt(self) -> str:
        where = "私聊" if self.private and self.language == "zh_CN" else ("dm" if self.private else self.room)
        return f"[{where}] {self.speaker}> "

    def run_gateway(self, submit: Submit) -> None:
        if self.interactive:
            with contextlib.suppress(ImportError):  # not on every platform
                import readline  # noqa: F401 - line editing and history for input()
            self.stdout.write((CONSOLE_HELP_ZH if self.language == "zh_CN" else CONSOLE_HELP_EN) + "\n")
        while not self._stopped.is_set():
            try:
                if self.interactive:
                    line = input(self._prompt())
                else:
                    raw = self.stdin.readline()
                    if not raw:
                        break
                    line = raw.rstrip("\n")
                    if line.strip():
                        self.stdout.write(self._prompt() + line + "\n")
            except (EOFError, KeyboardInterrupt):
                self.stdout.write("\n")
                break
            if not self.handle_line(line, submit):
                break

    def handle_line(self, line: str, submit: Submit) -> bool:
        """One line typed by the person; False when it ends the session."""
        text = line.strip()
        if not text or text.startswith("#"):
            return True
        word, _, rest = text.partition(" ")
        if word in ("/quit", "/exit", "/退出"):
            return False
        if word in ("/as", "/换人"):
            name = rest.strip()
            if name:
                self.speaker = name
            else:
                self.stdout.write(("用法：/as 名字" if self.language == "zh_CN" else "Usage: /as NAME") + "\n")
            return True
        if word in ("/dm", "/私聊"):
            self.private = True
            return True
        if word in ("/group", "/群"):
            self.private = False
            return True
        attachments: tuple[Attachment, ...] = ()
        if word in ("/attach", "/附件"):
            attached = self._attachment(rest)
            if attached is None:
                return True
            attachments = (attached[0],)
            text = attached[1]
        address = self._address()
        sender = Sender("console", self.speaker, self.speaker)
        event_id = f"console:{self._session}:{next(self._counter)}"
        # buttons are answered by the next line only: a press uses them up, and anything
        # else typed means the person moved on, so a later bare number is an answer, not a press
        pending = self._choices.pop(address.room_key, None)
        picked = parse_number(text, high=len(pending)) if pending else None
        if pending and picked is not None and not attachments:
            inbound = Inbound(
                event_id, address, sender, text=text, kind="choice", private=self.private, choice=pending[picked - 1]
            )
        else:
            inbound = Inbound(event_id, address, sender, text=text, private=self.private, attachments=attachments)
        submit(inbound)
        self.after_submit()
        return True

    def stop(self) -> None:
        self._stopped.set()
