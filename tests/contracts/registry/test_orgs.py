"""Organisations: admission, signing accounts and their validity windows, deactivation."""

from __future__ import annotations

from tests.contracts.registry.conftest import (
    DEFAULT_NOTICE,
    DEFAULT_TERM,
    QINGDAO,
    XIAMEN,
    Kind,
    Ledger,
    h,
    key_for,
    org_id,
)

ZERO = b"\x00" * 32


def test_admit_registrar_by_admin_records_org_and_account(led: Ledger) -> None:
    acct = key_for("spare1").address
    r = led.tx("admin", "admitRegistrar", 420100, h("wuhan"), acct)
    expected = org_id(Kind.REGISTRAR, 420100, h("wuhan"))
    ev = led.event(r, "OrgAdmitted")
    assert ev["orgId"] == expected and ev["actorOrgId"] == ZERO
    assert ev["org"] == {"kind": 1, "city": 420100, "active": True, "nameHash": h("wuhan")}
    acc = led.event(r, "SigningAccountAdded")
    assert acc["account"] == acct and acc["record"]["orgId"] == expected
    assert acc["record"]["validUntil"] == 0
    assert led.call("registrarOf", 420100) == expected
    assert led.record("org", expected)["kind"] == Kind.REGISTRAR
    assert led.call("accountOrg", acct) == [expected, 1, 420100, True]


def test_admit_registrar_not_admin_reverts(led: Ledger) -> None:
    led.reverts(
        "registrar",
        "admitRegistrar",
        (420100, h("w"), led.addr("spare1")),
        "NotConsortiumAdmin",
        led.addr("registrar"),
    )


def test_admit_registrar_second_for_city_reverts(led: Ledger) -> None:
    led.reverts(
        "admin",
        "admitRegistrar",
        (QINGDAO, h("other"), led.addr("spare1")),
        "RegistrarExists",
        QINGDAO,
        led.orgs["registrar"],
    )


def test_admit_org_by_registrar_uses_registrar_city(led: Ledger) -> None:
    r = led.tx("registrar", "admitOrg", int(Kind.MERCHANT), h("m2"), led.addr("spare1"))
    ev = led.event(r, "OrgAdmitted")
    assert ev["orgId"] == org_id(Kind.MERCHANT, QINGDAO, h("m2"))
    assert ev["actorOrgId"] == led.orgs["registrar"]
    assert ev["org"]["city"] == QINGDAO
    assert led.orgs["holder"] == org_id(Kind.HOLDER, QINGDAO, h("name:holder"))
    assert led.orgs["xm_holder"] == org_id(Kind.HOLDER, XIAMEN, h("name:xm_holder"))


def test_admit_org_invalid_kind_reverts(led: Ledger) -> None:
    for kind in (Kind.NONE, Kind.REGISTRAR):
        led.reverts(
            "registrar",
            "admitOrg",
            (int(kind), h("x"), led.addr("spare1")),
            "InvalidOrgKind",
            int(kind),
        )


def test_admit_org_by_non_registrar_reverts(led: Ledger) -> None:
    led.reverts(
        "holder",
        "admitOrg",
        (int(Kind.MERCHANT), h("x"), led.addr("spare1")),
        "NotOrgOfKind",
        led.addr("holder"),
        Kind.REGISTRAR,
    )


def test_admit_org_duplicate_reverts(led: Ledger) -> None:
    led.reverts(
        "registrar",
        "admitOrg",
        (int(Kind.HOLDER), h("name:holder"), led.addr("spare1")),
        "OrgExists",
        led.orgs["holder"],
    )


def test_admit_org_account_in_use_reverts(led: Ledger) -> None:
    led.reverts(
        "registrar",
        "admitOrg",
        (int(Kind.MERCHANT), h("new"), led.addr("holder")),
        "AccountInUse",
        led.addr("holder"),
        led.orgs["holder"],
    )


def test_admit_org_zero_name_reverts(led: Ledger) -> None:
    led.reverts(
        "registrar", "admitOrg", (int(Kind.MERCHANT), ZERO, led.addr("spare1")), "ZeroValue"
    )


def test_add_signing_account_by_org_itself_records_window(led: Ledger) -> None:
    until = led.now() + 1000
    r = led.tx("holder", "addSigningAccount", led.orgs["holder"], led.addr("spare1"), until)
    ev = led.event(r, "SigningAccountAdded")
    assert ev["actorOrgId"] == led.orgs["holder"]
    assert ev["record"] == {
        "orgId": led.orgs["holder"],
        "validFrom": led.now(),
        "validUntil": until,
    }
    assert led.call("accountOrg", led.addr("spare1"))[0] == led.orgs["holder"]
    led.travel(1000)
    assert led.call("accountOrg", led.addr("spare1")) == [ZERO, 0, 0, False]


def test_add_signing_account_by_city_registrar_acts_as_registrar(led: Ledger) -> None:
    r = led.tx("registrar", "addSigningAccount", led.orgs["bank"], led.addr("spare1"), 0)
    assert led.event(r, "SigningAccountAdded")["actorOrgId"] == led.orgs["registrar"]


