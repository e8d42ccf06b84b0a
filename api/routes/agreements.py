"""Bilateral mutual-recognition agreements between registrars."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.auth import CurrentUser, WriterUser
from api.deps import RuntimeDep
from api.routes.registry_common import (
    CREATED_DESCRIPTION,
    AgreementId,
    answer_created,
    perform,
)
from api.writes import WRITE_RESPONSES, WriteOpts, answer
from chain.service import certificates as service

router = APIRouter(tags=["agreements"])


@router.post(
    "/v1/agreements", status_code=202, responses=WRITE_RESPONSES,
    summary="Propose an agreement to a partner registrar (registrars)",
    description=CREATED_DESCRIPTION,
)  # fmt: skip
def propose(
    body: service.AgreementIn, user: WriterUser, runtime: RuntimeDep, write: WriteOpts,
    request: Request,
) -> JSONResponse:  # fmt: skip
    created = perform(runtime, user, write, request, service.propose_agreement, body=body)
    return answer_created(runtime, created, write)


@router.get(
    "/v1/agreements", response_model=list[service.AgreementPublic],
    summary="Agreements on chain (a registrar sees its own)",
)  # fmt: skip
def list_agreements(user: CurrentUser, runtime: RuntimeDep) -> list[service.AgreementPublic]:
    return service.list_agreements(runtime, user)


@router.post(
    "/v1/agreements/{agreement_id}/signature", status_code=202, responses=WRITE_RESPONSES,
    summary="Sign (accept) a proposed agreement (the partner registrar)",
)  # fmt: skip
def sign(
    agreement_id: AgreementId, user: WriterUser, runtime: RuntimeDep, write: WriteOpts,
    request: Request,
) -> JSONResponse:  # fmt: skip
    op = perform(runtime, user, write, request, service.accept_agreement, agreement_id)
    return answer(runtime, op, write)


@router.delete(
    "/v1/agreements/{agreement_id}", status_code=202, responses=WRITE_RESPONSES,
    summary="Withdraw a proposed or active agreement, at once (either registrar)",
)  # fmt: skip
def withdraw(
    agreement_id: AgreementId, user: WriterUser, runtime: RuntimeDep, write: WriteOpts,
    request: Request,
) -> JSONResponse:  # fmt: skip
    op = perform(runtime, user, write, request, service.withdraw_agreement, agreement_id)
    return answer(runtime, op, write)
