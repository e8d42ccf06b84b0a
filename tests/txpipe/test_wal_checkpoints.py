"""A SQLite store's WAL checkpointed by the receipt tracker, not by the commits.

SQLite's own checkpoint runs in whichever commit takes the WAL past 1,000 pages: it
copies the WAL into the database file and syncs it while that commit (a journal's, or
the indexer's, holding the store's writer turn) waits. The gateway's engine leaves that
to a backstop of 8,000 pages and the tracker checkpoints every second instead.
"""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import Engine, text

from chain.clients import memory_chain
from chain.db import BACKGROUND_CHECKPOINT_BACKSTOP_PAGES, checkpoint_wal, make_engine
from chain.runtime import LedgerRuntime
from chain.settings import LedgerSettings
from chain.txpipe import ReceiptTracker
from tests.txpipe.helpers import make_pipeline

PAGE_FILLER = 3_000  # bytes a row: a page or so of WAL each


def autocheckpoint(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one())


def write_pages(engine: Engine, commits: int, rows_each: int = 100) -> None:
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS filler (n INTEGER, body BLOB)"))
    for c in range(commits):
        with engine.begin() as connection:
            connection.execute(
                text("INSERT INTO filler VALUES (:n, randomblob(:size))"),
                [{"n": c * rows_each + i, "size": PAGE_FILLER} for i in range(rows_each)],
            )


def test_commits_leave_the_wal_to_a_background_checkpoint(tmp_path: Path) -> None:
    background = make_engine(f"sqlite:///{tmp_path / 'background.db'}",
                             background_checkpoints=True)  # fmt: skip
    default = make_engine(f"sqlite:///{tmp_path / 'default.db'}")
    try:
        assert autocheckpoint(background) == BACKGROUND_CHECKPOINT_BACKSTOP_PAGES
        assert autocheckpoint(default) == 1_000
        for engine in (background, default):
            write_pages(engine, commits=20)  # about 2,000 pages of WAL
        busy, pages, copied = checkpoint_wal(background) or (-1, -1, -1)
        # nothing was copied by a commit: the checkpoint finds the whole WAL to copy
        assert busy == 0 and pages > 1_500 and copied == pages
        _, default_pages, _ = checkpoint_wal(default) or (-1, -1, -1)
        assert 0 <= default_pages < 1_200  # the commits checkpointed and restarted it
        with background.connect() as connection:
            assert connection.exec_driver_sql("SELECT count(*) FROM filler").scalar_one() == 2_000
    finally:
        background.dispose()
        default.dispose()
    memory = make_engine("sqlite://", background_checkpoints=True)
    assert checkpoint_wal(memory) is None  # no file, no WAL


def test_the_receipt_tracker_checkpoints_the_store(tmp_path: Path) -> None:
    pipeline = make_pipeline(memory_chain(), f"sqlite:///{tmp_path / 'ledger.db'}")
    assert pipeline.checkpoint_store() is not None
    tracker = ReceiptTracker(pipeline, interval=0.05, checkpoint_interval=0.05)
    tracker.start()
    try:
        deadline = time.monotonic() + 10
        while tracker.checkpoints < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        tracker.stop()
    assert tracker.checkpoints >= 2


def test_the_gateways_store_is_checkpointed_in_the_background(tmp_path: Path) -> None:
    settings = LedgerSettings(chain="memory", var_dir=tmp_path / "var")
    runtime = LedgerRuntime.start(settings, deploy=False)
    try:
        assert runtime.engine.dialect.name == "sqlite"
        assert autocheckpoint(runtime.engine) == BACKGROUND_CHECKPOINT_BACKSTOP_PAGES
        assert runtime.txpipe.checkpoint_store() is not None
    finally:
        runtime.close()
        runtime.engine.dispose()
