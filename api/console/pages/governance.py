"""The consortium's governance page (registrars and the consortium admin): the cities and
their registrars with their standing on chain, the threshold k of n, the handover from the
deploying account, and the proposals (to approve / done) with forms to propose and
approve. Every form calls the function the ``/v1/governance`` routes call."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from api.console import gates
from api.console.pages.rendering import GOVERNANCE, act, page
from chain.accounts import Principal
from chain.errors import ValidationFailed
from chain.runtime import LedgerRuntime
from chain.service import governance, orgs
from chain.txpipe import Operation

router = APIRouter(include_in_schema=False)
TEMPLATE = "governance.html"
#: The acts the console proposes, with the form fields each takes.
PROPOSABLE = ("admit_registrar", "set_registrar_active", "set_threshold")


def _governance_ctx(runtime: LedgerRuntime, user: Principal, lang: str,
                    request: Request) -> dict[str, Any]:  # fmt: skip
    state = governance.governance_state(runtime)
    proposals = governance.list_proposals(runtime, user)
    registrars = [orgs.org_public(runtime, o) for o in runtime.accounts.list_orgs()
                  if o.kind == "registrar"]  # fmt: skip
    cities: dict[int, list[orgs.OrgPublic]] = {}
    for r in sorted(registrars, key=lambda o: (o.city_code, o.name)):
        cities.setdefault(r.city_code, []).append(r)
    proposer = user.org_kind == "registrar" and user.role == "admin"
    return {
        "state": state, "cities": cities, "registrars": registrars,
        "pending": [p for p in proposals if p.status == "Open"],
        "decided": [p for p in proposals if p.status != "Open"],
        "may_propose": proposer and state["handed_over"],
        "may_accept": proposer and not state["handed_over"],
        "may_hand_over": user.is_consortium_admin and not state["handed_over"],
        "may_approve": proposer, "proposable": PROPOSABLE,
        "registrar_name": {r.org_id: r.name for r in registrars},
    }  # fmt: skip


@router.get(GOVERNANCE)
def governance_page(request: Request) -> Response:
    return page(request, TEMPLATE, _governance_ctx, gate=gates.governance)


def _proposal(kind: str, city_code: str, name: str, registrar_org_id: str, active: str,
              threshold: str) -> governance.ProposalIn:  # fmt: skip
    """The proposal of ``kind`` from the form, with only the fields that kind takes."""
    fields: dict[str, Any] = {"kind": kind}
    try:
        if kind == "admit_registrar":
            fields.update(city_code=int(city_code), name=name.strip())
        elif kind == "set_registrar_active":
            fields.update(registrar_org_id=registrar_org_id, active=active == "yes")
        elif kind == "set_threshold":
            fields.update(threshold=int(threshold))
    except ValueError as exc:
        error = {"loc": ["body", kind], "msg": "a whole number", "type": "int_parsing"}
        raise ValidationFailed(f"a {kind} proposal needs whole numbers", errors=[error]) from exc
    return governance.ProposalIn.model_validate(fields)


@router.post(GOVERNANCE + "/proposals")
def propose(
    request: Request,
    kind: Annotated[str, Form()],
    city_code: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    registrar_org_id: Annotated[str, Form()] = "",
    active: Annotated[str, Form()] = "yes",
    threshold: Annotated[str, Form()] = "",
) -> Response:
    def action(runtime: LedgerRuntime, user: Principal) -> Operation:
        body = _proposal(kind, city_code, name, registrar_org_id, active, threshold)
        return governance.propose(runtime, user, body).operation

    return act(request, TEMPLATE, _governance_ctx, action, GOVERNANCE, gate=gates.governance)


@router.post(GOVERNANCE + "/proposals/{proposal_id}/approval")
def approve(request: Request, proposal_id: str) -> Response:
    def action(runtime: LedgerRuntime, user: Principal) -> Operation:
        return governance.approve(runtime, user, proposal_id)

    return act(request, TEMPLATE, _governance_ctx, action, GOVERNANCE, gate=gates.governance)


@router.post(GOVERNANCE + "/handover")
def begin_handover(request: Request, threshold: Annotated[int, Form()]) -> Response:
    def action(runtime: LedgerRuntime, user: Principal) -> Operation:
        body = governance.HandoverIn(threshold=threshold)
        return governance.begin_handover(runtime, user, body)

    return act(request, TEMPLATE, _governance_ctx, action, GOVERNANCE, gate=gates.governance)


@router.post(GOVERNANCE + "/handover/acceptance")
def accept_handover(request: Request) -> Response:
    def action(runtime: LedgerRuntime, user: Principal) -> Operation:
        return governance.accept_handover(runtime, user)

    return act(request, TEMPLATE, _governance_ctx, action, GOVERNANCE, gate=gates.governance)
