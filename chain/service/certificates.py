"""Certificates: issue, amend (change, correction, deregistration), renew, revoke;
mutual recognition (per certificate, and bilateral agreements between registrars);
the signed portable document, its PDF and verification of a document."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field
from web3 import Web3
from web3.exceptions import BlockNotFound

from chain import documents, store_queries, verifier
from chain.accounts import Principal
from chain.bindings import structs
from chain.bindings.enums import RegistrationKind
from chain.commitments import commit
from chain.documents import CertificateDocument, DocumentError
from chain.errors import (
    ChainUnavailable,
    Conflict,
    NotAuthorised,
    NotFound,
    RendererUnavailable,
)
from chain.inputs import RequestModel, int_code
from chain.revocation import ManualRevocationReason
from chain.runtime import LedgerRuntime
from chain.service import asset_documents as docs
from chain.service.common import (
    AGREEMENT_STATUSES,
    DIRECTORY,
    REGISTRY,
    VERIFIER,
    Bytes32,
    Created,
    JsonDocument,
    agreement_id_for,
    b32,
    certificate_id_for,
    chain_asset,
    chain_certificate,
    created_id,
    hex32,
    require_kind,
    struct,
    submit,
)
from chain.txpipe import Operation

#: Who issues, renews and revokes certificates (the registrar of the asset's city).
ISSUERS = ("registrar",)

AMENDMENT_KINDS: dict[str, int] = {
    "change": RegistrationKind.Change,
    "correction": RegistrationKind.Correction,
    "deregistration": RegistrationKind.Deregistration,
}
#: Revocation reasons after which the registrar re-issues (registration error, key compromise).
REISSUE_REASONS = (2, 6)


class CertificateIssueIn(RequestModel):
    """Issue the initial registration certificate (no fields: the chain holds them)."""


class AmendmentIn(RequestModel):
    kind: Literal["change", "correction", "deregistration"] = Field(examples=["correction"])
    metadata: JsonDocument = Field(
        examples=[{"title": "city transport analysis data resource set", "items": 14}],
        description="The new metadata document (or the deregistration record); committed salted",
    )


class RenewalIn(RequestModel):
    """Extend the certificate by one term from max(validUntil, now)."""


class RevocationIn(RequestModel):
    reason_code: int_code(ManualRevocationReason) = Field(  # type: ignore[valid-type]
        examples=[2],
        description="Revocation reason from the catalogue: 2 registration error, 3 holder's "
        "request, 4 objection upheld, 5 authority or court order, 6 issuing key compromised, "
        "99 other (1, disposal, is recorded by the registry itself)",
    )


class ReissueIn(RequestModel):
    """Re-issue a certificate revoked for reason 2 or 6 (no fields: the chain holds them)."""


class AgreementIn(RequestModel):
    partner_org_id: Bytes32 = Field(description="The partner city's registrar org id")


class VerifyIn(RequestModel):
    document: dict[str, Any] = Field(description="A signed data-asset-certificate/v1 document")
    by_org_id: Bytes32 | None = Field(
        default=None, description="Verify for this organisation: it must recognise the certificate"
    )


class AgreementPublic(BaseModel):
    agreement_id: str
    proposer_org_id: str
    partner_org_id: str
    status: str
    updated_at: int


def _registrar_acting_on(runtime: LedgerRuntime, principal: Principal, certificate_id: str,
                         action: str) -> dict[str, Any]:  # fmt: skip
    cert = chain_certificate(runtime, certificate_id)
    asset = chain_asset(runtime, str(cert["assetId"]))
    require_kind(principal, action, "registrar", city=int(asset["city"]))
    return asset


def issue_certificate(
    runtime: LedgerRuntime,
    principal: Principal,
    asset_id: str,
    body: CertificateIssueIn | None = None,
    *,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
) -> Created:
    """The asset city's registrar issues the initial certificate after the notice window."""
    asset = chain_asset(runtime, asset_id)
    require_kind(principal, "issuing a certificate", *ISSUERS, city=int(asset["city"]))
    op = submit(runtime, principal, "issueCertificate", [b32(asset_id)],
                idempotency_key=idempotency_key, request_hash=request_hash)  # fmt: skip
    return Created(op, certificate_id_for(principal.org_id, asset_id, int(asset["nonce"])),
                   "certificate")  # fmt: skip


