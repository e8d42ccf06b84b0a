"""Resources, Merkle batches, evaluation, public notice, objections, disputes, certificates."""

from __future__ import annotations

from tests.contracts.registry.conftest import (
    DEFAULT_NOTICE,
    DEFAULT_TERM,
    QINGDAO,
    AssetStatus,
    CertStatus,
    Compliance,
    Kind,
    Ledger,
    ObjStatus,
    RegKind,
    h,
    keccak_abi,
)
from tests.contracts.registry.merkle import StandardMerkleTree, leaf_hash

ZERO = b"\x00" * 32
LEAF_TYPES = ["bytes32", "bytes32", "uint32"]


def asset_id_of(led: Ledger, holder: str, domain: int, cat: bytes) -> bytes:
    return keccak_abi(["bytes32", "uint32", "bytes32"], [led.orgs[holder], domain, cat])


# ------------------------------------------------------------------ resources


def test_register_resource_records_hashes_only(led: Ledger) -> None:
    r = led.tx("holder", "registerResource", h("cat:a"), h("meta:a"), 42)
    ev = led.event(r, "ResourceRegistered")
    expected = asset_id_of(led, "holder", 42, h("cat:a"))
    assert ev["assetId"] == expected and ev["actorOrgId"] == led.orgs["holder"]
    a = led.record("asset", expected)
    assert ev["asset"] == a
    assert a["holderOrgId"] == led.orgs["holder"] and a["city"] == QINGDAO
    assert a["catalogueHash"] == h("cat:a") and a["metadataHash"] == h("meta:a")
    assert a["domainCode"] == 42 and a["status"] == AssetStatus.REGISTERED
    assert a["registeredAt"] == led.now() and a["batchId"] == ZERO
    ctx = led.call("paymentContext", expected)
    assert ctx == (True, QINGDAO, led.orgs["holder"], ZERO, False, False)


def test_register_resource_twice_reverts(led: Ledger) -> None:
    asset_id = led.register("a")
    led.reverts("holder", "registerResource", (h("cat:a"), h("meta:x"), 7), "AssetExists", asset_id)


def test_register_resource_zero_hash_reverts(led: Ledger) -> None:
    led.reverts("holder", "registerResource", (ZERO, h("m"), 7), "ZeroValue")


def test_register_resource_by_non_holder_reverts(led: Ledger) -> None:
    led.reverts(
        "bank",
        "registerResource",
        (h("c"), h("m"), 7),
        "NotOrgOfKind",
        led.addr("bank"),
        Kind.HOLDER,
    )


def _tree(n: int) -> StandardMerkleTree:
    values = [(h(f"cat:{i}"), h(f"meta:{i}"), 100 + i % 3) for i in range(n)]
    return StandardMerkleTree(values, LEAF_TYPES)


def test_register_batch_then_materialise_item_with_proof(led: Ledger) -> None:
    tree = _tree(13)
    r = led.tx("holder", "registerResourceBatch", tree.root, 13, h("manifest"))
    ev = led.event(r, "ResourceBatchRegistered")
    batch_id = keccak_abi(["bytes32", "bytes32"], [led.orgs["holder"], tree.root])
    assert ev["batchId"] == batch_id
    assert ev["batch"] == {
        "holderOrgId": led.orgs["holder"],
        "root": tree.root,
        "manifestHash": h("manifest"),
        "city": QINGDAO,
        "count": 13,
        "materialised": 0,
        "registeredAt": led.now(),
    }
    cat, meta, dom = tree.values[5]
    proof = tree.proof(5)
    assert led.call("proveResource", batch_id, cat, meta, dom, proof) is True
    assert led.call("proveResource", batch_id, cat, h("other"), dom, proof) is False
    r = led.tx("holder", "materialiseResource", batch_id, cat, meta, dom, proof)
    ev = led.event(r, "ResourceRegistered")
    assert ev["assetId"] == asset_id_of(led, "holder", dom, cat)
    assert ev["asset"]["batchId"] == batch_id and ev["asset"]["metadataHash"] == meta
    assert led.record("batch", batch_id)["materialised"] == 1


