"""Read helpers over the indexed store for the workbenches and dashboards: paid-use
applications, financing records, schedule versions and payments (with the time of their
block), current certificates' standing, objections and ownership disputes of a city,
disposals awaiting confirmation, credit lines of a bank, and the figures of the finance and
auditor dashboards (revenue by month in Beijing time split between operators and the
treasury, outstanding remittance, assets by status, certificates by city).

Each takes a SQLAlchemy ``Session`` of the indexer's store and answers plain records;
the callers (console pages, routes) decide who may read them.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from chain import store_queries as q
from chain.indexer.models import (
    AgreementRow,
    ApplicationRow,
    AssetRow,
    CertificateRow,
    FinancingRow,
    IndexedBlock,
    ObjectionRow,
    PaymentRow,
    ScheduleRow,
)
from chain.service.certificates import REISSUE_REASONS, AgreementPublic
from chain.service.common import AGREEMENT_STATUSES

#: Beijing time (UTC+8, no daylight saving): months are counted in it.
BEIJING = 8 * 3600


#: The most rows one list read answers.
LIST_LIMIT = q.MAX_LIMIT


def certificate_standing(session: Session, certificate_ids: Sequence[str]) -> dict[
        str, tuple[str, int]]:  # fmt: skip
    """Each certificate's status as of the last indexed block (store name, snake case) and
    its end of term, by id."""
    if not certificate_ids:
        return {}
    now = q.indexed_time(session)
    rows = session.scalars(
        select(CertificateRow).where(CertificateRow.certificate_id.in_(list(certificate_ids)))
    )
    return {r.certificate_id: (q.effective_status(r, now), int(r.valid_until)) for r in rows}


def application_rows(session: Session, *, holder: str | None = None, city: int | None = None,
                     status: str | None = None, asset_id: str | None = None,
                     application_id: str | None = None) -> list[ApplicationRow]:  # fmt: skip
    """Paid-use applications of a holder, of the assets of a city or of one asset (or the
    one with ``application_id``), newest first."""
    stmt = select(ApplicationRow)
    if asset_id is not None:
        stmt = stmt.where(ApplicationRow.asset_id == asset_id.lower())
    if application_id is not None:
        stmt = stmt.where(ApplicationRow.application_id == application_id.lower())
    if holder is not None:
        stmt = stmt.where(ApplicationRow.holder_org_id == holder.lower())
    if city is not None:
        stmt = stmt.join(AssetRow, AssetRow.asset_id == ApplicationRow.asset_id).where(
            AssetRow.city == city
        )
    if status is not None:
        stmt = stmt.where(ApplicationRow.status == status)
    stmt = stmt.order_by(ApplicationRow.first_block.desc(), ApplicationRow.first_log_index.desc())
    return list(session.scalars(stmt.limit(LIST_LIMIT)))


def financing_rows(session: Session, *, counterparty: str | None = None,
                   holder: str | None = None) -> list[FinancingRow]:  # fmt: skip
    """Pledges, credit lines and contributions with one counterparty (or of one holder),
    newest first."""
    party = (FinancingRow.counterparty_org_id == counterparty.lower() if counterparty
             else FinancingRow.holder_org_id == (holder or "").lower())  # fmt: skip
    stmt = (
        select(FinancingRow)
        .where(party)
        .order_by(FinancingRow.first_block.desc(), FinancingRow.first_log_index.desc())
        .limit(LIST_LIMIT)
    )
    return list(session.scalars(stmt))


def schedule_rows(session: Session, asset_ids: Sequence[str]) -> list[ScheduleRow]:
    """Every schedule version of the assets, oldest first."""
    if not asset_ids:
        return []
    stmt = (select(ScheduleRow).where(ScheduleRow.asset_id.in_(list(asset_ids)))
            .order_by(ScheduleRow.version))  # fmt: skip
    return list(session.scalars(stmt))


def payment_rows(session: Session, asset_ids: Sequence[str]) -> list[tuple[PaymentRow, int]]:
    """Every payment of the assets in chain order, with the time of its block (0 when
    that block is not stored)."""
    if not asset_ids:
        return []
    stmt = (
        select(PaymentRow, IndexedBlock.timestamp)
        .join(IndexedBlock, IndexedBlock.number == PaymentRow.first_block, isouter=True)
        .where(PaymentRow.asset_id.in_(list(asset_ids)))
        .order_by(PaymentRow.first_block, PaymentRow.first_log_index)
    )
    return [(row, int(stamp or 0)) for row, stamp in session.execute(stmt)]


def operated_asset_ids(session: Session, operator_org_id: str) -> list[str]:
    """The assets an operator is the approved operator of."""
    stmt = select(AssetRow.asset_id).where(AssetRow.operator_org_id == operator_org_id.lower())
    return list(session.scalars(stmt))


def payments_by_payer(session: Session, payer_org_id: str) -> list[tuple[PaymentRow, int]]:
    """The payments an organisation made, in chain order, with the time of their block."""
    stmt = (
        select(PaymentRow, IndexedBlock.timestamp)
        .join(IndexedBlock, IndexedBlock.number == PaymentRow.first_block, isouter=True)
        .where(PaymentRow.payer_org_id == payer_org_id.lower())
        .order_by(PaymentRow.first_block, PaymentRow.first_log_index)
    )
    return [(row, int(stamp or 0)) for row, stamp in session.execute(stmt)]


def payment_row(session: Session, payment_id: str) -> PaymentRow | None:
    return session.get(PaymentRow, payment_id.lower())


@dataclass
class ObjectionRecord:
    objection_id: str
    asset_id: str
    objector_org_id: str
    lodged_at: int
    status: str
    foreign: bool


@dataclass
class CaseAsset:
    """An asset with a case open at its registrar: a dispute, or a disposal requested."""

    asset_id: str
    holder_org_id: str
    status: str
    disputed: bool
    disposal_requested: bool


@dataclass
class CreditLineRecord:
    financing_id: str
    asset_id: str
    holder_org_id: str
    amount_fen: int
    recorded_at: int


def objections(session: Session, city: int) -> list[ObjectionRecord]:
    """The objections lodged against the assets of ``city``, newest first."""
    stmt = (
        select(ObjectionRow)
        .join(AssetRow, AssetRow.asset_id == ObjectionRow.asset_id)
        .where(AssetRow.city == city)
        .order_by(ObjectionRow.first_block.desc(), ObjectionRow.first_log_index.desc())
    )
    return [
        ObjectionRecord(
            r.objection_id,
            r.asset_id,
            r.objector_org_id,
            int(r.lodged_at),
            r.status,
            bool(r.foreign),
        )
        for r in session.scalars(stmt)
    ]


def case_assets(session: Session, city: int) -> list[CaseAsset]:
    """The assets of ``city`` disputed or with a disposal requested (and not yet
    disposed), newest change first."""
    stmt = (
        select(AssetRow)
        .where(AssetRow.city == city)
        .where(AssetRow.disputed.is_(True) | AssetRow.disposal_requested.is_(True))
        .order_by(AssetRow.updated_block.desc(), AssetRow.updated_log_index.desc())
    )
    return [
        CaseAsset(
            r.asset_id,
            r.holder_org_id,
            r.status,
            bool(r.disputed),
            bool(r.disposal_requested) and r.status != "disposed",
        )
        for r in session.scalars(stmt)
    ]


def credit_lines(session: Session, bank_org_id: str) -> list[CreditLineRecord]:
    """The credit lines a bank recorded, newest first."""
    stmt = (
        select(FinancingRow)
        .where(FinancingRow.counterparty_org_id == bank_org_id.lower())
        .where(FinancingRow.kind == "credit_line")
        .order_by(FinancingRow.first_block.desc(), FinancingRow.first_log_index.desc())
    )
    return [
        CreditLineRecord(
            r.financing_id, r.asset_id, r.holder_org_id, int(r.amount_fen), int(r.recorded_at)
        )
        for r in session.scalars(stmt)
    ]


@dataclass
class Month:
    month: str
    operator: int = 0
    treasury: int = 0

    @property
    def total(self) -> int:
        return self.operator + self.treasury


@dataclass
class Figures:
    """A dashboard's figures, amounts in fen."""

    months: list[Month] = field(default_factory=list)
    operator_total: int = 0
    treasury_total: int = 0
    outstanding: int = 0
    outstanding_count: int = 0
    #: outstanding treasury share by month the payment was made (Beijing time)
    outstanding_by_month: dict[str, int] = field(default_factory=dict)
    #: store status name (snake case) -> count
    by_status: dict[str, int] = field(default_factory=dict)
    by_city: dict[int, int] = field(default_factory=dict)

    @property
    def revenue_total(self) -> int:
        return self.operator_total + self.treasury_total


