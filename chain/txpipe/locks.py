"""Named locks that hold across gateway processes sharing one database.

A city scales out with several gateway processes (``ledger serve --workers N``, or
hosts behind a load balancer) on one PostgreSQL database. What must happen one at a
time for an account - preparing a payer's token payment (read the allowance, approve,
journal ``pay``) - is locked in the database: a PostgreSQL advisory lock keyed by the
lock's name, held on its own connection for the duration. Inside a process a thread
lock is taken first, so waiting threads queue in the process and hold no connection.

On SQLite (one gateway process by design) the thread lock alone is the lock, as before.
The nonce itself needs no lock of this kind: the journal transaction advances the
account's ``account_nonces`` row with ``UPDATE ... RETURNING``, which holds the row lock
until the signed transaction is committed (see :mod:`chain.txpipe.nonces`).
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import Iterator

from sqlalchemy import Engine, text


def advisory_key(name: str) -> int:
    """A signed 64-bit key for ``pg_advisory_lock`` (stable across processes)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class NamedLocks:
    """``hold(name)``: one holder at a time per name, in this process and in the database."""

    def __init__(self, engine: Engine | None) -> None:
        self.engine = engine
        self.shared = engine is not None and engine.dialect.name == "postgresql"
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    @contextlib.contextmanager
    def hold(self, name: str) -> Iterator[None]:
        with self._guard:
            lock = self._locks.setdefault(name, threading.Lock())
        with lock:
            if not self.shared or self.engine is None:
                yield
                return
            key = advisory_key(name)
            with self.engine.connect() as connection:
                connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
                connection.commit()
                try:
                    yield
                finally:
                    # a connection that died took the lock with it (PostgreSQL frees it)
                    with contextlib.suppress(Exception):
                        connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                        connection.commit()