def test_merkle_leaf_matches_standard_tree_format(led: Ledger) -> None:
    # one-leaf tree: root == leaf, empty proof
    tree = _tree(1)
    assert tree.root == leaf_hash(LEAF_TYPES, tree.values[0])
    r = led.tx("holder", "registerResourceBatch", tree.root, 1, h("manifest"))
    batch_id = led.event(r, "ResourceBatchRegistered")["batchId"]
    led.tx("holder", "materialiseResource", batch_id, *tree.values[0], [])


def test_materialise_bad_proof_reverts(led: Ledger) -> None:
    tree = _tree(4)
    r = led.tx("holder", "registerResourceBatch", tree.root, 4, h("m"))
    batch_id = led.event(r, "ResourceBatchRegistered")["batchId"]
    cat, _meta, dom = tree.values[0]
    leaf = leaf_hash(LEAF_TYPES, (cat, h("forged"), dom))
    led.reverts(
        "holder",
        "materialiseResource",
        (batch_id, cat, h("forged"), dom, tree.proof(0)),
        "InvalidProof",
        batch_id,
        leaf,
    )


def test_materialise_beyond_count_reverts(led: Ledger) -> None:
    tree = _tree(2)
    r = led.tx("holder", "registerResourceBatch", tree.root, 1, h("m"))
    batch_id = led.event(r, "ResourceBatchRegistered")["batchId"]
    led.tx("holder", "materialiseResource", batch_id, *tree.values[0], tree.proof(0))
    led.reverts(
        "holder",
        "materialiseResource",
        (batch_id, *tree.values[1], tree.proof(1)),
        "BatchComplete",
        batch_id,
        1,
    )


def test_materialise_twice_reverts(led: Ledger) -> None:
    tree = _tree(2)
    r = led.tx("holder", "registerResourceBatch", tree.root, 2, h("m"))
    batch_id = led.event(r, "ResourceBatchRegistered")["batchId"]
    led.tx("holder", "materialiseResource", batch_id, *tree.values[0], tree.proof(0))
    led.reverts(
        "holder",
        "materialiseResource",
        (batch_id, *tree.values[0], tree.proof(0)),
        "AssetExists",
        asset_id_of(led, "holder", tree.values[0][2], tree.values[0][0]),
    )


def test_materialise_by_other_holder_reverts(led: Ledger) -> None:
    tree = _tree(2)
    r = led.tx("holder", "registerResourceBatch", tree.root, 2, h("m"))
    batch_id = led.event(r, "ResourceBatchRegistered")["batchId"]
    led.reverts(
        "xm_holder",
        "materialiseResource",
        (batch_id, *tree.values[0], tree.proof(0)),
        "NotHolder",
        batch_id,
        led.orgs["xm_holder"],
    )


def test_register_batch_duplicate_and_unknown_reverts(led: Ledger) -> None:
    tree = _tree(2)
    r = led.tx("holder", "registerResourceBatch", tree.root, 2, h("m"))
    batch_id = led.event(r, "ResourceBatchRegistered")["batchId"]
    led.reverts("holder", "registerResourceBatch", (tree.root, 2, h("m")), "BatchExists", batch_id)
    led.reverts("holder", "registerResourceBatch", (ZERO, 2, h("m")), "ZeroValue")
    led.reverts(
        "holder",
        "materialiseResource",
        (h("nobatch"), *tree.values[0], []),
        "UnknownBatch",
        h("nobatch"),
    )


# ------------------------------------------------------------------ evaluation and notice


def test_record_valuation_stores_value_method_report(led: Ledger) -> None:
    asset_id = led.register()
    r = led.tx("registrar", "recordValuation", asset_id, 123_456, 2, h("report"))
    ev = led.event(r, "AssetValued")
    assert ev["actorOrgId"] == led.orgs["registrar"]
    assert ev["asset"]["valueFen"] == 123_456 and ev["asset"]["valuationMethod"] == 2
    assert ev["asset"]["valuationReportHash"] == h("report")
    assert led.events(r, "NoticeOpened") == []


