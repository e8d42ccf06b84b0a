"""The projection rows one indexer batch touches, fetched in bulk and kept in memory.

The handlers of :mod:`chain.indexer.projections` ask a :class:`projections.RowSource` for
rows by primary key. Asking the database session once per event (with autoflush, so
that the rows added by earlier events of the batch are found) costs a round trip and a
flush per event. :class:`BatchRows` instead

- loads up front, one ``SELECT ... WHERE key IN (...)`` per projection table, every row
  whose key appears among the batch's event arguments (ids, addresses, indexes);
- keeps the rows the batch adds or changes in a dict, so later events of the same
  batch see them without a flush;
- knows that a key it looked for up front and did not find does not exist, and asks
  the session (without autoflush) only for keys it could not foresee.

The rows stay ordinary ORM objects of the batch's session: new ones are added, loaded
ones change in place, and the session writes them at the end of the batch in one flush
(SQLAlchemy groups the INSERTs and UPDATEs of one table into executemany batches).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Any

import orjson
from sqlalchemy import ARRAY, BigInteger, String, any_, bindparam, cast, func, or_, select
from sqlalchemy.orm import Session

from chain.indexer import projections
from chain.indexer.models import PROJECTION_TABLES

#: Rows per ``IN (...)`` list (well under SQLite's and PostgreSQL's parameter limits).
IN_CHUNK = 500
#: Integers beyond this are amounts or times, never a row key.
MAX_KEY_INT = 2**63 - 1


@functools.cache
def _key_columns(model: Any) -> tuple[str, ...]:
    return tuple(c.key for c in model.__table__.primary_key.columns)


@functools.cache
def _lookup_column(model: Any) -> tuple[int, str, bool] | None:
    """(position in the key, column name, is text) of the key column to prefetch by: the
    first id-like text column (32-byte ids, addresses), else a first integer column."""
    columns = list(model.__table__.primary_key.columns)
    for position, column in enumerate(columns):
        if isinstance(column.type, String) and (column.type.length or 0) >= 42:
            return position, column.key, True
    first = columns[0]
    if not isinstance(first.type, String):
        return 0, first.key, False
    return None  # small text keys (governance, account roles): tiny tables, loaded whole


#: Lengths of the text keys worth looking for: 0x + 32-byte ids, 0x + addresses.
KEY_LENGTHS = (66, 42)


def _values(args: Any, texts: set[str], ints: set[int]) -> None:
    if isinstance(args, str):
        if len(args) in KEY_LENGTHS:
            texts.add(args)
            texts.add(args.lower())
    elif isinstance(args, bool):
        return
    elif isinstance(args, int):
        if 0 <= args <= MAX_KEY_INT:
            ints.add(args)
    elif isinstance(args, Mapping):
        for value in args.values():
            _values(value, texts, ints)
    elif isinstance(args, list | tuple):
        for value in args:
            _values(value, texts, ints)


class BatchRows:
    """A :class:`projections.RowSource` over one batch's session (see the module doc)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._rows: dict[tuple[Any, Any], Any] = {}
        #: per table: the lookup-column values loaded up front (None: the whole table)
        self._known: dict[Any, set[Any] | None] = {}
        self.fallbacks = 0

    def prefetch(self, args_of_events: Iterable[Mapping[str, Any]]) -> None:
        texts: set[str] = {projections.GOVERNANCE_KEY}
        ints: set[int] = set()
        for args in args_of_events:
            _values(args, texts, ints)
        for model in PROJECTION_TABLES:
            lookup = _lookup_column(model)
            if lookup is None:
                self._load(model, select(model))
                self._known[model] = None
                continue
            _, column, is_text = lookup
            if is_text:
                width = getattr(model.__table__.columns[column].type, "length", None) or 66
                # a text with a comma is no id or address (and would not survive the
                # comma-separated parameter): such a key is asked for on its own
                wanted: list[Any] = sorted(v for v in texts if len(v) <= width and "," not in v)
            else:
                wanted = sorted(ints)
            if wanted:
                self._load(model, select(model).where(self._among(getattr(model, column),
                                                                  wanted, is_text)))  # fmt: skip
            self._known[model] = set(wanted)

    def _among(self, column: Any, values: list[Any], is_text: bool) -> Any:
        """``column IN values`` as one bound parameter: a JSON array on SQLite
        (``json_each``), a comma-separated text split into an array on PostgreSQL
        (``= ANY(string_to_array(...))``: keys are hex ids, addresses and integers, never a
        comma); chunked lists elsewhere."""
        dialect = self.session.get_bind().dialect.name
        if dialect == "sqlite":
            keys = func.json_each(bindparam("keys", orjson.dumps(values).decode()))
            return column.in_(select(keys.table_valued("value").c.value))
        if dialect == "postgresql":  # one text parameter: no per-element adaptation
            joined = bindparam("keys", ",".join(str(v) for v in values), type_=String())
            split: Any = func.string_to_array(joined, ",", type_=ARRAY(String()))
            if not is_text:
                split = cast(split, ARRAY(BigInteger()))
            return column == any_(split)
        return or_(*(column.in_(values[i : i + IN_CHUNK])
                     for i in range(0, len(values), IN_CHUNK)))  # fmt: skip

    def _load(self, model: Any, query: Any) -> None:
        names = _key_columns(model)
        with self.session.no_autoflush:
            for row in self.session.scalars(query):
                self._rows[(model, self._key(names, row))] = row

    @staticmethod
    def _key(names: tuple[str, ...], row: Any) -> Any:
        if len(names) == 1:
            return getattr(row, names[0])
        return tuple(getattr(row, n) for n in names)

    def get(self, entity: Any, ident: Any) -> Any:
        found = self._rows.get((entity, ident), self)
        if found is not self:
            return found
        known = self._known.get(entity, set())
        if known is None:  # the whole table is loaded
            return None
        lookup = _lookup_column(entity)
        if lookup is not None:
            position, _, _ = lookup
            value = ident[position] if isinstance(ident, tuple) else ident
            if value in known:
                return None
        self.fallbacks += 1
        with self.session.no_autoflush:
            row = self.session.get(entity, ident)
        self._rows[(entity, ident)] = row
        return row

    def add(self, instance: Any) -> None:
        model: Any = type(instance)
        self.session.add(instance)
        self._rows[(model, self._key(_key_columns(model), instance))] = instance
