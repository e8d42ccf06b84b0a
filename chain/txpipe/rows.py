"""Rows written with a journal burst: one multi-row INSERT per table, no unit of work.

The burst's operations and the rows journaled with them (documents, salts) are new rows
whose every value is known before the INSERT; the ORM's flush (identity map, per-object
state, one statement per mapper and key set anyway) cost more than the rows themselves.
Values left unset take their column's default, as in a flush."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, insert, inspect
from sqlalchemy.orm import Mapper, Session

#: per mapped class: its table and (attribute name, column name) pairs
_LAYOUTS: dict[type, tuple[Table, tuple[tuple[str, str], ...]]] = {}


def _layout(cls: type) -> tuple[Table, tuple[tuple[str, str], ...]]:
    layout = _LAYOUTS.get(cls)
    if layout is None:
        mapper: Mapper[Any] = inspect(cls)
        table: Table = mapper.local_table  # type: ignore[assignment]
        pairs = tuple((attr.key, attr.columns[0].key) for attr in mapper.column_attrs)
        layout = _LAYOUTS[cls] = (table, pairs)
    return layout


def insert_rows(session: Session, rows: Sequence[object]) -> None:
    """INSERT new mapped objects: one executemany per table and set of columns, in the
    order the classes first appear. Attributes left unset (None) take their column's
    default, as in a flush."""
    groups: dict[tuple[Table, tuple[str, ...]], list[dict[str, Any]]] = {}
    for row in rows:
        table, pairs = _layout(type(row))
        state = row.__dict__
        values = {column: state[attr] for attr, column in pairs if state.get(attr) is not None}
        groups.setdefault((table, tuple(values)), []).append(values)
    for (table, _), batch in groups.items():
        session.execute(insert(table), batch)