def test_record_valuation_other_city_registrar_reverts(led: Ledger) -> None:
    asset_id = led.register()
    led.reverts(
        "xm_registrar", "recordValuation", (asset_id, 1, 1, h("r")), "WrongCity", QINGDAO, 350200
    )


def test_record_valuation_unknown_asset_reverts(led: Ledger) -> None:
    led.reverts("registrar", "recordValuation", (h("x"), 1, 1, h("r")), "UnknownAsset", h("x"))


def test_record_valuation_zero_reverts(led: Ledger) -> None:
    asset_id = led.register()
    led.reverts("registrar", "recordValuation", (asset_id, 0, 1, h("r")), "ZeroValue")


def test_record_compliance_failed_keeps_registered(led: Ledger) -> None:
    asset_id = led.register()
    led.tx("registrar", "recordValuation", asset_id, 5, 1, h("v"))
    r = led.tx("registrar", "recordCompliance", asset_id, False, h("c"))
    ev = led.event(r, "ComplianceReviewed")
    assert ev["asset"]["compliance"] == Compliance.FAILED
    assert ev["asset"]["status"] == AssetStatus.REGISTERED
    assert led.events(r, "NoticeOpened") == []


def test_record_compliance_passed_after_valuation_opens_notice(led: Ledger) -> None:
    asset_id = led.register()
    led.tx("registrar", "recordValuation", asset_id, 5, 1, h("v"))
    r = led.tx("registrar", "recordCompliance", asset_id, True, h("c"))
    ev = led.event(r, "NoticeOpened")
    assert ev["asset"]["status"] == AssetStatus.IN_NOTICE
    assert ev["asset"]["noticeEndsAt"] == led.now() + DEFAULT_NOTICE


def test_record_valuation_after_compliance_opens_notice(led: Ledger) -> None:
    asset_id = led.register()
    led.tx("registrar", "recordCompliance", asset_id, True, h("c"))
    r = led.tx("registrar", "recordValuation", asset_id, 5, 1, h("v"))
    assert led.event(r, "NoticeOpened")["asset"]["status"] == AssetStatus.IN_NOTICE


def test_record_compliance_in_notice_reverts(led: Ledger) -> None:
    asset_id = led.to_notice()
    led.reverts(
        "registrar",
        "recordCompliance",
        (asset_id, True, h("c")),
        "IllegalTransition",
        asset_id,
        AssetStatus.IN_NOTICE,
        AssetStatus.REGISTERED,
    )


def test_lodge_objection_any_org_records_and_counts(led: Ledger) -> None:
    asset_id = led.to_notice()
    r = led.tx("xm_bank", "lodgeObjection", asset_id, h("reason"))
    ev = led.event(r, "ObjectionLodged")
    oid = keccak_abi(
        ["bytes32", "bytes32", "bytes32"], [asset_id, led.orgs["xm_bank"], h("reason")]
    )
    assert ev["objectionId"] == oid and ev["actorOrgId"] == led.orgs["xm_bank"]
    assert ev["objection"] == {
        "assetId": asset_id,
        "objectorOrgId": led.orgs["xm_bank"],
        "reasonHash": h("reason"),
        "resolutionHash": ZERO,
        "lodgedAt": led.now(),
        "status": ObjStatus.OPEN,
    }
    assert led.record("asset", asset_id)["openObjections"] == 1
    led.reverts("xm_bank", "lodgeObjection", (asset_id, h("reason")), "ObjectionExists", oid)


def test_lodge_objection_after_window_reverts(led: Ledger) -> None:
    asset_id = led.to_notice()
    ends = led.record("asset", asset_id)["noticeEndsAt"]
    led.travel(DEFAULT_NOTICE)
    led.reverts(
        "merchant", "lodgeObjection", (asset_id, h("r")), "NoticeWindowClosed", asset_id, ends
    )


