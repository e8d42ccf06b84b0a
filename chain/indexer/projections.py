"""Projections: one plain handler per event name, applied in chain order.

Every projection row is a pure function of the ordered raw events: handlers read only
the event and rows that earlier events wrote. After a reorg the indexer deletes the
orphaned raw events and rebuilds the projections by replaying the remaining events
(``rebuild``), so the store always equals a fresh replay of the canonical chain.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from chain.indexer.models import (
    PROJECTION_TABLES,
    AgreementRow,
    ApplicationRow,
    AssetRow,
    CertificateRow,
    FinancingRow,
    OrgRow,
    PaymentRow,
    RawEvent,
    RecognitionRow,
    ScheduleRow,
)

ZERO = "0x" + "00" * 32

ORG_KINDS = (
    "none", "registrar", "holder", "competent_department", "data_administration",
    "finance_department", "operator", "merchant", "exchange", "bank", "auditor",
)  # fmt: skip
ASSET_STATUS = ("none", "registered", "in_notice", "certified", "disposed", "deregistered")
COMPLIANCE = ("none", "passed", "failed")
REGISTRATION_KINDS = ("initial", "change", "correction", "deregistration")
CERTIFICATE_STATUS = ("unknown", "active", "revoked", "expired", "superseded")
APPLICATION_STATUS = ("none", "applied", "approved", "rejected")
AGREEMENT_STATUS = ("none", "proposed", "active", "withdrawn")
FINANCING_KINDS = ("pledge", "credit_line", "equity_contribution")
FINANCING_STATUS = ("none", "requested", "active", "released", "recorded")
OBJECTION_UPHELD = 2


def _name(names: tuple[str, ...], value: int) -> str:
    return names[value] if 0 <= value < len(names) else str(value)


class RowSource(Protocol):
    """What handlers need of a store: rows by primary key, and adding new ones. A database
    session is one; the consistency check replays into an in-memory one."""

    def get(self, entity: Any, ident: Any) -> Any: ...

    def add(self, instance: Any) -> None: ...


@dataclass(frozen=True)
class EventContext:
    """The event a handler applies, with its position in the chain."""

    session: RowSource
    event: str
    args: dict[str, Any]
    block_number: int
    log_index: int
    tx_hash: str
    timestamp: int


Handler = Callable[[EventContext], None]
HANDLERS: dict[str, Handler] = {}


def handles(*names: str) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        for name in names:
            HANDLERS[name] = func
        return func

    return register


def _position(row: Any, ctx: EventContext, created: bool) -> None:
    """Stamp the row's position; a new row joins the session only now, complete."""
    if created:
        row.first_block = ctx.block_number
        row.first_log_index = ctx.log_index
        ctx.session.add(row)
    row.updated_block = ctx.block_number
    row.updated_log_index = ctx.log_index


def _get_or_new(ctx: EventContext, model: Any, key: Any) -> tuple[Any, bool]:
    row = ctx.session.get(model, key)
    if row is None:
        if isinstance(key, tuple):
            names = [c.name for c in model.__table__.primary_key.columns]
            row = model(**dict(zip(names, key, strict=True)))
        else:
            pk = model.__table__.primary_key.columns.values()[0].name
            row = model(**{pk: key})
        return row, True
    return row, False


# ---------------------------------------------------------------- organisations


@handles("OrgAdmitted", "OrgActivationChanged")
def on_org(ctx: EventContext) -> None:
    org = ctx.args["org"]
    row, created = _get_or_new(ctx, OrgRow, ctx.args["orgId"])
    row.kind = _name(ORG_KINDS, org["kind"])
    row.city = org["city"]
    row.active = org["active"]
    row.name_hash = org["nameHash"]
    _position(row, ctx, created)


# ---------------------------------------------------------------- assets


