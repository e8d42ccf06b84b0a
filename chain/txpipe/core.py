"""The pipeline's shared parts: chain handle, ABIs, calldata, simulation, fees, funding,
backpressure and the operation-state writes every other step uses."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from eth_abi.abi import encode
from eth_utils.abi import function_abi_to_4byte_selector
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3

from chain.clients import ChainHandle
from chain.db import checkpoint_wal, write_turn
from chain.errors import (
    Backpressure,
    ChainUnavailable,
    LedgerError,
    abi_type,
    revert_from_exception,
)
from chain.txpipe.backlog import BlockPace, admission_limit, retry_after
from chain.txpipe.call_batch import CoalescedCalls
from chain.txpipe.dispatch import SendQueues
from chain.txpipe.events import EventDecoder
from chain.txpipe.locks import NamedLocks
from chain.txpipe.models import IN_FLIGHT, MINED, SENT, Operation, utcnow
from chain.txpipe.rpc import NodeUnreachable, RevertError, Web3Rpc, rpc_for
from chain.txpipe.state_counts import StateCounts
from chain.txpipe.store import install_store_guard

log = logging.getLogger("ledger.txpipe")

AbiEntry = Mapping[str, Any]
Abi = Sequence[AbiEntry]

#: gas estimate margin: estimate * GAS_MARGIN_NUM / GAS_MARGIN_DEN + GAS_MARGIN_ADD
GAS_MARGIN_NUM, GAS_MARGIN_DEN, GAS_MARGIN_ADD = 5, 4, 10_000
#: the in-flight count a submit is admitted on may be this old (plus what this process
#: journaled since); a refusal is always decided on a count read from the database then
IN_FLIGHT_RECOUNT_SECONDS = 0.5
#: a signer may have this many writes in flight unsimulated before a block mined any
#: (see ``_gas_without_run``)
UNRUN_IN_FLIGHT_FLOOR = 32
#: fees this many cache periods old still sign a write while they are read again
FEES_USABLE_FOR = 5
#: a write journaled without a run on the node gets this multiple of its shape's limit
UNRUN_GAS_NUM, UNRUN_GAS_DEN = 3, 2
#: each settled block lowers a signer's remembered per-block take by 1/this of it
MINED_TAKE_DECAY = 8
#: a write journaled while the node is down gets this multiple of the largest gas limit
#: the same function was journaled with (it is not simulated; unused gas costs nothing)
UNSIMULATED_GAS_FACTOR = 2


def _is_transport_error(exc: BaseException) -> bool:
    """A failure to reach the node (as opposed to the node answering with an error)."""
    try:
        import requests

        if isinstance(exc, requests.RequestException):
            return True
    except ImportError:  # pragma: no cover - requests ships with web3
        pass
    return isinstance(exc, ConnectionError | TimeoutError | OSError)


def _cache_chain_id(handle: ChainHandle) -> None:
    """Let web3 answer eth_chainId from its cache: its validation middleware asks for
    it before every eth_call / eth_estimateGas, doubling the round trips of a write."""
    provider: Any = handle.w3.provider
    if handle.tester is None and hasattr(provider, "cache_allowed_requests"):
        provider.cacheable_requests = {"eth_chainId"}
        provider.cache_allowed_requests = True


@dataclass(frozen=True)
class PipelineStats:
    """Operation counts by state (for /metrics)."""

    by_state: dict[str, int]


class PipelineCore:
    """State and helpers shared by the nonce, journal, broadcast and receipt steps."""

    def __init__(
        self,
        handle: ChainHandle,
        sessions: sessionmaker[Session],
        *,
        max_in_flight_per_account: int = 256,
        confirmations: int = 0,
        resend_after_seconds: float = 10.0,
        fee_cache_seconds: float = 2.0,
        max_concurrent_submits: int = 2,
        journal_when_node_down: bool = True,
        send_in_background: bool = False,
    ) -> None:
        self.handle = handle
        self.sessions = sessions
        #: operations by state for ``/metrics`` (the settled ones counted once a minute)
        self.state_counts = StateCounts(sessions)
        self.max_in_flight = max_in_flight_per_account
        self.confirmations = confirmations
        self.resend_after = resend_after_seconds
        self._fee_cache_seconds = fee_cache_seconds
        #: while the node does not answer, journal writes with the last known fees and a
        #: gas limit from the journal (no simulation); they go out when the node is back
        self.journal_when_node_down = journal_when_node_down
        #: answer a write once it is journaled and send it from a background thread
        #: (:mod:`chain.txpipe.dispatch`); off: a write is answered once the node took it
        self.send_in_background = send_in_background
        #: a burst can be sent by the background sender (a node over JSON-RPC; the
        #: in-process chain is driven from the request's thread)
        self.can_send_in_background = handle.tester is None
        #: per signer: about how many of its writes one recent block mined (the receipt
        #: tracker's count, decaying): how many may wait unsimulated for the next block
        self._mined_take: dict[str, int] = {}
        #: the seconds a block takes, from the tracker's sightings of the head (a refusal's
        #: Retry-After: :mod:`chain.txpipe.backlog`)
        self.block_pace = BlockPace()
        #: per signer: its writes the tracker settled since its in-flight count was read
        #: (that count less these: how many wait for a block, for ``_gas_without_run``)
        self._settled_since_count: dict[str, int] = {}
        self._outbox: SendQueues | None = None
        #: ids the background sender handed to the node, not yet marked ``sent`` (still in
        #: ``_in_send``; see ``Broadcaster.mark_sent_now``)
        self._unmarked: list[str] = []
        self._unmarked_guard = threading.Lock()
        self._simulated_gas: dict[tuple[str, str], int] = {}
        #: the largest gas limit estimated per (signer, contract address, selector,
        #: calldata length): what :meth:`_simulate` runs the signer's later call of that
        #: shape at
        self._gas_by_shape: dict[tuple[str, str, str, int], int] = {}
        # Python threads contend for the GIL: a few estimates at a time finish sooner than
        # many interleaved ones (each RPC return waits behind the others' CPU work).
        self.max_concurrent_submits = max(1, max_concurrent_submits)
        self._submit_slots = threading.BoundedSemaphore(self.max_concurrent_submits)
        self._fees: tuple[float, dict[str, Any]] | None = None
        #: held while a background thread reads the node's fees (see ``_fee_fields``)
        self._fee_refresh = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        #: per account: held while a journaled burst is sent (see ``_sending``)
        self._send_locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        #: simulated writes waiting for their signer's next journal batch, per account
        self._queues: dict[str, list[Any]] = {}
        self._queue_guard = threading.Lock()
        #: bursts journaled (one database transaction each) and the writes they held
        self.batches = 0
        self.burst_writes = 0
        self._funded: set[str] = set()
        #: per signer: (monotonic time of the count, in-flight count then + journaled since)
        self._flight: dict[str, tuple[float, int]] = {}
        self._flight_guard = threading.Lock()
        self._abis: dict[str, list[AbiEntry]] = {}
        self._decoders: dict[str, EventDecoder] = {}
        self._last_checked: dict[str, float] = {}
        #: per signer's next nonce in flight (its operation id): the head it was first
        #: seen at, or last asked about (see ``ReceiptTracking._stalled``)
        self._blocking_since: dict[str, int] = {}
        #: when the tracker first saw the head it last saw (``time.monotonic()``)
        self._head_seen_at = 0.0
        #: operations journaled by this process whose burst is still being sent and marked
        #: (``pending`` in the database until then): the tracker leaves them alone
        self._in_send: set[str] = set()
        #: (number, hash) of the head the tracker saw last; None before the first poll
        self._seen_head: tuple[int, str] | None = None
        #: (number, hash) of the highest block an operation was settled in, while it is
        #: above the head the tracker saw (receipts come from blocks newer than that head:
        #: a request's own wait, a poll's receipts read after its head)
        self._settled_tip: tuple[int, str] | None = None
        self._tip_guard = threading.Lock()
        self._node_down = False
        #: the last block whose receipts the tracker read in bulk
        self._receipts_scanned: int | None = None
        #: times the chain was seen going back, and operations restored for re-send
        self.rollbacks = 0
        self.restored = 0
        _cache_chain_id(handle)
        bind = sessions.kw.get("bind")
        if isinstance(bind, Engine):
            install_store_guard(bind)
        #: locks shared by every gateway process on this database (see ``payer_turn``)
        self.locks = NamedLocks(bind if isinstance(bind, Engine) else None)
        #: the turn of this process's writers to the database, the indexer's included
        #: (:func:`chain.db.write_turn`: a lock on SQLite, nothing on PostgreSQL)
        self._store_turn: contextlib.AbstractContextManager[Any] = write_turn(bind)
        self.rpc = rpc_for(handle)
        #: the eth_call runs of concurrent writes, sent to the node in one batch
        self._calls = CoalescedCalls(lambda txs: self.rpc.call_many(txs))
        self._encoders: dict[tuple[str, str], tuple[bytes, list[str]]] = {}
        # eth-tester runs in this process and is not thread-safe: serialise its calls.
        self._chain_lock: contextlib.AbstractContextManager[Any] = (
            self.rpc.lock if isinstance(self.rpc, Web3Rpc) else contextlib.nullcontext()
        )

    @property
    def run_batches(self) -> int:
        """JSON-RPC batches the eth_call runs of writes went to the node in."""
        return self._calls.batches

    @property
    def batched_runs(self) -> int:
        """eth_call runs of writes sent in those batches."""
        return self._calls.calls

    @property
    def w3(self) -> Web3:
        return self.handle.w3

    @property
    def chain_id(self) -> int:
        return self.handle.chain_id

    def register_abi(self, contract_name: str, abi: Abi, others: Sequence[Abi] = ()) -> None:
        """Make a contract's events and errors known (submit does this itself); ``others``
        are the ABIs of contracts it calls, whose events its transactions also carry (the
        contract's own events win when two share a signature)."""
        if contract_name not in self._abis:
            self._abis[contract_name] = list(abi)
            self._decoders[contract_name] = EventDecoder([abi, *others])

    def in_flight(self, signer: str) -> int:
        """Unfinished operations of one signing account."""
        with self.sessions() as session:
            return int(
                session.scalar(
                    select(func.count())
                    .select_from(Operation)
                    .where(
                        Operation.signer == Web3.to_checksum_address(signer),
                        Operation.chain_id == self.chain_id,
                        Operation.state.in_(IN_FLIGHT),
                    )
                )
                or 0
            )

    def stats(self) -> PipelineStats:
        with self.sessions() as session:
            rows = session.execute(
                select(Operation.state, func.count()).group_by(Operation.state)
            ).all()
        return PipelineStats({str(state): int(n) for state, n in rows})

    def _encode(
        self, contract_name: str, to: str, abi: Abi, function: str, args: Sequence[Any]
    ) -> str:
        """Calldata: eth_abi directly for a unique function name, web3 otherwise."""
        cached = self._encoders.get((contract_name, function))
        if cached is None:
            entries = [e for e in abi if e.get("type") == "function" and e.get("name") == function]
            if len(entries) == 1:
                entry = entries[0]
                cached = (
                    function_abi_to_4byte_selector(cast(Any, dict(entry))),
                    [abi_type(p) for p in entry.get("inputs", [])],
                )
                self._encoders[(contract_name, function)] = cached
        if cached is not None and len(cached[1]) == len(args):
            try:
                return "0x" + (cached[0] + encode(cached[1], list(args))).hex()
            except Exception:  # loose argument types (hex strings...): let web3 convert
                pass
        contract = self.w3.eth.contract(address=Web3.to_checksum_address(to), abi=list(abi))
        try:
            return str(contract.encode_abi(function, args=list(args)))
        except Exception as exc:
            raise LedgerError(f"cannot encode {contract_name}.{function}: {exc}") from exc

    def _check_backpressure(self, sender: str) -> None:
        """Refuse a write while its signer has as many operations unfinished as it may:
        ``max_in_flight``, and while the chain's latest blocks are full, one and a half
        blocks of its writes (:mod:`chain.txpipe.backlog`: a longer backlog makes each write
        admitted behind it wait more than two blocks).

        Admission reads the count from memory: the database's count at most
        ``IN_FLIGHT_RECOUNT_SECONDS`` old plus what this process journaled since (an
        over-estimate for ``max_in_flight``, never an under-estimate for this process; less
        what the tracker settled since for the chain's pace). At a limit it counts again in
        the database and refuses only on that fresh count."""
        account = sender.lower()
        now = time.monotonic()
        with self._flight_guard:
            seen = self._flight.get(account)
            settled = self._settled_since_count.get(account, 0)
            take = self._mined_take.get(account, 0)
        limit = admission_limit(self.max_in_flight, take, self.block_pace.full)
        fresh = seen is not None and now - seen[0] < IN_FLIGHT_RECOUNT_SECONDS
        if (
            fresh
            and seen is not None
            and seen[1] < self.max_in_flight
            and seen[1] - settled < limit
        ):
            return
        in_flight = self.in_flight(sender)
        with self._flight_guard:
            self._flight[account] = (now, in_flight)
            self._settled_since_count.pop(account, None)
        if in_flight >= limit:
            paced = " while the chain's blocks are full" if limit < self.max_in_flight else ""
            raise Backpressure(
                f"signing account {sender} has {in_flight} transactions in flight "
                f"(limit {limit}{paced}); retry later",
                retry_after=retry_after(in_flight, limit, take, self.block_pace.seconds),
            )

    def _count_journaled(self, sender: str, n: int) -> None:
        """``n`` more operations of ``sender`` journaled by this process (backpressure)."""
        if n <= 0:
            return
        account = sender.lower()
        with self._flight_guard:
            seen = self._flight.get(account)
            if seen is not None:
                self._flight[account] = (seen[0], seen[1] + n)

    def _gas_without_run(self, sender: str, to: str, data: str) -> int | None:
        """The gas limit to journal a write with when the client prefers an answer once
        it is journaled (:mod:`chain.txpipe.preference`), without running it on the node:
        the largest the node's estimate gave this signer's calls of the same shape, times
        ``UNRUN_GAS_NUM / UNRUN_GAS_DEN`` (no run confirms it is enough: a call of the
        shape may write storage an earlier one did not; unused gas costs nothing). None
        (run it on the node) for a shape not estimated here yet, or while the signer has
        more writes in flight than one and a half recent blocks mined of its writes (at
        least ``UNRUN_IN_FLIGHT_FLOOR``): a write then waits for the send, which holds a
        client that outruns the chain to its pace (a backlog of more than a block or two
        would make every write's way to a block longer)."""
        if not self.can_send_in_background:
            return None
        account = sender.lower()
        known = self._gas_by_shape.get((account, to.lower(), data[:10], len(data)))
        if known is None:
            return None
        with self._flight_guard:
            seen = self._flight.get(account)
            settled = self._settled_since_count.get(account, 0)
            take = self._mined_take.get(account, 0)
        if seen is None or seen[1] - settled >= max(UNRUN_IN_FLIGHT_FLOOR, take + take // 2):
            return None
        return known * UNRUN_GAS_NUM // UNRUN_GAS_DEN

    def checkpoint_store(self) -> tuple[int, int, int] | None:
        """Checkpoint the store's WAL when it is a SQLite file (see
        :func:`chain.db.checkpoint_wal`); None otherwise."""
        bind = self.sessions.kw.get("bind")
        return checkpoint_wal(bind) if isinstance(bind, Engine) else None

    def _note_mined(self, settled: Mapping[tuple[str, int], int]) -> None:
        """The receipt tracker settled ``settled[(signer, block)]`` writes of each signer
        from each block: the signers' per-block takes and their settled counts."""
        most: dict[str, int] = {}
        for (account, _block), n in settled.items():
            most[account] = max(n, most.get(account, 0))
        with self._flight_guard:
            for (account, _block), n in settled.items():
                self._settled_since_count[account] = self._settled_since_count.get(account, 0) + n
            for account, n in most.items():
                before = self._mined_take.get(account, 0)
                self._mined_take[account] = max(n, before - before // MINED_TAKE_DECAY)

    def _simulate(self, call: dict[str, Any], abis: Sequence[Abi]) -> int:
        """The gas limit to send ``call`` with, once the node has run it from the signer
        without a revert.

        A signer's call of a function (same contract, selector and calldata length) that
        was estimated here before is run once, with ``eth_call``, at the largest gas limit
        an estimate gave that signer's calls of that shape: when it succeeds, that limit is
        enough in the node's current state - as sure as an estimate, for one EVM run
        instead of the several of ``eth_estimateGas``. Otherwise (first call, a revert, out
        of gas) ``eth_call`` and ``eth_estimateGas`` decide, as for any call. Per signer:
        one organisation's expensive call (long loops over state it built) raises the
        limit of its own later calls only, never another's (a limit near the block's packs
        one transaction a block on nodes that fill blocks by gas limit); it could send
        expensive calls anyway."""
        data = str(call.get("data") or "0x")
        shape = (str(call["from"]).lower(), str(call["to"]).lower(), data[:10], len(data))
        known = self._gas_by_shape.get(shape)
        if known is not None:
            try:
                self._calls.call({**call, "gas": known})
                return known
            except Exception as exc:  # a revert, out of gas...: estimated below
                if isinstance(exc, NodeUnreachable) or _is_transport_error(exc):
                    raise ChainUnavailable(
                        f"the chain node does not answer: {type(exc).__name__}"
                    ) from exc
        with self._submit_slots:  # eth_call and eth_estimateGas: a few at a time
            gas = self._estimate(call, abis)
        with self._flight_guard:
            self._gas_by_shape[shape] = max(gas, self._gas_by_shape.get(shape, 0))
        return gas

    def _estimate(self, call: dict[str, Any], abis: Sequence[Abi]) -> int:
        """eth_call then eth_estimateGas from the signer; the gas limit to use."""
        try:
            estimate = self.rpc.simulate(call)  # eth_call + eth_estimateGas
        except RevertError as exc:
            raise revert_from_exception(exc, abis) from exc
        except LedgerError:
            raise
        except Exception as exc:
            if isinstance(exc, NodeUnreachable) or _is_transport_error(exc):
                raise ChainUnavailable(
                    f"the chain node does not answer: {type(exc).__name__}"
                ) from exc
            message = str(exc)
            if "revert" in message.lower():
                raise revert_from_exception(exc, abis) from exc
            raise
        return estimate * GAS_MARGIN_NUM // GAS_MARGIN_DEN + GAS_MARGIN_ADD

    def _fee_fields(self) -> dict[str, Any]:
        """The fee fields to sign with: read from the node at most every
        ``fee_cache_seconds``. On a node over JSON-RPC, fees read less than
        ``FEES_USABLE_FOR`` cache periods ago serve while one background thread reads them
        again (no write waits for the node for its fees, which it would while the node
        mines a block)."""
        now = time.monotonic()
        fees = self._fees
        age = float("inf") if fees is None else now - fees[0]
        if age > self._fee_cache_seconds:
            if self.can_send_in_background and age <= self._fee_cache_seconds * FEES_USABLE_FOR:
                self._refresh_fees_behind()  # these serve meanwhile
            else:
                try:
                    with self._chain_lock:
                        fees = self._fees = (now, dict(self.handle.fee_fields()))
                except Exception as exc:
                    raise ChainUnavailable(f"cannot read fees: {type(exc).__name__}") from exc
        assert fees is not None
        return dict(fees[1])

    def _refresh_fees_behind(self) -> None:
        """Read the node's fees again in a thread of its own (one at a time)."""
        if not self._fee_refresh.acquire(blocking=False):
            return

        def refresh() -> None:
            try:
                self._fees = (time.monotonic(), dict(self.handle.fee_fields()))
            except Exception as exc:  # the next write asks again
                log.warning("reading the node's fees failed (%s)", type(exc).__name__)
            finally:
                self._fee_refresh.release()

        threading.Thread(target=refresh, name="txpipe-fees", daemon=True).start()

    def _unsimulated_terms(self, contract_name: str, function: str) -> tuple[int, dict[str, Any]]:
        """Gas limit and fees for a write journaled while the node is down: twice the
        largest gas limit a simulation of this function gave here (or, after a restart,
        what its mined transactions used, with the usual margin), and the fees last read.

        :class:`ChainUnavailable` when neither is known (nothing is journaled then)."""
        largest = self._simulated_gas.get((contract_name, function))
        if largest is None:
            with self.sessions() as session:
                used = session.scalar(
                    select(func.max(Operation.gas_used)).where(
                        Operation.chain_id == self.chain_id,
                        Operation.contract_name == contract_name,
                        Operation.function == function,
                        Operation.state == MINED,
                    )
                )
            if used is not None:
                largest = int(used) * GAS_MARGIN_NUM // GAS_MARGIN_DEN + GAS_MARGIN_ADD
        if self._fees is None or largest is None:
            raise ChainUnavailable(
                "the chain node does not answer and this write was never simulated here; "
                "retry when the node is back"
            )
        log.warning("the chain node does not answer: %s.%s journaled without simulation",
                    contract_name, function)  # fmt: skip
        return largest * UNSIMULATED_GAS_FACTOR, dict(self._fees[1])

    def _remember_gas(self, contract_name: str, function: str, gas: int) -> None:
        key = (contract_name, function)
        self._simulated_gas[key] = max(gas, self._simulated_gas.get(key, 0))

    def payer_turn(self, payer: str) -> contextlib.AbstractContextManager[None]:
        """One payment of ``payer`` prepared at a time, across every gateway process on
        this database (approve and ``pay`` pair up in nonce order, no allowance counted
        twice)."""
        return self.locks.hold(f"payer:{self.chain_id}:{payer.lower()}")

    @contextlib.contextmanager
    def _writing(self) -> Iterator[Session]:
        """A session in a write transaction (committed on exit), in this process's turn
        for the store (see ``_store_turn``)."""
        with self._store_turn, self.sessions() as session, session.begin():
            yield session

    @contextlib.contextmanager
    def _account_lock(self, address: str) -> Iterator[None]:
        """The account's journal lock: nonces are taken and journaled under it."""
        with self._locks_guard:
            lock = self._locks.setdefault(address.lower(), threading.Lock())
        with lock:
            yield

    def _sending(self, address: str) -> threading.Lock:
        """The account's send lock. A burst takes it while still holding the journal lock
        and sends after letting the journal lock go: the next burst is journaled while
        this one is on its way, and bursts still reach the node in nonce order."""
        with self._locks_guard:
            return self._send_locks.setdefault(address.lower(), threading.Lock())

    @contextlib.contextmanager
    def _account_idle(self, address: str) -> Iterator[None]:
        """Nothing of the account is being journaled or sent (a re-send by the tracker)."""
        with self._account_lock(address), self._sending(address):
            yield

    def _ensure_funded(self, sender: str) -> None:
        if self.handle.tester is None or sender in self._funded:
            return
        with self._account_lock(sender), self._chain_lock:
            self.handle.fund(sender)
        self._funded.add(sender)

    def _receipt(self, tx_hash: str) -> dict[str, Any] | None:
        return self.rpc.receipt(tx_hash)

    def _known(self, tx_hash: str) -> bool:
        return self.rpc.transaction(tx_hash) is not None

    def _decoder(self, contract_name: str) -> EventDecoder:
        if contract_name not in self._decoders:
            try:
                from chain.artifacts import load

                self.register_abi(contract_name, load(contract_name).abi)
            except Exception:
                return EventDecoder()
        return self._decoders[contract_name]

    def _mark(
        self, op_id: str, state: str, error: tuple[str, str] | None = None, *,
        only_from: Collection[str] = IN_FLIGHT,
    ) -> None:  # fmt: skip
        """Move an op in one of the states ``only_from`` (in flight: never a final one)
        to ``state``."""
        values: dict[str, Any] = {"state": state, "updated_at": utcnow()}
        if state == SENT:
            values["broadcasts"] = Operation.broadcasts + 1
        if error is not None:
            values["error_code"], values["error_detail"] = error
        elif state == SENT:
            values["error_code"] = None
            values["error_detail"] = None
        with self._writing() as session:
            session.execute(
                update(Operation)
                .execution_options(synchronize_session=False)
                .where(Operation.id == op_id, Operation.state.in_(tuple(only_from)))
                .values(**values)
            )

    def _finish(self, op_id: str, state: str, error: tuple[str, str] | None = None,
                **values: Any) -> None:  # fmt: skip
        if error is not None:
            values["error_code"], values["error_detail"] = error
        elif state == MINED:
            values["error_code"] = None
            values["error_detail"] = None
        with self._writing() as session:
            session.execute(
                update(Operation)
                .execution_options(synchronize_session=False)
                .where(Operation.id == op_id, Operation.state.in_(IN_FLIGHT))
                .values(state=state, updated_at=utcnow(), **values)
            )