def test_lodge_objection_before_notice_reverts(led: Ledger) -> None:
    asset_id = led.register()
    led.reverts(
        "merchant",
        "lodgeObjection",
        (asset_id, h("r")),
        "IllegalTransition",
        asset_id,
        AssetStatus.REGISTERED,
        AssetStatus.IN_NOTICE,
    )


def test_lodge_objection_unknown_account_reverts(led: Ledger) -> None:
    asset_id = led.to_notice()
    led.reverts(
        "stranger", "lodgeObjection", (asset_id, h("r")), "AccountNotLive", led.addr("stranger")
    )


def test_issue_certificate_blocked_by_open_objection_until_dismissed(led: Ledger) -> None:
    asset_id = led.to_notice()
    r = led.tx("merchant", "lodgeObjection", asset_id, h("r"))
    oid = led.event(r, "ObjectionLodged")["objectionId"]
    led.travel(DEFAULT_NOTICE)
    led.reverts("registrar", "issueCertificate", (asset_id,), "ObjectionsOpen", asset_id, 1)
    r = led.tx("registrar", "resolveObjection", oid, False, h("resolution"))
    ev = led.event(r, "ObjectionResolved")
    assert ev["objection"]["status"] == ObjStatus.DISMISSED
    assert ev["objection"]["resolutionHash"] == h("resolution")
    led.reverts(
        "registrar",
        "resolveObjection",
        (oid, True, h("x")),
        "ObjectionNotOpen",
        oid,
        ObjStatus.DISMISSED,
    )
    led.tx("registrar", "issueCertificate", asset_id)


def test_resolve_objection_upheld_returns_asset_to_registered(led: Ledger) -> None:
    asset_id = led.to_notice()
    r = led.tx("merchant", "lodgeObjection", asset_id, h("r"))
    oid = led.event(r, "ObjectionLodged")["objectionId"]
    led.tx("registrar", "resolveObjection", oid, True, h("upheld"))
    a = led.record("asset", asset_id)
    assert a["status"] == AssetStatus.REGISTERED and a["compliance"] == Compliance.NONE
    assert a["openObjections"] == 0 and a["noticeEndsAt"] == 0


def test_resolve_objection_other_city_reverts(led: Ledger) -> None:
    asset_id = led.to_notice()
    r = led.tx("merchant", "lodgeObjection", asset_id, h("r"))
    oid = led.event(r, "ObjectionLodged")["objectionId"]
    led.reverts(
        "xm_registrar", "resolveObjection", (oid, True, h("u")), "WrongCity", QINGDAO, 350200
    )


def test_issue_certificate_during_window_reverts(led: Ledger) -> None:
    asset_id = led.to_notice()
    ends = led.record("asset", asset_id)["noticeEndsAt"]
    led.reverts("registrar", "issueCertificate", (asset_id,), "NoticeWindowOpen", asset_id, ends)


def test_issue_certificate_blocked_by_dispute_until_resolved(led: Ledger) -> None:
    asset_id = led.to_notice()
    r = led.tx("registrar", "recordDispute", asset_id, h("dispute"))
    ev = led.event(r, "DisputeRecorded")
    assert ev["reasonHash"] == h("dispute") and ev["asset"]["disputed"] is True
    led.reverts("registrar", "recordDispute", (asset_id, h("d")), "OwnershipDisputed", asset_id)
    led.travel(DEFAULT_NOTICE)
    led.reverts("registrar", "issueCertificate", (asset_id,), "OwnershipDisputed", asset_id)
    r = led.tx("registrar", "resolveDispute", asset_id, h("settled"))
    ev = led.event(r, "DisputeResolved")
    assert ev["resolutionHash"] == h("settled") and ev["asset"]["disputed"] is False
    led.reverts("registrar", "resolveDispute", (asset_id, h("s")), "NoDispute", asset_id)
    led.tx("registrar", "issueCertificate", asset_id)


