"""A small HTTP/1.1 load generator: N keep-alive clients on one asyncio loop.

Each client sends the same request again and again on its own connection for a fixed
time and records every answer's latency; a non-200 answer stops the run (the benchmark
measures correct answers only). Cheap on CPU (raw asyncio streams, no HTTP library), so
the servers under test, not the generator, set the pace; both the baseline and the
gateway are driven by the same generator in the same run.

One client is a plain blocking socket instead (no event loop): an asyncio round trip
costs the generator itself 120-220 us of CPU per request on the benchmark machine, a
fifth to a third of a bare app's 1-client round trip, which would flatten every
1-client ratio towards 1; the blocking client costs a fraction of that.
"""

from __future__ import annotations

import asyncio
import socket
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Load:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


def request_bytes(
    method: str, path: str, port: int, body: bytes = b"", headers: dict[str, str] | None = None
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: keep-alive"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if body or method == "POST":
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class BadAnswer(RuntimeError):
    pass


def _answer(head: bytes) -> tuple[bytes, int]:
    """The status and the body's length of a response head."""
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return head[9:12], length


def _check(status: bytes, body: bytes) -> None:
    if status != b"200":
        raise BadAnswer(f"HTTP {status.decode()}: {body[:300]!r}")


def _one_client(port: int, request: bytes, seconds: float) -> list[float]:
    """One keep-alive connection, blocking: send, read the whole answer, again."""
    latencies: list[float] = []
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buffer = b""
        until = time.perf_counter() + seconds
        while time.perf_counter() < until:
            started = time.perf_counter()
            sock.sendall(request)
            while (end := buffer.find(b"\r\n\r\n")) < 0:
                chunk = sock.recv(65536)
                if not chunk:
                    raise BadAnswer("the server closed the connection")
                buffer += chunk
            status, length = _answer(buffer[:end])
            buffer = buffer[end + 4 :]
            while len(buffer) < length:
                chunk = sock.recv(65536)
                if not chunk:
                    raise BadAnswer("the server closed the connection")
                buffer += chunk
            body, buffer = buffer[:length], buffer[length:]
            _check(status, body)
            latencies.append(time.perf_counter() - started)
    return latencies


async def _client(port: int, request: bytes, until: float, latencies: list[float]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < until:
            started = time.perf_counter()
            writer.write(request)
            status, length = _answer(await reader.readuntil(b"\r\n\r\n"))
            _check(status, await reader.readexactly(length))
            latencies.append(time.perf_counter() - started)
    finally:
        writer.close()


def _load(latencies: list[float], elapsed: float) -> Load:
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000 if ordered else 0.0

    return Load(len(ordered), elapsed, pct(0.50), pct(0.99))


async def _run(port: int, request: bytes, clients: int, seconds: float) -> Load:
    latencies: list[float] = []
    started = time.perf_counter()
    until = started + seconds
    await asyncio.gather(*(_client(port, request, until, latencies) for _ in range(clients)))
    return _load(latencies, time.perf_counter() - started)


def drive(port: int, request: bytes, clients: int, seconds: float) -> Load:
    """``clients`` keep-alive connections sending ``request`` for ``seconds`` (one client:
    a blocking socket, see the module doc)."""
    if clients == 1:
        started = time.perf_counter()
        latencies = _one_client(port, request, seconds)
        return _load(latencies, time.perf_counter() - started)
    return asyncio.run(_run(port, request, clients, seconds))


class _ClosedBeforeAnswer(BadAnswer):
    """The server closed the connection before a byte of the answer came back."""


@dataclass(frozen=True)
class Answer:
    status: int
    #: header names in lower case
    headers: dict[str, str]
    body: bytes


class KeepAlive:
    """One blocking keep-alive HTTP/1.1 connection for a client thread that sends varied
    requests (the write bench: each POST has a body of its own, and the client reads
    ``Retry-After`` and ``Preference-Applied``). A few tens of microseconds of CPU a
    request, where ``httpx`` or ``requests`` take over a millisecond: on two cores the
    generator's CPU is taken from the server it measures."""

    def __init__(self, host: str, port: int, timeout: float = 120.0) -> None:
        self._address = (host, port)
        self._host = f"{host}:{port}"
        self._timeout = timeout
        self._sock: socket.socket | None = None
        self._buffer = b""

    @classmethod
    def to(cls, url: str, timeout: float = 120.0) -> KeepAlive:
        """A connection to ``http://host:port`` (a path in ``url`` is ignored)."""
        rest = url.split("://", 1)[-1].split("/", 1)[0]
        host, _, port = rest.rpartition(":")
        return cls(host or rest, int(port) if host else 80, timeout)

    def _connect(self) -> socket.socket:
        if self._sock is None:
            sock = socket.create_connection(self._address, timeout=self._timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._sock, self._buffer = sock, b""
        return self._sock

    def post(self, path: str, body: bytes, headers: dict[str, str] | None = None) -> Answer:
        """POST ``body`` (JSON) to ``path`` and read the whole answer. A kept-alive
        connection the server closed while it was idle (a client that waited out a
        ``Retry-After`` longer than the server's keep-alive) is opened again once, when
        not a byte of the answer came back (the request never reached a live
        connection), as HTTP clients do."""
        lines = [f"POST {path} HTTP/1.1", f"Host: {self._host}",
                 "Content-Type: application/json", f"Content-Length: {len(body)}"]  # fmt: skip
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
        reused = self._sock is not None
        try:
            return self._exchange(request)
        except (_ClosedBeforeAnswer, ConnectionResetError, BrokenPipeError):
            if not reused:
                raise
            self.close()
            return self._exchange(request)

    def _exchange(self, request: bytes) -> Answer:
        sock = self._connect()
        sock.sendall(request)
        while (end := self._buffer.find(b"\r\n\r\n")) < 0:
            self._receive(sock)
        head, self._buffer = self._buffer[:end], self._buffer[end + 4 :]
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        fields: dict[str, str] = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.strip()
        if "content-length" not in fields:
            raise BadAnswer(f"an answer without Content-Length: {head[:300]!r}")
        length = int(fields["content-length"])
        while len(self._buffer) < length:
            self._receive(sock)
        answer, self._buffer = self._buffer[:length], self._buffer[length:]
        if fields.get("connection", "").lower() == "close":
            self.close()
        return Answer(int(status_line.split(" ", 2)[1]), fields, answer)

    def _receive(self, sock: socket.socket) -> None:
        chunk = sock.recv(65536)
        if not chunk:
            nothing_yet = not self._buffer
            self.close()
            raise (_ClosedBeforeAnswer if nothing_yet else BadAnswer)(
                "the server closed the connection"
            )
        self._buffer += chunk

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def __enter__(self) -> KeepAlive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
