"""The deployment database as a platform adapter keeps its own state there (offsets,
since-tokens, stored choices): connected on first use, a small pool outside SQLite."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

__all__ = ["AdapterState"]


class AdapterState:
    """Parameters:
    url: the deployment's database (``[storage] url``); connected on first use.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine: sa.Engine | None = None

    @property
    def engine(self) -> sa.Engine:
        if self._engine is None:
            kw: dict[str, Any] = {} if self.url.startswith("sqlite") else {"pool_size": 2, "max_overflow": 4}
            kw["hide_parameters"] = True  # logged errors show no resident's data (see linli.core.storage.store)
            self._engine = sa.create_engine(self.url, **kw)
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