def test_issue_certificate_before_evaluation_reverts(led: Ledger) -> None:
    asset_id = led.register()
    led.reverts(
        "registrar",
        "issueCertificate",
        (asset_id,),
        "IllegalTransition",
        asset_id,
        AssetStatus.REGISTERED,
        AssetStatus.IN_NOTICE,
    )


# ------------------------------------------------------------------ certificates


def test_issue_certificate_records_full_certificate(led: Ledger) -> None:
    asset_id = led.to_notice()
    led.travel(DEFAULT_NOTICE)
    r = led.tx("registrar", "issueCertificate", asset_id)
    ev = led.event(r, "CertificateIssued")
    cert_id = keccak_abi(["bytes32", "bytes32", "uint256"], [led.orgs["registrar"], asset_id, 0])
    assert ev["certificateId"] == cert_id and ev["actorOrgId"] == led.orgs["registrar"]
    assert ev["certificate"] == {
        "assetId": asset_id,
        "registrarOrgId": led.orgs["registrar"],
        "holderOrgId": led.orgs["holder"],
        "metadataHash": h("meta:r1"),
        "replacedBy": ZERO,
        "issuedAt": led.now(),
        "validUntil": led.now() + DEFAULT_TERM,
        "revokedAt": 0,
        "revocationReason": 0,
        "kind": RegKind.INITIAL,
    }
    assert led.record("certificate", cert_id) == ev["certificate"]
    a = led.record("asset", asset_id)
    assert a["status"] == AssetStatus.CERTIFIED and a["currentCertificateId"] == cert_id
    assert led.call("certificateStatus", cert_id) == CertStatus.ACTIVE
    assert led.call("certificateStatus", h("nothing")) == CertStatus.UNKNOWN


def test_certificate_expires_by_time_and_renews(led: Ledger) -> None:
    _, cert_id = led.certified()
    until = led.record("certificate", cert_id)["validUntil"]
    led.travel(DEFAULT_TERM)
    assert led.call("certificateStatus", cert_id) == CertStatus.EXPIRED
    assert led.call("verify", cert_id, led.orgs["registrar"])[0] == CertStatus.EXPIRED
    r = led.tx("registrar", "renewCertificate", cert_id)
    ev = led.event(r, "CertificateRenewed")
    assert ev["certificate"]["validUntil"] == led.now() + DEFAULT_TERM > until
    assert led.call("certificateStatus", cert_id) == CertStatus.ACTIVE


def test_renew_certificate_active_extends_from_valid_until(led: Ledger) -> None:
    _, cert_id = led.certified()
    until = led.record("certificate", cert_id)["validUntil"]
    led.tx("registrar", "renewCertificate", cert_id)
    assert led.record("certificate", cert_id)["validUntil"] == until + DEFAULT_TERM


def test_renew_certificate_revoked_reverts(led: Ledger) -> None:
    _, cert_id = led.certified()
    led.tx("registrar", "revokeCertificate", cert_id, 9)
    led.reverts(
        "registrar",
        "renewCertificate",
        (cert_id,),
        "CertificateNotActive",
        cert_id,
        CertStatus.REVOKED,
    )


def test_revoke_certificate_records_reason(led: Ledger) -> None:
    _, cert_id = led.certified()
    r = led.tx("registrar", "revokeCertificate", cert_id, 17)
    ev = led.event(r, "CertificateRevoked")
    assert ev["certificate"]["revokedAt"] == led.now()
    assert ev["certificate"]["revocationReason"] == 17
    assert led.call("certificateStatus", cert_id) == CertStatus.REVOKED
    v = led.record("verify", cert_id, led.orgs["registrar"])
    assert v["status"] == CertStatus.REVOKED and v["revocationReason"] == 17
    assert v["recognised"] is False


def test_revoke_certificate_wrong_city_reverts(led: Ledger) -> None:
    _, cert_id = led.certified()
    led.reverts("xm_registrar", "revokeCertificate", (cert_id, 1), "WrongCity", QINGDAO, 350200)


