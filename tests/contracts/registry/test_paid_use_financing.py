"""Paid-use approval chain, pledges, credit lines, equity contribution and disposal."""

from __future__ import annotations

from tests.contracts.registry.conftest import (
    QINGDAO,
    XIAMEN,
    AppStatus,
    AssetStatus,
    CertStatus,
    FinKind,
    FinStatus,
    Kind,
    Ledger,
    h,
    keccak_abi,
)

ZERO = b"\x00" * 32


# ------------------------------------------------------------------ paid use


def test_apply_for_paid_use_records_application(led: Ledger) -> None:
    asset_id, _ = led.certified()
    r = led.tx("holder", "applyForPaidUse", asset_id, h("scope"), led.orgs["operator"])
    ev = led.event(r, "PaidUseApplied")
    app_id = keccak_abi(
        ["bytes32", "bytes32", "bytes32", "uint256"], [led.orgs["holder"], asset_id, h("scope"), 1]
    )
    assert ev["applicationId"] == app_id and ev["actorOrgId"] == led.orgs["holder"]
    assert ev["application"] == {
        "assetId": asset_id,
        "holderOrgId": led.orgs["holder"],
        "operatorOrgId": led.orgs["operator"],
        "scopeHash": h("scope"),
        "reasonHash": ZERO,
        "appliedAt": led.now(),
        "decidedAt": 0,
        "competentApproved": False,
        "dataAdminApproved": False,
        "status": AppStatus.APPLIED,
    }
    assert led.record("application", app_id) == ev["application"]


def test_paid_use_full_chain_approves_and_sets_payment_context(led: Ledger) -> None:
    asset_id, app_id = led.application()
    r = led.tx("competent", "reviewPaidUse", app_id, True, ZERO)
    ev = led.event(r, "PaidUseReviewed")
    assert ev["actorOrgId"] == led.orgs["competent"] and ev["application"]["competentApproved"]
    led.reverts(
        "finance", "decidePaidUse", (app_id, True, ZERO), "ReviewsIncomplete", app_id, True, False
    )
    r = led.tx("data_admin", "reviewPaidUse", app_id, True, ZERO)
    assert led.event(r, "PaidUseReviewed")["application"]["dataAdminApproved"] is True
    assert led.call("paymentContext", asset_id)[4] is False
    r = led.tx("finance", "decidePaidUse", app_id, True, ZERO)
    ev = led.event(r, "PaidUseApproved")
    assert ev["actorOrgId"] == led.orgs["finance"]
    assert ev["application"]["status"] == AppStatus.APPROVED
    assert ev["application"]["decidedAt"] == led.now()
    ctx = led.call("paymentContext", asset_id)
    assert ctx == (True, QINGDAO, led.orgs["holder"], led.orgs["operator"], True, False)
    led.reverts(
        "finance",
        "decidePaidUse",
        (app_id, True, ZERO),
        "IllegalApplicationTransition",
        app_id,
        AppStatus.APPROVED,
        AppStatus.APPLIED,
    )


def test_review_paid_use_twice_reverts(led: Ledger) -> None:
    _, app_id = led.application()
    led.tx("data_admin", "reviewPaidUse", app_id, True, ZERO)
    led.reverts(
        "data_admin",
        "reviewPaidUse",
        (app_id, True, ZERO),
        "AlreadyReviewed",
        app_id,
        Kind.DATA_ADMIN,
    )


def test_review_paid_use_reject_with_reason(led: Ledger) -> None:
    _, app_id = led.application()
    r = led.tx("competent", "reviewPaidUse", app_id, False, h("why"))
    ev = led.event(r, "PaidUseRejected")
    assert ev["application"]["status"] == AppStatus.REJECTED
    assert ev["application"]["reasonHash"] == h("why")
    led.reverts(
        "data_admin",
        "reviewPaidUse",
        (app_id, True, ZERO),
        "IllegalApplicationTransition",
        app_id,
        AppStatus.REJECTED,
        AppStatus.APPLIED,
    )


def test_review_paid_use_reject_without_reason_reverts(led: Ledger) -> None:
    _, app_id = led.application()
    led.reverts("data_admin", "reviewPaidUse", (app_id, False, ZERO), "ZeroValue")


def test_decide_paid_use_reject_by_finance(led: Ledger) -> None:
    asset_id, app_id = led.application()
    led.tx("competent", "reviewPaidUse", app_id, True, ZERO)
    led.tx("data_admin", "reviewPaidUse", app_id, True, ZERO)
    r = led.tx("finance", "decidePaidUse", app_id, False, h("budget"))
    assert led.event(r, "PaidUseRejected")["actorOrgId"] == led.orgs["finance"]
    assert led.call("paymentContext", asset_id)[4] is False


