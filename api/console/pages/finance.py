"""The finance department's workbench: revenue schedules, paid-use decisions and
remittances."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from api.console import gates, lists
from api.console.pages.rendering import act, decision, page
from chain.accounts import Principal
from chain.runtime import LedgerRuntime
from chain.service import approvals, revenue
from chain.txpipe import Operation

router = APIRouter(include_in_schema=False)


def _finance_ctx(runtime: LedgerRuntime, user: Principal, lang: str,
                 request: Request) -> dict[str, Any]:  # fmt: skip
    rows = []
    with lists.reading(request) as store:
        city = lists.assets(store, city=user.city_code)
        awaiting = lists.applications(store, city=user.city_code, status="applied")
        for asset in city:
            schedules = lists.schedules(store, asset.asset_id)
            payments = lists.payments(store, asset.asset_id)
            rows.append({"asset": asset, "schedule": schedules[-1] if schedules else None,
                         "versions": len(schedules), "payments": payments,
                         "outstanding": [p for p in payments if not p.remitted]})  # fmt: skip
    return {"awaiting": awaiting, "rows": rows}


@router.get("/console/finance")
def finance_page(request: Request) -> Response:
    return page(request, "finance.html", _finance_ctx, gate=gates.finance)


def _ints(text: str) -> list[int]:
    return [int(part) for part in text.replace("，", ",").split(",") if part.strip()]


@router.post("/console/finance/assets/{asset_id}/schedule")
def finance_schedule(
    request: Request,
    asset_id: str,
    lower_bounds: Annotated[str, Form()],
    operator_bps: Annotated[str, Form()],
) -> Response:
    def action(runtime: LedgerRuntime, user: Principal) -> Operation:
        try:
            bounds, bps = _ints(lower_bounds), _ints(operator_bps)
        except ValueError as exc:
            from chain.errors import ValidationFailed

            raise ValidationFailed("bounds and shares are whole numbers") from exc
        return revenue.set_schedule(runtime, user, asset_id, bounds, bps)

    return act(request, "finance.html", _finance_ctx, action, "/console/finance",
               gate=gates.finance)


@router.post("/console/finance/applications/{application_id}/approval")
def finance_decide(
    request: Request, application_id: str, approve: Annotated[str, Form()] = "yes",
    reason: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    def action(runtime: LedgerRuntime, user: Principal) -> Operation:
        return approvals.decide_paid_use(runtime, user, application_id, decision(approve, reason))

    return act(request, "finance.html", _finance_ctx, action, "/console/finance",
               gate=gates.finance)


@router.post("/console/finance/payments/{payment_id}/remittance")
def finance_remit(request: Request, payment_id: str,
                  remittance_ref: Annotated[str, Form()]) -> Response:  # fmt: skip
    def action(runtime: LedgerRuntime, user: Principal) -> Operation:
        return revenue.confirm_remittance(runtime, user, payment_id, remittance_ref)

    return act(request, "finance.html", _finance_ctx, action, "/console/finance",
               gate=gates.finance)
