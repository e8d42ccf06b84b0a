"""Rows written with a journal burst: one multi-row INSERT per table, no unit of work.

The burst's operations and the rows journaled with them (documents, salts) are new rows
whose every value is known before the INSERT; the ORM's flush (identity map, per-object
state, one statement per mapper and key set anyway) cost more than the rows themselves."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, insert, inspect
from sqlalchemy.orm import Mapper, Session

from chain.txpipe.models import Operation

_OPERATIONS: Table = Operation.__table__  # type: ignore[assignment]
_OPERATION_COLUMNS = tuple(c.key for c in inspect(Operation).column_attrs)


def insert_operations(session: Session, ops: Sequence[Operation]) -> None:
    """INSERT new operations (every column set) with one executemany."""
    if ops:
        session.execute(
            insert(_OPERATIONS), [{key: op.__dict__.get(key) for key in _OPERATION_COLUMNS}
                                  for op in ops]
        )  # fmt: skip


def _values(row: object, mapper: Mapper[Any]) -> dict[str, Any]:
    """The row's set attributes (unset ones take their column defaults in the INSERT)."""
    state = row.__dict__
    return {attr.key: state[attr.key] for attr in mapper.column_attrs
            if state.get(attr.key) is not None}  # fmt: skip


def insert_rows(session: Session, rows: Sequence[object]) -> None:
    """INSERT new mapped objects: one executemany per class and set of attributes, in
    the order the classes first appear."""
    groups: dict[tuple[type, tuple[str, ...]], list[dict[str, Any]]] = {}
    for row in rows:
        mapper = inspect(type(row))
        values = _values(row, mapper)
        groups.setdefault((type(row), tuple(values)), []).append(values)
    for (cls, _), batch in groups.items():
        session.execute(insert(cls), batch)
