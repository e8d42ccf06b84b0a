"""Projections: one plain handler per event name, applied in chain order.

Every projection row is a pure function of the ordered raw events: handlers read only
the event and rows that earlier events wrote. After a reorg the indexer deletes the
orphaned raw events and rebuilds the projections by replaying the remaining events
(``rebuild``), so the store always equals a fresh replay of the canonical chain.
"""

from __future__ import annotations

import functools
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
    GovernanceRow,
    ObjectionRow,
    OrgIndexRow,
    OrgRow,
    PaymentRow,
    ProposalRow,
    RawEvent,
    RecognitionRow,
    ScheduleRow,
    SigningKeyRow,
    SplitAccountRow,
)

ZERO = "0x" + "00" * 32
ZERO_ADDRESS = "0x" + "00" * 20

ORG_KINDS = (
    "none", "registrar", "holder", "competent_department", "data_administration",
    "finance_department", "operator", "merchant", "exchange", "bank", "auditor",
)  # fmt: skip
ASSET_STATUS = ("none", "registered", "in_notice", "certified", "disposed", "deregistered")
COMPLIANCE = ("none", "passed", "failed")
REGISTRATION_KINDS = ("initial", "change", "correction", "deregistration")
CERTIFICATE_STATUS = ("unknown", "active", "revoked", "expired", "superseded")
OBJECTION_STATUS = ("none", "open", "upheld", "dismissed")
APPLICATION_STATUS = ("none", "applied", "approved", "rejected", "cancelled", "expired")
AGREEMENT_STATUS = ("none", "proposed", "active", "withdrawn")
FINANCING_KINDS = ("pledge", "credit_line", "equity_contribution")
FINANCING_STATUS = ("none", "requested", "active", "released", "recorded", "cancelled", "expired")
PROPOSAL_KINDS = (
    "admit_registrar", "set_registrar_active", "set_term_bounds", "set_threshold",
    "mark_key_compromised", "sweep",
)  # fmt: skip
PROPOSAL_STATUS = ("none", "open", "executed", "cancelled")
#: AssetRegistryV2.AssetAction
ASSET_ACTIONS = (
    "notice_opened", "returned_to_registered", "dispute_recorded", "dispute_resolved",
    "certified", "certificate_suspended", "deregistered", "disposed",
)  # fmt: skip
#: AssetRegistryV2.Usability: the first failing part of "usable"
USABILITY = (
    "usable", "unknown_asset", "not_certified", "disposed", "deregistered",
    "certificate_revoked", "certificate_expired", "disputed",
)  # fmt: skip
PLEDGE = 0
FINANCING_ACTIVE = 2
DISPUTE_RECORDED = 2
DISPUTE_RESOLVED = 3
GOVERNANCE_KEY = "directory"


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


@functools.cache
def _key_names(model: Any) -> tuple[str, ...]:
    return tuple(c.key for c in model.__table__.primary_key.columns)


def _get_or_new(ctx: EventContext, model: Any, key: Any) -> tuple[Any, bool]:
    """The row of ``key``, or a new one (not added yet) of the source's own kind: a
    source with a ``new_row`` method makes its rows itself, other sources get ORM objects."""
    row = ctx.session.get(model, key)
    if row is None:
        names = _key_names(model)
        values = dict(zip(names, key if isinstance(key, tuple) else (key,), strict=True))
        make = getattr(ctx.session, "new_row", None)
        row = model(**values) if make is None else make(model, values)
        return row, True
    return row, False


# ---------------------------------------------------------------- organisations (OrgDirectory)


def _org_row(ctx: EventContext, org_id: str) -> tuple[OrgRow, bool]:
    row, created = _get_or_new(ctx, OrgRow, org_id)
    if created:
        row.name_hash = ZERO
        row.notice_window = 0
        row.certificate_term = 0
    return row, created


@handles("OrgAdmitted", "OrgActivationChanged")
def on_org(ctx: EventContext) -> None:
    org = ctx.args["org"]
    row, created = _org_row(ctx, ctx.args["orgId"])
    row.kind = _name(ORG_KINDS, org["kind"])
    row.city = org["city"]
    row.active = org["active"]
    row.org_index = org["index"]
    row.key_count = org["keyCount"]
    if ctx.event == "OrgAdmitted":
        row.name_hash = ctx.args["nameHash"]
        index, new_index = _get_or_new(ctx, OrgIndexRow, org["index"])
        index.org_id = ctx.args["orgId"]
        if new_index:
            ctx.session.add(index)
    _position(row, ctx, created)


