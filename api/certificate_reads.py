"""``GET /v1/certificates/{id}`` answers, each built once per store version."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from chain import store_queries as q
from chain.store_watch import StoreWatch

Version = tuple[tuple[Any, ...], ...]


class CertificateReads:
    """``GET /v1/certificates/{id}`` answers, each built once per store version.

    A request reads the store's version (:func:`chain.store_queries.store_version`, one
    small query in a worker thread); the requests arriving while a read runs share the
    next read, which starts after they arrived, so no answer comes from a version read
    before its request. At a version already seen the answer is the JSON bytes built for
    it; otherwise one query builds it (in the worker thread, once for the requests asking
    at that version at the same time) and, when the version read again after it is the
    same, keeps it. A new version drops the answers of the old one.

    On a SQLite file the query is skipped while nothing was committed: a
    :class:`~chain.store_watch.StoreWatch` token is taken on the event loop when the
    request arrives, and when it equals the token taken just before the last version read
    began, no writer (this process's indexer or any other process) committed since that
    read, so its version is the store's version now. Any commit, to any table, moves the
    token and the next request reads the version again.
    """

    MAX_ANSWERS = 4096

    def __init__(self, store: sessionmaker[Session]) -> None:
        self.store = store
        bind = store.kw.get("bind")
        self.watch = StoreWatch.of(bind) if isinstance(bind, Engine) else None
        #: (watch token taken before a version read began, the version it read)
        self._known: tuple[tuple[int, ...], Version] | None = None
        self._version: Version | None = None
        self._answers: dict[str, bytes | None] = {}
        self._running: asyncio.Future[Version] | None = None
        self._queued: asyncio.Future[Version] | None = None
        #: (version, certificate) -> its answer being built
        self._building: dict[tuple[Any, str], asyncio.Future[bytes | None]] = {}
        self.version_reads = 0  # queries of the version (the watch's skips not counted)

    def close(self) -> None:
        """Close the watch's connection (the app's shutdown)."""
        if self.watch is not None:
            self.watch.close()
            self.watch = None

    def _read_version(self) -> Version:
        bind = self.store.kw.get("bind")
        if isinstance(bind, Engine):  # a connection of the pool, no session
            with bind.connect() as conn:
                return q.store_version(conn)
        with self.store() as session:
            return q.store_version(session)

    def _start(self, future: asyncio.Future[Version]) -> None:
        self._running = future
        token = self.watch.token() if self.watch is not None else None
        self.version_reads += 1
        task = asyncio.ensure_future(run_in_threadpool(self._read_version))

        def done(finished: asyncio.Future[Version]) -> None:
            if finished.cancelled():
                future.cancel()
            elif finished.exception() is not None:
                future.set_exception(finished.exception())  # type: ignore[arg-type]
            else:
                version = finished.result()
                if token is not None:  # read after the token: the store at that token
                    self._known = (token, version)
                future.set_result(version)
            self._running = None
            if self._queued is not None:
                queued, self._queued = self._queued, None
                self._start(queued)

        task.add_done_callback(done)

    def _unchanged(self) -> Version | None:
        """The version of the last read when no writer committed since it began."""
        known = self._known
        if known is None or self.watch is None:
            return None
        token = self.watch.token()
        return known[1] if token is not None and token == known[0] else None

    async def version(self) -> Version:
        """The store's version, read after this call began."""
        unchanged = self._unchanged()
        if unchanged is not None:
            return unchanged
        loop = asyncio.get_running_loop()
        if self._running is None:
            future = loop.create_future()
            self._start(future)
        else:  # that read may have begun before this request: wait for the next one
            if self._queued is None:
                self._queued = loop.create_future()
            future = self._queued
        return await asyncio.shield(future)

    def _build(self, cert_id: str) -> tuple[bytes | None, Version]:
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

    async def _build_at(self, version: Version, key: str) -> bytes | None:
        body, after = await run_in_threadpool(self._build, key)
        if after == version:  # built at that version: keep it for the others
            if self._version != version:
                self._version, self._answers = version, {}
            if len(self._answers) < self.MAX_ANSWERS:
                self._answers[key] = body
        return body
