"""The gateway's database: one SQLAlchemy metadata for every table of the product.

SQLite (WAL, foreign keys on) under ``var/`` by default; PostgreSQL (or any SQLAlchemy
URL) with ``LEDGER_DATABASE_URL``. Model modules import ``Base`` from here.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import StaticPool

from chain.errors import ValidationFailed
from chain.index_store import attach_index_file


class Base(DeclarativeBase):
    """Declarative base of all product tables."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _has_nul_text(value: Any) -> bool:
    """Whether a statement parameter holds text with a NUL character; parameters come as
    a dict, a row tuple, a list of rows, or (for batched inserts) one flat tuple."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul_text(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(_has_nul_text(item) for item in value)
    return False


def _refuse_nul_text(
    _conn: Any, _cursor: Any, _statement: str, parameters: Any, _context: Any, _many: bool
) -> None:
    """Text with a NUL character is refused alike on every database (PostgreSQL cannot
    store it): a clear 422 instead of a driver error."""
    if _has_nul_text(parameters):
        error = {"loc": ["body"], "msg": "NUL character in text", "type": "value_error"}
        raise ValidationFailed("text must not contain NUL characters", errors=[error])


#: connections a SQLite file's pool keeps open: one for each of the worker threads the
#: gateway runs requests in (anyio's 40) and its background threads, so a busy gateway
#: does not open and close a connection (with its PRAGMAs) per request beyond a handful
SQLITE_POOL_SIZE = 48


#: WAL pages after which a commit checkpoints a SQLite file whose process checkpoints
#: it in the background (a backstop: SQLite's default is 1,000, about a second of the
#: gateway's writes under load)
BACKGROUND_CHECKPOINT_BACKSTOP_PAGES = 8_000


def make_engine(
    url: str, *, background_checkpoints: bool = False, index_file: bool = True
) -> Engine:
    """An engine for the URL; SQLite files get WAL and their folder is created.

    ``index_file``: a SQLite file's connections attach the indexer's file beside it
    (:mod:`chain.index_store`); False for an engine on that file itself.

    ``background_checkpoints``: the caller checkpoints the WAL of a SQLite file itself
    (:func:`checkpoint_wal`, from a thread that answers nobody), so a commit runs SQLite's
    automatic checkpoint only past ``BACKGROUND_CHECKPOINT_BACKSTOP_PAGES``. Otherwise
    whichever commit takes the WAL past 1,000 pages copies it into the database file and
    syncs it, holding the store's writer turn (a journal waiting for it waits as long)."""
    engine = _make_engine(url)
    event.listen(engine, "before_cursor_execute", _refuse_nul_text)
    if background_checkpoints and _is_sqlite_file(engine):
        event.listen(engine, "connect", _backstop_checkpoints)
    if index_file:
        attach_index_file(engine)
    return engine


def _is_sqlite_file(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:")


def _backstop_checkpoints(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA wal_autocheckpoint={BACKGROUND_CHECKPOINT_BACKSTOP_PAGES}")
    cursor.close()


def checkpoint_wal(engine: Engine) -> tuple[int, int, int] | None:
    """Copy what the WAL of a SQLite file holds into the database file, as far as its
    readers allow, without waiting for them or blocking writers (``PASSIVE``): (busy,
    WAL pages, pages copied). None for other databases (nothing to do)."""
    if not _is_sqlite_file(engine):
        return None
    with engine.connect() as connection:
        # the main file only: the indexer's commits checkpoint its file (chain.index_store)
        row = connection.exec_driver_sql("PRAGMA main.wal_checkpoint(PASSIVE)").one()
    return int(row[0]), int(row[1]), int(row[2])


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        if url in ("sqlite://", "sqlite:///:memory:"):
            engine = create_engine(
                url, connect_args={"check_same_thread": False}, poolclass=StaticPool
            )
        else:
            Path(url.split("///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(
                url,
                connect_args={"check_same_thread": False, "timeout": 30},
                pool_size=SQLITE_POOL_SIZE,
                max_overflow=16,
            )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True)


#: per SQLite engine: the turn its writers of this process take (see :func:`write_turn`)
_WRITE_TURNS: weakref.WeakKeyDictionary[Engine, threading.RLock] = weakref.WeakKeyDictionary()
_TURNS_GUARD = threading.Lock()


def write_turn(bind: object) -> contextlib.AbstractContextManager[Any]:
    """The turn this process's writers to ``bind``'s database take, around a whole write
    transaction: SQLite takes one writer at a time and makes the others poll with sleeps
    of 1, 2, 5, 10 ... 100 ms (oversleeping a short lock by as much again), where a lock
    wakes the next writer at once. One lock per SQLite engine, shared by the write path
    and the indexer; other databases lock rows, and their writers are left to them."""
    if not isinstance(bind, Engine) or bind.dialect.name != "sqlite":
        return contextlib.nullcontext()
    with _TURNS_GUARD:
        turn = _WRITE_TURNS.get(bind)
        if turn is None:
            turn = _WRITE_TURNS[bind] = threading.RLock()
    return turn


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work commits together or not at all."""
    with factory() as session, session.begin():
        yield session
