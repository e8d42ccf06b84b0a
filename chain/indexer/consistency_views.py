"""The consistency check's reads of contract views at the indexed block.

What the store answers about certificates (status with expiry), recognitions and payment
totals is compared with what the contracts' views answer at the last indexed block; each
difference names the record, the field, the store's value and the chain's.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from chain.indexer.models import CertificateRow, PaymentRow, RecognitionRow
from chain.indexer.projections import CERTIFICATE_STATUS
from chain.store_queries import effective_status, indexed_time, payment_totals


def certificate_statuses(
    session: Session, registry: Any, block: int, limit: int | None = None
) -> tuple[int, list[dict[str, Any]]]:
    """Every certificate's status (``certificateStatus``): (checked, differences)."""
    at = {"block_identifier": block}
    now = indexed_time(session)
    out: list[dict[str, Any]] = []
    certs = session.scalars(select(CertificateRow).order_by(CertificateRow.certificate_id))
    count = 0
    for cert in certs:
        chain_status = int(registry.functions.certificateStatus(cert.certificate_id).call(**at))
        name = CERTIFICATE_STATUS[chain_status] if chain_status < len(CERTIFICATE_STATUS) else "?"
        ours = effective_status(cert, now)
        if name != ours:
            out.append(
                {"kind": "certificate_status", "id": cert.certificate_id,
                 "store": ours, "chain": name}
            )  # fmt: skip
        count += 1
        if limit is not None and count >= limit:
            break
    return count, out


def recognitions(session: Session, registry: Any, block: int) -> tuple[int, list[dict[str, Any]]]:
    """Every active recognition of an active certificate (``isRecognised``)."""
    at = {"block_identifier": block}
    now = indexed_time(session)
    out: list[dict[str, Any]] = []
    rows = session.scalars(
        select(RecognitionRow)
        .where(RecognitionRow.active.is_(True))
        .order_by(RecognitionRow.certificate_id, RecognitionRow.org_id)
    )
    count = 0
    for rec in rows:
        recognised = session.get(CertificateRow, rec.certificate_id)
        if recognised is None or effective_status(recognised, now) != "active":
            continue  # recognition only counts while the certificate is active
        on_chain = bool(registry.functions.isRecognised(rec.certificate_id, rec.org_id).call(**at))
        if not on_chain:
            out.append(
                {"kind": "recognition", "id": rec.certificate_id, "org_id": rec.org_id,
                 "store": True, "chain": False}
            )  # fmt: skip
        count += 1
    return count, out


def payment_totals_by_asset(
    session: Session, revenue: Any, block: int
) -> tuple[int, list[dict[str, Any]]]:
    """The payment totals of every asset with payments (``assetTotals``)."""
    at = {"block_identifier": block}
    out: list[dict[str, Any]] = []
    asset_ids = session.scalars(
        select(PaymentRow.asset_id).group_by(PaymentRow.asset_id).order_by(PaymentRow.asset_id)
    )
    count = 0
    for asset_id in asset_ids:
        ours = payment_totals(session, asset_id)
        total_paid, operator_total, treasury_total = revenue.functions.assetTotals(asset_id).call(
            **at
        )
        theirs = {
            "total_paid": int(total_paid),
            "operator_total": int(operator_total),
            "treasury_total": int(treasury_total),
        }
        for key, value in theirs.items():
            if ours[key] != value:
                out.append(
                    {"kind": "payment_totals", "id": asset_id, "field": key,
                     "store": ours[key], "chain": value}
                )  # fmt: skip
        count += 1
    return count, out
