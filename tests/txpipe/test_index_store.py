"""The indexer's tables in a SQLite file of their own (``chain.index_store``).

The write path's journal and the indexer's batches then take two writer locks: a
journal row commits while the indexer's transaction is open. Every query of the gateway
still names the tables as before and sees both files.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, func, insert, inspect, select, text

from chain.db import Base, make_engine, session_factory
from chain.index_store import (
    INDEX_SCHEMA,
    attached_index_file,
    index_engine,
    index_path_for,
    move_index_tables,
    table_names,
)
from chain.indexer.models import INDEXER_TABLES, Checkpoint, IndexedBlock
from chain.runtime import migrate_database

INDEX_TABLES = {str(t.__tablename__) for t in INDEXER_TABLES}


def _checkpoint(block: int) -> dict[str, object]:
    return {
        "stream": "ledger", "chain_id": 31337, "contracts": {}, "start_block": 0,
        "block_number": block, "block_hash": "0x" + "ab" * 32, "events": block,
        "reorgs": 0, "updated_at": 1.0,
    }  # fmt: skip


def _main_tables(path: Path) -> set[str]:
    with closing(sqlite3.connect(path)) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def test_a_fresh_store_keeps_the_indexer_tables_in_the_file_beside_it(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate_database(engine)
    index = index_path_for(path)
    assert index == tmp_path / "ledger.index.db"
    assert attached_index_file(engine) == index
    held = _main_tables(path)
    assert not held & INDEX_TABLES  # moved out of the main file
    assert {"operations", "account_nonces", "organisations", "alembic_version"} <= held
    assert _main_tables(index) >= INDEX_TABLES
    assert table_names(engine) >= INDEX_TABLES | {"operations"}

    # the schema in each file is the models' (what Alembic's revisions describe)
    own = MetaData()
    for table in Base.metadata.sorted_tables:
        if table.name not in INDEX_TABLES:
            table.to_metadata(own)
    indexes = index_engine(engine)
    assert indexes is index_engine(engine)  # one engine per store
    assert indexes.url.database == str(index)
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), own) == []
    with indexes.connect() as connection:
        kept = MetaData()
        for name in INDEX_TABLES:
            Base.metadata.tables[name].to_metadata(kept)
        assert compare_metadata(MigrationContext.configure(connection), kept) == []

    # written through the indexer's engine, read through the gateway's by the same names
    with indexes.begin() as connection:
        connection.execute(insert(Checkpoint), [_checkpoint(7)])
    with session_factory(engine)() as session:
        assert session.scalar(select(Checkpoint.block_number)) == 7
        joined = session.execute(
            text("SELECT count(*) FROM idx_checkpoint, organisations")
        ).scalar()
        assert joined == 0  # no organisation yet; the join across the two files runs
    migrate_database(engine)  # a second start: nothing to move, the rows stay
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(Checkpoint)).scalar() == 1
    engine.dispose()


def test_a_store_from_before_the_split_moves_its_rows_once(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    single = make_engine(f"sqlite:///{path}", index_file=False)
    migrate_database(single)  # one file for everything, as before
    with single.begin() as connection:
        connection.execute(insert(Checkpoint), [_checkpoint(41)])
        connection.execute(insert(IndexedBlock), [
            {"number": n, "hash": f"0x{n:064x}", "parent_hash": f"0x{n - 1:064x}",
             "timestamp": 1_700_000_000 + n} for n in range(1, 42)
        ])  # fmt: skip
    single.dispose()
    assert _main_tables(path) >= INDEX_TABLES

    engine = make_engine(f"sqlite:///{path}")
    migrate_database(engine)
    assert not _main_tables(path) & INDEX_TABLES
    with engine.connect() as connection:
        assert connection.execute(select(Checkpoint.block_number)).scalar() == 41
        assert connection.execute(select(func.count()).select_from(IndexedBlock)).scalar() == 41
        found = connection.execute(
            text(f"SELECT count(*) FROM {INDEX_SCHEMA}.idx_blocks")
        ).scalar()
        assert found == 41  # in the index file itself
    assert move_index_tables(engine) == []  # nothing left to move
    engine.dispose()


def test_the_main_files_tables_replace_a_stale_index_file(tmp_path: Path) -> None:
    """A crash after the copy, before the drop (or a restored main file beside an older
    index file): the main file's rows are the ones kept, copied again."""
    path = tmp_path / "ledger.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate_database(engine)
    with index_engine(engine).begin() as connection:
        connection.execute(insert(Checkpoint), [_checkpoint(5)])  # the stale index
    engine.dispose()
    single = make_engine(f"sqlite:///{path}", index_file=False)
    Base.metadata.create_all(single, tables=[Base.metadata.tables["idx_checkpoint"]])
    with single.begin() as connection:
        connection.execute(insert(Checkpoint), [_checkpoint(9)])
    single.dispose()

    engine = make_engine(f"sqlite:///{path}")
    assert move_index_tables(engine) == ["idx_checkpoint"]
    with engine.connect() as connection:
        assert connection.execute(select(Checkpoint.block_number)).scalars().all() == [9]
    engine.dispose()


def test_a_journal_row_commits_while_the_indexer_holds_its_file(tmp_path: Path) -> None:
    """The point of the split: the indexer's open write transaction does not hold up a
    write to the gateway's own tables, and still holds up one to its own file."""
    path = tmp_path / "ledger.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate_database(engine)
    indexer = sqlite3.connect(index_path_for(path), isolation_level=None)
    indexer.execute("BEGIN IMMEDIATE")  # the indexer's batch, not committed yet
    indexer.execute(
        "INSERT INTO idx_blocks (number, hash, parent_hash, timestamp) VALUES (1, 'a', 'b', 1)"
    )
    journal = sqlite3.connect(path, isolation_level=None, timeout=0)  # no waiting at all
    journal.execute(f"ATTACH DATABASE ? AS {INDEX_SCHEMA}", (str(index_path_for(path)),))
    try:
        journal.execute("BEGIN")
        journal.execute(
            "INSERT INTO account_nonces (address, chain_id, next_nonce, updated_at) "
            "VALUES ('0xaa', 1, 0, '2026-01-01')"
        )
        journal.execute("COMMIT")
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            journal.execute(
                "INSERT INTO idx_blocks (number, hash, parent_hash, timestamp) "
                "VALUES (2, 'c', 'd', 2)"
            )
    finally:
        indexer.execute("COMMIT")
        indexer.close()
        journal.close()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM account_nonces")).scalar() == 1
        assert connection.execute(text("SELECT count(*) FROM idx_blocks")).scalar() == 1
    engine.dispose()


def test_one_database_for_everything_elsewhere(tmp_path: Path) -> None:
    memory = make_engine("sqlite://")
    assert attached_index_file(memory) is None
    assert index_engine(memory) is memory
    migrate_database(memory)
    assert set(inspect(memory).get_table_names()) >= INDEX_TABLES
    assert move_index_tables(memory) == []
    unattached = make_engine(f"sqlite:///{tmp_path / 'x.db'}", index_file=False)
    assert index_engine(unattached) is unattached
    assert not (tmp_path / "x.index.db").exists()
