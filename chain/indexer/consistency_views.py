"""The consistency check's reads of the v2 contracts' views at the indexed block.

What the store answers about certificates (status with expiry), recognitions, assets'
usability and payments is compared with what the contracts answer at the last indexed
block: ``AssetRegistryV2.certificateStatus``, ``isRecognised`` and ``usability``, and
``RevenueSplitV2.paymentStatus`` (one slot per payment) and ``outstandingRemittance`` (per
asset). Each difference names the record, the field, the store's value and the chain's.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from chain.indexer.models import AssetRow, CertificateRow, PaymentRow, RecognitionRow
from chain.indexer.projections import CERTIFICATE_STATUS, USABILITY
from chain.store_queries import (
    PAYMENT_STATUS,
    asset_usability,
    effective_status,
    indexed_time,
    payment_status,
    payment_totals,
)


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


def usability(
    session: Session, registry: Any, block: int, limit: int | None = None
) -> tuple[int, list[dict[str, Any]]]:
    """Every asset's first failing part of "usable" (``usability``) and its city."""
    at = {"block_identifier": block}
    now = indexed_time(session)
    out: list[dict[str, Any]] = []
    count = 0
    for asset in session.scalars(select(AssetRow).order_by(AssetRow.asset_id)):
        part, city = registry.functions.usability(asset.asset_id).call(**at)
        name = USABILITY[int(part)] if int(part) < len(USABILITY) else "?"
        ours = asset_usability(asset, now)
        if name != ours:
            out.append(
                {"kind": "asset_usability", "id": asset.asset_id, "store": ours, "chain": name}
            )
        if int(city) != asset.city and name != "unknown_asset":
            out.append(
                {"kind": "asset_city", "id": asset.asset_id, "store": asset.city,
                 "chain": int(city)}
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
        .order_by(RecognitionRow.certificate_id, RecognitionRow.org_index)
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


def payments(session: Session, revenue: Any, block: int) -> tuple[int, list[dict[str, Any]]]:
    """Every payment's status (``paymentStatus``) and, per asset with payments, the treasury
    share still to remit (``outstandingRemittance``). Returns (assets checked, differences)."""
    at = {"block_identifier": block}
    out: list[dict[str, Any]] = []
    for p in session.scalars(select(PaymentRow).order_by(PaymentRow.payment_id)):
        chain_status = int(revenue.functions.paymentStatus(p.payment_id).call(**at))
        name = PAYMENT_STATUS[chain_status] if chain_status < len(PAYMENT_STATUS) else "?"
        ours = payment_status(p)
        if name != ours:
            out.append(
                {"kind": "payment_status", "id": p.payment_id, "store": ours, "chain": name}
            )
    asset_ids = session.scalars(
        select(PaymentRow.asset_id).group_by(PaymentRow.asset_id).order_by(PaymentRow.asset_id)
    )
    count = 0
    for asset_id in asset_ids:
        stored = payment_totals(session, asset_id)["outstanding"]
        theirs = int(revenue.functions.outstandingRemittance(asset_id).call(**at))
        if stored != theirs:
            out.append(
                {"kind": "payment_totals", "id": asset_id, "field": "outstanding",
                 "store": stored, "chain": theirs}
            )  # fmt: skip
        count += 1
    return count, out
