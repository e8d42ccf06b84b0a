"""Replay events into projections held in memory, with the indexer's own handlers.

The projections are a pure function of the ordered raw events, so replaying the chain's
events through ``projections.HANDLERS`` gives the rows the store must hold. The rows are
plain (transient) ORM objects in one dict per table: no database is touched.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from chain.indexer import projections
from chain.indexer.models import PROJECTION_TABLES


def primary_key_names(model: Any) -> tuple[str, ...]:
    return tuple(c.key for c in model.__table__.primary_key.columns)


def row_key(model: Any, row: Any) -> Any:
    """The primary key of a row as ``session.get`` takes it (a value, or a tuple)."""
    names = primary_key_names(model)
    if len(names) == 1:
        return getattr(row, names[0])
    return tuple(getattr(row, n) for n in names)


class MemoryProjections:
    """A :class:`projections.RowSource` in memory: the projections a replay builds."""

    def __init__(self) -> None:
        self._tables: dict[Any, dict[Any, Any]] = {model: {} for model in PROJECTION_TABLES}

    def get(self, entity: Any, ident: Any) -> Any:
        return self._tables[entity].get(ident)

    def add(self, instance: Any) -> None:
        model = type(instance)
        self._tables[model][row_key(model, instance)] = instance

    def rows(self, model: Any) -> dict[Any, Any]:
        """The rows of one table by primary key (the dict itself, not a copy)."""
        return self._tables[model]

    def count(self) -> int:
        return sum(len(rows) for rows in self._tables.values())

    def tables(self) -> Iterator[Any]:
        return iter(self._tables)


@dataclass(frozen=True)
class ReplayedEvent:
    """What the indexer derives from an event besides its log: for search and history."""

    subject_id: str | None
    actor_org_id: str | None
    asset_id: str | None


def replay(
    state: MemoryProjections,
    event: str,
    args: dict[str, Any],
    *,
    block_number: int,
    log_index: int,
    tx_hash: str,
    timestamp: int,
) -> ReplayedEvent:
    """Apply one event to ``state`` as the indexer does (describe first, then apply)."""
    subject, actor, asset_id = projections.describe(state, event, args)
    handler = projections.HANDLERS.get(event)
    if handler is not None:
        handler(
            projections.EventContext(
                session=state, event=event, args=args, block_number=block_number,
                log_index=log_index, tx_hash=tx_hash, timestamp=timestamp,
            )
        )  # fmt: skip
    return ReplayedEvent(subject, actor, asset_id)
