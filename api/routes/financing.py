"""Financing (pledges, credit lines, equity contribution) and disposal."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.auth import CurrentUser, WriterUser
from api.deps import RuntimeDep
from api.routes.registry_common import (
    CREATED_DESCRIPTION,
    AssetId,
    FinancingId,
    answer_created,
    perform,
)
from api.writes import WRITE_RESPONSES, WriteOpts, answer
from chain.service import chain_reads
from chain.service import financing as service

router = APIRouter(tags=["financing"])


@router.post(
    "/v1/assets/{asset_id}/pledges", status_code=202, responses=WRITE_RESPONSES,
    summary="Request a pledge loan from a bank of the asset's city (holder)",
    description=CREATED_DESCRIPTION,
)  # fmt: skip
def request_pledge(
    asset_id: AssetId, body: service.PledgeCreate, user: WriterUser, runtime: RuntimeDep,
    write: WriteOpts, request: Request,
) -> JSONResponse:  # fmt: skip
    created = perform(runtime, user, write, request, service.request_pledge, asset_id, body=body)
    return answer_created(runtime, created, write, f"/v1/pledges/{created.resource_id}")


@router.post(
    "/v1/pledges/{pledge_id}/confirmation", status_code=202, responses=WRITE_RESPONSES,
    summary="Confirm the pledge: the asset is pledged (the bank)",
)  # fmt: skip
def confirm_pledge(
    pledge_id: FinancingId, user: WriterUser, runtime: RuntimeDep, write: WriteOpts,
    request: Request,
) -> JSONResponse:  # fmt: skip
    op = perform(runtime, user, write, request, service.confirm_pledge, pledge_id)
    return answer(runtime, op, write)


@router.post(
    "/v1/pledges/{pledge_id}/cancellation", status_code=202, responses=WRITE_RESPONSES,
    summary="Withdraw the holder's own pending pledge request (the holder)",
)  # fmt: skip
def cancel_pledge_request(
    pledge_id: FinancingId, user: WriterUser, runtime: RuntimeDep, write: WriteOpts,
    request: Request,
) -> JSONResponse:  # fmt: skip
    op = perform(runtime, user, write, request, service.cancel_pledge_request, pledge_id)
    return answer(runtime, op, write)


@router.post(
    "/v1/pledges/{pledge_id}/release", status_code=202, responses=WRITE_RESPONSES,
    summary="Release the pledge (the bank)",
)  # fmt: skip
def release_pledge(
    pledge_id: FinancingId, user: WriterUser, runtime: RuntimeDep, write: WriteOpts,
    request: Request,
) -> JSONResponse:  # fmt: skip
    op = perform(runtime, user, write, request, service.release_pledge, pledge_id)
    return answer(runtime, op, write)


@router.get(
    "/v1/pledges/{pledge_id}/onchain", response_model=chain_reads.RecordOut,
    summary="A financing record (pledge, credit line, equity) as the registry holds it",
)  # fmt: skip
def financing_onchain(
    pledge_id: FinancingId, user: CurrentUser, runtime: RuntimeDep
) -> chain_reads.RecordOut:
    return chain_reads.financing_record(runtime, pledge_id)


@router.post(
    "/v1/assets/{asset_id}/credit-lines", status_code=202, responses=WRITE_RESPONSES,
    summary="Record a credit line granted on the asset (a bank of the asset's city)",
    description=CREATED_DESCRIPTION,
)  # fmt: skip
def credit_line(
    asset_id: AssetId, body: service.CreditLineCreate, user: WriterUser, runtime: RuntimeDep,
    write: WriteOpts, request: Request,
) -> JSONResponse:  # fmt: skip
    created = perform(
        runtime, user, write, request, service.record_credit_line, asset_id, body=body
    )
    return answer_created(runtime, created, write)


@router.post(
    "/v1/assets/{asset_id}/equity", status_code=202, responses=WRITE_RESPONSES,
    summary="Record contributing the asset as equity at a valuation (holder)",
    description=CREATED_DESCRIPTION,
)  # fmt: skip
def equity(
    asset_id: AssetId, body: service.EquityCreate, user: WriterUser, runtime: RuntimeDep,
    write: WriteOpts, request: Request,
) -> JSONResponse:  # fmt: skip
    created = perform(
        runtime, user, write, request, service.record_equity_contribution, asset_id, body=body
    )
    return answer_created(runtime, created, write)


@router.post(
    "/v1/assets/{asset_id}/disposal", status_code=202, responses=WRITE_RESPONSES,
    summary="Request disposal (holder; not while pledged)",
)  # fmt: skip
def request_disposal(
    asset_id: AssetId, body: service.DisposalIn, user: WriterUser, runtime: RuntimeDep,
    write: WriteOpts, request: Request,
) -> JSONResponse:  # fmt: skip
    op = perform(runtime, user, write, request, service.request_disposal, asset_id, body=body)
    return answer(runtime, op, write)


@router.post(
    "/v1/assets/{asset_id}/disposal/confirmation", status_code=202, responses=WRITE_RESPONSES,
    summary="Confirm disposal: certificate revoked, record kept (registrar)",
)  # fmt: skip
def confirm_disposal(
    asset_id: AssetId, user: WriterUser, runtime: RuntimeDep, write: WriteOpts, request: Request
) -> JSONResponse:
    op = perform(runtime, user, write, request, service.confirm_disposal, asset_id)
    return answer(runtime, op, write)
