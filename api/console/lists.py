"""What the console pages list: assets, certificates, applications, pledges, schedules,
payments, an asset's history and the auditor's consistency report.

Lists, search and history come from the indexer's store (``app.state.indexer_store``)
through :mod:`chain.store_queries` and the read helpers of
:mod:`chain.service.store_reads` (applications, financings, schedules, payments); this
module only shapes their records for the pages.
The chain is read only where a page shows a proof. The store may lag the chain by a few
blocks: :func:`lag_of` says how far it is indexed, for the banner on list pages.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session, sessionmaker

from chain import store_queries as q
from chain.bindings.contracts import REGISTRY, SPLIT
from chain.bindings.enums import (
    ApplicationStatus,
    AssetAction,
    CertificateAction,
    FinancingKind,
    FinancingStatus,
)
from chain.errors import ChainUnavailable
from chain.indexer.consistency import ConsistencyReport, consistency_check
from chain.indexer.core import IndexerError
from chain.indexer.runner import deployment_specs
from chain.runtime import LedgerRuntime
from chain.service import store_reads
from chain.service.common import ASSET_STATUSES

#: Store status names (snake case) -> the status names the console labels.
STATUS = {
    "none": "None", "registered": "Registered", "in_notice": "InNotice",
    "certified": "Certified", "disposed": "Disposed", "deregistered": "Deregistered",
    "passed": "Passed", "failed": "Failed", "active": "Active", "revoked": "Revoked",
    "expired": "Expired", "superseded": "Superseded", "unknown": "Unknown",
    "applied": "Applied", "approved": "Approved", "rejected": "Rejected",
    "requested": "Requested", "released": "Released", "recorded": "Recorded",
    "pledge": "Pledge", "credit_line": "CreditLine", "equity_contribution": "EquityContribution",
    "cancelled": "Cancelled",
    # Usability (the first failing part of "usable")
    "usable": "Usable", "unknown_asset": "UnknownAsset", "not_certified": "NotCertified",
    "certificate_revoked": "CertificateRevoked", "certificate_expired": "CertificateExpired",
    "disputed": "Disputed",
}  # fmt: skip
LIST_LIMIT = q.MAX_LIMIT


def _status(name: str) -> str:
    return STATUS.get(name, name)


# -- store access ----------------------------------------------------------------------


def store_of(request: Request) -> sessionmaker[Session]:
    factory: sessionmaker[Session] | None = getattr(request.app.state, "indexer_store", None)
    if factory is None:
        raise ChainUnavailable("the indexed store is not configured on this gateway")
    return factory


@contextmanager
def reading(request: Request) -> Iterator[Session]:
    """One short read of the store."""
    with store_of(request)() as session:
        yield session


@dataclass(frozen=True)
class Lag:
    indexed: int
    head: int
    lag: int


#: A store this many blocks behind is behind, however recently it was seen to move.
LAG_BLOCKS = 10
#: A store stuck at one block for this many indexer polls (while the chain moved on) is
#: behind; before that the indexer's next poll will pick the new blocks up.
GRACE_POLLS = 4
#: per indexer (weakly: it goes with its indexer, and a new one at a gone one's address
#: does not inherit it): the block its store was first seen stuck at, and when
_behind_since: weakref.WeakKeyDictionary[Any, tuple[int, float]] = weakref.WeakKeyDictionary()


def lag_of(request: Request, runtime: LedgerRuntime) -> Lag | None:
    """How far the store is behind the chain's head, when it really is: a stopped
    indexer, a lag of more than :data:`LAG_BLOCKS`, or a store stuck at the same block for
    :data:`GRACE_POLLS` polls. A running indexer a block or two behind just after a block
    was mined is not behind (a banner then would flicker on every other load)."""
    runner: Any = getattr(request.app.state, "indexer", None)
    if runner is None:
        return None
    status = runner.status()
    lag = _lag(status, runtime)
    key = runner
    if lag is None:
        _behind_since.pop(key, None)
        return None
    seen = _behind_since.get(key)
    now = time.monotonic()
    if seen is None or seen[0] != lag.indexed:
        seen = _behind_since[key] = (lag.indexed, now)
    if lag.lag > LAG_BLOCKS or not status.get("running", True):
        return lag
    poll = float(getattr(runtime.settings, "indexer_poll_seconds", 1.0) or 1.0)
    return lag if now - seen[1] >= GRACE_POLLS * poll else None


def _lag(status: dict[str, Any], runtime: LedgerRuntime) -> Lag | None:
    indexed = status.get("indexed_block")
    try:
        head = int(runtime.w3.eth.block_number)
    except (ConnectionError, OSError):
        return None
    base = int(indexed) if indexed is not None else int(status["start_block"]) - 1
    lag = max(0, head - int(status.get("confirmations") or 0) - base)
    return Lag(indexed=max(base, 0), head=head, lag=lag) if lag > 0 else None


def indexed_block(request: Request) -> int | None:
    runner: Any = getattr(request.app.state, "indexer", None)
    if runner is None:
        return None
    value = runner.status().get("indexed_block")
    return int(value) if value is not None else None


# -- items -----------------------------------------------------------------------------


@dataclass
class AssetItem:
    asset_id: str
    holder_org_id: str
    city: int
    status: str
    compliance: str
    value_fen: int
    notice_ends_at: int
    current_certificate_id: str | None
    pledged: bool
    catalogue_hash: str
    certificate_status: str | None = None
    certificate_valid_until: int = 0
    #: the first failing part of "usable" (Usable when none), and a recorded dispute
    usability: str = "Usable"
    disputed: bool = False
    disposal_requested: bool = False

    @property
    def standing(self) -> str:
        """The status in words a holder needs: a certified asset whose certificate was
        revoked (or has expired), or whose ownership is disputed, says so, not "certified"."""
        if self.status in ("Certified", "Registered") and self.certificate_status in (
            "Revoked", "Expired",
        ):  # fmt: skip
            # (a revocation that is not followed by a re-issue returns the asset to
            # Registered, its revoked certificate still current until a new one)
            return f"Certificate{self.certificate_status}"
        if self.status == "Certified" and self.usability not in ("Usable", "NotCertified"):
            return self.usability
        return self.status

    @property
    def applicable(self) -> bool:
        """Whether a new paid-use application can be made for it (usable: certified, its
        certificate in force, not disputed; and not pledged)."""
        return (
            self.standing == "Certified"
            and self.certificate_status == "Active"
            and self.usability == "Usable"
            and not self.pledged
        )


def asset_item(data: dict[str, Any]) -> AssetItem:
    cert = str(data["current_certificate_id"])
    return AssetItem(
        asset_id=str(data["asset_id"]), holder_org_id=str(data["holder_org_id"]),
        city=int(data["city"]), status=_status(str(data["status"])),
        compliance=_status(str(data["compliance"])), value_fen=int(data["value_fen"]),
        notice_ends_at=int(data["notice_ends_at"]),
        current_certificate_id=None if int(cert, 16) == 0 else cert,
        pledged=bool(data["pledged"]), catalogue_hash=str(data["catalogue_hash"]),
        usability=_status(str(data.get("usability", "usable"))),
        disputed=bool(data["disputed"]),
        disposal_requested=bool(data.get("disposal_requested")),
    )  # fmt: skip


@dataclass
class CertificateItem:
    certificate_id: str
    asset_id: str
    registrar_org_id: str
    status: str
    issued_at: int
    valid_until: int
    kind: str
    revocation_reason: int
    #: v2 re-issue and amendment links (None when there is none)
    replaced_by: str | None = None
    supersedes: str | None = None


@dataclass
class ApplicationItem:
    application_id: str
    asset_id: str
    holder_org_id: str
    operator_org_id: str
    status: str
    competent_approved: bool
    data_admin_approved: bool
    applied_at: int


@dataclass
class FinancingItem:
    financing_id: str
    asset_id: str
    amount_fen: int
    kind: str
    status: str
    counterparty_org_id: str = ""
    holder_org_id: str = ""


@dataclass
class ScheduleItem:
    version: int
    lower_bounds: list[int]
    operator_bps: list[int]


@dataclass
class PaymentItem:
    payment_id: str
    asset_id: str
    amount: int
    operator_share: int
    treasury_share: int
    remitted: bool
    paid_at: int = 0
    settlement: str = "onchain"


@dataclass
class EventItem:
    name: str
    block: int
    timestamp: int
    tx_hash: str
    actor: str | None
    asset_status: str | None
    args: dict[str, Any] = field(default_factory=dict)


# -- queries ---------------------------------------------------------------------------


def assets(session: Session, *, holder: str | None = None, city: int | None = None,
           text: str | None = None, named: Sequence[str] = (), status: str | None = None,
           limit: int = LIST_LIMIT) -> list[AssetItem]:  # fmt: skip
    """Assets of a holder or city (or matching a text, or ``named`` by it), newest first,
    with their current certificate's status."""
    page = q.list_assets(session, holder=holder, city=city, q=text or None, named=named,
                         status=status, limit=limit)  # fmt: skip
    return with_certificates(session, [asset_item(item) for item in reversed(page.items)])


