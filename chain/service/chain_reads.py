"""Reads that prove something: straight from the registry's views, never from the store."""

from __future__ import annotations

import hashlib
from typing import Any

import anyio.to_thread
from pydantic import BaseModel, Field

from chain import verifier
from chain.bindings.calls import ViewCall, view_call
from chain.bindings.enums import Usability, usability_words
from chain.errors import ChainUnavailable, NotFound
from chain.reader import Head
from chain.revocation import describe as describe_reason
from chain.runtime import LedgerRuntime
from chain.service import certificates
from chain.service.approvals import _application
from chain.service.common import (
    APPLICATION_STATUSES,
    ASSET_STATUSES,
    CERTIFICATE_STATUSES,
    COMPLIANCE_RESULTS,
    FINANCING_KINDS,
    FINANCING_STATUSES,
    REGISTRATION_KINDS,
    REGISTRY,
    USE_AND_FINANCE,
    VERIFIER,
    ZERO32,
    b32,
    chain_asset,
    hex32,
    view,
)
from chain.service.financing import _financing


class ChainProof(BaseModel):
    """Where the values were read: chain id, registry and block."""

    chain_id: int
    registry: str
    block_number: int


class PaymentContextOut(BaseModel):
    exists: bool
    city: int
    holder_org_id: str
    operator_org_id: str
    paid_use_approved: bool
    disposed: bool
    usability: str = Field(
        description="the first part of the 'usable' rule that fails (Usable when none): "
        "UnknownAsset, NotCertified, Disposed, Deregistered, CertificateRevoked, "
        "CertificateExpired, Disputed"
    )
    usable: bool = Field(description="paid use, pledges, credit, equity and payments allowed")
    usability_text: str = Field(description="the usability part in words")


class AssetOnChain(BaseModel):
    asset_id: str
    status: str
    compliance: str
    record: dict[str, Any]
    payment_context: PaymentContextOut
    current_certificate_status: str | None
    proof: ChainProof


class CertificateStatusOut(BaseModel):
    certificate_id: str
    status: str
    kind: str
    asset_id: str
    registrar_org_id: str
    holder_org_id: str
    issued_at: int
    valid_until: int
    revocation_reason: int
    revocation_reason_name: str | None = Field(
        description="Catalogue name of the revocation reason (None unless revoked)"
    )
    revocation_reason_text: str | None = Field(
        description="The revocation reason in words (None unless revoked)"
    )
    replaced_by: str | None
    pledged: bool
    by_org_id: str | None
    recognised: bool
    disputed: bool = Field(description="the asset's ownership is disputed")
    registrar_active: bool = Field(description="false when governance suspended the issuer")
    asset_status: str
    usability: str = Field(description="the first part of 'usable' that fails, or Usable")
    proof: ChainProof


class RecordOut(BaseModel):
    id: str
    status: str
    record: dict[str, Any]
    proof: ChainProof


def proof(runtime: LedgerRuntime, head: Head | None = None) -> ChainProof:
    """Chain id, registry and the block read at (the head now unless given)."""
    at = head if head is not None else runtime.reader.head()
    return ChainProof(
        chain_id=runtime.handle.chain_id,
        registry=runtime.address(REGISTRY),
        block_number=at.number,
    )


def payment_context(runtime: LedgerRuntime, asset_id: str) -> PaymentContextOut:
    """UseAndFinance's ``paymentContext`` (what RevenueSplitV2 reads) and the holder."""
    part_code, city, operator = view(runtime, "paymentContext", b32(asset_id),
                                     contract=USE_AND_FINANCE)  # fmt: skip
    holder, _ = view(runtime, "holderOf", b32(asset_id))
    part = Usability(int(part_code))
    operator_id = hex32(bytes(operator))
    return PaymentContextOut(
        exists=part != Usability.UnknownAsset, city=int(city),
        holder_org_id=hex32(bytes(holder)), operator_org_id=operator_id,
        # a disposed or deregistered asset's approval ended with it (terminal states)
        paid_use_approved=operator_id != ZERO32
        and part not in (Usability.Disposed, Usability.Deregistered),
        disposed=part == Usability.Disposed,
        usability=Usability.name_of(part), usable=part == Usability.Usable,
        usability_text=usability_words(part),
    )  # fmt: skip


def asset_onchain(runtime: LedgerRuntime, asset_id: str) -> AssetOnChain:
    record = chain_asset(runtime, asset_id)
    current = str(record["currentCertificateId"])
    cert_status = (
        None
        if current == ZERO32
        else CERTIFICATE_STATUSES[int(view(runtime, "certificateStatus", b32(current)))]
    )
    # the v2 registry stores the valuation in its AssetValued event only
    record = {k: v for k, v in record.items()}
    return AssetOnChain(
        asset_id=hex32(asset_id),
        status=ASSET_STATUSES[int(record["status"])],
        compliance=COMPLIANCE_RESULTS[int(record["compliance"])],
        record={k: (str(v) if isinstance(v, int) and v >= 2**53 else v) for k, v in record.items()},
        payment_context=payment_context(runtime, asset_id),
        current_certificate_status=cert_status,
        proof=proof(runtime),
    )


def _status_calls(
    runtime: LedgerRuntime, cid: bytes, by: bytes
) -> list[tuple[str, ViewCall, tuple[Any, ...]]]:
    return [
        (runtime.address(REGISTRY), view_call(REGISTRY, "certificate"), (cid,)),
        (runtime.address(VERIFIER), view_call(VERIFIER, "verify"), (cid, by)),
    ]


