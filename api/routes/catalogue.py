"""Read side of the catalogue from the indexed store: assets, certificates, history.

Lists, search and history come from the store (``chain.store_queries``); proofs come
from the chain (``/v1/certificates/{id}/status``, ``/v1/assets/{id}/onchain``).
The store is ``app.state.indexer_store`` (a SQLAlchemy ``sessionmaker``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from api.auth import CurrentUser
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


class CertificateReads:
    """``GET /v1/certificates/{id}`` answers, each built once per store version.

    A request reads the store's version (:func:`chain.store_queries.store_version`, one
    small query in a worker thread); the requests arriving while a read runs share the
    next read, which starts after they arrived, so no answer comes from a version read
    before its request. At a version already seen the answer is the JSON bytes built for
    it; otherwise one query builds it (in the worker thread, once for the requests asking
    at that version at the same time) and, when the version read again after it is the
    same, keeps it. A new version drops the answers of the old one.
    """

    MAX_ANSWERS = 4096

    def __init__(self, store: sessionmaker[Session]) -> None:
        self.store = store
        self._version: tuple[tuple[Any, ...], ...] | None = None
        self._answers: dict[str, bytes | None] = {}
        self._running: asyncio.Future[tuple[tuple[Any, ...], ...]] | None = None
        self._queued: asyncio.Future[tuple[tuple[Any, ...], ...]] | None = None
        #: (version, certificate) -> its answer being built
        self._building: dict[tuple[Any, str], asyncio.Future[bytes | None]] = {}

    def _read_version(self) -> tuple[tuple[Any, ...], ...]:
        bind = self.store.kw.get("bind")
        if isinstance(bind, Engine):  # a connection of the pool, no session
            with bind.connect() as conn:
                return q.store_version(conn)
        with self.store() as session:
            return q.store_version(session)

    def _start(self, future: asyncio.Future[tuple[tuple[Any, ...], ...]]) -> None:
        self._running = future
        task = asyncio.ensure_future(run_in_threadpool(self._read_version))

        def done(finished: asyncio.Future[tuple[tuple[Any, ...], ...]]) -> None:
            if finished.cancelled():
                future.cancel()
            elif finished.exception() is not None:
                future.set_exception(finished.exception())  # type: ignore[arg-type]
            else:
                future.set_result(finished.result())
            self._running = None
            if self._queued is not None:
                queued, self._queued = self._queued, None
                self._start(queued)

        task.add_done_callback(done)

    async def version(self) -> tuple[tuple[Any, ...], ...]:
        """The store's version, read after this call began."""
        loop = asyncio.get_running_loop()
        if self._running is None:
            future = loop.create_future()
            self._start(future)
        else:  # that read may have begun before this request: wait for the next one
            if self._queued is None:
                self._queued = loop.create_future()
            future = self._queued
        return await asyncio.shield(future)

    def _build(self, cert_id: str) -> tuple[bytes | None, tuple[tuple[Any, ...], ...]]:
        with self.store() as session:
            body = q.certificate_json(session, cert_id)
            return body, q.store_version(session)

    async def answer(self, cert_id: str) -> bytes | None:
        key = cert_id.lower()
        version = await self.version()
        if version == self._version and key in self._answers:
            return self._answers[key]
        flight = (version, key)
        building = self._building.get(flight)
        if building is None:  # the first request at this version builds, the others wait
            building = self._building[flight] = asyncio.ensure_future(self._build_at(*flight))
            building.add_done_callback(lambda _: self._building.pop(flight, None))
        return await asyncio.shield(building)

    async def _build_at(self, version: tuple[tuple[Any, ...], ...], key: str) -> bytes | None:
        body, after = await run_in_threadpool(self._build, key)
        if after == version:  # built at that version: keep it for the others
            if self._version != version:
                self._version, self._answers = version, {}
            if len(self._answers) < self.MAX_ANSWERS:
                self._answers[key] = body
        return body


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
