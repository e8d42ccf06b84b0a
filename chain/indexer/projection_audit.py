"""Compare every stored projection row with the rows a replay of the chain's events built.

Stored rows are streamed (read in chunks, without the ORM's identity map) and matched by
primary key against the replayed rows; every column is compared. A replayed row with no
stored row is missing, a stored row with no replayed row is extra. The stored rows are
hashed on the way, so a store found equal to the chain at a checkpoint can later be
recognised by its digest alone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from chain.indexer import row_diff
from chain.indexer.event_audit import canonical
from chain.indexer.models import PROJECTION_TABLES
from chain.indexer.replay import MemoryProjections, primary_key_names

STREAM_CHUNK = 1000


def _columns(model: Any) -> tuple[str, ...]:
    return tuple(c.key for c in model.__table__.columns)


def _stored_rows(session: Session, model: Any) -> Iterator[dict[str, Any]]:
    table = model.__table__
    names = _columns(model)
    stmt = select(*table.columns).order_by(*table.primary_key.columns)
    result = session.execute(stmt.execution_options(yield_per=STREAM_CHUNK))
    for row in result:
        yield dict(zip(names, tuple(row), strict=True))


def _key(model: Any, values: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """(the key as ``session.get`` takes it, the key as a report shows it)."""
    names = primary_key_names(model)
    shown = {n: values[n] for n in names}
    ident = values[names[0]] if len(names) == 1 else tuple(values[n] for n in names)
    return ident, shown


@dataclass
class ProjectionCheck:
    """Stored rows per table, the differences found and the digest of the stored rows."""

    checked: dict[str, int] = field(default_factory=dict)
    differences: list[row_diff.Difference] = field(default_factory=list)
    digest: str = ""


def projections_digest(session: Session) -> ProjectionCheck:
    """Only hash the stored rows (in key order), comparing nothing."""
    result = ProjectionCheck()
    digest = hashlib.sha256()
    for model in PROJECTION_TABLES:
        table = str(model.__tablename__)
        count = 0
        for stored in _stored_rows(session, model):
            count += 1
            digest.update(canonical(table, tuple(stored.values())) + b"\n")
        result.checked[table] = count
    result.digest = digest.hexdigest()
    return result


def compare_projections(session: Session, state: MemoryProjections) -> ProjectionCheck:
    """Every stored row against the replayed rows, table by table (and the digest)."""
    result = ProjectionCheck()
    checked = result.checked
    out = result.differences
    digest = hashlib.sha256()
    for model in PROJECTION_TABLES:
        table = str(model.__tablename__)
        columns = _columns(model)
        expected = dict(state.rows(model))
        count = 0
        for stored in _stored_rows(session, model):
            count += 1
            digest.update(canonical(table, tuple(stored.values())) + b"\n")
            ident, shown = _key(model, stored)
            row = expected.pop(ident, None)
            if row is None:
                out.append(row_diff.extra(table, shown, stored))
                continue
            implied = {c: getattr(row, c) for c in columns}
            out += row_diff.changed(table, shown, stored, implied, columns)
        for ident in sorted(expected, key=repr):
            implied = {c: getattr(expected[ident], c) for c in columns}
            out.append(row_diff.missing(table, _key(model, implied)[1], implied))
        checked[table] = count
    result.digest = digest.hexdigest()
    return result
