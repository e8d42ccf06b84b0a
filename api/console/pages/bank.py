"""The bank's workbench: pledges to confirm and release."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.console import gates, lists
from api.console.pages.rendering import act, page
from chain.accounts import Principal
from chain.errors import NotFound
from chain.runtime import LedgerRuntime
from chain.service import financing
from chain.txpipe import Operation

router = APIRouter(include_in_schema=False)


def _bank_ctx(runtime: LedgerRuntime, user: Principal, lang: str,
              request: Request) -> dict[str, Any]:  # fmt: skip
    with lists.reading(request) as store:
        return {"pledges": lists.financings(store, counterparty=user.org_id)}


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

    return act(request, "bank.html", _bank_ctx, action, "/console/bank",
               gate=gates.bank)
