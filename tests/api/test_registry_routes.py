"""Every registry route over HTTP: the allowed role succeeds (chain state and events
asserted), a refused role, kind or city gets 403 or the contract's error, bad input 422."""

from __future__ import annotations

import io
from typing import Any

import pytest
from pypdf import PdfReader
from web3 import Web3

from chain import pdf
from chain.service.assets import batch_proof
from chain.service.common import chain_certificate
from tests.workflows.world import RegistryWorld, h


def b(value: str) -> bytes:
    return bytes.fromhex(value[2:])


def test_admit_org_refused_outside_role_kind_and_city(w: RegistryWorld) -> None:
    w.keys["xm_admin"] = w.admins["xm_registrar"]
    cases = [
        ("holder", {"name": "X", "kind": "holder"}, "role admin"),
        ("admin", {"name": "X", "kind": "holder"}, "registrar"),
        ("registrar_admin", {"name": "X", "kind": "registrar", "city_code": 1}, "consortium"),
        ("xm_admin", {"name": "X", "kind": "holder", "city_code": 370200}, "city"),
    ]
    for role, body, words in cases:
        response = w.call("POST", "/v1/orgs", role, body)
        assert response.status_code == 403, (role, response.text)
        assert words in response.json()["detail"]
    again = w.call(
        "POST",
        "/v1/orgs",
        "admin",
        {"name": "Another Qingdao centre", "kind": "registrar", "city_code": 370200},
    )
    assert again.status_code == 409 and again.json()["code"] == "RegistrarExists"


def test_orgs_list_and_read_with_chain_record(w: RegistryWorld) -> None:
    listed = w.client.get("/v1/orgs", headers=w.auth("admin")).json()
    assert {o["org_id"] for o in listed} >= set(w.orgs.values())
    one = w.client.get(f"/v1/orgs/{w.orgs['bank']}", headers=w.auth("registrar_admin")).json()
    assert one["chain"] == {
        "kind": "bank",
        "city": 370200,
        "active": True,
        "name_hash": "0x" + Web3.keccak(text="Bank of Qingdao").hex(),
    }
    assert w.client.get("/v1/orgs", headers=w.auth("holder")).status_code == 403


def test_validation_errors_name_the_field(w: RegistryWorld) -> None:
    cases = [
        ("/v1/assets", {"catalogue_code": "", "domain_code": 1, "metadata": {}}, "catalogue_code"),
        ("/v1/assets", {"catalogue_code": "c", "domain_code": 2**32, "metadata": {}},
         "domain_code"),
        (f"/v1/assets/{'0x' + '11' * 32}/valuation",
         {"value_fen": 2**128, "method_code": 1, "report_hash": h("r")}, "value_fen"),
        (f"/v1/assets/{'0x' + '11' * 32}/valuation",
         {"value_fen": -1, "method_code": 1, "report_hash": "0x12"}, "report_hash"),
        ("/v1/assets/0x12/compliance", {"passed": True, "report_hash": h("r")}, "asset_id"),
        (f"/v1/applications/{'0x' + '11' * 32}/reviews", {"approve": False}, "reason_hash"),
    ]  # fmt: skip
    for path, body, field in cases:
        response = w.call("POST", path, "registrar", body)
        assert response.status_code == 422, (path, response.text)
        assert field in response.text


def test_register_asset_commits_and_refuses_other_kinds(w: RegistryWorld) -> None:
    body = {"catalogue_code": "370200-JT-UNIQUE", "domain_code": 3, "metadata": {"a": 1}}
    refused = w.call("POST", "/v1/assets", "registrar", body)
    assert refused.status_code == 403 and "holder" in refused.json()["detail"]
    response = w.ok("POST", "/v1/assets", "holder", body)
    asset_id = response.headers["Ledger-Resource-Id"]
    record = w.resource(asset_id)
    assert record["holderOrgId"] == w.orgs["holder"] and record["domainCode"] == 3
    assert w.asset(asset_id)["holderOrgId"] == w.orgs["holder"]
    from chain.commitments import opens
    from chain.service.asset_documents import get_asset_document

    row = get_asset_document(w.runtime, asset_id)
    assert row is not None and row.catalogue_code == "370200-JT-UNIQUE"
    assert opens("370200-JT-UNIQUE", b(row.catalogue_salt), b(record["catalogueHash"]))
    assert opens({"a": 1}, b(row.metadata_salt), b(record["metadataHash"]))
    duplicate = w.call("POST", "/v1/assets", "holder", body)
    assert duplicate.status_code == 409
    assert w.call("POST", "/v1/assets", "holder", body, wait=False).status_code == 409


