"""The projection rows the indexer keeps across batches: after cached batches, reorgs,
a second indexer on the store and a bounded cache, the store holds exactly the rows an
in-memory replay of its raw events gives (the consistency check's replay, through ORM
rows), and what the cache holds is what the store holds."""

from __future__ import annotations

import gc
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3

from chain.indexer import ContractSpec, Indexer
from chain.indexer.batch import RowCache, plain_class
from chain.indexer.models import (
    PROJECTION_TABLES,
    AssetRow,
    PaymentRow,
    RawEvent,
    ScheduleRow,
)
from chain.indexer.projection_audit import compare_projections
from chain.indexer.replay import MemoryProjections, replay
from tests.indexer.workload import LEDGER_EVENTS, Workload, _random, encode_log


def replay_differences(factory: sessionmaker[Session]) -> tuple[list[Any], int]:
    """(differences between the stored projections and a replay of the stored raw
    events, projection rows stored)."""
    state = MemoryProjections()
    with factory() as session:
        events = session.scalars(select(RawEvent).order_by(RawEvent.block_number,
                                                           RawEvent.log_index))  # fmt: skip
        for e in events:
            replay(state, e.event, e.args, block_number=e.block_number,
                   log_index=e.log_index, tx_hash=e.tx_hash, timestamp=e.timestamp)  # fmt: skip
        check = compare_projections(session, state)
    return check.differences, sum(check.checked.values())


def cache_differences(indexer: Indexer, factory: sessionmaker[Session]) -> list[Any]:
    """Cached rows whose values are not the stored row's (or that the store lacks)."""
    out = []
    with factory() as session:
        for model, rows in indexer.cache.tables.items():
            table = model.__table__
            stored = {}
            for values in session.execute(select(table)):
                plain = plain_class(model)(
                    dict(zip(plain_class(model).columns, values, strict=True))
                )
                stored[plain.key_of(plain)] = tuple(values)
            for key, saved in rows.items():
                row = indexer.cache.row(model, key)
                assert row is not None and row.values(row) == saved
                if stored.get(key) != saved:
                    out.append((table.name, key, stored.get(key), saved))
            if model in indexer.cache.complete and len(rows) != len(stored):
                out.append((table.name, "complete", len(rows), len(stored)))
    return out


def _emit(workload: Workload, name: str, **fixed: Any) -> dict[str, Any]:
    """One event of ``name`` in its own block: random values, ``fixed`` ones kept."""
    event = LEDGER_EVENTS[name]
    values = {p["name"]: _random(p, workload.rng, workload.pools) for p in event["inputs"]}
    values.update(fixed)
    topics, data = encode_log(event, values)
    probe = workload.probe
    tx = probe.functions.emitRawMany([topics], [data]).transact({"gas": 2_000_000})
    assert probe.w3.eth.wait_for_transaction_receipt(tx)["status"] == 1
    return values


def test_reorg_after_cached_batches_equals_the_replay(
    chain_w3: Web3, probe: Any, probe_spec: ContractSpec, store: sessionmaker[Session]
) -> None:
    start = chain_w3.eth.block_number + 1
    workload = Workload(probe, seed=41)
    workload.run(12, events_per_tx=6)
    indexer = Indexer(chain_w3, store, [probe_spec], start_block=start, batch_size=2)
    indexer.sync()
    assert indexer.stats.steps >= 6
    assert indexer.cache.at == indexer.checkpoint()
    assert indexer.cache.size() > 10 and indexer.cache.complete == set(PROJECTION_TABLES)
    assert cache_differences(indexer, store) == []
    # what the cache holds is nothing a full garbage collection walks (lists aside)
    gc.collect()
    held = [(m, v) for m, rows in indexer.cache.tables.items() for v in rows.values()]
    assert len(held) > 10
    assert [(m.__name__, v) for m, v in held if gc.is_tracked(v) and not plain_class(m).lists] == []
    snapshot = chain_w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    workload.run(6, events_per_tx=6)  # the branch the chain will abandon, indexed and cached
    indexer.sync()
    abandoned = indexer.checkpoint()
    assert chain_w3.provider.make_request("evm_revert", [snapshot])["result"]  # type: ignore[arg-type]
    other = Workload(probe, seed=42)
    other.pools = workload.pools  # the new branch changes the same rows
    other.run(8, events_per_tx=6)
    indexer.sync()
    assert indexer.stats.reorgs == 1
    assert indexer.checkpoint() != abandoned
    assert indexer.cache.at == indexer.checkpoint()
    assert cache_differences(indexer, store) == []
    differences, rows = replay_differences(store)
    assert differences == []
    assert rows > 10


def test_row_changed_by_two_batches_in_a_row(
    chain_w3: Web3, probe: Any, probe_spec: ContractSpec, store: sessionmaker[Session]
) -> None:
    start = chain_w3.eth.block_number + 1
    workload = Workload(probe, seed=43)
    asset = "0x" + "a7" * 32
    payment = "0x" + "b7" * 32
    _emit(workload, "ResourceRegistered", assetId=asset)
    _emit(workload, "PaymentSettled", paymentId=payment, assetId=asset)
    indexer = Indexer(chain_w3, store, [probe_spec], start_block=start, batch_size=1)
    indexer.sync()
    first = _emit(workload, "AssetChanged", assetId=asset)
    indexer.sync()  # one block: one batch, the asset's row from the cache
    second = _emit(workload, "AssetChanged", assetId=asset)
    _emit(workload, "RemittanceConfirmed", paymentId=payment, remittanceRef="0x" + "c7" * 32)
    indexer.sync()  # the next batches change it again, and the payment
    assert first["state"]["nonce"] != second["state"]["nonce"]
    head = chain_w3.eth.block_number
    with store() as session:
        row = session.get(AssetRow, asset)
        paid = session.get(PaymentRow, payment)
        assert row is not None and paid is not None
        assert (row.nonce, row.metadata_hash) == (
            second["state"]["nonce"],
            second["state"]["metadataHash"].lower(),
        )
        assert (row.first_block, row.updated_block) == (start, head - 1)
        assert paid.remitted is True and paid.remittance_ref == "0x" + "c7" * 32
        assert paid.updated_block == head
    cached = indexer.cache.row(AssetRow, asset)
    assert cached is not None and cached.nonce == second["state"]["nonce"]
    assert cache_differences(indexer, store) == []
    differences, _rows = replay_differences(store)
    assert differences == []