def test_amend_certificate_change_supersedes(led: Ledger) -> None:
    asset_id, cert_id = led.certified()
    r = led.tx("registrar", "amendCertificate", cert_id, int(RegKind.CHANGE), h("meta:v2"))
    new = led.event(r, "CertificateIssued")
    new_id = new["certificateId"]
    assert new_id == keccak_abi(
        ["bytes32", "bytes32", "uint256"], [led.orgs["registrar"], asset_id, 1]
    )
    assert new["certificate"]["kind"] == RegKind.CHANGE
    old = led.event(r, "CertificateSuperseded")
    assert old["certificateId"] == cert_id and old["certificate"]["replacedBy"] == new_id
    assert led.call("certificateStatus", cert_id) == CertStatus.SUPERSEDED
    assert led.call("certificateStatus", new_id) == CertStatus.ACTIVE
    assert led.record("certificate", new_id)["metadataHash"] == h("meta:v2")
    a = led.record("asset", asset_id)
    assert a["metadataHash"] == h("meta:v2") and a["currentCertificateId"] == new_id
    v = led.record("verify", cert_id, led.orgs["registrar"])
    assert v["status"] == CertStatus.SUPERSEDED and v["replacedBy"] == new_id
    led.reverts(
        "registrar",
        "amendCertificate",
        (cert_id, int(RegKind.CORRECTION), h("m")),
        "CertificateNotActive",
        cert_id,
        CertStatus.SUPERSEDED,
    )


def test_amend_certificate_correction_kind(led: Ledger) -> None:
    _, cert_id = led.certified()
    r = led.tx("registrar", "amendCertificate", cert_id, int(RegKind.CORRECTION), h("meta:fixed"))
    assert led.event(r, "CertificateIssued")["certificate"]["kind"] == RegKind.CORRECTION


def test_amend_certificate_deregistration_ends_asset(led: Ledger) -> None:
    asset_id, cert_id = led.certified()
    r = led.tx("registrar", "amendCertificate", cert_id, int(RegKind.DEREGISTRATION), h("dereg"))
    ev = led.event(r, "AssetDeregistered")
    assert ev["asset"]["status"] == AssetStatus.DEREGISTERED
    new_id = led.event(r, "CertificateIssued")["certificateId"]
    assert led.record("certificate", new_id)["kind"] == RegKind.DEREGISTRATION
    assert led.call("certificateStatus", cert_id) == CertStatus.SUPERSEDED
    led.reverts(
        "registrar",
        "amendCertificate",
        (new_id, int(RegKind.CHANGE), h("m")),
        "IllegalTransition",
        asset_id,
        AssetStatus.DEREGISTERED,
        AssetStatus.CERTIFIED,
    )


def test_amend_certificate_initial_kind_reverts(led: Ledger) -> None:
    _, cert_id = led.certified()
    led.reverts(
        "registrar",
        "amendCertificate",
        (cert_id, int(RegKind.INITIAL), h("m")),
        "InvalidRegistrationKind",
        RegKind.INITIAL,
    )


def test_amend_certificate_deregistration_while_pledged_reverts(led: Ledger) -> None:
    asset_id, fin = led.pledged()
    cert_id = led.record("asset", asset_id)["currentCertificateId"]
    led.reverts(
        "registrar",
        "amendCertificate",
        (cert_id, int(RegKind.DEREGISTRATION), h("d")),
        "AssetPledged",
        asset_id,
        fin,
    )


def test_verify_reports_pledged_and_recognition(led: Ledger) -> None:
    asset_id, _fin = led.pledged()
    cert_id = led.record("asset", asset_id)["currentCertificateId"]
    v = led.record("verify", cert_id, led.orgs["xm_registrar"])
    assert v["status"] == CertStatus.ACTIVE and v["pledged"] is True and v["recognised"] is False
    assert v["assetId"] == asset_id and v["holderOrgId"] == led.orgs["holder"]
    led.tx("xm_registrar", "recognise", cert_id)
    assert led.record("verify", cert_id, led.orgs["xm_registrar"])["recognised"] is True
