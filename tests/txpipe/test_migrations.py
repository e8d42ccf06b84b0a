"""The Alembic revisions create exactly the tables the models describe."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from chain.db import Base, make_engine
from chain.runtime import migrate_database

OWN_TABLES = {"operations", "account_nonces", "organisations", "users"}
STORE_TABLES = {"idx_events", "idx_blocks", "idx_checkpoint", "idx_assets", "idx_payments"}
SERVICE_TABLES = {"asset_documents", "committed_documents", "signed_certificates"}


def test_migrate_fresh_database_matches_models(tmp_path: Path) -> None:
    # one file for every table (tests/txpipe/test_index_store.py: the indexer's own file)
    engine = make_engine(f"sqlite:///{tmp_path / 'ledger.db'}", index_file=False)
    migrate_database(engine)
    tables = set(inspect(engine).get_table_names())
    assert OWN_TABLES | STORE_TABLES | SERVICE_TABLES | {"alembic_version"} <= tables
    with engine.connect() as connection:
        version = connection.exec_driver_sql("select version_num from alembic_version").scalar()
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert version == "0007"
    assert diff == []
    migrate_database(engine)  # a second start is a no-op

