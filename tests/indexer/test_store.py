"""Store reads: streamed export in bounded memory, consistency check, cursor pages."""

from __future__ import annotations

import csv
import io
import json
import tracemalloc
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3

from chain import store_queries as q
from chain.indexer import ContractSpec, Indexer
from chain.indexer.models import CertificateRow, Checkpoint, IndexedBlock, PaymentRow, RawEvent
from tests.indexer.workload import StoreViews, Workload


def _synthesise(factory: sessionmaker[Session], count: int) -> int:
    """``count`` events in the store (big arguments), returns their JSON size in bytes."""
    note = "x" * 400
    rows = [
        {
            "block_number": 1 + i // 10, "block_hash": "0x" + f"{1 + i // 10:064x}",
            "tx_hash": "0x" + f"{i:064x}", "log_index": i % 10, "timestamp": 1_700_000_000 + i,
            "contract": "AssetRegistryV2", "address": "0x" + "11" * 20, "event": "Pinged",
            "args": {"n": i, "note": note}, "subject_id": None, "actor_org_id": "0x" + "aa" * 32,
            "asset_id": None,
        }
        for i in range(count)
    ]  # fmt: skip
    with factory() as session, session.begin():
        for start in range(0, count, 2000):
            session.execute(insert(RawEvent), rows[start : start + 2000])
    return sum(len(json.dumps(r)) for r in rows)


def test_export_of_10000_events_streams_in_bounded_memory(
    store: sessionmaker[Session],
) -> None:
    size = _synthesise(store, 10_000)
    for fmt in ("jsonl", "csv"):
        tracemalloc.start()
        lines = 0
        first: str | None = None
        for piece in q.export_events(store, q.EventFilter(), fmt):  # type: ignore[arg-type]
            lines += piece.count("\n")
            first = first or piece
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert lines == 10_000 + (1 if fmt == "csv" else 0)
        assert peak < size / 3, f"{fmt}: peak {peak} bytes for {size} bytes of data"
        assert first is not None
    header = next(csv.reader(io.StringIO(first)))
    assert header == list(q.EXPORT_COLUMNS)


def test_events_pages_cover_every_event_once_in_order(store: sessionmaker[Session]) -> None:
    _synthesise(store, 1234)
    seen: list[tuple[int, int]] = []
    cursor = None
    with store() as session:
        while True:
            page = q.list_events(session, q.EventFilter(), cursor, limit=100)
            seen += [(e["block_number"], e["log_index"]) for e in page.items]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        kinds = q.list_events(session, q.EventFilter(kinds=("Other",)))
        ranged = q.list_events(session, q.EventFilter(from_block=5, to_block=6), limit=500)
    assert len(seen) == 1234
    assert seen == sorted(seen)
    assert kinds.items == []
    assert {e["block_number"] for e in ranged.items} == {5, 6}
    assert len(ranged.items) == 20


def test_consistency_check_reports_tampered_rows(
    chain_w3: Web3, probe: Any, probe_spec: ContractSpec, store: sessionmaker[Session]
) -> None:
    start = chain_w3.eth.block_number + 1
    Workload(probe, seed=77).run(80, events_per_tx=6)
    Indexer(chain_w3, store, [probe_spec], start_block=start).sync()
    with store() as session:
        certs = list(session.scalars(select(CertificateRow)))
        outstanding = {
            p.asset_id
            for p in session.scalars(select(PaymentRow))
            if p.settlement == "offchain" and not p.remitted and int(p.treasury_share)
        }
        n_events = len(list(session.scalars(select(RawEvent))))
    assert certs and outstanding, (n_events, len(certs), len(outstanding))
    truth = StoreViews(store)
    with store() as session:
        clean = q.consistency_check(session, chain_w3, truth, truth)
    assert clean.consistent, clean.differences
    assert clean.checked["certificates"] == len(certs)
    victim = certs[0]
    tampered_status = "revoked" if victim.status != "revoked" else "superseded"
    payment = sorted(outstanding)[0]
    with store() as session, session.begin():
        session.execute(
            update(CertificateRow)
            .where(CertificateRow.certificate_id == victim.certificate_id)
            .values(status=tampered_status)
        )
        row = session.scalars(
            select(PaymentRow).where(
                PaymentRow.asset_id == payment, PaymentRow.settlement == "offchain",
                PaymentRow.remitted.is_(False),
            )
        ).first()
        assert row is not None
        row.treasury_share = int(row.treasury_share) + 1
    with store() as session:
        report = q.consistency_check(session, chain_w3, truth, truth)
    assert not report.consistent
    kinds = {(d["kind"], d["id"]) for d in report.differences}
    assert ("certificate_status", victim.certificate_id) in kinds
    assert ("payment_totals", payment) in kinds
    status_diff = next(d for d in report.differences if d["kind"] == "certificate_status")
    assert status_diff["store"] == tampered_status


def test_certificate_and_asset_lists_filter_and_page(
    chain_w3: Web3, probe: Any, probe_spec: ContractSpec, store: sessionmaker[Session]
) -> None:
    start = chain_w3.eth.block_number + 1
    Workload(probe, seed=78).run(60, events_per_tx=6)
    Indexer(chain_w3, store, [probe_spec], start_block=start).sync()
    with store() as session:
        every = list(session.scalars(select(CertificateRow)))
        pages: list[str] = []
        cursor = None
        while True:
            page = q.list_certificates(session, cursor=cursor, limit=2)
            pages += [c["certificate_id"] for c in page.items]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        holder = every[0].holder_org_id
        by_holder = q.list_certificates(session, holder=holder, limit=500).items
        assets = q.list_assets(session, limit=500).items
        text = assets[0]["catalogue_hash"][2:12] if assets else ""
        found = q.list_assets(session, q=text).items if assets else []
        history = q.asset_history(session, every[0].asset_id).items
    assert sorted(pages) == sorted(c.certificate_id for c in every)
    assert len(pages) == len(set(pages))
    assert {c["holder_org_id"] for c in by_holder} == {holder}
    assert len(by_holder) == sum(1 for c in every if c.holder_org_id == holder)
    if assets:
        assert assets[0]["asset_id"] in {a["asset_id"] for a in found}
    assert history and all(h["asset_id"] == every[0].asset_id for h in history)
    assert [(h["block_number"], h["log_index"]) for h in history] == sorted(
        (h["block_number"], h["log_index"]) for h in history
    )


def test_checkpoint_and_blocks_written_with_events(
    chain_w3: Web3, probe: Any, probe_spec: ContractSpec, store: sessionmaker[Session],
    tmp_path: Path,
) -> None:
    start = chain_w3.eth.block_number + 1
    Workload(probe, seed=79).run(3)
    Indexer(chain_w3, store, [probe_spec], start_block=start).sync()
    with store() as session:
        cp = session.scalar(select(Checkpoint))
        blocks = {b.number: b.hash for b in session.scalars(select(IndexedBlock))}
        events = list(session.scalars(select(RawEvent)))
    assert cp is not None and cp.block_hash == blocks[cp.block_number]
    assert all(blocks[e.block_number] == e.block_hash for e in events)
    chain_hash = "0x" + bytes(chain_w3.eth.get_block(cp.block_number)["hash"]).hex()
    assert cp.block_hash == chain_hash
