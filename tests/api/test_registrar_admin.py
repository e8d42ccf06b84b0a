"""A registrar's terms and the (de)activation of organisations over HTTP: the directory
holds what was set (termsOf, org(...).active, the events), the terms apply to new
notices, and other registrars, other kinds, roles and bad input are refused with nothing
sent to the chain. Registrars are suspended by k of n registrars (governance)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chain.service.common import struct
from tests.workflows.world import DAY, RegistryWorld, h, start_world

DEFAULT_TERMS = {
    "notice_window_seconds": 10 * DAY,
    "certificate_term_seconds": 3 * 365 * DAY,
    "effective_notice_window_seconds": 10 * DAY,
    "effective_certificate_term_seconds": 3 * 365 * DAY,
}


@pytest.fixture(scope="module")
def w(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryWorld]:
    world, client = start_world(tmp_path_factory.mktemp("registrar-admin"))
    world.keys["xm_admin"] = world.admins["xm_registrar"]
    _, world.keys["holder_admin"] = world.runtime.accounts.create_user(
        world.orgs["holder"], "holder admin", "admin"
    )
    try:
        yield world
    finally:
        client.__exit__(None, None, None)


def _b(value: str) -> bytes:
    return bytes.fromhex(value[2:])


DEFAULT = {"noticeWindow": 10 * DAY, "certificateTerm": 3 * 365 * DAY}


def _terms(w: RegistryWorld, label: str) -> dict[str, Any]:
    """The effective terms the directory keeps (defaults and bounds applied)."""
    notice, term = w.directory.functions.termsOf(_b(w.orgs[label])).call()
    return {"noticeWindow": notice, "certificateTerm": term}


def _active(w: RegistryWorld, label: str) -> bool:
    return bool(struct(w.runtime, "org", _b(w.orgs[label]), contract="OrgDirectory")["active"])


def test_terms_read_defaults_and_only_registrars_have_terms(w: RegistryWorld) -> None:
    response = w.call("GET", f"/v1/orgs/{w.orgs['registrar']}/terms", "holder")
    assert response.status_code == 200, response.text
    assert response.json() == {"org_id": w.orgs["registrar"], **DEFAULT_TERMS}
    holder = w.call("GET", f"/v1/orgs/{w.orgs['holder']}/terms", "holder")
    assert holder.status_code == 404 and "not a registrar" in holder.json()["detail"]


def test_registrar_admin_sets_terms_on_chain_and_new_notices_follow(w: RegistryWorld) -> None:
    path = f"/v1/orgs/{w.orgs['registrar']}/terms"
    body = {"notice_window_seconds": 5 * DAY, "certificate_term_seconds": 365 * DAY}
    response = w.ok("PUT", path, "registrar_admin", body)
    op = response.json()
    assert op["function"] == "setRegistrarTerms" and op["args"] == [5 * DAY, 365 * DAY]
    event = w.events(response, "RegistrarTermsSet")[0]
    assert event["registrarOrgId"] == w.orgs["registrar"]
    assert (event["noticeWindow"], event["certificateTerm"]) == (5 * DAY, 365 * DAY)
    assert _terms(w, "registrar") == {"noticeWindow": 5 * DAY, "certificateTerm": 365 * DAY}
    assert w.call("GET", path, "auditor").json() == {
        "org_id": w.orgs["registrar"], "notice_window_seconds": 5 * DAY,
        "certificate_term_seconds": 365 * DAY, "effective_notice_window_seconds": 5 * DAY,
        "effective_certificate_term_seconds": 365 * DAY,
    }  # fmt: skip
    asset_id = w.new_asset()
    w.ok("POST", f"/v1/assets/{asset_id}/valuation", "registrar",
         {"value_fen": 100, "method_code": 1, "report_hash": h("v")})  # fmt: skip
    review = w.ok("POST", f"/v1/assets/{asset_id}/compliance", "registrar",
                  {"passed": True, "report_hash": h("c")})  # fmt: skip
    mined_at = int(w.runtime.w3.eth.get_block(review.json()["block_number"])["timestamp"])
    assert w.asset(asset_id)["noticeEndsAt"] == mined_at + 5 * DAY
    reset = w.ok("PUT", path, "registrar_admin",
                 {"notice_window_seconds": 0, "certificate_term_seconds": 0})  # fmt: skip
    reset_event = w.events(reset, "RegistrarTermsSet")[0]
    assert (reset_event["noticeWindow"], reset_event["certificateTerm"]) == (10 * DAY,
                                                                             3 * 365 * DAY)
    assert w.call("GET", path, "holder").json() == {"org_id": w.orgs["registrar"],
                                                    **DEFAULT_TERMS}  # fmt: skip


def test_terms_refused_to_others_with_nothing_on_chain(w: RegistryWorld) -> None:
    path = f"/v1/orgs/{w.orgs['registrar']}/terms"
    body = {"notice_window_seconds": DAY, "certificate_term_seconds": DAY}
    cases = [
        ("xm_admin", "that registrar itself"),  # another city's registrar
        ("holder_admin", "registrar"),  # not a registrar
        ("admin", "registrar"),  # the consortium admin
        ("registrar", "role admin"),  # the registrar's writer
    ]
    for role, words in cases:
        response = w.call("PUT", path, role, body)
        assert response.status_code == 403, (role, response.text)
        assert response.json()["code"] == "not-authorised" and words in response.json()["detail"]
    assert _terms(w, "registrar") == DEFAULT


@pytest.mark.parametrize(
    "body",
    [
        {"notice_window_seconds": "86400", "certificate_term_seconds": 86400},
        {"notice_window_seconds": 86400.0, "certificate_term_seconds": 86400},
        {"notice_window_seconds": True, "certificate_term_seconds": 86400},
        {"notice_window_seconds": -1, "certificate_term_seconds": 86400},
        {"notice_window_seconds": 365 * DAY + 1, "certificate_term_seconds": 86400},
        {"notice_window_seconds": 86400, "certificate_term_seconds": 20 * 365 * DAY + 1},
        {"notice_window_seconds": 10 * DAY * 1000, "certificate_term_seconds": 86400},
        {"notice_window_seconds": 86400},
        {"notice_window_seconds": 86400, "certificate_term_seconds": 86400, "extra": 1},
    ],
)
def test_terms_bad_input_is_422_and_reaches_no_chain(
    w: RegistryWorld, body: dict[str, Any]
) -> None:
    response = w.call("PUT", f"/v1/orgs/{w.orgs['registrar']}/terms", "registrar_admin", body)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation-failed"
    assert _terms(w, "registrar") == DEFAULT


def test_city_registrar_deactivates_and_reactivates_an_org(w: RegistryWorld) -> None:
    path = f"/v1/orgs/{w.orgs['merchant']}/activation"
    response = w.ok("POST", path, "registrar_admin", {"active": False})
    event = w.events(response, "OrgActivationChanged")[0]
    assert event["orgId"] == w.orgs["merchant"] and event["actorOrgId"] == w.orgs["registrar"]
    assert event["org"][2] is False  # (kind, city, active, index, keyCount)
    assert _active(w, "merchant") is False
    shown = w.call("GET", f"/v1/orgs/{w.orgs['merchant']}", "registrar_admin").json()
    assert shown["chain"]["active"] is False
    asset_id = w.new_asset()
    w.in_notice(asset_id)
    refused = w.call("POST", f"/v1/assets/{asset_id}/objections", "merchant",
                     {"reason_hash": h("objection")})  # fmt: skip
    # a suspended organisation has no live key: the ledger sees no organisation of any kind
    assert refused.status_code == 403 and refused.json()["code"] == "NotOrgOfKind"
    again = w.ok("POST", path, "registrar_admin", {"active": True})
    assert w.events(again, "OrgActivationChanged")[0]["org"][2] is True
    assert _active(w, "merchant") is True
    w.ok("POST", f"/v1/assets/{asset_id}/objections", "merchant", {"reason_hash": h("objection")})


def test_activation_refused_outside_city_kind_and_role(w: RegistryWorld) -> None:
    path = f"/v1/orgs/{w.orgs['bank']}/activation"
    cases = [
        ("xm_admin", "city 370200"),  # another city's registrar
        ("registrar", "admin of its city's registrar"),  # the registrar's writer
        ("holder_admin", "admin of its city's registrar"),  # not a registrar
        ("admin", "admin of its city's registrar"),  # the consortium admin: registrars only
    ]
    for role, words in cases:
        response = w.call("POST", path, role, {"active": False})
        assert response.status_code == 403, (role, response.text)
        assert response.json()["code"] == "not-authorised" and words in response.json()["detail"]
    assert _active(w, "bank") is True
    for body in ({"active": "false"}, {"active": 0}, {}, {"active": False, "org": 1}):
        bad = w.call("POST", path, "registrar_admin", body)
        assert bad.status_code == 422, (body, bad.text)
    assert _active(w, "bank") is True
    unknown = w.call("POST", f"/v1/orgs/{'0x' + '42' * 32}/activation", "registrar_admin",
                     {"active": False})  # fmt: skip
    assert unknown.status_code == 404 and "no organisation" in unknown.json()["detail"]


def test_registrars_suspend_a_registrar_by_k_of_n_which_then_cannot_act(
    w: RegistryWorld,
) -> None:
    path = f"/v1/orgs/{w.orgs['xm_registrar']}/activation"
    for role in ("registrar_admin", "admin"):  # neither a registrar nor the consortium alone
        refused = w.call("POST", path, role, {"active": False})
        assert refused.status_code == 403 and "governance" in refused.json()["detail"]
    assert _active(w, "xm_registrar") is True
    # a third registrar, then the deploying account hands governance over (k = 2)
    w.admit("wh_registrar", "registrar", "Wuhan Data Asset Registration Centre", "admin", 420100)
    w.keys["wh_admin"] = w.admins["wh_registrar"]
    w.ok("POST", "/v1/governance/handover", "admin", {"threshold": 2})
    w.ok("POST", "/v1/governance/handover/acceptance", "registrar_admin")
    state = w.call("GET", "/v1/governance", "auditor").json()
    assert state["handed_over"] is True and state["threshold"] == 2
    assert state["active_registrars"] == 3
    late = w.call("POST", "/v1/orgs", "admin", {"name": "Late registrar", "kind": "registrar",
                                                "city_code": 110100})  # fmt: skip
    assert late.status_code == 403 and late.json()["code"] == "NotBootstrapper"
    body = {"kind": "set_registrar_active", "registrar_org_id": w.orgs["xm_registrar"],
            "active": False}  # fmt: skip
    proposed = w.ok("POST", "/v1/governance/proposals", "registrar_admin", body)
    proposal_id = proposed.headers["Ledger-Resource-Id"]
    assert w.events(proposed, "ProposalCreated")[0]["proposalId"] == proposal_id
    assert _active(w, "xm_registrar") is True  # one approval of two
    listed = w.call("GET", "/v1/governance/proposals", "wh_admin").json()
    assert [(p["proposal_id"], p["status"], p["approvals"]) for p in listed] == [
        (proposal_id, "Open", 1)
    ]
    assert listed[0]["params"] == {"registrar_org_id": w.orgs["xm_registrar"], "active": False}
    again = w.call("POST", f"/v1/governance/proposals/{proposal_id}/approvals",
                   "registrar_admin")  # fmt: skip
    assert again.status_code == 409 and again.json()["code"] == "AlreadyApproved"
    approved = w.ok("POST", f"/v1/governance/proposals/{proposal_id}/approvals", "wh_admin")
    assert w.events(approved, "ProposalExecuted")[0]["proposalId"] == proposal_id
    assert _active(w, "xm_registrar") is False
    terms = w.call("PUT", f"/v1/orgs/{w.orgs['xm_registrar']}/terms", "xm_admin",
                   {"notice_window_seconds": DAY, "certificate_term_seconds": 365 * DAY})
    assert terms.status_code == 403 and terms.json()["code"] == "NotOrgOfKind"
    assert _terms(w, "xm_registrar") == DEFAULT
    reinstate = w.ok("POST", "/v1/governance/proposals", "wh_admin",
                     {**body, "active": True})  # fmt: skip
    w.ok("POST", f"/v1/governance/proposals/{reinstate.headers['Ledger-Resource-Id']}"
         "/approvals", "registrar_admin")  # fmt: skip
    assert _active(w, "xm_registrar") is True
