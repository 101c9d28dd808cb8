"""Translations: gettext catalogs under ``linli/locale`` (Simplified Chinese first, English).

Message ids are English; ``zh_CN`` translates every one of them. Mark strings
that are translated later (help texts in decorators) with :func:`N_`.
"""

from __future__ import annotations

import datetime as dt
import functools
import gettext
from pathlib import Path
from typing import Any

from babel.dates import format_datetime as _babel_format_datetime

__all__ = ["DOMAIN", "LOCALE_DIR", "N_", "Translator", "translator"]

DOMAIN = "linli"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it now."""
    return message


class Translator:
    """Translates and formats for one language.

    Parameters:
      language: ``zh_CN`` or ``en``.
      catalogs: the gettext catalogs, the plugin's own first.
    """

    def __init__(self, language: str, catalog: gettext.NullTranslations) -> None:
        self.language = language
        self._catalog = catalog

    def __call__(self, message: str, /, **values: Any) -> str:
        """``message`` translated, then ``str.format``-ted with ``values``."""
        text = self._catalog.gettext(message)
        return text.format(**values) if values else text

    def plural(self, singular: str, plural: str, n: int, /, **values: Any) -> str:
        text = self._catalog.ngettext(singular, plural, n)
        return text.format(n=n, **values)

    def datetime(self, when: dt.datetime, tz: str | None = None, fmt: str = "medium") -> str:
        """``when`` written the way this language writes dates (``2026年11月26日 08:30:00``)."""
        return _babel_format_datetime(when, fmt, tzinfo=_tz(tz), locale=self.language)


def _tz(name: str | None) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(name) if name else None


@functools.lru_cache(maxsize=64)
def translator(language: str, domain: str = DOMAIN, localedir: str | None = None) -> Translator:
    """The (cached) translator for ``language``; unknown languages fall back to the msgids."""
    directory = localedir or str(LOCALE_DIR)
    catalog = gettext.translation(domain, directory, languages=[language], fallback=True)
    if domain != DOMAIN:
        catalog.add_fallback(gettext.translation(DOMAIN, str(LOCALE_DIR), languages=[language], fallback=True))
    return Translator(language, catalog)
