"""linli's gettext catalogs: ``linli.pot`` and ``<language>/LC_MESSAGES/linli.po`` (and ``.mo``).

Refresh them with ``make catalogs`` (``python -m linli.locale.catalogs``); see ``docs/i18n.md``.
"""
