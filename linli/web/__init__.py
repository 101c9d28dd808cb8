"""The web dashboard (``linli web``): server-rendered pages of each district's figures.

:func:`create_app` builds the Starlette app; :mod:`linli.web.app` has its routes. The app
knows no plugin: plugins bring their pages as ``@view`` handlers (docs/plugins.md), the
core's overview and the wall display are its own. Imported only by ``linli web`` and the
tests, so that ``linli --help`` and the workers never load Starlette.
"""

from __future__ import annotations

from linli.web.app import Web, create_app

__all__ = ["Web", "create_app"]