@handles(
    "ResourceRegistered", "AssetValued", "ComplianceReviewed", "NoticeOpened",
    "DisputeRecorded", "DisputeResolved", "AssetDeregistered", "DisposalRequested",
    "AssetDisposed",
)  # fmt: skip
def on_asset(ctx: EventContext) -> None:
    a = ctx.args["asset"]
    row, created = _get_or_new(ctx, AssetRow, ctx.args["assetId"])
    row.holder_org_id = a["holderOrgId"]
    row.catalogue_hash = a["catalogueHash"]
    row.metadata_hash = a["metadataHash"]
    row.batch_id = a["batchId"]
    row.valuation_report_hash = a["valuationReportHash"]
    row.compliance_report_hash = a["complianceReportHash"]
    row.current_certificate_id = a["currentCertificateId"]
    row.pledge_id = a["pledgeId"]
    row.operator_org_id = a["operatorOrgId"]
    row.disposal_reason_hash = a["disposalReasonHash"]
    row.value_fen = a["valueFen"]
    row.city = a["city"]
    row.domain_code = a["domainCode"]
    row.valuation_method = a["valuationMethod"]
    row.open_objections = a["openObjections"]
    row.registered_at = a["registeredAt"]
    row.notice_ends_at = a["noticeEndsAt"]
    row.status = _name(ASSET_STATUS, a["status"])
    row.compliance = _name(COMPLIANCE, a["compliance"])
    row.disputed = a["disputed"]
    row.paid_use_approved = a["paidUseApproved"]
    _position(row, ctx, created)


def _asset(ctx: EventContext, asset_id: str) -> AssetRow | None:
    row: AssetRow | None = ctx.session.get(AssetRow, asset_id)
    return row


@handles("ObjectionLodged", "ObjectionResolved")
def on_objection(ctx: EventContext) -> None:
    o = ctx.args["objection"]
    asset = _asset(ctx, o["assetId"])
    if asset is None:
        return
    if ctx.event == "ObjectionLodged":
        asset.open_objections += 1
    else:
        asset.open_objections = max(0, asset.open_objections - 1)
        if o["status"] == OBJECTION_UPHELD and asset.status == "in_notice":
            asset.status = "registered"
            asset.compliance = "none"
            asset.notice_ends_at = 0
    _position(asset, ctx, False)


# ---------------------------------------------------------------- certificates


def _certificate_status(c: dict[str, Any]) -> str:
    """The status the record implies (expiry is a matter of time, decided when read)."""
    if c["revokedAt"] != 0:
        return "revoked"
    if c["replacedBy"] != ZERO:
        return "superseded"
    return "active"


@handles("CertificateIssued", "CertificateSuperseded", "CertificateRenewed", "CertificateRevoked")
def on_certificate(ctx: EventContext) -> None:
    c = ctx.args["certificate"]
    cert_id = ctx.args["certificateId"]
    row, created = _get_or_new(ctx, CertificateRow, cert_id)
    asset = _asset(ctx, c["assetId"])
    if created:
        registrar = ctx.session.get(OrgRow, c["registrarOrgId"])
        row.city = asset.city if asset else (registrar.city if registrar else 0)
        row.recognitions = 0
    row.asset_id = c["assetId"]
    row.registrar_org_id = c["registrarOrgId"]
    row.holder_org_id = c["holderOrgId"]
    row.metadata_hash = c["metadataHash"]
    row.replaced_by = c["replacedBy"]
    row.issued_at = c["issuedAt"]
    row.valid_until = c["validUntil"]
    row.revoked_at = c["revokedAt"]
    row.revocation_reason = c["revocationReason"]
    row.kind = _name(REGISTRATION_KINDS, c["kind"])
    row.status = _certificate_status(c)
    _position(row, ctx, created)
    if ctx.event == "CertificateIssued" and asset is not None:
        asset.current_certificate_id = cert_id
        asset.metadata_hash = c["metadataHash"]
        if c["kind"] == 0:
            asset.status = "certified"
        _position(asset, ctx, False)


