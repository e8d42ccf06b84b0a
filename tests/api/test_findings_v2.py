"""Issue 12's findings 1-3 and 5 at the gateway: a deregistered or revoked asset is not
paid for (the named error, no payment, no token moved), re-issue after a revocation for
registration error restores use, a registrar never changes another organisation's keys,
and a compromised signing key shows in verification."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from eth_account import Account

from chain.bindings.enums import Usability
from tests.workflows.world import RegistryWorld, h, start_world

YUAN = 100


@pytest.fixture(scope="module")
def w(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryWorld]:
    world, client = start_world(tmp_path_factory.mktemp("findings"))
    for label in ("finance", "operator", "holder", "merchant"):
        _, world.keys[f"{label}_admin"] = world.runtime.accounts.create_user(
            world.orgs[label], f"{label} admin", "admin"
        )
    world.ok("PUT", "/v1/cities/370200/treasury-account", "finance",
             {"account": Account.create().address})  # fmt: skip
    world.ok("PUT", f"/v1/orgs/{world.orgs['operator']}/payout-account", "operator",
             {"account": Account.create().address})  # fmt: skip
    world.ok("POST", "/v1/dev/faucet", "admin",
             {"org_id": world.orgs["merchant"], "amount": 1_000_000 * YUAN})  # fmt: skip
    try:
        yield world
    finally:
        client.__exit__(None, None, None)


def _payable(w: RegistryWorld) -> tuple[str, str]:
    asset_id, cert_id, _ = w.approved_asset()
    w.ok("POST", f"/v1/assets/{asset_id}/schedules", "finance",
         {"lower_bounds": [0], "operator_bps": [3000]})  # fmt: skip
    return asset_id, cert_id


def _pay(w: RegistryWorld, asset_id: str, ref: str) -> object:
    return w.call("POST", f"/v1/assets/{asset_id}/payments", "merchant",
                  {"amount": 500 * YUAN, "reference": ref})  # fmt: skip


def _balance(w: RegistryWorld) -> int:
    body = w.client.get(f"/v1/orgs/{w.orgs['merchant']}/balance", headers=w.auth("merchant"))
    return int(body.json()["balance"])


def _payments(w: RegistryWorld, asset_id: str) -> list[object]:
    body = w.client.get(f"/v1/assets/{asset_id}/payments", headers=w.auth("auditor")).json()
    return list(body["payments"])


def _refused_as(response: object, part: Usability) -> None:
    body = response.json()  # type: ignore[attr-defined]
    assert response.status_code == 409, body  # type: ignore[attr-defined]
    assert body["code"] == "AssetNotUsable"
    assert body["contract_error"]["args"]["part"] == int(part)


def test_finding_1_a_deregistered_asset_is_not_paid_for(w: RegistryWorld) -> None:
    asset_id, cert_id = _payable(w)
    paid = _pay(w, asset_id, "before-deregistration")
    assert paid.status_code in (200, 202), paid.text
    assert len(_payments(w, asset_id)) == 1 or w.runtime.txpipe.wait(
        paid.json()["id"], 30).state == "mined"  # fmt: skip
    response = w.ok("POST", f"/v1/certificates/{cert_id}/amendment", "registrar",
                    {"kind": "deregistration", "metadata": {"reason": "service withdrawn"}})
    assert w.status_of(asset_id) == "Deregistered"
    before, count = _balance(w), len(_payments(w, asset_id))
    refused = _pay(w, asset_id, "after-deregistration")
    _refused_as(refused, Usability.Deregistered)
    assert "the asset was deregistered" in refused.json()["detail"]
    offchain = w.call("POST", f"/v1/assets/{asset_id}/payments", "operator",
                      {"amount": 500 * YUAN, "offchain": True, "bank_ref": "dereg-bank"})
    _refused_as(offchain, Usability.Deregistered)
    assert _balance(w) == before and len(_payments(w, asset_id)) == count == 1
    # nor is it pledged or lent against
    pledge = w.call("POST", f"/v1/assets/{asset_id}/pledges", "holder",
                    {"bank_org_id": w.orgs["bank"], "amount_fen": 7, "contract_hash": h("p")})
    credit = w.call("POST", f"/v1/assets/{asset_id}/credit-lines", "bank",
                    {"amount_fen": 7, "agreement_hash": h("c")})  # fmt: skip
    for answer in (pledge, credit):
        _refused_as(answer, Usability.Deregistered)
    new_id = response.headers["Ledger-Resource-Id"]
    status = w.client.get(f"/v1/certificates/{new_id}/status", headers=w.auth("auditor")).json()
    assert status["kind"] == "Deregistration" and status["usability"] == "Deregistered"


def test_finding_2_a_revoked_asset_is_not_paid_for_until_reissued(w: RegistryWorld) -> None:
    asset_id, cert_id = _payable(w)
    w.ok("POST", f"/v1/certificates/{cert_id}/revocation", "registrar", {"reason_code": 2})
    before = _balance(w)
    refused = _pay(w, asset_id, "after-revocation")
    _refused_as(refused, Usability.CertificateRevoked)
    assert "current certificate was revoked" in refused.json()["detail"]
    assert _balance(w) == before and _payments(w, asset_id) == []
    onchain = w.client.get(f"/v1/assets/{asset_id}/onchain", headers=w.auth("auditor")).json()
    assert onchain["payment_context"]["usable"] is False
    assert onchain["payment_context"]["usability"] == "CertificateRevoked"
    # re-issue (reason 2): a new certificate supersedes the revoked one, use resumes
    assert w.call("POST", f"/v1/certificates/{cert_id}/reissue", "holder").status_code == 403
    response = w.ok("POST", f"/v1/certificates/{cert_id}/reissue", "registrar")
    new_id = response.headers["Ledger-Resource-Id"]
    assert w.events(response, "CertificateIssued")[0]["certificateId"] == new_id
    assert w.asset(asset_id)["currentCertificateId"] == new_id
    old = w.client.get(f"/v1/certificates/{cert_id}/status", headers=w.auth("auditor")).json()
    assert old["replaced_by"] == new_id
    again = w.call("POST", f"/v1/certificates/{cert_id}/reissue", "registrar")
    assert again.status_code == 409 and again.json()["code"] == "NotReissuable"
    paid = w.call("POST", f"/v1/assets/{asset_id}/payments", "merchant",
                  {"amount": 500 * YUAN, "reference": "after-reissue"})  # fmt: skip
    assert paid.status_code in (200, 202), paid.text
    assert w.runtime.txpipe.wait(paid.json()["id"], 30).state == "mined"
    assert _balance(w) == before - 500 * YUAN


def test_revocation_for_another_reason_is_not_reissued(w: RegistryWorld) -> None:
    asset_id, cert_id = w.certified_asset()
    w.ok("POST", f"/v1/certificates/{cert_id}/revocation", "registrar", {"reason_code": 3})
    refused = w.call("POST", f"/v1/certificates/{cert_id}/reissue", "registrar")
    assert refused.status_code == 409 and refused.json()["code"] == "NotReissuable"
    assert refused.json()["contract_error"]["args"]["revocationReason"] == 3
    assert w.status_of(asset_id) == "Registered"


def test_finding_3_a_registrar_never_changes_another_organisations_keys(
    w: RegistryWorld,
) -> None:
    holder = w.orgs["holder"]
    holder_key = w.runtime.accounts.get_org(holder).signer_address
    # the gateway refuses first
    rotation = w.call("POST", f"/v1/orgs/{holder}/keys/rotation", "registrar_admin")
    assert rotation.status_code == 403 and "itself" in rotation.json()["detail"]
    compromise = w.call("POST", f"/v1/keys/{holder_key}/compromise", "registrar_admin", {})
    assert compromise.status_code == 403 and compromise.json()["code"] == "not-authorised"
    # and the directory refuses the registrar's own key acting on the holder's keys
    from chain.errors import ContractRevert

    registrar = w.orgs["registrar"]
    for function, args in (("removeSigningKey", [holder_key]),
                           ("markKeyCompromised", [holder_key, 1])):  # fmt: skip
        with pytest.raises(ContractRevert) as refused:
            w.runtime.submit(registrar, "OrgDirectory", function, args, caller="finding-3")
        assert refused.value.name == "NotOrgKey" and refused.value.http_status == 403
    # a key the registrar proposes joins the registrar only: it cannot accept the holder
    stranger = Account.create()
    w.runtime.handle.fund(stranger.address)
    op = w.runtime.submit(registrar, "OrgDirectory", "proposeSigningKey",
                          [stranger.address, 0], caller="finding-3")  # fmt: skip
    assert w.runtime.txpipe.wait(op.id, 30).state == "mined"
    with pytest.raises(ContractRevert) as refused:
        w.runtime.submit(holder, "OrgDirectory", "acceptSigningKey",
                         [bytes.fromhex(holder[2:])], caller="finding-3", signer=stranger)
    assert refused.value.name == "NoPendingKey"
    keys = w.directory.functions.orgKeys(bytes.fromhex(holder[2:])).call()
    assert [k.lower() for k in keys] == [holder_key.lower()]


def test_finding_5_a_compromised_key_shows_in_verification(w: RegistryWorld) -> None:
    asset_id, cert_id = w.certified_asset()
    document = w.client.get(f"/v1/certificates/{cert_id}/document",
                            headers=w.auth("holder")).json()  # fmt: skip
    assert w.client.post("/v1/verify", json={"document": document}).json()["valid"] is True
    old_key = w.runtime.accounts.get_org(w.orgs["registrar"]).signer_address
    issued = w.client.get(f"/v1/certificates/{cert_id}/status",
                          headers=w.auth("auditor")).json()["issued_at"]  # fmt: skip
    # the registrar rotates (its own admin), then marks the old key compromised from before
    # the certificate was issued (signed by the old key itself, dating it back)
    w.ok("POST", f"/v1/orgs/{w.orgs['registrar']}/keys/rotation", "registrar_admin")
    marked = w.ok("POST", f"/v1/keys/{old_key}/compromise", "registrar_admin",
                  {"since": issued - 1})  # fmt: skip
    event = w.events(marked, "SigningKeyCompromised")[0]
    assert event["account"].lower() == old_key.lower()
    verdict = w.client.post("/v1/verify", json={"document": document}).json()
    assert verdict["valid"] is False
    assert verdict["key_compromised_at"] == issued - 1
    failed = {r["code"] for r in verdict["reasons"] if not r["ok"]}
    assert "signer_registrar" in failed
    # revocation for key compromise (6), then re-issue signed by the new key verifies
    w.ok("POST", f"/v1/certificates/{cert_id}/revocation", "registrar", {"reason_code": 6})
    response = w.ok("POST", f"/v1/certificates/{cert_id}/reissue", "registrar")
    new_id = response.headers["Ledger-Resource-Id"]
    fresh = w.client.get(f"/v1/certificates/{new_id}/document",
                         headers=w.auth("holder")).json()  # fmt: skip
    good = w.client.post("/v1/verify", json={"document": fresh}).json()
    assert good["valid"] is True and good["supersedes"] == cert_id
    assert w.status_of(asset_id) == "Certified"
