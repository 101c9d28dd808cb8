"""Reading commands out of chat text, Chinese input methods included.

``／议题　"楼道 灯坏了"`` reads as the command ``议题`` with one argument: full-width
slash, ideographic spaces and Chinese quotation marks are normalised first.
"""

from __future__ import annotations

import re
import shlex
import unicodedata

from attrs import frozen

__all__ = ["MAX_NUMBER", "ParsedCommand", "normalize", "parse_command", "parse_number"]

#: the largest number a person may type for an id, a count or a number of days: it fits
#: every integer column (a signed 32-bit one included) on SQLite and PostgreSQL.
MAX_NUMBER = 2**31 - 1

_QUOTES = str.maketrans({"“": '"', "”": '"', "「": '"', "」": '"', "『": '"', "』": '"', "‘": "'", "’": "'"})
_SPACES = re.compile(r"[\s\u3000]+")
# full-width digits and Latin letters (an input method left in full-width mode): in
# arguments they mean the ASCII ones; full-width punctuation stays as written
_ALNUM = str.maketrans(
    {chr(c): chr(c - 0xFEE0) for c in [*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B)]}
)


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

    The command word is normalised (full-width forms, case); the arguments keep
    what the person wrote (``argtext`` is verbatim, so Chinese punctuation in a
    suggestion stays Chinese), and are split on any space, ideographic ones too,
    with Chinese quotation marks grouping words. ``/name@botname`` keeps the mention
    apart so that a group with several bots can ignore commands meant for another.
    """
    stripped = text.strip(" \t\r\n\u3000")
    if len(stripped) < 2 or stripped[0] not in "/／":
        return None
    match = _SPACES.search(stripped)
    head = stripped[1 : match.start()] if match else stripped[1:]
    argtext = stripped[match.end() :] if match else ""
    name, _, mention = normalize(head).partition("@")
    if not name:
        return None
    args = _split(_SPACES.sub(" ", argtext.translate(_QUOTES)))
    return ParsedCommand(name.lower(), tuple(a.translate(_ALNUM) for a in args), argtext, mention)


def parse_number(word: str, *, low: int = 1, high: int = MAX_NUMBER) -> int | None:
    """The whole number a person typed in ``word``, or ``None`` when it is not one in ``low..high``.

    One optional leading ``#`` (``#3`` is matter 3); ASCII digits only (full-width ones
    count as ASCII, superscripts and other scripts' digits do not: ``²`` passes
    ``str.isdigit()`` but is no number for ``int()``); no sign, so ``-1`` is refused
    rather than read as minus one. The range check comes before ``int()``, so a
    thousand-digit word costs nothing and never reaches the database.
    """
    word = word.strip(" \t\u3000").translate(_ALNUM)
    if word[:1] in ("#", "＃"):
        word = word[1:]
    if not word or not word.isascii() or not word.isdigit():
        return None
    digits = word.lstrip("0") or "0"
    if len(digits) > len(str(high)):
        return None
    number = int(digits)
    return number if low <= number <= high else None