def test_register_asset_idempotent_retry_gives_the_same_operation(w: RegistryWorld) -> None:
    body = {"catalogue_code": "370200-JT-IDEM", "domain_code": 4, "metadata": {"b": 2}}
    headers = {**w.auth("holder"), "Idempotency-Key": "idem-asset-1"}
    first = w.client.post("/v1/assets", json=body, headers=headers, params={"wait": "true"})
    second = w.client.post("/v1/assets", json=body, headers=headers, params={"wait": "true"})
    assert first.status_code == second.status_code == 200
    assert first.json()["id"] == second.json()["id"]
    assert first.headers["Ledger-Resource-Id"] == second.headers["Ledger-Resource-Id"]
    other = w.client.post("/v1/assets", json={**body, "domain_code": 5}, headers=headers)
    assert other.status_code == 409


def _documents_of_code(w: RegistryWorld, catalogue_code: str) -> int:
    """How many asset documents the gateway stored under a catalogue code."""
    from sqlalchemy import func, select

    from chain.service.asset_documents import AssetDocument

    with w.runtime.sessions() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(AssetDocument)
                .where(AssetDocument.catalogue_code == catalogue_code)
            )
            or 0
        )


def test_another_idempotency_key_does_not_register_a_catalogue_code_twice(
    w: RegistryWorld,
) -> None:
    """Only a replay of the key that registered a code passes the duplicate-code check: a
    request under any other key is refused like one without a key."""
    body = {"catalogue_code": "370200-JT-IDEM-2", "domain_code": 4, "metadata": {"b": 3}}

    def post(key: str) -> Any:
        headers = {**w.auth("holder"), "Idempotency-Key": key}
        return w.client.post("/v1/assets", json=body, headers=headers, params={"wait": "true"})

    first = post("idem-asset-2a")
    assert first.status_code == 200, first.text
    again = post("idem-asset-2b")
    assert again.status_code == 409, again.text
    assert again.json()["asset_id"] == first.headers["Ledger-Resource-Id"]
    replay = post("idem-asset-2a")
    assert replay.status_code == 200 and replay.json()["id"] == first.json()["id"]
    assert _documents_of_code(w, "370200-JT-IDEM-2") == 1


def test_concurrent_registrations_of_one_code_register_it_once(w: RegistryWorld) -> None:
    """A holder's eight requests with one catalogue code at once: the code is checked in the
    transaction that journals the write, so one is registered and seven refused (each
    request checking it before its write was journaled let several through)."""
    from concurrent.futures import ThreadPoolExecutor

    body = {"catalogue_code": "370200-JT-RACE", "domain_code": 6, "metadata": {"r": 1}}
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(
            lambda _: w.call("POST", "/v1/assets", "holder", body, wait=False), range(8)
        ))  # fmt: skip
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [202] + [409] * 7, [a.text for a in answers]
    registered = next(a for a in answers if a.status_code == 202)
    asset_id = registered.headers["Ledger-Resource-Id"]
    assert {a.json()["asset_id"] for a in answers if a.status_code == 409} == {asset_id}
    assert _documents_of_code(w, "370200-JT-RACE") == 1


def test_a_catalogue_code_with_a_nul_character_is_refused_422_and_nothing_is_journaled(
    w: RegistryWorld,
) -> None:
    """The code is looked up in the journal's transaction now: text the store refuses
    (a NUL) is still a 422 naming it, for a single registration and in a batch, and no
    operation or document is left of it."""
    from sqlalchemy import func, select

    from chain.txpipe import Operation

    with w.runtime.sessions() as session:
        before = session.scalar(select(func.count()).select_from(Operation))
    single = {"catalogue_code": "370200-NUL\x00-1", "domain_code": 5, "metadata": {}}
    refused = w.call("POST", "/v1/assets", "holder", single)
    assert refused.status_code == 422, refused.text
    assert "NUL" in refused.json()["detail"]
    items = [{"catalogue_code": "370200-NUL-OK", "domain_code": 5, "metadata": {}}, single]
    in_batch = w.call("POST", "/v1/assets/batches", "holder", {"items": items})
    assert in_batch.status_code == 422, in_batch.text
    with w.runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Operation)) == before
    assert _documents_of_code(w, "370200-NUL-OK") == 0


