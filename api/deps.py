"""Dependencies shared by the routes (``Annotated`` aliases)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from chain.runtime import LedgerRuntime


def get_runtime(request: Request) -> LedgerRuntime:
    runtime: LedgerRuntime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[LedgerRuntime, Depends(get_runtime)]
