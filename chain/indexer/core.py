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
import json
import logging
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
import requests
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3
from web3.exceptions import BlockNotFound

from chain.indexer import projections
from chain.indexer.batch import CACHE_ROWS, BatchRows, RowCache
from chain.indexer.decoder import ContractSpec, DecodedLog, LogDecoder
from chain.indexer.models import Checkpoint, IndexedBlock, RawEvent

log = logging.getLogger(__name__)

HEADER_CHUNK = 250
#: Raw events per multi-row INSERT.
INSERT_CHUNK = 2_000
#: Events a batch aims at (one database transaction, bounded memory).
TARGET_EVENTS = 5_000
#: Blocks of the first range (doubling while batches stay sparse, up to ``batch_size``):
#: a catch-up over dense blocks never starts with one huge transaction.
FIRST_SPAN = 50


class IndexerError(RuntimeError):
    """The indexer cannot continue (another chain or contract set in the store, RPC fault)."""


class LogsRefused(IndexerError):
    """The node refused an ``eth_getLogs`` range (too many results, too large a range)."""


class ChainMoved(RuntimeError):
    """The chain changed while a batch was being fetched; the step is retried."""


@dataclass(frozen=True)
class Header:
    number: int
    hash: str
    parent_hash: str
    timestamp: int


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


def _hex_int(value: Any) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)


def _hex_str(value: Any) -> str:
    if isinstance(value, str):
        return value.lower()
    return "0x" + bytes(value).hex()


class Rpc:
    """Raw JSON-RPC calls (results left undecoded; falls back when batching is missing)."""

    def __init__(self, w3: Web3, timeout: float = 30.0) -> None:
        self.w3 = w3
        self.timeout = timeout
        self._http = requests.Session()

    def call(self, method: str, params: list[Any]) -> Any:
        endpoint = getattr(self.w3.provider, "endpoint_uri", None)
        if endpoint:  # over HTTP without web3's request machinery
            body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
            response = self._post(str(endpoint), body)
        else:
            response = self.w3.provider.make_request(method, params)  # type: ignore[arg-type]
        if response.get("error"):
            raise IndexerError(f"{method} failed: {response['error']}")
        return response["result"]

    def batch(self, calls: Sequence[tuple[str, list[Any]]]) -> list[Any]:
        """One JSON-RPC batch over HTTP (one call at a time for in-process providers)."""
        if not calls:
            return []
        endpoint = getattr(self.w3.provider, "endpoint_uri", None)
        if not endpoint:
            return [self._call_in_process(method, params) for method, params in calls]
        body = [
            {"jsonrpc": "2.0", "id": i, "method": method, "params": params}
            for i, (method, params) in enumerate(calls)
        ]
        answers = self._post(str(endpoint), body)
        if isinstance(answers, dict):  # one error for the whole batch
            raise IndexerError(f"batch request failed: {answers.get('error')}")
        by_id = {int(a["id"]): a for a in answers}
        out = []
        for i, (method, _params) in enumerate(calls):
            answer = by_id.get(i)
            if answer is None or answer.get("error"):
                raise IndexerError(f"{method} failed: {answer and answer.get('error')}")
            out.append(answer["result"])
        return out

    def _post(self, endpoint: str, body: Any) -> Any:
        """One JSON-RPC POST (a call or a batch), the answer parsed with orjson."""
        try:
            response = self._http.post(
                endpoint,
                data=orjson.dumps(body),
                timeout=self.timeout,
                headers={"Content-Type": "application/json"},
            )
            response.raise_for_status()
            return orjson.loads(response.content)
        except (requests.RequestException, ValueError) as exc:
            raise IndexerError(f"request to {endpoint} failed: {exc}") from exc

    def _call_in_process(self, method: str, params: list[Any]) -> Any:
        """In-process providers (eth-tester) need web3's request formatting."""
        if method == "eth_getBlockByNumber":
            try:
                block = self.w3.eth.get_block(int(params[0], 16), False)
            except BlockNotFound:
                return None
            return dict(block)
        return self.call(method, params)

    def block_number(self) -> int:
        return _hex_int(self.call("eth_blockNumber", []))

    def headers(self, numbers: Sequence[int]) -> dict[int, Header]:
        """Headers by number; raises ChainMoved when one no longer exists."""
        found = self.maybe_headers(numbers)
        for number in numbers:
            if found.get(number) is None:
                raise ChainMoved(f"block {number} is not available")
        return {n: h for n, h in found.items() if h is not None}

    def maybe_headers(self, numbers: Sequence[int]) -> dict[int, Header | None]:
        out: dict[int, Header | None] = {}
        for start in range(0, len(numbers), HEADER_CHUNK):
            chunk = numbers[start : start + HEADER_CHUNK]
            results = self.batch([("eth_getBlockByNumber", [hex(n), False]) for n in chunk])
            for number, block in zip(chunk, results, strict=True):
                if block is None:
                    out[number] = None
                    continue
                out[number] = Header(
                    number=_hex_int(block["number"]),
                    hash=_hex_str(block["hash"]),
                    parent_hash=_hex_str(block["parentHash"]),
                    timestamp=_hex_int(block["timestamp"]),
                )
        return out

    def logs(self, addresses: list[str], from_block: int, to_block: int) -> list[dict[str, Any]]:
        if not getattr(self.w3.provider, "endpoint_uri", None):
            # In-process providers (eth-tester) need web3's request formatting.
            entries = self.w3.eth.get_logs(
                {
                    "fromBlock": from_block,
                    "toBlock": to_block,
                    "address": [Web3.to_checksum_address(a) for a in addresses],
                }
            )
            return [_raw_log(entry) for entry in entries]
        endpoint = str(self.w3.provider.endpoint_uri)  # type: ignore[attr-defined]
        params = [{"fromBlock": hex(from_block), "toBlock": hex(to_block), "address": addresses}]
        answer = self._post(endpoint, {"jsonrpc": "2.0", "id": 1, "method": "eth_getLogs",
                                       "params": params})  # fmt: skip
        if answer.get("error"):
            raise LogsRefused(f"eth_getLogs failed: {answer['error']}")
        return [_raw_log(entry) for entry in answer["result"]]


