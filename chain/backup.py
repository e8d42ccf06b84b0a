"""Backup and restore of one gateway's state: the database, the keystores and the
deployment records, with a manifest that restore verifies first.

A backup is a folder::

    manifest.json                 format, product version, chain id, head block, files
    database/ledger.sqlite        SQLite: a consistent copy made with sqlite3's backup API,
                                  the indexer's file's tables copied into it (restore
                                  puts them back in their own file at the next start)
    database/tables/<t>.jsonl     any other database (PostgreSQL): every product table as
                                  JSON lines, read in one transaction through SQLAlchemy
    var/keys/*.json               encrypted keystores (eth-keyfile, scrypt)
    var/deployments/*.json        deployment records per chain id
    var/secrets/*                 only with ``include_secrets`` (the keystore passphrase
                                  generated for local use, the console's session key)

The manifest holds the sha256 of every file; restore refuses a backup with a missing,
changed or unlisted file, another chain id than ``LEDGER_CHAIN_ID``, or a target
(``LEDGER_VAR_DIR`` and the database) that holds state already, unless forced.
The chain itself is not in a backup: the node (the consortium's validators) holds it, and
a restored gateway re-sends from its outbox every journaled transaction the chain lacks.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from importlib import metadata
from pathlib import Path
from typing import Any

from sqlalchemy import (
    DateTime,
    Engine,
    Integer,
    LargeBinary,
    Numeric,
    Table,
    TypeDecorator,
    delete,
    func,
    insert,
    inspect,
    select,
    text,
)

from chain.db import Base, make_engine
from chain.index_store import (
    INDEX_NAME_LIKE,
    attached_index_file,
    index_path_for,
    index_table_names,
    table_names,
)
from chain.settings import LedgerSettings

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_COPY = "database/ledger.sqlite"
TABLES_DIR = "database/tables"
#: folders of LEDGER_VAR_DIR a backup carries (secrets only when asked)
VAR_FOLDERS = ("keys", "deployments")
SECRETS = "secrets"
BATCH = 1000


class BackupError(RuntimeError):
    """A backup cannot be made or restored; the message says why."""


def product_version() -> str:
    try:
        return metadata.version("data-asset-ledger")
    except metadata.PackageNotFoundError:  # pragma: no cover - the package is installed
        return "unknown"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def product_tables() -> list[Table]:
    """Every table of the product, parents first."""
    from chain.runtime import MODEL_MODULES

    for name in MODEL_MODULES:
        importlib.import_module(name)
    return list(Base.metadata.sorted_tables)


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL; None for other databases and in-memory SQLite."""
    if not url.startswith("sqlite") or url in ("sqlite://", "sqlite:///:memory:"):
        return None
    return Path(url.split("///", 1)[1])


# ------------------------------------------------------------------------------- backup