def month_of(timestamp: int) -> str:
    """``YYYY-MM`` of a unix time, in Beijing time."""
    return time.strftime("%Y-%m", time.gmtime(timestamp + BEIJING))


def dashboard_figures(session: Session, city: int | None = None) -> Figures:
    """The figures of one city's assets (or of every city, for the auditor); the
    certificates by city always cover every city (they are public)."""
    figures = Figures()
    payments = (select(PaymentRow, IndexedBlock.timestamp)
                .join(AssetRow, AssetRow.asset_id == PaymentRow.asset_id)
                .join(IndexedBlock, IndexedBlock.number == PaymentRow.first_block,
                      isouter=True))  # fmt: skip
    if city is not None:
        payments = payments.where(AssetRow.city == city)
    months: dict[str, Month] = {}
    for row, stamp in session.execute(payments):
        operator, treasury = int(row.operator_share), int(row.treasury_share)
        key = month_of(int(stamp)) if stamp else "-"
        figures.operator_total += operator
        figures.treasury_total += treasury
        if row.settlement == "offchain" and not row.remitted:
            figures.outstanding += treasury
            figures.outstanding_count += 1
            figures.outstanding_by_month[key] = figures.outstanding_by_month.get(key, 0) + treasury
        entry = months.setdefault(key, Month(key))
        entry.operator += operator
        entry.treasury += treasury
    figures.months = [months[k] for k in sorted(months)]
    assets = select(AssetRow.status, func.count()).group_by(AssetRow.status)
    if city is not None:
        assets = assets.where(AssetRow.city == city)
    counts: Counter[str] = Counter()
    for status, count in session.execute(assets):
        counts[str(status)] += int(count)
    figures.by_status = dict(counts)
    certs = select(CertificateRow.city, func.count()).group_by(CertificateRow.city)
    figures.by_city = {int(c): int(n) for c, n in session.execute(certs)}
    return figures