def with_certificates(session: Session, items: list[AssetItem]) -> list[AssetItem]:
    ids = [a.current_certificate_id for a in items if a.current_certificate_id]
    found = store_reads.certificate_standing(session, ids)
    for item in items:
        if item.current_certificate_id in found:
            status, item.certificate_valid_until = found[item.current_certificate_id]
            item.certificate_status = _status(status)
    return items


def asset(session: Session, asset_id: str) -> AssetItem | None:
    data = q.get_asset(session, asset_id)
    return with_certificates(session, [asset_item(data)])[0] if data is not None else None


def certificates(session: Session, *, issuer: str | None = None, asset_id: str | None = None,
                 limit: int = LIST_LIMIT) -> list[CertificateItem]:  # fmt: skip
    """Certificates issued by a registrar (or of one asset), newest first."""
    page = q.list_certificates(session, issuer=issuer, asset_id=asset_id, limit=limit)
    return [certificate_item(c) for c in reversed(page.items)]


def certificate_item(c: dict[str, Any]) -> CertificateItem:
    return CertificateItem(
        certificate_id=str(c["certificate_id"]),
        asset_id=str(c["asset_id"]),
        registrar_org_id=str(c["registrar_org_id"]),
        status=_status(str(c["status"])),
        issued_at=int(c["issued_at"]),
        valid_until=int(c["valid_until"]),
        kind=str(c["kind"]),
        revocation_reason=int(c["revocation_reason"]),
        replaced_by=c["replaced_by"],
        supersedes=c["supersedes"],
    )


