"""The read routes' head-keyed cache: a repeated read at the same head is answered from
memory, and the first read after the block that revokes the certificate sees the
revocation - through the gateway on the in-process chain, and through the reader's JSON-RPC
batches on a real anvil node."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from chain import documents, localnode, verifier
from chain.bindings.calls import view_call
from chain.bindings.contracts import REGISTRY
from chain.bindings.enums import CertificateStatus
from chain.clients import http_chain
from chain.reader import ChainReader
from tests.documents.ledger import NOTICE_WINDOW, Ledger
from tests.workflows.world import RegistryWorld


def _status(w: RegistryWorld, cert_id: str) -> dict[str, Any]:
    response = w.client.get(f"/v1/certificates/{cert_id}/status", headers=w.auth("holder"))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_cached_status_and_verdict_change_with_the_block_that_revokes(w: RegistryWorld) -> None:
    _asset_id, cert_id = w.certified_asset()
    reader = w.runtime.reader
    document = w.client.get(f"/v1/certificates/{cert_id}/document", headers=w.auth("holder"))
    assert document.status_code == 200, document.text
    doc = document.json()

    first = _status(w, cert_id)
    assert first["status"] == "Active" and first["usability"] == "Usable"
    verdict = w.client.post("/v1/verify", json={"document": doc}).json()
    assert verdict["valid"] is True and verdict["status"] == "Active", verdict
    misses, hits = reader.misses, reader.hits
    again = _status(w, cert_id)
    assert again == first  # same head block: the same answer, from the cache
    assert again["proof"]["block_number"] == first["proof"]["block_number"]
    assert reader.misses == misses and reader.hits == hits + 2  # certificate + verify
    cached = w.client.post("/v1/verify", json={"document": doc}).json()
    assert cached == verdict
    assert reader.misses == misses and reader.hits == hits + 6  # + the verifier's 4 views

    w.ok("POST", f"/v1/certificates/{cert_id}/revocation", "registrar", {"reason_code": 2})
    after = _status(w, cert_id)
    assert after["status"] == "Revoked" and after["revocation_reason"] == 2
    assert after["revocation_reason_name"] == "REGISTRATION_ERROR"
    assert after["proof"]["block_number"] > first["proof"]["block_number"]
    revoked = w.client.post("/v1/verify", json={"document": doc}).json()
    assert revoked["valid"] is False and revoked["status"] == "Revoked"
    assert revoked["revocation_reason"] == 2
    assert {r["code"] for r in revoked["reasons"] if not r["ok"]} == {"status"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def anvil(tmp_path_factory: pytest.TempPathFactory) -> Iterator[localnode.LocalNodeConfig]:
    config = dataclasses.replace(
        localnode.load_config().with_dir(tmp_path_factory.mktemp("read-cache-anvil")),
        port=_free_port(), block_time=0, state_interval=3600,
    )  # fmt: skip
    localnode.start(config)
    yield config
    localnode.stop(config)


def test_reader_batches_on_anvil_see_a_revocation_in_the_next_block(
    anvil: localnode.LocalNodeConfig,
) -> None:
    handle = http_chain(anvil.url, "local", anvil.chain_id, poa=False)

    def advance(seconds: int) -> None:
        handle.w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[attr-defined]

    ledger = Ledger(handle=handle, advance=advance).deploy()
    asset = ledger.register_and_value("read-cache")
    advance(NOTICE_WINDOW + 60)
    cid = ledger.issue(asset)
    registry = ledger.deployment.address(REGISTRY)
    doc = documents.build_document(handle.w3, registry, cid, ledger.registrar, "https://x.example")
    reader = ChainReader(handle.w3)

    def verify() -> verifier.Verdict:
        return verifier.verify_document(handle.w3, registry, doc, None,
                                        verifier_address=ledger.verifier_address,
                                        reader=reader)  # fmt: skip

    head = reader.head()
    first = verify()
    assert first.valid is True and first.status == "Active", first.failed()
    assert first.signer_key == "current" and first.usability == "Usable"
    misses = reader.misses
    assert misses == 4  # certificate, verify, verifyCertificateSignature, signingKey: one batch
    again = verify()
    assert reader.head() == head  # automine: no block without a transaction
    assert again == first and reader.misses == misses and reader.hits == 4

    receipt = ledger.send(ledger.registrar, ledger.registry.functions.revokeCertificate(cid, 7))
    assert receipt["blockNumber"] == head.number + 1
    revoked = verify()
    assert revoked.valid is False and revoked.status == "Revoked"
    assert revoked.revocation_reason == 7
    assert reader.misses == misses + 4  # the new head: every view read again


def test_async_reads_on_anvil_see_a_revocation_in_the_next_block(
    anvil: localnode.LocalNodeConfig,
) -> None:
    """The async side (asyncio connections to the node, a route answer kept per head):
    the answer kept for a head is served again at that head and rebuilt at the block that
    revokes the certificate."""
    handle = http_chain(anvil.url, "local", anvil.chain_id, poa=False)

    def advance(seconds: int) -> None:
        handle.w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[attr-defined]

    ledger = Ledger(handle=handle, advance=advance).deploy()
    asset = ledger.register_and_value("read-cache-async")
    advance(NOTICE_WINDOW + 60)
    cid = ledger.issue(asset)
    registry = ledger.deployment.address(REGISTRY)
    reader = ChainReader(handle.w3)
    certificate = view_call(REGISTRY, "certificate")
    status_view = view_call(REGISTRY, "certificateStatus")

    async def status() -> tuple[int, bytes]:
        head = await reader.head_async()

        async def build() -> tuple[bytes, int]:
            cert, code = await reader.views_async(
                head, [(registry, certificate, (cid,)), (registry, status_view, (cid,))]
            )
            return json.dumps({"status": int(code), "issued": int(cert["issuedAt"])}).encode(), 2

        return head.number, await reader.answer_async(head, ("status", cid), build)

    async def scenario() -> None:
        block, first = await status()
        assert json.loads(first)["status"] == int(CertificateStatus.Active)
        assert reader.built == 1 and reader.misses == 2
        assert await status() == (block, first)  # same head: the kept answer
        assert reader.built == 1 and reader.served == 1 and reader.hits == 2
        receipt = await asyncio.to_thread(
            ledger.send, ledger.registrar, ledger.registry.functions.revokeCertificate(cid, 7)
        )
        assert receipt["blockNumber"] == block + 1
        after_block, after = await status()
        assert after_block == block + 1 and reader.built == 2
        assert json.loads(after)["status"] == int(CertificateStatus.Revoked)

    asyncio.run(scenario())
