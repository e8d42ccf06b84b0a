"""Typed reads of the indexed store: lists, search, history, audit, export, consistency.

Lists use keyset pagination: ``cursor`` is the opaque position ``block.logindex.id`` of
the last item returned, and every list orders by (block, log index, id), which never
changes for a record once indexed, so pages are stable while the indexer appends.
"""

from __future__ import annotations

import base64
import csv
import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import ColumnElement, Connection, Select, and_, func, or_, select
from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3

from chain.indexer.models import (
    AssetRow,
    CertificateRow,
    Checkpoint,
    IndexedBlock,
    PaymentRow,
    RawEvent,
    RecognitionRow,
)
from chain.indexer.projections import ZERO

if TYPE_CHECKING:
    from chain.indexer.consistency import ConsistencyReport

MAX_LIMIT = 500
#: The largest integer the store's integer columns hold (a signed 64-bit BIGINT): block
#: numbers, log indexes, times and ids beyond it match nothing and cannot be bound.
MAX_STORE_INT = 2**63 - 1
#: Domain codes are uint32 on chain.
_DOMAIN_CODE_LIMIT = 2**32
ExportFormat = Literal["csv", "jsonl"]


class BadCursor(ValueError):
    """The cursor was not produced by this API."""


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next_cursor: str | None


def encode_cursor(block: int, log_index: int, key: str | int) -> str:
    raw = f"{block}.{log_index}.{key}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _store_int(text: str) -> int:
    value = int(text)
    if not 0 <= value <= MAX_STORE_INT:
        raise ValueError(f"{value} is outside 0..{MAX_STORE_INT}")
    return value


