"""Audit: events by range, kind and organisation; streamed export; consistency check.

For auditors (an Auditor organisation's users) and admins. The store is
``app.state.indexer_store``; the consistency check reads the chain through
``app.state.runtime`` (``LedgerRuntime.contract``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import StringConstraints

from api.auth import CurrentUser, authorise_auditor
from api.routes.catalogue import Cursor, Limit, OrgFilter, SessionDep, StoreDep, _guard, _page
from chain import store_queries as q
from chain.accounts import Principal
from chain.bindings.contracts import REGISTRY, SPLIT
from chain.errors import ChainUnavailable
from chain.indexer.consistency import consistency_check
from chain.indexer.core import IndexerError
from chain.indexer.runner import deployment_specs

router = APIRouter(tags=["audit"])


def require_auditor(user: CurrentUser) -> Principal:
    """Auditor organisations' users and admins only (403 otherwise)."""
    return authorise_auditor(user)


AuditorUser = Annotated[Principal, Depends(require_auditor)]


def _filter(
    from_block: int | None, to_block: int | None, since: int | None, until: int | None,
    kind: list[str] | None, org: str | None, asset_id: str | None,
) -> q.EventFilter:
    return q.EventFilter(
        from_block=from_block, to_block=to_block, since=since, until=until,
        kinds=tuple(kind or ()), org=org, asset_id=asset_id,
    )  # fmt: skip


Block = Annotated[int | None, Query(ge=0, le=q.MAX_STORE_INT)]
Time = Annotated[
    int | None, Query(ge=0, le=q.MAX_STORE_INT, description="unix seconds (block time)")
]
#: Event names are contract identifiers: anything else cannot match and is refused.
EventName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9]{0,63}$")]
Kinds = Annotated[list[EventName] | None, Query(description="event names, repeatable")]


@router.get("/v1/audit/events", summary="Indexed events by block/time range, kind and org")
def audit_events(
    user: AuditorUser,
    session: SessionDep,
    from_block: Block = None,
    to_block: Block = None,
    since: Time = None,
    until: Time = None,
    kind: Kinds = None,
    org: OrgFilter = None,
    asset_id: OrgFilter = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> dict[str, Any]:
    flt = _filter(from_block, to_block, since, until, kind, org, asset_id)
    return _page(_guard(q.list_events, session, flt, cursor, limit))


@router.get(
    "/v1/audit/export",
    summary="The same events streamed as CSV or JSON Lines (any size, bounded memory)",
    response_class=StreamingResponse,
)
def audit_export(
    user: AuditorUser,
    store: StoreDep,
    format: Annotated[Literal["csv", "jsonl"], Query()] = "jsonl",
    from_block: Block = None,
    to_block: Block = None,
    since: Time = None,
    until: Time = None,
    kind: Kinds = None,
    org: OrgFilter = None,
    asset_id: OrgFilter = None,
) -> StreamingResponse:
    flt = _filter(from_block, to_block, since, until, kind, org, asset_id)
    media = "text/csv; charset=utf-8" if format == "csv" else "application/x-ndjson"
    return StreamingResponse(
        q.export_events(store, flt, format),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="ledger-events.{format}"'},
    )


@router.get("/v1/audit/consistency", summary="Compare the store with the chain; list differences")
def audit_consistency(request: Request, user: AuditorUser, session: SessionDep) -> dict[str, Any]:
    runtime: Any = getattr(request.app.state, "runtime", None)
    if runtime is None:
        raise ChainUnavailable("the gateway has no chain connection")
    try:
        registry = runtime.contract(REGISTRY)
        revenue = runtime.contract(SPLIT)
        specs = deployment_specs(runtime.deployment)
        report = consistency_check(session, runtime.w3, registry, revenue, contracts=specs)
    except (ConnectionError, OSError, IndexerError) as exc:
        raise ChainUnavailable(f"the chain does not answer: {exc}") from exc
    return report.to_json()