def test_a_batch_does_not_register_a_catalogue_code_twice(w: RegistryWorld) -> None:
    """A code registered alone is refused in a batch, and a batch's codes alone; a replay
    of the batch under its own key still answers its operation."""
    single = {"catalogue_code": "370200-JT-BOTH", "domain_code": 9, "metadata": {}}
    first = w.ok("POST", "/v1/assets", "holder", single)
    items = [{"catalogue_code": f"370200-JT-NEW-{i}", "domain_code": 9, "metadata": {}}
             for i in range(2)]  # fmt: skip
    refused = w.call("POST", "/v1/assets/batches", "holder", {"items": [*items, single]})
    assert refused.status_code == 409, refused.text
    assert refused.json()["asset_id"] == first.headers["Ledger-Resource-Id"]
    assert "item 2" in refused.json()["detail"]

    headers = {**w.auth("holder"), "Idempotency-Key": "idem-batch-1"}
    batch = w.client.post("/v1/assets/batches", json={"items": items}, headers=headers,
                          params={"wait": "true"})  # fmt: skip
    assert batch.status_code == 200, batch.text
    replay = w.client.post("/v1/assets/batches", json={"items": items}, headers=headers,
                           params={"wait": "true"})  # fmt: skip
    assert replay.status_code == 200 and replay.json()["id"] == batch.json()["id"]
    other_key = {**w.auth("holder"), "Idempotency-Key": "idem-batch-2"}
    again = w.client.post("/v1/assets/batches", json={"items": items}, headers=other_key)
    assert again.status_code == 409, again.text
    alone = w.call("POST", "/v1/assets", "holder", items[1])
    assert alone.status_code == 409, alone.text


def test_register_asset_document_is_journaled_with_its_operation(w: RegistryWorld) -> None:
    from sqlalchemy import func, select

    from chain.service.asset_documents import AssetDocument
    from chain.txpipe import Operation

    body = {"catalogue_code": "370200-JT-JOURNAL", "domain_code": 6, "metadata": {"c": 3}}
    headers = {**w.auth("holder"), "Idempotency-Key": "idem-asset-journal"}
    first = w.client.post("/v1/assets", json=body, headers=headers)
    assert first.status_code == 202
    asset_id = first.headers["Ledger-Resource-Id"]
    with w.runtime.sessions() as session:  # at the answer: both rows are there
        doc = session.get(AssetDocument, asset_id)
        op = session.get(Operation, first.json()["id"])
    assert doc is not None and op is not None and doc.operation_id == op.id
    assert str(op.args[0]).lower() == doc.catalogue_hash and op.function == "registerResource"
    assert doc.catalogue_code == "370200-JT-JOURNAL" and doc.metadata_doc == {"c": 3}
    replay = w.client.post("/v1/assets", json=body, headers=headers, params={"wait": "true"})
    assert replay.status_code == 200 and replay.json()["id"] == op.id
    assert replay.headers["Ledger-Resource-Id"] == asset_id
    with w.runtime.sessions() as session:
        stored = session.scalar(
            select(func.count()).select_from(AssetDocument)
            .where(AssetDocument.catalogue_code == "370200-JT-JOURNAL")
        )  # fmt: skip
    assert stored == 1
    record = w.resource(asset_id)
    assert record["holderOrgId"] == w.orgs["holder"]
    assert record["catalogueHash"] == doc.catalogue_hash


