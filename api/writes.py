"""How a route performs a write and answers: ``202`` + operation, or ``200`` when mined.

A write route::

    @router.post("/v1/things", status_code=202, responses=WRITE_RESPONSES)
    def create_thing(body: ThingIn, user: WriterUser, runtime: RuntimeDep,
                     write: WriteOpts, request: Request) -> JSONResponse:
        op = service.create_thing(runtime, user, body,
                                  idempotency_key=write.idempotency_key,
                                  request_hash=write.request_hash(request, body))
        return answer(runtime, op, write)

``?wait=true`` waits up to ``wait_timeout`` seconds (default 30, at most 120 and at most
the gateway's ``receipt_timeout_seconds``) for the receipt and answers ``200`` with the
mined operation (events decoded); still in flight after that -> ``202``; reverted, dropped
or failed -> problem+json (``code`` the contract's error name when it can be replayed)
with the operation.

``Prefer: respond-async`` (RFC 7240, not with ``wait``) asks for the answer once the write
is journaled: no run on the node first when the gateway knows the gas of the signer's
calls of that shape, the send in the background (:mod:`chain.txpipe.preference` says
when the gateway applies it); ``Preference-Applied: respond-async`` says it did.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from api.errors import problem
from chain.errors import revert_status
from chain.indexer.runner import IndexerRunner
from chain.runtime import LedgerRuntime
from chain.txpipe import MINED, TERMINAL, Operation, TxPipeline, request_hash
from chain.txpipe.preference import AnswerWhenJournaled, prefer_answer_when_journaled

DEFAULT_WAIT_SECONDS = 30.0
INDEXED_HEADER = "Ledger-Indexed"
INDEXED_BLOCK_HEADER = "Ledger-Indexed-Block"
PREFERENCE_APPLIED_HEADER = "Preference-Applied"
RESPOND_ASYNC = "respond-async"


class ContractRef(BaseModel):
    name: str
    address: str


class OperationError(BaseModel):
    code: str
    detail: str | None = None


class OperationEvent(BaseModel):
    event: str
    args: dict[str, Any]
    address: str
    log_index: int


class OperationOut(BaseModel):
    """A contract write journaled by the gateway and its progress on chain."""

    id: str = Field(examples=["6f1c1f0e-8a5c-4d0e-9a57-3f3f0f5a2b11"])
    state: str = Field(
        description="pending | sent | mined | reverted | failed | dropped", examples=["mined"]
    )
    org_id: str | None
    contract: ContractRef
    function: str = Field(examples=["registerAsset"])
    args: list[Any]
    signer: str
    nonce: int
    chain_id: int
    tx_hash: str
    block_number: int | None
    block_hash: str | None
    gas_used: int | None
    events: list[OperationEvent]
    error: OperationError | None
    created_at: str | None
    updated_at: str | None


WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": OperationOut, "description": "Mined (with `?wait=true`)"},
    202: {
        "model": OperationOut,
        "description": "Accepted and journaled; follow `Location: /v1/operations/{id}`",
    },
    409: {"description": "Idempotency-Key reused with another body, or an illegal state"},
    422: {"description": "Invalid input, or the contract refused the call (code = error name)"},
    429: {"description": "Too many transactions in flight for the signing account"},
    503: {"description": "The chain does not answer"},
}


@dataclass(frozen=True)
class WriteOptions:
    wait: bool
    wait_timeout: float
    idempotency_key: str | None
    #: The gateway's indexer: a waited write answers once the store holds its block.
    indexer: IndexerRunner | None = None
    #: ``Prefer: respond-async`` (not with ``wait``): marked when the pipeline applied it
    preference: AnswerWhenJournaled | None = None

    def request_hash(self, request: Request, body: Any = None) -> str | None:
        """Hash of method, path and body: the same key with another of these is a 409.
        None without an Idempotency-Key: nothing is ever compared with such a request."""
        if self.idempotency_key is None:
            return None
        payload = body.model_dump(mode="json") if isinstance(body, BaseModel) else body
        return request_hash({"method": request.method, "path": request.url.path, "body": payload})


async def write_options(
    request: Request,
    wait: Annotated[
        bool, Query(description="Wait for the receipt and answer 200 with the result")
    ] = False,
    wait_timeout: Annotated[
        float, Query(gt=0, le=120, description="Seconds to wait with wait=true")
    ] = DEFAULT_WAIT_SECONDS,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            max_length=200,
            description="Same key and body -> the same operation; another body -> 409",
        ),
    ] = None,
    prefer: Annotated[
        str | None,
        Header(
            alias="Prefer",
            max_length=500,
            description=(
                "`respond-async`: answer once the write is journaled, without running it "
                "on the node first when the gateway knows its gas (`Preference-Applied: "
                "respond-async` says it did; a call the contract refuses then ends "
                "`reverted` on chain instead of a 422). Ignored with `wait=true`."
            ),
        ),
    ] = None,
) -> WriteOptions:
    """The request's write options (on the event loop: no worker thread for a few
    attribute reads). Sets the request's answer preference for the pipeline (the route
    runs in a copy of this request's context)."""
    indexer: IndexerRunner | None = getattr(request.app.state, "indexer", None)
    preference = prefer_answer_when_journaled(not wait and prefers_respond_async(prefer))
    return WriteOptions(
        wait=wait, wait_timeout=wait_timeout, idempotency_key=idempotency_key, indexer=indexer,
        preference=preference,
    )  # fmt: skip


