"""Mutual recognition: per certificate, bilateral agreements, withdrawal."""

from __future__ import annotations

from tests.contracts.registry.conftest import AgrStatus, CertStatus, Kind, Ledger, h, keccak_abi


def agreement_id(a: bytes, b: bytes) -> bytes:
    lo, hi = sorted((a, b))
    return keccak_abi(["bytes32", "bytes32"], [lo, hi])


def test_recognise_by_partner_registrar_and_withdraw(led: Ledger) -> None:
    _, cert_id = led.certified()
    xm = led.orgs["xm_registrar"]
    assert led.call("isRecognised", cert_id, xm) is False
    r = led.tx("xm_registrar", "recognise", cert_id)
    assert led.event(r, "CertificateRecognised") == {"certificateId": cert_id, "actorOrgId": xm}
    assert led.call("isRecognised", cert_id, xm) is True
    led.reverts("xm_registrar", "recognise", (cert_id,), "AlreadyRecognised", cert_id, xm)
    r = led.tx("xm_registrar", "withdrawRecognition", cert_id)
    assert led.event(r, "RecognitionWithdrawn")["actorOrgId"] == xm
    assert led.call("isRecognised", cert_id, xm) is False
    led.reverts("xm_registrar", "withdrawRecognition", (cert_id,), "NotRecognised", cert_id, xm)


def test_recognise_by_exchange(led: Ledger) -> None:
    _, cert_id = led.certified()
    led.tx("exchange", "recognise", cert_id)
    assert led.call("isRecognised", cert_id, led.orgs["exchange"]) is True


def test_recognise_by_issuer_reverts_and_issuer_counts_as_recognising(led: Ledger) -> None:
    _, cert_id = led.certified()
    led.reverts("registrar", "recognise", (cert_id,), "SelfRecognition", led.orgs["registrar"])
    assert led.call("isRecognised", cert_id, led.orgs["registrar"]) is True


def test_recognise_by_other_kind_reverts(led: Ledger) -> None:
    _, cert_id = led.certified()
    led.reverts("bank", "recognise", (cert_id,), "KindNotAllowed", led.addr("bank"), Kind.BANK)


def test_recognise_inactive_certificate_reverts(led: Ledger) -> None:
    _, cert_id = led.certified()
    led.tx("registrar", "revokeCertificate", cert_id, 3)
    led.reverts(
        "xm_registrar", "recognise", (cert_id,), "CertificateNotActive", cert_id, CertStatus.REVOKED
    )


def test_is_recognised_false_after_revocation_or_expiry(led: Ledger) -> None:
    _, cert_id = led.certified()
    led.tx("xm_registrar", "recognise", cert_id)
    led.travel(3 * 365 * 86400)
    assert led.call("isRecognised", cert_id, led.orgs["xm_registrar"]) is False
    led.tx("registrar", "renewCertificate", cert_id)
    assert led.call("isRecognised", cert_id, led.orgs["xm_registrar"]) is True
    led.tx("registrar", "revokeCertificate", cert_id, 2)
    assert led.call("isRecognised", cert_id, led.orgs["xm_registrar"]) is False


def test_agreement_propose_accept_covers_all_certificates_and_withdraws(led: Ledger) -> None:
    _, cert_id = led.certified()
    qd, xm = led.orgs["registrar"], led.orgs["xm_registrar"]
    aid = agreement_id(qd, xm)
    r = led.tx("xm_registrar", "proposeAgreement", qd)
    ev = led.event(r, "AgreementProposed")
    assert ev["agreementId"] == aid and ev["actorOrgId"] == xm
    assert ev["agreement"] == {
        "proposerOrgId": xm,
        "partnerOrgId": qd,
        "updatedAt": led.now(),
        "status": AgrStatus.PROPOSED,
    }
    assert led.call("isRecognised", cert_id, xm) is False
    led.reverts(
        "xm_registrar",
        "acceptAgreement",
        (qd,),
        "IllegalAgreementTransition",
        aid,
        AgrStatus.PROPOSED,
        AgrStatus.PROPOSED,
    )
    r = led.tx("registrar", "acceptAgreement", xm)
    assert led.event(r, "AgreementAccepted")["agreement"]["status"] == AgrStatus.ACTIVE
    assert led.record("agreement", aid)["status"] == AgrStatus.ACTIVE
    assert led.call("isRecognised", cert_id, xm) is True
    _, cert2 = led.certified("second")
    assert led.call("isRecognised", cert2, xm) is True
    r = led.tx("registrar", "withdrawAgreement", xm)
    assert led.event(r, "AgreementWithdrawn")["actorOrgId"] == qd
    assert led.call("isRecognised", cert_id, xm) is False
    led.reverts(
        "xm_registrar",
        "withdrawAgreement",
        (qd,),
        "IllegalAgreementTransition",
        aid,
        AgrStatus.WITHDRAWN,
        AgrStatus.ACTIVE,
    )
    led.tx("registrar", "proposeAgreement", xm)  # may be proposed again


def test_propose_agreement_twice_reverts(led: Ledger) -> None:
    qd, xm = led.orgs["registrar"], led.orgs["xm_registrar"]
    led.tx("registrar", "proposeAgreement", xm)
    led.reverts(
        "xm_registrar",
        "proposeAgreement",
        (qd,),
        "IllegalAgreementTransition",
        agreement_id(qd, xm),
        AgrStatus.PROPOSED,
        AgrStatus.WITHDRAWN,
    )


def test_propose_agreement_with_non_registrar_or_self_reverts(led: Ledger) -> None:
    led.reverts(
        "registrar", "proposeAgreement", (led.orgs["bank"],), "UnknownOrg", led.orgs["bank"]
    )
    led.reverts(
        "registrar",
        "proposeAgreement",
        (led.orgs["registrar"],),
        "SelfRecognition",
        led.orgs["registrar"],
    )
    led.reverts(
        "exchange",
        "proposeAgreement",
        (led.orgs["registrar"],),
        "NotOrgOfKind",
        led.addr("exchange"),
        Kind.REGISTRAR,
    )


def test_agreement_unrelated_org_not_recognising(led: Ledger) -> None:
    _, cert_id = led.certified()
    led.tx("registrar", "proposeAgreement", led.orgs["xm_registrar"])
    led.tx("xm_registrar", "acceptAgreement", led.orgs["registrar"])
    assert led.call("isRecognised", cert_id, led.orgs["exchange"]) is False
    assert led.call("isRecognised", cert_id, b"\x00" * 32) is False
    assert led.call("isRecognised", h("unknown"), led.orgs["xm_registrar"]) is False