# -- the registrar's queues, counted and paged -----------------------------------------

T = TypeVar("T")
#: Rows one page of a queue shows.
PAGE_SIZE = 50
ZERO = "0x" + "00" * 32


@dataclass
class Slice(Generic[T]):
    """One page of a list and how many rows the whole list has."""

    rows: list[T]
    total: int
    page: int = 1
    size: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    def __len__(self) -> int:
        return self.total

    def __bool__(self) -> bool:
        return self.total > 0

    def __iter__(self) -> Any:
        return iter(self.rows)


def _slice(session: Session, stmt: Select[Any], order: Sequence[Any], page: int, size: int,
           render: Callable[[Any], T]) -> Slice[T]:  # fmt: skip
    """Count the rows ``stmt`` selects (no row loaded) and load page ``page`` of them."""
    total = int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    size = max(1, size)
    page = max(1, min(page, max(1, -(-total // size))))
    rows = session.scalars(stmt.order_by(*order).offset((page - 1) * size).limit(size))
    return Slice([render(r) for r in rows], total, page, size)


#: The registrar's asset queues: what each waits for.
ASSET_QUEUES: dict[str, tuple[ColumnElement[bool], ...]] = {
    "to_value": (AssetRow.status == "registered", AssetRow.value_fen == 0),
    "to_review": (AssetRow.status == "registered", AssetRow.compliance == "none"),
    "in_notice": (AssetRow.status == "in_notice",),
    "disputable": (AssetRow.status == "certified", AssetRow.disputed.is_(False)),
}
_NEWEST_ASSET = (AssetRow.first_block.desc(), AssetRow.first_log_index.desc(),
                 AssetRow.asset_id.desc())  # fmt: skip
_NEWEST_CERTIFICATE = (CertificateRow.first_block.desc(), CertificateRow.first_log_index.desc(),
                       CertificateRow.certificate_id.desc())  # fmt: skip


def asset_queue(session: Session, city: int, name: str, page: int = 1, size: int = PAGE_SIZE,
                now: int | None = None) -> Slice[dict[str, Any]]:  # fmt: skip
    """One page of a registrar's queue (:data:`ASSET_QUEUES`) of the assets of ``city``,
    newest first, as :func:`chain.store_queries.asset_dict` records, and its count
    (``now``: the store's time, :func:`chain.store_queries.indexed_time`, when known)."""
    now = q.indexed_time(session) if now is None else now
    stmt = select(AssetRow).where(AssetRow.city == city, *ASSET_QUEUES[name])
    return _slice(session, stmt, _NEWEST_ASSET, page, size, lambda r: q.asset_dict(r, now))


def issued_certificates(session: Session, issuer: str, *, page: int = 1, size: int = PAGE_SIZE,
                        renewal_before: int | None = None,
                        reissuable: bool = False,
                        now: int | None = None) -> Slice[dict[str, Any]]:  # fmt: skip
    """One page of the certificates a registrar issued, newest first, and their count;
    only those in force ending before ``renewal_before`` (to renew), or only those revoked
    for a reason that allows a re-issue and not yet re-issued (``reissuable``)."""
    now = q.indexed_time(session) if now is None else now
    stmt = select(CertificateRow).where(CertificateRow.registrar_org_id == issuer.lower())
    if renewal_before is not None:
        stmt = stmt.where(CertificateRow.status == "active",
                          CertificateRow.valid_until < renewal_before)  # fmt: skip
        if now:
            stmt = stmt.where(CertificateRow.valid_until > now)
    if reissuable:
        stmt = stmt.where(CertificateRow.status == "revoked",
                          CertificateRow.revocation_reason.in_(REISSUE_REASONS),
                          CertificateRow.replaced_by.in_((ZERO, "")))  # fmt: skip
    return _slice(session, stmt, _NEWEST_CERTIFICATE, page, size,
                  lambda r: q.certificate_dict(r, now))  # fmt: skip


def disposable_assets(session: Session, holder: str, *, named: Sequence[str] | None = None,
                      text: str = "", page: int = 1,
                      size: int = PAGE_SIZE) -> Slice[dict[str, Any]]:  # fmt: skip
    """One page of the assets a holder may ask to dispose of (registered or certified, not
    pledged, no disposal asked yet), newest first, and their count; with ``text``, only
    those whose id contains it or that ``named`` lists (the ids whose title or catalogue
    code contain it, found by the caller in the gateway's documents)."""
    now = q.indexed_time(session)
    stmt = select(AssetRow).where(
        AssetRow.holder_org_id == holder.lower(),
        AssetRow.status.in_(("registered", "certified")),
        AssetRow.pledge_id == ZERO,
        AssetRow.disposal_requested.is_(False),
    )
    needle = text.strip().lower()
    if needle:
        ids = [n.lower() for n in named or ()]
        stmt = stmt.where(AssetRow.asset_id.contains(needle) | AssetRow.asset_id.in_(ids))
    return _slice(session, stmt, _NEWEST_ASSET, page, size, lambda r: q.asset_dict(r, now))


_AGREEMENT_STATUS = {name.lower(): name for name in AGREEMENT_STATUSES}


def agreements(session: Session, org_id: str | None = None) -> list[AgreementPublic]:
    """The registrars' mutual-recognition agreements as indexed (those ``org_id`` is a
    party to, when given), newest first; the store's copy of the directory's
    ``AgreementChanged`` logs, so no log is read from the chain."""
    stmt = select(AgreementRow).where(AgreementRow.status != "none")
    if org_id is not None:
        org = org_id.lower()
        stmt = stmt.where((AgreementRow.proposer_org_id == org)
                          | (AgreementRow.partner_org_id == org))  # fmt: skip
    stmt = stmt.order_by(AgreementRow.first_block.desc(), AgreementRow.first_log_index.desc())
    return [_agreement(r) for r in session.scalars(stmt.limit(LIST_LIMIT))]


def _agreement(row: AgreementRow) -> AgreementPublic:
    return AgreementPublic(
        agreement_id=row.agreement_id,
        proposer_org_id=row.proposer_org_id,
        partner_org_id=row.partner_org_id,
        status=_AGREEMENT_STATUS.get(row.status, row.status),
        updated_at=int(row.updated_at),
    )
