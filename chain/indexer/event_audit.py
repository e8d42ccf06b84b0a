"""Check the stored blocks and raw events against the chain, one block range at a time.

The indexed blocks ``start_block .. checkpoint`` are cut into aligned ranges. For each
range the stored rows (``idx_blocks``, ``idx_events``) are read in key order and hashed
(SHA-256 over a canonical JSON line per row). A range whose rows were once found equal
to the chain is remembered as (range, hash of its last block) -> digest of its rows:
the last block's hash fixes every block and log below it, so while the chain still has
that block, a store whose rows hash to the same digest holds exactly the verified rows
and needs no further chain reads. Any other range is compared row by row with the logs
``eth_getLogs`` returns for it (decoded by the indexer's decoder) and the block headers,
and the entries name each changed, missing or extra row.

A range compared row by row replays the chain's events into the in-memory projections
(``compare_range``), which also yields the columns the indexer derives (subject, actor,
asset) that the comparison needs; a range that matched its digest is replayed from its
stored events when the projections are to be compared (``replay_stored``).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from web3 import Web3

from chain.indexer import row_diff
from chain.indexer.core import Header, Rpc
from chain.indexer.decoder import ContractSpec, DecodedLog, LogDecoder, event_signature
from chain.indexer.models import IndexedBlock, RawEvent
from chain.indexer.replay import MemoryProjections, replay

BLOCKS = IndexedBlock.__tablename__
EVENTS = RawEvent.__tablename__
BLOCK_FIELDS = ("number", "hash", "parent_hash", "timestamp")
#: Every column of a raw event but the surrogate ``id`` (which no chain fact decides).
EVENT_FIELDS = tuple(c.key for c in RawEvent.__table__.columns if c.key != "id")
#: Fields compared for a stored event (its position is its key).
EVENT_COMPARED = tuple(f for f in EVENT_FIELDS if f not in ("block_number", "log_index"))
DEFAULT_RANGE_BLOCKS = 500


@dataclass(frozen=True)
class BlockRange:
    first: int
    last: int


def block_ranges(start: int, end: int, size: int) -> Iterator[BlockRange]:
    """``start .. end`` in ranges of ``size`` blocks aligned on ``start`` (the last may be
    shorter, and grows as the indexer moves: earlier ranges keep their bounds)."""
    first = start
    while first <= end:
        yield BlockRange(first, min(end, first + size - 1))
        first += size


class VerifiedRanges:
    """Digests of ranges found equal to the chain, per process (bounded, least recently
    used first out). Keyed by the followed contracts and events, the range and the hash of
    the range's last block."""

    def __init__(self, max_entries: int = 200_000) -> None:
        self.max_entries = max_entries
        self._digests: OrderedDict[tuple[Any, ...], str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> str | None:
        with self._lock:
            digest = self._digests.get(key)
            if digest is not None:
                self._digests.move_to_end(key)
            return digest

    def put(self, key: tuple[Any, ...], digest: str) -> None:
        with self._lock:
            self._digests[key] = digest
            self._digests.move_to_end(key)
            while len(self._digests) > self.max_entries:
                self._digests.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._digests.clear()


VERIFIED_RANGES = VerifiedRanges()


def canonical(table: str, values: Sequence[Any]) -> bytes:
    """One row as canonical JSON (object members sorted), the unit hashed into digests."""
    return json.dumps([table, *values], separators=(",", ":"), sort_keys=True, default=str).encode()


@dataclass
class StoredRange:
    """One range's stored rows (in key order) and their digest."""

    blocks: list[dict[str, Any]]
    events: list[dict[str, Any]]
    digest: str


def load_range(session: Session, r: BlockRange) -> StoredRange:
    """The range's stored blocks and events, read without the ORM's identity map."""
    digest = hashlib.sha256()
    block_cols = [IndexedBlock.__table__.c[f] for f in BLOCK_FIELDS]
    blocks = []
    for row in session.execute(
        select(*block_cols)
        .where(IndexedBlock.number.between(r.first, r.last))
        .order_by(IndexedBlock.number)
    ):
        values = tuple(row)
        digest.update(canonical(BLOCKS, values) + b"\n")
        blocks.append(dict(zip(BLOCK_FIELDS, values, strict=True)))
    event_cols = [RawEvent.__table__.c[f] for f in ("id", *EVENT_FIELDS)]
    events = []
    for row in session.execute(
        select(*event_cols)
        .where(RawEvent.block_number.between(r.first, r.last))
        .order_by(RawEvent.block_number, RawEvent.log_index, RawEvent.id)
    ):
        values = tuple(row)
        digest.update(canonical(EVENTS, values[1:]) + b"\n")
        events.append(dict(zip(("id", *EVENT_FIELDS), values, strict=True)))
    return StoredRange(blocks, events, digest.hexdigest())


class ChainLogs:
    """The chain's side: raw logs by block range, decoded by the indexer's decoder."""

    def __init__(self, w3: Web3, contracts: Sequence[ContractSpec]) -> None:
        self.rpc = Rpc(w3)
        self.decoder = LogDecoder(contracts)
        events = sorted(
            f"{c.name}={c.address.lower()}:{event_signature(item)}"
            for c in contracts
            for item in c.abi
            if item.get("type") == "event"
        )
        #: Names the contracts and events followed: part of every verified range's key.
        self.fingerprint = hashlib.sha256("|".join(events).encode()).hexdigest()

    def logs(self, r: BlockRange) -> list[DecodedLog]:
        raw = self.rpc.logs(self.decoder.addresses, r.first, r.last)
        decoded = self.decoder.decode_all(raw)
        return sorted(decoded, key=lambda d: (d.block_number, d.log_index))

    def headers(self, numbers: Sequence[int]) -> dict[int, Header | None]:
        return self.rpc.maybe_headers(list(numbers))


def _block_dict(h: Header) -> dict[str, Any]:
    return {"number": h.number, "hash": h.hash, "parent_hash": h.parent_hash,
            "timestamp": h.timestamp}  # fmt: skip


def _event_key(block_number: int, log_index: int) -> dict[str, Any]:
    return {"block_number": block_number, "log_index": log_index}


@dataclass
class RangeOutcome:
    """What one range's check found: the entries, and the chain's event count there."""

    differences: list[row_diff.Difference] = field(default_factory=list)
    chain_events: int = 0


def replay_stored(state: MemoryProjections, stored: StoredRange) -> None:
    """Replay a range whose stored events are verified (the digest matched)."""
    for e in stored.events:
        replay(
            state, e["event"], e["args"], block_number=e["block_number"],
            log_index=e["log_index"], tx_hash=e["tx_hash"], timestamp=e["timestamp"],
        )  # fmt: skip


def compare_range(
    state: MemoryProjections,
    stored: StoredRange,
    chain: ChainLogs,
    r: BlockRange,
    checkpoint_block: int,
) -> RangeOutcome:
    """Row by row: the range's stored blocks and events against the chain's."""
    logs = chain.logs(r)
    wanted = {b["number"] for b in stored.blocks} | {d.block_number for d in logs}
    headers = chain.headers(sorted(wanted))
    outcome = RangeOutcome(chain_events=len(logs))
    outcome.differences += _compare_blocks(stored, headers, logs, r, checkpoint_block)
    outcome.differences += _compare_events(state, stored, headers, logs)
    return outcome


def _compare_blocks(
    stored: StoredRange,
    headers: Mapping[int, Header | None],
    logs: Sequence[DecodedLog],
    r: BlockRange,
    checkpoint_block: int,
) -> list[row_diff.Difference]:
    """Every stored block must be the chain's; blocks with events and the checkpoint's
    block must be stored (the indexer keeps no other block it does not need)."""
    out: list[row_diff.Difference] = []
    have = {b["number"] for b in stored.blocks}
    for block in stored.blocks:
        key = {"number": block["number"]}
        header = headers.get(block["number"])
        if header is None:
            out.append(row_diff.extra(BLOCKS, key, block))
        else:
            out += row_diff.changed(BLOCKS, key, block, _block_dict(header), BLOCK_FIELDS[1:])
    required = {d.block_number for d in logs}
    if r.first <= checkpoint_block <= r.last:
        required.add(checkpoint_block)
    for number in sorted(required - have):
        header = headers.get(number)
        expected = _block_dict(header) if header is not None else {"number": number}
        out.append(row_diff.missing(BLOCKS, {"number": number}, expected))
    return out


def _compare_events(
    state: MemoryProjections,
    stored: StoredRange,
    headers: Mapping[int, Header | None],
    logs: Sequence[DecodedLog],
) -> list[row_diff.Difference]:
    """Replays the chain's events (in order) and compares each with the stored row at
    its position; stored rows at no chain position are extra."""
    out: list[row_diff.Difference] = []
    by_key: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for e in stored.events:
        by_key.setdefault((e["block_number"], e["log_index"]), []).append(e)
    for d in logs:
        header = headers.get(d.block_number)
        derived = replay(
            state, d.event, d.args, block_number=d.block_number, log_index=d.log_index,
            tx_hash=d.tx_hash, timestamp=header.timestamp if header else 0,
        )  # fmt: skip
        expected = {
            "block_number": d.block_number, "block_hash": d.block_hash, "tx_hash": d.tx_hash,
            "log_index": d.log_index, "timestamp": header.timestamp if header else None,
            "contract": d.contract, "address": d.address, "event": d.event, "args": d.args,
            "subject_id": derived.subject_id, "actor_org_id": derived.actor_org_id,
            "asset_id": derived.asset_id,
        }  # fmt: skip
        key = _event_key(d.block_number, d.log_index)
        candidates = by_key.get((d.block_number, d.log_index))
        if not candidates:
            out.append(row_diff.missing(EVENTS, key, expected))
            continue
        same_log = (
            c for c in candidates if (c["tx_hash"], c["block_hash"]) == (d.tx_hash, d.block_hash)
        )
        match = next(same_log, candidates[0])
        candidates.remove(match)
        out += row_diff.changed(EVENTS, key, match, expected, EVENT_COMPARED)
    for rows in by_key.values():
        for e in rows:
            out.append(row_diff.extra(EVENTS, _event_key(e["block_number"], e["log_index"]), e))
    return out


def outside_rows(
    session: Session, start: int, end: int, limit: int = 1000
) -> list[row_diff.Difference]:
    """Stored blocks and events outside the indexed range ``start .. end`` (all extra;
    at most ``limit`` of each kind, as the report lists no more)."""
    out: list[row_diff.Difference] = []
    block_cols = [IndexedBlock.__table__.c[f] for f in BLOCK_FIELDS]
    for row in session.execute(
        select(*block_cols)
        .where(or_(IndexedBlock.number < start, IndexedBlock.number > end))
        .order_by(IndexedBlock.number)
        .limit(limit)
    ):
        block = dict(zip(BLOCK_FIELDS, tuple(row), strict=True))
        out.append(row_diff.extra(BLOCKS, {"number": block["number"]}, block))
    event_cols = [RawEvent.__table__.c[f] for f in ("id", *EVENT_FIELDS)]
    for row in session.execute(
        select(*event_cols)
        .where(or_(RawEvent.block_number < start, RawEvent.block_number > end))
        .order_by(RawEvent.block_number, RawEvent.log_index, RawEvent.id)
        .limit(limit)
    ):
        e = dict(zip(("id", *EVENT_FIELDS), tuple(row), strict=True))
        out.append(row_diff.extra(EVENTS, _event_key(e["block_number"], e["log_index"]), e))
    return out
