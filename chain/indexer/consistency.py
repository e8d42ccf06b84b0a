"""The auditor's consistency check: every stored row against the chain.

At the last indexed block (the checkpoint) the check covers (``row_check``)

* every stored block and raw event, range by range against the chain's headers and logs
  (``event_audit``: a digest per range makes a re-check of unchanged ranges local);
* every projection row, against the rows a replay of the chain's events builds with the
  indexer's own handlers (``replay``, ``projection_audit``);
* the checkpoint row (chain id, contracts, block hash, event count);

and what the v2 contracts' views answer about certificates, recognitions, assets'
usability and payments (``consistency_views``).

Each difference names the table (or kind), the key, the field and both values. The
report also carries a hash chain over the stored events (the digests of the ranges in
order), which two gateways indexing the same contracts can compare.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from web3 import Web3

from chain.artifacts import load
from chain.indexer import consistency_views as views
from chain.indexer import event_audit
from chain.indexer.decoder import ContractSpec
from chain.indexer.models import Checkpoint
from chain.indexer.row_check import RowCheck, StoredCheckpoint
from chain.indexer.runner import FOLLOWED_CONTRACTS

#: The report lists at most this many differences (``truncated`` says when there were more).
MAX_DIFFERENCES = 1000
_ATTEMPTS = 3


@dataclass
class ConsistencyReport:
    block: int | None
    checked: dict[str, int] = field(default_factory=dict)
    differences: list[dict[str, Any]] = field(default_factory=list)
    events_digest: str | None = None
    truncated: bool = False

    @property
    def consistent(self) -> bool:
        return not self.differences

    def add(self, differences: Sequence[dict[str, Any]]) -> None:
        room = MAX_DIFFERENCES - len(self.differences)
        if len(differences) > room:
            self.truncated = True
        self.differences += differences[: max(0, room)]

    def to_json(self) -> dict[str, Any]:
        return {
            "block": self.block,
            "consistent": self.consistent,
            "checked": self.checked,
            "differences": self.differences,
            "events_digest": self.events_digest,
            "truncated": self.truncated,
        }


@dataclass(frozen=True)
class _Snapshot:
    stream: str
    chain_id: int
    contracts: dict[str, Any]
    start_block: int
    block_number: int
    block_hash: str | None
    events: int

    @property
    def checkpoint(self) -> StoredCheckpoint:
        return StoredCheckpoint(
            stream=self.stream, chain_id=self.chain_id, contracts=self.contracts,
            block_hash=self.block_hash, events=self.events,
        )  # fmt: skip


def _snapshot(session: Session) -> _Snapshot | None:
    table = Checkpoint.__table__
    row = session.execute(select(*table.columns).order_by(table.c.stream).limit(1)).first()
    if row is None:
        return None
    cp = row._mapping
    return _Snapshot(
        stream=cp["stream"], chain_id=cp["chain_id"], contracts=dict(cp["contracts"] or {}),
        start_block=cp["start_block"], block_number=cp["block_number"],
        block_hash=cp["block_hash"], events=cp["events"],
    )  # fmt: skip


def specs_from_checkpoint(contracts: dict[str, Any]) -> list[ContractSpec]:
    """The followed contracts as the checkpoint names them, each with the events of every
    followed contract's ABI (for callers that do not pass the deployment's specs)."""
    abi = [item for name in FOLLOWED_CONTRACTS for item in load(name).abi]
    return [ContractSpec(name=str(n), address=str(a), abi=abi) for n, a in contracts.items()]


def consistency_check(
    session: Session,
    w3: Web3,
    registry: Any,
    revenue: Any | None,
    limit: int | None = None,
    *,
    contracts: Sequence[ContractSpec] | None = None,
    verified: event_audit.VerifiedRanges | None = None,
    range_blocks: int = event_audit.DEFAULT_RANGE_BLOCKS,
) -> ConsistencyReport:
    """Compare every stored row with the chain at the last indexed block.

    ``contracts`` are the contracts the indexer follows (by default the checkpoint's,
    with the followed contracts' ABIs); ``verified`` remembers verified ranges (by
    default per process). When the indexer moves on during the check, the check is run
    again at the new checkpoint, so rows written meanwhile are never reported.
    """
    report = ConsistencyReport(block=None)
    for _ in range(_ATTEMPTS):
        snap = _snapshot(session)
        if snap is None or snap.block_hash is None:
            return ConsistencyReport(block=None)
        report = _check(
            session, w3, registry, revenue, limit, snap, contracts,
            verified if verified is not None else event_audit.VERIFIED_RANGES, range_blocks,
        )  # fmt: skip
        if _snapshot(session) == snap:
            return report
    return report


def _check(
    session: Session,
    w3: Web3,
    registry: Any,
    revenue: Any | None,
    limit: int | None,
    snap: _Snapshot,
    contracts: Sequence[ContractSpec] | None,
    verified: event_audit.VerifiedRanges,
    range_blocks: int,
) -> ConsistencyReport:
    block = snap.block_number
    report = ConsistencyReport(block=block)
    count, found = views.certificate_statuses(session, registry, block, limit)
    report.checked["certificates"] = count
    report.add(found)
    count, found = views.recognitions(session, registry, block)
    report.checked["recognitions"] = count
    report.add(found)
    count, found = views.usability(session, registry, block, limit)
    report.checked["asset_usability"] = count
    report.add(found)
    count = 0
    if revenue is not None:
        count, found = views.payments(session, revenue, block)
        report.add(found)
    report.checked["assets_with_payments"] = count

    specs = list(contracts) if contracts is not None else specs_from_checkpoint(snap.contracts)
    rows = RowCheck(
        session, w3, specs, verified, snap.start_block, snap.block_number, range_blocks
    )
    found = rows.run(snap.checkpoint)
    report.checked.update(rows.checked)
    report.add(found)
    report.events_digest = rows.events_digest
    return report
