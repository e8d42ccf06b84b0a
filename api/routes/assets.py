"""Registry writes on assets: registration, batches, evaluation, notice, certificate issue,
objections and disputes; and the chain proof view of one asset.

Lists, search and history of assets are the catalogue's (store-backed) routes."""

from __future__ import annotations

import contextlib

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.auth import CurrentUser, WriterUser
from api.deps import RuntimeDep
from api.routes.registry_common import (
    CREATED_DESCRIPTION,
    AssetId,
    BatchId,
    ObjectionId,
    answer_created,
    perform,
)
from api.writes import WRITE_RESPONSES, WriteOpts, answer
from chain.errors import LedgerError
from chain.service import assets as service
from chain.service import certificates as certs
from chain.service import chain_reads

router = APIRouter(tags=["assets"])


@router.post(
    "/v1/assets", status_code=202, responses=WRITE_RESPONSES,
    summary="Register a data resource (holder): catalogue code and metadata as salted commitments",
    description=CREATED_DESCRIPTION,
)  # fmt: skip
def register_asset(
    body: service.AssetCreate, user: WriterUser, runtime: RuntimeDep, write: WriteOpts,
    request: Request,
) -> JSONResponse:  # fmt: skip
    created = perform(runtime, user, write, request, service.register_asset, body=body)
    return answer_created(runtime, created, write, f"/v1/assets/{created.resource_id}")


@router.post(
    "/v1/assets/batches", status_code=202, responses=WRITE_RESPONSES,
    summary="Commit many resources by Merkle root in one transaction (holder)",
    description=CREATED_DESCRIPTION,
)  # fmt: skip
def register_batch(
    body: service.BatchCreate, user: WriterUser, runtime: RuntimeDep, write: WriteOpts,
    request: Request,
) -> JSONResponse:  # fmt: skip
    created = perform(runtime, user, write, request, service.register_batch, body=body)
    return answer_created(runtime, created, write)


@router.post(
    "/v1/assets/batches/{batch_id}/items", status_code=202, responses=WRITE_RESPONSES,
    summary="Materialise one committed batch item as an asset, with its Merkle proof (holder)",
    description=CREATED_DESCRIPTION,
)  # fmt: skip
def materialise_item(
    batch_id: BatchId, body: service.BatchItemRef, user: WriterUser, runtime: RuntimeDep,
    write: WriteOpts, request: Request,
) -> JSONResponse:  # fmt: skip
    created = perform(runtime, user, write, request, service.materialise_item, batch_id, body=body)
    return answer_created(runtime, created, write, f"/v1/assets/{created.resource_id}")


@router.post(
    "/v1/assets/{asset_id}/valuation", status_code=202, responses=WRITE_RESPONSES,
    summary="Record the value evaluation (registrar of the asset's city)",
)  # fmt: skip
def record_valuation(
    asset_id: AssetId, body: service.ValuationIn, user: WriterUser, runtime: RuntimeDep,
    write: WriteOpts, request: Request,
) -> JSONResponse:  # fmt: skip
    op = perform(runtime, user, write, request, service.record_valuation, asset_id, body=body)
    return answer(runtime, op, write)


@router.post(
    "/v1/assets/{asset_id}/compliance", status_code=202, responses=WRITE_RESPONSES,
    summary="Record the compliance review (registrar); valued + passed opens the notice",
)  # fmt: skip
def record_compliance(
    asset_id: AssetId, body: service.ComplianceIn, user: WriterUser, runtime: RuntimeDep,
    write: WriteOpts, request: Request,
) -> JSONResponse:  # fmt: skip
    op = perform(runtime, user, write, request, service.record_compliance, asset_id, body=body)
    return answer(runtime, op, write)


@router.post(
    "/v1/assets/{asset_id}/certificate", status_code=202, responses=WRITE_RESPONSES,
    summary="Issue the registration certificate after the notice window (registrar)",
    description=CREATED_DESCRIPTION,
)  # fmt: skip
def issue_certificate(
    asset_id: AssetId, user: WriterUser, runtime: RuntimeDep, write: WriteOpts, request: Request,
    body: certs.CertificateIssueIn | None = None,
) -> JSONResponse:  # fmt: skip
    created = perform(runtime, user, write, request, certs.issue_certificate, asset_id, body=body)
    response = answer_created(
        runtime, created, write, f"/v1/certificates/{created.resource_id}"
    )
    if response.status_code == 200:  # mined: sign the portable document now, while valid
        with contextlib.suppress(LedgerError):
            certs.certificate_document(
                runtime, created.resource_id, str(request.base_url).rstrip("/")
            )
    return response


@router.post(
    "/v1/assets/{asset_id}/objections", status_code=202, responses=WRITE_RESPONSES,
    summary="Lodge an objection during the public notice (any admitted organisation)",
    description=CREATED_DESCRIPTION,
)  # fmt: skip
def lodge_objection(
    asset_id: AssetId, body: service.ObjectionIn, user: WriterUser, runtime: RuntimeDep,
    write: WriteOpts, request: Request,
) -> JSONResponse:  # fmt: skip
    created = perform(runtime, user, write, request, service.lodge_objection, asset_id, body=body)
    return answer_created(runtime, created, write)


@router.post(
    "/v1/objections/{objection_id}/resolution", status_code=202, responses=WRITE_RESPONSES,
    summary="Resolve an objection: uphold (back to Registered) or dismiss (registrar)",
)  # fmt: skip
def resolve_objection(
    objection_id: ObjectionId, body: service.ObjectionResolutionIn, user: WriterUser,
    runtime: RuntimeDep, write: WriteOpts, request: Request,
) -> JSONResponse:  # fmt: skip
    op = perform(runtime, user, write, request, service.resolve_objection, objection_id, body=body)
    return answer(runtime, op, write)


@router.post(
    "/v1/assets/{asset_id}/disputes", status_code=202, responses=WRITE_RESPONSES,
    summary="Record an ownership dispute, which blocks issuance (registrar)",
)  # fmt: skip
def record_dispute(
    asset_id: AssetId, body: service.DisputeIn, user: WriterUser, runtime: RuntimeDep,
    write: WriteOpts, request: Request,
) -> JSONResponse:  # fmt: skip
    op = perform(runtime, user, write, request, service.record_dispute, asset_id, body=body)
    return answer(runtime, op, write)


@router.post(
    "/v1/assets/{asset_id}/disputes/resolution", status_code=202, responses=WRITE_RESPONSES,
    summary="Resolve the ownership dispute (registrar)",
)  # fmt: skip
def resolve_dispute(
    asset_id: AssetId, body: service.DisputeResolutionIn, user: WriterUser, runtime: RuntimeDep,
    write: WriteOpts, request: Request,
) -> JSONResponse:  # fmt: skip
    op = perform(runtime, user, write, request, service.resolve_dispute, asset_id, body=body)
    return answer(runtime, op, write)


@router.get(
    "/v1/assets/{asset_id}/onchain", response_model=chain_reads.AssetOnChain,
    summary="The asset as the registry holds it (status, payment context, certificate status)",
)  # fmt: skip
def asset_onchain(
    asset_id: AssetId, user: CurrentUser, runtime: RuntimeDep
) -> chain_reads.AssetOnChain:
    return chain_reads.asset_onchain(runtime, asset_id)