def amend_certificate(
    runtime: LedgerRuntime,
    principal: Principal,
    certificate_id: str,
    body: AmendmentIn,
    *,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
) -> Created:
    """Change, correction or deregistration: a new record supersedes the certificate."""
    asset = _registrar_acting_on(runtime, principal, certificate_id, f"a {body.kind}")
    metadata = commit(body.metadata)
    op = submit(
        runtime, principal, "amendCertificate",
        [b32(certificate_id), AMENDMENT_KINDS[body.kind], metadata.digest],
        idempotency_key=idempotency_key, request_hash=request_hash,
    )  # fmt: skip
    asset_id = str(chain_certificate(runtime, certificate_id)["assetId"])
    new_id = certificate_id_for(principal.org_id, asset_id, int(asset["nonce"]))
    if str(op.args[2]).lower() == metadata.digest_hex:
        docs.save(runtime, docs.CommittedDocument(
            digest=metadata.digest_hex, purpose=f"certificate-{body.kind}", subject_id=new_id,
            org_id=principal.org_id, document=body.metadata, salt=metadata.salt_hex,
        ))  # fmt: skip
    return Created(op, new_id, "certificate")


def renew_certificate(
    runtime: LedgerRuntime,
    principal: Principal,
    certificate_id: str,
    body: RenewalIn | None = None,
    *,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
) -> Operation:
    _registrar_acting_on(runtime, principal, certificate_id, "renewing a certificate")
    return submit(runtime, principal, "renewCertificate", [b32(certificate_id)],
                  idempotency_key=idempotency_key, request_hash=request_hash)  # fmt: skip


def revoke_certificate(
    runtime: LedgerRuntime,
    principal: Principal,
    certificate_id: str,
    body: RevocationIn,
    *,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
) -> Operation:
    """The issuing registrar (the asset city's) revokes the current certificate."""
    cert = chain_certificate(runtime, certificate_id)
    require_kind(principal, "revoking a certificate", "registrar")
    if principal.org_id != str(cert["registrarOrgId"]):
        raise NotAuthorised(
            f"certificate {hex32(certificate_id)} is revoked by its issuing registrar "
            f"{cert['registrarOrgId']}, not by {principal.org_id}"
        )
    args = [b32(certificate_id), int(body.reason_code)]
    return submit(runtime, principal, "revokeCertificate", args,
                  idempotency_key=idempotency_key, request_hash=request_hash)  # fmt: skip


def reissue_certificate(
    runtime: LedgerRuntime,
    principal: Principal,
    certificate_id: str,
    body: ReissueIn | None = None,
    *,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
) -> Created:
    """After a revocation for registration error (2) or key compromise (6), the asset
    city's registrar issues a new certificate (same kind and metadata, new id and term)
    that supersedes the revoked one; the asset does not go through notice again. The
    contract refuses any other certificate with ``NotReissuable``."""
    cert = chain_certificate(runtime, certificate_id)
    asset = _registrar_acting_on(runtime, principal, certificate_id, "re-issuing a certificate")
    op = submit(runtime, principal, "reissueCertificate", [b32(certificate_id)],
                idempotency_key=idempotency_key, request_hash=request_hash)  # fmt: skip
    new_id = certificate_id_for(principal.org_id, str(cert["assetId"]), int(asset["nonce"]))
    return Created(op, created_id(op, "certificateId", new_id), "certificate")


def recognise(
    runtime: LedgerRuntime,
    principal: Principal,
    certificate_id: str,
    *,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
) -> Operation:
    """A partner registrar or an exchange recognises one active certificate."""
    require_kind(principal, "recognising a certificate", "registrar", "exchange")
    chain_certificate(runtime, certificate_id)
    return submit(runtime, principal, "recognise", [b32(certificate_id)],
                  idempotency_key=idempotency_key, request_hash=request_hash)  # fmt: skip


def withdraw_recognition(
    runtime: LedgerRuntime,
    principal: Principal,
    certificate_id: str,
    *,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
) -> Operation:
    require_kind(principal, "withdrawing a recognition", "registrar", "exchange")
    chain_certificate(runtime, certificate_id)
    return submit(runtime, principal, "withdrawRecognition", [b32(certificate_id)],
                  idempotency_key=idempotency_key, request_hash=request_hash)  # fmt: skip


