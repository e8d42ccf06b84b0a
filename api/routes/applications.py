"""Paid-use approval: application (holder), reviews (competent department, data
administration), decision (finance department)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.auth import CurrentUser, WriterUser
from api.deps import RuntimeDep
from api.routes.registry_common import (
    CREATED_DESCRIPTION,
    ApplicationId,
    AssetId,
    answer_created,
    perform,
)
from api.writes import WRITE_RESPONSES, WriteOpts, answer
from chain.service import approvals as service
from chain.service import chain_reads

router = APIRouter(tags=["paid use"])


@router.post(
    "/v1/assets/{asset_id}/applications", status_code=202, responses=WRITE_RESPONSES,
    summary="Apply for paid use naming the authorised operator (holder)",
    description=CREATED_DESCRIPTION,
)  # fmt: skip
def apply(
    asset_id: AssetId, body: service.ApplicationCreate, user: WriterUser, runtime: RuntimeDep,
    write: WriteOpts, request: Request,
) -> JSONResponse:  # fmt: skip
    created = perform(
        runtime, user, write, request, service.apply_for_paid_use, asset_id, body=body
    )
    return answer_created(runtime, created, write, f"/v1/applications/{created.resource_id}")


@router.post(
    "/v1/applications/{app_id}/reviews", status_code=202, responses=WRITE_RESPONSES,
    summary="Review (competent department or data administration of the asset's city)",
)  # fmt: skip
def review(
    app_id: ApplicationId, body: service.DecisionIn, user: WriterUser, runtime: RuntimeDep,
    write: WriteOpts, request: Request,
) -> JSONResponse:  # fmt: skip
    op = perform(runtime, user, write, request, service.review_paid_use, app_id, body=body)
    return answer(runtime, op, write)


@router.post(
    "/v1/applications/{app_id}/approval", status_code=202, responses=WRITE_RESPONSES,
    summary="Decide after both reviews (finance department of the asset's city)",
)  # fmt: skip
def approve(
    app_id: ApplicationId, body: service.DecisionIn, user: WriterUser, runtime: RuntimeDep,
    write: WriteOpts, request: Request,
) -> JSONResponse:  # fmt: skip
    op = perform(runtime, user, write, request, service.decide_paid_use, app_id, body=body)
    return answer(runtime, op, write)


@router.post(
    "/v1/applications/{app_id}/cancellation", status_code=202, responses=WRITE_RESPONSES,
    summary="Withdraw the holder's own pending application (the holder)",
)  # fmt: skip
def cancel(
    app_id: ApplicationId, user: WriterUser, runtime: RuntimeDep, write: WriteOpts,
    request: Request,
) -> JSONResponse:  # fmt: skip
    op = perform(runtime, user, write, request, service.cancel_application, app_id)
    return answer(runtime, op, write)


@router.get(
    "/v1/applications/{app_id}/onchain", response_model=chain_reads.RecordOut,
    summary="The application as UseAndFinance holds it",
)  # fmt: skip
def onchain(app_id: ApplicationId, user: CurrentUser, runtime: RuntimeDep) -> chain_reads.RecordOut:
    return chain_reads.application_record(runtime, app_id)