def decode_cursor(cursor: str, key_is_int: bool = False) -> tuple[int, int, str]:
    """Block, log index and key of a cursor from :func:`encode_cursor` (BadCursor if not:
    bad base64 or text, numbers that are not store integers, a key that is not one when
    ``key_is_int``)."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        block, log_index, key = base64.urlsafe_b64decode(padded).decode().split(".", 2)
        if key_is_int:
            _store_int(key)
        return _store_int(block), _store_int(log_index), key
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadCursor(f"invalid cursor {cursor!r}") from exc


def _after(columns: Sequence[Any], cursor: str | None, key_is_int: bool = False) -> Any:
    if cursor is None:
        return None
    block, log_index, key = decode_cursor(cursor, key_is_int)
    b, li, k = columns
    value: Any = int(key) if key_is_int else key
    return or_(
        b > block,
        and_(b == block, li > log_index),
        and_(b == block, li == log_index, k > value),
    )


def _limit(limit: int) -> int:
    return max(1, min(MAX_LIMIT, limit))


def _row(obj: Any) -> dict[str, Any]:
    return {c.key: getattr(obj, c.key) for c in obj.__table__.columns}


# ---------------------------------------------------------------- assets


def asset_usability(row: AssetRow, now: int) -> str:
    """The first failing part of "usable" as ``AssetRegistryV2.usability`` names it at ``now``
    (certified, current certificate neither revoked nor expired, not disputed)."""
    if row.status == "none":
        return "unknown_asset"
    if row.status in ("disposed", "deregistered"):
        return row.status
    if row.status != "certified":
        return "not_certified"
    if row.certificate_revoked:
        return "certificate_revoked"
    if now >= row.certificate_valid_until:
        return "certificate_expired"
    if row.disputed:
        return "disputed"
    return "usable"


def asset_dict(row: AssetRow, now: int | None = None) -> dict[str, Any]:
    data = _row(row)
    data["value_fen"] = int(row.value_fen)
    data["pledged"] = row.pledge_id != ZERO
    if now is not None:
        data["usability"] = asset_usability(row, now)
        data["usable"] = data["usability"] == "usable"
    return data


def list_assets(
    session: Session,
    *,
    holder: str | None = None,
    city: int | None = None,
    status: str | None = None,
    operator: str | None = None,
    q: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
    named: Sequence[str] = (),
) -> Page:
    """Assets filtered by holder, city, status, operator and text in catalogue code/hash;
    ``named`` (ids or holder org ids the text names, found by the caller in the gateway's
    own documents) match the text too."""
    stmt = select(AssetRow)
    if holder:
        stmt = stmt.where(AssetRow.holder_org_id == holder.lower())
    if city is not None:
        stmt = stmt.where(AssetRow.city == city)
    if status:
        stmt = stmt.where(AssetRow.status == status)
    if operator:
        stmt = stmt.where(AssetRow.operator_org_id == operator.lower())
    if q:
        text = _asset_text(q)
        if named:
            ids = [n.lower() for n in named]
            text = or_(text, AssetRow.asset_id.in_(ids), AssetRow.holder_org_id.in_(ids))
        stmt = stmt.where(text)
    now = indexed_time(session)
    return _page(
        session, stmt, AssetRow, AssetRow.asset_id, cursor, limit, lambda r: asset_dict(r, now)
    )


def _asset_text(q: str) -> ColumnElement[bool]:
    text = q.strip().lower()
    clauses: list[ColumnElement[bool]] = [
        AssetRow.catalogue_hash.contains(text),
        AssetRow.asset_id.contains(text),
        AssetRow.metadata_hash.contains(text),
    ]
    if text.isascii() and text.isdigit() and int(text) < _DOMAIN_CODE_LIMIT:
        clauses.append(AssetRow.domain_code == int(text))
    return or_(*clauses)


def _page(
    session: Session,
    stmt: Select[Any],
    model: Any,
    key: Any,
    cursor: str | None,
    limit: int,
    render: Any,
) -> Page:
    columns = (model.first_block, model.first_log_index, key)
    condition = _after(columns, cursor)
    if condition is not None:
        stmt = stmt.where(condition)
    size = _limit(limit)
    rows = list(session.scalars(stmt.order_by(*columns).limit(size + 1)))
    more = len(rows) > size
    rows = rows[:size]
    next_cursor = None
    if more and rows:
        last = rows[-1]
        next_cursor = encode_cursor(last.first_block, last.first_log_index, getattr(last, key.key))
    return Page([render(r) for r in rows], next_cursor)


def get_asset(session: Session, asset_id: str) -> dict[str, Any] | None:
    row = session.get(AssetRow, asset_id.lower())
    if row is None:
        return None
    data = asset_dict(row, indexed_time(session))
    data["certificates"] = list(
        session.scalars(
            select(CertificateRow.certificate_id)
            .where(CertificateRow.asset_id == row.asset_id)
            .order_by(CertificateRow.first_block, CertificateRow.first_log_index)
        )
    )
    data["payment_totals"] = payment_totals(session, row.asset_id)
    return data


# ---------------------------------------------------------------- certificates


def indexed_time(session: Session) -> int:
    """The timestamp of the last indexed block (the store's "now" for expiry)."""
    cp = session.scalar(select(Checkpoint).limit(1))
    if cp is None or cp.block_hash is None:
        return 0
    block = session.get(IndexedBlock, cp.block_number)
    return block.timestamp if block else 0


def effective_status(row: CertificateRow, now: int) -> str:
    if row.status == "active" and now and now >= row.valid_until:
        return "expired"
    return row.status


def certificate_dict(row: CertificateRow, now: int) -> dict[str, Any]:
    data = _row(row)
    data["issuer_org_id"] = row.registrar_org_id
    data["status"] = effective_status(row, now)
    data["replaced_by"] = None if row.replaced_by == ZERO else row.replaced_by
    data["supersedes"] = None if row.supersedes == ZERO else row.supersedes
    return data


def list_certificates(
    session: Session,
    *,
    holder: str | None = None,
    issuer: str | None = None,
    city: int | None = None,
    status: str | None = None,
    recognised_by: str | None = None,
    asset_id: str | None = None,
    q: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page:
    """Certificates filtered by holder, issuer, city, status, recognising org and text."""
    now = indexed_time(session)
    stmt = select(CertificateRow)
    if holder:
        stmt = stmt.where(CertificateRow.holder_org_id == holder.lower())
    if issuer:
        stmt = stmt.where(CertificateRow.registrar_org_id == issuer.lower())
    if city is not None:
        stmt = stmt.where(CertificateRow.city == city)
    if asset_id:
        stmt = stmt.where(CertificateRow.asset_id == asset_id.lower())
    if status == "expired":
        stmt = stmt.where(CertificateRow.status == "active", CertificateRow.valid_until <= now)
    elif status == "active":
        stmt = stmt.where(CertificateRow.status == "active", CertificateRow.valid_until > now)
    elif status:
        stmt = stmt.where(CertificateRow.status == status)
    if recognised_by:
        stmt = stmt.where(
            select(RecognitionRow.certificate_id)
            .where(
                RecognitionRow.certificate_id == CertificateRow.certificate_id,
                RecognitionRow.org_id == recognised_by.lower(),
                RecognitionRow.active.is_(True),
            )
            .exists()
        )
    if q:
        text = q.strip().lower()
        stmt = stmt.join(AssetRow, AssetRow.asset_id == CertificateRow.asset_id, isouter=True)
        stmt = stmt.where(or_(CertificateRow.certificate_id.contains(text), _asset_text(text)))
    return _page(
        session, stmt, CertificateRow, CertificateRow.certificate_id, cursor, limit,
        lambda r: certificate_dict(r, now),
    )  # fmt: skip


_CERTIFICATES = CertificateRow.__table__
_FIRST_CHECKPOINT = select(Checkpoint.block_number, Checkpoint.block_hash).limit(1).subquery()
#: :func:`indexed_time` as a scalar subquery (NULL when it would be 0)
_INDEXED_TIME = (
    select(IndexedBlock.timestamp)
    .where(
        IndexedBlock.number == _FIRST_CHECKPOINT.c.block_number,
        _FIRST_CHECKPOINT.c.block_hash.is_not(None),
    )
    .scalar_subquery()
)
#: one certificate, the store's "now" and its active recognitions, one row per recognition
#: (one row with no org when none), in recognition order
_CERTIFICATE_BY_ID = (
    select(*_CERTIFICATES.c, _INDEXED_TIME.label("indexed_time"), RecognitionRow.org_id)
    .outerjoin(
        RecognitionRow,
        and_(RecognitionRow.certificate_id == CertificateRow.certificate_id, RecognitionRow.active),
    )
    .order_by(RecognitionRow.recognised_block, RecognitionRow.org_index)
)


def get_certificate(session: Session, cert_id: str) -> dict[str, Any] | None:
    """One certificate from the store with ``recognised_by`` (the active recognitions'
    organisations in recognition order): one query, no ORM objects."""
    rows = session.execute(
        _CERTIFICATE_BY_ID.where(CertificateRow.certificate_id == cert_id.lower())
    ).all()
    if not rows:
        return None
    first = rows[0]._mapping
    now = int(first["indexed_time"] or 0)
    data = {c.key: first[c] for c in _CERTIFICATES.c}
    data["issuer_org_id"] = data["registrar_org_id"]
    if data["status"] == "active" and now and now >= data["valid_until"]:
        data["status"] = "expired"
    data["replaced_by"] = None if data["replaced_by"] == ZERO else data["replaced_by"]
    data["supersedes"] = None if data["supersedes"] == ZERO else data["supersedes"]
    data["recognised_by"] = [row.org_id for row in rows if row.org_id is not None]
    return data


def certificate_json(session: Session, cert_id: str) -> bytes | None:
    """:func:`get_certificate` as the JSON bytes the gateway answers (FastAPI's
    ``JSONResponse`` encoding), None when the store has no such certificate."""
    found = get_certificate(session, cert_id)
    if found is None:
        return None
    return json.dumps(
        found, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
    ).encode()


_CHECKPOINTS = Checkpoint.__table__.c
#: a Core statement (no ORM loading of the result): the version is read on every lookup
_STORE_VERSION = select(
    _CHECKPOINTS.stream, _CHECKPOINTS.block_number, _CHECKPOINTS.block_hash,
    _CHECKPOINTS.events, _CHECKPOINTS.reorgs, _CHECKPOINTS.updated_at,
).order_by(_CHECKPOINTS.stream)  # fmt: skip


def store_version(conn: Session | Connection) -> tuple[tuple[Any, ...], ...]:
    """Where every indexed stream stands and when it was last written: the indexer moves
    its checkpoint row (position, event count, reorg count, write time) in the same
    transaction as every batch and every roll-back, so two equal versions read the same
    store (an answer built between them is the store's answer at that version)."""
    return tuple(tuple(row) for row in conn.execute(_STORE_VERSION))


# ---------------------------------------------------------------- events


def event_dict(row: RawEvent) -> dict[str, Any]:
    return {
        "id": row.id,
        "block_number": row.block_number,
        "block_hash": row.block_hash,
        "timestamp": row.timestamp,
        "tx_hash": row.tx_hash,
        "log_index": row.log_index,
        "contract": row.contract,
        "event": row.event,
        "actor_org_id": row.actor_org_id,
        "asset_id": row.asset_id,
        "subject_id": row.subject_id,
        "args": row.args,
    }


@dataclass(frozen=True)
class EventFilter:
    """Audit filters: block range, time range, kinds (event names), organisation, asset."""

    from_block: int | None = None
    to_block: int | None = None
    since: int | None = None
    until: int | None = None
    kinds: tuple[str, ...] = field(default_factory=tuple)
    org: str | None = None
    asset_id: str | None = None

    def statement(self) -> Select[RawEvent]:
        stmt = select(RawEvent)
        if self.from_block is not None:
            stmt = stmt.where(RawEvent.block_number >= self.from_block)
        if self.to_block is not None:
            stmt = stmt.where(RawEvent.block_number <= self.to_block)
        if self.since is not None:
            stmt = stmt.where(RawEvent.timestamp >= self.since)
        if self.until is not None:
            stmt = stmt.where(RawEvent.timestamp <= self.until)
        if self.kinds:
            stmt = stmt.where(RawEvent.event.in_(self.kinds))
        if self.org:
            stmt = stmt.where(RawEvent.actor_org_id == self.org.lower())
        if self.asset_id:
            stmt = stmt.where(RawEvent.asset_id == self.asset_id.lower())
        return stmt


_EVENT_ORDER = (RawEvent.block_number, RawEvent.log_index, RawEvent.id)


def list_events(
    session: Session, flt: EventFilter, cursor: str | None = None, limit: int = 100
) -> Page:
    stmt = flt.statement()
    condition = _after(_EVENT_ORDER, cursor, key_is_int=True)
    if condition is not None:
        stmt = stmt.where(condition)
    size = _limit(limit)
    rows = list(session.scalars(stmt.order_by(*_EVENT_ORDER).limit(size + 1)))
    more = len(rows) > size
    rows = rows[:size]
    last = rows[-1] if rows else None
    next_cursor = (
        encode_cursor(last.block_number, last.log_index, last.id) if more and last else None
    )
    return Page([event_dict(r) for r in rows], next_cursor)


def asset_history(
    session: Session, asset_id: str, cursor: str | None = None, limit: int = 500
) -> Page:
    """Every event of the asset in chain order, with block, time, tx hash and actor."""
    return list_events(session, EventFilter(asset_id=asset_id), cursor, limit)


EXPORT_COLUMNS = (
    "id", "block_number", "block_hash", "timestamp", "tx_hash", "log_index", "contract",
    "event", "actor_org_id", "asset_id", "subject_id", "args",
)  # fmt: skip


def export_events(
    factory: sessionmaker[Session], flt: EventFilter, fmt: ExportFormat, chunk: int = 200
) -> Iterator[str]:
    """Stream matching events as CSV or JSON Lines, in bounded memory for any size.

    Reads in keyset chunks (each its own short read, so a long download never holds a
    transaction open on the store) and yields text pieces of about ``chunk`` rows.
    """
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(EXPORT_COLUMNS)
        yield buffer.getvalue()
    cursor: str | None = None
    while True:
        with factory() as session:
            page = list_events(session, flt, cursor, limit=chunk)
        if fmt == "jsonl":
            yield "".join(json.dumps(item, separators=(",", ":")) + "\n" for item in page.items)
        else:
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            for item in page.items:
                row = [item[c] for c in EXPORT_COLUMNS]
                row[-1] = json.dumps(item["args"], separators=(",", ":"))
                writer.writerow(["" if v is None else v for v in row])
            yield buffer.getvalue()
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


# ---------------------------------------------------------------- payments


#: RevenueSplitV2.PaymentStatus
PAYMENT_STATUS = ("none", "settled", "offchain_outstanding", "offchain_remitted")


def payment_status(row: PaymentRow) -> str:
    """The payment's status as ``RevenueSplitV2.paymentStatus`` names it."""
    if row.settlement == "onchain":
        return "settled"
    return "offchain_remitted" if row.remitted else "offchain_outstanding"


def payment_totals(session: Session, asset_id: str) -> dict[str, int]:
    totals = {"total_paid": 0, "operator_total": 0, "treasury_total": 0, "outstanding": 0}
    for p in session.scalars(select(PaymentRow).where(PaymentRow.asset_id == asset_id)):
        totals["total_paid"] += int(p.amount)
        totals["operator_total"] += int(p.operator_share)
        totals["treasury_total"] += int(p.treasury_share)
        if not p.remitted:
            totals["outstanding"] += int(p.treasury_share)
    return totals


# ---------------------------------------------------------------- consistency


def consistency_check(
    session: Session, w3: Web3, registry: Any, revenue: Any | None, limit: int | None = None
) -> ConsistencyReport:
    """The store against the chain: see :mod:`chain.indexer.consistency` (kept here for
    callers of this module)."""
    from chain.indexer.consistency import consistency_check as check

    return check(session, w3, registry, revenue, limit)


def event_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(RawEvent)) or 0)


