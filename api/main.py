"""The gateway application: ``create_app`` wires settings, chain runtime and routers.

The lifespan starts the runtime (unless one is passed in), opens it (consortium org,
bootstrap admin, outbox reconcile, receipt tracker) and stops the tracker on shutdown.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from api.errors import install_error_handlers
from api.metrics import install_metrics
from api.routers import ROUTERS
from api.routes import health, operations, users
from chain.runtime import LedgerRuntime
from chain.settings import LedgerSettings, get_settings


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
        app.state.runtime = active
        await run_in_threadpool(active.open)
        try:
            yield
        finally:
            await run_in_threadpool(active.close)

    app = FastAPI(
        title="Data Asset Ledger",
        version="0.1.0",
        summary="Register, certify, approve, split and audit public data assets on chain.",
        lifespan=lifespan,
    )
    app.state.settings = resolved
    install_error_handlers(app)
    install_metrics(app)
    app.include_router(health.router)
    app.include_router(users.router)
    app.include_router(operations.router)
    for router in ROUTERS:
        app.include_router(router)
    return app