def test_batch_proofs_are_accepted_by_the_contract(w: RegistryWorld) -> None:
    items = [
        {"catalogue_code": f"370200-BATCH-{i}", "domain_code": 10 + i, "metadata": {"i": i}}
        for i in range(5)
    ]
    response = w.ok("POST", "/v1/assets/batches", "holder", {"items": items, "manifest": {"q": 4}})
    batch_id = response.headers["Ledger-Resource-Id"]
    event = w.events(response, "ResourceBatchRegistered")[0]
    assert event["batchId"] == batch_id
    for index in range(5):
        item, proof = batch_proof(w.runtime, batch_id, index)
        assert w.reg.functions.proveResource(
            b(batch_id), b(item.catalogue_hash), b(item.metadata_hash), item.domain_code, proof
        ).call()
    refused = w.call("POST", f"/v1/assets/batches/{batch_id}/items", "registrar", {"index": 1})
    assert refused.status_code == 403
    response = w.ok("POST", f"/v1/assets/batches/{batch_id}/items", "holder", {"index": 3})
    asset_id = response.headers["Ledger-Resource-Id"]
    assert w.resource(asset_id)["batchId"] == batch_id
    again = w.call("POST", f"/v1/assets/batches/{batch_id}/items", "holder", {"index": 3})
    assert again.status_code == 409 and again.json()["code"] == "AssetExists"
    beyond = w.call("POST", f"/v1/assets/batches/{batch_id}/items", "holder", {"index": 7})
    assert beyond.status_code == 422


def test_evaluation_objection_and_dispute(w: RegistryWorld) -> None:
    asset_id = w.new_asset()
    xm = w.call("POST", f"/v1/assets/{asset_id}/valuation", "xm_registrar",
                {"value_fen": 5, "method_code": 1, "report_hash": h("v")})  # fmt: skip
    assert xm.status_code == 403 and "370200" in xm.json()["detail"]
    assert w.call("POST", f"/v1/assets/{asset_id}/compliance", "holder",
                  {"passed": True, "report_hash": h("c")}).status_code == 403  # fmt: skip
    w.in_notice(asset_id)
    response = w.ok("POST", f"/v1/assets/{asset_id}/objections", "merchant",
                    {"reason_hash": h("objection")})  # fmt: skip
    objection_id = response.headers["Ledger-Resource-Id"]
    assert w.events(response, "ObjectionLodged")[0]["objectionId"] == objection_id
    w.advance(10 * 86_400 + 1)
    blocked = w.call("POST", f"/v1/assets/{asset_id}/certificate", "registrar")
    assert blocked.status_code == 409 and blocked.json()["code"] == "ObjectionsOpen"
    assert w.call("POST", f"/v1/objections/{objection_id}/resolution", "merchant",
                  {"upheld": False, "resolution_hash": h("r")}).status_code == 403  # fmt: skip
    w.ok("POST", f"/v1/objections/{objection_id}/resolution", "registrar",
         {"upheld": False, "resolution_hash": h("dismissed")})  # fmt: skip
    w.ok("POST", f"/v1/assets/{asset_id}/disputes", "registrar", {"reason_hash": h("dispute")})
    assert w.asset(asset_id)["disputed"] is True
    blocked = w.call("POST", f"/v1/assets/{asset_id}/certificate", "registrar")
    assert blocked.json()["code"] == "OwnershipDisputed"
    w.ok("POST", f"/v1/assets/{asset_id}/disputes/resolution", "registrar",
         {"resolution_hash": h("settled")})  # fmt: skip
    assert w.asset(asset_id)["disputed"] is False
    w.ok("POST", f"/v1/assets/{asset_id}/certificate", "registrar")
    assert w.status_of(asset_id) == "Certified"


