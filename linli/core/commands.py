"""Reading commands out of chat text, Chinese input methods included.

``／议题　"楼道 灯坏了"`` reads as the command ``议题`` with one argument: full-width
slash, ideographic spaces and Chinese quotation marks are normalised first.
"""

from __future__ import annotations

import re
import shlex
import unicodedata

from attrs import frozen

__all__ = ["ParsedCommand", "normalize", "parse_command"]

_QUOTES = str.maketrans({"“": '"', "”": '"', "「": '"', "」": '"', "『": '"', "』": '"', "‘": "'", "’": "'"})
_SPACES = re.compile(r"[\s\u3000]+")


@frozen
class ParsedCommand:
    name: str
    args: tuple[str, ...]
    argtext: str
    mention: str = ""


def normalize(text: str) -> str:
    """Full-width forms to ASCII (NFKC), Chinese quotes to ASCII quotes, runs of spaces to one."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    return _SPACES.sub(" ", text).strip()


def _split(argtext: str) -> tuple[str, ...]:
    try:
        return tuple(shlex.split(argtext))
    except ValueError:  # an unclosed quote: read the words as they are
        return tuple(argtext.replace('"', " ").split())


def parse_command(text: str) -> ParsedCommand | None:
    """The command in ``text``, or ``None`` when it is not one.

    ``/name@botname args`` keeps the mention apart so that a group with several bots
    can ignore commands meant for another.
    """
    text = normalize(text)
    if not text.startswith("/") or len(text) < 2:
        return None
    head, _, argtext = text[1:].partition(" ")
    name, _, mention = head.partition("@")
    if not name:
        return None
    return ParsedCommand(name.lower(), _split(argtext), argtext.strip(), mention)
