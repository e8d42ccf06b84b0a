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
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from chain import store_queries as q
from chain.indexer.models import (
    ApplicationRow,
    AssetRow,
    CertificateRow,
    FinancingRow,
    IndexedBlock,
    ObjectionRow,
    PaymentRow,
    ScheduleRow,
)

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
    rows = session.scalars(select(CertificateRow)
                           .where(CertificateRow.certificate_id.in_(list(certificate_ids))))
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
        ObjectionRecord(r.objection_id, r.asset_id, r.objector_org_id, int(r.lodged_at),
                        r.status, bool(r.foreign))
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
        CaseAsset(r.asset_id, r.holder_org_id, r.status, bool(r.disputed),
                  bool(r.disposal_requested) and r.status != "disposed")
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
        CreditLineRecord(r.financing_id, r.asset_id, r.holder_org_id, int(r.amount_fen),
                         int(r.recorded_at))
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
