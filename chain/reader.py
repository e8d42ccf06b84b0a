"""Chain reads for the read routes: one JSON-RPC batch per request, cached per head block.

:meth:`ChainReader.head` asks the node for its head (``eth_getBlockByNumber("latest")``:
number, hash, time) with a request sent after the caller arrived, so an answer is never
older than the head when the request arrived (concurrent callers share that request).
:meth:`ChainReader.raw_calls` answers a list of ``eth_call`` at that head in
one JSON-RPC batch (one HTTP POST), pinned to the head's number, and remembers each
answer under ``(head hash, to, calldata)``: while the head does not move, the same view
costs no round trip; when a new block arrives every remembered answer is dropped.
Facts that never change for a deployed contract (chain id, code present, EIP-712 domain,
linked addresses) are kept by :meth:`ChainReader.constant`.

Over HTTP the reader speaks JSON-RPC itself (one keep-alive ``http.client`` connection
per thread, orjson), without web3's per-call middleware; on the in-process chain
(eth-tester) it goes through web3, one call at a time.

The async twins (:meth:`ChainReader.head_async`, :meth:`ChainReader.views_async`) serve
``async`` routes without a thread: over HTTP on keep-alive asyncio connections of the
running event loop (:mod:`chain.async_rpc`), sharing the head, the remembered answers and the
counters with the sync side; on the in-process chain they run the sync call in a worker
thread. :meth:`ChainReader.answer_async` keeps a route's serialised answer per head (built
once per head and key, concurrent requests for it waiting for the one build), dropped with
the other answers when the head moves.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
import weakref
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import anyio.to_thread
from web3 import Web3
from web3.exceptions import ContractLogicError
from web3.providers.rpc import HTTPProvider

from chain.async_rpc import AsyncRpc, NodeConnection
from chain.bindings.calls import ViewCall
from chain.errors import ChainUnavailable, revert_data_of
from chain.json_http import JsonHttp
from chain.txpipe.rpc import RevertError, RpcError

T = TypeVar("T")

#: Remembered answers of one head at most (a bound, not a working set: the head moves
#: every block and takes them all away).
MAX_ENTRIES = 16_384
#: Bytes of serialised route answers kept for one head at most.
MAX_ANSWER_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True)
class Head:
    """The block the answers of one request are read at."""

    number: int
    hash: str
    timestamp: int


class _Http(JsonHttp):
    """JSON-RPC over one keep-alive connection per thread."""

    def __init__(self, url: str, timeout: float) -> None:
        super().__init__(url, timeout)
        self.ids = itertools.count(1)

    def unreachable(self, exc: BaseException) -> Exception:
        return ChainUnavailable(f"the chain node at {self.url} does not answer: "
                                f"{type(exc).__name__}")  # fmt: skip

    def server_error(self, status: int) -> Exception:
        return ChainUnavailable(f"the chain node answered HTTP {status}")

    def batch(self, calls: Sequence[tuple[str, list[Any]]]) -> list[Any]:
        """Results in order; an error item is returned as an :class:`RpcError`."""
        first, payload = _payload(self.ids, calls)
        return _results(self.post(payload), first, len(calls))


def _payload(ids: itertools.count[int], calls: Sequence[tuple[str, list[Any]]]) -> tuple[int, Any]:
    """The JSON-RPC request of ``calls`` (one object for one call, else a batch) and the
    id of its first call."""
    first = next(ids)
    payload = [
        {"jsonrpc": "2.0", "id": first + n, "method": method, "params": params}
        for n, (method, params) in enumerate(calls)
    ]
    for _ in range(len(calls) - 1):
        next(ids)
    return first, payload if len(payload) > 1 else payload[0]


async def _batch_async(http: AsyncRpc, calls: Sequence[tuple[str, list[Any]]]) -> list[Any]:
    """:meth:`_Http.batch` on the event loop's connections."""
    first, payload = _payload(http.ids, calls)
    return _results(await http.post(payload), first, len(calls))


