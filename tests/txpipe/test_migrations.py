"""The Alembic revisions create exactly the tables the models describe."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from chain.db import Base, make_engine
from chain.runtime import migrate_database

OWN_TABLES = {"operations", "account_nonces", "organisations", "users"}


def test_migrate_fresh_database_matches_models(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'ledger.db'}")
    migrate_database(engine)
    tables = set(inspect(engine).get_table_names())
    assert OWN_TABLES | {"alembic_version"} <= tables
    with engine.connect() as connection:
        version = connection.exec_driver_sql("select version_num from alembic_version").scalar()
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert version == "0001"
    own_diff = [d for d in diff if _table_of(d) in OWN_TABLES]
    assert own_diff == []
    migrate_database(engine)  # a second start is a no-op


def _table_of(diff: object) -> str | None:
    item = diff[0] if isinstance(diff, list) else diff
    for part in item if isinstance(item, tuple) else ():
        name = getattr(part, "name", None)
        table = getattr(part, "table", None)
        if table is not None and getattr(table, "name", None):
            return str(table.name)
        if isinstance(name, str) and name in OWN_TABLES:
            return name
    return None
