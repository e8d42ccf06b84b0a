"""The databases the store tests run on: SQLite always, PostgreSQL where .ci/run started
it (``LEDGER_TEST_POSTGRES_URL``)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

POSTGRES_URL = os.environ.get("LEDGER_TEST_POSTGRES_URL")
#: PostgreSQL where .ci/run started it (LEDGER_TEST_POSTGRES_URL); SQLite always
STORES = ["sqlite", *(["postgresql"] if POSTGRES_URL else [])]


@contextmanager
def scratch_database(store: str, folder: Path) -> Iterator[str]:
    """A new, empty database of the kind ``store``; dropped afterwards."""
    if store == "sqlite":
        yield f"sqlite:///{folder / 'scratch.db'}"
        return
    assert POSTGRES_URL is not None
    name = f"scratch_{secrets.token_hex(6)}"
    admin = create_engine(
        POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield POSTGRES_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
        admin.dispose()
