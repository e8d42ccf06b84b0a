"""Governance of the city registrars (k of n): proposals, approvals, the handover from the
deploying account, and the state (threshold, active registrars, term bounds)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse

from api.auth import CurrentUser, WriterUser
from api.deps import RuntimeDep
from api.routes.registry_common import CREATED_DESCRIPTION, answer_created, perform
from api.writes import WRITE_RESPONSES, WriteOpts, answer
from chain.service import governance as service
from chain.service.common import BYTES32_PATTERN

router = APIRouter(tags=["governance"])

ProposalId = Annotated[
    str, Path(pattern=BYTES32_PATTERN, description="Proposal id: 0x + 64 hex digits")
]


@router.post(
    "/v1/governance/proposals", status_code=202, responses=WRITE_RESPONSES,
    summary="Propose a governance act (an active registrar; its approval counts first)",
    description="Kinds: admit_registrar, set_registrar_active, set_term_bounds, "
    "set_threshold, mark_key_compromised, sweep. The act runs with the k-th approval. "
    + CREATED_DESCRIPTION,
)  # fmt: skip
def propose(
    body: service.ProposalIn, user: WriterUser, runtime: RuntimeDep, write: WriteOpts,
    request: Request,
) -> JSONResponse:  # fmt: skip
    created = perform(runtime, user, write, request, service.propose, body=body)
    return answer_created(
        runtime, created, write, f"/v1/governance/proposals/{created.resource_id}"
    )


@router.post(
    "/v1/governance/proposals/{proposal_id}/approvals", status_code=202,
    responses=WRITE_RESPONSES, summary="Approve a proposal (another active registrar)",
)  # fmt: skip
def approve(
    proposal_id: ProposalId, user: WriterUser, runtime: RuntimeDep, write: WriteOpts,
    request: Request,
) -> JSONResponse:  # fmt: skip
    op = perform(runtime, user, write, request, service.approve, proposal_id)
    return answer(runtime, op, write)


@router.get(
    "/v1/governance/proposals", response_model=list[service.ProposalPublic],
    summary="Governance proposals and their state (registrars, consortium admin)",
)  # fmt: skip
def list_proposals(user: CurrentUser, runtime: RuntimeDep) -> list[service.ProposalPublic]:
    return service.list_proposals(runtime, user)


@router.get(
    "/v1/governance/proposals/{proposal_id}", response_model=service.ProposalPublic,
    summary="One governance proposal",
)  # fmt: skip
def get_proposal(
    proposal_id: ProposalId, user: CurrentUser, runtime: RuntimeDep
) -> service.ProposalPublic:
    return service.proposal_record(runtime, proposal_id, user)


@router.get("/v1/governance", summary="Threshold, active registrars, handover, term bounds")
def state(user: CurrentUser, runtime: RuntimeDep) -> dict[str, Any]:
    return service.governance_state(runtime)


@router.post(
    "/v1/governance/handover", status_code=202, responses=WRITE_RESPONSES,
    summary="Begin handing governance to the registrars, naming k (consortium admin)",
)  # fmt: skip
def begin_handover(
    body: service.HandoverIn, user: WriterUser, runtime: RuntimeDep, write: WriteOpts,
    request: Request,
) -> JSONResponse:  # fmt: skip
    op = perform(runtime, user, write, request, service.begin_handover, body=body)
    return answer(runtime, op, write)


@router.post(
    "/v1/governance/handover/acceptance", status_code=202, responses=WRITE_RESPONSES,
    summary="Accept the handover (an active registrar); the deploying key loses its power",
)  # fmt: skip
def accept_handover(
    user: WriterUser, runtime: RuntimeDep, write: WriteOpts, request: Request
) -> JSONResponse:  # fmt: skip
    op = perform(runtime, user, write, request, service.accept_handover)
    return answer(runtime, op, write)
