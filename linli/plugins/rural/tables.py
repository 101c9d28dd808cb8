"""The rural plugin's tables. Villages, households and people are the core registry's: these
tables refer to them by id and keep only what monitoring and the village's work add."""

from __future__ import annotations

import sqlalchemy as sa

__all__ = ["metadata"]

metadata = sa.MetaData()
