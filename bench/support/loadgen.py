"""A small HTTP/1.1 load generator: N keep-alive clients on one asyncio loop.

Each client sends the same request again and again on its own connection for a fixed
time and records every answer's latency; a non-200 answer stops the run (the benchmark
measures correct answers only). Cheap on CPU (raw asyncio streams, no HTTP library), so
the servers under test, not the generator, set the pace; both the baseline and the
gateway are driven by the same generator in the same run.
"""

from __future__ import annotations

import asyncio
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


async def _client(port: int, request: bytes, until: float, latencies: list[float]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < until:
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = head[9:12]
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            body = await reader.readexactly(length)
            if status != b"200":
                raise BadAnswer(f"HTTP {status.decode()}: {body[:300]!r}")
            latencies.append(time.perf_counter() - started)
    finally:
        writer.close()


async def _run(port: int, request: bytes, clients: int, seconds: float) -> Load:
    latencies: list[float] = []
    started = time.perf_counter()
    until = started + seconds
    await asyncio.gather(*(_client(port, request, until, latencies) for _ in range(clients)))
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000 if ordered else 0.0

    return Load(len(ordered), elapsed, pct(0.50), pct(0.99))


def drive(port: int, request: bytes, clients: int, seconds: float) -> Load:
    """``clients`` keep-alive connections sending ``request`` for ``seconds``."""
    return asyncio.run(_run(port, request, clients, seconds))
