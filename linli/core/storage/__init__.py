"""Storage: SQLAlchemy Core over SQLite (WAL) or PostgreSQL."""

from linli.core.storage.schema import UTCDateTime, metadata, plugin_table, utcnow
from linli.core.storage.scoped import ScopedStore
from linli.core.storage.store import Store

__all__ = ["ScopedStore", "Store", "UTCDateTime", "metadata", "plugin_table", "utcnow"]
