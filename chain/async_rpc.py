"""JSON-RPC to the node over kept-alive asyncio connections of one event loop.

Each connection is an :class:`asyncio.Protocol` (:class:`NodeConnection`) that parses the
node's HTTP/1.1 answer as its bytes arrive (a body of known length, chunked, or up to the
connection's end) and hands the complete answer to the callback waiting for it, from the
event loop's read callback itself. A caller that needs an answer waits on one future of
its own; the chain reader's head request needs no task at all (its answer is taken where
it lands). A stream reader and a task to read it cost about 30 us a request more on the
read routes' critical path (a task, its wake-ups, a shield), a third of a round trip to
a local node.

Every JSON-RPC call sent this way is safe to repeat (reads): an answer lost with a
kept-alive connection the node had closed is asked again on another connection.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import ssl
from collections.abc import Callable
from typing import Any, cast

import orjson

from chain.errors import ChainUnavailable
from chain.json_http import JsonHttp

#: an HTTP answer: status, body, whether the connection may be reused
Answer = tuple[int, bytes, bool]
#: called once per request with its connection and its answer, or what ended it
Done = Callable[["NodeConnection", Answer | BaseException], None]
#: what a request on a connection to the node can fail with
FAILURES = (OSError, EOFError, ValueError, TimeoutError)
#: idle keep-alive connections kept per event loop
MAX_IDLE_CONNECTIONS = 8


def parse_answer(buffer: bytearray, eof: bool) -> tuple[Answer, int] | None:
    """The first HTTP/1.1 answer in ``buffer`` and the bytes it took; None while it is
    incomplete (``eof``: the node closed its side, a body without a length ends there).
    A malformed answer raises :class:`ValueError`."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    lines = bytes(buffer[:end]).split(b"\r\n")
    try:
        status = int(lines[0].split(None, 2)[1])
    except (IndexError, ValueError) as exc:
        raise ValueError(f"not an HTTP answer: {lines[0][:80]!r}") from exc
    length: int | None = None
    chunked = False
    keep = lines[0].startswith(b"HTTP/1.1")
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value
        elif name == b"connection":
            keep = value != b"close" and (keep or value == b"keep-alive")
    start = end + 4
    if chunked:
        return _chunked(buffer, start, status, keep)
    if length is not None:
        if len(buffer) < start + length:
            return None
        return (status, bytes(buffer[start : start + length]), keep), start + length
    if not eof:
        return None
    return (status, bytes(buffer[start:]), False), len(buffer)


def _chunked(buffer: bytearray, pos: int, status: int, keep: bool) -> tuple[Answer, int] | None:
    parts: list[bytes] = []
    while True:
        eol = buffer.find(b"\r\n", pos)
        if eol < 0:
            return None
        size = int(bytes(buffer[pos:eol]).split(b";")[0].strip(), 16)
        pos = eol + 2
        if size == 0:
            while True:  # trailers, up to an empty line
                eol = buffer.find(b"\r\n", pos)
                if eol < 0:
                    return None
                empty, pos = eol == pos, eol + 2
                if empty:
                    return (status, b"".join(parts), keep), pos
        if len(buffer) < pos + size + 2:
            return None
        parts.append(bytes(buffer[pos : pos + size]))
        pos += size + 2


