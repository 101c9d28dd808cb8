"""Translations: gettext catalogs under ``linli/locale`` (Simplified Chinese first, English).

Message ids are English; ``zh_CN`` translates every one of them. Code marks a
string for extraction by passing a literal to one of the keywords ``t`` (a
:class:`Translator`, usually ``ctx.t``), ``plural`` (``t.plural``), ``N_`` (for
strings translated later, like help texts in decorators) or the CLI's ``_t``.
``make catalogs`` (``python -m linli.locale.catalogs``) extracts them and
updates the catalogs; ``docs/i18n.md`` explains the workflow.

The CLI imports this module to translate its help texts, and ``linli --help``
must start fast: Babel is imported only when a date is formatted.
"""

from __future__ import annotations

import datetime as dt
import functools
import gettext
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = ["DOMAIN", "LANGUAGES", "LANGUAGE_NAMES", "LOCALE_DIR", "N_", "Message", "Translator", "translator"]

DOMAIN = "linli"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
#: the languages linli ships catalogs for; the first is the default.
LANGUAGES = ("zh_CN", "en")


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it now.

    Parameters:
      message: the English msgid; translate it later with ``ctx.t(message)``.
    """
    return message


#: what people call each language (msgids: translate them): ``/whoami``, the CLI
LANGUAGE_NAMES = {"zh_CN": N_("Chinese"), "en": N_("English")}


class Message:
    """A msgid with its values, translated when it is shown: for a message made where the
    reader's language is not known yet (a settings problem, shown by the CLI and in logs).

    Parameters:
      msgid: the English message id, marked with ``N_``.
      values: its placeholders' values; a value that is itself a :class:`Message` is
        translated too.
    """

    __slots__ = ("msgid", "values")

    def __init__(self, msgid: str, /, **values: Any) -> None:
        self.msgid = msgid
        self.values = values

    def translated(self, t: Any) -> str:
        """The message in the language of ``t`` (a :class:`Translator` or the CLI's ``_t``)."""
        return str(
            t(self.msgid, **{k: v.translated(t) if isinstance(v, Message) else v for k, v in self.values.items()})
        )

    def __str__(self) -> str:
        return self.msgid.format(**{k: str(v) for k, v in self.values.items()}) if self.values else self.msgid

    def __repr__(self) -> str:
        return f"Message({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Message) and (self.msgid, self.values) == (other.msgid, other.values)

    def __hash__(self) -> int:
        return hash(self.msgid)


class Translator:
    """Translates and formats for one language.

    Parameters:
      language: ``zh_CN`` or ``en`` (any gettext language name works; unknown
        ones show the English msgids).
      catalog: the gettext catalog, with the plugin's own catalog first and
        linli's as its fallback.
    """

    def __init__(self, language: str, catalog: gettext.NullTranslations) -> None:
        self.language = language
        self._catalog = catalog

    def __repr__(self) -> str:
        return f"<Translator {self.language}>"

    def __call__(self, message: str, /, **values: Any) -> str:
        """``message`` translated, then ``str.format``-ted with ``values``.

        Parameters:
          message: the English msgid; ``{name}`` placeholders are filled from ``values``.
          values: the placeholders' values.

        Raises:
          KeyError: when the English msgid itself names a placeholder missing from ``values``.
        """
        return _format(self._catalog.gettext(message), message, values)

    def join(self, items: Iterable[str]) -> str:
        """``items`` as a list in this language: ``a, b`` in English, ``a、b`` in Chinese."""
        return self(N_(", ")).join(items)

    def language_name(self, language: str) -> str:
        """What people call ``language`` (``zh_CN`` is 中文 in Chinese), in this language."""
        name = LANGUAGE_NAMES.get(language)
        return self(name) if name else language

    def plural(self, singular: str, plural: str, n: int, /, **values: Any) -> str:
        """The form of ``singular``/``plural`` that fits ``n``, formatted with ``n`` and ``values``.

        Chinese has one form (``nplurals=1``), so ``zh_CN`` always uses its one
        translation; English picks by ``n != 1``.

        Parameters:
          singular: the English msgid for one (``"{n} suggestion is waiting"``).
          plural: the English msgid for several (``"{n} suggestions are waiting"``).
          n: the count that chooses the form; also available as ``{n}``.
          values: further placeholders.

        Raises:
          KeyError: when the English text names a placeholder missing from ``values``.
        """
        english = singular if n == 1 else plural
        return _format(self._catalog.ngettext(singular, plural, n), english, {"n": n, **values})

    def datetime(self, when: dt.datetime, tz: str | None = None, fmt: str = "medium") -> str:
        """``when`` written the way this language writes dates (``2026年11月26日 08:30:00``).

        Parameters:
          when: an aware datetime.
          tz: the IANA zone to show it in (the district's), or ``None`` for ``when``'s own.
          fmt: ``short``, ``medium``, ``long``, ``full`` or a CLDR pattern.
        """
        # Babel's locale data costs tens of milliseconds to import; most callers never format a date
        from babel.dates import format_datetime

        return format_datetime(when, fmt, tzinfo=_tz(tz), locale=_locale(self.language))


def _format(text: str, english: str, values: dict[str, Any]) -> str:
    if not values:
        return text
    try:
        return text.format(**values)
    except (KeyError, IndexError, ValueError):
        # a broken translation must not break the handler: the English text still says it
        # (tests/core/test_i18n.py keeps placeholders in step, so this is a last resort)
        return english.format(**values)


@functools.lru_cache(maxsize=16)
def _tz(name: str | None) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(name) if name else None


@functools.lru_cache(maxsize=16)
def _locale(language: str) -> Any:
    """Babel's locale, parsed once: parsing it for each date is most of a ledger export's date work."""
    from babel import Locale

    return Locale.parse(language)


@functools.lru_cache(maxsize=64)
def translator(
    language: str, domain: str = DOMAIN, localedir: str | Path | None = None, *, kind: str = ""
) -> Translator:
    """The (cached) translator for ``language``; unknown languages fall back to the msgids.

    Parameters:
      language: a gettext language name, ``zh_CN`` or ``en``.
      domain: a plugin's own catalog domain; linli's catalog is its fallback.
      localedir: where the plugin's ``<language>/LC_MESSAGES/<domain>.mo`` files are.
      kind: the district's kind (``village``): its variant catalog ``<language>@<kind>`` comes
        first, so a village reads 村 and 村里的工作人员 where a community reads 社区 and
        社区工作者; a message the variant does not have comes from the language's own catalog.
    """
    languages = [f"{language}@{kind}", language] if kind else [language]
    catalog = gettext.translation(domain, localedir or LOCALE_DIR, languages=languages, fallback=True)
    if domain != DOMAIN:
        catalog.add_fallback(gettext.translation(DOMAIN, LOCALE_DIR, languages=languages, fallback=True))
    return Translator(language, catalog)


def terminal_language() -> str:
    """The language of an admin's terminal: ``LINLI_LANG``, else the locale; Chinese unless
    English is asked for."""
    wanted = os.environ.get("LINLI_LANG") or os.environ.get("LC_ALL") or os.environ.get("LANG") or ""
    return "en" if wanted.lower().startswith("en") else "zh_CN"
