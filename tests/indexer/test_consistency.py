"""The consistency check covers every stored row: each table edited, emptied of a row and
given an extra row is reported as exactly that difference (table, key, field, both
values), and the report is clean again after a re-index."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3

from chain import store_queries as q
from chain.db import Base, make_engine, session_factory
from chain.indexer import ContractSpec, Indexer, consistency, event_audit
from chain.indexer.consistency import ConsistencyReport, consistency_check
from chain.indexer.event_audit import EVENT_FIELDS, VerifiedRanges
from chain.indexer.models import (
    INDEXER_TABLES,
    PROJECTION_TABLES,
    AgreementRow,
    ApplicationRow,
    AssetRow,
    CertificateRow,
    Checkpoint,
    FinancingRow,
    GovernanceRow,
    IndexedBlock,
    ObjectionRow,
    OrgIndexRow,
    OrgRow,
    PaymentRow,
    ProposalRow,
    RawEvent,
    RecognitionRow,
    ScheduleRow,
    SigningKeyRow,
    SplitAccountRow,
    create_tables,
)
from tests.indexer.conftest import deploy, ledger_abi, new_store
from tests.indexer.workload import LEDGER_EVENTS, StoreViews, Workload, encode_log

RANGE_BLOCKS = 8  # several ranges over the workload's blocks
FAKE = "0x" + "ab" * 32


class ViewTruth(StoreViews):
    """The registry's and revenue split's views, answering from an untouched store."""


@dataclass
class Indexed:
    """A workload on the chain, indexed once into an untouched SQLite file."""

    w3: Web3
    probe: Any
    spec: ContractSpec
    start: int
    block: int  # the checkpoint of the untouched store
    pristine: Path
    truth: ViewTruth

    def check(self, factory: sessionmaker[Session], **kwargs: Any) -> ConsistencyReport:
        kwargs.setdefault("verified", VerifiedRanges())
        with factory() as session:
            return consistency_check(
                session, self.w3, self.truth, self.truth, contracts=[self.spec],
                range_blocks=RANGE_BLOCKS, **kwargs,
            )  # fmt: skip

    def reindex(self, factory: sessionmaker[Session]) -> None:
        engine = factory.kw["bind"]
        Base.metadata.drop_all(
            engine, tables=[Base.metadata.tables[t.__tablename__] for t in INDEXER_TABLES]
        )
        create_tables(engine)
        Indexer(self.w3, factory, [self.spec], start_block=self.start, batch_size=7).sync()


def _emit(probe: Any, name: str, values: dict[str, Any]) -> None:
    topics, data = encode_log(LEDGER_EVENTS[name], values)
    tx = probe.functions.emitRawMany([topics], [data]).transact({"gas": 2_000_000})
    assert probe.w3.eth.wait_for_transaction_receipt(tx)["status"] == 1


def _payments(probe: Any) -> None:
    """The auditor's case: a token payment with an operator share of 9,000,000 fen and an
    off-chain payment recorded by the operator."""
    common = {"assetId": "0x" + "a1" * 32, "amount": 30_000_000, "scheduleVersion": 1,
              "city": 370200, "operatorOrgId": "0x" + "c2" * 32}  # fmt: skip
    _emit(probe, "PaymentSettled", {
        **common, "paymentId": "0x" + "b1" * 32, "payerOrgId": "0x" + "c1" * 32,
        "payer": "0x" + "d1" * 20, "operatorShare": 9_000_000, "treasuryShare": 21_000_000,
        "externalRef": "0x" + "e1" * 32,
    })  # fmt: skip
    _emit(probe, "OffchainPaymentRecorded", {
        **common, "paymentId": "0x" + "b2" * 32,
        "recordedBy": "0x" + "d2" * 20, "operatorShare": 9_000_000,
        "treasuryShare": 21_000_000, "bankRef": "0x" + "e2" * 32,
    })  # fmt: skip


@pytest.fixture(scope="module")
def indexed(chain_w3: Web3, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Indexed]:
    probe = deploy(chain_w3, "IndexerProbe")
    spec = ContractSpec(name="AssetRegistryV2", address=probe.address, abi=ledger_abi())
    start = chain_w3.eth.block_number + 1
    workload = Workload(probe, seed=11)
    workload.run(30, events_per_tx=6)
    _payments(probe)
    workload.run(30, events_per_tx=6)
    path = tmp_path_factory.mktemp("consistency") / "pristine.db"
    engine = make_engine(f"sqlite:///{path}")
    create_tables(engine)
    factory = session_factory(engine)
    Indexer(chain_w3, factory, [spec], start_block=start, batch_size=7).sync()
    truth = ViewTruth(factory)
    with factory() as session:
        for model in PROJECTION_TABLES:
            assert session.scalars(select(model)).first() is not None, model.__tablename__
        cp = session.scalar(select(Checkpoint))
        assert cp is not None
    engine.dispose()
    yield Indexed(chain_w3, probe, spec, start, cp.block_number, path, truth)


@pytest.fixture
def store_copy(
    indexed: Indexed, tmp_path: Path, store_kind: str
) -> Iterator[sessionmaker[Session]]:
    """A fresh copy of the indexed store, for one test to tamper with (SQLite: a backup
    of the indexed file; PostgreSQL: the same blocks indexed again)."""
    if store_kind == "sqlite":
        target = tmp_path / "ledger.db"
        with closing(sqlite3.connect(indexed.pristine)) as src, closing(
            sqlite3.connect(target)
        ) as dst:
            src.backup(dst)
        engine = make_engine(f"sqlite:///{target}")
    else:
        engine = new_store(store_kind, tmp_path, "consistency")
        head = indexed.w3.eth.block_number
        Indexer(indexed.w3, session_factory(engine), [indexed.spec], start_block=indexed.start,
                batch_size=7, confirmations=head - indexed.block).sync()  # fmt: skip
    yield session_factory(engine)
    engine.dispose()


def _columns(model: Any) -> dict[str, Any]:
    return {c.key: c for c in model.__table__.columns}


def _first(session: Session, model: Any, *where: Any) -> dict[str, Any]:
    """The first row (by primary key) as a dict of every column."""
    table = model.__table__
    stmt = select(*table.columns).where(*where).order_by(*table.primary_key.columns).limit(1)
    row = session.execute(stmt).first()
    assert row is not None, (model.__tablename__, where)
    return dict(row._mapping)


def _event_key(e: dict[str, Any]) -> dict[str, Any]:
    return {"block_number": e["block_number"], "log_index": e["log_index"]}


def _row(table: str, change: str, key: dict[str, Any], field: str | None,
         store: Any, chain: Any) -> dict[str, Any]:  # fmt: skip
    return {
        "kind": "row", "change": change, "table": table, "key": key,
        "id": "/".join(str(v) for v in key.values()), "field": field,
        "store": store, "chain": chain,
    }  # fmt: skip


def _without_id(event: dict[str, Any]) -> dict[str, Any]:
    return {k: event[k] for k in EVENT_FIELDS}


# ------------------------------------------------------------------ the auditor's findings


def test_edited_payment_event_share_is_reported_with_both_values(
    indexed: Indexed, store_copy: sessionmaker[Session]
) -> None:
    with store_copy() as session, session.begin():
        event = _first(session, RawEvent, RawEvent.event == "PaymentSettled",
                       RawEvent.subject_id == "0x" + "b1" * 32)  # fmt: skip
        assert event["args"]["operatorShare"] == 9_000_000
        args = {**event["args"], "operatorShare": 900_000}
        session.execute(update(RawEvent).where(RawEvent.id == event["id"]).values(args=args))
        exported = [e["args"]["operatorShare"] for e in
                    q.list_events(session, q.EventFilter(kinds=("PaymentSettled",)),
                                  limit=500).items if e["id"] == event["id"]]  # fmt: skip
    assert exported == [900_000]  # what the export served
    report = indexed.check(store_copy)
    assert not report.consistent
    assert report.differences == [
        _row("idx_events", "changed", _event_key(event), "args.operatorShare", 900_000, 9_000_000)
    ]


def test_deleted_offchain_payment_event_is_reported_missing(
    indexed: Indexed, store_copy: sessionmaker[Session]
) -> None:
    with store_copy() as session, session.begin():
        event = _first(session, RawEvent, RawEvent.event == "OffchainPaymentRecorded",
                       RawEvent.subject_id == "0x" + "b2" * 32)  # fmt: skip
        session.execute(delete(RawEvent).where(RawEvent.id == event["id"]))
    report = indexed.check(store_copy)
    assert report.to_json()["consistent"] is False
    assert report.differences == [
        _row("idx_events", "missing", _event_key(event), None, None, _without_id(event))
    ]


# ------------------------------------------------------------------ every table, three ways

Tamper = Callable[[Session], tuple[dict[str, Any], set[tuple[str, str]]]]
#: A column to edit per projection table, and how.
EDITS: dict[Any, tuple[str, Callable[[Any], Any]]] = {
    OrgRow: ("name_hash", lambda v: FAKE),
    OrgIndexRow: ("org_id", lambda v: FAKE),
    SigningKeyRow: ("valid_until", lambda v: v + 1),
    ProposalRow: ("approvals", lambda v: v + 1),
    GovernanceRow: ("threshold", lambda v: v + 1),
    ObjectionRow: ("reason_hash", lambda v: FAKE),
    SplitAccountRow: ("pending_effective_at", lambda v: v + 1),
    AssetRow: ("catalogue_hash", lambda v: FAKE),
    CertificateRow: ("metadata_hash", lambda v: FAKE),
    RecognitionRow: ("recognised_block", lambda v: v + 1000),
    AgreementRow: ("updated_at", lambda v: v + 1),
    ApplicationRow: ("competent_approved", lambda v: not v),
    ScheduleRow: ("operator_bps", lambda v: [*v, 1]),
    PaymentRow: ("treasury_share", lambda v: v // 10 if v else 1),
    FinancingRow: ("amount_fen", lambda v: v + 1),
}


def _key_of(model: Any, row: dict[str, Any]) -> dict[str, Any]:
    return {c.key: row[c.key] for c in model.__table__.primary_key.columns}


def _outstanding(row: dict[str, Any]) -> set[tuple[str, str]]:
    """A payment row whose treasury share is still to remit changed: the asset's
    ``outstandingRemittance`` differs too."""
    if "payment_id" in row and row["settlement"] == "offchain" and not row["remitted"]:
        return {("payment_totals", row["asset_id"])}
    return set()


def _edit(model: Any) -> Tamper:
    def tamper(session: Session) -> tuple[dict[str, Any], set[tuple[str, str]]]:
        name, change = EDITS[model]
        row = _first(session, model)
        key = _key_of(model, row)
        new = change(row[name])
        where = [_columns(model)[k] == v for k, v in key.items()]
        session.execute(update(model).where(*where).values({name: new}))
        return _row(model.__tablename__, "changed", key, name, new, row[name]), _outstanding(row)

    return tamper


def _delete(model: Any) -> Tamper:
    def tamper(session: Session) -> tuple[dict[str, Any], set[tuple[str, str]]]:
        row = _first(session, model)
        key = _key_of(model, row)
        session.execute(delete(model).where(*[_columns(model)[k] == v for k, v in key.items()]))
        views = _outstanding(row) if row.get("treasury_share") else set()
        if views and session.scalars(select(PaymentRow).where(
            PaymentRow.asset_id == row["asset_id"])).first() is None:  # fmt: skip
            views = set()  # outstandingRemittance is only asked for assets with stored payments
        return _row(model.__tablename__, "missing", key, None, None, row), views

    return tamper


def _insert(model: Any) -> Tamper:
    def tamper(session: Session) -> tuple[dict[str, Any], set[tuple[str, str]]]:
        row = _first(session, model)
        pk = [c.key for c in model.__table__.primary_key.columns]
        width = getattr(model.__table__.columns[pk[-1]].type, "length", None) or len(FAKE)
        # a key that fits the column (PostgreSQL enforces the width: governance's is 16)
        fake = FAKE if width >= len(FAKE) else "fake-" + "ab" * ((width - 5) // 2)
        row[pk[-1]] = row[pk[-1]] + 1000 if isinstance(row[pk[-1]], int) else fake
        if model is RecognitionRow:
            row["active"] = False  # an active one would also differ from isRecognised
        session.execute(insert(model).values(**row))
        views = _outstanding(row) if row.get("treasury_share") else set()
        if model is CertificateRow:
            views.add(("certificate_status", FAKE))  # the registry knows no such certificate
        if model is PaymentRow:
            views.add(("payment_status", FAKE))  # the split knows no such payment
        if model is AssetRow:
            now = q.indexed_time(session)
            if q.asset_usability(SimpleNamespace(**row), now) != "unknown_asset":  # type: ignore[arg-type]
                views.add(("asset_usability", FAKE))  # the registry knows no such asset
        return _row(model.__tablename__, "extra", _key_of(model, row), None, row, None), views

    return tamper


def _edit_event(session: Session) -> tuple[dict[str, Any], set[tuple[str, str]]]:
    event = _first(session, RawEvent, RawEvent.event == "OrgAdmitted")
    args = {**event["args"], "org": {**event["args"]["org"], "city": 999_999}}
    session.execute(update(RawEvent).where(RawEvent.id == event["id"]).values(args=args))
    city = event["args"]["org"]["city"]
    return _row("idx_events", "changed", _event_key(event), "args.org.city", 999_999, city), set()


def _delete_event(session: Session) -> tuple[dict[str, Any], set[tuple[str, str]]]:
    event = _first(session, RawEvent, RawEvent.event == "AssetValued")
    session.execute(delete(RawEvent).where(RawEvent.id == event["id"]))
    return _row("idx_events", "missing", _event_key(event), None, None, _without_id(event)), set()


def _insert_event(session: Session) -> tuple[dict[str, Any], set[tuple[str, str]]]:
    event = _first(session, RawEvent)
    copy = {**_without_id(event), "log_index": 900, "tx_hash": FAKE}
    new_id = session.execute(insert(RawEvent).values(**copy).returning(RawEvent.id)).scalar_one()
    stored = {"id": new_id, **copy}
    return _row("idx_events", "extra", _event_key(copy), None, stored, None), set()


def _block_with_events(session: Session) -> dict[str, Any]:
    """A stored block that holds events and is not the checkpoint's."""
    cp = session.scalar(select(Checkpoint))
    assert cp is not None
    number = session.scalar(
        select(RawEvent.block_number).where(RawEvent.block_number != cp.block_number).limit(1)
    )
    return _first(session, IndexedBlock, IndexedBlock.number == number)


