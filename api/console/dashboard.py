"""The figures of the finance and auditor dashboards, from the indexed store: revenue by
month (Beijing time) split between operators and the treasury, outstanding remittance,
assets by status and certificates by city; and the bar charts drawn from them as plain
SVG numbers (no script, readable as a table too)."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.console import lists
from api.console.money import BEIJING
from chain.indexer.models import AssetRow, CertificateRow, IndexedBlock, PaymentRow


@dataclass
class Month:
    month: str
    operator: int = 0
    treasury: int = 0

    @property
    def total(self) -> int:
        return self.operator + self.treasury


@dataclass
class Dashboard:
    months: list[Month] = field(default_factory=list)
    operator_total: int = 0
    treasury_total: int = 0
    outstanding: int = 0
    outstanding_count: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    by_city: dict[int, int] = field(default_factory=dict)

    @property
    def revenue_total(self) -> int:
        return self.operator_total + self.treasury_total

    @property
    def month_max(self) -> int:
        return max((m.total for m in self.months), default=0)

    @property
    def status_max(self) -> int:
        return max(self.by_status.values(), default=0)


def _month(timestamp: int) -> str:
    return time.strftime("%Y-%m", time.gmtime(timestamp + BEIJING))


def build(session: Session, city: int | None = None) -> Dashboard:
    """The dashboard of one city's assets (or of all, for the auditor)."""
    board = Dashboard()
    payments = (select(PaymentRow, IndexedBlock.timestamp)
                .join(AssetRow, AssetRow.asset_id == PaymentRow.asset_id)
                .join(IndexedBlock, IndexedBlock.number == PaymentRow.first_block,
                      isouter=True))  # fmt: skip
    if city is not None:
        payments = payments.where(AssetRow.city == city)
    months: dict[str, Month] = {}
    for row, stamp in session.execute(payments):
        operator, treasury = int(row.operator_share), int(row.treasury_share)
        board.operator_total += operator
        board.treasury_total += treasury
        if row.settlement == "offchain" and not row.remitted:
            board.outstanding += treasury
            board.outstanding_count += 1
        key = _month(int(stamp)) if stamp else "-"
        entry = months.setdefault(key, Month(key))
        entry.operator += operator
        entry.treasury += treasury
    board.months = [months[k] for k in sorted(months)]
    assets = select(AssetRow.status, func.count()).group_by(AssetRow.status)
    if city is not None:
        assets = assets.where(AssetRow.city == city)
    counts: Counter[str] = Counter()
    for status, count in session.execute(assets):
        counts[lists.STATUS.get(str(status), str(status))] += int(count)
    board.by_status = dict(counts)
    certs = select(CertificateRow.city, func.count()).group_by(CertificateRow.city)
    board.by_city = {int(c): int(n) for c, n in session.execute(certs)}
    return board