def org_at(session: RowSource, index: int) -> str | None:
    """The organisation id of a directory index (None when no OrgAdmitted named it)."""
    row = session.get(OrgIndexRow, index)
    return None if row is None else str(row.org_id)


@handles("RegistrarTermsSet")
def on_terms(ctx: EventContext) -> None:
    row, created = _org_row(ctx, ctx.args["registrarOrgId"])
    if created:  # terms of an organisation no event admitted: nothing to attach them to
        return
    row.notice_window = ctx.args["noticeWindow"]
    row.certificate_term = ctx.args["certificateTerm"]
    _position(row, ctx, False)


@handles("SigningKeyProposed")
def on_key_proposed(ctx: EventContext) -> None:
    row, created = _get_or_new(ctx, SigningKeyRow, ctx.args["account"])
    row.org_id = ctx.args["orgId"]
    row.valid_from = 0
    row.valid_until = ctx.args["validUntil"]
    row.compromised_at = 0
    row.state = "proposed"
    row.marked_by_org_id = None
    _position(row, ctx, created)


@handles("SigningKeyAdded", "SigningKeyRemoved", "SigningKeyCompromised")
def on_key(ctx: EventContext) -> None:
    key = ctx.args["key"]
    row, created = _get_or_new(ctx, SigningKeyRow, ctx.args["account"])
    row.org_id = key["orgId"]
    row.valid_from = key["validFrom"]
    row.valid_until = key["validUntil"]
    row.compromised_at = key["compromisedAt"]
    if ctx.event == "SigningKeyCompromised":
        row.state = "compromised"
        row.marked_by_org_id = ctx.args["actorOrgId"]
    else:
        row.state = "live" if ctx.event == "SigningKeyAdded" else "removed"
        if created:
            row.marked_by_org_id = None
    _position(row, ctx, created)


def _governance(ctx: EventContext) -> tuple[GovernanceRow, bool]:
    row, created = _get_or_new(ctx, GovernanceRow, GOVERNANCE_KEY)
    if created:
        row.threshold = 0
        row.active_registrars = 0
        row.handed_over = False
        row.notice_min = row.notice_max = row.term_min = row.term_max = 0
    return row, created


@handles("TermBoundsSet", "ThresholdSet", "HandoverBegun", "HandoverAccepted")
def on_governance(ctx: EventContext) -> None:
    row, created = _governance(ctx)
    a = ctx.args
    if ctx.event == "TermBoundsSet":
        b = a["bounds"]
        row.notice_min, row.notice_max = b["noticeMin"], b["noticeMax"]
        row.term_min, row.term_max = b["termMin"], b["termMax"]
    else:
        row.threshold = a["threshold"]
        if "activeRegistrars" in a:
            row.active_registrars = a["activeRegistrars"]
        if ctx.event == "HandoverAccepted":
            row.handed_over = True
    _position(row, ctx, created)


@handles("ProposalCreated", "ProposalApproved", "ProposalExecuted", "ProposalCancelled")
def on_proposal(ctx: EventContext) -> None:
    p = ctx.args["proposal"]
    row, created = _get_or_new(ctx, ProposalRow, ctx.args["proposalId"])
    row.kind = _name(PROPOSAL_KINDS, p["kind"])
    row.status = _name(PROPOSAL_STATUS, p["status"])
    row.approvals = p["approvals"]
    row.created_at = p["createdAt"]
    row.expires_at = p["expiresAt"]
    row.proposer_org_id = p["proposerOrgId"]
    row.params = p["params"]
    _position(row, ctx, created)


@handles("AgreementChanged")
def on_agreement(ctx: EventContext) -> None:
    ag = ctx.args["agreement"]
    row, created = _get_or_new(ctx, AgreementRow, ctx.args["agreementId"])
    row.proposer_org_id = ag["proposerOrgId"]
    row.partner_org_id = ag["partnerOrgId"]
    row.updated_at = ag["updatedAt"]
    row.status = _name(AGREEMENT_STATUS, ag["status"])
    _position(row, ctx, created)


# ---------------------------------------------------------------- assets (AssetRegistryV2)


