"""Liveness, readiness and the chain the gateway serves."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.deps import RuntimeDep
from chain.bindings.contracts import REGISTRY

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The gateway process is alive")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="The chain answers and the contracts are deployed")
def readyz(runtime: RuntimeDep, request: Request) -> JSONResponse:
    try:
        head = int(runtime.w3.eth.block_number)
        code = runtime.w3.eth.get_code(runtime.contract(REGISTRY).address)
    except Exception as exc:  # any failure to reach the chain means not ready
        return JSONResponse(
            status_code=503, content={"status": "unavailable", "reason": type(exc).__name__}
        )
    ready = len(code) > 0
    body: dict[str, Any] = {"status": "ready" if ready else "not deployed", "head_block": head}
    runner = getattr(request.app.state, "indexer", None)
    if runner is not None:
        status = runner.status()
        body["indexer"] = {
            "indexed_block": status.get("indexed_block"),
            "lag": status.get("lag"),
            "running": status.get("running"),
            "last_error": status.get("last_error"),
        }
    return JSONResponse(status_code=200 if ready else 503, content=body)


@router.get("/v1/chain", summary="Chain id, head block, contract addresses, deployment block")
def chain_info(runtime: RuntimeDep) -> dict[str, Any]:
    return runtime.chain_info()
