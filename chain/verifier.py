"""Verify a portable certificate document with nothing but an RPC endpoint and the registry.

No gateway, no database: every fact comes from the document itself and from views of the
v2 contracts on the chain the caller connects to: the AssetRegistryV2 the document names
as its EIP-712 verifying contract and, when its address is known, the CertificateVerifier
deployed with it (one eth_call for ``verify`` and one for ``verifyCertificateSignature``;
without it the same views of the registry, the OrgDirectory and UseAndFinance are read one
by one). The verdict lists every check with a stable code, whether it passed, and a
sentence saying why::

    format               the document parses as data-asset-certificate/v1
    types                the EIP-712 types are exactly the certificate schema
    domain               domain name and version are the registry's EIP-712 domain
    chain_id             the domain's chain id is the connected chain's (no replay)
    verifying_contract   the domain's contract is the registry given (no replay)
    certificate_exists   the certificate id is on chain
    field_mismatch       one per signed field that differs from the chain (names it)
    fields               all signed fields equal the on-chain certificate
    signature_canonical  65 bytes, v in {27, 28}, low s (malleated signatures rejected)
    signature            the signature recovers to the document's signer (eth-account)
    contract_signature   verifyCertificateSignature agrees (digest, low s, issuer key live
                         at issue time and not compromised as of it)
    signer_registrar     the signer is a signing account of the issuing registrar that
                         was valid at the issue time (current or former key) and not
                         marked compromised as of a time at or before it
    status               Active; otherwise Revoked (reason code; re-issued as), Expired,
                         Superseded by
    registrar_active     the issuing registrar is not suspended by governance
    dispute              no ownership dispute is recorded on the asset
    usable               (active certificates) the asset is usable, else the failing part
    recognised           recognition by the verifying org (only when one is named)

``valid`` is true exactly when every listed check passed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from web3 import Web3
from web3.contract import Contract

from chain import documents
from chain.bindings.enums import CertificateStatus, Usability, usability_words
from chain.chain_views import (
    ChainViews,
    SignatureFinding,
    VerificationUnavailable,
    contract_signature_reason,
    views_for,
)
from chain.documents import (
    CertificateDocument,
    DocumentError,
)
from chain.errors import ChainUnavailable
from chain.reader import ChainReader, Head
from chain.revocation import describe as describe_reason
from chain.verdict import (
    Reason,
    Verdict,
    check,
    check_signature_shape,
    recover_signer,
)

__all__ = [
    "ChainViews", "Reason", "SignatureFinding", "Verdict", "VerificationUnavailable",
    "verify_document",
]  # fmt: skip

_ZERO32 = "0x" + "00" * 32


def _hex(value: bytes) -> str:
    return "0x" + bytes(value).hex()


def _org_hex(org: bytes | str) -> str:
    if isinstance(org, bytes | bytearray):
        if len(org) != 32:
            raise ValueError(f"an org id is 32 bytes, got {len(org)}")
        return _hex(bytes(org))
    text = org.lower()
    if not (text.startswith("0x") and len(text) == 66):
        raise ValueError(f"an org id is 0x and 64 hex digits, got {org!r}")
    int(text, 16)
    return text


def verify_document(
    w3: Web3,
    registry_address: str,
    document: CertificateDocument | Mapping[str, Any] | str | bytes,
    by_org_id: bytes | str | None = None,
    recognisers: Iterable[bytes | str] = (),
    verifier_address: str | None = None,
    reader: ChainReader | None = None,
    head: Head | None = None,
) -> Verdict:
    """Verify ``document`` against the registry at ``registry_address`` on ``w3``'s chain.

    ``by_org_id``: the verifying organisation; when given, the certificate must be
    recognised by it (its issuer, an individual recognition, or an active agreement).
    ``recognisers``: organisations to report recognition for (does not affect validity).
    ``verifier_address``: the CertificateVerifier deployed with the registry, when known
    (its answers and the registry's certificate and signing key come in one JSON-RPC batch
    at the head block); without it the same views are read one by one.
    ``reader``: a long-lived :class:`ChainReader` of ``w3`` (the gateway's), whose head-keyed
    cache and constants serve many verifications; a new one by default.
    ``head``: the block to read at (one ``reader`` took); the head block now by default.
    Raises :class:`VerificationUnavailable` when the chain or the registry cannot be read.
    """
    reasons: list[Reason] = []
    try:
        doc = documents.parse_document(document)
    except DocumentError as exc:
        return Verdict(
            valid=False,
            status="Unknown",
            reasons=[Reason(code="format", ok=False, detail=str(exc))],
        )
    reasons.append(Reason(code="format", ok=True, detail=f"well-formed {documents.FORMAT}"))
    verdict = Verdict(
        valid=False,
        status="Unknown",
        reasons=reasons,
        certificate_id=doc.certificate_id,
        signer=doc.signer,
    )
    reasons = verdict.reasons  # the verdict's own list (pydantic copies on construction)

    reader = reader if reader is not None else ChainReader(w3)
    registry, chain_id, domain = _connect(w3, registry_address, reader)
    verdict.chain_id = chain_id
    verdict.registry = str(registry.address)

    # -- the typed data is the certificate schema under this registry's domain
    reasons.extend(
        [
            check(
                "types",
                doc.types_match(),
                "EIP-712 types are the certificate schema",
                "the EIP-712 types are not the certificate schema",
            ),
            check(
                "domain",
                (doc.domain.name, doc.domain.version) == (domain.name, domain.version),
                f"domain {domain.name!r} version {domain.version!r}",
                f"domain {doc.domain.name!r} version {doc.domain.version!r} is not the "
                f"registry's {domain.name!r} version {domain.version!r}",
            ),
            check(
                "chain_id",
                doc.domain.chainId == chain_id,
                f"signed for chain {chain_id}",
                f"signed for chain {doc.domain.chainId}, but the registry is on chain "
                f"{chain_id} (a replay from another chain)",
            ),
            check(
                "verifying_contract",
                doc.domain.verifyingContract == registry.address,
                f"signed for registry {registry.address}",
                f"signed for contract {doc.domain.verifyingContract}, not the registry "
                f"{registry.address} (a replay from another contract)",
            ),
        ]
    )

    # -- the signature
    shape = check_signature_shape(doc.signature)
    reasons.append(shape)
    recovered = recover_signer(doc)
    verdict.recovered_signer = recovered
    if recovered is not None and recovered == doc.signer:
        reasons.append(Reason(code="signature", ok=True, detail=f"signed by {recovered}"))
    elif recovered is None:
        reasons.append(Reason(code="signature", ok=False, detail="no signer can be recovered"))
    else:
        reasons.append(
            Reason(
                code="signature",
                ok=False,
                detail=f"the signature recovers to {recovered}, not the stated signer {doc.signer}",
            )
        )

    # -- the certificate on chain, with everything else the chain says about it
    cid = bytes.fromhex(doc.certificate_id[2:])
    by_hex = _org_hex(by_org_id) if by_org_id is not None else None
    views = views_for(w3, registry, domain, verifier_address, reader)
    try:
        found = views.read(cid, by_hex or _ZERO32, doc, head)
    except ChainUnavailable as exc:
        raise VerificationUnavailable(str(exc)) from exc
    cert = found.certificate
    if int(cert["issuedAt"]) == 0:
        reasons.append(
            Reason(
                code="certificate_exists",
                ok=False,
                detail=f"no certificate {doc.certificate_id} in registry {registry.address}",
            )
        )
        return _finish(verdict)
    reasons.append(Reason(code="certificate_exists", ok=True, detail="the certificate is on chain"))
    onchain = documents.message_of(cid, cert)
    verdict.issuer = onchain.registrarOrgId
    verdict.holder = onchain.holderOrgId
    verdict.asset_id = onchain.assetId
    verdict.valid_until = int(cert["validUntil"])
    supersedes = str(cert["supersedes"])
    verdict.supersedes = None if supersedes == _ZERO32 else supersedes
    mismatched = False
    for name, _type in documents.CERTIFICATE_FIELDS:
        ours, theirs = getattr(doc.message, name), getattr(onchain, name)
        if ours != theirs:
            mismatched = True
            reasons.append(
                Reason(
                    code="field_mismatch",
                    ok=False,
                    field=name,
                    detail=f"{name} in the document is {ours}, on chain it is {theirs}",
                )
            )
    if not mismatched:
        reasons.append(
            Reason(
                code="fields", ok=True, detail="every signed field equals the on-chain certificate"
            )
        )

    facts = found.verification
    finding = found.signature

    # -- the contract's check of the signature (digest from chain state, low s, key window,
    # key compromise)
    reasons.append(contract_signature_reason(finding))
    same_digest = not mismatched and {"types", "domain", "chain_id", "verifying_contract"} <= {
        r.code for r in reasons if r.ok
    }
    if same_digest and finding.check == "Valid" and finding.signer != recovered:
        # Both sides hash the same typed data here, so they must recover the same signer.
        reasons.append(
            Reason(
                code="signature_cross_check",
                ok=False,
                detail=f"the contract recovers {finding.signer}, eth-account {recovered}",
            )
        )

    # -- the signer is the issuing registrar's key, valid at issue time and not compromised
    reasons.append(_signer_reason(found.signing_key, found.now, doc.signer, onchain, verdict))

    # -- status, the registrar's standing, disputes, usability
    reasons.append(_status_reason(facts, cert, verdict))
    reasons.extend(_standing_reasons(facts, verdict))

    # -- recognition
    if by_hex is not None:
        recognised = bool(facts["recognised"])
        verdict.checked_recognisers.append(by_hex)
        if recognised:
            verdict.recognised_by.append(by_hex)
        reasons.append(
            Reason(
                code="recognised",
                ok=recognised,
                detail=f"recognised by {by_hex}"
                if recognised
                else f"not recognised by {by_hex} (no recognition and no active agreement)",
            )
        )
    for org in recognisers:
        org_hex = _org_hex(org)
        if org_hex in verdict.checked_recognisers:
            continue
        verdict.checked_recognisers.append(org_hex)
        if registry.functions.isRecognised(cid, bytes.fromhex(org_hex[2:])).call():
            verdict.recognised_by.append(org_hex)
    return _finish(verdict)


def _finish(verdict: Verdict) -> Verdict:
    verdict.valid = all(r.ok for r in verdict.reasons)
    return verdict


def _connect(
    w3: Web3, registry_address: str, reader: ChainReader
) -> tuple[Contract, int, documents.Eip712Domain]:
    """The registry, the chain id and the registry's EIP-712 domain: read once per reader
    (a deployed registry never changes them); a failure is not remembered."""
    if not Web3.is_address(registry_address):
        raise VerificationUnavailable(f"{registry_address!r} is not an address")
    address = Web3.to_checksum_address(registry_address)

    def connect() -> tuple[Contract, int, documents.Eip712Domain]:
        chain_id = int(w3.eth.chain_id)
        if not w3.eth.get_code(address):
            raise VerificationUnavailable(f"there is no contract at {address} on chain {chain_id}")
        registry = documents.registry_contract(w3, address)
        return registry, chain_id, documents.chain_domain(registry)

    try:
        return reader.constant(("registry", address), connect)
    except VerificationUnavailable:
        raise
    except DocumentError as exc:
        raise VerificationUnavailable(str(exc)) from exc
    except Exception as exc:  # transport or decoding failures, or not a registry
        raise VerificationUnavailable(
            f"cannot read the registry at {registry_address}: {exc}"
        ) from exc


def _signer_reason(
    key: Mapping[str, Any],
    now: int,
    signer: str,
    onchain: documents.CertificateMessage,
    verdict: Verdict,
) -> Reason:
    """``key``: the directory's ``signingKey(signer)``; ``now``: the head block's time."""
    org = str(key["orgId"])
    valid_from, valid_until = int(key["validFrom"]), int(key["validUntil"])
    compromised = int(key["compromisedAt"])
    issued = onchain.issuedAt
    if org == _ZERO32:
        return Reason(
            code="signer_registrar",
            ok=False,
            detail=f"{signer} is not a signing account of any organisation",
        )
    if org != onchain.registrarOrgId:
        return Reason(
            code="signer_registrar",
            ok=False,
            detail=f"{signer} signs for organisation {org}, not the issuing registrar "
            f"{onchain.registrarOrgId}",
        )
    if not (valid_from <= issued and (valid_until == 0 or issued < valid_until)):
        until = "open-ended" if valid_until == 0 else documents.format_date(valid_until)
        return Reason(
            code="signer_registrar",
            ok=False,
            detail=f"{signer} is a key of the issuing registrar, but it was not valid when the "
            f"certificate was issued on {documents.format_date(issued)} (valid "
            f"{documents.format_date(valid_from)} to {until})",
        )
    if compromised:
        verdict.key_compromised_at = compromised
    if compromised and issued >= compromised:
        return Reason(
            code="signer_registrar",
            ok=False,
            detail=f"{signer} is a key of the issuing registrar that was marked compromised as "
            f"of {documents.format_date(compromised)}; signatures by it count for no "
            f"certificate issued from then on (this one was issued on "
            f"{documents.format_date(issued)})",
        )
    current = (
        valid_from <= now
        and (valid_until == 0 or now < valid_until)
        and (compromised == 0 or now < compromised)
    )
    verdict.signer_key = "current" if current else "former"
    if current:
        return Reason(
            code="signer_registrar",
            ok=True,
            detail=f"{signer} is a current signing key of the issuing registrar",
        )
    if compromised and (valid_until == 0 or compromised < valid_until):
        ended = f"marked compromised as of {documents.format_date(compromised)}"
    else:
        ended = f"rotated out on {documents.format_date(valid_until)}"
    return Reason(
        code="signer_registrar",
        ok=True,
        detail=f"{signer} is a former key of the issuing registrar ({ended}), valid when the "
        f"certificate was issued",
    )


def _status_reason(facts: Mapping[str, Any], cert: Mapping[str, Any], verdict: Verdict) -> Reason:
    status = CertificateStatus.name_of(int(facts["status"]))
    verdict.status = status
    replaced = str(facts["replacedBy"])
    verdict.replaced_by = None if replaced == _ZERO32 else replaced
    if status == "Active":
        return Reason(
            code="status",
            ok=True,
            detail=f"active, valid until {documents.format_date(int(cert['validUntil']))}",
        )
    if status == "Revoked":
        verdict.revocation_reason = int(facts["revocationReason"])
        reissued = f"; re-issued as {verdict.replaced_by}" if verdict.replaced_by else ""
        return Reason(
            code="status",
            ok=False,
            detail=f"revoked on {documents.format_date(int(cert['revokedAt']))}: "
            f"{describe_reason(verdict.revocation_reason).en} "
            f"(reason code {verdict.revocation_reason}){reissued}",
        )
    if status == "Expired":
        return Reason(
            code="status",
            ok=False,
            detail=f"expired on {documents.format_date(int(cert['validUntil']))}",
        )
    if status == "Superseded":
        return Reason(code="status", ok=False, detail=f"superseded by {verdict.replaced_by}")
    return Reason(code="status", ok=False, detail=f"status {status}")


def _standing_reasons(facts: Mapping[str, Any], verdict: Verdict) -> list[Reason]:
    """The issuing registrar's standing, an ownership dispute and (for an active
    certificate) whether the asset is usable."""
    verdict.registrar_active = bool(facts["registrarActive"])
    verdict.disputed = bool(facts["disputed"])
    verdict.pledged = bool(facts["pledged"])
    verdict.usability = Usability.name_of(int(facts["usability"]))
    out = [
        check(
            "registrar_active",
            verdict.registrar_active,
            "the issuing registrar is active",
            "the issuing registrar is suspended by the registrars' governance",
        ),
        check(
            "dispute",
            not verdict.disputed,
            "no ownership dispute is recorded",
            "an ownership dispute over the asset is recorded; the asset may not be used "
            "until the registrar resolves it",
        ),
    ]
    if verdict.status == "Active" and verdict.usability != "Disputed":
        out.append(
            check(
                "usable",
                verdict.usability == "Usable",
                "the asset is usable (certified, current certificate in force, no dispute)",
                f"the asset is not usable: {usability_words(int(facts['usability']))}",
            )
        )
    return out