def _edit_block(session: Session) -> tuple[dict[str, Any], set[tuple[str, str]]]:
    block = _block_with_events(session)
    session.execute(update(IndexedBlock).where(IndexedBlock.number == block["number"])
                    .values(hash=FAKE))  # fmt: skip
    key = {"number": block["number"]}
    return _row("idx_blocks", "changed", key, "hash", FAKE, block["hash"]), set()


def _delete_block(session: Session) -> tuple[dict[str, Any], set[tuple[str, str]]]:
    block = _block_with_events(session)
    session.execute(delete(IndexedBlock).where(IndexedBlock.number == block["number"]))
    return _row("idx_blocks", "missing", {"number": block["number"]}, None, None, block), set()


def _insert_block(session: Session) -> tuple[dict[str, Any], set[tuple[str, str]]]:
    cp = session.scalar(select(Checkpoint))
    assert cp is not None
    block = {"number": cp.block_number + 3, "hash": FAKE, "parent_hash": FAKE, "timestamp": 1}
    session.execute(insert(IndexedBlock).values(**block))
    return _row("idx_blocks", "extra", {"number": block["number"]}, None, block, None), set()


def _edit_checkpoint(session: Session) -> tuple[dict[str, Any], set[tuple[str, str]]]:
    cp = session.scalar(select(Checkpoint))
    assert cp is not None
    key, events = {"stream": cp.stream}, cp.events
    cp.events = events - 1
    return _row("idx_checkpoint", "changed", key, "events", events - 1, events), set()


