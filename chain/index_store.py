"""The indexer's tables in a SQLite file of their own, next to the gateway's database.

SQLite lets one writer at a time write a database file. When the indexer's tables
(``idx_*``) share the file of the write path's journal, every block the indexer stores
holds that one writer lock for as long as its batch takes (~15 ms at 170 events), and a
write request arriving then waits for it before its journal row commits. The index is
derived from the chain (the indexer can rebuild it from the deployment block), so it
lives in a file of its own: ``ledger.db`` keeps the journal, the accounts and the
documents, ``ledger.index.db`` beside it the indexer's tables, and the two files have two
writer locks.

Every connection to the gateway's database attaches the index file under
:data:`INDEX_SCHEMA`, so every query keeps naming the tables as before (SQLite finds an
unqualified name in ``main`` first, then in attached files) and joins across the two
work. The indexer writes through an engine on the index file itself
(:func:`index_engine`): its transactions take only the index file's lock.

Alembic still describes every table, and its revisions create the indexer's tables in
the main file; :func:`move_index_tables` (run after every migration) copies any
``idx_*`` table it finds there into the index file, replacing what the index file held,
then drops it from the main file. The same step moves the tables of a database made
before the split, or restored from a backup (a backup holds both files' tables in one
copy). A crash between the copy and the drop is repaired by the next start, which copies
again. PostgreSQL and in-memory SQLite keep every table in one database.
"""

from __future__ import annotations

import sqlite3
import weakref
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, inspect

#: the name the index file is attached under on the gateway database's connections
INDEX_SCHEMA = "ledger_index"
#: the indexer's tables: every table whose name starts so
INDEX_TABLE_PREFIX = "idx_"
#: a SQL LIKE pattern (with ``ESCAPE '\\'``) of their names
INDEX_NAME_LIKE = INDEX_TABLE_PREFIX.replace("_", "\\_") + "%"

#: per engine on a SQLite file: the index file its connections attach
_ATTACHED: weakref.WeakKeyDictionary[Engine, Path] = weakref.WeakKeyDictionary()
#: per such engine: the engine the indexer writes the index file through
_INDEX_ENGINES: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()


def index_path_for(database: str | Path) -> Path:
    """The index file beside a SQLite database file: ``ledger.db`` -> ``ledger.index.db``."""
    path = Path(database)
    return path.with_name(f"{path.stem}.index{path.suffix}")


def separate_index_file(engine: Engine) -> Path | None:
    """The index file of an engine on a SQLite file (None: one database holds all)."""
    url = engine.url
    database = url.database
    if url.get_backend_name() != "sqlite" or database in (None, "", ":memory:"):
        return None
    if database.startswith("file:") or url.query.get("uri"):  # URI databases: left alone
        return None
    return index_path_for(database)


def attach_index_file(engine: Engine) -> None:
    """Make every new connection of ``engine`` attach its index file (WAL, like the main
    file); nothing for other databases."""
    path = separate_index_file(engine)
    if path is None:
        return
    _ATTACHED[engine] = path
    event.listen(engine, "connect", partial(_attach, str(path)))


def _attach(path: str, dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"ATTACH DATABASE ? AS {INDEX_SCHEMA}", (path,))
    cursor.execute(f"PRAGMA {INDEX_SCHEMA}.journal_mode=WAL")
    cursor.execute(f"PRAGMA {INDEX_SCHEMA}.synchronous=NORMAL")
    cursor.close()


def attached_index_file(engine: Engine) -> Path | None:
    """The index file ``engine``'s connections attach, if any."""
    return _ATTACHED.get(engine)


def index_engine(engine: Engine) -> Engine:
    """The engine the indexer writes through: one on the index file for an engine that
    attaches one (built once, its tables created), else ``engine`` itself."""
    path = attached_index_file(engine)
    if path is None:
        return engine
    found = _INDEX_ENGINES.get(engine)
    if found is None:
        from chain.db import make_engine
        from chain.indexer.models import create_tables

        found = make_engine(f"sqlite:///{path}", index_file=False)
        create_tables(found)
        _INDEX_ENGINES[engine] = found
    return found


def table_names(engine: Engine) -> set[str]:
    """Every table the engine's connections see: the main file's and the index file's."""
    inspector = inspect(engine)
    names = set(inspector.get_table_names())
    if attached_index_file(engine) is not None:
        names |= set(inspector.get_table_names(schema=INDEX_SCHEMA))
    return names


def move_index_tables(engine: Engine) -> list[str]:
    """Move the ``idx_*`` tables the main file holds into the index file (see the module's
    docstring); the names moved. Nothing for an engine without an index file."""
    path = attached_index_file(engine)
    if path is None:
        return []
    main = engine.url.database
    assert main is not None
    index_engine(engine)  # the index file and every indexer table in it
    conn = sqlite3.connect(main, isolation_level=None, timeout=30)
    try:
        conn.execute(f"ATTACH DATABASE ? AS {INDEX_SCHEMA}", (str(path),))
        held = index_table_names(conn, "main")
        if not held:
            return []
        known = index_table_names(conn, INDEX_SCHEMA)
        moved = [name for name in held if name in known]
        conn.execute("BEGIN IMMEDIATE")
        try:
            for name in moved:
                kept = set(_columns(conn, INDEX_SCHEMA, name))
                columns = ", ".join(f'"{c}"' for c in _columns(conn, "main", name) if c in kept)
                conn.execute(f'DELETE FROM {INDEX_SCHEMA}."{name}"')
                conn.execute(
                    f'INSERT INTO {INDEX_SCHEMA}."{name}" ({columns}) '
                    f'SELECT {columns} FROM main."{name}"'
                )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        # the copies are committed: a crash from here on copies again at the next start
        conn.execute("BEGIN IMMEDIATE")
        for name in moved:
            conn.execute(f'DROP TABLE main."{name}"')
        conn.execute("COMMIT")
        return moved
    finally:
        conn.close()


def index_table_names(conn: sqlite3.Connection, schema: str) -> list[str]:
    """The indexer's tables a SQLite connection's ``schema`` holds."""
    rows = conn.execute(
        f"SELECT name FROM {schema}.sqlite_master WHERE type = 'table' AND name LIKE ? "
        "ESCAPE '\\' ORDER BY name",
        (INDEX_NAME_LIKE,),
    )
    return [str(row[0]) for row in rows]


def _columns(conn: sqlite3.Connection, schema: str, table: str) -> list[str]:
    return [str(row[1]) for row in conn.execute(f'PRAGMA {schema}.table_info("{table}")')]