def test_review_paid_use_wrong_kind_or_city_reverts(led: Ledger) -> None:
    _, app_id = led.application()
    led.reverts(
        "finance",
        "reviewPaidUse",
        (app_id, True, ZERO),
        "KindNotAllowed",
        led.addr("finance"),
        Kind.FINANCE,
    )
    led.reverts(
        "finance",
        "decidePaidUse",
        (h("none"), True, ZERO),
        "IllegalApplicationTransition",
        h("none"),
        AppStatus.NONE,
        AppStatus.APPLIED,
    )


def test_apply_for_paid_use_requires_active_certificate(led: Ledger) -> None:
    asset_id = led.register()
    led.reverts(
        "holder",
        "applyForPaidUse",
        (asset_id, h("s"), led.orgs["operator"]),
        "CertificateNotActive",
        ZERO,
        CertStatus.UNKNOWN,
    )


def test_apply_for_paid_use_bad_operator_reverts(led: Ledger) -> None:
    asset_id, _ = led.certified()
    led.reverts(
        "holder",
        "applyForPaidUse",
        (asset_id, h("s"), led.orgs["merchant"]),
        "UnknownOrg",
        led.orgs["merchant"],
    )
    led.reverts(
        "holder",
        "applyForPaidUse",
        (asset_id, h("s"), led.orgs["xm_operator"]),
        "WrongCity",
        QINGDAO,
        XIAMEN,
    )
    led.tx("registrar", "setOrgActive", led.orgs["operator"], False)
    led.reverts(
        "holder",
        "applyForPaidUse",
        (asset_id, h("s"), led.orgs["operator"]),
        "OrgInactive",
        led.orgs["operator"],
    )


def test_apply_for_paid_use_by_other_holder_reverts(led: Ledger) -> None:
    asset_id, _ = led.certified()
    led.reverts(
        "xm_holder",
        "applyForPaidUse",
        (asset_id, h("s"), led.orgs["operator"]),
        "NotHolder",
        asset_id,
        led.orgs["xm_holder"],
    )


# ------------------------------------------------------------------ financing


def test_pledge_request_confirm_release(led: Ledger) -> None:
    asset_id, _ = led.certified()
    r = led.tx("holder", "requestPledge", asset_id, led.orgs["bank"], 700_000_000, h("contract"))
    ev = led.event(r, "PledgeRequested")
    fin = keccak_abi(
        ["bytes32", "bytes32", "uint8", "uint256"], [asset_id, led.orgs["bank"], FinKind.PLEDGE, 1]
    )
    assert ev["financingId"] == fin
    assert ev["financing"] == {
        "assetId": asset_id,
        "holderOrgId": led.orgs["holder"],
        "counterpartyOrgId": led.orgs["bank"],
        "documentHash": h("contract"),
        "amountFen": 700_000_000,
        "recordedAt": led.now(),
        "kind": FinKind.PLEDGE,
        "status": FinStatus.REQUESTED,
    }
    r = led.tx("bank", "confirmPledge", fin)
    assert led.event(r, "PledgeConfirmed")["financing"]["status"] == FinStatus.ACTIVE
    assert led.record("asset", asset_id)["pledgeId"] == fin
    r = led.tx("bank", "releasePledge", fin)
    assert led.event(r, "PledgeReleased")["financing"]["status"] == FinStatus.RELEASED
    assert led.record("asset", asset_id)["pledgeId"] == ZERO
    assert led.record("financing", fin)["status"] == FinStatus.RELEASED


def test_pledge_second_while_pledged_reverts(led: Ledger) -> None:
    asset_id, fin = led.pledged()
    led.reverts(
        "holder",
        "requestPledge",
        (asset_id, led.orgs["bank"], 1, h("c2")),
        "AssetPledged",
        asset_id,
        fin,
    )


def test_pledge_confirm_by_other_bank_reverts(led: Ledger) -> None:
    asset_id, _ = led.certified()
    r = led.tx("holder", "requestPledge", asset_id, led.orgs["bank"], 5, h("c"))
    fin = led.event(r, "PledgeRequested")["financingId"]
    led.reverts("xm_bank", "confirmPledge", (fin,), "WrongCity", QINGDAO, XIAMEN)
    r = led.tx("registrar", "admitOrg", int(Kind.BANK), h("bank2"), led.addr("spare1"))
    bank2 = led.event(r, "OrgAdmitted")["orgId"]
    led.reverts("spare1", "confirmPledge", (fin,), "NotCounterparty", fin, bank2)


def test_pledge_release_before_confirm_reverts(led: Ledger) -> None:
    asset_id, _ = led.certified()
    r = led.tx("holder", "requestPledge", asset_id, led.orgs["bank"], 5, h("c"))
    fin = led.event(r, "PledgeRequested")["financingId"]
    led.reverts(
        "bank",
        "releasePledge",
        (fin,),
        "IllegalFinancingTransition",
        fin,
        FinStatus.REQUESTED,
        FinStatus.ACTIVE,
    )


