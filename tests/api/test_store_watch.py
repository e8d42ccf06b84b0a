"""The store version of ``GET /v1/certificates/{id}``: on a SQLite file it is read again only
after a commit (``PRAGMA data_version``, any writer, any process); on PostgreSQL it is read
on every request, as before."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from api.certificate_reads import CertificateReads
from chain.db import make_engine, session_factory
from chain.indexer.models import CertificateRow, Checkpoint
from chain.store_watch import StoreWatch
from tests.indexer.conftest import STORES, new_store
from tests.workflows.world import RegistryWorld


def _checkpoint(store: sessionmaker[Session], block: int) -> None:
    row = Checkpoint(
        stream="s", chain_id=1, contracts={}, start_block=0, block_number=block,
        block_hash="0x" + "ab" * 32, events=block, reorgs=0, updated_at=1.0,
    )  # fmt: skip
    with store.begin() as session:
        session.add(row)


def _move(store: sessionmaker[Session], block: int) -> None:
    with store.begin() as session:
        session.execute(update(Checkpoint).values(block_number=block, events=block))


@pytest.mark.parametrize("kind", STORES)
def test_the_version_follows_a_commit_by_another_connection(kind: str, tmp_path: Path) -> None:
    engine = new_store(kind, tmp_path)
    # the writer: an engine of its own, as a separate indexer process would have
    writer_engine = make_engine(str(engine.url.render_as_string(hide_password=False)))
    store, writer = session_factory(engine), session_factory(writer_engine)
    try:
        _checkpoint(writer, 10)
        reads = CertificateReads(store)
        assert (reads.watch is not None) == (kind == "sqlite")

        async def versions() -> list[tuple[int, int]]:
            seen = []
            for block in (None, None, 11, None, 12):
                if block is not None:
                    _move(writer, block)
                version = await reads.version()
                seen.append((version[0][1], reads.version_reads))
            return seen

        seen = asyncio.run(versions())
    finally:
        writer_engine.dispose()
        engine.dispose()
    assert [block for block, _ in seen] == [10, 10, 11, 11, 12]  # every commit seen at once
    if kind == "sqlite":  # read again only after each commit
        assert [count for _, count in seen] == [1, 1, 2, 2, 3]
    else:  # no watch: one query per request
        assert [count for _, count in seen] == [1, 2, 3, 4, 5]


def test_a_replaced_file_is_a_new_token_and_is_watched(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("CREATE TABLE t (x)")
    watch = StoreWatch(str(path))
    first = watch.token()
    assert first is not None and watch.token() == first
    shutil.copy(path, tmp_path / "b.db")
    os.replace(tmp_path / "b.db", path)  # a restore puts another file at the same path
    replaced = watch.token()
    assert replaced is not None and replaced != first
    with closing(sqlite3.connect(path)) as conn, conn:  # a write to the new file is seen
        conn.execute("INSERT INTO t VALUES (1)")
    after = watch.token()
    assert after is not None and after != replaced
    watch.close()


def test_no_watch_without_a_sqlite_file(tmp_path: Path) -> None:
    assert StoreWatch.of(make_engine("sqlite://")) is None
    assert StoreWatch.of(make_engine("postgresql://u:p@127.0.0.1:1/x")) is None
    engine = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    assert StoreWatch.of(engine) is None  # no file yet: the query, until the next app
    engine.connect().close()
    watch = StoreWatch.of(engine)
    engine.dispose()
    assert watch is not None
    first = watch.token()
    assert first is not None and watch.token() == first
    watch.close()
    assert watch.token() is None  # a closed watch: the caller reads the version


def test_a_write_by_another_process_changes_the_cached_answer(w: RegistryWorld) -> None:
    """A store row changed through a connection of its own (as a separate
    ``python -m chain.indexer run`` writes, checkpoint with it) is the next answer."""
    _asset_id, cert_id = w.certified_asset()
    reads = CertificateReads(w.runtime.sessions)
    other = make_engine(w.runtime.settings.resolved_database_url)

    async def read() -> bytes | None:
        return await reads.answer(cert_id)

    try:
        first = asyncio.run(read())
        assert first is not None and asyncio.run(read()) == first
        count = reads.version_reads
        assert asyncio.run(read()) == first and reads.version_reads == count  # no commit
        with session_factory(other).begin() as session:
            session.execute(
                update(CertificateRow).where(CertificateRow.certificate_id == cert_id)
                .values(status="revoked", revocation_reason=2)
            )  # fmt: skip
            session.execute(update(Checkpoint).values(events=Checkpoint.events + 1))
        after = asyncio.run(read())
    finally:
        other.dispose()
    assert after is not None and reads.version_reads == count + 1
    assert json.loads(first)["status"] == "active"
    assert json.loads(after)["status"] == "revoked" and json.loads(after)["revocation_reason"] == 2


def test_after_close_every_read_queries_the_version(w: RegistryWorld) -> None:
    _asset_id, cert_id = w.certified_asset()
    reads = CertificateReads(w.runtime.sessions)

    async def read() -> bytes | None:
        return await reads.answer(cert_id)

    first = asyncio.run(read())
    reads.close()  # the app's shutdown
    assert reads.watch is None
    count = reads.version_reads
    assert asyncio.run(read()) == first and asyncio.run(read()) == first
    assert reads.version_reads == count + 2
