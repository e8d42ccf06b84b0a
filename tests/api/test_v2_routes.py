"""The v2 routes over HTTP: the holder cancels its pending application and pledge request,
treasury and payout account changes wait for the delay (GET shows pending and effective),
and governance refuses a second approval and a non-registrar."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from eth_account import Account

from tests.workflows.world import QINGDAO, RegistryWorld, h, start_world


@pytest.fixture(scope="module")
def w(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryWorld]:
    world, client = start_world(tmp_path_factory.mktemp("v2-routes"))
    try:
        yield world
    finally:
        client.__exit__(None, None, None)


def _onchain(w: RegistryWorld, path: str) -> dict[str, object]:
    response = w.client.get(path, headers=w.auth("auditor"))
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_holder_cancels_its_pending_application_and_pledge_request(w: RegistryWorld) -> None:
    asset_id, _ = w.certified_asset()
    applied = w.ok("POST", f"/v1/assets/{asset_id}/applications", "holder",
                   {"operator_org_id": w.orgs["operator"], "scope": {"purpose": "x"}})
    app_id = applied.headers["Ledger-Resource-Id"]
    for role in ("operator", "finance", "registrar"):
        refused = w.call("POST", f"/v1/applications/{app_id}/cancellation", role)
        assert refused.status_code == 403, (role, refused.text)
    cancelled = w.ok("POST", f"/v1/applications/{app_id}/cancellation", "holder")
    assert cancelled.json()["contract"]["name"] == "UseAndFinance"
    assert w.events(cancelled, "ApplicationChanged")[0]["applicationId"] == app_id
    assert _onchain(w, f"/v1/applications/{app_id}/onchain")["status"] == "Cancelled"
    again = w.call("POST", f"/v1/applications/{app_id}/cancellation", "holder")
    assert again.status_code == 409 and again.json()["code"] == "IllegalApplicationTransition"
    review = w.call("POST", f"/v1/applications/{app_id}/reviews", "competent", {"approve": True})
    assert review.status_code == 409

    requested = w.ok("POST", f"/v1/assets/{asset_id}/pledges", "holder",
                     {"bank_org_id": w.orgs["bank"], "amount_fen": 9, "contract_hash": h("p")})
    pledge_id = requested.headers["Ledger-Resource-Id"]
    assert w.call("POST", f"/v1/pledges/{pledge_id}/cancellation", "bank").status_code == 403
    w.ok("POST", f"/v1/pledges/{pledge_id}/cancellation", "holder")
    assert _onchain(w, f"/v1/pledges/{pledge_id}/onchain")["status"] == "Cancelled"
    confirm = w.call("POST", f"/v1/pledges/{pledge_id}/confirmation", "bank")
    assert confirm.status_code == 409 and confirm.json()["code"] == "IllegalFinancingTransition"


def test_treasury_change_takes_effect_after_the_delay(w: RegistryWorld) -> None:
    path = f"/v1/cities/{QINGDAO}/treasury-account"
    first, second = Account.create().address, Account.create().address
    assert _onchain(w, path) == {"effective": None, "pending": None, "effective_at": None}
    w.ok("PUT", path, "finance", {"account": first})  # the first one at once
    assert _onchain(w, path) == {"effective": first, "pending": None, "effective_at": None}
    proposed = w.ok("PUT", path, "finance", {"account": second})
    event = w.events(proposed, "TreasuryAccountProposed")[0]
    shown = _onchain(w, path)
    assert shown["effective"] == first and shown["pending"] == second
    assert shown["effective_at"] == event["effectiveAt"]
    assert w.call("POST", f"{path}/activation", "operator").status_code == 403
    w.advance(w.runtime.deployment.account_change_delay + 1)
    w.ok("POST", f"{path}/activation", "finance")
    assert _onchain(w, path) == {"effective": second, "pending": None, "effective_at": None}
    split = w.runtime.contract("RevenueSplitV2").address
    invalid = w.call("PUT", path, "finance", {"account": split})
    assert invalid.status_code == 422 and invalid.json()["code"] == "InvalidAccount"


def test_payout_change_is_pending_until_activated(w: RegistryWorld) -> None:
    operator = w.orgs["operator"]
    path = f"/v1/orgs/{operator}/payout-account"
    first, second = Account.create().address, Account.create().address
    w.ok("PUT", path, "operator", {"account": first})
    w.ok("PUT", path, "operator", {"account": second})
    early = w.call("POST", f"{path}/activation", "operator")
    if early.status_code != 200:  # the delay has not passed on this chain's clock
        assert early.status_code == 409 and early.json()["code"] == "AccountChangeNotDue"
        assert _onchain(w, path)["effective"] == first
        w.advance(w.runtime.deployment.account_change_delay + 1)
        w.ok("POST", f"{path}/activation", "operator")
    assert _onchain(w, path)["effective"] == second
    refused = w.call("PUT", path, "merchant", {"account": first})
    assert refused.status_code == 403


def test_governance_needs_a_registrar_and_the_handover(w: RegistryWorld) -> None:
    body = {"kind": "set_threshold", "threshold": 2}
    assert w.call("POST", "/v1/governance/proposals", "holder", body).status_code == 403
    early = w.call("POST", "/v1/governance/proposals", "registrar_admin", body)
    assert early.status_code == 409 and early.json()["code"] == "GovernanceNotLive"
    missing = w.call("POST", "/v1/governance/proposals", "registrar_admin",
                     {"kind": "admit_registrar", "name": "Nanjing"})  # fmt: skip
    assert missing.status_code == 422 and "city_code" in missing.text
    assert w.call("GET", "/v1/governance/proposals", "holder").status_code == 403
    assert w.call("GET", "/v1/governance", "auditor").json()["handed_over"] is False
