"""Verifying portable certificates: every check, its verdict and its reason codes."""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3.logs import DISCARD

from chain import documents
from chain.documents import SECP256K1_N, CertificateDocument
from chain.verifier import Verdict, verify_document
from tests.documents.conftest import VERIFY_BASE, Issued
from tests.documents.ledger import NOTICE_WINDOW, TERM


def _doc(
    issued: Issued, certificate_id: bytes | None = None, key: LocalAccount | None = None
) -> CertificateDocument:
    ledger = issued.ledger
    return documents.build_document(
        ledger.w3,
        ledger.address,
        certificate_id or issued.certificate_id,
        key or ledger.registrar,
        VERIFY_BASE,
    )


def _verify(issued: Issued, doc: Any, **kwargs: Any) -> Verdict:
    return verify_document(issued.ledger.w3, issued.ledger.address, doc, **kwargs)


def _resign(doc: CertificateDocument, data: dict[str, Any], key: LocalAccount) -> dict[str, Any]:
    """Re-sign altered typed data with ``key`` (as a forger holding that key would)."""
    typed = {k: data[k] for k in ("types", "primaryType", "domain", "message")}
    signed = Account.sign_typed_data(key.key, full_message=typed)
    data["signature"] = "0x" + bytes(signed.signature).hex()
    data["signer"] = key.address
    return data


def test_document_signed_in_python_verifies_on_chain_and_in_python(issued: Issued) -> None:
    doc = _doc(issued)
    registry = issued.ledger.registry
    assert documents.digest(doc.typed_data()) == bytes(
        registry.functions.certificateDigest(issued.certificate_id).call()
    )
    valid, signer, check, status = issued.ledger.verifier.functions.verifyCertificateSignature(
        doc.message.as_tuple(), bytes.fromhex(doc.signature[2:])
    ).call()
    assert (valid, signer, check, status) == (True, issued.ledger.registrar.address, 0, 1)

    verdict = _verify(issued, doc)
    assert verdict.valid, verdict.sentences()
    assert verdict.status == "Active"
    assert verdict.signer_key == "current"
    assert verdict.issuer == "0x" + issued.ledger.registrar_org.hex()
    assert verdict.certificate_id == "0x" + issued.certificate_id.hex()
    assert {
        "format",
        "types",
        "domain",
        "chain_id",
        "verifying_contract",
        "signature",
        "signature_canonical",
        "contract_signature",
        "signer_registrar",
        "status",
        "fields",
        "certificate_exists",
        "registrar_active",
        "dispute",
        "usable",
    } <= verdict.codes(ok=True)
    assert (verdict.registrar_active, verdict.disputed, verdict.usability) == (
        True, False, "Usable",
    )  # fmt: skip
    with_verifier = _verify(issued, doc, verifier_address=issued.ledger.verifier_address)
    assert with_verifier == verdict  # one eth_call per view, the same verdict
    assert doc.links.verify == f"{VERIFY_BASE}/verify?cert=0x{issued.certificate_id.hex()}"


def test_independent_eth_account_signature_equals_ours(issued: Issued) -> None:
    ledger = issued.ledger
    cert = ledger.registry.functions.certificate(issued.certificate_id).call()
    # Hand-written from the contract's CERTIFICATE_TYPEHASH and EIP712("DataAssetLedger", "1").
    typed = {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "Certificate": [
                {"name": "certificateId", "type": "bytes32"},
                {"name": "assetId", "type": "bytes32"},
                {"name": "registrarOrgId", "type": "bytes32"},
                {"name": "holderOrgId", "type": "bytes32"},
                {"name": "metadataHash", "type": "bytes32"},
                {"name": "kind", "type": "uint8"},
                {"name": "issuedAt", "type": "uint64"},
            ],
        },
        "primaryType": "Certificate",
        "domain": {
            "name": "DataAssetLedger",
            "version": "1",
            "chainId": ledger.w3.eth.chain_id,
            "verifyingContract": ledger.address,
        },
        "message": {
            "certificateId": issued.certificate_id,
            "assetId": cert[0],
            "registrarOrgId": cert[1],
            "holderOrgId": cert[2],
            "metadataHash": cert[3],
            "kind": cert[10],
            "issuedAt": cert[6],
        },
    }
    independent = Account.sign_typed_data(ledger.registrar.key, full_message=typed)
    ours = _doc(issued)
    assert "0x" + bytes(independent.signature).hex() == ours.signature


