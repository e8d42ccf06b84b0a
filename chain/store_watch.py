"""Whether anything was committed to the store since a moment: SQLite's ``data_version``.

``PRAGMA data_version`` on a connection changes whenever another connection - of this
process or of any other process on the same file - commits to the database, and stays
the same otherwise. A connection of its own that never writes therefore answers "has any
writer committed since I last asked?" in a few microseconds, without a query of the
tables and without a worker thread: the gateway's indexer, a separate
``python -m chain.indexer run`` and any other writer are all seen, so nothing has to be the
only writer. The answer is conservative (a write to any table moves it); whoever uses it
reads the real version when it moved. The token also carries the file's inode and change
time: a file replaced under the same path (a restore) is a new token, and the watch
reopens on it.

On a SQLite file whose connections attach the indexer's file beside it
(:mod:`chain.index_store`) both files are watched: the token is the two files' tokens.

Only SQLite files have it: PostgreSQL, an in-memory SQLite database (one connection, no
other to watch) or a watch whose connection fails give ``None`` and the caller reads the
version the slow way.
"""

from __future__ import annotations

import os
import sqlite3
import threading

from sqlalchemy import Engine

from chain.index_store import attached_index_file


class StoreWatch:
    """A read-only SQLite connection of its own asking ``PRAGMA data_version``."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._file, self._conn = self._open()

    def _identity(self) -> tuple[int, int]:
        found = os.stat(self.path)
        return found.st_ino, found.st_ctime_ns

    def _open(self) -> tuple[tuple[int, int], sqlite3.Connection]:
        file = self._identity()
        # autocommit (each pragma reads the file's state afresh) and no busy wait: a read
        # that would wait gives None instead of holding up the event loop
        conn = sqlite3.connect(self.path, timeout=0, isolation_level=None, check_same_thread=False)
        return file, conn

    @classmethod
    def of(cls, engine: Engine) -> StoreWatch | StoreWatches | None:
        """A watch over ``engine``'s SQLite file (and the index file its connections
        attach, :mod:`chain.index_store`), None for any other database."""
        url = engine.url
        if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
            return None
        if url.database.startswith("file:"):  # a URI database: leave it to the query
            return None
        try:
            index = attached_index_file(engine)
            if index is None:
                return cls(url.database)
            return StoreWatches([cls(url.database), cls(str(index))])
        except (OSError, sqlite3.Error):
            return None

    def token(self) -> tuple[int, ...] | None:
        """The file's inode, change time and change counter as this connection sees them
        now; two equal tokens mean no connection committed between the two calls. None
        when it cannot be read."""
        try:
            file = self._identity()
            with self._lock:
                if file != self._file:  # replaced (or checkpointed): watch it afresh
                    self._conn.close()
                    self._file, self._conn = self._open()
                row = self._conn.execute("PRAGMA data_version").fetchone()
                return (*self._file, int(row[0])) if row else None
        except (OSError, sqlite3.Error):
            return None

    def close(self) -> None:
        with self._lock:
            self._conn.close()


class StoreWatches:
    """Watches over several files (the gateway's database and its index file): a token
    of all of them, None when any cannot be read."""

    def __init__(self, watches: list[StoreWatch]) -> None:
        self.watches = watches

    def token(self) -> tuple[int, ...] | None:
        token: tuple[int, ...] = ()
        for watch in self.watches:
            part = watch.token()
            if part is None:
                return None
            token += part
        return token

    def close(self) -> None:
        for watch in self.watches:
            watch.close()
