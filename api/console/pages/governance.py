"""The consortium's governance page (registrars and the consortium admin): the cities and
their registrars with their standing on chain, the threshold k of n, the handover from the
deploying account, and the proposals (to approve / done) with forms to propose and
approve. Every form calls the function the ``/v1/governance`` routes call."""

from __future__ import annotations

import calendar
import re
import time
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
#: The acts the console proposes in its general form; term bounds, a compromised key and
#: a sweep have a form each (the last two asking for confirmation).
PROPOSABLE = ("admit_registrar", "set_registrar_active", "set_threshold")
DAY = 86_400
#: The directory's hard limits on term bounds, in days (``OrgDirectory``'s NOTICE_CEILING,
#: TERM_FLOOR and TERM_CEILING): bounds outside them are refused when the act runs.
HARD_LIMITS = {"notice_max": 60, "term_min": 365, "term_max": 5 * 365}
#: Beijing time (UTC+8): the time a key is compromised from is typed in it.
BEIJING = 8 * 3600
ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")


class FormInvalid(ValidationFailed):
    """A form value the console reads before the service does; its sentence is
    catalogued under ``key`` in both languages (no English detail on a Chinese page)."""

    def __init__(self, key: str, field: str) -> None:
        super().__init__("", errors=[{"loc": ["body", field], "msg": key, "type": "value_error"}])
        self.key = key

    @property
    def error_code(self) -> str:
        return self.key


def address_of(text: str, field: str) -> str:
    if not ADDRESS.match(text.strip()):
        raise FormInvalid("form-address", field)
    return text.strip()


def _days(text: str, field: str) -> int:
    """Whole days (at least one) as seconds."""
    if not text.strip().isdigit() or int(text) < 1:
        raise FormInvalid("form-days", field)
    return int(text) * DAY


def beijing_time(text: str, field: str) -> int:
    """A ``datetime-local`` value (``2026-12-01T09:30``) read as Beijing time, in unix time."""
    for shape in ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"):
        try:
            moment = time.strptime(text.strip(), shape)
        except ValueError:
            continue
        return calendar.timegm(moment) - BEIJING
    raise FormInvalid("form-beijing-time", field)


def _bounds(form: dict[str, str]) -> dict[str, int]:
    bounds = {name: _days(form.get(f"{name}_days", ""), f"{name}_days")
              for name in ("notice_min", "notice_max", "term_min", "term_max")}  # fmt: skip
    if bounds["notice_min"] > bounds["notice_max"] or bounds["term_min"] > bounds["term_max"]:
        raise FormInvalid("form-bounds-order", "notice_min_days")
    return bounds


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
        "may_approve": proposer, "proposable": PROPOSABLE, "hard_limits": HARD_LIMITS,
        "registrar_name": {r.org_id: r.name for r in registrars},
    }  # fmt: skip


@router.get(GOVERNANCE)
def governance_page(request: Request) -> Response:
    return page(request, TEMPLATE, _governance_ctx, gate=gates.governance)


def _proposal(kind: str, form: dict[str, str]) -> governance.ProposalIn:
    """The proposal of ``kind`` from the form, with only the fields that kind takes."""
    fields: dict[str, Any] = {"kind": kind}
    try:
        if kind == "admit_registrar":
            fields.update(city_code=int(form["city_code"]), name=form["name"].strip())
        elif kind == "set_registrar_active":
            fields.update(registrar_org_id=form["registrar_org_id"],
                          active=form["active"] == "yes")  # fmt: skip
        elif kind == "set_threshold":
            fields.update(threshold=int(form["threshold"]))
        elif kind == "set_term_bounds":
            fields.update(bounds=_bounds(form))
        elif kind == "mark_key_compromised":
            fields.update(account=address_of(form["account"], "account"),
                          since=beijing_time(form["since"], "since"))  # fmt: skip
        elif kind == "sweep":
            fields.update(token=address_of(form["token"], "token"),
                          to=address_of(form["to"], "to"))  # fmt: skip
    except ValueError as exc:
        raise FormInvalid("form-whole-number", kind) from exc
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
    notice_min_days: Annotated[str, Form()] = "",
    notice_max_days: Annotated[str, Form()] = "",
    term_min_days: Annotated[str, Form()] = "",
    term_max_days: Annotated[str, Form()] = "",
    account: Annotated[str, Form()] = "",
    since: Annotated[str, Form()] = "",
    token: Annotated[str, Form()] = "",
    to: Annotated[str, Form()] = "",
) -> Response:
    form = {"city_code": city_code, "name": name, "registrar_org_id": registrar_org_id,
            "active": active, "threshold": threshold, "notice_min_days": notice_min_days,
            "notice_max_days": notice_max_days, "term_min_days": term_min_days,
            "term_max_days": term_max_days, "account": account, "since": since,
            "token": token, "to": to}  # fmt: skip

    def action(runtime: LedgerRuntime, user: Principal) -> Operation:
        return governance.propose(runtime, user, _proposal(kind, form)).operation

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
