"""In-flight operations as the receipt tracker reads them: the columns it uses, as plain
rows.

The tracker reads every in-flight operation at each poll (a block's worth of writes and
more). As ORM objects, with their JSON columns parsed and each put in a session's
identity map, that read cost about ten times the query itself; the tracker never needs
the arguments, events or timestamps, and changes operations by statements, not through
the objects.
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, fields

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from chain.txpipe.models import IN_FLIGHT, Operation


@dataclass(slots=True, eq=False)
class Tracked:
    """One in-flight operation, read without the ORM (see the module's docstring)."""

    id: str
    state: str
    signer: str
    nonce: int
    tx_hash: str
    contract_name: str
    contract_address: str
    gas_limit: int
    raw_tx: bytes


#: what the tracker and a re-send read of an operation: the ORM object (a write being
#: waited for, one just journaled) or the tracker's plain row; a send sets its ``state``
TrackedOp = Operation | Tracked

#: the columns read, in the order of :class:`Tracked`'s fields
_COLUMNS = tuple(getattr(Operation, f.name) for f in fields(Tracked))


#: one state's operations of a chain in nonce order per signer, read along
#: ``ix_operations_in_flight`` (chain, state, signer, nonce): no sort, no other row read
#: (with ``state IN (...)`` SQLite took the (chain, signer, nonce) key to spare the sort,
#: and read every operation the chain ever had); built once
_OF_STATE = (
    select(*_COLUMNS)
    .where(Operation.chain_id == bindparam("chain_id"), Operation.state == bindparam("state"))
    .order_by(Operation.signer, Operation.nonce)
)
_OF_STATE_LIMITED = _OF_STATE.limit(bindparam("limit"))


def read_in_flight(session: Session, chain_id: int, limit: int | None = None) -> list[Tracked]:
    """The in-flight operations of a chain in nonce order per signer (at most ``limit``):
    one indexed read per in-flight state, merged."""
    statement = _OF_STATE if limit is None else _OF_STATE_LIMITED
    per_state = [
        [
            Tracked(str(i), str(st), str(s), int(n), str(h), str(cn), str(ca), int(g), bytes(raw))
            for i, st, s, n, h, cn, ca, g, raw in session.execute(
                statement, {"chain_id": chain_id, "state": state, "limit": limit}
            )
        ]
        for state in sorted(IN_FLIGHT)
    ]
    merged = heapq.merge(*per_state, key=lambda op: (op.signer, op.nonce))
    return list(merged if limit is None else itertools.islice(merged, limit))