def create_backup(
    settings: LedgerSettings,
    target: Path,
    *,
    include_secrets: bool = False,
    database_format: str = "native",
    head_block: Callable[[], int] | None = None,
) -> dict[str, Any]:
    """Write a backup of ``settings``' gateway into the empty folder ``target``; returns
    the manifest. ``database_format`` ``jsonl`` dumps a SQLite database as JSON lines too
    (``native``: a SQLite file for SQLite, JSON lines otherwise). ``head_block`` asks the
    node for its head; without it (or when the node does not answer) the manifest records
    the last block the gateway's indexer stored."""
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty; back up into a new folder")
    url = settings.resolved_database_url
    source_file = sqlite_path(url)
    if source_file is not None and not source_file.exists():
        raise BackupError(f"no database at {source_file}; nothing to back up")
    target.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    try:
        if source_file is not None and database_format == "native":
            _sqlite_copy(source_file, target / SQLITE_COPY)
            index = attached_index_file(engine)
            if index is not None and index.exists():
                _copy_index_tables(index, target / SQLITE_COPY)
            database: dict[str, Any] = {"kind": "sqlite", "path": SQLITE_COPY}
        else:
            counts = dump_tables(engine, target / TABLES_DIR)
            database = {"kind": "jsonl", "path": TABLES_DIR, "rows": counts}
        facts = _facts(engine)
    finally:
        engine.dispose()
    folders = (*VAR_FOLDERS, SECRETS) if include_secrets else VAR_FOLDERS
    for folder in folders:
        source = settings.var_dir / folder
        if source.is_dir():
            for path in sorted(p for p in source.iterdir() if p.is_file()):
                copy = target / "var" / folder / path.name
                copy.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, copy)
    chain_ids = sorted(
        int(p.stem) for p in (target / "var" / "deployments").glob("*.json") if p.stem.isdigit()
    )
    chain_id = (
        facts["chain_id"]
        if facts["chain_id"] is not None
        else (chain_ids[0] if chain_ids else settings.chain_id)
    )
    node_head = _ask(head_block)
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "product": "data-asset-ledger",
        "product_version": product_version(),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "chain_id": chain_id,
        "head_block": node_head if node_head is not None else facts["indexed_block"],
        "head_block_source": "node" if node_head is not None else "indexer",
        "indexed_block": facts["indexed_block"],
        "schema_revision": facts["schema_revision"],
        "pending_operations": facts["pending_operations"],
        "database": database,
        "secrets_included": include_secrets,
        "files": {
            path.relative_to(target).as_posix(): sha256_of(path)
            for path in sorted(target.rglob("*"))
            if path.is_file()
        },
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    for path in target.rglob("*"):  # keystores and secrets: readable by the operator only
        os.chmod(path, 0o700 if path.is_dir() else 0o600)
    os.chmod(target, 0o700)
    return manifest


def _ask(head_block: Callable[[], int] | None) -> int | None:
    if head_block is None:
        return None
    try:
        return int(head_block())
    except Exception:  # the node is down: the indexer's block stands in
        return None


