"""Alembic environment: every model module's tables, URL from the ledger settings.

The runtime passes an open connection in ``config.attributes["connection"]``; the
``alembic`` command line connects to ``LEDGER_DATABASE_URL`` (or the default SQLite file).
"""

from __future__ import annotations

import importlib

from alembic import context
from sqlalchemy import Connection

from chain.db import Base, make_engine
from chain.runtime import MODEL_MODULES
from chain.settings import LedgerSettings

for _name in MODEL_MODULES:
    importlib.import_module(_name)

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_offline() -> None:
    context.configure(
        url=LedgerSettings().resolved_database_url,
        target_metadata=target_metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(LedgerSettings().resolved_database_url)
    with engine.connect() as conn:
        _run(conn)
        conn.commit()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
