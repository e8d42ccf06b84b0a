"""A registrar's terms and the (de)activation of organisations over HTTP: the chain holds
what was set (registrarTerms, org(...).active, the events), the terms apply to new
notices, and other registrars, other kinds, roles and bad input are refused with nothing
sent to the chain."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chain.service.common import struct
from tests.workflows.world import DAY, RegistryWorld, h, start_world

DEFAULT_TERMS = {
    "notice_window_seconds": 0,
    "certificate_term_seconds": 0,
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


def _terms(w: RegistryWorld, label: str) -> dict[str, Any]:
    return struct(w.runtime, "registrarTerms", _b(w.orgs[label]))


def _active(w: RegistryWorld, label: str) -> bool:
    return bool(struct(w.runtime, "org", _b(w.orgs[label]))["active"])


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
    assert event["terms"] == [5 * DAY, 365 * DAY]  # (noticeWindow, certificateTerm)
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
    assert w.events(reset, "RegistrarTermsSet")[0]["terms"] == [0, 0]
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
    assert _terms(w, "registrar") == {"noticeWindow": 0, "certificateTerm": 0}


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
    assert _terms(w, "registrar") == {"noticeWindow": 0, "certificateTerm": 0}


def test_city_registrar_deactivates_and_reactivates_an_org(w: RegistryWorld) -> None:
    path = f"/v1/orgs/{w.orgs['merchant']}/activation"
    response = w.ok("POST", path, "registrar_admin", {"active": False})
    event = w.events(response, "OrgActivationChanged")[0]
    assert event["orgId"] == w.orgs["merchant"] and event["actorOrgId"] == w.orgs["registrar"]
    assert event["org"][2] is False  # (kind, city, active, nameHash)
    assert _active(w, "merchant") is False
    shown = w.call("GET", f"/v1/orgs/{w.orgs['merchant']}", "registrar_admin").json()
    assert shown["chain"]["active"] is False
    asset_id = w.new_asset()
    w.in_notice(asset_id)
    refused = w.call("POST", f"/v1/assets/{asset_id}/objections", "merchant",
                     {"reason_hash": h("objection")})  # fmt: skip
    assert refused.status_code == 403 and refused.json()["code"] == "OrgInactive"
    again = w.ok("POST", path, "registrar_admin", {"active": True})
    assert w.events(again, "OrgActivationChanged")[0]["org"][2] is True
    assert _active(w, "merchant") is True
    w.ok("POST", f"/v1/assets/{asset_id}/objections", "merchant", {"reason_hash": h("objection")})


def test_consortium_admin_deactivates_a_registrar_which_then_cannot_act(
    w: RegistryWorld,
) -> None:
    path = f"/v1/orgs/{w.orgs['xm_registrar']}/activation"
    refused = w.call("POST", path, "registrar_admin", {"active": False})
    assert refused.status_code == 403 and "consortium admin" in refused.json()["detail"]
    assert _active(w, "xm_registrar") is True
    response = w.ok("POST", path, "admin", {"active": False})
    event = w.events(response, "OrgActivationChanged")[0]
    assert event["orgId"] == w.orgs["xm_registrar"] and event["org"][2] is False
    assert _active(w, "xm_registrar") is False
    terms = w.call("PUT", f"/v1/orgs/{w.orgs['xm_registrar']}/terms", "xm_admin",
                   {"notice_window_seconds": DAY, "certificate_term_seconds": DAY})  # fmt: skip
    assert terms.status_code == 403 and terms.json()["code"] == "OrgInactive"
    assert _terms(w, "xm_registrar") == {"noticeWindow": 0, "certificateTerm": 0}
    w.ok("POST", path, "admin", {"active": True})
    assert _active(w, "xm_registrar") is True


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