def test_second_indexer_and_restart_start_cold_and_stay_exact(
    chain_w3: Web3, probe: Any, probe_spec: ContractSpec, store: sessionmaker[Session]
) -> None:
    start = chain_w3.eth.block_number + 1
    workload = Workload(probe, seed=44)
    workload.run(6, events_per_tx=6)
    first = Indexer(chain_w3, store, [probe_spec], start_block=start, batch_size=2)
    first.sync()
    warm = first.cache.at
    assert warm == first.checkpoint() and first.cache.size() > 0
    workload.run(6, events_per_tx=6)
    second = Indexer(chain_w3, store, [probe_spec], start_block=start, batch_size=2)
    assert second.cache.at is None and second.cache.size() == 0
    second.sync()  # another process moves the store on: the first one's cache is stale
    workload.run(6, events_per_tx=6)
    first.sync()
    assert first.cache.at == first.checkpoint() != warm
    assert cache_differences(first, store) == []
    restarted = Indexer(chain_w3, store, [probe_spec], start_block=start, batch_size=2)
    workload.run(4, events_per_tx=6)
    restarted.sync()
    assert cache_differences(restarted, store) == []
    differences, rows = replay_differences(store)
    assert differences == []
    assert rows > 10


@pytest.mark.parametrize("limit", [0, 7])
def test_bounded_cache_evicts_and_stays_exact(
    chain_w3: Web3,
    probe: Any,
    probe_spec: ContractSpec,
    store: sessionmaker[Session],
    limit: int,
) -> None:
    start = chain_w3.eth.block_number + 1
    workload = Workload(probe, seed=45 + limit)
    workload.run(14, events_per_tx=6)
    indexer = Indexer(chain_w3, store, [probe_spec], start_block=start, batch_size=2,
                      cache_rows=limit)  # fmt: skip
    indexer.sync()
    assert indexer.cache.size() <= limit
    if limit:
        assert indexer.cache.complete != set(PROJECTION_TABLES)  # some were evicted
        assert indexer.cache.loads > 0
    assert cache_differences(indexer, store) == []
    differences, rows = replay_differences(store)
    assert differences == []
    assert rows > limit


def test_a_row_from_stored_values_changes_neither_them_nor_the_cache_in_place() -> None:
    plain = plain_class(ScheduleRow)
    assert plain.lists
    saved = tuple(
        [100, 200] if c == "lower_bounds" else [9000, 5000] if c == "operator_bps" else None
        for c in plain.columns
    )
    row = plain.stored(saved)
    assert row.values(row) == saved and row._saved is saved
    row.lower_bounds.append(300)  # a handler changing a list in place
    assert saved[plain.columns.index("lower_bounds")] == [100, 200]
    assert row.values(row) != row._saved  # seen as changed: written back
    assert plain.stored(saved).lower_bounds == [100, 200]


def test_the_cache_keeps_only_stored_rows_and_drops_itself_on_one_it_cannot_vouch_for() -> None:
    cache = RowCache(limit=10)
    plain = plain_class(ScheduleRow)
    lists = ("lower_bounds", "operator_bps")
    stored = plain.stored(tuple([1] if c in lists else 7 for c in plain.columns))
    batch = SimpleNamespace(rows={(ScheduleRow, "a"): stored, (ScheduleRow, "gone"): None},
                            whole={ScheduleRow})  # fmt: skip
    cache.keep((5, "0x05"), batch)  # type: ignore[arg-type]
    assert cache.at == (5, "0x05") and cache.complete == {ScheduleRow}
    assert cache.tables[ScheduleRow] == {"a": stored._saved}
    unsaved = plain({c: 7 for c in plain.columns})  # added by a batch, never written
    batch.rows[(ScheduleRow, "b")] = unsaved
    cache.keep((6, "0x06"), batch)  # type: ignore[arg-type]
    assert cache.at is None and cache.size() == 0 and cache.complete == set()


@pytest.mark.parametrize("name", ["class", "not-a-name"])
def test_a_table_whose_column_is_no_attribute_name_gets_no_plain_row(name: str) -> None:
    from sqlalchemy import Column, Integer, MetaData, Table

    table = Table("odd", MetaData(), Column("id", Integer, primary_key=True), Column(name, Integer))
    model = type("Odd", (), {"__table__": table})
    with pytest.raises(ValueError, match="odd: a column name is not an attribute name"):
        plain_class(model)
    fine = Table("fine", MetaData(), Column("id", Integer, primary_key=True), Column("n", Integer))
    row = plain_class(type("Fine", (), {"__table__": fine})).stored((7, 3))
    assert (row.id, row.n, row._saved) == (7, 3, (7, 3))  # type: ignore[attr-defined]
