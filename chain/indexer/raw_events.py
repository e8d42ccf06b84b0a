"""Raw events into the store in bulk (``COPY`` on PostgreSQL, one ``executemany`` on
SQLite), inside the batch's transaction."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from chain.indexer.models import RawEvent
from chain.indexer.rpc import IndexerError

#: Raw events per multi-row INSERT.
INSERT_CHUNK = 2_000

_EVENT_COLUMNS = (
    "block_number", "block_hash", "tx_hash", "log_index", "timestamp", "contract", "address",
    "event", "args", "subject_id", "actor_org_id", "asset_id",
)  # fmt: skip


def insert_events(session: Session, events: Sequence[Mapping[str, Any]]) -> None:
    """Insert raw events in bulk: ``COPY`` on PostgreSQL, one ``executemany`` of the
    driver on SQLite, multi-row INSERTs elsewhere.

    ``args`` is written as SQLAlchemy's JSON type writes it (the standard library's
    ``json``: uint256 values stay exact integers).

    Text with a NUL character is refused as every statement of the store refuses it
    (PostgreSQL cannot store it); inside JSON it is an escape, which both stores keep."""
    if not events:
        return
    table: Any = RawEvent.__table__
    dialect = session.get_bind().dialect.name
    if dialect not in ("postgresql", "sqlite"):
        for start in range(0, len(events), INSERT_CHUNK):
            session.execute(insert(table), list(events[start : start + INSERT_CHUNK]))
        return
    for event in events:
        for name in _EVENT_COLUMNS:
            value = event[name]
            if isinstance(value, str) and "\x00" in value:
                raise IndexerError(f"event {event['event']}: NUL character in {name}")
    raw: Any = session.connection().connection.driver_connection
    columns = ", ".join(_EVENT_COLUMNS)
    rows = (
        [json.dumps(event[name]) if name == "args" else event[name] for name in _EVENT_COLUMNS]
        for event in events
    )
    if dialect == "postgresql":
        copy_sql = f"COPY {table.name} ({columns}) FROM STDIN"
        with raw.cursor() as cursor, cursor.copy(copy_sql) as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" for _ in _EVENT_COLUMNS)
    cursor = raw.cursor()
    try:
        cursor.executemany(f"INSERT INTO {table.name} ({columns}) VALUES ({marks})", rows)
    finally:
        cursor.close()