# -- agreements ------------------------------------------------------------------------


def agreement_record(runtime: LedgerRuntime, agreement_id: str) -> AgreementPublic:
    record = struct(runtime, "agreement", b32(agreement_id), contract=DIRECTORY)
    status = int(record["status"])
    if status == 0:
        raise NotFound(f"no agreement {hex32(agreement_id)} on chain")
    return AgreementPublic(
        agreement_id=hex32(agreement_id),
        proposer_org_id=str(record["proposerOrgId"]),
        partner_org_id=str(record["partnerOrgId"]),
        status=AGREEMENT_STATUSES[status],
        updated_at=int(record["updatedAt"]),
    )


def propose_agreement(
    runtime: LedgerRuntime,
    principal: Principal,
    body: AgreementIn,
    *,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
) -> Created:
    require_kind(principal, "proposing a recognition agreement", "registrar")
    op = submit(runtime, principal, "proposeAgreement", [b32(body.partner_org_id)],
                contract=DIRECTORY, idempotency_key=idempotency_key,
                request_hash=request_hash)  # fmt: skip
    return Created(op, agreement_id_for(principal.org_id, body.partner_org_id), "agreement")


def accept_agreement(
    runtime: LedgerRuntime,
    principal: Principal,
    agreement_id: str,
    *,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
) -> Operation:
    """The partner registrar signs (accepts) a proposed agreement."""
    require_kind(principal, "signing a recognition agreement", "registrar")
    record = agreement_record(runtime, agreement_id)
    if principal.org_id != record.partner_org_id:
        raise NotAuthorised(
            f"agreement {record.agreement_id} is signed by the partner registrar "
            f"{record.partner_org_id}, not by {principal.org_id}"
        )
    return submit(runtime, principal, "acceptAgreement", [b32(record.proposer_org_id)],
                  contract=DIRECTORY, idempotency_key=idempotency_key,
                  request_hash=request_hash)  # fmt: skip


def withdraw_agreement(
    runtime: LedgerRuntime,
    principal: Principal,
    agreement_id: str,
    *,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
) -> Operation:
    """Either registrar withdraws a proposed or active agreement, at once."""
    require_kind(principal, "withdrawing a recognition agreement", "registrar")
    record = agreement_record(runtime, agreement_id)
    parties = {record.proposer_org_id, record.partner_org_id}
    if principal.org_id not in parties:
        raise NotAuthorised(
            f"agreement {record.agreement_id} is withdrawn by one of its registrars only"
        )
    (other,) = parties - {principal.org_id}
    return submit(runtime, principal, "withdrawAgreement", [b32(other)], contract=DIRECTORY,
                  idempotency_key=idempotency_key, request_hash=request_hash)  # fmt: skip


def list_agreements(runtime: LedgerRuntime, principal: Principal) -> list[AgreementPublic]:
    """The agreements (a registrar sees those it is a party to), read from the indexed
    store and brought to the chain's head: the directory's ``AgreementChanged`` logs of
    the blocks the store has not indexed yet (none once the indexer has caught up) are
    laid over the stored rows, so a proposal, signature or withdrawal shows in the next
    request on every gateway. With no store yet, or one indexed to a block the chain no
    longer has, the logs since deployment are read instead. In first-proposed order."""
    directory = runtime.contract(DIRECTORY)
    party = principal.org_id.lower() if principal.org_kind == "registrar" else None
    with runtime.sessions() as session:
        indexed = store_queries.indexed_agreements(
            session, runtime.deployment.chain_id, directory.address, party
        )
    start = runtime.deployment.deployment_block if runtime.deployment.contracts else 0
    found: dict[str, AgreementPublic] = {}
    if indexed is not None and _on_chain(runtime, indexed.block, indexed.block_hash):
        for item in indexed.items:
            status = _STORE_AGREEMENT_STATUS.get(item["status"], item["status"])
            found[item["agreement_id"]] = AgreementPublic(**{**item, "status": status})
        start = indexed.block + 1
    head = int(runtime.w3.eth.block_number)
    if start > head:
        return list(found.values())
    event = directory.events.AgreementChanged
    for log in event().get_logs(from_block=start, to_block=head):
        args = structs.event_args(event.abi, log["args"])
        ag = args["agreement"]
        record = AgreementPublic(
            agreement_id=hex32(args["agreementId"]),
            proposer_org_id=str(ag["proposerOrgId"]).lower(),
            partner_org_id=str(ag["partnerOrgId"]).lower(),
            status=AGREEMENT_STATUSES[int(ag["status"])],
            updated_at=int(ag["updatedAt"]),
        )
        if party is None or party in (record.proposer_org_id, record.partner_org_id):
            found[record.agreement_id] = record
    return [a for a in found.values() if a.status != AGREEMENT_STATUSES[0]]