# ---------------------------------------------------------------- agreements


@dataclass(frozen=True)
class IndexedAgreements:
    """The registrars' agreements as the store holds them at ``block`` (whose hash was
    ``block_hash``), in the order they were first proposed."""

    block: int
    block_hash: str
    items: list[dict[str, Any]]


def indexed_agreements(
    session: Session, chain_id: int, directory_address: str, party: str | None = None
) -> IndexedAgreements | None:
    """The indexed agreements of the directory at ``directory_address`` (those ``party``
    signs or proposed, when given), with the block the store is indexed to. ``None`` when
    the store indexes no block of that chain and directory yet.

    The checkpoint is read before the rows: rows a later batch wrote are then at least as
    new as the block returned, never older."""
    from chain.indexer.models import AgreementRow

    address = directory_address.lower()
    checkpoint = None
    for cp in session.scalars(select(Checkpoint).where(Checkpoint.chain_id == chain_id)):
        contracts = cp.contracts or {}
        if cp.block_hash and address in (str(a).lower() for a in contracts.values()):
            checkpoint = cp
            break
    if checkpoint is None or checkpoint.block_hash is None:
        return None
    block, block_hash = int(checkpoint.block_number), str(checkpoint.block_hash)
    stmt = select(AgreementRow).where(AgreementRow.status != "none")
    if party is not None:
        org = party.lower()
        stmt = stmt.where(or_(AgreementRow.proposer_org_id == org,
                              AgreementRow.partner_org_id == org))  # fmt: skip
    stmt = stmt.order_by(AgreementRow.first_block, AgreementRow.first_log_index)
    items = [
        {"agreement_id": r.agreement_id, "proposer_org_id": r.proposer_org_id,
         "partner_org_id": r.partner_org_id, "status": r.status,
         "updated_at": int(r.updated_at)}
        for r in session.scalars(stmt)
    ]  # fmt: skip
    return IndexedAgreements(block=block, block_hash=block_hash, items=items)


