"""The projection rows one indexer batch touches, fetched in bulk, kept in memory and
written back with one bulk upsert per table.

The handlers of :mod:`chain.indexer.projections` ask a :class:`projections.RowSource` for
rows by primary key. :class:`BatchRows` is the indexer's one:

- the rows are plain objects (:class:`PlainRow`, one slotted class per projection
  table), not ORM objects: no identity map, no attribute instrumentation, no unit of
  work;
- up front it takes the rows the batch can touch (every key among the batch's event
  arguments: ids, addresses, indexes) from the :class:`RowCache` the indexer keeps
  across batches, and loads the rest with one ``SELECT ... WHERE key IN (...)`` per
  projection table; a key it looked for and did not find does not exist, only keys it
  could not foresee are asked for on their own;
- at the end of the batch (``write``) the rows the batch added, and the loaded rows
  whose values changed, are written with one ``INSERT ... ON CONFLICT DO UPDATE`` per
  table (SQLite and PostgreSQL), in the batch's transaction.

The cache is only valid for the checkpoint it was committed at: the store's projections
are a pure function of the canonical chain up to the checkpoint, so another store state
at the same (block, hash) holds the same rows. The indexer drops it whenever the
checkpoint it reads is not the one the cache belongs to (another indexer moved it, a
reorg rolled it back) and whenever a batch fails (its handlers changed cached rows in
place). A new process starts with an empty cache.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import keyword
import operator
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar

import orjson
from sqlalchemy import ARRAY, JSON, BigInteger, String, any_, bindparam, cast, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from chain.indexer import projections
from chain.indexer.models import PROJECTION_TABLES

#: Rows per ``IN (...)`` list (well under SQLite's and PostgreSQL's parameter limits).
IN_CHUNK = 500
#: Integers beyond this are amounts or times, never a row key.
MAX_KEY_INT = 2**63 - 1
#: Projection rows the indexer keeps across batches (least recently touched leave first).
CACHE_ROWS = 200_000


class PlainRow:
    """A projection row as plain attributes (the subclass per table names its columns)."""

    __slots__ = ("_saved",)
    model: ClassVar[Any] = None
    columns: ClassVar[tuple[str, ...]] = ()
    keys: ClassVar[tuple[str, ...]] = ()
    #: what the ORM would insert for a column a handler never set (its scalar default)
    defaults: ClassVar[dict[str, Any]] = {}
    #: whether a column holds a list (JSON): stored values are then copied
    lists: ClassVar[bool] = False
    values: Callable[[Any], tuple[Any, ...]]
    key_of: Callable[[Any], Any]
    #: sets every column from a tuple of values in column order
    assign: Callable[[Any, tuple[Any, ...]], None]

    def __init__(self, values: Mapping[str, Any]) -> None:
        for name, default in self.defaults.items():
            setattr(self, name, default)
        for name, value in values.items():
            setattr(self, name, value)
        #: the values as stored (None: not stored yet)
        self._saved: tuple[Any, ...] | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.key_of(self)!r})"

    @classmethod
    def stored(cls, saved: tuple[Any, ...]) -> PlainRow:
        """The row whose stored values (in column order) are ``saved``. Its lists are
        copies: a handler that changes one in place changes neither ``saved`` nor the
        cache that holds it, and is seen against ``saved``."""
        row = cls.__new__(cls)
        cls.assign(row, _frozen(saved) if cls.lists else saved)
        row._saved = saved
        return row


@functools.cache
def plain_class(model: Any) -> type[PlainRow]:
    """The :class:`PlainRow` class of a projection table."""
    table = model.__table__
    columns = tuple(c.key for c in table.columns)
    keys = tuple(c.key for c in table.primary_key.columns)
    # what the ORM would insert for a column a handler never set: its scalar default
    defaults = {
        c.key: (c.default.arg if c.default is not None and c.default.is_scalar else None)
        for c in table.columns
    }
    getter = operator.attrgetter(*columns)
    key_getter = operator.attrgetter(*keys)
    if not all(name.isidentifier() and not keyword.iskeyword(name) for name in columns):
        raise ValueError(f"{table.name}: a column name is not an attribute name")
    # one tuple assignment for every column: a quarter of the time of a setattr loop
    source = f"def assign(row, values):\n    {', '.join('row.' + c for c in columns)}, = values\n"
    scope: dict[str, Any] = {}
    exec(compile(source, f"<plain row {table.name}>", "exec"), scope)
    return type(
        f"Plain{model.__name__}",
        (PlainRow,),
        {
            "__slots__": columns,
            "model": model,
            "columns": columns,
            "keys": keys,
            "defaults": defaults,
            "lists": any(isinstance(c.type, JSON) for c in table.columns),
            "values": staticmethod(getter),  # every table has more than one column
            "key_of": staticmethod(key_getter),
            "assign": staticmethod(scope["assign"]),
        },
    )


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


@functools.cache
def _upsert(model: Any, dialect: str) -> Any:
    """``INSERT ... ON CONFLICT (key) DO UPDATE SET every other column`` of a table."""
    table = model.__table__
    statement: Any = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    keys = [c for c in table.primary_key.columns]
    return statement.on_conflict_do_update(
        index_elements=keys,
        set_={c.name: statement.excluded[c.name] for c in table.columns if not c.primary_key},
    )


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


class RowCache:
    """Projection rows of recent batches, valid at one checkpoint (see the module doc).

    A table is *complete* when the cache holds every row of it: loaded whole when the
    cache started (an empty or small table, up to the cache's bound) and nothing of it
    evicted since. A key a complete table does not hold does not exist: a batch asks
    the database nothing about such a table.

    A row is kept as its stored values (a tuple in column order), not as the
    :class:`PlainRow` a batch works on: a tuple of strings and numbers is one the garbage
    collector stops tracking, where a slotted object is walked by every full collection
    (56 ms for 200,000 rows of 13 columns, 114 ms for 200,000 asset rows: a pause of every
    thread of the gateway that runs the indexer). A batch gets a row of its own from them
    (:meth:`row`)."""

    def __init__(self, limit: int = CACHE_ROWS) -> None:
        self.limit = max(0, limit)
        #: the checkpoint (block, hash) the rows are the store's rows at; None: empty
        self.at: tuple[int, str | None] | None = None
        #: per table: stored values by key, least recently touched first
        self.tables: dict[Any, dict[Any, tuple[Any, ...]]] = {m: {} for m in PROJECTION_TABLES}
        self.complete: set[Any] = set()
        self.hits = 0
        self.loads = 0

    def clear(self) -> None:
        self.at = None
        for table in self.tables.values():
            table.clear()
        self.complete.clear()

    def size(self) -> int:
        return sum(len(table) for table in self.tables.values())

    def row(self, model: Any, key: Any) -> PlainRow | None:
        """A row of ``model`` as the cache holds it (None: not held)."""
        saved = self.tables[model].get(key)
        return None if saved is None else plain_class(model).stored(saved)

    def valid_at(self, number: int, block_hash: str | None) -> bool:
        """Whether the rows are the store's at this checkpoint; drops them otherwise."""
        if self.at is not None and self.at == (number, block_hash):
            return True
        self.clear()
        return False

    def keep(self, at: tuple[int, str | None], batch: BatchRows) -> None:
        """After the batch committed: its rows, most recently touched last, then bounded."""
        if self.limit == 0:
            return
        tables = self.tables
        for (model, key), row in batch.rows.items():
            if row is None:
                continue
            saved = row._saved
            if saved is None:  # a row the batch did not store: the cache cannot vouch
                self.clear()
                return
            table = tables[model]
            table.pop(key, None)
            table[key] = saved
        self.complete |= batch.whole
        total = self.size()
        while total > self.limit:  # the largest table gives up its oldest rows
            model = max(tables, key=lambda m: len(tables[m]))
            table = tables[model]
            excess = min(len(table), total - self.limit)
            for key in list(itertools.islice(table, excess)):
                del table[key]
            self.complete.discard(model)
            total -= excess
        self.at = at


class BatchRows:
    """A :class:`projections.RowSource` for one batch (see the module doc)."""

    def __init__(self, session: Session, cache: RowCache | None = None) -> None:
        self.session = session
        self.cache = cache if cache is not None else RowCache(0)
        self.dialect = session.get_bind().dialect.name
        #: every row the batch asked for or added (None: looked for, does not exist)
        self.rows: dict[tuple[Any, Any], PlainRow | None] = {}
        #: per table: the lookup-column values looked for up front (None: the whole table)
        self._known: dict[Any, set[Any] | None] = {}
        #: tables this batch holds whole (from the cache, or loaded whole)
        self.whole: set[Any] = set()
        self.fallbacks = 0
        self.written = 0

    # ------------------------------------------------------------ reading

    def prefetch(self, args_of_events: Iterable[Mapping[str, Any]]) -> None:
        cache = self.cache
        fresh = cache.at is None and cache.limit > 0  # the cache starts: fill it whole
        pending: list[Any] = []
        room = cache.limit
        for model in PROJECTION_TABLES:
            if model in cache.complete:
                self.whole.add(model)
                self._known[model] = None
                continue
            lookup = _lookup_column(model)
            if lookup is None or fresh:
                table = model.__table__
                count = 0 if lookup is None else self._count(table)
                if count <= room:
                    room -= count
                    self._load(model, select(table))
                    self.whole.add(model)
                    self._known[model] = None
                    continue
            pending.append(model)
        if not pending:
            return
        texts: set[str] = {projections.GOVERNANCE_KEY}
        ints: set[int] = set()
        for args in args_of_events:
            _values(args, texts, ints)
        by_width = {
            width: [v for v in texts if len(v) <= width and "," not in v] for width in (42, 66)
        }
        ints_list = list(ints)
        for model in pending:
            lookup = _lookup_column(model)
            assert lookup is not None
            _, column, is_text = lookup
            if is_text:
                width = getattr(model.__table__.columns[column].type, "length", None) or 66
                # a text with a comma is no id or address (and would not survive the
                # comma-separated parameter): such a key is asked for on its own
                wanted: list[Any] = by_width[42 if width < 66 else 66]
            else:
                wanted = ints_list
            self._known[model] = set(wanted)
            if not wanted:
                continue
            held = cache.tables[model]
            if len(_key_columns(model)) == 1 and held:
                stored = plain_class(model).stored
                missing = []
                for value in wanted:
                    hit = held.get(value)
                    if hit is None:
                        missing.append(value)
                    else:
                        self.rows[(model, value)] = stored(hit)
                        cache.hits += 1
            else:  # composite keys: the cache cannot say which rows share a value
                missing = list(wanted)
            if missing:
                missing.sort()
                table = model.__table__
                self._load(model, select(table).where(
                    self._among(table.columns[column], missing, is_text)))  # fmt: skip

    def _count(self, table: Any) -> int:
        return int(self.session.scalar(select(func.count()).select_from(table)) or 0)

    def _among(self, column: Any, values: list[Any], is_text: bool) -> Any:
        """``column IN values`` as one bound parameter: a JSON array on SQLite
        (``json_each``), a comma-separated text split into an array on PostgreSQL
        (``= ANY(string_to_array(...))``: keys are hex ids, addresses and integers, never a
        comma); chunked lists elsewhere."""
        if self.dialect == "sqlite":
            keys = func.json_each(bindparam("keys", orjson.dumps(values).decode()))
            return column.in_(select(keys.table_valued("value").c.value))
        if self.dialect == "postgresql":  # one text parameter: no per-element adaptation
            joined = bindparam("keys", ",".join(str(v) for v in values), type_=String())
            split: Any = func.string_to_array(joined, ",", type_=ARRAY(String()))
            if not is_text:
                split = cast(split, ARRAY(BigInteger()))
            return column == any_(split)
        return or_(*(column.in_(values[i : i + IN_CHUNK])
                     for i in range(0, len(values), IN_CHUNK)))  # fmt: skip

    def _load(self, model: Any, query: Any) -> None:
        stored = plain_class(model).stored
        rows = self.rows
        for values in self.session.execute(query):
            row = stored(tuple(values))
            # a row this batch already has is the same row as stored: keep that object
            rows.setdefault((model, row.key_of(row)), row)
            self.cache.loads += 1

    def get(self, entity: Any, ident: Any) -> Any:
        entry = (entity, ident)
        found = self.rows.get(entry, self)
        if found is not self:
            return found
        known = self._known.get(entity, set())
        if known is None:  # the whole table is here (this batch's rows, or the cache)
            row = self.cache.row(entity, ident)
            self.rows[entry] = row
            return row
        lookup = _lookup_column(entity)
        if lookup is not None:
            position, _, _ = lookup
            value = ident[position] if isinstance(ident, tuple) else ident
            if value in known:  # looked for up front (every row with this value): none
                self.rows[entry] = None
                return None
        self.fallbacks += 1
        table = entity.__table__
        names = _key_columns(entity)
        idents = ident if isinstance(ident, tuple) else (ident,)
        query = select(table).where(
            *(table.columns[n] == v for n, v in zip(names, idents, strict=True))
        )
        self._load(entity, query)
        return self.rows.setdefault(entry, None)

    # ------------------------------------------------------------ writing

    def new_row(self, model: Any, values: Mapping[str, Any]) -> PlainRow:
        """A new row of ``model`` (joins the batch with ``add``)."""
        return plain_class(model)(values)

    def add(self, instance: Any) -> None:
        self.rows[(instance.model, instance.key_of(instance))] = instance

    def write(self) -> int:
        """Upsert the rows the batch added or changed; returns how many."""
        return self.store(self.prepare())

    def prepare(self) -> list[tuple[_DriverUpsert, list[Any]]]:
        """The upserts of the rows the batch added or changed, parents first, each with
        its driver parameters: built before the write transaction (:meth:`store` only
        runs them). The rows count as stored from here: a batch not stored clears the
        row cache."""
        changed: dict[Any, list[PlainRow]] = {}
        for (model, _), row in self.rows.items():
            if row is None:
                continue
            values = row.values(row)
            if values != row._saved:
                changed.setdefault(model, []).append(row)
        dialect = self.session.get_bind().dialect
        upserts: list[tuple[_DriverUpsert, list[Any]]] = []
        for model in PROJECTION_TABLES:  # parents first, as the tables are declared
            rows = changed.get(model)
            if not rows:
                continue
            upsert = _driver_upsert(model, dialect)
            params = []
            for row in rows:
                values = row.values(row)
                params.append(upsert.params(values))
                row._saved = _frozen(values) if row.lists else values
            upserts.append((upsert, params))
        return upserts

    def store(self, upserts: list[tuple[_DriverUpsert, list[Any]]]) -> int:
        """Run :meth:`prepare`'s upserts in ``self.session``'s transaction; how many rows."""
        total = 0
        raw: Any = None
        for upsert, params in upserts:
            if raw is None:
                raw = self.session.connection().connection.driver_connection
            upsert.run(raw, params)
            total += len(params)
        self.written = total
        return total


class _DriverUpsert:
    """A table's upsert as the driver takes it: the SQL the dialect compiles, and the
    rows' values through the column types' bind processing (what ``Session.execute``
    does, without its per-row statement machinery), text with NUL refused."""

    def __init__(self, model: Any, dialect: Any) -> None:
        compiled: Any = _upsert(model, dialect.name).compile(dialect=dialect)
        self.sql = str(compiled)
        self.table = str(model.__tablename__)
        plain = plain_class(model)
        self.columns = plain.columns
        names = list(compiled.positiontup or plain.columns)
        if names != list(plain.columns):
            raise ValueError(f"{self.table}: the upsert's parameters are not its columns")
        processors = compiled._bind_processors
        self.processed = tuple(
            (i, processors[name]) for i, name in enumerate(names) if name in processors
        )
        self.texts = tuple(
            i for i, c in enumerate(model.__table__.columns) if isinstance(c.type, String)
        )
        self.named = dialect.paramstyle in ("pyformat", "named")
        self.copy = dialect.name == "postgresql"
        if self.copy:  # COPY into a temporary twin, then one INSERT ... SELECT ... ON CONFLICT
            table = model.__table__
            quote = dialect.identifier_preparer.quote
            listed = ", ".join(quote(c.name) for c in table.columns)
            twin = f"tmp_{self.table}"
            keys = ", ".join(quote(c.name) for c in table.primary_key.columns)
            sets = ", ".join(
                f"{quote(c.name)} = EXCLUDED.{quote(c.name)}"
                for c in table.columns
                if not c.primary_key
            )
            self.prepare = (
                f"CREATE TEMPORARY TABLE IF NOT EXISTS {twin} "
                f"(LIKE {self.table}) ON COMMIT DELETE ROWS"
            )
            self.fill = f"COPY {twin} ({listed}) FROM STDIN"
            self.merge = (
                f"INSERT INTO {self.table} ({listed}) SELECT {listed} FROM {twin} "
                f"ON CONFLICT ({keys}) DO UPDATE SET {sets}"
            )
            self.empty = f"DELETE FROM {twin}"
            self.named = False

    def run(self, raw: Any, params: list[Any]) -> None:
        """Write the rows (``params`` from ``params``) on the driver connection."""
        with contextlib.closing(raw.cursor()) as cursor:
            if not self.copy:
                cursor.executemany(self.sql, params)
                return
            cursor.execute(self.prepare)
            with cursor.copy(self.fill) as copy:
                for values in params:
                    copy.write_row(values)
            cursor.execute(self.merge)
            cursor.execute(self.empty)  # a second write in the same transaction starts empty

    def params(self, values: tuple[Any, ...]) -> Any:
        for i in self.texts:
            value = values[i]
            if isinstance(value, str) and "\x00" in value:
                raise ValueError(f"{self.table}: NUL character in {self.columns[i]}")
        if self.processed:
            out = list(values)
            for i, process in self.processed:
                out[i] = process(out[i])
            values = tuple(out)
        return dict(zip(self.columns, values, strict=True)) if self.named else values


@functools.cache
def _driver_upsert(model: Any, dialect: Any) -> _DriverUpsert:
    return _DriverUpsert(model, dialect)


def _frozen(values: tuple[Any, ...]) -> tuple[Any, ...]:
    """The stored values, lists copied (a handler that changed a list in place is seen)."""
    if any(isinstance(v, list) for v in values):
        return tuple(list(v) if isinstance(v, list) else v for v in values)
    return values