@handles("CertificateRecognised", "RecognitionWithdrawn")
def on_recognition(ctx: EventContext) -> None:
    cert_id = ctx.args["certificateId"]
    org_id = ctx.args["actorOrgId"]
    row, created = _get_or_new(ctx, RecognitionRow, (cert_id, org_id))
    cert = ctx.session.get(CertificateRow, cert_id)
    recognised = ctx.event == "CertificateRecognised"
    if recognised:
        row.recognised_block = ctx.block_number
        row.withdrawn_block = None
    else:
        row.withdrawn_block = ctx.block_number
        if row.recognised_block is None:
            row.recognised_block = ctx.block_number
    if cert is not None and bool(row.active) != recognised:  # None (new) counts as False
        cert.recognitions = (cert.recognitions or 0) + (1 if recognised else -1)
    row.active = recognised
    if created:
        ctx.session.add(row)


@handles("AgreementProposed", "AgreementAccepted", "AgreementWithdrawn")
def on_agreement(ctx: EventContext) -> None:
    ag = ctx.args["agreement"]
    row, created = _get_or_new(ctx, AgreementRow, ctx.args["agreementId"])
    row.proposer_org_id = ag["proposerOrgId"]
    row.partner_org_id = ag["partnerOrgId"]
    row.updated_at = ag["updatedAt"]
    row.status = _name(AGREEMENT_STATUS, ag["status"])
    _position(row, ctx, created)


# ---------------------------------------------------------------- paid use


@handles("PaidUseApplied", "PaidUseReviewed", "PaidUseApproved", "PaidUseRejected")
def on_application(ctx: EventContext) -> None:
    ap = ctx.args["application"]
    row, created = _get_or_new(ctx, ApplicationRow, ctx.args["applicationId"])
    row.asset_id = ap["assetId"]
    row.holder_org_id = ap["holderOrgId"]
    row.operator_org_id = ap["operatorOrgId"]
    row.scope_hash = ap["scopeHash"]
    row.reason_hash = ap["reasonHash"]
    row.applied_at = ap["appliedAt"]
    row.decided_at = ap["decidedAt"]
    row.competent_approved = ap["competentApproved"]
    row.data_admin_approved = ap["dataAdminApproved"]
    row.status = _name(APPLICATION_STATUS, ap["status"])
    _position(row, ctx, created)
    if ctx.event == "PaidUseApproved":
        asset = _asset(ctx, ap["assetId"])
        if asset is not None:
            asset.operator_org_id = ap["operatorOrgId"]
            asset.paid_use_approved = True
            _position(asset, ctx, False)


# ---------------------------------------------------------------- financing


@handles(
    "PledgeRequested", "PledgeConfirmed", "PledgeReleased", "CreditLineRecorded",
    "EquityContributed",
)  # fmt: skip
def on_financing(ctx: EventContext) -> None:
    f = ctx.args["financing"]
    financing_id = ctx.args["financingId"]
    row, created = _get_or_new(ctx, FinancingRow, financing_id)
    row.asset_id = f["assetId"]
    row.holder_org_id = f["holderOrgId"]
    row.counterparty_org_id = f["counterpartyOrgId"]
    row.document_hash = f["documentHash"]
    row.amount_fen = f["amountFen"]
    row.recorded_at = f["recordedAt"]
    row.kind = _name(FINANCING_KINDS, f["kind"])
    row.status = _name(FINANCING_STATUS, f["status"])
    _position(row, ctx, created)
    if ctx.event in ("PledgeConfirmed", "PledgeReleased"):
        asset = _asset(ctx, f["assetId"])
        if asset is not None:
            asset.pledge_id = financing_id if ctx.event == "PledgeConfirmed" else ZERO
            _position(asset, ctx, False)


# ---------------------------------------------------------------- revenue split


@handles("ScheduleSet")
def on_schedule(ctx: EventContext) -> None:
    a = ctx.args
    row, created = _get_or_new(ctx, ScheduleRow, (a["assetId"], a["version"]))
    row.lower_bounds = [str(v) for v in a["lowerBounds"]]
    row.operator_bps = list(a["operatorBps"])
    row.finance_org_id = a["financeOrgId"]
    row.effective_block = a["effectiveBlock"]
    _position(row, ctx, created)


