"""One record of each kind for the entity pages (an asset, a certificate, an
application, a payment, an organisation's assets) and a page of the asset list, read
from the indexed store; the scope documents of applications from the gateway's records."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from api.console import lists
from chain import store_queries as q
from chain.runtime import LedgerRuntime
from chain.service import asset_documents, store_reads

PAGE_SIZE = 50
SCOPE = "paid-use-scope"


@dataclass
class AssetPage:
    items: list[lists.AssetItem]
    next_cursor: str | None


def asset_page(session: Session, *, text: str | None, named: list[str], status: str | None,
               holder: str | None, cursor: str | None) -> AssetPage:  # fmt: skip
    """One page of assets in chain order, filtered by text (and what it names), status
    and holder."""
    page = q.list_assets(session, q=text or None, named=named, status=status or None,
                         holder=holder or None, cursor=cursor or None,
                         limit=PAGE_SIZE)  # fmt: skip
    items = [lists.asset_item(item) for item in page.items]
    return AssetPage(lists.with_certificates(session, items), page.next_cursor)


def certificate(session: Session, certificate_id: str) -> dict[str, Any] | None:
    data = q.get_certificate(session, certificate_id)
    if data is None:
        return None
    data["status"] = lists.STATUS.get(str(data["status"]), str(data["status"]))
    return data


def payment(session: Session, payment_id: str) -> lists.PaymentItem | None:
    row = store_reads.payment_row(session, payment_id)
    if row is None:
        return None
    return lists.PaymentItem(row.payment_id, row.asset_id, int(row.amount),
                             int(row.operator_share), int(row.treasury_share),
                             bool(row.remitted))  # fmt: skip


def scopes(runtime: LedgerRuntime, apps: list[lists.ApplicationItem]) -> dict[str, Any]:
    """The scope document (purpose, term) of each application, by application id."""
    return asset_documents.committed(runtime, SCOPE, [a.application_id for a in apps])


def payments_of(session: Session, asset_id: str) -> list[lists.PaymentItem]:
    return lists.payments(session, asset_id)
