"""The auditor's page: search an asset, its history beside the chain's record, and the
consistency report of the store against the chain."""

from __future__ import annotations

import re
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from api.console import dashboard, gates, i18n, lists, session
from api.console.names import Names
from api.console.pages.rendering import denied, login_redirect, page, runtime_of
from chain import store_queries as q
from chain.accounts import Principal
from chain.errors import LedgerError, NotFound
from chain.runtime import LedgerRuntime
from chain.service.common import ASSET_STATUSES, ZERO32, chain_asset

router = APIRouter(include_in_schema=False)
ASSET_ID = re.compile(r"0x[0-9a-f]{64}")


def _auditor_ctx(runtime: LedgerRuntime, user: Principal, lang: str,
                 request: Request) -> dict[str, Any]:  # fmt: skip
    query = (request.query_params.get("q") or "").strip()[:66]
    timeline: list[lists.EventItem] = []
    selected = onchain = None
    with lists.reading(request) as store:
        named = Names(runtime).search(query) if query else []
        found = lists.assets(store, text=query or None, named=named, limit=50)
        exact = lists.asset(store, query) if ASSET_ID.fullmatch(query.lower()) else None
        if exact is not None or (query and len(found) == 1):
            selected = exact or found[0]
            timeline = lists.history(store, selected.asset_id)
        report = lists.consistency(store, runtime)
        board = dashboard.build(store) if not query else None
    if selected is not None:
        onchain = _onchain(runtime, selected.asset_id)
    elif ASSET_ID.fullmatch(query.lower()):
        onchain = _onchain(runtime, query.lower())  # mined, not indexed yet: the chain says
    return {"q": query, "found": found, "selected": selected, "timeline": timeline,
            "onchain": onchain, "report": report, "board": board,
            "event_label": lambda name: i18n.event_label(lang, name)}  # fmt: skip


def _onchain(runtime: LedgerRuntime, asset_id: str) -> dict[str, Any] | None:
    """The asset's record read from the chain now (the proof beside the store's history)."""
    try:
        record = chain_asset(runtime, asset_id)
    except NotFound:
        return None
    status = int(record.get("status", 0))
    return {"status": ASSET_STATUSES[status] if status < len(ASSET_STATUSES) else str(status),
            "value_fen": int(record.get("valueFen", 0)),
            "certificate": str(record.get("currentCertificateId", ZERO32))}  # fmt: skip


@router.get("/console/auditor")
def auditor_page(request: Request) -> Response:
    return page(request, "auditor.html", _auditor_ctx, gate=gates.auditor)


def _auditor(request: Request) -> Principal | Response:
    """The session's auditor (the audit API's rule), or the answer to give instead."""
    user = session.principal_of(runtime_of(request), request)
    if user is None:
        return login_redirect()
    try:
        gates.auditor(user)
    except LedgerError as exc:
        return denied(request, i18n.lang_of(request), user, exc)
    return user


@router.get("/console/auditor/export")
def auditor_export(request: Request, format: Literal["csv", "jsonl"] = "csv") -> Response:
    """The audit export (as ``/v1/audit/export``) downloaded from the console session."""
    allowed = _auditor(request)
    if isinstance(allowed, Response):
        return allowed
    store = lists.store_of(request)
    media = "text/csv; charset=utf-8" if format == "csv" else "application/x-ndjson"
    return StreamingResponse(
        q.export_events(store, q.EventFilter(), format), media_type=media,
        headers={"Content-Disposition": f'attachment; filename="ledger-events.{format}"'},
    )  # fmt: skip


@router.get("/console/auditor/consistency.json")
def auditor_consistency(request: Request) -> Response:
    """The consistency report (as ``/v1/audit/consistency``) from the console session."""
    allowed = _auditor(request)
    if isinstance(allowed, Response):
        return allowed
    try:
        with lists.reading(request) as store:
            report = lists.consistency(store, runtime_of(request))
    except LedgerError as exc:
        return JSONResponse({"detail": str(exc)}, exc.http_status)
    return JSONResponse(report.to_json())
