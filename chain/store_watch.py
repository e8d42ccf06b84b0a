"""Whether anything was committed to the store since a moment: SQLite's ``data_version``.

``PRAGMA data_version`` on a connection changes whenever another connection - of this
process or of any other process on the same file - commits to the database, and stays
the same otherwise. A connection of its own that never writes therefore answers "has any
writer committed since I last asked?" in a few microseconds, without a query of the
tables and without a worker thread: the gateway's indexer, a separate
``python -m chain.indexer`` and any other writer are all seen, so nothing has to be the
only writer. The answer is conservative (a write to any table moves it); whoever uses it
reads the real version when it moved.

Only SQLite files have it: PostgreSQL, an in-memory SQLite database (one connection, no
other to watch) or a watch whose connection fails give ``None`` and the caller reads the
version the slow way.
"""

from __future__ import annotations

import sqlite3
import threading

from sqlalchemy import Engine


class StoreWatch:
    """A read-only SQLite connection of its own asking ``PRAGMA data_version``."""

    def __init__(self, path: str) -> None:
        self.path = path
        # autocommit (each pragma reads the file's state afresh) and no busy wait: a read
        # that would wait gives None instead of holding up the event loop
        self._conn = sqlite3.connect(path, timeout=0, isolation_level=None, check_same_thread=False)
        self._lock = threading.Lock()

    @classmethod
    def of(cls, engine: Engine) -> StoreWatch | None:
        """A watch over ``engine``'s SQLite file, None for any other database."""
        url = engine.url
        if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
            return None
        if url.database.startswith("file:"):  # a URI database: leave it to the query
            return None
        try:
            return cls(url.database)
        except sqlite3.Error:
            return None

    def token(self) -> int | None:
        """The file's change counter as this connection sees it now; two equal tokens mean
        no connection committed between the two calls. None when it cannot be read."""
        try:
            with self._lock:
                row = self._conn.execute("PRAGMA data_version").fetchone()
        except sqlite3.Error:
            return None
        return int(row[0]) if row else None

    def close(self) -> None:
        with self._lock:
            self._conn.close()
