"""The indexer: follows contract logs into the store, through reorgs and crashes.

One ``step()`` reads the checkpoint, verifies that the stored tail is still canonical,
fetches the next batch of blocks (up to ``head - confirmations``) with one raw
``eth_getLogs`` and one batched header request, checks parent-hash continuity from the
stored tail to the batch's last block, and writes blocks, raw events, projections and
the new checkpoint in ONE database transaction. The checkpoint update is a
compare-and-set on the previous tail, so two indexers on one store never both apply a
batch, and a process killed at any point resumes from the last committed checkpoint
with no duplicate (raw events are unique by block hash, tx hash and log index) and no
gap (the checkpoint only moves together with the data it covers).

Reorgs: when the stored tail's hash is no longer the chain's hash at that height, the
indexer walks back over its stored blocks to the highest one still canonical (the fork
point), deletes blocks and raw events above it, rebuilds the projections from the
remaining raw events (projections are pure functions of the ordered events) and moves
the checkpoint to the fork point; the next steps re-apply the new branch.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3

from chain.db import write_turn
from chain.indexer import projections
from chain.indexer.batch import CACHE_ROWS, BatchRows, RowCache
from chain.indexer.decoder import ContractSpec, DecodedLog, LogDecoder
from chain.indexer.models import Checkpoint, IndexedBlock, RawEvent
from chain.indexer.prefetch import FetchedRange, Prefetcher, fetch_range
from chain.indexer.raw_events import prepare_events, store_events
from chain.indexer.rpc import ChainMoved as ChainMoved
from chain.indexer.rpc import Header as Header
from chain.indexer.rpc import IndexerError as IndexerError
from chain.indexer.rpc import LogsRefused as LogsRefused
from chain.indexer.rpc import Rpc as Rpc

log = logging.getLogger(__name__)

#: Events a batch aims at (one database transaction, bounded memory).
TARGET_EVENTS = 5_000
#: Blocks of the first range (doubling while batches stay sparse, up to ``batch_size``):
#: a catch-up over dense blocks never starts with one huge transaction.
FIRST_SPAN = 50


@dataclass
class StepResult:
    from_block: int
    to_block: int
    events: int
    reorg_depth: int = 0

    @property
    def idle(self) -> bool:
        return self.to_block < self.from_block and self.reorg_depth == 0


@dataclass
class IndexerStats:
    head: int | None = None
    steps: int = 0
    events: int = 0
    reorgs: int = 0
    last_reorg_depth: int = 0
    last_error: str | None = None
    last_step_at: float | None = None
    events_per_second: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


def stream_id(chain_id: int, contracts: Sequence[ContractSpec]) -> str:
    """The checkpoint key of a chain and a set of contracts."""
    members = sorted(f"{c.name}={c.address.lower()}" for c in contracts)
    digest = hashlib.sha256("|".join(members).encode()).hexdigest()[:16]
    return f"{chain_id}:{digest}"


def lag_behind(
    head: int | None, confirmations: int, indexed: int | None, start_block: int
) -> int | None:
    """Blocks between the head (less the confirmations awaited) and the last block the
    store holds (none yet: the block before ``start_block``); None without a head."""
    if head is None:
        return None
    return max(0, head - confirmations - (indexed if indexed is not None else start_block - 1))


class Indexer:
    """Follows the logs of ``contracts`` from ``start_block`` into the store."""

    def __init__(
        self,
        w3: Web3,
        factory: sessionmaker[Session],
        contracts: Sequence[ContractSpec],
        *,
        start_block: int,
        chain_id: int | None = None,
        batch_size: int = 500,
        confirmations: int = 0,
        target_events: int = TARGET_EVENTS,
        cache_rows: int = CACHE_ROWS,
        prefetch: bool = True,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        #: the block range of the next batch: starts at ``FIRST_SPAN``, shrinks where blocks
        #: are dense with events (about ``target_events`` a batch) or the node refuses a
        #: range, grows up to ``batch_size`` where they are sparse
        self.span = min(batch_size, FIRST_SPAN)
        self.target_events = max(1, target_events)
        self.w3 = w3
        self.rpc = Rpc(w3)
        self.factory = factory
        self.contracts = tuple(contracts)
        self.decoder = LogDecoder(self.contracts)
        self.addresses = self.decoder.addresses
        self.start_block = max(0, start_block)
        self.chain_id = int(chain_id if chain_id is not None else w3.eth.chain_id)
        self.batch_size = batch_size
        self.confirmations = max(0, confirmations)
        self.stream = stream_id(self.chain_id, self.contracts)
        self.stats = IndexerStats()
        #: projection rows of recent batches (valid at the checkpoint it names)
        self.cache = RowCache(cache_rows)
        #: the next range fetched while a batch is stored (over HTTP only: in-process
        #: providers are not called from a second thread)
        self.prefetcher: Prefetcher | None = None
        if prefetch and getattr(w3.provider, "endpoint_uri", None):
            self.prefetcher = Prefetcher(Rpc(w3), self.decoder, self.addresses)

    # ------------------------------------------------------------ checkpoint

    def _contracts_json(self) -> dict[str, Any]:
        return {c.name: c.address.lower() for c in self.contracts}

    def _checkpoint(self, session: Session) -> Checkpoint:
        cp = session.get(Checkpoint, self.stream)
        if cp is None:
            others = session.scalar(select(func.count()).select_from(Checkpoint))
            if others:
                raise IndexerError(
                    "the store already indexes another chain or contract set; "
                    "use a separate database per chain and deployment"
                )
            cp = Checkpoint(
                stream=self.stream,
                chain_id=self.chain_id,
                contracts=self._contracts_json(),
                start_block=self.start_block,
                block_number=self.start_block - 1,
                block_hash=None,
                events=0,
                reorgs=0,
                updated_at=time.time(),
            )
            session.add(cp)
            session.flush()
        return cp

    def checkpoint(self) -> tuple[int, str | None]:
        """(last indexed block, its hash); (start_block - 1, None) before the first batch."""
        with self.factory() as session, session.begin():
            cp = self._checkpoint(session)
            return cp.block_number, cp.block_hash

    # ------------------------------------------------------------ one step

    def step(self) -> StepResult:
        """Index the next batch (or roll back a reorg); safe to kill at any point."""
        number, tail_hash = self.checkpoint()
        head = self.rpc.block_number()
        with self.stats.lock:
            self.stats.head = head
        if tail_hash is not None:
            current = self.rpc.maybe_headers([number])[number]
            if current is None or current.hash != tail_hash:
                depth = self._roll_back(number)
                return StepResult(number + 1, number, 0, reorg_depth=depth)
        safe = head - self.confirmations
        started = time.perf_counter()
        fetched = self._prefetched(number, tail_hash, safe)
        while fetched is None:
            target = min(safe, number + self.span)
            if target <= number:
                return StepResult(number + 1, number, 0)
            try:
                fetched = fetch_range(self.rpc, self.decoder, self.addresses, number, target)
            except LogsRefused:
                if self.span == 1:
                    raise
                self.span = max(1, self.span // 2)  # the node's limit: a smaller range
                continue
            if not fetched.follows(tail_hash):
                raise ChainMoved(f"block {number} changed during the batch")
        self._adapt(fetched.target - number, len(fetched.decoded))
        following = min(safe, fetched.target + self.span)
        if self.prefetcher is not None and following > fetched.target:
            self.prefetcher.start(fetched.target, following)  # while this batch is stored
        return self._store_range(fetched, tail_hash, started)

    def _prefetched(self, number: int, tail_hash: str | None, safe: int) -> FetchedRange | None:
        """The range fetched ahead for this tail, if it still starts on the stored tail."""
        if self.prefetcher is None:
            return None
        fetched = self.prefetcher.take(number, safe)
        if fetched is None or not fetched.follows(tail_hash):
            return None  # fetched in the foreground instead
        return fetched

    def _adapt(self, blocks: int, events: int) -> None:
        """The next range: about ``target_events`` events, at most ``batch_size`` blocks."""
        if events > self.target_events and blocks > 1:
            self.span = max(1, blocks * self.target_events // events)
        elif events < self.target_events // 2 and blocks >= self.span:
            self.span = min(self.batch_size, self.span * 2)

    def _store_range(
        self, fetched: FetchedRange, tail_hash: str | None, started: float
    ) -> StepResult:
        number, target, decoded = fetched.number, fetched.target, fetched.decoded
        self._commit_batch(number, tail_hash, target, fetched.headers, decoded)
        elapsed = time.perf_counter() - started
        with self.stats.lock:
            self.stats.steps += 1
            self.stats.events += len(decoded)
            self.stats.last_step_at = time.time()
            if decoded and elapsed > 0:
                self.stats.events_per_second = len(decoded) / elapsed
        return StepResult(number + 1, target, len(decoded))

    def _commit_batch(
        self,
        number: int,
        tail_hash: str | None,
        target: int,
        headers: Mapping[int, Header],
        decoded: Sequence[DecodedLog],
    ) -> None:
        try:
            self._write_batch(number, tail_hash, target, headers, decoded)
        except BaseException as exc:
            self.cache.clear()  # the handlers changed cached rows of a batch not stored
            if not isinstance(exc, IntegrityError):
                raise
            if self.checkpoint() != (number, tail_hash):
                raise ChainMoved("another indexer stored this batch") from exc
            raise

    def _write_batch(
        self,
        number: int,
        tail_hash: str | None,
        target: int,
        headers: Mapping[int, Header],
        decoded: Sequence[DecodedLog],
    ) -> None:
        """Project the batch, then store it in one transaction.

        The projection (the rows it reads, the handlers) runs before the write
        transaction, on a read of the store at this checkpoint: the write path's journal
        need not wait for it behind this process's SQLite writer turn. The write
        transaction checks the checkpoint again (every batch moves it, so unchanged means
        no other indexer stored projection rows since the read) and stores the rows."""
        keep = {item.block_number for item in decoded} | {target}
        bind = self.factory.kw.get("bind")
        with self.factory() as reading:
            cp = reading.get(Checkpoint, self.stream)
            if cp is None or cp.block_number != number or cp.block_hash != tail_hash:
                raise ChainMoved("another indexer moved the checkpoint")
            self.cache.valid_at(number, tail_hash)  # dropped unless it is this store's
            rows = BatchRows(reading, self.cache)
            events = self._project(rows, headers, decoded)
            # the rows as the driver takes them, before the turn: in it only the store
            upserts = rows.prepare()
        prepared = prepare_events(events, rows.dialect)
        # in this process's turn of writers to the store (the write path's too)
        with write_turn(bind), self.factory() as session, session.begin():
            cp = self._checkpoint(session)
            if cp.block_number != number or cp.block_hash != tail_hash:
                raise ChainMoved("another indexer moved the checkpoint")
            session.execute(insert(IndexedBlock), [
                {"number": h.number, "hash": h.hash, "parent_hash": h.parent_hash,
                 "timestamp": h.timestamp}
                for h in (headers[n] for n in sorted(keep))
            ])  # fmt: skip
            store_events(session, prepared)
            rows.session = session
            rows.store(upserts)  # the projection rows the batch added or changed
            moved = session.execute(
                update(Checkpoint)
                .where(
                    Checkpoint.stream == self.stream,
                    Checkpoint.block_number == number,
                    Checkpoint.block_hash.is_(None)
                    if tail_hash is None
                    else Checkpoint.block_hash == tail_hash,
                )
                .values(
                    block_number=target,
                    block_hash=headers[target].hash,
                    events=Checkpoint.events + len(decoded),
                    updated_at=time.time(),
                )
                .execution_options(synchronize_session=False)
            )
            if moved.rowcount != 1:  # type: ignore[attr-defined]
                raise ChainMoved("another indexer moved the checkpoint")
        self.cache.keep((target, headers[target].hash), rows)

    @staticmethod
    def _project(
        rows: BatchRows, headers: Mapping[int, Header], decoded: Sequence[DecodedLog]
    ) -> list[tuple[Any, ...]]:
        """Run the projections' handlers over the batch's events into ``rows`` (read,
        nothing written); the raw event rows, in ``EVENT_COLUMNS`` order."""
        if decoded:
            rows.prefetch(item.args for item in decoded)
        events: list[tuple[Any, ...]] = []
        describe = projections.describe
        handlers = projections.HANDLERS
        context = projections.EventContext
        for item in decoded:
            args = item.args
            subject, actor, asset_id = describe(rows, item.event, args)
            timestamp = headers[item.block_number].timestamp
            events.append((
                item.block_number, item.block_hash, item.tx_hash, item.log_index,
                timestamp, item.contract, item.address, item.event, args,
                subject, actor, asset_id,
            ))  # fmt: skip
            handler = handlers.get(item.event)
            if handler is not None:
                handler(context(
                    session=rows, event=item.event, args=args,
                    block_number=item.block_number, log_index=item.log_index,
                    tx_hash=item.tx_hash, timestamp=timestamp,
                ))  # fmt: skip
        return events

    # ------------------------------------------------------------ reorgs

    def _fork_point(self, session: Session, below: int) -> tuple[int, str | None]:
        """The highest stored block at or below ``below`` that is still canonical."""
        cursor = below
        while True:
            blocks = list(
                session.scalars(
                    select(IndexedBlock)
                    .where(IndexedBlock.number <= cursor)
                    .order_by(IndexedBlock.number.desc())
                    .limit(64)
                )
            )
            if not blocks:
                return self.start_block - 1, None
            chain = self.rpc.maybe_headers([b.number for b in blocks])
            for block in blocks:
                found = chain[block.number]
                if found is not None and found.hash == block.hash:
                    return block.number, block.hash
            cursor = blocks[-1].number - 1

    def _roll_back(self, number: int) -> int:
        """Undo everything above the fork point; returns the depth rolled back."""
        self.cache.clear()
        if self.prefetcher is not None:
            self.prefetcher.clear()
        with self.factory() as session, session.begin():
            cp = self._checkpoint(session)
            if cp.block_number != number:
                raise ChainMoved("another indexer moved the checkpoint")
            fork, fork_hash = self._fork_point(session, number - 1)
            session.execute(delete(RawEvent).where(RawEvent.block_number > fork))
            session.execute(delete(IndexedBlock).where(IndexedBlock.number > fork))
            projections.rebuild(session)
            cp.block_number = fork
            cp.block_hash = fork_hash
            cp.events = int(session.scalar(select(func.count()).select_from(RawEvent)) or 0)
            cp.reorgs = cp.reorgs + 1
            cp.updated_at = time.time()
        depth = number - fork
        log.warning("reorg: rolled back %d blocks to the fork point %d", depth, fork)
        with self.stats.lock:
            self.stats.reorgs += 1
            self.stats.last_reorg_depth = depth
        return depth

    # ------------------------------------------------------------ driving

    def sync(self, max_steps: int = 1_000_000, max_retries: int = 20) -> int:
        """Step until caught up (idle); returns the events indexed."""
        total = 0
        retries = 0
        for _ in range(max_steps):
            try:
                result = self.step()
            except ChainMoved as exc:
                retries += 1
                if retries > max_retries:
                    raise
                log.info("retrying the batch: %s", exc)
                time.sleep(0.05 * retries)
                continue
            retries = 0
            total += result.events
            if result.idle:
                return total
        return total

    def status(self) -> dict[str, Any]:
        """Head, indexed block and lag, for /metrics and /readyz."""
        number, block_hash = self.checkpoint()
        with self.stats.lock:
            head = self.stats.head
            stats = {
                "steps": self.stats.steps,
                "events_indexed": self.stats.events,
                "reorgs": self.stats.reorgs,
                "last_reorg_depth": self.stats.last_reorg_depth,
                "last_error": self.stats.last_error,
                "last_step_at": self.stats.last_step_at,
                "events_per_second": round(self.stats.events_per_second, 1),
            }
        indexed = number if number >= self.start_block else None
        lag = lag_behind(head, self.confirmations, indexed, self.start_block)
        return {
            "chain_id": self.chain_id,
            "stream": self.stream,
            "head": head,
            "indexed_block": indexed,
            "indexed_hash": block_hash,
            "confirmations": self.confirmations,
            "lag": lag,
            **stats,
        }
