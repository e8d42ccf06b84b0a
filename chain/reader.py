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
"""

from __future__ import annotations

import http.client
import itertools
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import orjson
from web3 import Web3
from web3.exceptions import ContractLogicError
from web3.providers.rpc import HTTPProvider

from chain.bindings.calls import ViewCall
from chain.errors import ChainUnavailable, revert_data_of
from chain.txpipe.rpc import RevertError, RpcError

T = TypeVar("T")

#: Remembered answers of one head at most (a bound, not a working set: the head moves
#: every block and takes them all away).
MAX_ENTRIES = 16_384


@dataclass(frozen=True)
class Head:
    """The block the answers of one request are read at."""

    number: int
    hash: str
    timestamp: int


class _Http:
    """JSON-RPC over one keep-alive connection per thread."""

    def __init__(self, url: str, timeout: float) -> None:
        parts = urlsplit(url)
        self.secure = parts.scheme == "https"
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (443 if self.secure else 80)
        self.path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.url = url
        self.timeout = timeout
        self.local = threading.local()
        self.ids = itertools.count(1)

    def _connection(self) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection | None = getattr(self.local, "conn", None)
        if conn is None:
            kind = http.client.HTTPSConnection if self.secure else http.client.HTTPConnection
            conn = kind(self.host, self.port, timeout=self.timeout)
            self.local.conn = conn
        return conn

    def post(self, payload: Any) -> Any:
        body = orjson.dumps(payload)
        headers = {"Content-Type": "application/json"}
        for attempt in (1, 2):  # a kept-alive connection the node closed: reconnect once
            conn = self._connection()
            try:
                conn.request("POST", self.path, body, headers)
                response = conn.getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                self.local.conn = None
                if attempt == 2:
                    raise ChainUnavailable(
                        f"the chain node at {self.url} does not answer: {type(exc).__name__}"
                    ) from exc
                continue
            if response.status >= 500 and not data:
                raise ChainUnavailable(f"the chain node answered HTTP {response.status}")
            return orjson.loads(data)
        raise AssertionError("unreachable")

    def batch(self, calls: Sequence[tuple[str, list[Any]]]) -> list[Any]:
        """Results in order; an error item is returned as an :class:`RpcError`."""
        first = next(self.ids)
        payload = [
            {"jsonrpc": "2.0", "id": first + n, "method": method, "params": params}
            for n, (method, params) in enumerate(calls)
        ]
        for _ in range(len(calls) - 1):
            next(self.ids)
        answer = self.post(payload if len(payload) > 1 else payload[0])
        items = answer if isinstance(answer, list) else [answer]
        by_id = {item.get("id"): item for item in items if isinstance(item, dict)}
        out: list[Any] = []
        for n in range(len(calls)):
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


class ChainReader:
    """Head-keyed, batched ``eth_call`` reads of one chain (see the module doc)."""

    def __init__(self, w3: Web3, *, timeout: float = 30.0, max_entries: int = MAX_ENTRIES) -> None:
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
        self._constants: dict[Any, Any] = {}
        self.max_entries = max_entries
        #: counters for tests and metrics: answers served from the cache / read from the node
        self.hits = 0
        self.misses = 0

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
                    if head.hash != self._head_hash:
                        with self._lock:
                            self._answers.clear()  # a new block: remembered answers may be stale
                            self._head_hash = head.hash
                    self._head, self._head_asked = head, asked
                self._head_ready.notify_all()
        return head

    def _fetch_head(self) -> Head:
        if self._http is not None:
            (block,) = self._http.batch([("eth_getBlockByNumber", ["latest", False])])
            if isinstance(block, Exception) or block is None:
                raise ChainUnavailable(f"the chain node gave no head block: {block}")
            return Head(int(block["number"], 16), str(block["hash"]), int(block["timestamp"], 16))
        try:
            found = self.w3.eth.get_block("latest")
        except Exception as exc:  # the in-process chain failing is the chain unavailable
            raise ChainUnavailable(f"the chain gives no head block: {exc}") from exc
        return Head(int(found["number"]), "0x" + bytes(found["hash"]).hex(),
                    int(found["timestamp"]))  # fmt: skip

    # -- calls at the head ----------------------------------------------------------------

    def raw_calls(self, head: Head, calls: Sequence[tuple[str, bytes]]) -> list[bytes]:
        """``eth_call`` of each ``(to, calldata)`` at ``head``: remembered answers, the rest
        in one batch. A reverting call raises :class:`RevertError`."""
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
        if missing:
            fetched = self._fetch(head, [calls[n] for n in missing])
            with self._lock:
                keep = head.hash == self._head_hash
                if keep and len(self._answers) + len(missing) > self.max_entries:
                    self._answers.clear()
                for n, raw in zip(missing, fetched, strict=True):
                    out[n] = raw
                    if keep:
                        self._answers[(head.hash, calls[n][0], calls[n][1])] = raw
        return [raw for raw in out if raw is not None]

    def _fetch(self, head: Head, calls: Sequence[tuple[str, bytes]]) -> list[bytes]:
        if self._http is not None:
            tag = hex(head.number)
            answers = self._http.batch([
                ("eth_call", [{"to": to, "data": "0x" + data.hex()}, tag]) for to, data in calls
            ])  # fmt: skip
            out = []
            for answer in answers:
                if isinstance(answer, Exception):
                    raise answer
                out.append(bytes.fromhex(str(answer or "0x")[2:]))
            return out
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

    def view(self, head: Head, address: str, view: ViewCall, *args: Any) -> Any:
        return self.views(head, [(address, view, args)])[0]

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
