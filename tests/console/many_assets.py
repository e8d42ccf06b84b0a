"""A thousand synthetic assets in the store, with titles and catalogue codes, for the
console's paging tests and ``bench/console_pages.py``: rows written straight into the index
(no chain writes), documents saved the way registration saves them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chain.indexer.models import AssetRow
from chain.service import asset_documents

ZERO = "0x" + "00" * 32
COUNT = 1_000


def asset_row(
    i: int, holder: str, city: int, *, status: str = "registered", compliance: str = "none",
    disposal_requested: bool = False,
) -> AssetRow:  # fmt: skip
    """Asset number ``i`` of ``holder`` (id ``0x…i``, value ``100,000 × i`` fen)."""
    return AssetRow(
        asset_id=f"0x{i:064x}", holder_org_id=holder, catalogue_hash=f"0x{i + 7:064x}",
        metadata_hash=ZERO, batch_id=ZERO, valuation_report_hash=ZERO,
        compliance_report_hash=ZERO, current_certificate_id=ZERO, pledge_id=ZERO,
        operator_org_id=ZERO, disposal_reason_hash=ZERO, value_fen=100_000 * i,
        city=city, domain_code=7, valuation_method=1, open_objections=0,
        registered_at=0, notice_ends_at=0, status=status, compliance=compliance,
        disputed=False, paid_use_approved=False, valued=True, certificate_revoked=False,
        certificate_valid_until=0, nonce=0, dispute_reason_hash=ZERO,
        dispute_resolution_hash=ZERO, disposal_requested=disposal_requested,
        first_block=10**9 + i, first_log_index=0, updated_block=10**9 + i,
        updated_log_index=0,
    )  # fmt: skip


def seed_assets(
    runtime: Any, store: Callable[[], Any], holder: str, city: int, count: int = COUNT,
    row: Callable[[int], AssetRow] | None = None,
) -> None:  # fmt: skip
    """``count`` assets of ``holder`` in the index (``row(i)`` or plain registered ones)
    and their documents: title ``负载测试资源 i``, catalogue code ``370200-LD-2025-iiii``."""
    make = row or (lambda i: asset_row(i, holder, city))
    with store() as session, session.begin():
        session.add_all([make(i) for i in range(1, count + 1)])
    asset_documents.save(runtime, *[asset_documents.AssetDocument(
        asset_id=f"0x{i:064x}", holder_org_id=holder, catalogue_code=f"370200-LD-2025-{i:04d}",
        domain_code=7, metadata_doc={"title": f"负载测试资源 {i}"}, catalogue_hash=ZERO,
        catalogue_salt=ZERO, metadata_hash=ZERO, metadata_salt=ZERO,
    ) for i in range(1, count + 1)])  # fmt: skip