def _results(answer: Any, first: int, count: int) -> list[Any]:
    """A JSON-RPC answer's results in request order, an error item as an exception."""
    items = answer if isinstance(answer, list) else [answer]
    by_id = {item.get("id"): item for item in items if isinstance(item, dict)}
    out: list[Any] = []
    for n in range(count):
        item = by_id.get(first + n)
        if item is None:
            raise ChainUnavailable("the chain node left a request of a batch unanswered")
        error = item.get("error")
        if error:
            message = str(error.get("message", ""))
            data = error.get("data")
            if isinstance(data, dict):
                data = data.get("data")
            reverted = error.get("code") == 3 or "revert" in message.lower()
            kind = RevertError if reverted else RpcError
            out.append(kind(message, error.get("code"), data))
        else:
            out.append(item.get("result"))
    return out


@dataclass(eq=False)
class _HeadFlight:
    """A head request on its way: when it was asked, and the callers waiting for it (each
    on a future of its own: one cancelled caller leaves the request to the others)."""

    asked: float
    first: int
    waiters: list[asyncio.Future[Head]] = field(default_factory=list)
    timer: asyncio.TimerHandle | None = None
    task: asyncio.Task[None] | None = None


@dataclass
class _LoopState:
    """What the reader keeps per event loop: its connections, the head request on its way
    and the answers being built."""

    http: AsyncRpc | None
    head: _HeadFlight | None = None
    building: dict[Any, asyncio.Future[bytes]] = field(default_factory=dict)


