"""Read side of the catalogue from the indexed store: assets, certificates, history.

Lists, search and history come from the store (``chain.store_queries``); proofs come
from the chain (``/v1/certificates/{id}/status``, ``/v1/assets/{id}/onchain``).
The store is ``app.state.indexer_store`` (a SQLAlchemy ``sessionmaker``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from sqlalchemy.orm import Session, sessionmaker

from api.auth import CurrentUser
from api.certificate_reads import CertificateReads
from chain import store_queries as q
from chain.errors import ChainUnavailable, NotFound, ValidationFailed

router = APIRouter(tags=["catalogue"])
TEXT_HELP = "part of the catalogue hash, asset id or metadata hash, or a domain code"

Id32 = Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{64}$", description="0x + 32-byte hex")]
OrgFilter = Annotated[str | None, Query(pattern=r"^0x[0-9a-fA-F]{64}$")]
Cursor = Annotated[str | None, Query(description="next_cursor of the previous page")]
Limit = Annotated[int, Query(ge=1, le=q.MAX_LIMIT)]
City = Annotated[
    int | None, Query(ge=0, lt=2**32, description="GB/T 2260 division code of the city")
]


async def get_store(request: Request) -> sessionmaker[Session]:
    factory: sessionmaker[Session] | None = getattr(request.app.state, "indexer_store", None)
    if factory is None:
        raise ChainUnavailable("the indexed store is not configured on this gateway")
    return factory


StoreDep = Annotated[sessionmaker[Session], Depends(get_store)]


def session_dep(store: StoreDep) -> Iterator[Session]:
    with store() as session:
        yield session


SessionDep = Annotated[Session, Depends(session_dep)]


def _page(page: q.Page) -> dict[str, Any]:
    return {"items": page.items, "next_cursor": page.next_cursor}


def _guard(func: Any, *args: Any, **kwargs: Any) -> q.Page:
    try:
        page: q.Page = func(*args, **kwargs)
    except q.BadCursor as exc:
        error = {"loc": ["query", "cursor"], "msg": str(exc), "type": "value_error"}
        raise ValidationFailed(str(exc), errors=[error]) from exc
    return page


@router.get("/v1/assets", summary="Assets from the store: filters, text search, cursor pages")
def list_assets(
    user: CurrentUser,
    session: SessionDep,
    holder: OrgFilter = None,
    city: City = None,
    status: Annotated[
        Literal["registered", "in_notice", "certified", "disposed", "deregistered"] | None,
        Query(),
    ] = None,
    operator: OrgFilter = None,
    text: Annotated[str | None, Query(alias="q", max_length=66, description=TEXT_HELP)] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> dict[str, Any]:
    return _page(_guard(
        q.list_assets, session, holder=holder, city=city, status=status, operator=operator,
        q=text, cursor=cursor, limit=limit,
    ))  # fmt: skip


@router.get("/v1/assets/{asset_id}", summary="One asset from the store, with its certificates")
def get_asset(asset_id: Id32, user: CurrentUser, session: SessionDep) -> dict[str, Any]:
    found = q.get_asset(session, asset_id)
    if found is None:
        raise NotFound(f"no asset {asset_id} in the indexed store")
    return found


@router.get(
    "/v1/assets/{asset_id}/history",
    summary="Every event of the asset in chain order (block, time, tx hash, acting org)",
)
def asset_history(
    asset_id: Id32,
    user: CurrentUser,
    session: SessionDep,
    cursor: Cursor = None,
    limit: Limit = q.MAX_LIMIT,
) -> dict[str, Any]:
    if q.get_asset(session, asset_id) is None:
        raise NotFound(f"no asset {asset_id} in the indexed store")
    return _page(_guard(q.asset_history, session, asset_id, cursor, limit))


@router.get("/v1/certificates", summary="Certificates from the store: filters and cursor pages")
def list_certificates(
    user: CurrentUser,
    session: SessionDep,
    holder: OrgFilter = None,
    issuer: OrgFilter = None,
    city: City = None,
    status: Annotated[Literal["active", "expired", "revoked", "superseded"] | None, Query()] = None,
    recognised_by: OrgFilter = None,
    asset_id: OrgFilter = None,
    text: Annotated[str | None, Query(alias="q", max_length=66)] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> dict[str, Any]:
    return _page(_guard(
        q.list_certificates, session, holder=holder, issuer=issuer, city=city, status=status,
        recognised_by=recognised_by, asset_id=asset_id, q=text, cursor=cursor, limit=limit,
    ))  # fmt: skip


async def certificate_reads(store: StoreDep, request: Request) -> CertificateReads:
    reads: CertificateReads | None = getattr(request.app.state, "certificate_reads", None)
    if reads is None or reads.store is not store:
        reads = request.app.state.certificate_reads = CertificateReads(store)
    return reads


@router.get(
    "/v1/certificates/{cert_id}", response_model=dict[str, Any],
    summary="One certificate from the store",
)  # fmt: skip
async def get_certificate(
    cert_id: Id32, user: CurrentUser, reads: Annotated[CertificateReads, Depends(certificate_reads)]
) -> Response:
    # built and serialised once per store version; the route, its key check included,
    # runs on the event loop and the store reads in a worker thread (no docstring: it
    # would become the operation's description in the OpenAPI document)
    body = await reads.answer(cert_id)
    if body is None:
        raise NotFound(f"no certificate {cert_id} in the indexed store")
    return Response(body, media_type="application/json")