#: The store's agreement status names -> the contract's.
_STORE_AGREEMENT_STATUS = {name.lower(): name for name in AGREEMENT_STATUSES}


def _on_chain(runtime: LedgerRuntime, block: int, block_hash: str) -> bool:
    """Whether the chain still has the block the store was indexed to (no reorg since)."""
    try:
        found = runtime.w3.eth.get_block(block)
    except BlockNotFound:
        return False
    return "0x" + bytes(found["hash"]).hex() == block_hash.lower()


# -- portable documents ----------------------------------------------------------------


def certificate_document(
    runtime: LedgerRuntime, certificate_id: str, verify_base_url: str
) -> CertificateDocument:
    """The signed document: stored after the first signing; signed here with the issuing
    registrar's key when this gateway holds it and the key was valid at issuance."""
    cid = hex32(certificate_id)
    stored = docs.signed_certificate(runtime, cid)
    if stored is not None:
        return documents.parse_document(stored.document)
    cert = chain_certificate(runtime, cid)
    registrar = str(cert["registrarOrgId"])
    org = runtime.accounts.find_org(registrar)
    if org is None:
        raise NotFound(
            f"certificate {cid} was issued by registrar {registrar}, whose gateway signs its "
            "document; this gateway does not hold that key"
        )
    account = runtime.signer_for_org(registrar)
    window = struct(runtime, "signingKey", Web3.to_checksum_address(account.address),
                    contract=DIRECTORY)  # fmt: skip
    issued = int(cert["issuedAt"])
    valid = (
        str(window["orgId"]) == registrar
        and int(window["validFrom"]) <= issued
        and (int(window["validUntil"]) == 0 or issued < int(window["validUntil"]))
        and (int(window["compromisedAt"]) == 0 or issued < int(window["compromisedAt"]))
    )
    if not valid:
        raise Conflict(
            f"the registrar's current key {account.address} was not its signing key when "
            f"certificate {cid} was issued; the document can no longer be signed"
        )
    try:
        document = documents.build_document(
            runtime.w3, runtime.deployment.address(REGISTRY), cid, account, verify_base_url
        )
    except DocumentError as exc:
        raise NotFound(str(exc)) from exc
    docs.save(runtime, docs.SignedCertificate(
        certificate_id=cid, registrar_org_id=registrar, signer=account.address,
        document=document.to_canonical_json().decode("utf-8"),
    ))  # fmt: skip
    return document


def certificate_pdf(runtime: LedgerRuntime, certificate_id: str, verify_base_url: str) -> bytes:
    from chain import pdf

    document = certificate_document(runtime, certificate_id, verify_base_url)
    cert = chain_certificate(runtime, certificate_id)
    holder = runtime.accounts.find_org(str(cert["holderOrgId"]))
    registrar = runtime.accounts.find_org(str(cert["registrarOrgId"]))
    view_ = documents.load_view(
        runtime.w3, runtime.deployment.address(REGISTRY), hex32(certificate_id),
        holder_name=holder.name if holder else None,
        registrar_name=registrar.name if registrar else None,
    )  # fmt: skip
    link = documents.verify_link(verify_base_url, hex32(certificate_id))
    try:
        return pdf.render_certificate_pdf(document, view_, link)
    except pdf.FontMissing as exc:
        raise RendererUnavailable(f"the certificate cannot be printed here: {exc}") from exc


def verify_document(runtime: LedgerRuntime, body: VerifyIn) -> verifier.Verdict:
    """Verify a signed document against this chain's registry (anyone, no key)."""
    try:
        return verifier.verify_document(
            runtime.w3, runtime.deployment.address(REGISTRY), body.document, body.by_org_id,
            verifier_address=runtime.deployment.address(VERIFIER), reader=runtime.reader,
        )
    except verifier.VerificationUnavailable as exc:
        raise ChainUnavailable(str(exc)) from exc
