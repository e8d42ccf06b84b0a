"""The registrar's cases: objections to resolve, ownership disputes to record and resolve,
disposals to confirm and certificates to re-issue after a revocation for a registration
error or a compromised key. Each form calls the service function the API route calls."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from api.console import gates
from api.console.pages.registrar import registrar_ctx
from api.console.pages.rendering import Action, act, ref_hash
from chain.accounts import Principal
from chain.runtime import LedgerRuntime
from chain.service import assets, certificates, financing
from chain.txpipe import Operation

router = APIRouter(include_in_schema=False)
BACK = "/console/registrar"


def _act(request: Request, action: Action) -> Response:
    return act(request, "registrar.html", registrar_ctx, action, BACK, gate=gates.registrar)


@router.post("/console/registrar/objections/{objection_id}/resolution")
def resolve_objection(
    request: Request,
    objection_id: str,
    upheld: Annotated[str, Form()] = "no",
    resolution_ref: Annotated[str, Form()] = "",
) -> Response:
    def action(runtime: LedgerRuntime, user: Principal) -> Operation:
        body = assets.ObjectionResolutionIn(upheld=upheld == "yes",
                                            resolution_hash=ref_hash(resolution_ref))  # fmt: skip
        return assets.resolve_objection(runtime, user, objection_id, body)

    return _act(request, action)


@router.post("/console/registrar/disputes")
def record_dispute(
    request: Request,
    asset_id: Annotated[str, Form()],
    reason_ref: Annotated[str, Form()] = "",
) -> Response:
    def action(runtime: LedgerRuntime, user: Principal) -> Operation:
        body = assets.DisputeIn(reason_hash=ref_hash(reason_ref))
        return assets.record_dispute(runtime, user, asset_id, body)

    return _act(request, action)


@router.post("/console/registrar/assets/{asset_id}/dispute-resolution")
def resolve_dispute(
    request: Request,
    asset_id: str,
    resolution_ref: Annotated[str, Form()] = "",
) -> Response:
    def action(runtime: LedgerRuntime, user: Principal) -> Operation:
        body = assets.DisputeResolutionIn(resolution_hash=ref_hash(resolution_ref))
        return assets.resolve_dispute(runtime, user, asset_id, body)

    return _act(request, action)


@router.post("/console/registrar/assets/{asset_id}/disposal")
def confirm_disposal(request: Request, asset_id: str) -> Response:
    def action(runtime: LedgerRuntime, user: Principal) -> Operation:
        return financing.confirm_disposal(runtime, user, asset_id)

    return _act(request, action)


@router.post("/console/registrar/certificates/{certificate_id}/reissue")
def reissue(request: Request, certificate_id: str) -> Response:
    def action(runtime: LedgerRuntime, user: Principal) -> Operation:
        return certificates.reissue_certificate(runtime, user, certificate_id).operation

    return _act(request, action)