def _asset_row(ctx: EventContext, asset_id: str) -> tuple[AssetRow, bool]:
    """The asset's row; a new one starts empty (its ResourceRegistered fills the facts)."""
    row, created = _get_or_new(ctx, AssetRow, asset_id)
    if created:
        for column in (
            "holder_org_id", "catalogue_hash", "metadata_hash", "batch_id",
            "valuation_report_hash", "compliance_report_hash", "current_certificate_id",
            "pledge_id", "operator_org_id", "disposal_reason_hash", "dispute_reason_hash",
            "dispute_resolution_hash",
        ):  # fmt: skip
            setattr(row, column, ZERO)
        for column in (
            "value_fen", "city", "domain_code", "valuation_method", "open_objections",
            "registered_at", "notice_ends_at", "certificate_valid_until", "nonce",
        ):  # fmt: skip
            setattr(row, column, 0)
        for column in (
            "disputed", "paid_use_approved", "valued", "certificate_revoked",
            "disposal_requested",
        ):  # fmt: skip
            setattr(row, column, False)
        row.status = ASSET_STATUS[0]
        row.compliance = COMPLIANCE[0]
    return row, created


def _apply_state(row: AssetRow, state: dict[str, Any]) -> None:
    """Overwrite the asset's changing state with the event's ``AssetState``."""
    row.status = _name(ASSET_STATUS, state["status"])
    row.compliance = _name(COMPLIANCE, state["compliance"])
    row.valued = state["valued"]
    row.disputed = state["disputed"]
    row.certificate_revoked = state["certificateRevoked"]
    row.open_objections = state["openObjections"]
    row.nonce = state["nonce"]
    row.notice_ends_at = state["noticeEndsAt"]
    row.certificate_valid_until = state["certificateValidUntil"]
    row.current_certificate_id = state["currentCertificateId"]
    row.metadata_hash = state["metadataHash"]


@handles("ResourceRegistered", "AssetValued", "ComplianceReviewed", "AssetChanged")
def on_asset(ctx: EventContext) -> None:
    a = ctx.args
    row, created = _asset_row(ctx, a["assetId"])
    if ctx.event == "ResourceRegistered":
        r = a["resource"]
        row.holder_org_id = r["holderOrgId"]
        row.catalogue_hash = r["catalogueHash"]
        row.batch_id = r["batchId"]
        row.domain_code = r["domainCode"]
        row.city = r["city"]
        row.registered_at = ctx.timestamp
    elif ctx.event == "AssetValued":
        v = a["valuation"]
        row.value_fen = v["valueFen"]
        row.valuation_method = v["methodCode"]
        row.valuation_report_hash = v["reportHash"]
    elif ctx.event == "ComplianceReviewed":
        row.compliance_report_hash = a["reportHash"]
    elif a["action"] == DISPUTE_RECORDED:
        row.dispute_reason_hash = a["refHash"]
        row.dispute_resolution_hash = ZERO
    elif a["action"] == DISPUTE_RESOLVED:
        row.dispute_resolution_hash = a["refHash"]
    _apply_state(row, a["state"])
    _position(row, ctx, created)


@handles("ObjectionLodged", "ObjectionResolved")
def on_objection(ctx: EventContext) -> None:
    o = ctx.args["objection"]
    row, created = _get_or_new(ctx, ObjectionRow, ctx.args["objectionId"])
    row.asset_id = o["assetId"]
    row.objector_org_id = o["objectorOrgId"]
    row.reason_hash = o["reasonHash"]
    row.resolution_hash = o["resolutionHash"]
    row.lodged_at = o["lodgedAt"]
    row.status = _name(OBJECTION_STATUS, o["status"])
    row.foreign = o["foreign"]
    _position(row, ctx, created)
    asset, new_asset = _asset_row(ctx, o["assetId"])
    _apply_state(asset, ctx.args["state"])
    _position(asset, ctx, new_asset)


@handles("DisposalRequested")
def on_disposal_request(ctx: EventContext) -> None:
    row, created = _asset_row(ctx, ctx.args["assetId"])
    row.disposal_reason_hash = ctx.args["reasonHash"]
    row.disposal_requested = True
    _position(row, ctx, created)


# ---------------------------------------------------------------- certificates


def _certificate_status(c: dict[str, Any]) -> str:
    """The status the record implies (expiry is a matter of time, decided when read)."""
    if c["revokedAt"] != 0:
        return "revoked"
    if c["replacedBy"] != ZERO:
        return "superseded"
    return "active"


