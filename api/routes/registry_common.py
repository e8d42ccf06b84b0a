"""Shared pieces of the registry routes: id path parameters and write answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.writes import WriteOptions, answer
from chain.accounts import Principal
from chain.runtime import LedgerRuntime
from chain.service.common import BYTES32_PATTERN, Created
from chain.txpipe import Operation

RESOURCE_ID_HEADER = "Ledger-Resource-Id"

W = TypeVar("W", Operation, Created)


def _id_path(what: str) -> object:
    return Path(
        pattern=BYTES32_PATTERN,
        description=f"{what} id: 0x + 64 hex digits",
        examples=["0x5f0a6c1e0f3f9a3b7d1c2e4f6a8b0c1d2e3f405162738495a6b7c8d9eaf0b1c2"],
    )


AssetId = Annotated[str, _id_path("Asset")]
BatchId = Annotated[str, _id_path("Batch")]
CertId = Annotated[str, _id_path("Certificate")]
ObjectionId = Annotated[str, _id_path("Objection")]
AgreementId = Annotated[str, _id_path("Agreement")]
ApplicationId = Annotated[str, _id_path("Application")]
FinancingId = Annotated[str, _id_path("Financing")]
OrgId = Annotated[str, _id_path("Organisation")]


def perform(
    runtime: LedgerRuntime, user: Principal, write: WriteOptions, request: Request,
    use_case: Callable[..., W], *ids: str, body: BaseModel | None = None,
) -> W:  # fmt: skip
    """``use_case(runtime, user, *ids[, body])`` journaled under the request's
    Idempotency-Key and the hash of its method, path and body."""
    args: tuple[Any, ...] = ids if body is None else (*ids, body)
    return use_case(
        runtime, user, *args, idempotency_key=write.idempotency_key,
        request_hash=write.request_hash(request, body),
    )  # fmt: skip


def answer_created(
    runtime: LedgerRuntime, created: Created, write: WriteOptions, location: str | None = None
) -> JSONResponse:
    """The write answer plus the new record's deterministic id (``Ledger-Resource-Id``)
    and, when it has one, its path (``Content-Location``)."""
    response = answer(runtime, created.operation, write)
    response.headers[RESOURCE_ID_HEADER] = created.resource_id
    if location is not None:
        response.headers["Content-Location"] = location
    return response


CREATED_DESCRIPTION = (
    f"The new record's deterministic id is in the `{RESOURCE_ID_HEADER}` header (ids that "
    "depend on the asset's nonce are predicted at submission; the mined events carry the "
    "final id)."
)
