"""The workbenches of the market side: the operator (the assets it is authorised for,
their payments, the remittance due, recording a payment received by bank), the merchant
(its purchases and their receipts) and the exchange (certificates it recognised, look a
certificate up by number, recognise one)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from api.console import gates, lists, money
from api.console.pages.rendering import act, page
from chain import store_queries as q
from chain.accounts import Principal
from chain.runtime import LedgerRuntime
from chain.service import certificates, revenue, store_reads
from chain.txpipe import Operation

router = APIRouter(include_in_schema=False)


def _payments(rows: Any) -> list[lists.PaymentItem]:
    """Payments (with the time of their block), newest first."""
    return [lists.PaymentItem(r.payment_id, r.asset_id, int(r.amount), int(r.operator_share),
                              int(r.treasury_share), bool(r.remitted), stamp, str(r.settlement))
            for r, stamp in reversed(rows)]  # fmt: skip


def _operator_ctx(runtime: LedgerRuntime, user: Principal, lang: str,
                  request: Request) -> dict[str, Any]:  # fmt: skip
    with lists.reading(request) as store:
        ids = store_reads.operated_asset_ids(store, user.org_id)
        authorised = [a for a in (lists.asset(store, i) for i in ids) if a is not None]
        payments = _payments(store_reads.payment_rows(store, ids))
    due = [p for p in payments if not p.remitted]
    return {"authorised": authorised, "payments": payments, "due": due,
            "due_total": sum(p.treasury_share for p in due)}  # fmt: skip


@router.get("/console/operator")
def operator_page(request: Request) -> Response:
    return page(request, "operator.html", _operator_ctx, gate=gates.operator)


@router.post("/console/operator/payments")
def operator_record(
    request: Request,
    asset_id: Annotated[str, Form()],
    amount_yuan: Annotated[str, Form()],
    bank_ref: Annotated[str, Form()],
) -> Response:
    def action(runtime: LedgerRuntime, user: Principal) -> Operation:
        amount = money.fen_of_yuan(amount_yuan, "amount_yuan")
        return revenue.record_offchain_payment(runtime, user, asset_id, amount,
                                               bank_ref.strip()).operation  # fmt: skip

    return act(request, "operator.html", _operator_ctx, action, "/console/operator",
               gate=gates.operator)  # fmt: skip


def _merchant_ctx(runtime: LedgerRuntime, user: Principal, lang: str,
                  request: Request) -> dict[str, Any]:  # fmt: skip
    with lists.reading(request) as store:
        bought = _payments(store_reads.payments_by_payer(store, user.org_id))
    return {"bought": bought, "spent": sum(p.amount for p in bought)}


@router.get("/console/merchant")
def merchant_page(request: Request) -> Response:
    return page(request, "merchant.html", _merchant_ctx, gate=gates.merchant)


def _exchange_ctx(runtime: LedgerRuntime, user: Principal, lang: str,
                  request: Request) -> dict[str, Any]:  # fmt: skip
    with lists.reading(request) as store:
        page_ = q.list_certificates(store, recognised_by=user.org_id, limit=q.MAX_LIMIT)
        recognised = [lists.STATUS.get(str(c["status"]), str(c["status"])) for c in page_.items]
        items = list(zip(page_.items, recognised, strict=True))
    return {"recognised": items}


@router.get("/console/exchange")
def exchange_page(request: Request) -> Response:
    return page(request, "exchange.html", _exchange_ctx, gate=gates.exchange)


@router.post("/console/exchange/recognitions")
def exchange_recognise(request: Request, certificate_id: Annotated[str, Form()]) -> Response:
    def action(runtime: LedgerRuntime, user: Principal) -> Operation:
        return certificates.recognise(runtime, user, certificate_id.strip())

    return act(request, "exchange.html", _exchange_ctx, action, "/console/exchange",
               gate=gates.exchange)  # fmt: skip