def asset_queue(session: Session, city: int, name: str, page: int = 1,
                now: int | None = None) -> store_reads.Slice[AssetItem]:  # fmt: skip
    """One page of a registrar's queue of assets (counted, not loaded, beyond the page)."""
    found = store_reads.asset_queue(session, city, name, page, now=now)
    items = with_certificates(session, [asset_item(a) for a in found.rows])
    return store_reads.Slice(items, found.total, found.page, found.size)


def disposable(session: Session, holder: str, named: Sequence[str], text: str = "",
               page: int = 1) -> store_reads.Slice[AssetItem]:  # fmt: skip
    """One page of a holder's assets that may be disposed of, found by id (``text``) or
    among ``named`` (the ids whose title or catalogue code contain it)."""
    found = store_reads.disposable_assets(session, holder, named=named, text=text, page=page)
    return store_reads.Slice([asset_item(a) for a in found.rows], found.total, found.page,
                             found.size)  # fmt: skip


def holder_assets(session: Session, holder: str, *, view: str = "all", text: str = "",
                  named: Sequence[str] = (), page: int = 1,
                  now: int | None = None) -> store_reads.Slice[AssetItem]:  # fmt: skip
    """One page of a holder's assets (every one, those a paid-use application or pledge
    may name, or those whose disposal waits), newest first, with their certificates'
    status, and how many there are; with ``text``, found by id or among ``named``."""
    found = q.holder_assets(session, holder, view=view, text=text, named=named, page=page,
                            size=store_reads.PAGE_SIZE, now=now)  # fmt: skip
    items = with_certificates(session, [asset_item(a) for a in found.rows])
    return store_reads.Slice(items, found.total, found.page, found.size)