def test_signed_document_verifies_and_a_tampered_one_does_not(w: RegistryWorld) -> None:
    _asset_id, cert_id = w.certified_asset()
    document = w.client.get(f"/v1/certificates/{cert_id}/document", headers=w.auth("holder"))
    assert document.status_code == 200, document.text
    doc = document.json()
    assert doc["message"]["certificateId"] == cert_id
    again = w.client.get(f"/v1/certificates/{cert_id}/document", headers=w.auth("auditor"))
    assert again.json() == doc  # signed once, served from the store
    verdict = w.client.post("/v1/verify", json={"document": doc}).json()
    assert verdict["valid"] is True, verdict
    tampered = {**doc, "message": {**doc["message"], "holderOrgId": w.orgs["merchant"]}}
    verdict = w.client.post("/v1/verify", json={"document": tampered}).json()
    assert verdict["valid"] is False
    assert any(r["code"] == "field_mismatch" and not r["ok"] for r in verdict["reasons"])
    by_xm = w.client.post(
        "/v1/verify", json={"document": doc, "by_org_id": w.orgs["xm_registrar"]}
    ).json()
    assert by_xm["valid"] is False  # Xiamen has not recognised this one
    pdf = w.client.get(f"/v1/certificates/{cert_id}/pdf", headers=w.auth("holder"))
    assert pdf.status_code == 200, pdf.text
    assert pdf.content.startswith(b"%PDF") and pdf.headers["content-type"] == "application/pdf"
    printed = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert cert_id in printed and "有效" in printed and "Active" in printed
    # revocation: the issuing registrar only
    refused = w.call("POST", f"/v1/certificates/{cert_id}/revocation", "xm_registrar",
                     {"reason_code": 2})  # fmt: skip
    assert refused.status_code == 403
    active = w.client.get(f"/v1/certificates/{cert_id}/status", headers=w.auth("holder")).json()
    assert active["revocation_reason_name"] is None and active["revocation_reason_text"] is None
    # only reasons from the catalogue; 1 (disposal) is the registry's own
    for outside in (0, 1, 7, 100):
        bad = w.call("POST", f"/v1/certificates/{cert_id}/revocation", "registrar",
                     {"reason_code": outside})  # fmt: skip
        assert bad.status_code == 422, outside
        assert bad.json()["errors"][0]["loc"][-1] == "reason_code"
    w.ok("POST", f"/v1/certificates/{cert_id}/revocation", "registrar", {"reason_code": 2})
    status = w.client.get(f"/v1/certificates/{cert_id}/status", headers=w.auth("holder")).json()
    assert status["status"] == "Revoked" and status["revocation_reason"] == 2
    assert status["revocation_reason_name"] == "REGISTRATION_ERROR"
    assert status["revocation_reason_text"] == "the registration was found to be wrong"
    verdict = w.client.post("/v1/verify", json={"document": doc}).json()
    assert verdict["valid"] is False and verdict["status"] == "Revoked"