def _status_out(
    runtime: LedgerRuntime,
    certificate_id: str,
    by_org_id: str | None,
    head: Head,
    cert: dict[str, Any],
    v: dict[str, Any],
) -> CertificateStatusOut:
    if int(cert["issuedAt"]) == 0:
        raise NotFound(f"no certificate {hex32(certificate_id)} on chain")
    replaced = str(v["replacedBy"])
    status = CERTIFICATE_STATUSES[int(v["status"])]
    reason = describe_reason(int(v["revocationReason"])) if status == "Revoked" else None
    return CertificateStatusOut(
        certificate_id=hex32(certificate_id),
        status=status,
        kind=REGISTRATION_KINDS[int(v["kind"])],
        asset_id=str(v["assetId"]),
        registrar_org_id=str(v["registrarOrgId"]),
        holder_org_id=str(v["holderOrgId"]),
        issued_at=int(cert["issuedAt"]),
        valid_until=int(v["validUntil"]),
        revocation_reason=int(v["revocationReason"]),
        revocation_reason_name=reason.name if reason else None,
        revocation_reason_text=reason.en if reason else None,
        replaced_by=None if replaced == ZERO32 else replaced,
        pledged=bool(v["pledged"]),
        by_org_id=hex32(by_org_id) if by_org_id else None,
        recognised=bool(v["recognised"]),
        disputed=bool(v["disputed"]),
        registrar_active=bool(v["registrarActive"]),
        asset_status=ASSET_STATUSES[int(v["assetStatus"])],
        usability=Usability.name_of(int(v["usability"])),
        proof=proof(runtime, head),
    )


def certificate_status(
    runtime: LedgerRuntime, certificate_id: str, by_org_id: str | None = None
) -> CertificateStatusOut:
    """``verify(certificateId, byOrgId)``: status, kind, validity, pledge and recognition.

    The registry's ``certificate`` and the verifier's ``verify`` in one JSON-RPC batch at
    the head block, answered from the reader's cache while the head does not move."""
    cid = b32(certificate_id)
    by = b32(by_org_id) if by_org_id else b32(ZERO32)
    reader = runtime.reader
    head = reader.head()
    cert, v = reader.views(head, _status_calls(runtime, cid, by))
    return _status_out(runtime, certificate_id, by_org_id, head, cert, v)


async def certificate_status_json(
    runtime: LedgerRuntime,
    certificate_id: str,
    by_org_id: str | None = None,
    arrived: float | None = None,
) -> bytes:
    """:func:`certificate_status` serialised, for an ``async`` route: the head and (when
    the head moved) the views without a thread over HTTP, the JSON built once per head,
    certificate and organisation and kept until the next block. ``arrived``: when the
    HTTP request reached the gateway (``time.monotonic()``; the head is asked after it)."""
    reader = runtime.reader
    head = await reader.head_async(arrived)
    key = ("certificate_status", certificate_id.lower(), (by_org_id or "").lower())

    async def build() -> tuple[bytes, int]:
        cid = b32(certificate_id)
        by = b32(by_org_id) if by_org_id else b32(ZERO32)
        calls = _status_calls(runtime, cid, by)
        cert, v = await reader.views_async(head, calls)
        out = _status_out(runtime, certificate_id, by_org_id, head, cert, v)
        return out.model_dump_json().encode(), len(calls)

    return await reader.answer_async(head, key, build)


async def verify_document_json(
    runtime: LedgerRuntime,
    raw_body: bytes,
    body: certificates.VerifyIn,
    arrived: float | None = None,
) -> bytes:
    """``POST /v1/verify``'s verdict serialised, kept per head and request body: the head
    without a thread over HTTP; the verification itself (signature recovery, the chain
    views pinned to that head) runs once per head and body, in a worker thread."""
    reader = runtime.reader
    head = await reader.head_async(arrived)
    key = ("verify", hashlib.blake2b(raw_body, digest_size=32).digest())

    async def build() -> tuple[bytes, int]:
        verdict = await anyio.to_thread.run_sync(_verify_at, runtime, body, head)
        return verdict.model_dump_json().encode(), VERIFY_VIEWS

    return await reader.answer_async(head, key, build)


#: the views one verification reads (certificate, verify, verifyCertificateSignature,
#: signingKey: one batch)
VERIFY_VIEWS = 4


def _verify_at(runtime: LedgerRuntime, body: certificates.VerifyIn, head: Head) -> verifier.Verdict:
    try:
        return verifier.verify_document(
            runtime.w3, runtime.deployment.address(REGISTRY), body.document, body.by_org_id,
            verifier_address=runtime.deployment.address(VERIFIER), reader=runtime.reader,
            head=head,
        )  # fmt: skip
    except verifier.VerificationUnavailable as exc:
        raise ChainUnavailable(str(exc)) from exc


def is_recognised(runtime: LedgerRuntime, certificate_id: str, org_id: str) -> bool:
    return bool(view(runtime, "isRecognised", b32(certificate_id), b32(org_id)))


def application_record(runtime: LedgerRuntime, application_id: str) -> RecordOut:
    record = _application(runtime, application_id)
    return RecordOut(id=hex32(application_id),
                     status=APPLICATION_STATUSES[int(record["status"])],
                     record=record, proof=proof(runtime))  # fmt: skip


def financing_record(runtime: LedgerRuntime, financing_id: str) -> RecordOut:
    record = _financing(runtime, financing_id)
    record = {**record, "kindName": FINANCING_KINDS[int(record["kind"])]}
    return RecordOut(id=hex32(financing_id), status=FINANCING_STATUSES[int(record["status"])],
                     record=record, proof=proof(runtime))  # fmt: skip