def holder_counts(session: Session, holder: str) -> dict[str, int]:
    """How many of a holder's assets are in each status (the console's status names)."""
    return {_status(name): n for name, n in q.holder_status_counts(session, holder).items()}


def issued_certificates(session: Session, issuer: str, page: int = 1,
                        **which: Any) -> store_reads.Slice[CertificateItem]:  # fmt: skip
    """One page of a registrar's certificates (see ``store_reads.issued_certificates``)."""
    found = store_reads.issued_certificates(session, issuer, page=page, **which)
    return store_reads.Slice([certificate_item(c) for c in found.rows], found.total,
                             found.page, found.size)  # fmt: skip


def applications(session: Session, *, holder: str | None = None, city: int | None = None,
                 status: str | None = None, asset_id: str | None = None,
                 application_id: str | None = None) -> list[ApplicationItem]:  # fmt: skip
    """Paid-use applications of a holder, of the assets of a city or of one asset (or the
    one with ``application_id``), newest first."""
    rows = store_reads.application_rows(
        session,
        holder=holder,
        city=city,
        status=status,
        asset_id=asset_id,
        application_id=application_id,
    )
    return [
        ApplicationItem(
            application_id=r.application_id,
            asset_id=r.asset_id,
            holder_org_id=r.holder_org_id,
            operator_org_id=r.operator_org_id,
            status=_status(r.status),
            competent_approved=bool(r.competent_approved),
            data_admin_approved=bool(r.data_admin_approved),
            applied_at=int(r.applied_at),
        )
        for r in rows
    ]


def financings(session: Session, *, counterparty: str | None = None,
               holder: str | None = None) -> list[FinancingItem]:  # fmt: skip
    """Pledges, credit lines and contributions with one counterparty (or of one holder),
    newest first."""
    return [
        FinancingItem(
            r.financing_id,
            r.asset_id,
            int(r.amount_fen),
            _status(r.kind),
            _status(r.status),
            r.counterparty_org_id,
            r.holder_org_id,
        )
        for r in store_reads.financing_rows(session, counterparty=counterparty, holder=holder)
    ]


def schedules(session: Session, asset_id: str) -> list[ScheduleItem]:
    """Every schedule version of an asset, oldest first."""
    return by_asset(session, [asset_id])[0].get(asset_id, [])


def payments(session: Session, asset_id: str) -> list[PaymentItem]:
    """Every payment of an asset, oldest first, with the time of its block."""
    return by_asset(session, [asset_id])[1].get(asset_id, [])


def by_asset(session: Session, asset_ids: Sequence[str]) -> tuple[
        dict[str, list[ScheduleItem]], dict[str, list[PaymentItem]]]:  # fmt: skip
    """The schedule versions and payments of many assets in two reads, by asset id."""
    plans: dict[str, list[ScheduleItem]] = {}
    paid: dict[str, list[PaymentItem]] = {}
    for r in store_reads.schedule_rows(session, asset_ids):
        plans.setdefault(r.asset_id, []).append(
            ScheduleItem(
                int(r.version), [int(b) for b in r.lower_bounds], [int(b) for b in r.operator_bps]
            )
        )
    for p, stamp in store_reads.payment_rows(session, asset_ids):
        paid.setdefault(p.asset_id, []).append(
            PaymentItem(
                p.payment_id,
                p.asset_id,
                int(p.amount),
                int(p.operator_share),
                int(p.treasury_share),
                bool(p.remitted),
                stamp,
                str(p.settlement),
            )
        )
    return plans, paid