# ---------------------------------------------------------------- a holder's assets, paged

#: What a holder's asset list may be narrowed to: every asset; those a paid-use
#: application or a pledge may name (certified, certificate neither revoked nor expired,
#: not disputed, not pledged); those whose disposal was asked and is not done yet.
HOLDER_ASSET_VIEWS = ("all", "applicable", "disposal_asked")


@dataclass(frozen=True)
class Counted:
    """One page of a list (``rows``) and how many rows the whole list has."""

    rows: list[dict[str, Any]]
    total: int
    page: int
    size: int


def holder_assets(
    session: Session,
    holder: str,
    *,
    view: str = "all",
    text: str = "",
    named: Sequence[str] = (),
    page: int = 1,
    size: int = 50,
    now: int | None = None,
) -> Counted:
    """One page of a holder's assets (:data:`HOLDER_ASSET_VIEWS` ``view``), newest first,
    as :func:`asset_dict` records, and their count (counted, not loaded, beyond the page).
    With ``text``, only those whose id contains it or that ``named`` lists (the ids whose
    title or catalogue code contain it, found by the caller in the gateway's documents).
    A page past the end is the last page. ``now``: the store's time (:func:`indexed_time`)."""
    if view not in HOLDER_ASSET_VIEWS:
        raise ValueError(f"no holder asset view {view!r}")
    now = indexed_time(session) if now is None else now
    stmt = select(AssetRow).where(AssetRow.holder_org_id == holder.lower())
    if view == "applicable":
        stmt = stmt.where(
            AssetRow.status == "certified",
            AssetRow.certificate_revoked.is_(False),
            AssetRow.certificate_valid_until > now,
            AssetRow.disputed.is_(False),
            AssetRow.pledge_id == ZERO,
        )
    elif view == "disposal_asked":
        stmt = stmt.where(AssetRow.disposal_requested.is_(True), AssetRow.status != "disposed")
    needle = text.strip().lower()
    if needle:
        ids = [n.lower() for n in named]
        found = AssetRow.asset_id.contains(needle, autoescape=True)
        stmt = stmt.where(or_(found, AssetRow.asset_id.in_(ids)))
    total = int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    size = max(1, size)
    page = max(1, min(page, -(-total // size) or 1))
    order = (AssetRow.first_block.desc(), AssetRow.first_log_index.desc(),
             AssetRow.asset_id.desc())  # fmt: skip
    rows = session.scalars(stmt.order_by(*order).offset((page - 1) * size).limit(size))
    return Counted([asset_dict(r, now) for r in rows], total, page, size)


def holder_status_counts(session: Session, holder: str) -> dict[str, int]:
    """How many of a holder's assets are in each status (store names), counted in the store."""
    stmt = (
        select(AssetRow.status, func.count())
        .where(AssetRow.holder_org_id == holder.lower())
        .group_by(AssetRow.status)
    )
    return {str(status): int(n) for status, n in session.execute(stmt).all()}
