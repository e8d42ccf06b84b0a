"""The competent department's and the data administration's paid-use reviews."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from api.console import gates, lists, records
from api.console.pages.rendering import act, decision, page
from chain.accounts import Principal
from chain.runtime import LedgerRuntime
from chain.service import approvals
from chain.txpipe import Operation

router = APIRouter(include_in_schema=False)


def _review_ctx(runtime: LedgerRuntime, user: Principal, lang: str,
                request: Request) -> dict[str, Any]:  # fmt: skip
    """Paid-use applications of the city's assets: those awaiting this department's review,
    and the others with their progress."""
    competent = user.org_kind == "competent_dept"
    with lists.reading(request) as store:
        apps = lists.applications(store, city=user.city_code)
    mine = [a for a in apps if a.status == "Applied"
            and not (a.competent_approved if competent else a.data_admin_approved)]  # fmt: skip
    waiting = {a.application_id for a in mine}
    others = [a for a in apps if a.application_id not in waiting]
    return {"awaiting": mine, "others": others, "competent": competent,
            "scopes": records.scopes(runtime, apps)}  # fmt: skip


@router.get("/console/review")
def review_page(request: Request) -> Response:
    return page(request, "review.html", _review_ctx, gate=gates.review)


@router.post("/console/review/applications/{application_id}/review")
def review_decide(
    request: Request, application_id: str, approve: Annotated[str, Form()] = "yes",
    reason: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    def action(runtime: LedgerRuntime, user: Principal) -> Operation:
        return approvals.review_paid_use(runtime, user, application_id, decision(approve, reason))

    return act(request, "review.html", _review_ctx, action, "/console/review", gate=gates.review)
