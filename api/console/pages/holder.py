"""The holder's workbench: register data resources, apply for paid use."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from api.console import gates, lists, money, records
from api.console.pages.rendering import act, page, page_number, ref_hash
from chain import store_queries
from chain.accounts import Principal
from chain.runtime import LedgerRuntime
from chain.service import approvals, asset_documents, assets, financing
from chain.service.common import ASSET_STATUSES
from chain.txpipe import Operation

router = APIRouter(include_in_schema=False)


def _holder_ctx(runtime: LedgerRuntime, user: Principal, lang: str,
                request: Request) -> dict[str, Any]:  # fmt: skip
    """The holder's assets counted by status and shown a page at a time (never every row),
    found by title, catalogue code or id; the assets an application or pledge may name
    and the disposals waiting, each counted with its first page."""
    find = request.query_params.get("q", "").strip()[:100]
    dispose_find = request.query_params.get("dispose_q", "").strip()[:100]
    named = asset_documents.search(runtime, find) if find else []
    dispose_named = asset_documents.search(runtime, dispose_find) if dispose_find else []
    holder = user.org_id
    with lists.reading(request) as store:
        now = store_queries.indexed_time(store)
        counts = lists.holder_counts(store, holder)
        mine = lists.holder_assets(store, holder, text=find, named=named, now=now,
                                   page=page_number(request, "assets_page"))  # fmt: skip
        applicable = lists.holder_assets(store, holder, view="applicable", text=find,
                                         named=named, now=now)  # fmt: skip
        disposals = lists.holder_assets(store, holder, view="disposal_asked", now=now,
                                        page=page_number(request, "disposals_page"))  # fmt: skip
        apps = lists.applications(store, holder=holder)
        pledges = lists.financings(store, holder=holder)
        disposable = lists.disposable(store, holder, dispose_named, dispose_find,
                                      page_number(request, "dispose_page"))  # fmt: skip
    city_orgs = [o for o in runtime.accounts.list_orgs() if o.city_code == user.city_code]
    return {"assets": mine, "asset_counts": counts, "q": find,
            "asset_statuses": [s for s in ASSET_STATUSES if s != "None"],
            "applicable": [a for a in applicable if a.applicable],
            "applicable_total": applicable.total, "disposals": disposals,
            "applications": apps, "pledges": pledges,
            "disposable": disposable, "dispose_q": dispose_find,
            "operators": [o for o in city_orgs if o.kind == "operator"],
            "banks": [o for o in city_orgs if o.kind == "bank"],
            "scopes": records.scopes(runtime, apps)}  # fmt: skip


@router.get("/console/holder")
def holder_page(request: Request) -> Response:
    return page(request, "holder.html", _holder_ctx, gate=gates.holder)


@router.post("/console/holder/assets")
def holder_register(
    request: Request,
    catalogue_code: Annotated[str, Form()],
    domain_code: Annotated[int, Form()],
    title: Annotated[str, Form()] = "",
    categories: Annotated[int, Form()] = 0,
    items: Annotated[int, Form()] = 0,
) -> Response:
    def action(runtime: LedgerRuntime, user: Principal) -> Operation:
        body = assets.AssetCreate(
            catalogue_code=catalogue_code, domain_code=domain_code,
            metadata={"title": title, "categories": categories, "items": items},
        )  # fmt: skip
        return assets.register_asset(runtime, user, body).operation

    return act(request, "holder.html", _holder_ctx, action, "/console/holder", gate=gates.holder)


@router.post("/console/holder/applications")
def holder_apply(
    request: Request,
    asset_id: Annotated[str, Form()],
    operator_org_id: Annotated[str, Form()],
    purpose: Annotated[str, Form()] = "",
    term_months: Annotated[int, Form()] = 12,
) -> Response:
    def action(runtime: LedgerRuntime, user: Principal) -> Operation:
        body = approvals.ApplicationCreate(
            operator_org_id=operator_org_id,
            scope={"purpose": purpose, "term_months": term_months},
        )
        return approvals.apply_for_paid_use(runtime, user, asset_id, body).operation

    return act(request, "holder.html", _holder_ctx, action, "/console/holder", gate=gates.holder)


@router.post("/console/holder/pledges")
def holder_pledge(
    request: Request,
    asset_id: Annotated[str, Form()],
    bank_org_id: Annotated[str, Form()],
    amount_yuan: Annotated[str, Form()],
    contract_ref: Annotated[str, Form()] = "",
) -> Response:
    def action(runtime: LedgerRuntime, user: Principal) -> Operation:
        body = financing.PledgeCreate(
            bank_org_id=bank_org_id, amount_fen=money.fen_of_yuan(amount_yuan, "amount_yuan"),
            contract_hash=ref_hash(contract_ref),
        )  # fmt: skip
        return financing.request_pledge(runtime, user, asset_id, body).operation

    return act(request, "holder.html", _holder_ctx, action, "/console/holder",
               gate=gates.holder)  # fmt: skip


@router.post("/console/holder/applications/{application_id}/cancellation")
def holder_cancel_application(request: Request, application_id: str) -> Response:
    def action(runtime: LedgerRuntime, user: Principal) -> Operation:
        return approvals.cancel_application(runtime, user, application_id)

    return act(request, "holder.html", _holder_ctx, action, "/console/holder", gate=gates.holder)


@router.post("/console/holder/pledges/{financing_id}/cancellation")
def holder_cancel_pledge(request: Request, financing_id: str) -> Response:
    def action(runtime: LedgerRuntime, user: Principal) -> Operation:
        return financing.cancel_pledge_request(runtime, user, financing_id)

    return act(request, "holder.html", _holder_ctx, action, "/console/holder", gate=gates.holder)


@router.post("/console/holder/disposals")
def holder_request_disposal(
    request: Request,
    asset_id: Annotated[str, Form()],
    decision_ref: Annotated[str, Form()] = "",
) -> Response:
    def action(runtime: LedgerRuntime, user: Principal) -> Operation:
        body = financing.DisposalIn(reason_hash=ref_hash(decision_ref))
        return financing.request_disposal(runtime, user, asset_id, body)

    return act(request, "holder.html", _holder_ctx, action, "/console/holder", gate=gates.holder)