def test_canonical_json_round_trips(issued: Issued) -> None:
    doc = _doc(issued)
    text = doc.to_canonical_json()
    assert b" " not in text
    again = documents.parse_document(text)
    assert again == doc
    assert again.to_canonical_json() == text


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("holderOrgId", "0x" + "11" * 32),
        ("assetId", "0x" + "22" * 32),
        ("metadataHash", "0x" + "33" * 32),
        ("issuedAt", 1),
        ("kind", 1),
    ],
)
def test_verify_tampered_field_names_the_field(issued: Issued, field: str, value: Any) -> None:
    data = _doc(issued).to_json_dict()
    data["message"][field] = value
    verdict = _verify(issued, data)
    assert not verdict.valid
    mismatches = [r for r in verdict.failed() if r.code == "field_mismatch"]
    assert [r.field for r in mismatches] == [field]
    assert field in mismatches[0].detail
    assert "signature" in verdict.codes(ok=False)  # the signature no longer matches the fields
    assert "contract_signature" in verdict.codes(ok=False)


def test_verify_tampered_and_resigned_by_registrar_still_names_the_field(issued: Issued) -> None:
    doc = _doc(issued)
    data = _resign(
        doc, _set(doc.to_json_dict(), "holderOrgId", "0x" + "44" * 32), issued.ledger.registrar
    )
    verdict = _verify(issued, data)
    assert not verdict.valid
    assert verdict.codes(ok=False) == {"field_mismatch", "contract_signature"}
    assert [r.field for r in verdict.failed() if r.code == "field_mismatch"] == ["holderOrgId"]


def _set(data: dict[str, Any], field: str, value: Any) -> dict[str, Any]:
    data["message"][field] = value
    return data


def test_verify_malformed_document_gives_format_reason(issued: Issued) -> None:
    verdict = _verify(issued, b'{"format": "data-asset-certificate/v1", "message": {}}')
    assert not verdict.valid
    assert verdict.codes() == {"format"}
    assert "domain" in verdict.reasons[0].detail
    assert _verify(issued, "not json").codes(ok=False) == {"format"}
    assert "unknown document format" in _verify(issued, {"format": "x"}).reasons[0].detail


@pytest.mark.usefixtures("evm_snapshot")
def test_verify_revoked_certificate_reports_reason_code(issued: Issued) -> None:
    ledger = issued.ledger
    doc = _doc(issued)
    ledger.send(
        ledger.registrar, ledger.registry.functions.revokeCertificate(issued.certificate_id, 7)
    )
    verdict = _verify(issued, doc)
    assert not verdict.valid
    assert verdict.status == "Revoked"
    assert verdict.revocation_reason == 7
    assert verdict.codes(ok=False) == {"status"}
    assert "unlisted reason code 7 (reason code 7)" in verdict.failed()[0].detail


@pytest.mark.usefixtures("evm_snapshot")
def test_verify_names_a_catalogued_revocation_reason(issued: Issued) -> None:
    ledger = issued.ledger
    ledger.send(
        ledger.registrar, ledger.registry.functions.revokeCertificate(issued.certificate_id, 6)
    )
    verdict = _verify(issued, _doc(issued))
    assert verdict.revocation_reason == 6
    assert "the issuing key was compromised (reason code 6)" in verdict.failed()[0].detail


@pytest.mark.usefixtures("evm_snapshot")
def test_verify_expired_certificate(issued: Issued) -> None:
    doc = _doc(issued)
    issued.ledger.advance(TERM + 86_400)
    verdict = _verify(issued, doc)
    assert not verdict.valid
    assert verdict.status == "Expired"
    assert verdict.codes(ok=False) == {"status"}
    assert "expired on" in verdict.failed()[0].detail


def test_verify_signature_by_non_registrar_is_rejected(issued: Issued) -> None:
    stranger = Account.create()
    verdict = _verify(issued, _doc(issued, key=stranger))
    assert not verdict.valid
    assert verdict.signer == stranger.address
    assert verdict.codes(ok=False) == {"signer_registrar", "contract_signature"}
    assert (
        "not a signing account"
        in next(r for r in verdict.failed() if r.code == "signer_registrar").detail
    )