def _sqlite_copy(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite database (WAL included) with the backup API."""
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        with dst:
            src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    finally:
        dst.close()
        src.close()


def _copy_index_tables(index: Path, copy: Path) -> None:
    """Copy the index file's tables into the backup's copy of the main file, read in one
    transaction (one state of the index); nothing when the copy holds indexer tables of
    its own (a database from before the split, not started since: those are current)."""
    dst = sqlite3.connect(f"file:{copy}", uri=True, isolation_level=None)
    try:
        dst.execute("ATTACH DATABASE ? AS source", (f"file:{index}?mode=ro",))
        if index_table_names(dst, "main"):
            return
        dst.execute("BEGIN")
        schema = dst.execute(
            "SELECT type, name, sql FROM source.sqlite_master WHERE sql IS NOT NULL "
            "AND tbl_name LIKE ? ESCAPE '\\' ORDER BY type = 'index', name",
            (INDEX_NAME_LIKE,),
        ).fetchall()
        for kind, name, sql in schema:
            dst.execute(sql)  # unqualified: into the copy
            if kind == "table":
                dst.execute(f'INSERT INTO main."{name}" SELECT * FROM source."{name}"')
        dst.execute("COMMIT")
    finally:
        dst.close()


def _facts(engine: Engine) -> dict[str, Any]:
    """Chain id, last indexed block, schema revision and in-flight operations."""
    names = table_names(engine)
    facts: dict[str, Any] = {
        "chain_id": None, "indexed_block": None, "schema_revision": None,
        "pending_operations": 0,
    }  # fmt: skip
    with engine.connect() as connection:
        if "alembic_version" in names:
            facts["schema_revision"] = connection.execute(
                text("SELECT version_num FROM alembic_version")
            ).scalar()
        if "idx_checkpoint" in names:
            row = connection.execute(
                text("SELECT chain_id, block_number FROM idx_checkpoint ORDER BY block_number DESC")
            ).first()
            if row is not None:
                facts["chain_id"], facts["indexed_block"] = int(row[0]), int(row[1])
        if "operations" in names:
            facts["pending_operations"] = int(
                connection.execute(
                    text("SELECT count(*) FROM operations WHERE state IN ('pending', 'sent')")
                ).scalar()
                or 0
            )
    return facts


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot store {type(value).__name__} in a backup")


def dump_tables(engine: Engine, folder: Path) -> dict[str, int]:
    """Every product table as JSON lines (one transaction, so the tables agree)."""
    folder.mkdir(parents=True, exist_ok=True)
    existing = table_names(engine)
    counts: dict[str, int] = {}
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
        for table in product_tables():
            if table.name not in existing:
                continue
            count = 0
            with (folder / f"{table.name}.jsonl").open("w", encoding="utf-8") as handle:
                result = connection.execution_options(stream_results=True).execute(
                    select(table).order_by(*table.primary_key.columns)
                )
                for row in result.mappings():
                    handle.write(json.dumps(dict(row), default=_encode, sort_keys=True) + "\n")
                    count += 1
            counts[table.name] = count
    return counts


# ------------------------------------------------------------------------------ restore


def verify_backup(source: Path) -> dict[str, Any]:
    """The manifest of the backup in ``source`` once every file matches it."""
    path = source / MANIFEST
    if not path.is_file():
        raise BackupError(f"{source} holds no {MANIFEST}; not a ledger backup")
    try:
        manifest: dict[str, Any] = json.loads(path.read_text())
    except ValueError as exc:
        raise BackupError(f"{path} is not valid JSON: {exc}") from exc
    if manifest.get("format") != FORMAT or manifest.get("product") != "data-asset-ledger":
        raise BackupError(f"{path}: not a ledger backup of format {FORMAT}")
    listed: dict[str, str] = manifest.get("files") or {}
    present = {p.relative_to(source).as_posix() for p in source.rglob("*") if p.is_file()} - {
        MANIFEST
    }
    problems = [f"missing: {name}" for name in sorted(set(listed) - present)]
    problems += [f"not in the manifest: {name}" for name in sorted(present - set(listed))]
    problems += [
        f"changed: {name}"
        for name in sorted(set(listed) & present)
        if sha256_of(source / name) != listed[name]
    ]
    if problems:
        raise BackupError("the backup does not match its manifest: " + "; ".join(problems))
    return manifest


def target_state(settings: LedgerSettings) -> list[str]:
    """What the target already holds (empty: a fresh directory and database)."""
    found = [
        str(p)
        for folder in (*VAR_FOLDERS, SECRETS)
        for p in sorted((settings.var_dir / folder).glob("*"))
        if p.is_file()
    ]
    url = settings.resolved_database_url
    file = sqlite_path(url)
    if file is not None and not file.exists():
        return found
    engine = make_engine(url)
    try:
        existing = table_names(engine)
        with engine.connect() as connection:
            for table in product_tables():
                if (
                    table.name in existing
                    and connection.execute(select(func.count()).select_from(table)).scalar()
                ):
                    found.append(f"database table {table.name}")
    finally:
        engine.dispose()
    return found


def restore_backup(
    settings: LedgerSettings, source: Path, *, force: bool = False
) -> dict[str, Any]:
    """Restore the backup in ``source`` into ``settings``' var dir and database; returns
    its manifest. Refuses a backup that does not match its manifest, another chain than
    ``LEDGER_CHAIN_ID`` and (unless ``force``) a target that holds state already."""
    manifest = verify_backup(source)
    chain_id = manifest.get("chain_id")
    if settings.chain_id is not None and chain_id is not None and chain_id != settings.chain_id:
        raise BackupError(
            f"the backup is of chain {chain_id}, this gateway is set to chain "
            f"{settings.chain_id} (LEDGER_CHAIN_ID)"
        )
    existing = target_state(settings)
    if existing and not force:
        shown = ", ".join(existing[:5]) + (" ..." if len(existing) > 5 else "")
        raise BackupError(
            f"the target holds state already ({shown}); restore into a fresh "
            "LEDGER_VAR_DIR and database, or pass --force to replace it"
        )
    for folder in (*VAR_FOLDERS, SECRETS):
        held = source / "var" / folder
        if force and held.is_dir():
            for old in (settings.var_dir / folder).glob("*"):
                if old.is_file():
                    old.unlink()
        if held.is_dir():
            dest = settings.var_dir / folder
            dest.mkdir(parents=True, exist_ok=True)
            os.chmod(dest, 0o700)
            for path in sorted(held.iterdir()):
                shutil.copy2(path, dest / path.name)
                os.chmod(dest / path.name, 0o600)
    _restore_database(settings.resolved_database_url, source, manifest)
    return manifest


def _restore_database(url: str, source: Path, manifest: dict[str, Any]) -> None:
    database = manifest["database"]
    file = sqlite_path(url)
    if database["kind"] == "sqlite" and file is not None:
        # the indexer's tables are in the copy: the next start moves them to their file
        for path in (file, index_path_for(file)):
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        file.parent.mkdir(parents=True, exist_ok=True)
        _sqlite_copy(source / database["path"], file)
        return
    from chain.runtime import migrate_database

    engine = make_engine(url)
    try:
        migrate_database(engine)
        with engine.connect() as connection:
            revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        if manifest.get("schema_revision") not in (None, revision):
            raise BackupError(
                f"the backup's tables are of schema {manifest['schema_revision']}, this "
                f"product's of {revision}: restore with the version that made the backup "
                f"({manifest.get('product_version')}), start it once, then upgrade"
            )
        if database["kind"] == "sqlite":  # a SQLite file into another database
            copy = make_engine(f"sqlite:///{source / database['path']}", index_file=False)
            try:
                rows = {t.name: _rows_of(copy, t) for t in product_tables()}
                _load(engine, lambda table: rows.get(table.name, iter(())))
            finally:
                copy.dispose()
        else:
            folder = source / database["path"]
            _load(engine, lambda table: _jsonl_rows(folder / f"{table.name}.jsonl", table))
    finally:
        engine.dispose()


def _rows_of(engine: Engine, table: Table) -> Iterator[dict[str, Any]]:
    if table.name not in set(inspect(engine).get_table_names()):
        return iter(())
    with engine.connect() as connection:
        return iter([dict(r) for r in connection.execute(select(table)).mappings()])


def _decoder(table: Table) -> Callable[[dict[str, Any]], dict[str, Any]]:
    kinds: dict[str, Callable[[Any], Any]] = {}
    for column in table.columns:
        kind = column.type
        if isinstance(kind, TypeDecorator):
            continue
        if isinstance(kind, DateTime):
            kinds[column.name] = datetime.fromisoformat
        elif isinstance(kind, LargeBinary):
            kinds[column.name] = bytes.fromhex
        elif isinstance(kind, Numeric) and kind.asdecimal:
            kinds[column.name] = lambda v: Decimal(str(v))

    def decode(row: dict[str, Any]) -> dict[str, Any]:
        return {k: (kinds[k](v) if k in kinds and v is not None else v) for k, v in row.items()}

    return decode


def _jsonl_rows(path: Path, table: Table) -> Iterator[dict[str, Any]]:
    if not path.exists():
        return
    decode = _decoder(table)
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield decode(json.loads(line))


def _load(engine: Engine, rows_for: Callable[[Table], Iterator[dict[str, Any]]]) -> None:
    """Replace every product table's rows (children emptied first, parents filled first),
    in one transaction."""
    tables = product_tables()
    with engine.begin() as connection:
        for table in reversed(tables):
            connection.execute(delete(table))
        for table in tables:
            batch: list[dict[str, Any]] = []
            for row in rows_for(table):
                batch.append(row)
                if len(batch) >= BATCH:
                    connection.execute(insert(table), batch)
                    batch = []
            if batch:
                connection.execute(insert(table), batch)
        if engine.dialect.name == "postgresql":  # serial ids continue after the restored
            for table in tables:
                keys = list(table.primary_key.columns)
                if len(keys) == 1 and isinstance(keys[0].type, Integer):
                    name = keys[0].name
                    connection.execute(text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', '{name}'), "
                        f"COALESCE((SELECT MAX({name}) FROM {table.name}), 0) + 1, false) "
                        f"WHERE pg_get_serial_sequence('{table.name}', '{name}') IS NOT NULL"
                    ))  # fmt: skip
