"""The finance department's workbench: paid-use applications shown whole before the
decision, revenue schedules edited as a table of brackets in yuan and percent (with the
split quoted live by the contract), payments and remittances."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, Response

from api.console import dashboard, gates, i18n, lists, money, records, session
from api.console.pages.rendering import act, decision, page, runtime_of
from chain.accounts import Principal
from chain.errors import LedgerError, NotAuthenticated, ValidationFailed
from chain.runtime import LedgerRuntime
from chain.service import approvals, revenue
from chain.txpipe import Operation

router = APIRouter(include_in_schema=False)
PATH = "/console/finance"
DEFAULT_BRACKETS = [(0, 2000), (10_000_000, 3500), (50_000_000, 5000)]
EDITOR_ROWS = 5


def _finance_ctx(runtime: LedgerRuntime, user: Principal, lang: str,
                 request: Request) -> dict[str, Any]:  # fmt: skip
    rows: list[dict[str, Any]] = []
    outstanding: list[lists.PaymentItem] = []
    with lists.reading(request) as store:
        city = lists.assets(store, city=user.city_code)
        awaiting = lists.applications(store, city=user.city_code, status="applied")
        board = dashboard.build(store, user.city_code)
        plans, paid = lists.by_asset(store, [a.asset_id for a in city])
        for asset in city:
            schedules = plans.get(asset.asset_id, [])
            payments = paid.get(asset.asset_id, [])
            if asset.standing != "Certified" and not payments and not schedules:
                continue  # nothing to schedule or confirm for an asset not in force
            current = schedules[-1] if schedules else None
            brackets = (list(zip(current.lower_bounds, current.operator_bps, strict=True))
                        if current else DEFAULT_BRACKETS)  # fmt: skip
            outstanding += [p for p in payments if not p.remitted]
            rows.append({"asset": asset, "schedule": current, "versions": len(schedules),
                         "brackets": brackets, "payments": payments,
                         "editable": asset.standing == "Certified"})  # fmt: skip
    return {"awaiting": awaiting, "rows": rows, "scopes": records.scopes(runtime, awaiting),
            "outstanding": outstanding, "editor_rows": EDITOR_ROWS, "board": board}  # fmt: skip


@router.get(PATH)
def finance_page(request: Request) -> Response:
    return page(request, "finance.html", _finance_ctx, gate=gates.finance)


def brackets_of(lower_yuan: list[str], operator_pct: list[str]) -> tuple[list[int], list[int]]:
    """The editor's rows (yuan, percent) as the schedule's lower bounds in fen and operator
    shares in basis points; rows left blank are dropped."""
    if len(lower_yuan) != len(operator_pct):
        raise ValidationFailed("every bracket needs a lower bound and a share")
    bounds: list[int] = []
    shares: list[int] = []
    for row, (low, pct) in enumerate(zip(lower_yuan, operator_pct, strict=True), start=1):
        if not low.strip() and not pct.strip():
            continue
        bounds.append(money.fen_of_yuan(low or "0", f"lower_yuan[{row}]"))
        shares.append(money.bps_of_percent(pct or "0", f"operator_pct[{row}]"))
    return bounds, shares


@router.post("/console/finance/assets/{asset_id}/schedule")
def finance_schedule(
    request: Request,
    asset_id: str,
    lower_yuan: Annotated[list[str], Form()],
    operator_pct: Annotated[list[str], Form()],
) -> Response:
    def action(runtime: LedgerRuntime, user: Principal) -> Operation:
        bounds, shares = brackets_of(lower_yuan, operator_pct)
        return revenue.set_schedule(runtime, user, asset_id, bounds, shares)

    return act(request, "finance.html", _finance_ctx, action, PATH, gate=gates.finance)


@router.post("/console/finance/quote")
def finance_quote(
    request: Request,
    lower_yuan: Annotated[list[str], Form()],
    operator_pct: Annotated[list[str], Form()],
    amount_yuan: Annotated[str, Form()] = "0",
) -> Response:
    """The split of an amount by the brackets being edited, computed by the contract."""
    runtime = runtime_of(request)
    lang = i18n.lang_of(request)
    try:
        user = session.principal_of(runtime, request)
        if user is None:
            raise NotAuthenticated("log in to quote a schedule")
        gates.finance(user)
        bounds, shares = brackets_of(lower_yuan, operator_pct)
        quoted = revenue.quote(runtime, bounds, shares, money.fen_of_yuan(amount_yuan))
    except LedgerError as exc:
        return JSONResponse({"error": i18n.error_sentence(lang, exc)}, exc.http_status)
    return JSONResponse({"operator": money.yuan(quoted.operator_share, lang),
                         "treasury": money.yuan(quoted.treasury_share, lang)})  # fmt: skip


@router.post("/console/finance/applications/{application_id}/approval")
def finance_decide(
    request: Request, application_id: str, approve: Annotated[str, Form()] = "yes",
    reason: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    def action(runtime: LedgerRuntime, user: Principal) -> Operation:
        return approvals.decide_paid_use(runtime, user, application_id, decision(approve, reason))

    return act(request, "finance.html", _finance_ctx, action, PATH, gate=gates.finance)


@router.post("/console/finance/payments/{payment_id}/remittance")
def finance_remit(request: Request, payment_id: str,
                  remittance_ref: Annotated[str, Form()]) -> Response:  # fmt: skip
    def action(runtime: LedgerRuntime, user: Principal) -> Operation:
        return revenue.confirm_remittance(runtime, user, payment_id, remittance_ref)

    return act(request, "finance.html", _finance_ctx, action, PATH, gate=gates.finance)
