"""Raw events into the store in bulk (``COPY`` on PostgreSQL, one ``executemany`` on
SQLite), inside the batch's transaction."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import insert
from sqlalchemy.orm import Session

from chain.indexer.models import RawEvent
from chain.indexer.rpc import IndexerError

#: Raw events per multi-row INSERT.
INSERT_CHUNK = 2_000

#: A raw event row's columns, in the order :func:`insert_events` takes them.
EVENT_COLUMNS = (
    "block_number", "block_hash", "tx_hash", "log_index", "timestamp", "contract", "address",
    "event", "args", "subject_id", "actor_org_id", "asset_id",
)  # fmt: skip
_ARGS = EVENT_COLUMNS.index("args")
_TEXT = tuple(
    i for i, name in enumerate(EVENT_COLUMNS)
    if name not in ("block_number", "log_index", "timestamp", "args")
)  # fmt: skip


def args_json(args: Any) -> str:
    """An event's arguments as JSON text: orjson, or the standard library's ``json``
    for integers beyond 64 bits (uint256 values stay exact integers either way)."""
    try:
        return orjson.dumps(args).decode()
    except TypeError:
        return json.dumps(args)


def _refuse_nul(rows: Sequence[Sequence[Any]]) -> None:
    """Text with a NUL character is refused as every statement of the store refuses it
    (PostgreSQL cannot store it); inside JSON it is an escape, which both stores keep."""
    texts = [value for row in rows for i in _TEXT if (value := row[i]) is not None]
    if "\x00" not in "".join(texts):
        return
    for row in rows:
        for i in _TEXT:
            value = row[i]
            if isinstance(value, str) and "\x00" in value:
                name = EVENT_COLUMNS[i]
                raise IndexerError(f"event {row[EVENT_COLUMNS.index('event')]}: "
                                   f"NUL character in {name}")  # fmt: skip


@dataclass(frozen=True)
class PreparedEvents:
    """Raw events checked and encoded for one store (see :func:`prepare_events`)."""

    dialect: str
    #: driver rows (``args`` as JSON text) on SQLite and PostgreSQL, dicts elsewhere
    rows: list[Any]


def prepare_events(rows: Sequence[Sequence[Any]], dialect: str) -> PreparedEvents:
    """Raw events (rows in :data:`EVENT_COLUMNS` order, ``args`` as a dict) as the store of
    ``dialect`` takes them, built before the write transaction (nothing of it waits for
    the JSON encoding): text with a NUL character refused (see :func:`_refuse_nul`)."""
    if dialect not in ("postgresql", "sqlite"):
        return PreparedEvents(dialect, [dict(zip(EVENT_COLUMNS, row, strict=True))
                                        for row in rows])  # fmt: skip
    _refuse_nul(rows)
    cut = _ARGS + 1
    return PreparedEvents(
        dialect, [(*row[:_ARGS], args_json(row[_ARGS]), *row[cut:]) for row in rows]
    )


def insert_events(session: Session, rows: Sequence[Sequence[Any]]) -> None:
    """Insert raw events (rows in :data:`EVENT_COLUMNS` order, ``args`` as a dict) in
    bulk: ``COPY`` on PostgreSQL, one ``executemany`` of the driver on SQLite, multi-row
    INSERTs elsewhere; text with a NUL character refused (see :func:`_refuse_nul`)."""
    store_events(session, prepare_events(rows, session.get_bind().dialect.name))


def store_events(session: Session, prepared: PreparedEvents) -> None:
    """Insert raw events :func:`prepare_events` built, in bulk, in ``session``'s
    transaction."""
    if not prepared.rows:
        return
    table: Any = RawEvent.__table__
    if prepared.dialect not in ("postgresql", "sqlite"):
        events = prepared.rows
        for start in range(0, len(events), INSERT_CHUNK):
            session.execute(insert(table), events[start : start + INSERT_CHUNK])
        return
    raw: Any = session.connection().connection.driver_connection
    columns = ", ".join(EVENT_COLUMNS)
    if prepared.dialect == "postgresql":
        copy_sql = f"COPY {table.name} ({columns}) FROM STDIN"
        with raw.cursor() as cursor, cursor.copy(copy_sql) as copy:
            for row in prepared.rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" for _ in EVENT_COLUMNS)
    cursor = raw.cursor()
    try:
        cursor.executemany(f"INSERT INTO {table.name} ({columns}) VALUES ({marks})", prepared.rows)
    finally:
        cursor.close()
