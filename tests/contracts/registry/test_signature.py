"""EIP-712 certificate signatures: made independently with eth-account, checked on chain."""

from __future__ import annotations

from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount

from tests.contracts.registry.conftest import DEFAULT_TERM, Ledger, key_for

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141

TYPES = {
    "Certificate": [
        {"name": "certificateId", "type": "bytes32"},
        {"name": "assetId", "type": "bytes32"},
        {"name": "registrarOrgId", "type": "bytes32"},
        {"name": "holderOrgId", "type": "bytes32"},
        {"name": "metadataHash", "type": "bytes32"},
        {"name": "kind", "type": "uint8"},
        {"name": "issuedAt", "type": "uint64"},
    ]
}


def document(led: Ledger, cert_id: bytes) -> dict[str, Any]:
    c = led.record("certificate", cert_id)
    return {
        "certificateId": cert_id,
        "assetId": c["assetId"],
        "registrarOrgId": c["registrarOrgId"],
        "holderOrgId": c["holderOrgId"],
        "metadataHash": c["metadataHash"],
        "kind": c["kind"],
        "issuedAt": c["issuedAt"],
    }


def domain(led: Ledger, chain_id: int | None = None, contract: str | None = None) -> dict[str, Any]:
    return {
        "name": "DataAssetLedger",
        "version": "1",
        "chainId": chain_id if chain_id is not None else led.w3.eth.chain_id,
        "verifyingContract": contract or led.reg.address,
    }


def sign(signer: LocalAccount, dom: dict[str, Any], doc: dict[str, Any]) -> tuple[bytes, bytes]:
    """(signature, digest) made by eth-account alone."""
    msg = encode_typed_data(domain_data=dom, message_types=TYPES, message_data=doc)
    signed = Account.sign_message(msg, signer.key)
    return bytes(signed.signature), bytes(signed.message_hash)


def as_tuple(doc: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(doc[f["name"]] for f in TYPES["Certificate"])


def check(led: Ledger, doc: dict[str, Any], sig: bytes) -> tuple[bool, str]:
    valid, signer = led.call("verifyCertificateSignature", as_tuple(doc), sig)
    return valid, signer


def test_verify_certificate_signature_made_by_eth_account_is_valid(led: Ledger) -> None:
    _, cert_id = led.certified()
    doc = document(led, cert_id)
    sig, digest = sign(key_for("registrar"), domain(led), doc)
    assert led.call("certificateDigest", cert_id) == digest
    assert check(led, doc, sig) == (True, led.addr("registrar"))


def test_verify_certificate_signature_tampered_document_is_invalid(led: Ledger) -> None:
    _, cert_id = led.certified()
    doc = document(led, cert_id)
    sig, _ = sign(key_for("registrar"), domain(led), doc)
    forged = dict(doc, metadataHash=b"\x11" * 32)
    assert check(led, forged, sig)[0] is False
    forged_sig, _ = sign(key_for("registrar"), domain(led), forged)
    assert check(led, forged, forged_sig)[0] is False


def test_verify_certificate_signature_other_chain_or_contract_is_replay(led: Ledger) -> None:
    _, cert_id = led.certified()
    doc = document(led, cert_id)
    for dom in (domain(led, chain_id=1), domain(led, contract="0x" + "22" * 20)):
        sig, _ = sign(key_for("registrar"), dom, doc)
        assert check(led, doc, sig)[0] is False


def test_verify_certificate_signature_wrong_signer_is_invalid(led: Ledger) -> None:
    _, cert_id = led.certified()
    doc = document(led, cert_id)
    for label in ("holder", "xm_registrar", "stranger"):
        sig, _ = sign(key_for(label), domain(led), doc)
        valid, signer = check(led, doc, sig)
        assert valid is False and signer == led.addr(label)


def test_verify_certificate_signature_high_s_malleated_is_rejected(led: Ledger) -> None:
    _, cert_id = led.certified()
    doc = document(led, cert_id)
    sig, _ = sign(key_for("registrar"), domain(led), doc)
    r, s, v = sig[:32], int.from_bytes(sig[32:64], "big"), sig[64]
    malleated = r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])  # 27 <-> 28
    assert check(led, doc, malleated)[0] is False
    assert check(led, doc, sig[:64])[0] is False  # wrong length


def test_verify_certificate_signature_rotated_key_keeps_old_certificates(led: Ledger) -> None:
    _, old_cert = led.certified("old")
    old_doc = document(led, old_cert)
    old_sig, _ = sign(key_for("registrar"), domain(led), old_doc)
    # rotate: add spare1 as the new registrar key, remove the old one
    led.tx("registrar", "addSigningAccount", led.orgs["registrar"], led.addr("spare1"), 0)
    led.tx("spare1", "removeSigningAccount", led.addr("registrar"))
    assert check(led, old_doc, old_sig) == (True, led.addr("registrar"))
    # a certificate issued after rotation: the old key no longer signs validly
    asset_id = led.register("new")
    led.tx("spare1", "recordValuation", asset_id, 10, 1, b"\x01" * 32)
    led.tx("spare1", "recordCompliance", asset_id, True, b"\x02" * 32)
    led.travel(10 * 86400)
    r = led.tx("spare1", "issueCertificate", asset_id)
    new_cert = led.event(r, "CertificateIssued")["certificateId"]
    new_doc = document(led, new_cert)
    stale, _ = sign(key_for("registrar"), domain(led), new_doc)
    assert check(led, new_doc, stale)[0] is False
    fresh, _ = sign(key_for("spare1"), domain(led), new_doc)
    assert check(led, new_doc, fresh) == (True, led.addr("spare1"))
    # expiry of the certificate does not change signature validity; status does
    led.travel(DEFAULT_TERM)
    assert check(led, new_doc, fresh)[0] is True


def test_verify_certificate_signature_unknown_certificate_is_invalid(led: Ledger) -> None:
    doc = {f["name"]: (0 if f["type"] != "bytes32" else b"\x05" * 32) for f in TYPES["Certificate"]}
    sig, _ = sign(key_for("registrar"), domain(led), doc)
    assert check(led, doc, sig)[0] is False