@handles("CertificateIssued", "CertificateChanged")
def on_certificate(ctx: EventContext) -> None:
    c = ctx.args["certificate"]
    cert_id = ctx.args["certificateId"]
    row, created = _get_or_new(ctx, CertificateRow, cert_id)
    asset: AssetRow | None = ctx.session.get(AssetRow, c["assetId"])
    if created:
        registrar = ctx.session.get(OrgRow, c["registrarOrgId"])
        row.city = asset.city if asset else (registrar.city if registrar else 0)
        row.recognitions = 0
    row.asset_id = c["assetId"]
    row.registrar_org_id = c["registrarOrgId"]
    row.holder_org_id = c["holderOrgId"]
    row.metadata_hash = c["metadataHash"]
    row.replaced_by = c["replacedBy"]
    row.supersedes = c["supersedes"]
    row.issued_at = c["issuedAt"]
    row.valid_until = c["validUntil"]
    row.revoked_at = c["revokedAt"]
    row.revocation_reason = c["revocationReason"]
    row.kind = _name(REGISTRATION_KINDS, c["kind"])
    row.status = _certificate_status(c)
    _position(row, ctx, created)
    if ctx.event == "CertificateIssued":
        asset_row, new_asset = _asset_row(ctx, c["assetId"])
        _apply_state(asset_row, ctx.args["state"])
        _position(asset_row, ctx, new_asset)


@handles("CertificateRecognised", "RecognitionWithdrawn")
def on_recognition(ctx: EventContext) -> None:
    cert_id = ctx.args["certificateId"]
    index = ctx.args["actorOrgIndex"]
    row, created = _get_or_new(ctx, RecognitionRow, (cert_id, index))
    row.org_id = org_at(ctx.session, index) or ZERO
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


# ---------------------------------------------------------------- paid use (UseAndFinance)


@handles("ApplicationChanged")
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


@handles("PaidUseOperatorSet")
def on_operator(ctx: EventContext) -> None:
    row, created = _asset_row(ctx, ctx.args["assetId"])
    row.operator_org_id = ctx.args["operatorOrgId"]
    row.paid_use_approved = ctx.args["operatorOrgId"] != ZERO
    _position(row, ctx, created)


# ---------------------------------------------------------------- financing


@handles("FinancingChanged")
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
    if f["kind"] != PLEDGE:
        return
    asset: AssetRow | None = ctx.session.get(AssetRow, f["assetId"])
    if asset is None:
        return
    if f["status"] == FINANCING_ACTIVE:
        asset.pledge_id = financing_id
    elif asset.pledge_id == financing_id:
        asset.pledge_id = ZERO
    else:
        return
    _position(asset, ctx, False)


# ---------------------------------------------------------------- revenue split (RevenueSplitV2)


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
    row.operator_org_id = a["operatorOrgId"]
    row.city = a["city"]
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


def _split_account(ctx: EventContext, role: str, owner: str) -> tuple[SplitAccountRow, bool]:
    row, created = _get_or_new(ctx, SplitAccountRow, (role, owner))
    if created:
        row.account = ZERO_ADDRESS
        row.pending_account = ZERO_ADDRESS
        row.pending_effective_at = 0
        row.proposed_by = ZERO
    return row, created


def _owner(args: dict[str, Any]) -> tuple[str, str]:
    if "city" in args:
        return "treasury", str(args["city"])
    return "payout", str(args["operatorOrgId"])


@handles("TreasuryAccountProposed", "PayoutAccountProposed")
def on_account_proposed(ctx: EventContext) -> None:
    a = ctx.args
    row, created = _split_account(ctx, *_owner(a))
    row.pending_account = a["account"]
    row.pending_effective_at = a["effectiveAt"]
    row.proposed_by = a["financeOrgId"] if "financeOrgId" in a else a["proposedBy"]
    _position(row, ctx, created)


@handles("TreasuryAccountSet", "PayoutAccountSet")
def on_account_set(ctx: EventContext) -> None:
    a = ctx.args
    row, created = _split_account(ctx, *_owner(a))
    row.account = a["account"]
    if row.pending_account == a["account"]:
        row.pending_account = ZERO_ADDRESS
        row.pending_effective_at = 0
    _position(row, ctx, created)


# ---------------------------------------------------------------- describing events

_ACTOR_FIELDS = ("actorOrgId", "financeOrgId", "payerOrgId", "operatorOrgId", "registrarOrgId")
_RECORD_FIELDS = ("certificate", "application", "financing", "objection", "resource")


def describe(
    session: RowSource, event: str, args: dict[str, Any]
) -> tuple[str | None, str | None, str | None]:
    """(subject id, acting organisation, asset id) of an event, for search and history."""
    subject: str | None = None
    for value in args.values():
        if isinstance(value, str) and value.startswith("0x"):
            subject = value.lower()
        break
    actor = next((str(args[f]) for f in _ACTOR_FIELDS if f in args), None)
    if actor is None and "actorOrgIndex" in args:
        actor = org_at(session, args["actorOrgIndex"])
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
