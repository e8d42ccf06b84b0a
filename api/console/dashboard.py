"""The finance and auditor dashboards: the figures read through
:func:`chain.service.store_reads.dashboard_figures` (revenue by month in Beijing time split
between operators and the treasury, outstanding remittance, assets by status, certificates
by city), shown as plain SVG bars (no script, readable as a table too) and, where scripts
run, as ECharts charts fed by :func:`chart_data` (served as JSON beside each page)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from api.console import i18n, lists
from chain.service import store_reads


@dataclass
class Dashboard(store_reads.Figures):
    """The figures as the page draws them (with the scales of its bars)."""

    @property
    def month_max(self) -> int:
        return max((m.total for m in self.months), default=0)

    @property
    def status_max(self) -> int:
        return max(self.by_status.values(), default=0)


def build(session: Session, city: int | None = None) -> Dashboard:
    """The dashboard of one city's assets (or of all, for the auditor)."""
    figures = store_reads.dashboard_figures(session, city)
    by_status: dict[str, int] = {}
    for status, count in figures.by_status.items():
        name = lists.STATUS.get(status, status)
        by_status[name] = by_status.get(name, 0) + count
    return Dashboard(
        months=figures.months, operator_total=figures.operator_total,
        treasury_total=figures.treasury_total, outstanding=figures.outstanding,
        outstanding_count=figures.outstanding_count,
        outstanding_by_month=dict(sorted(figures.outstanding_by_month.items())),
        by_status=by_status, by_city=figures.by_city,
    )  # fmt: skip


def _yuan(fen: int) -> float:
    return round(fen / 100, 2)


def chart_data(board: Dashboard, lang: str, *, cities: bool) -> dict[str, Any]:
    """What the ECharts charts draw, amounts in yuan and labels in the page's language:
    revenue by month (operator / treasury stacked), outstanding remittance by month,
    assets by status and (for the auditor) certificates by city."""
    data: dict[str, Any] = {
        "labels": {
            "operator": i18n.t(lang, "operator_share"),
            "treasury": i18n.t(lang, "treasury_share"),
            "outstanding": i18n.t(lang, "outstanding"),
            "revenue_by_month": i18n.t(lang, "revenue_by_month"),
            "assets_by_status": i18n.t(lang, "assets_by_status"),
            "certificates_by_city": i18n.t(lang, "certificates_by_city"),
            "unit": i18n.t(lang, "unit_yuan"),
            "nothing": i18n.t(lang, "nothing"),
        },
        "revenue": {
            "months": [m.month for m in board.months],
            "operator": [_yuan(m.operator) for m in board.months],
            "treasury": [_yuan(m.treasury) for m in board.months],
        },
        "outstanding": {
            "total": _yuan(board.outstanding),
            "count": board.outstanding_count,
            "months": list(board.outstanding_by_month),
            "amounts": [_yuan(v) for v in board.outstanding_by_month.values()],
        },
        "status": [
            {"name": i18n.status_name(lang, s), "status": s, "value": n}
            for s, n in sorted(board.by_status.items())
        ],
    }
    if cities:
        data["cities"] = [{"city": c, "value": n} for c, n in sorted(board.by_city.items())]
    return data