_ASSET_ACTION_NAMES = {
    "Deregistered": "AssetDeregistered", "Disposed": "AssetDisposed",
}  # fmt: skip
_APPLICATION_NAMES = {
    "Applied": "PaidUseApplied", "Approved": "PaidUseApproved", "Rejected": "PaidUseRejected",
    "Cancelled": "PaidUseCancelled", "Expired": "PaidUseExpired",
}  # fmt: skip
_FINANCING_NAMES = {
    ("Pledge", "Requested"): "PledgeRequested", ("Pledge", "Active"): "PledgeConfirmed",
    ("Pledge", "Released"): "PledgeReleased", ("Pledge", "Cancelled"): "PledgeCancelled",
    ("Pledge", "Expired"): "PledgeExpired", ("CreditLine", "Recorded"): "CreditLineRecorded",
    ("EquityContribution", "Recorded"): "EquityContributed",
}  # fmt: skip


def event_name(event: str, args: dict[str, Any]) -> str:
    """What happened, by name: the v2 events that carry an action or a status say which
    (``CertificateChanged`` with action Revoked is ``CertificateRevoked``, an
    ``ApplicationChanged`` to Approved is ``PaidUseApproved``, ...)."""
    try:
        if event == "AssetChanged":
            action = AssetAction.name_of(int(args["action"]))
            return _ASSET_ACTION_NAMES.get(action, action)
        if event == "CertificateChanged":
            return "Certificate" + CertificateAction.name_of(int(args["action"]))
        if event == "ApplicationChanged":
            a = args["application"]
            status = ApplicationStatus.name_of(int(a["status"]))
            if status == "Applied" and (a["competentApproved"] or a["dataAdminApproved"]):
                return "PaidUseReviewed"
            return _APPLICATION_NAMES.get(status, event)
        if event == "FinancingChanged":
            f = args["financing"]
            key = (FinancingKind.name_of(int(f["kind"])), FinancingStatus.name_of(int(f["status"])))
            return _FINANCING_NAMES.get(key, event)
    except (KeyError, TypeError, ValueError):
        return event
    return event


def history(session: Session, asset_id: str) -> list[EventItem]:
    """Every event of an asset (its own, its certificates', applications', financings',
    payments'), in chain order."""
    out: list[EventItem] = []
    cursor: str | None = None
    while True:
        page = q.asset_history(session, asset_id, cursor)
        for e in page.items:
            args = e["args"] if isinstance(e["args"], dict) else {}
            record = args.get("state")  # every v2 asset event carries the AssetState
            status = None
            if isinstance(record, dict) and isinstance(record.get("status"), int):
                index = int(record["status"])
                status = ASSET_STATUSES[index] if index < len(ASSET_STATUSES) else None
            out.append(EventItem(
                name=event_name(str(e["event"]), args), block=int(e["block_number"]),
                timestamp=int(e["timestamp"]), tx_hash=str(e["tx_hash"]),
                actor=e["actor_org_id"], asset_status=status, args=args,
            ))  # fmt: skip
        if page.next_cursor is None:
            return out
        cursor = page.next_cursor


def consistency(session: Session, runtime: LedgerRuntime) -> ConsistencyReport:
    """The store against the chain at the last indexed block (as ``/v1/audit/consistency``)."""
    try:
        registry = runtime.contract(REGISTRY)
        revenue = runtime.contract(SPLIT)
        specs = deployment_specs(runtime.deployment)
        return consistency_check(session, runtime.w3, registry, revenue, contracts=specs)
    except (ConnectionError, OSError, IndexerError) as exc:
        raise ChainUnavailable(f"the chain does not answer: {exc}") from exc
