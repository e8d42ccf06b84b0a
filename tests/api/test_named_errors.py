"""Errors name what is missing, and verdicts fill in what they checked."""

from __future__ import annotations

from tests.workflows.world import RegistryWorld


def test_confirming_a_disposal_nobody_requested_says_so(w: RegistryWorld) -> None:
    asset_id, cert_id = w.certified_asset()
    block = w.runtime.w3.eth.block_number
    response = w.call("POST", f"/v1/assets/{asset_id}/disposal/confirmation", "registrar")
    assert response.status_code == 409, response.text
    problem = response.json()
    assert problem["code"] == "disposal-not-requested"
    assert f"no disposal requested for asset {asset_id}" in problem["detail"]
    assert w.runtime.w3.eth.block_number == block
    status = w.client.get(f"/v1/certificates/{cert_id}/status", headers=w.auth("holder"))
    assert status.json()["status"] == "Active"


def test_verify_for_an_organisation_fills_recognised_by(w: RegistryWorld) -> None:
    _asset_id, cert_id = w.certified_asset()
    doc = w.client.get(f"/v1/certificates/{cert_id}/document", headers=w.auth("holder")).json()
    xiamen = w.orgs["xm_registrar"]
    before = w.client.post("/v1/verify", json={"document": doc, "by_org_id": xiamen}).json()
    assert before["valid"] is False
    assert before["recognised_by"] == [] and xiamen in before["checked_recognisers"]
    w.ok("POST", f"/v1/certificates/{cert_id}/recognitions", "xm_registrar")
    after = w.client.post("/v1/verify", json={"document": doc, "by_org_id": xiamen}).json()
    assert after["valid"] is True, after
    assert after["recognised_by"].count(xiamen) == 1
    assert any(r["code"] == "recognised" and r["ok"] for r in after["reasons"])