def test_add_signing_account_for_registrar_by_admin(led: Ledger) -> None:
    r = led.tx("admin", "addSigningAccount", led.orgs["registrar"], led.addr("spare1"), 0)
    assert led.event(r, "SigningAccountAdded")["actorOrgId"] == ZERO


def test_add_signing_account_by_other_city_registrar_reverts(led: Ledger) -> None:
    led.reverts(
        "xm_registrar",
        "addSigningAccount",
        (led.orgs["bank"], led.addr("spare1"), 0),
        "NotOrgManager",
        led.addr("xm_registrar"),
        led.orgs["bank"],
    )


def test_add_signing_account_for_registrar_by_registrar_of_other_city_reverts(led: Ledger) -> None:
    led.reverts(
        "xm_registrar",
        "addSigningAccount",
        (led.orgs["registrar"], led.addr("spare1"), 0),
        "NotOrgManager",
        led.addr("xm_registrar"),
        led.orgs["registrar"],
    )


def test_add_signing_account_unknown_org_reverts(led: Ledger) -> None:
    led.reverts(
        "registrar",
        "addSigningAccount",
        (h("nobody"), led.addr("spare1"), 0),
        "UnknownOrg",
        h("nobody"),
    )


def test_add_signing_account_past_window_reverts(led: Ledger) -> None:
    led.reverts(
        "holder",
        "addSigningAccount",
        (led.orgs["holder"], led.addr("spare1"), led.now() - 1),
        "ZeroValue",
    )


def test_remove_signing_account_ends_window_and_blocks_actions(led: Ledger) -> None:
    led.tx("holder", "addSigningAccount", led.orgs["holder"], led.addr("spare1"), 0)
    r = led.tx("holder", "removeSigningAccount", led.addr("spare1"))
    ev = led.event(r, "SigningAccountRemoved")
    assert ev["record"]["validUntil"] == led.now()
    assert led.call("accountOrg", led.addr("spare1"))[0] == ZERO
    led.reverts(
        "spare1",
        "registerResource",
        (h("c"), h("m"), 1),
        "NotOrgOfKind",
        led.addr("spare1"),
        Kind.HOLDER,
    )
    # never reusable for another org (the record keeps its history)
    led.reverts(
        "registrar",
        "addSigningAccount",
        (led.orgs["bank"], led.addr("spare1"), 0),
        "AccountInUse",
        led.addr("spare1"),
        led.orgs["holder"],
    )


def test_remove_signing_account_not_live_reverts(led: Ledger) -> None:
    led.reverts(
        "holder",
        "removeSigningAccount",
        (led.addr("spare1"),),
        "AccountNotLive",
        led.addr("spare1"),
    )


def test_set_org_active_deactivates_and_blocks(led: Ledger) -> None:
    r = led.tx("registrar", "setOrgActive", led.orgs["holder"], False)
    ev = led.event(r, "OrgActivationChanged")
    assert ev["org"]["active"] is False and ev["actorOrgId"] == led.orgs["registrar"]
    assert led.call("accountOrg", led.addr("holder"))[3] is False
    led.reverts(
        "holder", "registerResource", (h("c"), h("m"), 1), "OrgInactive", led.orgs["holder"]
    )
    led.tx("registrar", "setOrgActive", led.orgs["holder"], True)
    led.register()


def test_set_org_active_registrar_by_admin_only(led: Ledger) -> None:
    led.reverts(
        "registrar",
        "setOrgActive",
        (led.orgs["registrar"], False),
        "NotOrgManager",
        led.addr("registrar"),
        led.orgs["registrar"],
    )
    led.tx("admin", "setOrgActive", led.orgs["xm_registrar"], False)
    assert led.record("org", led.orgs["xm_registrar"])["active"] is False


def test_set_registrar_terms_records_and_applies(led: Ledger) -> None:
    assert led.record("registrarTerms", led.orgs["registrar"]) == {
        "noticeWindow": 0,
        "certificateTerm": 0,
    }
    r = led.tx("registrar", "setRegistrarTerms", 5 * 86400, 365 * 86400)
    ev = led.event(r, "RegistrarTermsSet")
    assert ev["terms"] == {"noticeWindow": 5 * 86400, "certificateTerm": 365 * 86400}
    asset_id = led.to_notice()
    assert led.record("asset", asset_id)["noticeEndsAt"] == led.now() + 5 * 86400
    led.travel(5 * 86400)
    r = led.tx("registrar", "issueCertificate", asset_id)
    assert led.event(r, "CertificateIssued")["certificate"]["validUntil"] == led.now() + 365 * 86400


def test_defaults_are_ten_days_and_three_years(led: Ledger) -> None:
    asset_id = led.to_notice()
    assert led.record("asset", asset_id)["noticeEndsAt"] == led.now() + DEFAULT_NOTICE
    led.travel(DEFAULT_NOTICE)
    r = led.tx("registrar", "issueCertificate", asset_id)
    assert (
        led.event(r, "CertificateIssued")["certificate"]["validUntil"] == led.now() + DEFAULT_TERM
    )


def test_consortium_admin_view(led: Ledger) -> None:
    assert led.call("consortiumAdmin") == led.admin