_EVENT_COLUMNS = (
    "block_number", "block_hash", "tx_hash", "log_index", "timestamp", "contract", "address",
    "event", "args", "subject_id", "actor_org_id", "asset_id",
)  # fmt: skip


def insert_events(session: Session, events: Sequence[Mapping[str, Any]]) -> None:
    """Insert raw events in bulk: ``COPY`` on PostgreSQL, one ``executemany`` of the
    driver on SQLite, multi-row INSERTs elsewhere.

    ``args`` is written as SQLAlchemy's JSON type writes it (the standard library's
    ``json``: uint256 values stay exact integers).

    Text with a NUL character is refused as every statement of the store refuses it
    (PostgreSQL cannot store it); inside JSON it is an escape, which both stores keep."""
    if not events:
        return
    table: Any = RawEvent.__table__
    dialect = session.get_bind().dialect.name
    if dialect not in ("postgresql", "sqlite"):
        for start in range(0, len(events), INSERT_CHUNK):
            session.execute(insert(table), list(events[start : start + INSERT_CHUNK]))
        return
    for event in events:
        for name in _EVENT_COLUMNS:
            value = event[name]
            if isinstance(value, str) and "\x00" in value:
                raise IndexerError(f"event {event['event']}: NUL character in {name}")
    raw: Any = session.connection().connection.driver_connection
    columns = ", ".join(_EVENT_COLUMNS)
    rows = (
        [json.dumps(event[name]) if name == "args" else event[name] for name in _EVENT_COLUMNS]
        for event in events
    )
    if dialect == "postgresql":
        copy_sql = f"COPY {table.name} ({columns}) FROM STDIN"
        with raw.cursor() as cursor, cursor.copy(copy_sql) as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" for _ in _EVENT_COLUMNS)
    cursor = raw.cursor()
    try:
        cursor.executemany(f"INSERT INTO {table.name} ({columns}) VALUES ({marks})", rows)
    finally:
        cursor.close()