class ChainReader:
    """Head-keyed, batched ``eth_call`` reads of one chain (see the module doc)."""

    def __init__(
        self,
        w3: Web3,
        *,
        timeout: float = 30.0,
        max_entries: int = MAX_ENTRIES,
        max_answer_bytes: int = MAX_ANSWER_BYTES,
    ) -> None:
        self.w3 = w3
        provider = w3.provider
        url = provider.endpoint_uri if isinstance(provider, HTTPProvider) else None
        self._http = _Http(str(url), timeout) if url else None
        self._lock = threading.Lock()
        self._head_ready = threading.Condition()
        self._head: Head | None = None
        self._head_asked = 0.0
        self._head_fetching = False
        self._head_hash: str | None = None
        self._answers: dict[tuple[str, str, bytes], bytes] = {}
        #: serialised route answers of the current head: key -> (body, views it read)
        self._built: dict[Hashable, tuple[bytes, int]] = {}
        self._built_bytes = 0
        self._constants: dict[Any, Any] = {}
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopState] = (
            weakref.WeakKeyDictionary()
        )
        self.max_entries = max_entries
        self.max_answer_bytes = max_answer_bytes
        #: counters for tests and metrics: view answers served from the cache (a cached
        #: route answer counts the views it was built from) / read from the node
        self.hits = 0
        self.misses = 0
        #: route answers built (serialised) / served from the per-head cache
        self.built = 0
        self.served = 0

    # -- the head ---------------------------------------------------------------------

    def head(self) -> Head:
        """The node's head as of a request to it sent after this call began.

        Concurrent callers share a request: while one is on its way, callers that arrive
        wait for the next one (a head fetched before they arrived could be a block old),
        and every caller waiting when it returns takes its answer."""
        arrived = time.monotonic()
        with self._head_ready:
            while True:
                if self._head is not None and self._head_asked >= arrived:
                    return self._head
                if not self._head_fetching:
                    self._head_fetching = True
                    break
                self._head_ready.wait()
        asked = time.monotonic()
        head: Head | None = None
        try:
            head = self._fetch_head()
        finally:
            with self._head_ready:
                self._head_fetching = False
                if head is not None:
                    self._new_head(head, asked)
                self._head_ready.notify_all()
        return head

    def _new_head(self, head: Head, asked: float) -> None:
        """Take ``head`` (asked for at ``asked``): a new block drops every remembered answer."""
        with self._lock:
            if asked < self._head_asked:  # an older request answered late: keep the newer
                return
            if head.hash != self._head_hash:
                self._answers.clear()  # a new block: remembered answers may be stale
                self._built.clear()
                self._built_bytes = 0
                self._head_hash = head.hash
            self._head, self._head_asked = head, asked

    def _fetch_head(self) -> Head:
        if self._http is not None:
            (block,) = self._http.batch([("eth_getBlockByNumber", ["latest", False])])
            return _head_of(block)
        try:
            found = self.w3.eth.get_block("latest")
        except Exception as exc:  # the in-process chain failing is the chain unavailable
            raise ChainUnavailable(f"the chain gives no head block: {exc}") from exc
        return Head(int(found["number"]), "0x" + bytes(found["hash"]).hex(),
                    int(found["timestamp"]))  # fmt: skip

    async def head_async(self, arrived: float | None = None) -> Head:
        """:meth:`head` for a coroutine: the same rule (a request sent after this call
        began - or after ``arrived``, the ``time.monotonic()`` at which the HTTP request
        this answers reached the gateway - shared by the callers of the event loop
        waiting for it), without a thread over HTTP."""
        if self._http is None:
            return await anyio.to_thread.run_sync(self.head)
        if arrived is None:
            arrived = time.monotonic()
        state = self._loop_state()
        while True:
            with self._lock:
                head, asked = self._head, self._head_asked
            if head is not None and asked >= arrived:
                return head
            flight = state.head or self._ask_head(state, prefetch=False)
            assert flight is not None
            waiter: asyncio.Future[Head] = asyncio.get_running_loop().create_future()
            flight.waiters.append(waiter)
            await waiter

    def prefetch_head(self) -> None:
        """Send the head request now when none is on its way and a kept-alive connection
        to the node is idle: it travels while the HTTP request that will need it is
        parsed and its caller authenticated, and :meth:`head_async` with that request's
        arrival takes its answer (it was sent after the request arrived). Call it on the
        event loop, from the request's first middleware."""
        if self._http is None:
            return
        state = self._loop_state()
        if state.head is None and state.http is not None:
            self._ask_head(state, prefetch=True)

    def _ask_head(self, state: _LoopState, *, prefetch: bool) -> _HeadFlight | None:
        """Send a head request (the loop's flight until it lands): on an idle kept-alive
        connection, its answer taken where it lands (no task); otherwise (``prefetch``:
        not at all) on a connection a task opens."""
        http = state.http
        assert http is not None
        first, payload = _payload(http.ids, [("eth_getBlockByNumber", ["latest", False])])
        request = http.encode(payload)
        flight = _HeadFlight(time.monotonic(), first)  # asked before it is written

        def landed(conn: NodeConnection, outcome: tuple[int, bytes, bool] | BaseException) -> None:
            if flight.timer is not None:
                flight.timer.cancel()
            if isinstance(outcome, BaseException):  # a connection the node had closed...
                flight.task = asyncio.ensure_future(self._head_by_post(state, flight, request))
                return
            try:
                answer: Any = http.decoded(conn, *outcome)
            except Exception as exc:
                answer = exc
            self._land(state, flight, answer)

        conn = http.send_now(request, landed)
        if conn is None:
            if prefetch:
                return None
            flight.task = asyncio.ensure_future(self._head_by_post(state, flight, request))
        else:
            flight.timer = asyncio.get_running_loop().call_later(http.http.timeout, conn.abort)
        state.head = flight
        return flight

    async def _head_by_post(self, state: _LoopState, flight: _HeadFlight, request: bytes) -> None:
        """The flight's request sent on a connection of its own (opened when none is idle)."""
        assert state.http is not None
        flight.asked = time.monotonic()  # the request leaves after this (callers that
        # came before it, in this loop iteration too, take its answer)
        try:
            answer: Any = await state.http.post_encoded(request)
        except BaseException as exc:  # ChainUnavailable, or the loop going away
            self._land(state, flight, exc)
            if not isinstance(exc, Exception):
                raise
            return
        self._land(state, flight, answer)

    def _land(self, state: _LoopState, flight: _HeadFlight, answer: Any) -> None:
        """The flight's answer (or what ended it) to every caller waiting for it; the
        reader's head when it is one."""
        if state.head is flight:
            state.head = None
        outcome: Head | BaseException
        try:
            if isinstance(answer, BaseException):
                raise answer
            (block,) = _results(answer, flight.first, 1)
            outcome = _head_of(block)
            self._new_head(outcome, flight.asked)
        except BaseException as exc:
            outcome = exc
        for waiter in flight.waiters:
            if waiter.done():  # its caller went away
                continue
            if isinstance(outcome, Head):
                waiter.set_result(outcome)
            else:
                waiter.set_exception(outcome)

    def _loop_state(self) -> _LoopState:
        loop = asyncio.get_running_loop()
        with self._lock:
            state = self._loops.get(loop)
            if state is None:
                http = AsyncRpc(self._http, self._http.ids) if self._http is not None else None
                state = self._loops[loop] = _LoopState(http)
            return state

    # -- calls at the head ----------------------------------------------------------------

    def _remembered(
        self, head: Head, calls: Sequence[tuple[str, bytes]]
    ) -> tuple[list[bytes | None], list[int]]:
        out: list[bytes | None] = []
        missing: list[int] = []
        with self._lock:
            current = head.hash == self._head_hash
            for n, (to, data) in enumerate(calls):
                found = self._answers.get((head.hash, to, data)) if current else None
                out.append(found)
                if found is None:
                    missing.append(n)
            self.hits += len(calls) - len(missing)
            self.misses += len(missing)
        return out, missing

    def _remember(
        self,
        head: Head,
        calls: Sequence[tuple[str, bytes]],
        out: list[bytes | None],
        missing: list[int],
        fetched: list[bytes],
    ) -> list[bytes]:
        with self._lock:
            keep = head.hash == self._head_hash
            if keep and len(self._answers) + len(missing) > self.max_entries:
                self._answers.clear()
            for n, raw in zip(missing, fetched, strict=True):
                out[n] = raw
                if keep:
                    self._answers[(head.hash, calls[n][0], calls[n][1])] = raw
        return [raw for raw in out if raw is not None]

    def raw_calls(self, head: Head, calls: Sequence[tuple[str, bytes]]) -> list[bytes]:
        """``eth_call`` of each ``(to, calldata)`` at ``head``: remembered answers, the rest
        in one batch. A reverting call raises :class:`RevertError`."""
        out, missing = self._remembered(head, calls)
        fetched = self._fetch(head, [calls[n] for n in missing]) if missing else []
        return self._remember(head, calls, out, missing, fetched)

    async def raw_calls_async(self, head: Head, calls: Sequence[tuple[str, bytes]]) -> list[bytes]:
        """:meth:`raw_calls` for a coroutine (over HTTP without a thread)."""
        if self._http is None:
            return await anyio.to_thread.run_sync(self.raw_calls, head, calls)
        out, missing = self._remembered(head, calls)
        fetched: list[bytes] = []
        if missing:
            http = self._loop_state().http
            assert http is not None
            fetched = _call_results(
                await _batch_async(http, _call_requests(head, [calls[n] for n in missing]))
            )
        return self._remember(head, calls, out, missing, fetched)

    def _fetch(self, head: Head, calls: Sequence[tuple[str, bytes]]) -> list[bytes]:
        if self._http is not None:
            return _call_results(self._http.batch(_call_requests(head, calls)))
        results = []
        for to, data in calls:
            try:
                results.append(bytes(self.w3.eth.call(
                    {"to": Web3.to_checksum_address(to), "data": "0x" + data.hex()},  # type: ignore[typeddict-item]
                    head.number,
                )))  # fmt: skip
            except ContractLogicError as exc:
                raise RevertError(str(exc), 3, revert_data_of(exc)) from exc
        return results

    def views(self, head: Head, calls: Sequence[tuple[str, ViewCall, Sequence[Any]]]) -> list[Any]:
        """Each ``(address, view, args)`` decoded as :meth:`ViewCall.decode` names it."""
        encoded = [(address, view.encode(*args)) for address, view, args in calls]
        raws = self.raw_calls(head, encoded)
        return [view.decode(raw) for (_, view, _), raw in zip(calls, raws, strict=True)]

    async def views_async(
        self, head: Head, calls: Sequence[tuple[str, ViewCall, Sequence[Any]]]
    ) -> list[Any]:
        """:meth:`views` for a coroutine."""
        encoded = [(address, view.encode(*args)) for address, view, args in calls]
        raws = await self.raw_calls_async(head, encoded)
        return [view.decode(raw) for (_, view, _), raw in zip(calls, raws, strict=True)]

    def view(self, head: Head, address: str, view: ViewCall, *args: Any) -> Any:
        return self.views(head, [(address, view, args)])[0]

    # -- route answers, serialised once per head ----------------------------------------

    def answer(self, head: Head, key: Hashable) -> bytes | None:
        """The answer built for ``key`` at ``head``, if any (counted as a hit of every
        view it was built from)."""
        with self._lock:
            found = self._built.get(key) if head.hash == self._head_hash else None
            if found is None:
                return None
            self.hits += found[1]
            self.served += 1
            return found[0]

    def remember_answer(self, head: Head, key: Hashable, body: bytes, views: int) -> None:
        """Keep ``body`` as the answer for ``key`` until the head moves from ``head``
        (``views``: how many view answers it was built from)."""
        with self._lock:
            if head.hash != self._head_hash:
                return
            if self._built_bytes + len(body) > self.max_answer_bytes:
                self._built.clear()
                self._built_bytes = 0
            previous = self._built.get(key)
            self._built_bytes += len(body) - (len(previous[0]) if previous else 0)
            self._built[key] = (body, views)
            self.built += 1

    async def answer_async(
        self,
        head: Head,
        key: Hashable,
        build: Callable[[], Awaitable[tuple[bytes, int]]],
    ) -> bytes:
        """The answer for ``key`` at ``head``: kept from an earlier request at this head,
        or ``build()`` (``(body, views read)``), run once for the requests of this event
        loop that ask for it at the same time. A failed build is not kept."""
        found = self.answer(head, key)
        if found is not None:
            return found
        state = self._loop_state()
        flight = (head.hash, key)
        pending = state.building.get(flight)
        if pending is None:

            async def run() -> bytes:
                try:
                    body, views = await build()
                    self.remember_answer(head, key, body, views)
                    return body
                finally:
                    state.building.pop(flight, None)

            pending = state.building[flight] = asyncio.ensure_future(run())
        return await asyncio.shield(pending)

    # -- constants ----------------------------------------------------------------------

    def constant(self, key: Any, compute: Callable[[], T]) -> T:
        """``compute()`` once for ``key`` (facts a deployed contract never changes)."""
        with self._lock:
            if key in self._constants:
                found: T = self._constants[key]
                return found
        value = compute()
        with self._lock:
            self._constants[key] = value
        return value


def _head_of(block: Any) -> Head:
    if isinstance(block, Exception) or not isinstance(block, dict):
        raise ChainUnavailable(f"the chain node gave no head block: {block}")
    return Head(int(block["number"], 16), str(block["hash"]), int(block["timestamp"], 16))


def _call_requests(head: Head, calls: Sequence[tuple[str, bytes]]) -> list[tuple[str, list[Any]]]:
    tag = hex(head.number)
    return [("eth_call", [{"to": to, "data": "0x" + data.hex()}, tag]) for to, data in calls]


def _call_results(answers: list[Any]) -> list[bytes]:
    out = []
    for answer in answers:
        if isinstance(answer, Exception):
            raise answer
        out.append(bytes.fromhex(str(answer or "0x")[2:]))
    return out
