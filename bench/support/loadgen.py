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
