"""``GET /v1/certificates/{id}``: the store's certificate in one query, built once per
store version and rebuilt with the first read after the indexer stores a change."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from sqlalchemy import event, select

from api.certificate_reads import CertificateReads
from chain import store_queries as q
from chain.indexer.models import CertificateRow, RecognitionRow
from tests.workflows.world import RegistryWorld


def _expected(w: RegistryWorld, cert_id: str) -> dict[str, Any]:
    """The answer as the ORM reads it: the row's columns, the derived fields and the
    active recognitions in recognition order."""
    with w.runtime.sessions() as session:
        row = session.get(CertificateRow, cert_id)
        assert row is not None
        data = q.certificate_dict(row, q.indexed_time(session))
        data["recognised_by"] = list(
            session.scalars(
                select(RecognitionRow.org_id)
                .where(RecognitionRow.certificate_id == cert_id, RecognitionRow.active)
                .order_by(RecognitionRow.recognised_block, RecognitionRow.org_index)
            )
        )
    return data


def _get(w: RegistryWorld, cert_id: str) -> Any:
    response = w.client.get(f"/v1/certificates/{cert_id}", headers=w.auth("holder"))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return response


def test_lookup_answers_the_store_row_and_follows_a_revocation(w: RegistryWorld) -> None:
    asset_id, cert_id = w.certified_asset()
    first = _get(w, cert_id)
    body = first.json()
    assert body == _expected(w, cert_id)
    assert body["certificate_id"] == cert_id and body["asset_id"] == asset_id
    assert body["status"] == "active" and body["issuer_org_id"] == w.orgs["registrar"]
    assert body["replaced_by"] is None and body["supersedes"] is None
    assert body["recognised_by"] == []
    assert _get(w, cert_id).content == first.content

    w.ok("POST", f"/v1/certificates/{cert_id}/revocation", "registrar", {"reason_code": 2})
    after = _get(w, cert_id).json()  # the very next read after the indexed revocation
    assert after["status"] == "revoked" and after["revocation_reason"] == 2
    assert after["revoked_at"] > 0
    assert after == _expected(w, cert_id)


def test_upper_case_id_and_unknown_id(w: RegistryWorld) -> None:
    _asset_id, cert_id = w.certified_asset()
    upper = "0x" + cert_id[2:].upper()
    assert _get(w, upper).json() == _expected(w, cert_id)
    missing = "0x" + "00" * 31 + "01"
    response = w.client.get(f"/v1/certificates/{missing}", headers=w.auth("holder"))
    assert response.status_code == 404
    assert response.json()["code"] == "not-found"
    assert missing in response.json()["detail"]


def test_a_repeated_read_at_one_store_version_queries_only_the_version(
    w: RegistryWorld,
) -> None:
    _asset_id, cert_id = w.certified_asset()
    reads = CertificateReads(w.runtime.sessions)
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "idx_certificates" in statement:
            statements.append(statement)

    async def twice() -> tuple[bytes | None, bytes | None, Any, Any]:
        first = await reads.answer(cert_id)
        version = await reads.version()
        statements.clear()
        second = await reads.answer(cert_id)
        return first, second, version, await reads.version()

    engine = w.runtime.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        first, second, version, later = asyncio.run(twice())
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert first is not None and second == first
    assert version == later  # the in-process chain mines no block meanwhile
    assert statements == []  # answered from memory: no certificate query


def test_store_version_moves_with_every_indexed_write(w: RegistryWorld) -> None:
    with w.runtime.sessions() as session:
        before = q.store_version(session)
    w.certified_asset()
    with w.runtime.sessions() as session:
        after = q.store_version(session)
    assert before and after and after != before
    assert after[0][1] > before[0][1]  # the checkpoint's block
    assert after[0][3] > before[0][3]  # its event count


def test_concurrent_reads_share_one_version_read_begun_after_they_arrived(
    w: RegistryWorld,
) -> None:
    reads = CertificateReads(w.runtime.sessions)
    calls: list[int] = []
    read_version = reads._read_version

    def counted() -> tuple[tuple[Any, ...], ...]:
        calls.append(1)
        return read_version()

    reads._read_version = counted  # type: ignore[method-assign]

    async def many() -> list[Any]:
        first = asyncio.ensure_future(reads.version())  # starts a read now
        await asyncio.sleep(0)
        # these arrive while it runs: they share one read that starts after it
        later = [asyncio.ensure_future(reads.version()) for _ in range(16)]
        return await asyncio.gather(first, *later)

    versions = asyncio.run(many())
    assert len(calls) == 2
    assert all(v == versions[0] for v in versions)  # no block mined meanwhile


def test_concurrent_first_reads_of_one_certificate_build_it_once(w: RegistryWorld) -> None:
    _asset_id, cert_id = w.certified_asset()
    reads = CertificateReads(w.runtime.sessions)
    builds: list[str] = []
    build = reads._build

    def counted(key: str) -> tuple[bytes | None, tuple[tuple[Any, ...], ...]]:
        builds.append(key)
        return build(key)

    reads._build = counted  # type: ignore[method-assign]

    async def many() -> list[bytes | None]:
        return await asyncio.gather(*(reads.answer(cert_id) for _ in range(16)))

    answers = asyncio.run(many())
    assert builds == [cert_id]
    assert answers[0] is not None and all(a == answers[0] for a in answers)
    assert json.loads(answers[0]) == _expected(w, cert_id)