class NodeConnection(asyncio.Protocol):
    """One kept-alive HTTP/1.1 connection to the node, one request on it at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self._buffer = bytearray()
        self._eof = False
        self._done: Done | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        self._deliver()

    def eof_received(self) -> bool:
        self._eof = True
        self._deliver()
        return False  # the transport closes itself

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(exc or EOFError("the chain node closed the connection"))

    def send(self, request: bytes, done: Done) -> None:
        """Write ``request``; ``done(self, answer)`` is called once, on the event loop,
        with its answer or what ended it. :class:`ConnectionError` when the connection is
        gone already."""
        transport = self.transport
        if self.closed or self._eof or transport is None or transport.is_closing():
            raise ConnectionResetError("the connection to the chain node is closed")
        self._buffer.clear()
        self._done = done
        transport.write(request)

    def abort(self) -> None:
        """Close at once (a request that took too long): its callback gets the error."""
        self.closed = True
        if self.transport is not None:
            self.transport.abort()
        self._fail(TimeoutError("the chain node did not answer in time"))

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def _deliver(self) -> None:
        if self._done is None:
            return
        try:
            parsed = parse_answer(self._buffer, self._eof)
        except ValueError as exc:
            self.close()
            self._fail(exc)
            return
        if parsed is None:
            if self._eof:
                self._fail(EOFError("the chain node closed the connection mid-answer"))
            return
        answer, used = parsed
        del self._buffer[:used]
        done, self._done = self._done, None
        done(self, answer)

    def _fail(self, exc: BaseException) -> None:
        done, self._done = self._done, None
        if done is not None:
            done(self, exc)


def _settle(future: asyncio.Future[Answer], _conn: NodeConnection,
            outcome: Answer | BaseException) -> None:  # fmt: skip
    if future.done():  # its caller gave up (a timeout, a cancelled request)
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)


class AsyncRpc:
    """JSON-RPC POSTs on the kept-alive connections of one event loop."""

    def __init__(self, http: JsonHttp, ids: itertools.count[int]) -> None:
        self.http = http
        self.ids = ids
        self.idle: list[NodeConnection] = []

    async def _open(self) -> NodeConnection:
        h = self.http
        context = ssl.create_default_context() if h.secure else None
        loop = asyncio.get_running_loop()
        _, conn = await loop.create_connection(NodeConnection, h.host, h.port, ssl=context)
        return conn

    def encode(self, payload: Any) -> bytes:
        """The HTTP request that POSTs ``payload``."""
        h = self.http
        body = orjson.dumps(payload)
        return (
            f"POST {h.path} HTTP/1.1\r\nHost: {h.host}:{h.port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode() + body

    def send_now(self, request: bytes, done: Done) -> NodeConnection | None:
        """Write ``request`` on an idle kept-alive connection without waiting (``done`` is
        called with its answer); the connection, None when none is idle."""
        while self.idle:
            conn = self.idle.pop()
            try:
                conn.send(request, done)
            except ConnectionError:
                conn.close()
                continue
            return conn
        return None

    async def post(self, payload: Any) -> Any:
        return await self.post_encoded(self.encode(payload))

    async def post_encoded(self, request: bytes) -> Any:
        """The decoded answer to ``request``; :class:`ChainUnavailable` when the node
        cannot be reached or does not answer in time."""
        h = self.http
        loop = asyncio.get_running_loop()
        while True:
            reused = bool(self.idle)
            conn: NodeConnection | None = self.idle.pop() if reused else None
            try:
                # asyncio.timeout, not wait_for: no task of its own per request
                async with asyncio.timeout(h.timeout):
                    if conn is None:
                        conn = await self._open()
                    future: asyncio.Future[Answer] = loop.create_future()
                    conn.send(request, functools.partial(_settle, future))
                    status, data, keep = await future
            except FAILURES as exc:
                if conn is not None:
                    conn.close()
                if reused and not isinstance(exc, TimeoutError):
                    continue  # a kept-alive connection the node closed: try another
                # (a node that did not answer in time is not asked again on each idle
                # connection: one timeout is the caller's wait)
                raise ChainUnavailable(
                    f"the chain node at {h.url} does not answer: {type(exc).__name__}"
                ) from exc
            return self.decoded(conn, status, data, keep)

    def decoded(self, conn: NodeConnection, status: int, data: bytes, keep: bool) -> Any:
        """Keep ``conn`` for the next request when it may be reused; the decoded body."""
        if keep and not conn.closed and len(self.idle) < MAX_IDLE_CONNECTIONS:
            self.idle.append(conn)
        else:
            conn.close()
        if status >= 500 and not data:
            raise ChainUnavailable(f"the chain node answered HTTP {status}")
        return orjson.loads(data)