def test_verify_signature_by_other_orgs_key_is_rejected(issued: Issued) -> None:
    for key in (issued.ledger.holder, issued.ledger.partner):
        verdict = _verify(issued, _doc(issued, key=key))
        assert not verdict.valid
        assert verdict.codes(ok=False) == {"signer_registrar", "contract_signature"}
        detail = next(r for r in verdict.failed() if r.code == "signer_registrar").detail
        assert "not the issuing registrar" in detail


def test_verify_signer_field_swapped_is_rejected(issued: Issued) -> None:
    data = _doc(issued).to_json_dict()
    data["signer"] = issued.ledger.holder.address
    verdict = _verify(issued, data)
    assert not verdict.valid
    assert "signature" in verdict.codes(ok=False)
    assert verdict.recovered_signer == issued.ledger.registrar.address


@pytest.mark.usefixtures("evm_snapshot")
def test_verify_rotated_key_valid_for_earlier_certificate_not_for_later(issued: Issued) -> None:
    ledger = issued.ledger
    new_key = Account.create()
    ledger.add_key(ledger.registrar, new_key, ledger.registrar_org)
    ledger.advance(60)
    ledger.send(new_key, ledger.directory.functions.removeSigningKey(ledger.registrar.address))
    # A later certificate, issued after the old key was rotated out.
    later_asset = ledger.register_and_value("later-asset", registrar=new_key)
    # Registration by the holder; valuation and compliance are signed by the new key.
    ledger.advance(NOTICE_WINDOW + 60)
    later = ledger.issue(later_asset, signer=new_key)

    earlier = _verify(issued, _doc(issued, key=ledger.registrar))
    assert earlier.valid, earlier.sentences()
    assert earlier.signer_key == "former"
    assert "former key" in next(r for r in earlier.reasons if r.code == "signer_registrar").detail

    stale = _verify(issued, _doc(issued, later, key=ledger.registrar))
    assert not stale.valid
    assert stale.codes(ok=False) == {"signer_registrar", "contract_signature"}
    signer_reason = next(r for r in stale.failed() if r.code == "signer_registrar")
    assert "not valid when the certificate was issued" in signer_reason.detail

    fresh = _verify(issued, _doc(issued, later, key=new_key))
    assert fresh.valid, fresh.sentences()
    assert fresh.signer_key == "current"


def test_verify_replay_with_other_chain_id_is_rejected(issued: Issued) -> None:
    doc = _doc(issued)
    data = doc.to_json_dict()
    data["domain"]["chainId"] = 1
    data = _resign(doc, data, issued.ledger.registrar)
    verdict = _verify(issued, data)
    assert not verdict.valid
    assert {"chain_id", "contract_signature"} <= verdict.codes(ok=False)
    assert "replay" in next(r for r in verdict.failed() if r.code == "chain_id").detail
    assert "signature" in verdict.codes(ok=True)  # a genuine signature, for the wrong chain


def test_verify_replay_with_other_contract_is_rejected(issued: Issued) -> None:
    doc = _doc(issued)
    data = doc.to_json_dict()
    data["domain"]["verifyingContract"] = "0x" + "ab" * 20
    data = _resign(doc, data, issued.ledger.registrar)
    verdict = _verify(issued, data)
    assert not verdict.valid
    assert {"verifying_contract", "contract_signature"} <= verdict.codes(ok=False)


def test_verify_high_s_malleated_signature_is_rejected(issued: Issued) -> None:
    doc = _doc(issued)
    raw = bytes.fromhex(doc.signature[2:])
    r, s, v = raw[:32], int.from_bytes(raw[32:64], "big"), raw[64]
    high_s = (SECP256K1_N - s).to_bytes(32, "big")
    flipped = bytes([55 - v])  # 27 <-> 28
    data = doc.to_json_dict()
    data["signature"] = "0x" + (r + high_s + flipped).hex()
    verdict = _verify(issued, data)
    # The malleated signature still recovers the registrar in plain ECDSA ...
    assert verdict.recovered_signer == issued.ledger.registrar.address
    # ... and is rejected both by our shape check and by the registry.
    assert not verdict.valid
    assert verdict.codes(ok=False) == {"signature_canonical", "contract_signature"}
    assert "high s" in verdict.failed()[0].detail