def prefers_respond_async(prefer: str | None) -> bool:
    """Whether a ``Prefer`` header (RFC 7240: comma-separated preferences, each a token
    with an optional value and parameters after ``;``) holds ``respond-async``."""
    if not prefer:
        return False
    for item in prefer.split(","):
        name = item.split(";", 1)[0].split("=", 1)[0].strip().lower()
        if name == RESPOND_ASYNC:
            return True
    return False


WriteOpts = Annotated[WriteOptions, Depends(write_options)]


def operation_location(op: Operation) -> str:
    return f"/v1/operations/{op.id}"


def write_response(
    pipeline: TxPipeline, op: Operation, *, wait: bool, timeout: float = DEFAULT_WAIT_SECONDS
) -> JSONResponse:
    """``202`` + Location + operation; with ``wait`` the mined result (``200``)."""
    headers = {"Location": operation_location(op)}
    if wait and op.state not in TERMINAL:
        op = pipeline.wait(op.id, timeout)
    if not wait or op.state not in TERMINAL:
        return JSONResponse(status_code=202, content=op.to_public(), headers=headers)
    if op.state == MINED:
        return JSONResponse(status_code=200, content=op.to_public(), headers=headers)
    code = op.error_code or f"operation-{op.state}"
    return problem(
        revert_status(code) if op.state == "reverted" else 409,
        code,
        f"The transaction was {op.state}",
        op.error_detail or f"operation {op.id} ended {op.state}",
        instance=operation_location(op),
        headers=headers,
        operation=op.to_public(),
    )


def note_preference(response: JSONResponse, write: WriteOptions) -> JSONResponse:
    """``Preference-Applied: respond-async`` on the answer when the pipeline applied the
    request's preference."""
    if write.preference is not None and write.preference.applied:
        response.headers[PREFERENCE_APPLIED_HEADER] = RESPOND_ASYNC
    return response


def answer(runtime: LedgerRuntime, op: Operation, write: WriteOptions) -> JSONResponse:
    """The write answer for ``op`` as the request's write options ask (wait, timeout); no
    request waits longer than the gateway's ``receipt_timeout_seconds``.

    A waited write that was mined answers once the store has indexed its block, so the
    caller's next read finds it: ``Ledger-Indexed: true``. When the time runs out first
    (or the gateway runs without its indexer) it answers anyway with
    ``Ledger-Indexed: false``; ``Ledger-Indexed-Block`` says how far the store is.
    """
    timeout = min(write.wait_timeout, runtime.settings.receipt_timeout_seconds)
    deadline = time.monotonic() + timeout
    if write.wait and op.state not in TERMINAL:
        op = runtime.txpipe.wait(op.id, timeout)
    response = note_preference(
        write_response(runtime.txpipe, op, wait=write.wait and op.state in TERMINAL), write
    )
    if write.wait and op.state == MINED and op.block_number is not None:
        indexer = write.indexer
        indexed = indexer is not None and indexer.wait_indexed(
            op.block_number, max(0.0, deadline - time.monotonic())
        )
        response.headers[INDEXED_HEADER] = "true" if indexed else "false"
        if indexer is not None and indexer.indexed_block is not None:
            response.headers[INDEXED_BLOCK_HEADER] = str(indexer.indexed_block)
    return response
