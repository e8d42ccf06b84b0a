"""A SQLite file's connections stay open across a busy gateway's requests."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import event, text

from chain.db import SQLITE_POOL_SIZE, make_engine


def test_a_sqlite_file_keeps_a_connection_for_each_concurrent_request(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'ledger.db'}")
    opened: list[object] = []
    event.listen(engine, "connect", lambda conn, _record: opened.append(conn))
    concurrent = 32  # the write benchmark's clients, each in a worker thread
    barrier = threading.Barrier(concurrent)

    def request() -> None:
        with engine.connect() as conn:
            barrier.wait(timeout=10)  # all hold a connection at once
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"

    for _ in range(3):  # three waves of requests
        threads = [threading.Thread(target=request) for _ in range(concurrent)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert concurrent <= SQLITE_POOL_SIZE
    # one connection opened per concurrent request, in the first wave only: the later
    # waves found them in the pool (the default pool kept 5 and opened 27 anew each wave)
    assert len(opened) == concurrent
    assert engine.pool.checkedin() == concurrent  # type: ignore[attr-defined]
    engine.dispose()
