"""Dependencies shared by the routes (``Annotated`` aliases)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from chain.runtime import LedgerRuntime


def get_runtime(request: Request) -> LedgerRuntime:
    runtime: LedgerRuntime = request.app.state.runtime
    return runtime


async def runtime_of(request: Request) -> LedgerRuntime:
    """The runtime as a dependency: an attribute read, answered on the event loop (a
    plain function dependency would cost every request a hop to a worker thread)."""
    return get_runtime(request)


RuntimeDep = Annotated[LedgerRuntime, Depends(runtime_of)]
