"""The gateway's own record of what it committed to on chain: documents and their salts.

``asset_documents``: the catalogue code and metadata document a holder registered, with
the salts of their commitments, so the holder can open a commitment later and the store
can search catalogue codes. ``committed_documents``: other documents the gateway committed
to (paid-use scopes, amended metadata). ``signed_certificates``: the portable certificate
document, signed once by the issuing registrar while its key is valid.
"""

from __future__ import annotations

import weakref
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Index,
    Integer,
    String,
    Text,
    bindparam,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column

from chain.db import Base
from chain.errors import Conflict
from chain.runtime import LedgerRuntime
from chain.txpipe.guards import JournalGuard


def utcnow() -> datetime:
    return datetime.now(UTC)


class AssetDocument(Base):
    """One registered (or batch-committed) resource and the openings of its hashes."""

    __tablename__ = "asset_documents"
    #: the duplicate-code check of every registration reads one entry of this index (with
    #: only the holder's, it walked every asset the holder had registered)
    __table_args__ = (
        Index("ix_asset_documents_holder_code", "holder_org_id", "catalogue_code", "domain_code"),
    )

    asset_id: Mapped[str] = mapped_column(String(66), primary_key=True)
    holder_org_id: Mapped[str] = mapped_column(String(66), index=True)
    catalogue_code: Mapped[str] = mapped_column(String(200), index=True)
    domain_code: Mapped[int] = mapped_column(BigInteger)
    metadata_doc: Mapped[Any] = mapped_column("metadata", JSON)
    catalogue_hash: Mapped[str] = mapped_column(String(66))
    catalogue_salt: Mapped[str] = mapped_column(String(66))
    metadata_hash: Mapped[str] = mapped_column(String(66))
    metadata_salt: Mapped[str] = mapped_column(String(66))
    batch_id: Mapped[str | None] = mapped_column(String(66), index=True)
    batch_index: Mapped[int | None] = mapped_column(Integer)
    operation_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CommittedDocument(Base):
    """A document the gateway committed to on chain (salted), by what it belongs to."""

    __tablename__ = "committed_documents"

    digest: Mapped[str] = mapped_column(String(66), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str] = mapped_column(String(66), index=True)
    org_id: Mapped[str] = mapped_column(String(66))
    document: Mapped[Any] = mapped_column(JSON)
    salt: Mapped[str] = mapped_column(String(66))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SignedCertificate(Base):
    """The signed EIP-712 certificate document (canonical JSON), signed once."""

    __tablename__ = "signed_certificates"

    certificate_id: Mapped[str] = mapped_column(String(66), primary_key=True)
    registrar_org_id: Mapped[str] = mapped_column(String(66))
    signer: Mapped[str] = mapped_column(String(42))
    document: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


TABLES = [AssetDocument.__table__, CommittedDocument.__table__, SignedCertificate.__table__]
#: the engines whose tables were made (weakly: an engine let go leaves the set, so a new
#: engine made at its address is not taken for it)
_READY: weakref.WeakSet[Engine] = weakref.WeakSet()


def ensure_tables(runtime: LedgerRuntime) -> None:
    """Create these tables on the runtime's database if they are missing (once per engine)."""
    if runtime.engine in _READY:
        return
    Base.metadata.create_all(runtime.engine, tables=TABLES)  # type: ignore[arg-type]
    _READY.add(runtime.engine)


#: the assets some holders registered under some catalogue codes (built once: building the
#: statement cost more than running it, on every registration); it reads the entries of
#: ``ix_asset_documents_holder_code`` of each (holder, code) pair
_BY_CODES = select(
    AssetDocument.__table__.c.holder_org_id,
    AssetDocument.__table__.c.catalogue_code,
    AssetDocument.__table__.c.domain_code,
    AssetDocument.__table__.c.asset_id,
).where(
    AssetDocument.__table__.c.holder_org_id.in_(bindparam("holders", expanding=True)),
    AssetDocument.__table__.c.catalogue_code.in_(bindparam("codes", expanding=True)),
)
#: catalogue codes looked up in one statement (well below any database's parameter limit)
_CODES_A_QUERY = 500

#: (holder organisation, catalogue code, domain)
CodeKey = tuple[str, str, int]


def registered_codes(
    session: Session, holder_org_ids: Collection[str], codes: Collection[str]
) -> dict[CodeKey, str]:
    """The assets the holders registered under any of these catalogue codes (any domain):
    (holder, code, domain) -> asset id."""
    found: dict[CodeKey, str] = {}
    holders, ordered = sorted(set(holder_org_ids)), sorted(set(codes))
    for start in range(0, len(ordered), _CODES_A_QUERY):
        chunk = ordered[start : start + _CODES_A_QUERY]
        for holder, code, domain, asset_id in session.execute(
            _BY_CODES, {"holders": holders, "codes": chunk}
        ):
            found[(str(holder), str(code), int(domain))] = str(asset_id)
    return found