def test_pdf_without_a_font_is_renderer_unavailable_not_a_chain_fault(
    w: RegistryWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    _asset_id, cert_id = w.certified_asset()
    monkeypatch.delenv("LEDGER_PDF_CJK_FONT", raising=False)
    monkeypatch.setattr(pdf, "CJK_FONT_CANDIDATES",
                        (("/nonexistent/cjk.ttf", 0, "the-cjk-font-package"),))  # fmt: skip
    pdf.fonts.cache_clear()
    try:
        refused = w.client.get(f"/v1/certificates/{cert_id}/pdf", headers=w.auth("holder"))
    finally:
        pdf.fonts.cache_clear()
    assert refused.status_code == 503, refused.text
    body = refused.json()
    assert body["code"] == "renderer-unavailable"
    assert "Chinese text" in body["detail"] and "the-cjk-font-package" in body["detail"]
    assert "retry-after" not in refused.headers
    # the chain and the signed document are unaffected
    document = w.client.get(f"/v1/certificates/{cert_id}/document", headers=w.auth("holder"))
    assert document.status_code == 200 and document.json()["message"]["certificateId"] == cert_id


def test_recognition_and_agreements(w: RegistryWorld) -> None:
    _, cert_id = w.certified_asset()
    xm = w.orgs["xm_registrar"]
    assert w.call("POST", f"/v1/certificates/{cert_id}/recognitions", "holder").status_code == 403
    own = w.call("POST", f"/v1/certificates/{cert_id}/recognitions", "registrar")
    assert own.status_code == 403 and own.json()["code"] == "SelfRecognition"
    w.ok("POST", f"/v1/certificates/{cert_id}/recognitions", "exchange")
    assert w.reg.functions.isRecognised(b(cert_id), b(w.orgs["exchange"])).call() is True
    w.ok("DELETE", f"/v1/certificates/{cert_id}/recognitions", "exchange")
    assert w.reg.functions.isRecognised(b(cert_id), b(w.orgs["exchange"])).call() is False
    # agreement: Xiamen proposes, Qingdao signs -> all Qingdao certificates recognised
    assert w.call("POST", "/v1/agreements", "holder",
                  {"partner_org_id": w.orgs["registrar"]}).status_code == 403  # fmt: skip
    response = w.ok("POST", "/v1/agreements", "xm_registrar",
                    {"partner_org_id": w.orgs["registrar"]})  # fmt: skip
    agreement_id = response.headers["Ledger-Resource-Id"]
    proposed = w.events(response, "AgreementChanged")[0]
    assert proposed["agreementId"] == agreement_id
    assert proposed["agreement"][3] == 1  # AgreementStatus.Proposed
    assert w.call("POST", f"/v1/agreements/{agreement_id}/signature",
                  "xm_registrar").status_code == 403  # fmt: skip
    w.ok("POST", f"/v1/agreements/{agreement_id}/signature", "registrar")
    assert w.reg.functions.isRecognised(b(cert_id), b(xm)).call() is True
    listed = w.client.get("/v1/agreements", headers=w.auth("xm_registrar")).json()
    assert [(a["agreement_id"], a["status"]) for a in listed] == [(agreement_id, "Active")]
    w.ok("DELETE", f"/v1/agreements/{agreement_id}", "registrar")
    assert w.reg.functions.isRecognised(b(cert_id), b(xm)).call() is False


def test_amendment_and_renewal(w: RegistryWorld) -> None:
    asset_id, cert_id = w.certified_asset()
    assert w.call("POST", f"/v1/certificates/{cert_id}/renewal", "holder").status_code == 403
    before = chain_certificate(w.runtime, cert_id)["validUntil"]
    w.ok("POST", f"/v1/certificates/{cert_id}/renewal", "registrar")
    assert chain_certificate(w.runtime, cert_id)["validUntil"] > before
    bad = w.call("POST", f"/v1/certificates/{cert_id}/amendment", "registrar",
                 {"kind": "initial", "metadata": {"x": 1}})  # fmt: skip
    assert bad.status_code == 422 and "kind" in bad.text
    response = w.ok(
        "POST",
        f"/v1/certificates/{cert_id}/amendment",
        "registrar",
        {"kind": "correction", "metadata": {"title": "corrected", "items": 14}},
    )
    new_id = response.headers["Ledger-Resource-Id"]
    assert w.events(response, "CertificateIssued")[0]["certificateId"] == new_id
    old = w.client.get(f"/v1/certificates/{cert_id}/status", headers=w.auth("holder")).json()
    assert old["status"] == "Superseded" and old["replaced_by"] == new_id
    new = w.client.get(f"/v1/certificates/{new_id}/status", headers=w.auth("holder")).json()
    assert new["status"] == "Active" and new["kind"] == "Correction"
    assert w.asset(asset_id)["currentCertificateId"] == new_id


def test_paid_use_refusals(w: RegistryWorld) -> None:
    asset_id, _ = w.certified_asset()
    body = {"operator_org_id": w.orgs["operator"], "scope": {"purpose": "x"}}
    assert w.call("POST", f"/v1/assets/{asset_id}/applications", "operator",
                  body).status_code == 403  # fmt: skip
    wrong = w.call("POST", f"/v1/assets/{asset_id}/applications", "holder",
                   {**body, "operator_org_id": w.orgs["merchant"]})  # fmt: skip
    assert wrong.status_code == 404 and wrong.json()["code"] == "UnknownOrg"
    response = w.ok("POST", f"/v1/assets/{asset_id}/applications", "holder", body)
    app_id = response.headers["Ledger-Resource-Id"]
    for role in ("operator", "finance", "xm_registrar"):
        refused = w.call("POST", f"/v1/applications/{app_id}/reviews", role, {"approve": True})
        assert refused.status_code == 403, role
    assert w.call("POST", f"/v1/applications/{app_id}/approval", "competent",
                  {"approve": True}).status_code == 403  # fmt: skip
    w.ok("POST", f"/v1/applications/{app_id}/reviews", "competent",
         {"approve": False, "reason_hash": h("scope too wide")})  # fmt: skip
    record = w.client.get(f"/v1/applications/{app_id}/onchain", headers=w.auth("holder")).json()
    assert record["status"] == "Rejected"


def test_credit_line_equity_and_pledge_refusals(w: RegistryWorld) -> None:
    asset_id, _ = w.certified_asset()
    assert w.call("POST", f"/v1/assets/{asset_id}/credit-lines", "holder",
                  {"amount_fen": 1, "agreement_hash": h("a")}).status_code == 403  # fmt: skip
    response = w.ok("POST", f"/v1/assets/{asset_id}/credit-lines", "bank",
                    {"amount_fen": 6_000_000_000, "agreement_hash": h("credit")})  # fmt: skip
    credit_id = response.headers["Ledger-Resource-Id"]
    recorded = w.events(response, "FinancingChanged")[0]
    assert recorded["financingId"] == credit_id
    assert recorded["financing"][4] == 6_000_000_000  # amountFen
    response = w.ok("POST", f"/v1/assets/{asset_id}/equity", "holder",
                    {"valuation_fen": 100_000_000, "investee_hash": h("newco")})  # fmt: skip
    equity_id = response.headers["Ledger-Resource-Id"]
    record = w.client.get(f"/v1/pledges/{equity_id}/onchain", headers=w.auth("holder")).json()
    assert record["status"] == "Recorded" and record["record"]["kindName"] == "EquityContribution"
    pledge = {"bank_org_id": w.orgs["bank"], "amount_fen": 7, "contract_hash": h("p")}
    assert w.call("POST", f"/v1/assets/{asset_id}/pledges", "merchant",
                  pledge).status_code == 403  # fmt: skip
    response = w.ok("POST", f"/v1/assets/{asset_id}/pledges", "holder", pledge)
    pledge_id = response.headers["Ledger-Resource-Id"]
    assert w.call("POST", f"/v1/pledges/{pledge_id}/confirmation", "holder").status_code == 403
    release = w.call("POST", f"/v1/pledges/{pledge_id}/release", "bank")
    assert release.status_code == 409 and release.json()["code"] == "IllegalFinancingTransition"
    assert w.call("POST", f"/v1/assets/{asset_id}/disposal/confirmation",
                  "holder").status_code == 403  # fmt: skip


def test_key_rotation_keeps_the_org_writing(w: RegistryWorld) -> None:
    old = w.runtime.accounts.get_org(w.orgs["merchant"]).signer_address
    _, w.keys["merchant_admin"] = w.runtime.accounts.create_user(
        w.orgs["merchant"], "merchant admin", "admin"
    )
    assert w.call("POST", f"/v1/orgs/{w.orgs['merchant']}/keys/rotation",
                  "merchant").status_code == 403  # fmt: skip
    # the registrar never changes another organisation's keys (finding 3)
    refused = w.call("POST", f"/v1/orgs/{w.orgs['merchant']}/keys/rotation", "registrar_admin")
    assert refused.status_code == 403
    response = w.ok("POST", f"/v1/orgs/{w.orgs['merchant']}/keys/rotation", "merchant_admin")
    assert w.events(response, "SigningKeyRemoved")[0]["account"].lower() == old.lower()
    new = response.headers["Ledger-New-Signer"]
    assert w.runtime.accounts.get_org(w.orgs["merchant"]).signer_address == new
    assert w.directory.functions.signingKey(old).call()[2] != 0  # validUntil set
    org_id, _kind, _city, active = w.directory.functions.accountOrg(new).call()
    assert "0x" + org_id.hex() == w.orgs["merchant"] and active
    asset_id = w.new_asset()
    w.in_notice(asset_id)
    w.ok("POST", f"/v1/assets/{asset_id}/objections", "merchant", {"reason_hash": h("after")})


def test_reads_need_a_key_and_verify_does_not(w: RegistryWorld) -> None:
    assert w.client.get(f"/v1/assets/{'0x' + '22' * 32}/onchain").status_code == 401
    missing = w.client.get(f"/v1/assets/{'0x' + '22' * 32}/onchain", headers=w.auth("auditor"))
    assert missing.status_code == 404
    bad = w.client.post("/v1/verify", json={"document": {"format": "nope"}})
    assert bad.status_code == 200 and bad.json()["valid"] is False
