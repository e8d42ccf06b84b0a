"""``GET /metrics`` in the Prometheus text format, written by hand (no client library).

Series: ``ledger_http_requests_total{method,route,status}``,
``ledger_http_request_duration_seconds`` (histogram by method and route),
``ledger_operations{state}`` (the outbox by state), ``ledger_chain_head_block`` and
``ledger_chain_up``. Other parts add gauges with :func:`register_gauge` (e.g. the
indexer's head lag).
"""

from __future__ import annotations

import bisect
import threading
import time
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

BUCKETS = (0.005, 0.01, 0.02, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

GaugeFn = Callable[[Any], float | dict[tuple[tuple[str, str], ...], float] | None]


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(pairs: tuple[tuple[str, str], ...]) -> str:
    if not pairs:
        return ""
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in pairs) + "}"


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


class Metrics:
    """Request counters and latency histograms, plus gauges computed at scrape time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: dict[tuple[str, str, str], float] = {}
        self.latency: dict[tuple[str, str], list[float]] = {}  # bucket counts, sum, count
        self.gauges: dict[str, tuple[str, GaugeFn, str]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        with self._lock:
            key = (method, route, str(status))
            self.requests[key] = self.requests.get(key, 0) + 1
            series = self.latency.setdefault((method, route), [0.0] * (len(BUCKETS) + 2))
            index = bisect.bisect_left(BUCKETS, seconds)
            for i in range(index, len(BUCKETS)):
                series[i] += 1
            series[-2] += seconds
            series[-1] += 1

    def register_gauge(self, name: str, help_text: str, fn: GaugeFn, kind: str = "gauge") -> None:
        """``fn(app)`` returns a value, ``{labels: value}`` or None (series left out);
        ``kind`` ``counter`` for a value that only grows."""
        self.gauges[name] = (help_text, fn, kind)

    def render(self, app: Any) -> str:
        lines = [
            "# HELP ledger_http_requests_total HTTP requests by method, route and status.",
            "# TYPE ledger_http_requests_total counter",
        ]
        with self._lock:
            requests = dict(self.requests)
            latency = {k: list(v) for k, v in self.latency.items()}
        for (method, route, status), count in sorted(requests.items()):
            pairs = (("method", method), ("route", route), ("status", status))
            lines.append(f"ledger_http_requests_total{_labels(pairs)} {_num(count)}")
        lines += [
            "# HELP ledger_http_request_duration_seconds Request latency by method and route.",
            "# TYPE ledger_http_request_duration_seconds histogram",
        ]
        name = "ledger_http_request_duration_seconds"
        for (method, route), series in sorted(latency.items()):
            base = (("method", method), ("route", route))
            for bound, count in zip(BUCKETS, series, strict=False):
                lines.append(f"{name}_bucket{_labels((*base, ('le', _num(bound))))} {_num(count)}")
            lines.append(f"{name}_bucket{_labels((*base, ('le', '+Inf')))} {_num(series[-1])}")
            lines.append(f"{name}_sum{_labels(base)} {series[-2]!r}")
            lines.append(f"{name}_count{_labels(base)} {_num(series[-1])}")
        for gauge, (help_text, fn, kind) in sorted(self.gauges.items()):
            try:
                value = fn(app)
            except Exception:  # a gauge that cannot be computed now is left out
                value = None
            if value is None:
                continue
            lines += [f"# HELP {gauge} {help_text}", f"# TYPE {gauge} {kind}"]
            if isinstance(value, dict):
                for labels, v in sorted(value.items()):
                    lines.append(f"{gauge}{_labels(labels)} {_num(v)}")
            else:
                lines.append(f"{gauge} {_num(value)}")
        return "\n".join(lines) + "\n"


class MetricsMiddleware:
    """Counts every HTTP request by method, matched route and status, and times it: a pure
    ASGI middleware (no task, no stream per request), the status read from the response
    start message; a request whose app raised before answering counts as 500."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = getattr(scope.get("route"), "path", None)
            self.metrics.observe(
                scope["method"], str(route) if route else "unmatched", status,
                time.perf_counter() - started,
            )  # fmt: skip


def _operations_by_state(app: Any) -> dict[tuple[tuple[str, str], ...], float] | None:
    from chain.txpipe import STATES

    runtime = getattr(app.state, "runtime", None)
    if runtime is None:
        return None
    counts = runtime.txpipe.state_counts.counts()
    return {(("state", s),): float(counts.get(s, 0)) for s in STATES}


def _pipeline_count(name: str) -> Callable[[Any], float | None]:
    def count(app: Any) -> float | None:
        runtime = getattr(app.state, "runtime", None)
        return None if runtime is None else float(getattr(runtime.txpipe, name))

    return count


def _chain_head(app: Any) -> float | None:
    runtime = getattr(app.state, "runtime", None)
    return None if runtime is None else float(runtime.w3.eth.block_number)


def _chain_up(app: Any) -> float:
    try:
        return 1.0 if _chain_head(app) is not None else 0.0
    except Exception:
        return 0.0


def install_metrics(app: FastAPI) -> Metrics:
    """Count every request and serve ``GET /metrics``."""
    metrics = Metrics()
    metrics.register_gauge(
        "ledger_operations", "Journaled operations by state.", _operations_by_state
    )
    metrics.register_gauge(
        "ledger_chain_head_block", "Latest block number of the chain.", _chain_head
    )
    metrics.register_gauge("ledger_chain_up", "1 when the chain node answers.", _chain_up)
    metrics.register_gauge(
        "ledger_write_bursts_total",
        "Bursts of writes journaled in one database transaction and sent in one batch.",
        _pipeline_count("batches"),
        "counter",
    )
    metrics.register_gauge(
        "ledger_write_burst_writes_total",
        "Writes journaled in those bursts (divided by the bursts: the mean burst).",
        _pipeline_count("burst_writes"),
        "counter",
    )
    metrics.register_gauge(
        "ledger_write_run_batches_total",
        "JSON-RPC batches the eth_call runs of writes (before journaling) went to the node in.",
        _pipeline_count("run_batches"),
        "counter",
    )
    metrics.register_gauge(
        "ledger_write_runs_total",
        "eth_call runs of writes sent in those batches (divided by the batches: the mean).",
        _pipeline_count("batched_runs"),
        "counter",
    )
    app.state.metrics = metrics

    app.add_middleware(MetricsMiddleware, metrics=metrics)

    router = APIRouter(tags=["health"])

    @router.get("/metrics", summary="Prometheus metrics", response_class=Response)
    def metrics_endpoint(request: Request) -> Response:
        return Response(metrics.render(request.app), media_type=CONTENT_TYPE)

    app.include_router(router)
    return metrics