@dataclass(frozen=True)
class CodesUnregistered(JournalGuard):
    """A registration's guard: its holder has registered none of its (catalogue code,
    domain) pairs, checked in the transaction that journals it. ``asset_ids`` are the
    assets it registers under them, in order; ``in_batch`` names the item of a batch in
    the refusal."""

    holder_org_id: str
    codes: tuple[tuple[str, int], ...]
    asset_ids: tuple[str, ...]
    in_batch: bool = False

    @classmethod
    def refusals(
        cls, session: Session, guards: Sequence[JournalGuard]
    ) -> list[BaseException | None]:
        mine = [guard for guard in guards if isinstance(guard, CodesUnregistered)]
        assert len(mine) == len(guards)
        taken = registered_codes(
            session,
            {guard.holder_org_id for guard in mine},
            {code for guard in mine for code, _ in guard.codes},
        )
        refusals: list[BaseException | None] = []
        for guard in mine:
            refusal = guard._refusal(taken)
            if refusal is None:  # the codes are this write's now, for the rest of the burst
                for (code, domain), asset_id in zip(guard.codes, guard.asset_ids, strict=True):
                    taken[(guard.holder_org_id, code, domain)] = asset_id
            refusals.append(refusal)
        return refusals

    def _refusal(self, taken: dict[CodeKey, str]) -> Conflict | None:
        for index, (code, domain) in enumerate(self.codes):
            existing = taken.get((self.holder_org_id, code, domain))
            if existing is not None:
                item = f"item {index}: " if self.in_batch else ""
                return Conflict(
                    f"{item}catalogue code {code!r} (domain {domain}) is registered already "
                    f"as asset {existing}",
                    asset_id=existing,
                )
        return None


def get_asset_document(runtime: LedgerRuntime, asset_id: str) -> AssetDocument | None:
    ensure_tables(runtime)
    with runtime.sessions() as session:
        return session.get(AssetDocument, asset_id)


def batch_items(runtime: LedgerRuntime, batch_id: str) -> list[AssetDocument]:
    ensure_tables(runtime)
    with runtime.sessions() as session:
        return list(
            session.scalars(
                select(AssetDocument)
                .where(AssetDocument.batch_id == batch_id)
                .order_by(AssetDocument.batch_index)
            )
        )


def save(runtime: LedgerRuntime, *rows: Base) -> None:
    ensure_tables(runtime)
    with runtime.sessions() as session, session.begin():
        for row in rows:
            session.merge(row)


def signed_certificate(runtime: LedgerRuntime, certificate_id: str) -> SignedCertificate | None:
    ensure_tables(runtime)
    with runtime.sessions() as session:
        return session.get(SignedCertificate, certificate_id)


#: At most this many registered resources are searched by title in one query.
SEARCH_LIMIT = 5000


def labels(runtime: LedgerRuntime) -> dict[str, tuple[str, str]]:
    """Every registered resource's catalogue code and title (as its holder typed them),
    by asset id: the names people know their assets by."""
    ensure_tables(runtime)
    stmt = select(AssetDocument.asset_id, AssetDocument.catalogue_code,
                  AssetDocument.metadata_doc).limit(SEARCH_LIMIT)  # fmt: skip
    with runtime.sessions() as session:
        rows = session.execute(stmt).all()
    return {str(asset_id): (str(code), _title(doc)) for asset_id, code, doc in rows}


def _title(document: Any) -> str:
    if isinstance(document, dict):
        return str(document.get("title") or "")
    return ""


def search(runtime: LedgerRuntime, text: str) -> list[str]:
    """Ids of the resources whose catalogue code or title contains ``text`` (any case)."""
    needle = text.strip().lower()
    if not needle:
        return []
    return [asset_id for asset_id, (code, title) in labels(runtime).items()
            if needle in code.lower() or needle in title.lower()]  # fmt: skip


def committed(runtime: LedgerRuntime, purpose: str, subject_ids: list[str]) -> dict[str, Any]:
    """The documents of ``purpose`` the gateway committed to for ``subject_ids`` (a
    paid-use application's scope, say), by subject id."""
    ensure_tables(runtime)
    if not subject_ids:
        return {}
    stmt = select(CommittedDocument.subject_id, CommittedDocument.document).where(
        CommittedDocument.purpose == purpose, CommittedDocument.subject_id.in_(subject_ids)
    )
    with runtime.sessions() as session:
        return {str(subject): document for subject, document in session.execute(stmt).all()}
