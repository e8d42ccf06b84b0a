"""The duplicate-code check of a registration reads one index entry, however many assets
the holder registered before (it walked every asset of the holder: a city's catalogue of
a million entries made each registration scan a million rows)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from chain.db import make_engine
from chain.runtime import migrate_database
from chain.service import asset_documents as docs

HOLDER = "0x" + "0a" * 32


def _filled(tmp_path: Path, migrated: bool) -> SimpleNamespace:
    engine = make_engine(f"sqlite:///{tmp_path / 'ledger.db'}")
    if migrated:
        migrate_database(engine)
    runtime = SimpleNamespace(engine=engine)
    docs.ensure_tables(runtime)  # type: ignore[arg-type]
    with Session(engine) as session:
        session.add_all(
            docs.AssetDocument(
                asset_id=f"0x{n:064x}", holder_org_id=HOLDER, catalogue_code=f"370200-{n:05d}",
                domain_code=7, metadata_doc={}, catalogue_hash="0x", catalogue_salt="0x",
                metadata_hash="0x", metadata_salt="0x",
            )
            for n in range(2000)
        )  # fmt: skip
        session.commit()
    return runtime


def test_the_duplicate_code_check_searches_one_index_entry(tmp_path: Path) -> None:
    for migrated in (False, True):  # a store made by the models, and one by the migrations
        runtime = _filled(tmp_path / str(migrated), migrated)
        statements: list[tuple[str, Any]] = []

        def seen(
            conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any,
            into: list[tuple[str, Any]] = statements,
        ) -> None:  # fmt: skip
            into.append((statement, parameters))

        event.listen(runtime.engine, "before_cursor_execute", seen)
        with Session(runtime.engine) as session:
            found = docs.registered_codes(session, [HOLDER], ["370200-01234", "370200-99999"])
        event.remove(runtime.engine, "before_cursor_execute", seen)
        assert found == {(HOLDER, "370200-01234", 7): f"0x{1234:064x}"}
        [(statement, parameters)] = statements  # one query, the index read for each pair
        with runtime.engine.connect() as connection:
            plan = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
        detail = " ".join(str(row[-1]) for row in plan)
        assert "ix_asset_documents_holder_code" in detail, detail
        assert "holder_org_id=? AND catalogue_code=?" in detail, detail


def test_each_new_engine_gets_the_tables_though_an_old_one_is_gone(tmp_path: Path) -> None:
    """The tables are made once per engine. An engine that was let go frees its memory, and
    the next engine is often made at the same address: that one is not the same store and
    needs its tables too (a memory of engines by ``id()`` skipped it)."""
    import gc

    for n in range(30):
        runtime = SimpleNamespace(engine=make_engine(f"sqlite:///{tmp_path / f'{n}.db'}"))
        docs.ensure_tables(runtime)  # type: ignore[arg-type]
        with Session(runtime.engine) as session:
            assert docs.registered_codes(session, [HOLDER], ["370200-00001"]) == {}
        runtime.engine.dispose()
        del runtime
        gc.collect()


def test_codes_beyond_one_statement_are_looked_up_in_chunks(tmp_path: Path) -> None:
    """A burst of batch registrations can name more codes than one statement takes: they
    are looked up 500 at a time, every registered one found."""
    runtime = _filled(tmp_path, migrated=True)
    wanted = [f"370200-{n:05d}" for n in range(0, 4000, 3)]  # 1,334 codes, 667 registered
    with Session(runtime.engine) as session:
        found = docs.registered_codes(session, [HOLDER, "0x" + "0b" * 32], wanted)
    assert found == {(HOLDER, f"370200-{n:05d}", 7): f"0x{n:064x}" for n in range(0, 2000, 3)}