@pytest.mark.usefixtures("evm_snapshot")
def test_verify_recognition_by_partner(issued: Issued) -> None:
    ledger = issued.ledger
    doc = _doc(issued)
    partner = ledger.partner_org
    before = _verify(issued, doc, by_org_id=partner, recognisers=[partner, ledger.registrar_org])
    assert not before.valid
    assert before.codes(ok=False) == {"recognised"}
    assert before.recognised_by == ["0x" + ledger.registrar_org.hex()]

    ledger.send(ledger.partner, ledger.registry.functions.recognise(issued.certificate_id))
    after = _verify(issued, doc, by_org_id=partner, recognisers=[partner, ledger.registrar_org])
    assert after.valid, after.sentences()
    assert set(after.recognised_by) == {"0x" + partner.hex(), "0x" + ledger.registrar_org.hex()}


def test_verify_unknown_certificate(issued: Issued) -> None:
    doc = _doc(issued)
    data = _resign(
        doc, _set(doc.to_json_dict(), "certificateId", "0x" + "55" * 32), issued.ledger.registrar
    )
    verdict = _verify(issued, data)
    assert not verdict.valid
    assert verdict.status == "Unknown"
    assert "certificate_exists" in verdict.codes(ok=False)


@pytest.mark.usefixtures("evm_snapshot")
def test_verify_superseded_certificate_names_the_successor(issued: Issued) -> None:
    ledger = issued.ledger
    doc = _doc(issued)
    receipt = ledger.send(
        ledger.registrar,
        ledger.registry.functions.amendCertificate(issued.certificate_id, 1, b"\x66" * 32),
    )
    (event,) = ledger.registry.events.CertificateIssued().process_receipt(receipt, errors=DISCARD)
    successor = "0x" + bytes(event["args"]["certificateId"]).hex()
    verdict = _verify(issued, doc)
    assert not verdict.valid
    assert verdict.status == "Superseded"
    assert verdict.replaced_by == successor
    assert verdict.codes(ok=False) == {"status"}
    assert successor in verdict.failed()[0].detail
    new = _verify(issued, _doc(issued, bytes.fromhex(successor[2:])))
    assert new.valid, new.sentences()
    assert new.status == "Active"


def test_verdict_sentences_start_with_the_conclusion(issued: Issued) -> None:
    verdict = _verify(issued, _doc(issued), recognisers=[issued.ledger.registrar_org])
    lines = verdict.sentences()
    assert lines[0].startswith("VALID: certificate 0x")
    assert all(line.startswith("  [ok] ") for line in lines[1:-1])
    assert lines[-1].startswith("Recognised by 0x")


def _both_ways(issued: Issued, doc: Any, **kwargs: Any) -> Verdict:
    """The verdict from the registry's views, checked equal to the CertificateVerifier's."""
    verdict = _verify(issued, doc, **kwargs)
    assert _verify(issued, doc, verifier_address=issued.ledger.verifier_address, **kwargs) == (
        verdict
    )
    return verdict


