"""What the chain says about a certificate document, for :mod:`chain.verifier`.

:class:`ChainViews` reads, at the head block, the registry's certificate record, the
CertificateVerifier's ``verify`` struct and ``verifyCertificateSignature`` finding, and the
OrgDirectory's record of the signer's key: with the verifier's address in one JSON-RPC
batch (:class:`chain.reader.ChainReader`, remembered until the head moves), without it
assembled from the registry's, the directory's and UseAndFinance's views one by one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from eth_account import Account
from eth_typing import ChecksumAddress
from web3 import Web3
from web3.contract import Contract

from chain import documents
from chain.bindings import contracts, structs
from chain.bindings.calls import view_call
from chain.bindings.contracts import DIRECTORY, REGISTRY, USE_AND_FINANCE, VERIFIER
from chain.bindings.enums import CertificateStatus, SignatureCheck, Usability
from chain.documents import CertificateDocument
from chain.reader import ChainReader, Head
from chain.verdict import Reason, check_signature_shape, signature_parts


class VerificationUnavailable(RuntimeError):
    """The chain could not be asked (no node, or no registry at the address)."""


@dataclass(frozen=True)
class SignatureFinding:
    """``verifyCertificateSignature``: what the contract found about a document."""

    valid: bool
    signer: str | None
    check: str  # a SignatureCheck name
    status: str  # a CertificateStatus name


def finding(answer: Any) -> SignatureFinding:
    """``verifyCertificateSignature``'s four outputs (a tuple or a dict by name)."""
    if isinstance(answer, Mapping):
        answer = tuple(answer.values())
    valid, signer, check, status = answer
    zero = int(str(signer), 16) == 0
    return SignatureFinding(
        valid=bool(valid), signer=None if zero else Web3.to_checksum_address(str(signer)),
        check=SignatureCheck.name_of(int(check)),
        status=CertificateStatus.name_of(int(status)),
    )  # fmt: skip


NO_SIGNATURE = SignatureFinding(False, None, "UnknownCertificate", "Unknown")


@dataclass(frozen=True)
class ChainFacts:
    """What one verification read: the certificate record, ``verify``'s struct, the
    contract's signature check, the signer's key window and the head block's time."""

    certificate: dict[str, Any]
    verification: dict[str, Any]
    signature: SignatureFinding
    signing_key: dict[str, Any]
    now: int


