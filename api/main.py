"""The gateway application: ``create_app`` wires settings, chain runtime and routers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.routes import health
from chain.runtime import LedgerRuntime
from chain.settings import LedgerSettings, get_settings


def create_app(
    settings: LedgerSettings | None = None, runtime: LedgerRuntime | None = None
) -> FastAPI:
    """Build the app; pass ``runtime`` to share one deployed chain between test apps."""
    resolved = settings or (runtime.settings if runtime else get_settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.runtime = runtime or LedgerRuntime.start(resolved)
        yield

    app = FastAPI(
        title="Data Asset Ledger",
        version="0.1.0",
        summary="Register, certify, approve, split and audit public data assets on chain.",
        lifespan=lifespan,
    )
    app.state.settings = resolved
    app.include_router(health.router)
    return app