def _raw_log(entry: Mapping[str, Any]) -> dict[str, Any]:
    """A log as JSON-RPC hex strings (eth-tester's provider hands back bytes and ints)."""
    if isinstance(entry.get("blockNumber"), str) and isinstance(entry.get("data"), str):
        return dict(entry)
    return {
        "address": str(entry["address"]),
        "topics": [_hex_str(t) for t in entry["topics"]],
        "data": _hex_str(entry["data"]),
        "blockNumber": hex(int(entry["blockNumber"])),
        "blockHash": _hex_str(entry["blockHash"]),
        "transactionHash": _hex_str(entry["transactionHash"]),
        "logIndex": hex(int(entry["logIndex"])),
        "removed": bool(entry.get("removed", False)),
    }


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
        while True:
            target = min(safe, number + self.span)
            if target <= number:
                return StepResult(number + 1, number, 0)
            try:
                result = self._index_range(number, tail_hash, target)
            except LogsRefused:
                if self.span == 1:
                    raise
                self.span = max(1, self.span // 2)  # the node's limit: a smaller range
                continue
            self._adapt(target - number, result.events)
            return result

    def _adapt(self, blocks: int, events: int) -> None:
        """The next range: about ``target_events`` events, at most ``batch_size`` blocks."""
        if events > self.target_events and blocks > 1:
            self.span = max(1, blocks * self.target_events // events)
        elif events < self.target_events // 2 and blocks >= self.span:
            self.span = min(self.batch_size, self.span * 2)

    def _index_range(self, number: int, tail_hash: str | None, target: int) -> StepResult:
        started = time.perf_counter()
        first = number + 1
        raw_logs = self.rpc.logs(self.addresses, first, target)
        wanted = list(range(max(number, 0), target + 1))
        headers = self.rpc.headers(wanted)
        if tail_hash is not None and headers[number].hash != tail_hash:
            raise ChainMoved(f"block {number} changed during the batch")
        for n in range(first, target + 1):
            previous = headers.get(n - 1)
            if previous is not None and headers[n].parent_hash != previous.hash:
                raise ChainMoved(f"block {n} does not follow block {n - 1}")
        decoded = self.decoder.decode_all(raw_logs)
        for item in decoded:
            if headers[item.block_number].hash != item.block_hash:
                raise ChainMoved(f"logs of block {item.block_number} came from another branch")
        self._commit_batch(number, tail_hash, target, headers, decoded)
        elapsed = time.perf_counter() - started
        with self.stats.lock:
            self.stats.steps += 1
            self.stats.events += len(decoded)
            self.stats.last_step_at = time.time()
            if decoded and elapsed > 0:
                self.stats.events_per_second = len(decoded) / elapsed
        return StepResult(first, target, len(decoded))

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
        keep = {item.block_number for item in decoded} | {target}
        with self.factory() as session, session.begin():
            cp = self._checkpoint(session)
            if cp.block_number != number or cp.block_hash != tail_hash:
                raise ChainMoved("another indexer moved the checkpoint")
            self.cache.valid_at(number, tail_hash)  # dropped unless it is this store's
            session.execute(insert(IndexedBlock), [
                {"number": h.number, "hash": h.hash, "parent_hash": h.parent_hash,
                 "timestamp": h.timestamp}
                for h in (headers[n] for n in sorted(keep))
            ])  # fmt: skip
            rows = BatchRows(session, self.cache)
            if decoded:
                rows.prefetch(item.args for item in decoded)
            events: list[dict[str, Any]] = []
            for item in decoded:
                subject, actor, asset_id = projections.describe(rows, item.event, item.args)
                timestamp = headers[item.block_number].timestamp
                events.append({
                    "block_number": item.block_number, "block_hash": item.block_hash,
                    "tx_hash": item.tx_hash, "log_index": item.log_index,
                    "timestamp": timestamp, "contract": item.contract,
                    "address": item.address, "event": item.event, "args": item.args,
                    "subject_id": subject, "actor_org_id": actor, "asset_id": asset_id,
                })  # fmt: skip
                handler = projections.HANDLERS.get(item.event)
                if handler is not None:
                    handler(projections.EventContext(
                        session=rows, event=item.event, args=item.args,
                        block_number=item.block_number, log_index=item.log_index,
                        tx_hash=item.tx_hash, timestamp=timestamp,
                    ))  # fmt: skip
            insert_events(session, events)
            rows.write()  # the projection rows the batch added or changed
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
        lag = None
        if head is not None:
            lag = max(
                0,
                head
                - self.confirmations
                - (number if indexed is not None else self.start_block - 1),
            )
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
