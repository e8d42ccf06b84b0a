"""The bank's workbench: pledges to confirm and release (to do / done), and the credit
lines it grants on the certified assets of its city."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from api.console import gates, lists, money
from api.console.pages.rendering import act, page, ref_hash
from chain.accounts import Principal
from chain.errors import NotFound
from chain.runtime import LedgerRuntime
from chain.service import financing, store_reads
from chain.txpipe import Operation

router = APIRouter(include_in_schema=False)


def _bank_ctx(runtime: LedgerRuntime, user: Principal, lang: str,
              request: Request) -> dict[str, Any]:  # fmt: skip
    with lists.reading(request) as store:
        records = lists.financings(store, counterparty=user.org_id)
        lines = store_reads.credit_lines(store, user.org_id)
        city = lists.assets(store, city=user.city_code, status="certified")
    pledges = [p for p in records if p.kind == "Pledge"]
    return {"pledges_todo": [p for p in pledges if p.status == "Requested"],
            "pledges_done": [p for p in pledges if p.status != "Requested"],
            "credit_lines": lines,
            "lendable": [a for a in city if a.usability == "Usable"]}  # fmt: skip


@router.get("/console/bank")
def bank_page(request: Request) -> Response:
    return page(request, "bank.html", _bank_ctx, gate=gates.bank)


@router.post("/console/bank/pledges/{financing_id}/{step}")
def bank_act(request: Request, financing_id: str, step: str) -> Response:
    def action(runtime: LedgerRuntime, user: Principal) -> Operation:
        if step == "confirm":
            return financing.confirm_pledge(runtime, user, financing_id)
        if step == "release":
            return financing.release_pledge(runtime, user, financing_id)
        raise NotFound(f"no pledge step {step}")

    return act(request, "bank.html", _bank_ctx, action, "/console/bank", gate=gates.bank)


@router.post("/console/bank/credit-lines")
def bank_credit_line(
    request: Request,
    asset_id: Annotated[str, Form()],
    amount_yuan: Annotated[str, Form()],
    agreement_ref: Annotated[str, Form()] = "",
) -> Response:
    def action(runtime: LedgerRuntime, user: Principal) -> Operation:
        body = financing.CreditLineCreate(
            amount_fen=money.fen_of_yuan(amount_yuan, "amount_yuan"),
            agreement_hash=ref_hash(agreement_ref),
        )
        return financing.record_credit_line(runtime, user, asset_id, body).operation

    return act(request, "bank.html", _bank_ctx, action, "/console/bank", gate=gates.bank)