class ChainViews:
    """What the CertificateVerifier answers about a certificate.

    With the verifier's address each answer is one ``eth_call`` (``verify``,
    ``verifyCertificateSignature``). Without it (only the registry's address is known) the
    same answers are assembled from the views the CertificateVerifier itself reads: the
    registry's, the OrgDirectory's and UseAndFinance's.
    """

    def __init__(
        self,
        registry: Contract,
        domain: documents.Eip712Domain,
        verifier: Contract | None,
        reader: ChainReader,
    ) -> None:
        self.registry = registry
        self.domain = domain
        self.verifier = verifier
        self.reader = reader
        self.directory = reader.constant(
            ("directory", registry.address), lambda: documents.directory_contract(registry)
        )

    def read(
        self, cid: bytes, by_org_hex: str, doc: CertificateDocument, head: Head | None = None
    ) -> ChainFacts:
        """Everything a verification needs from the chain, at ``head`` (the head block now
        unless given).

        With the verifier: the registry's ``certificate``, the verifier's ``verify`` and
        ``verifyCertificateSignature`` and the directory's ``signingKey`` of the document's
        signer in one JSON-RPC batch (remembered until the head moves)."""
        head = head if head is not None else self.reader.head()
        signer = Web3.to_checksum_address(doc.signer)
        if self.verifier is None:
            cert = self.reader.view(head, self.registry.address,
                                    view_call(REGISTRY, "certificate"), cid)  # fmt: skip
            if int(cert["issuedAt"]) == 0:
                return ChainFacts(cert, {}, NO_SIGNATURE, {}, head.timestamp)
            return ChainFacts(
                cert,
                self.verification(cid, by_org_hex),
                self.signature_check(doc),
                structs.read_struct(self.directory, "signingKey", signer),
                head.timestamp,
            )
        by = bytes.fromhex(by_org_hex[2:])
        signature = bytes.fromhex(doc.signature[2:])
        verifier = str(self.verifier.address)
        cert, verification, checked, key = self.reader.views(head, [
            (str(self.registry.address), view_call(REGISTRY, "certificate"), (cid,)),
            (verifier, view_call(VERIFIER, "verify"), (cid, by)),
            (verifier, view_call(VERIFIER, "verifyCertificateSignature"),
             (doc.message.as_tuple(), signature)),
            (str(self.directory.address), view_call(DIRECTORY, "signingKey"), (signer,)),
        ])  # fmt: skip
        return ChainFacts(cert, verification, finding(checked), key, head.timestamp)

    def verification(self, cid: bytes, by_org_hex: str) -> dict[str, Any]:
        """The ``Verification`` struct of ``verify(certificateId, byOrgId)``."""
        by = bytes.fromhex(by_org_hex[2:])
        if self.verifier is not None:
            return structs.read_struct(self.verifier, "verify", cid, by)
        r = self.registry.functions
        c = structs.read_struct(self.registry, "certificate", cid)
        v: dict[str, Any] = {
            "status": int(r.certificateStatus(cid).call()), "kind": c["kind"],
            "assetId": c["assetId"], "registrarOrgId": c["registrarOrgId"],
            "holderOrgId": c["holderOrgId"], "validUntil": c["validUntil"],
            "revocationReason": c["revocationReason"], "replacedBy": c["replacedBy"],
            "pledged": False, "recognised": False, "disputed": False,
            "registrarActive": False, "assetStatus": 0, "usability": int(Usability.UnknownAsset),
        }  # fmt: skip
        if v["status"] == int(CertificateStatus.Unknown):
            return v
        asset = bytes.fromhex(str(c["assetId"])[2:])
        state = structs.read_struct(self.registry, "assetState", asset)
        use = self.registry.w3.eth.contract(
            address=r.useAndFinance().call(), abi=contracts.abi(USE_AND_FINANCE)
        )
        v["pledged"] = bytes(use.functions.pledgeOf(asset).call()) != bytes(32)
        v["recognised"] = bool(r.isRecognised(cid, by).call())
        v["disputed"] = bool(state["disputed"])
        registrar = structs.read_struct(self.directory, "org", c["registrarOrgId"])
        v["registrarActive"] = bool(registrar["active"])
        v["assetStatus"] = int(state["status"])
        v["usability"] = int(r.usability(asset).call()[0])
        return v

    def signature_check(self, doc: CertificateDocument) -> SignatureFinding:
        """``verifyCertificateSignature(document, signature)``."""
        signature = bytes.fromhex(doc.signature[2:])
        if self.verifier is not None:
            return finding(self.verifier.functions.verifyCertificateSignature(
                doc.message.as_tuple(), signature
            ).call())  # fmt: skip
        return self._signature_from_views(doc, signature)

    def _signature_from_views(self, doc: CertificateDocument, signature: bytes) -> SignatureFinding:
        r = self.registry.functions
        cid = bytes.fromhex(doc.certificate_id[2:])
        status = CertificateStatus.name_of(int(r.certificateStatus(cid).call()))

        def found(check: SignatureCheck, signer: str | None = None) -> SignatureFinding:
            valid = check == SignatureCheck.Valid and status == "Active"
            return SignatureFinding(valid, signer, SignatureCheck.name_of(int(check)), status)

        if status == "Unknown":
            return found(SignatureCheck.UnknownCertificate)
        digest = bytes(r.certificateDigest(cid).call())
        ours = documents.digest(documents.typed_data(self.domain, doc.message))
        if ours != digest:
            return found(SignatureCheck.DocumentMismatch)
        if len(signature) != 65 or not check_signature_shape(doc.signature).ok:
            return found(SignatureCheck.BadSignature)
        rr, ss, v = signature_parts(doc.signature)
        try:
            signer = str(Account._recover_hash(digest, vrs=(v, rr, ss)))
        except Exception:  # no signer: what ECDSA.tryRecover reports as an error
            return found(SignatureCheck.BadSignature)
        key = structs.read_struct(self.directory, "signingKey", signer)
        issued = doc.message.issuedAt
        if int(key["orgId"], 16) == 0 or key["orgId"] != doc.message.registrarOrgId:
            return found(SignatureCheck.NotIssuerKey, signer)
        until = int(key["validUntil"])
        if int(key["validFrom"]) > issued or (until != 0 and issued >= until):
            return found(SignatureCheck.KeyNotLiveAtIssue, signer)
        compromised = int(key["compromisedAt"])
        if compromised != 0 and issued >= compromised:
            return found(SignatureCheck.KeyCompromised, signer)
        return found(SignatureCheck.Valid, signer)


def views_for(
    w3: Web3,
    registry: Contract,
    domain: documents.Eip712Domain,
    verifier_address: str | None,
    reader: ChainReader,
) -> ChainViews:
    """The views of ``registry``, through the CertificateVerifier at ``verifier_address``
    when given (checked once per reader to read that registry)."""
    if verifier_address is None:
        return ChainViews(registry, domain, None, reader)
    address = Web3.to_checksum_address(verifier_address)
    verifier = reader.constant(
        ("verifier", address, registry.address),
        lambda: _bound_verifier(w3, address, registry, verifier_address),
    )
    return ChainViews(registry, domain, verifier, reader)


def _bound_verifier(
    w3: Web3, address: ChecksumAddress, registry: Contract, verifier_address: str
) -> Contract:
    verifier = w3.eth.contract(address=address, abi=contracts.abi(VERIFIER))
    try:
        bound = str(verifier.functions.registry().call())
    except Exception as exc:  # no verifier at the address
        raise VerificationUnavailable(
            f"there is no certificate verifier at {verifier_address}: {exc}"
        ) from exc
    if bound != registry.address:
        raise VerificationUnavailable(
            f"the certificate verifier at {verifier_address} reads registry {bound}, "
            f"not {registry.address}"
        )
    return verifier


_CHECK_SENTENCES = {
    "Valid": "the contract confirms the signature and the signer's key",
    "UnknownCertificate": "the registry knows no such certificate",
    "DocumentMismatch": "the contract does not accept this signature for this certificate "
    "(the signed data differs from the registry's record)",
    "BadSignature": "the contract rejects the signature (not a canonical ECDSA signature)",
    "NotIssuerKey": "the contract does not accept this signature for this certificate "
    "(the signer is not a key of the issuing registrar)",
    "KeyNotLiveAtIssue": "the contract does not accept this signature for this certificate "
    "(the signer's key was not valid when the certificate was issued)",
    "KeyCompromised": "the contract does not accept this signature: the signing key was "
    "marked compromised as of a time at or before the certificate was issued",
}


def contract_signature_reason(check: SignatureFinding) -> Reason:
    return Reason(
        code="contract_signature",
        ok=check.check == "Valid",
        detail=_CHECK_SENTENCES.get(check.check, f"signature check {check.check}"),
    )