def test_pledge_with_non_bank_or_other_city_bank_reverts(led: Ledger) -> None:
    asset_id, _ = led.certified()
    led.reverts(
        "holder",
        "requestPledge",
        (asset_id, led.orgs["merchant"], 5, h("c")),
        "UnknownOrg",
        led.orgs["merchant"],
    )
    led.reverts(
        "holder",
        "requestPledge",
        (asset_id, led.orgs["xm_bank"], 5, h("c")),
        "WrongCity",
        QINGDAO,
        XIAMEN,
    )
    led.reverts("holder", "requestPledge", (asset_id, led.orgs["bank"], 0, h("c")), "ZeroValue")


def test_record_credit_line_by_bank(led: Ledger) -> None:
    asset_id, _ = led.certified()
    r = led.tx("bank", "recordCreditLine", asset_id, 6_000_000_000, h("line"))
    ev = led.event(r, "CreditLineRecorded")
    assert ev["actorOrgId"] == led.orgs["bank"]
    assert ev["financing"]["kind"] == FinKind.CREDIT_LINE
    assert ev["financing"]["status"] == FinStatus.RECORDED
    assert ev["financing"]["amountFen"] == 6_000_000_000
    assert led.record("financing", ev["financingId"]) == ev["financing"]


def test_record_equity_contribution_by_holder(led: Ledger) -> None:
    asset_id, _ = led.certified()
    r = led.tx("holder", "recordEquityContribution", asset_id, 100_000_000, h("newco"))
    ev = led.event(r, "EquityContributed")
    assert ev["financing"]["kind"] == FinKind.EQUITY
    assert ev["financing"]["counterpartyOrgId"] == led.orgs["holder"]
    assert ev["financing"]["documentHash"] == h("newco")


def test_record_equity_contribution_while_pledged_reverts(led: Ledger) -> None:
    asset_id, fin = led.pledged()
    led.reverts(
        "holder", "recordEquityContribution", (asset_id, 5, h("x")), "AssetPledged", asset_id, fin
    )


# ------------------------------------------------------------------ disposal


def test_disposal_request_confirm_revokes_certificate_keeps_record(led: Ledger) -> None:
    asset_id, app_id = led.application()
    cert_id = led.record("asset", asset_id)["currentCertificateId"]
    r = led.tx("holder", "requestDisposal", asset_id, h("end"))
    assert led.event(r, "DisposalRequested")["asset"]["disposalReasonHash"] == h("end")
    r = led.tx("registrar", "confirmDisposal", asset_id)
    ev = led.event(r, "AssetDisposed")
    assert ev["asset"]["status"] == AssetStatus.DISPOSED
    revoked = led.event(r, "CertificateRevoked")
    assert revoked["certificateId"] == cert_id and revoked["certificate"]["revocationReason"] == 1
    assert led.call("certificateStatus", cert_id) == CertStatus.REVOKED
    assert led.call("paymentContext", asset_id)[5] is True
    assert led.record("asset", asset_id)["catalogueHash"] == h("cat:r1")
    led.reverts(
        "holder",
        "requestDisposal",
        (asset_id, h("again")),
        "IllegalTransition",
        asset_id,
        AssetStatus.DISPOSED,
        AssetStatus.CERTIFIED,
    )
    # paid use ends with disposal; the approval chain cannot complete on a disposed asset
    led.tx("competent", "reviewPaidUse", app_id, True, ZERO)
    led.tx("data_admin", "reviewPaidUse", app_id, True, ZERO)
    led.reverts(
        "finance",
        "decidePaidUse",
        (app_id, True, ZERO),
        "CertificateNotActive",
        cert_id,
        CertStatus.REVOKED,
    )


def test_disposal_while_pledged_reverts(led: Ledger) -> None:
    asset_id, fin = led.pledged()
    led.reverts("holder", "requestDisposal", (asset_id, h("x")), "AssetPledged", asset_id, fin)


def test_confirm_disposal_without_request_reverts(led: Ledger) -> None:
    asset_id, _ = led.certified()
    led.reverts("registrar", "confirmDisposal", (asset_id,), "ZeroValue")


def test_confirm_disposal_pledged_after_request_reverts(led: Ledger) -> None:
    asset_id, _ = led.certified()
    led.tx("holder", "requestDisposal", asset_id, h("x"))
    r = led.tx("holder", "requestPledge", asset_id, led.orgs["bank"], 5, h("c"))
    fin = led.event(r, "PledgeRequested")["financingId"]
    led.tx("bank", "confirmPledge", fin)
    led.reverts("registrar", "confirmDisposal", (asset_id,), "AssetPledged", asset_id, fin)


def test_dispose_uncertified_resource(led: Ledger) -> None:
    asset_id = led.register()
    led.tx("holder", "requestDisposal", asset_id, h("x"))
    r = led.tx("registrar", "confirmDisposal", asset_id)
    assert led.events(r, "CertificateRevoked") == []
    assert led.record("asset", asset_id)["status"] == AssetStatus.DISPOSED