CASES: dict[str, Tamper] = {
    "idx_events-edit": _edit_event,
    "idx_events-delete": _delete_event,
    "idx_events-insert": _insert_event,
    "idx_blocks-edit": _edit_block,
    "idx_blocks-delete": _delete_block,
    "idx_blocks-insert": _insert_block,
    "idx_checkpoint-edit": _edit_checkpoint,
    **{f"{m.__tablename__}-edit": _edit(m) for m in PROJECTION_TABLES},
    **{f"{m.__tablename__}-delete": _delete(m) for m in PROJECTION_TABLES},
    **{f"{m.__tablename__}-insert": _insert(m) for m in PROJECTION_TABLES},
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_one_tampered_row_is_exactly_the_difference(
    indexed: Indexed, store_copy: sessionmaker[Session], case: str
) -> None:
    assert indexed.check(store_copy).differences == []
    with store_copy() as session, session.begin():
        expected, views = CASES[case](session)
    report = indexed.check(store_copy)
    rows = [d for d in report.differences if d["kind"] == "row"]
    assert rows == [expected]
    assert {(d["kind"], d["id"]) for d in report.differences if d["kind"] != "row"} == views


def test_report_is_clean_after_a_reindex(
    indexed: Indexed, store_copy: sessionmaker[Session]
) -> None:
    with store_copy() as session, session.begin():
        for case in ("idx_events-edit", "idx_blocks-delete", "idx_payments-edit",
                     "idx_certificates-insert", "idx_orgs-delete"):  # fmt: skip
            CASES[case](session)
    assert len(indexed.check(store_copy).differences) >= 5
    indexed.reindex(store_copy)
    report = indexed.check(store_copy)
    assert report.consistent, report.differences
    with store_copy() as session:
        stored = session.scalar(select(Checkpoint))
        assert stored is not None
        events = len(list(session.scalars(select(RawEvent))))
    assert report.checked["events"] == events == stored.events
    assert report.checked["idx_payments"] >= 2


def test_report_lists_at_most_max_differences_and_says_so(
    indexed: Indexed, store_copy: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    with store_copy() as session, session.begin():
        orgs = len(list(session.scalars(select(OrgRow))))
        session.execute(update(OrgRow).values(name_hash=FAKE))
    full = indexed.check(store_copy)
    assert len(full.differences) == orgs > 3 and full.truncated is False
    monkeypatch.setattr(consistency, "MAX_DIFFERENCES", 3)
    capped = indexed.check(store_copy)
    assert capped.differences == full.differences[:3]
    assert capped.to_json()["truncated"] is True and capped.consistent is False


# ------------------------------------------------------------------ incremental by range


def test_verified_ranges_spare_chain_reads_and_replays_and_still_catch_edits(
    indexed: Indexed, store_copy: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    verified = VerifiedRanges()
    first = indexed.check(store_copy, verified=verified)
    assert first.consistent and first.checked["ranges_verified_before"] == 0
    assert first.checked["ranges"] >= 5
    fetched: list[tuple[int, int]] = []
    replayed: list[int] = []
    logs, replay_stored = event_audit.ChainLogs.logs, event_audit.replay_stored

    def counting_logs(self: event_audit.ChainLogs, r: event_audit.BlockRange) -> Any:
        fetched.append((r.first, r.last))
        return logs(self, r)

    def counting_replays(state: Any, stored: event_audit.StoredRange) -> None:
        replayed.append(len(stored.events))
        replay_stored(state, stored)

    monkeypatch.setattr(event_audit.ChainLogs, "logs", counting_logs)
    monkeypatch.setattr(event_audit, "replay_stored", counting_replays)
    again = indexed.check(store_copy, verified=verified)
    assert again.consistent and fetched == [] and replayed == []  # hashed locally only
    assert again.checked["ranges_verified_before"] == again.checked["ranges"]
    assert again.events_digest == first.events_digest
    assert {k: v for k, v in again.checked.items() if k.startswith("idx_")} == {
        k: v for k, v in first.checked.items() if k.startswith("idx_")
    }
    # a projection edited: no range differs, the replay runs from the verified events
    with store_copy() as session, session.begin():
        projection, _views = _edit(FinancingRow)(session)
    edited = indexed.check(store_copy, verified=verified)
    assert edited.differences == [projection] and fetched == []
    assert sum(replayed) == first.checked["events"]
    # an event edited: only its range is read from the chain again
    replayed.clear()
    with store_copy() as session, session.begin():
        expected, _ = _edit_event(session)
    tampered = indexed.check(store_copy, verified=verified)
    assert tampered.differences == [expected, projection]
    block = expected["key"]["block_number"]
    assert len(fetched) == 1 and fetched[0][0] <= block <= fetched[0][1]
    assert tampered.events_digest != first.events_digest


# ------------------------------------------------------------------ a moving indexer


class IndexWhileChecking(VerifiedRanges):
    """Verified ranges that, on the first look-up, let the indexer store more blocks."""

    def __init__(self, catch_up: Callable[[], None]) -> None:
        super().__init__()
        self.catch_up: Callable[[], None] | None = catch_up

    def get(self, key: tuple[Any, ...]) -> str | None:
        if self.catch_up is not None:
            catch_up, self.catch_up = self.catch_up, None
            catch_up()
        return super().get(key)


def test_rows_the_indexer_writes_during_a_check_are_not_reported(
    chain_w3: Web3, probe: Any, probe_spec: ContractSpec, store: sessionmaker[Session]
) -> None:
    start = chain_w3.eth.block_number + 1
    workload = Workload(probe, seed=12)
    workload.run(10, events_per_tx=6)
    indexer = Indexer(chain_w3, store, [probe_spec], start_block=start)
    indexer.sync()
    before, _hash = indexer.checkpoint()
    workload.run(10, events_per_tx=6)
    moving = IndexWhileChecking(lambda: indexer.sync() and None)
    views = StoreViews(store, live=True)
    with store() as session:
        report = consistency_check(
            session, chain_w3, views, views, contracts=[probe_spec], verified=moving,
            range_blocks=4,
        )  # fmt: skip
    after, _hash = indexer.checkpoint()
    assert moving.catch_up is None and after > before
    assert report.block == after
    assert report.consistent, report.differences[:3]
    with store() as session:
        assert report.checked["events"] == len(list(session.scalars(select(RawEvent))))
