"""Errors as RFC 9457 problem+json: one handler per kind, never a stack trace.

Body: ``{type, title, status, detail, code, instance}`` plus ``errors`` (validation),
``contract_error`` ``{name, args}`` (contract reverts) and any extra members the error
carries (``operation_id``...). ``type`` is ``https://ledger.example/problems/<code>``.
Backpressure (429), an unavailable chain (503 ``chain-unavailable``: the node does not
answer a read) and an unavailable database (503 ``store-unavailable``: unreachable,
read-only or full) carry ``Retry-After``.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import requests
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from web3.exceptions import ProviderConnectionError

from chain.errors import (
    Backpressure,
    ChainUnavailable,
    ContractRevert,
    LedgerError,
    StoreUnavailable,
    ValidationFailed,
)
from chain.txpipe.store import is_store_fault, store_unavailable

log = logging.getLogger("ledger.api")

PROBLEM_BASE = "https://ledger.example/problems/"
PROBLEM_JSON = "application/problem+json"

_HTTP_CODES = {
    400: ("bad-request", "Bad request"),
    401: ("not-authenticated", "Missing or invalid API key"),
    403: ("not-authorised", "Not allowed for this organisation or role"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    409: ("conflict", "Conflict"),
    413: ("too-large", "Request too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    422: ("validation-failed", "Invalid input"),
    429: ("backpressure", "Too many requests"),
    503: ("unavailable", "Service unavailable"),
}


def problem(
    status: int,
    code: str,
    title: str,
    detail: str,
    *,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **members: Any,
) -> JSONResponse:
    """A problem+json response."""
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "instance": instance,
        **{k: v for k, v in members.items() if v is not None},
    }
    return JSONResponse(
        status_code=status,
        content=jsonable_encoder(body),
        headers=headers,
        media_type=PROBLEM_JSON,
    )


def ledger_problem(exc: LedgerError, instance: str | None = None) -> JSONResponse:
    headers: dict[str, str] = {}
    members: dict[str, Any] = dict(exc.extra)
    if isinstance(exc, Backpressure | ChainUnavailable | StoreUnavailable):
        headers["Retry-After"] = str(exc.retry_after)
        members["retry_after"] = exc.retry_after
    if isinstance(exc, ContractRevert):
        members["contract_error"] = exc.contract_error
    if isinstance(exc, ValidationFailed) and exc.errors:
        members["errors"] = exc.errors
    return problem(
        exc.http_status,
        exc.error_code,
        exc.title,
        exc.detail,
        instance=instance,
        headers=headers or None,
        **members,
    )


async def _ledger_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, LedgerError)
    if exc.http_status >= 500:
        log.warning("%s on %s %s: %s", exc.error_code, request.method, request.url.path, exc)
    return ledger_problem(exc, request.url.path)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors: list[dict[str, Any]] = [
        {
            "loc": [str(p) for p in e.get("loc", ())],
            "msg": str(e.get("msg", "")),
            "type": str(e.get("type", "")),
        }
        for e in exc.errors()
    ]
    where = ", ".join(".".join(e["loc"]) + ": " + str(e["msg"]) for e in errors[:5])
    return problem(
        422,
        "validation-failed",
        "Invalid input",
        f"the request is not valid: {where}",
        instance=request.url.path,
        errors=errors,
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code, title = _HTTP_CODES.get(exc.status_code, (f"http-{exc.status_code}", "HTTP error"))
    detail = exc.detail if isinstance(exc.detail, str) else title
    return problem(
        exc.status_code,
        code,
        title,
        detail,
        instance=request.url.path,
        headers=dict(exc.headers) if exc.headers else None,
    )


async def _chain_unreachable(request: Request, exc: Exception) -> JSONResponse:
    """A read that needed the node while it does not answer (the gateway's only HTTP
    peer is the chain node)."""
    error = ChainUnavailable(f"the chain node does not answer: {type(exc).__name__}")
    return await _ledger_error(request, error)


async def _store_error(request: Request, exc: Exception) -> JSONResponse:
    if is_store_fault(exc):
        return await _ledger_error(request, store_unavailable(exc))
    return await _unexpected(request, exc)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    incident = str(uuid.uuid4())
    log.error(
        "unexpected error %s on %s %s", incident, request.method, request.url.path, exc_info=exc
    )
    return problem(
        500,
        "internal-error",
        "Internal error",
        f"the gateway failed unexpectedly; quote incident {incident} to the operator",
        instance=request.url.path,
        incident=incident,
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(LedgerError, _ledger_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(requests.ConnectionError, _chain_unreachable)
    app.add_exception_handler(requests.Timeout, _chain_unreachable)
    app.add_exception_handler(ProviderConnectionError, _chain_unreachable)
    app.add_exception_handler(DBAPIError, _store_error)
    app.add_exception_handler(Exception, _unexpected)
