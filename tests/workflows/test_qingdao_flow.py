"""The Qingdao flow end to end over HTTP, asserting chain state at every step."""

from __future__ import annotations

from chain.bindings.enums import Usability
from tests.workflows.world import NOTICE, QINGDAO, XIAMEN, RegistryWorld, h


def test_qingdao_flow_end_to_end(registry_world: RegistryWorld) -> None:
    w = registry_world
    reg, directory, uaf = w.reg, w.directory, w.uaf

    # admission: registrars by the consortium admin, the rest by the Qingdao registrar
    assert directory.functions.registrarOf(QINGDAO).call() == bytes.fromhex(
        w.orgs["registrar"][2:]
    )
    assert directory.functions.registrarOf(XIAMEN).call() == bytes.fromhex(
        w.orgs["xm_registrar"][2:]
    )
    for label in ("holder", "competent", "data_admin", "finance", "operator", "merchant", "bank"):
        _kind, city, active, index, keys = directory.functions.org(
            bytes.fromhex(w.orgs[label][2:])
        ).call()
        assert (city, active, keys) == (QINGDAO, True, 1) and index > 0

    # the holder registers the resource set
    response = w.ok("POST", "/v1/assets", "holder", {
        "catalogue_code": "370200-JT-2025-0001",
        "domain_code": 7,
        "metadata": {"title": "city transport analysis data resource set",
                     "categories": 3, "items": 13},
    })  # fmt: skip
    asset_id = response.headers["Ledger-Resource-Id"]
    assert w.events(response, "ResourceRegistered")[0]["assetId"] == asset_id
    assert w.status_of(asset_id) == "Registered"

    # valuation + compliance open the public notice
    w.in_notice(asset_id)
    onchain = w.client.get(f"/v1/assets/{asset_id}/onchain", headers=w.auth("auditor")).json()
    assert onchain["status"] == "InNotice" and onchain["compliance"] == "Passed"
    assert onchain["record"]["valued"] is True
    valued = w.reg.events.AssetValued().get_logs(
        from_block=0, argument_filters={"assetId": bytes.fromhex(asset_id[2:])}
    )
    assert [e["args"]["valuation"]["valueFen"] for e in valued] == [1_250_000_00]

    # issuing inside the notice window is refused by the contract
    early = w.call("POST", f"/v1/assets/{asset_id}/certificate", "registrar")
    assert early.status_code == 409 and early.json()["code"] == "NoticeWindowOpen"

    w.advance(NOTICE + 1)
    response = w.ok("POST", f"/v1/assets/{asset_id}/certificate", "registrar")
    cert_id = response.headers["Ledger-Resource-Id"]
    assert w.events(response, "CertificateIssued")[0]["certificateId"] == cert_id
    status = w.client.get(f"/v1/certificates/{cert_id}/status", headers=w.auth("holder")).json()
    assert status["status"] == "Active" and status["kind"] == "Initial"
    assert w.status_of(asset_id) == "Certified"

    # Xiamen recognises it
    xm = bytes.fromhex(w.orgs["xm_registrar"][2:])
    assert reg.functions.isRecognised(bytes.fromhex(cert_id[2:]), xm).call() is False
    w.ok("POST", f"/v1/certificates/{cert_id}/recognitions", "xm_registrar")
    assert reg.functions.isRecognised(bytes.fromhex(cert_id[2:]), xm).call() is True
    status = w.client.get(f"/v1/certificates/{cert_id}/status",
                          headers=w.auth("xm_registrar")).json()  # fmt: skip
    assert status["recognised"] is True and status["by_org_id"] == w.orgs["xm_registrar"]

    # paid use: apply naming the operator, two reviews, finance approves
    response = w.ok("POST", f"/v1/assets/{asset_id}/applications", "holder", {
        "operator_org_id": w.orgs["operator"],
        "scope": {"purpose": "traffic forecasting products", "term_months": 24},
    })  # fmt: skip
    app_id = response.headers["Ledger-Resource-Id"]
    assert w.events(response, "ApplicationChanged")[0]["applicationId"] == app_id
    early = w.call("POST", f"/v1/applications/{app_id}/approval", "finance", {"approve": True})
    assert early.status_code == 409 and early.json()["code"] == "ReviewsIncomplete"
    w.ok("POST", f"/v1/applications/{app_id}/reviews", "competent", {"approve": True})
    w.ok("POST", f"/v1/applications/{app_id}/reviews", "data_admin", {"approve": True})
    w.ok("POST", f"/v1/applications/{app_id}/approval", "finance", {"approve": True})
    usability, city, operator = uaf.functions.paymentContext(bytes.fromhex(asset_id[2:])).call()
    assert (usability, city) == (Usability.Usable, QINGDAO)
    assert "0x" + operator.hex() == w.orgs["operator"]
    app = w.client.get(f"/v1/applications/{app_id}/onchain", headers=w.auth("auditor")).json()
    assert app["status"] == "Approved"

    # pledge: holder requests, bank confirms; no disposal while pledged; release
    response = w.ok("POST", f"/v1/assets/{asset_id}/pledges", "holder", {
        "bank_org_id": w.orgs["bank"], "amount_fen": 2_000_000_00,
        "contract_hash": h("pledge contract"),
    })  # fmt: skip
    pledge_id = response.headers["Ledger-Resource-Id"]
    assert w.events(response, "FinancingChanged")[0]["financingId"] == pledge_id
    w.ok("POST", f"/v1/pledges/{pledge_id}/confirmation", "bank")
    assert "0x" + uaf.functions.pledgeOf(bytes.fromhex(asset_id[2:])).call().hex() == pledge_id
    status = w.client.get(f"/v1/certificates/{cert_id}/status", headers=w.auth("bank")).json()
    assert status["pledged"] is True
    refused = w.call("POST", f"/v1/assets/{asset_id}/disposal", "holder",
                     {"reason_hash": h("disposal")})  # fmt: skip
    assert refused.status_code == 409 and refused.json()["code"] == "AssetPledged"
    w.ok("POST", f"/v1/pledges/{pledge_id}/release", "bank")
    record = w.client.get(f"/v1/pledges/{pledge_id}/onchain", headers=w.auth("bank")).json()
    assert record["status"] == "Released"

    # disposal: holder requests, registrar confirms; certificate revoked, record kept
    w.ok("POST", f"/v1/assets/{asset_id}/disposal", "holder", {"reason_hash": h("disposal")})
    response = w.ok("POST", f"/v1/assets/{asset_id}/disposal/confirmation", "registrar")
    events = [(e["event"], e["args"].get("action")) for e in response.json()["events"]]
    assert events == [("CertificateChanged", 2), ("AssetChanged", 7)]  # Revoked, Disposed
    onchain = w.client.get(f"/v1/assets/{asset_id}/onchain", headers=w.auth("auditor")).json()
    assert onchain["status"] == "Disposed"
    assert onchain["current_certificate_status"] == "Revoked"
    assert onchain["payment_context"]["disposed"] is True
    assert onchain["payment_context"]["paid_use_approved"] is False
    assert reg.functions.isRecognised(bytes.fromhex(cert_id[2:]), xm).call() is False