@pytest.mark.usefixtures("evm_snapshot")
def test_verify_key_compromised_as_of_a_time_rejects_later_certificates_only(
    issued: Issued,
) -> None:
    ledger = issued.ledger
    new_key = Account.create()
    ledger.add_key(ledger.registrar, new_key, ledger.registrar_org)
    later_asset = ledger.register_and_value("after-the-leak")
    ledger.advance(NOTICE_WINDOW + 60)
    later = ledger.issue(later_asset)
    issued_at = int(ledger.registry.functions.certificate(later).call()[6])
    # the key itself dates its compromise back to the later certificate's issue time
    ledger.send(
        ledger.registrar,
        ledger.directory.functions.markKeyCompromised(ledger.registrar.address, issued_at),
    )
    stale = _both_ways(issued, _doc(issued, later, key=ledger.registrar))
    assert not stale.valid
    assert stale.codes(ok=False) == {"signer_registrar", "contract_signature"}
    assert stale.key_compromised_at == issued_at
    detail = next(r for r in stale.failed() if r.code == "signer_registrar").detail
    assert "marked compromised as of" in detail
    assert "compromised" in next(r for r in stale.failed() if r.code == "contract_signature").detail
    _, _, check, status = ledger.verifier.functions.verifyCertificateSignature(
        _doc(issued, later, key=ledger.registrar).message.as_tuple(),
        bytes.fromhex(_doc(issued, later, key=ledger.registrar).signature[2:]),
    ).call()
    assert (check, status) == (6, 1)  # KeyCompromised beside an Active certificate
    earlier = _both_ways(issued, _doc(issued, key=ledger.registrar))
    assert earlier.valid, earlier.sentences()  # issued before the compromise
    assert earlier.signer_key == "former"
    # the remedy: revoke with reason 6, re-issue, sign with the new key
    ledger.send(new_key, ledger.registry.functions.revokeCertificate(later, 6))
    receipt = ledger.send(new_key, ledger.registry.functions.reissueCertificate(later))
    (event,) = ledger.registry.events.CertificateIssued().process_receipt(receipt, errors=DISCARD)
    reissued = bytes(event["args"]["certificateId"])
    old = _both_ways(issued, _doc(issued, later, key=new_key))
    assert old.status == "Revoked" and old.revocation_reason == 6
    assert old.replaced_by == "0x" + reissued.hex()
    assert f"re-issued as 0x{reissued.hex()}" in next(
        r for r in old.failed() if r.code == "status"
    ).detail
    fresh = _both_ways(issued, _doc(issued, reissued, key=new_key))
    assert fresh.valid, fresh.sentences()
    assert fresh.supersedes == "0x" + later.hex()


@pytest.mark.usefixtures("evm_snapshot")
def test_verify_disputed_asset_is_reported_and_restored(issued: Issued) -> None:
    ledger = issued.ledger
    doc = _doc(issued)
    fns = ledger.registry.functions
    ledger.send(ledger.registrar, fns.recordDispute(issued.asset_id, b"\x71" * 32))
    disputed = _both_ways(issued, doc)
    assert not disputed.valid
    assert disputed.status == "Active"
    assert disputed.codes(ok=False) == {"dispute"}
    assert (disputed.disputed, disputed.usability) == (True, "Disputed")
    ledger.send(ledger.registrar, fns.resolveDispute(issued.asset_id, b"\x72" * 32))
    resolved = _both_ways(issued, doc)
    assert resolved.valid, resolved.sentences()


@pytest.mark.usefixtures("evm_snapshot")
def test_verify_certificate_of_a_suspended_registrar(issued: Issued) -> None:
    ledger = issued.ledger
    doc = _doc(issued)
    ledger.set_registrar_active(ledger.registrar_org, False)
    suspended = _both_ways(issued, doc)
    assert not suspended.valid
    assert suspended.registrar_active is False
    assert suspended.codes(ok=False) == {"registrar_active"}
    assert "suspended" in suspended.failed()[0].detail


@pytest.mark.usefixtures("evm_snapshot")
def test_verify_deregistration_certificate_is_not_usable(issued: Issued) -> None:
    ledger = issued.ledger
    receipt = ledger.send(
        ledger.registrar,
        ledger.registry.functions.amendCertificate(issued.certificate_id, 3, b"\x67" * 32),
    )
    (event,) = ledger.registry.events.CertificateIssued().process_receipt(receipt, errors=DISCARD)
    verdict = _both_ways(issued, _doc(issued, bytes(event["args"]["certificateId"])))
    assert verdict.status == "Active"
    assert verdict.usability == "Deregistered"
    assert verdict.codes(ok=False) == {"usable"}
    assert "deregist" in verdict.failed()[0].detail.lower()


def test_verify_other_types_schema_is_rejected(issued: Issued) -> None:
    doc = _doc(issued)
    data = doc.to_json_dict()
    data["types"]["Certificate"][6]["type"] = "uint256"  # issuedAt widened
    verdict = _verify(issued, _resign(doc, data, issued.ledger.registrar))
    assert not verdict.valid
    assert {"types", "contract_signature"} <= verdict.codes(ok=False)
