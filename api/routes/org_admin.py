"""Administration of organisations on chain: a registrar's terms (notice window and
certificate term) and the (de)activation of organisations."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.auth import CurrentUser
from api.deps import RuntimeDep
from api.routes.registry_common import OrgId, perform
from api.writes import WRITE_RESPONSES, WriteOpts, answer
from chain.service import org_activation, registrar_terms

router = APIRouter(tags=["organisations"])


@router.get(
    "/v1/orgs/{org_id}/terms", response_model=registrar_terms.TermsOut,
    summary="A registrar's notice window and certificate term, as set and as applied",
    responses={404: {"description": "No registrar with this id on chain"}},
)  # fmt: skip
def get_terms(org_id: OrgId, user: CurrentUser, runtime: RuntimeDep) -> registrar_terms.TermsOut:
    return registrar_terms.get_terms(runtime, org_id)


@router.put(
    "/v1/orgs/{org_id}/terms", status_code=202, responses=WRITE_RESPONSES,
    summary="Set a registrar's notice window and certificate term (that registrar's admin)",
    description="Seconds; 0 = the default (10 days, 3 years). New notices and certificates "
    "follow the new terms; those already open or issued keep theirs.",
)  # fmt: skip
def set_terms(
    org_id: OrgId, body: registrar_terms.TermsIn, user: CurrentUser, runtime: RuntimeDep,
    write: WriteOpts, request: Request,
) -> JSONResponse:  # fmt: skip
    op = perform(runtime, user, write, request, registrar_terms.set_terms, org_id, body=body)
    return answer(runtime, op, write)


@router.post(
    "/v1/orgs/{org_id}/activation", status_code=202, responses=WRITE_RESPONSES,
    summary="Deactivate or reactivate an organisation (registrars: consortium admin; others: "
    "the admin of the city's registrar)",
    description="A deactivated organisation signs nothing the registry accepts "
    "(`OrgInactive`) until reactivated; its records stay.",
)  # fmt: skip
def set_activation(
    org_id: OrgId, body: org_activation.ActivationIn, user: CurrentUser, runtime: RuntimeDep,
    write: WriteOpts, request: Request,
) -> JSONResponse:  # fmt: skip
    op = perform(runtime, user, write, request, org_activation.set_org_active, org_id, body=body)
    return answer(runtime, op, write)
