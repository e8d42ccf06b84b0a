"""Organisations: admission on chain, listing, signing-key rotation, and the keys and
imports that let an org's own gateway sign for an org another gateway admitted."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import JSONResponse

from api.auth import CurrentUser, WriterUser
from api.deps import RuntimeDep
from api.routes.registry_common import CREATED_DESCRIPTION, OrgId, answer_created, perform
from api.writes import WRITE_RESPONSES, WriteOpts, answer
from chain.service import orgs as service

router = APIRouter(tags=["organisations"])


@router.post(
    "/v1/orgs", status_code=202, responses=WRITE_RESPONSES,
    summary="Admit an organisation (registrar: consortium admin before the governance "
    "handover; others: the city's registrar)",
    description=CREATED_DESCRIPTION,
)  # fmt: skip
def create_org(
    body: service.OrgCreate, user: WriterUser, runtime: RuntimeDep, write: WriteOpts,
    request: Request,
) -> JSONResponse:  # fmt: skip
    created = perform(runtime, user, write, request, service.create_org, body=body)
    return answer_created(runtime, created, write, f"/v1/orgs/{created.resource_id}")


@router.post(
    "/v1/keys", status_code=201, response_model=service.KeyPublic,
    summary="Create a signing key held by this gateway, bound to no org yet (gateway admin)",
    description="Give the answered address to the gateway that admits the organisation "
    "(`signer_address` of `POST /v1/orgs`), then bind the org to the key with "
    "`POST /v1/orgs/import`.",
)  # fmt: skip
def create_key(user: WriterUser, runtime: RuntimeDep) -> service.KeyPublic:
    return service.create_key(runtime, user)


@router.post(
    "/v1/keys/{account}/compromise", status_code=202, responses=WRITE_RESPONSES,
    summary="Mark one of the organisation's signing keys compromised (that org's admin)",
    description="Signatures by the key for certificates issued from `since` on fail "
    "verification. Rotate the key first when it is the organisation's current one.",
)  # fmt: skip
def mark_compromised(
    account: Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{40}$")],
    body: service.CompromiseIn, user: WriterUser, runtime: RuntimeDep, write: WriteOpts,
    request: Request,
) -> JSONResponse:  # fmt: skip
    op = perform(runtime, user, write, request, service.mark_key_compromised, account,
                 body=body)  # fmt: skip
    return answer(runtime, op, write)


@router.get(
    "/v1/keys", response_model=list[service.KeyPublic],
    summary="Signing keys created by POST /v1/keys, with the org each is bound to",
)  # fmt: skip
def list_keys(user: CurrentUser, runtime: RuntimeDep) -> list[service.KeyPublic]:
    return service.list_keys(runtime, user)


@router.post(
    "/v1/orgs/import", status_code=201, response_model=service.OrgPublic,
    summary="Sign for an org admitted elsewhere with a key of this gateway (gateway admin)",
    description="The chain must show the org, active, with the key's account as a live "
    "signing account of it; the name must be the one it was admitted with.",
)  # fmt: skip
def import_org(
    body: service.OrgImport, user: WriterUser, runtime: RuntimeDep, response: Response
) -> service.OrgPublic:
    org = service.import_org(runtime, user, body)
    response.headers["Location"] = f"/v1/orgs/{org.org_id}"
    return org


@router.get("/v1/orgs", response_model=list[service.OrgPublic], summary="Organisations (admins)")
def list_orgs(user: CurrentUser, runtime: RuntimeDep) -> list[service.OrgPublic]:
    return service.list_orgs(runtime, user)


@router.get(
    "/v1/orgs/{org_id}", response_model=service.OrgPublic,
    summary="One organisation with its on-chain record",
)  # fmt: skip
def get_org(org_id: OrgId, user: CurrentUser, runtime: RuntimeDep) -> service.OrgPublic:
    return service.get_org(runtime, user, org_id)


@router.post(
    "/v1/orgs/{org_id}/keys/rotation", status_code=202, responses=WRITE_RESPONSES,
    summary="Rotate the signing key with the organisation's consent: the old key proposes the "
    "new account, the new one accepts, then ends the old one's window",
    description="Answers with the removal of the old account (mined after the acceptance); "
    "the proposal is mined before the answer.",
)  # fmt: skip
def rotate_key(
    org_id: OrgId, user: WriterUser, runtime: RuntimeDep, write: WriteOpts, request: Request
) -> JSONResponse:
    rotation = service.rotate_key(
        runtime, user, org_id, idempotency_key=write.idempotency_key,
        request_hash=write.request_hash(request),
    )  # fmt: skip
    if write.wait:
        runtime.txpipe.wait(rotation.added.id, write.wait_timeout)
    response = answer(runtime, rotation.removed, write)
    response.headers["Ledger-New-Signer"] = rotation.new_signer
    response.headers["Ledger-Added-Operation"] = f"/v1/operations/{rotation.added.id}"
    return response