@handles("PaymentSettled", "OffchainPaymentRecorded")
def on_payment(ctx: EventContext) -> None:
    a = ctx.args
    row, created = _get_or_new(ctx, PaymentRow, a["paymentId"])
    onchain = ctx.event == "PaymentSettled"
    row.asset_id = a["assetId"]
    row.settlement = "onchain" if onchain else "offchain"
    row.payer = a["payer"] if onchain else a["recordedBy"]
    row.payer_org_id = a["payerOrgId"] if onchain else a["operatorOrgId"]
    row.amount = a["amount"]
    row.operator_share = a["operatorShare"]
    row.treasury_share = a["treasuryShare"]
    row.schedule_version = a["scheduleVersion"]
    row.external_ref = a["externalRef"] if onchain else a["bankRef"]
    row.remitted = onchain
    row.remittance_ref = None
    row.tx_hash = ctx.tx_hash
    _position(row, ctx, created)


@handles("RemittanceConfirmed")
def on_remittance(ctx: EventContext) -> None:
    row = ctx.session.get(PaymentRow, ctx.args["paymentId"])
    if row is None:
        return
    row.remitted = True
    row.remittance_ref = ctx.args["remittanceRef"]
    _position(row, ctx, False)


# ---------------------------------------------------------------- describing events

_ACTOR_FIELDS = ("actorOrgId", "financeOrgId", "payerOrgId", "operatorOrgId", "registrarOrgId")
_RECORD_FIELDS = ("certificate", "application", "financing", "objection")


def describe(session: RowSource, event: str, args: dict[str, Any]) -> tuple[
    str | None, str | None, str | None
]:
    """(subject id, acting organisation, asset id) of an event, for search and history."""
    subject: str | None = None
    for value in args.values():
        if isinstance(value, str) and value.startswith("0x"):
            subject = value.lower()
        break
    actor = next((str(args[f]) for f in _ACTOR_FIELDS if f in args), None)
    asset_id: str | None = args.get("assetId")
    if asset_id is None:
        for field in _RECORD_FIELDS:
            record = args.get(field)
            if isinstance(record, dict) and "assetId" in record:
                asset_id = str(record["assetId"])
                break
    if asset_id is None and event in ("CertificateRecognised", "RecognitionWithdrawn"):
        cert = session.get(CertificateRow, args["certificateId"])
        asset_id = cert.asset_id if cert is not None else None
    if subject is not None and len(subject) != 66:
        subject = subject if len(subject) <= 66 else None
    return subject, actor, asset_id


def apply(session: Session, event: RawEvent) -> None:
    """Apply one raw event to the projections (no-op for events without a handler)."""
    handler = HANDLERS.get(event.event)
    if handler is None:
        return
    handler(
        EventContext(
            session=session,
            event=event.event,
            args=event.args,
            block_number=event.block_number,
            log_index=event.log_index,
            tx_hash=event.tx_hash,
            timestamp=event.timestamp,
        )
    )


def apply_all(session: Session, events: Iterable[RawEvent]) -> None:
    for event in events:
        apply(session, event)


def clear(session: Session) -> None:
    """Delete every projection row (children first)."""
    for model in reversed(PROJECTION_TABLES):
        session.execute(delete(model))


def rebuild(session: Session, chunk: int = 2000) -> int:
    """Rebuild every projection from the stored raw events; returns the events replayed."""
    clear(session)
    session.flush()
    count = 0
    query = select(RawEvent).order_by(RawEvent.block_number, RawEvent.log_index)
    last: tuple[int, int] = (-1, -1)
    while True:
        batch = list(
            session.scalars(
                query.where(
                    (RawEvent.block_number > last[0])
                    | ((RawEvent.block_number == last[0]) & (RawEvent.log_index > last[1]))
                ).limit(chunk)
            )
        )
        if not batch:
            return count
        for event in batch:
            apply(session, event)
        count += len(batch)
        last = (batch[-1].block_number, batch[-1].log_index)
        session.flush()
        for event in batch:
            session.expunge(event)
