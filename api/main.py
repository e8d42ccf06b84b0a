"""The gateway application: ``create_app`` wires settings, chain runtime and routers.

The lifespan starts the runtime (unless one is passed in), opens it (consortium org,
bootstrap admin, outbox reconcile, receipt tracker) and stops the tracker on shutdown.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from api.errors import install_error_handlers
from api.head_prefetch import HeadPrefetch
from api.limits import BodyGuard, restore_recursion_limit
from api.metrics import install_metrics
from api.routers import ROUTERS, freeze_routes, hot_routes_first
from api.routes import health, operations, users
from chain.indexer.models import create_tables
from chain.indexer.process import IndexerProcess, indexer_process
from chain.indexer.runner import IndexerRunner, indexer_for_deployment
from chain.runtime import LedgerRuntime
from chain.settings import LedgerSettings, get_settings

restore_recursion_limit()


def start_indexer(runtime: LedgerRuntime) -> IndexerRunner | IndexerProcess | None:
    """Follow both contracts' logs into the gateway's database: in a process of its own
    when the settings ask for it and the chain is a node over HTTP, else in a thread."""
    if not runtime.deployment.contracts:
        return None
    settings = runtime.settings
    create_tables(runtime.index_engine)
    rpc_url = getattr(runtime.w3.provider, "endpoint_uri", None)
    runner: IndexerRunner | IndexerProcess
    if settings.indexer_process and runtime.handle.tester is None and rpc_url:
        runner = indexer_process(
            settings, runtime.deployment, str(rpc_url), runtime.sessions,
            head=lambda: int(runtime.w3.eth.block_number),
        )  # fmt: skip
    else:
        indexer = indexer_for_deployment(
            runtime.w3,
            runtime.index_sessions,
            runtime.deployment,
            confirmations=settings.confirmations,
            batch_size=settings.indexer_batch_size,
        )
        runner = IndexerRunner(indexer, poll_interval=settings.indexer_poll_seconds)
    runner.start()
    return runner


#: collections of the middle generation between two full ones (CPython's default: 10)
FULL_COLLECTION_EVERY = 100


def freeze_startup_objects() -> tuple[int, int, int]:
    """Move every object alive after start-up (contracts, ABIs, web3, the route table:
    ~250,000) out of the garbage collector's view: a full collection then walks only what
    requests allocated since, instead of pausing every request for ~0.3 s on this machine
    (the p99 of the read load). And run full collections a tenth as often: each still
    pauses every thread while it walks what was allocated since start-up (15-48 ms, every
    5-30 s, in the write benchmark's gateway); the young generations, where short-lived
    cycles die, are collected as before. Shutdown unfreezes them and restores the
    thresholds returned here."""
    gc.collect()
    gc.freeze()
    before = gc.get_threshold()
    gc.set_threshold(before[0], before[1], FULL_COLLECTION_EVERY)
    return before


def _indexer_status(app: FastAPI) -> dict[str, Any] | None:
    runner: IndexerRunner | IndexerProcess | None = getattr(app.state, "indexer", None)
    return runner.status() if runner is not None else None


def _indexer_gauge(key: str) -> Callable[[Any], float | None]:
    def gauge(app: Any) -> float | None:
        status = _indexer_status(app)
        value = status.get(key) if status else None
        return float(value) if isinstance(value, int | float) else None

    return gauge


def create_app(
    settings: LedgerSettings | None = None,
    runtime: LedgerRuntime | None = None,
    *,
    deploy: bool = True,
) -> FastAPI:
    """Build the app; pass ``runtime`` to share one chain between test apps.

    ``deploy=False`` starts without deploying the ledger contracts (tools and tests
    that bring their own contracts).
    """
    resolved = settings or (runtime.settings if runtime else get_settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        active = runtime
        if active is None:
            active = await run_in_threadpool(LedgerRuntime.start, resolved, deploy=deploy)
            restore_recursion_limit()
        app.state.runtime = active
        await run_in_threadpool(active.open)
        app.state.indexer_store = active.sessions
        runner = start_indexer(active) if active.settings.indexer_enabled else None
        app.state.indexer = runner
        thresholds = freeze_startup_objects()
        try:
            yield
        finally:
            gc.unfreeze()
            gc.set_threshold(*thresholds)
            reads = getattr(app.state, "certificate_reads", None)
            if reads is not None:
                reads.close()
            if runner is not None:
                await run_in_threadpool(runner.stop)
            await run_in_threadpool(active.close)

    app = FastAPI(
        title="Data Asset Ledger",
        version="0.1.0",
        summary="Register, certify, approve, split and audit public data assets on chain.",
        lifespan=lifespan,
        # the gateway's own /metrics counts and times every request; FastAPI's native
        # OpenTelemetry would otherwise look for configured providers on each one
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = resolved
    install_error_handlers(app)
    app.add_middleware(BodyGuard, max_body_bytes=resolved.max_body_bytes)
    metrics = install_metrics(app)  # it counts the guard's refusals too
    app.add_middleware(HeadPrefetch)  # outermost: the head request leaves at arrival
    metrics.register_gauge(
        "ledger_indexer_block", "Last block the indexer stored.", _indexer_gauge("indexed_block")
    )
    metrics.register_gauge(
        "ledger_indexer_lag_blocks",
        "Blocks between the head and the indexer.",
        _indexer_gauge("lag"),
    )
    app.include_router(health.router)
    app.include_router(users.router)
    app.include_router(operations.router)
    for router in ROUTERS:
        app.include_router(router)
    hot_routes_first(app)
    freeze_routes(app.router)
    return app
