"""The indexer on anvil: batches, projections equal to a fresh replay, reorgs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3

from chain.db import session_factory
from chain.indexer import ContractSpec, Indexer
from chain.indexer.models import Checkpoint, IndexedBlock, RawEvent
from tests.indexer.conftest import new_store
from tests.indexer.workload import Workload, chain_log_keys, event_keys, store_snapshot


def fresh_replay(
    w3: Web3, spec: ContractSpec, start: int, kind: str, folder: Path
) -> sessionmaker[Session]:
    factory = session_factory(new_store(kind, folder, "replay"))
    Indexer(w3, factory, [spec], start_block=start, batch_size=1000).sync()
    return factory


def test_sync_indexes_every_log_once_across_batches(
    chain_w3: Web3, probe: Any, probe_spec: ContractSpec, store: sessionmaker[Session]
) -> None:
    start = chain_w3.eth.block_number + 1
    Workload(probe, seed=1).run(12, events_per_tx=4)
    probe.functions.burst(30, b"\x05" * 32).transact({"gas": 5_000_000})
    indexer = Indexer(chain_w3, store, [probe_spec], start_block=start, batch_size=3)
    indexer.sync()
    with store() as session:
        keys = event_keys(session)
        checkpoint = session.scalar(select(Checkpoint))
    assert sorted(keys) == sorted(chain_log_keys(chain_w3, probe.address, start))
    assert len(set(keys)) == len(keys)
    assert checkpoint is not None
    assert checkpoint.block_number == chain_w3.eth.block_number
    status = indexer.status()
    assert status["lag"] == 0
    assert status["indexed_block"] == chain_w3.eth.block_number


def test_sync_waits_for_confirmations(
    chain_w3: Web3, probe: Any, probe_spec: ContractSpec, store: sessionmaker[Session]
) -> None:
    start = chain_w3.eth.block_number + 1
    Workload(probe, seed=2).run(5)
    indexer = Indexer(chain_w3, store, [probe_spec], start_block=start, confirmations=3)
    indexer.sync()
    head = chain_w3.eth.block_number
    assert indexer.checkpoint()[0] == head - 3
    with store() as session:
        highest = session.scalar(select(func.max(RawEvent.block_number)))
    assert highest is not None and highest <= head - 3
    assert indexer.status()["lag"] == 0


@pytest.mark.parametrize("seed", [11, 12])
def test_projections_equal_fresh_replay_after_random_workload(
    chain_w3: Web3,
    probe: Any,
    probe_spec: ContractSpec,
    store: sessionmaker[Session],
    store_kind: str,
    tmp_path: Path,
    seed: int,
) -> None:
    start = chain_w3.eth.block_number + 1
    workload = Workload(probe, seed=seed)
    indexer = Indexer(chain_w3, store, [probe_spec], start_block=start, batch_size=4)
    for _ in range(4):  # index while the workload runs, in uneven batches
        workload.run(6, events_per_tx=5)
        indexer.sync()
    with store() as session:
        from chain.indexer import projections

        projections.rebuild(session)  # rebuilding in place must change nothing either
        session.commit()
    replay = fresh_replay(chain_w3, probe_spec, start, store_kind, tmp_path)
    ours, theirs = store_snapshot(store), store_snapshot(replay)
    assert ours == theirs
    assert len(ours["idx_events"]) == workload.emitted
    assert sum(len(rows) for name, rows in ours.items() if name not in (
        "idx_events", "idx_blocks")) > 10


@pytest.mark.parametrize("depth", [1, 5, 20])
def test_reorg_of_depth_ends_equal_to_fresh_replay(
    chain_w3: Web3,
    probe: Any,
    probe_spec: ContractSpec,
    store: sessionmaker[Session],
    store_kind: str,
    tmp_path: Path,
    depth: int,
) -> None:
    start = chain_w3.eth.block_number + 1
    workload = Workload(probe, seed=100 + depth)
    workload.run(5)
    indexer = Indexer(chain_w3, store, [probe_spec], start_block=start, batch_size=6)
    indexer.sync()
    snapshot = chain_w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    fork = chain_w3.eth.block_number
    workload.run(depth)  # the branch the chain will abandon, indexed
    indexer.sync()
    orphaned = chain_w3.eth.get_block(fork + 1)["hash"]
    assert indexer.checkpoint()[0] == fork + depth
    assert chain_w3.provider.make_request("evm_revert", [snapshot])["result"]  # type: ignore[arg-type]
    other = Workload(probe, seed=900 + depth)
    other.pools = workload.pools
    other.run(depth + 1)  # a different, longer branch
    assert chain_w3.eth.get_block(fork + 1)["hash"] != orphaned
    indexer.sync()
    status = indexer.status()
    assert status["reorgs"] == 1
    assert status["last_reorg_depth"] == depth
    assert indexer.checkpoint()[0] == chain_w3.eth.block_number
    with store() as session:
        hashes = set(session.scalars(select(IndexedBlock.hash)))
    assert "0x" + bytes(orphaned).hex() not in hashes
    replay = fresh_replay(chain_w3, probe_spec, start, store_kind, tmp_path)
    assert store_snapshot(store) == store_snapshot(replay)


def test_reorg_below_every_stored_block_restarts_from_start(
    chain_w3: Web3, probe: Any, probe_spec: ContractSpec, store: sessionmaker[Session],
    store_kind: str, tmp_path: Path,
) -> None:
    start = chain_w3.eth.block_number + 1
    snapshot = chain_w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    Workload(probe, seed=5).run(3)
    indexer = Indexer(chain_w3, store, [probe_spec], start_block=start)
    indexer.sync()
    chain_w3.provider.make_request("evm_revert", [snapshot])  # type: ignore[arg-type]
    Workload(probe, seed=6).run(4)
    indexer.sync()
    replay = fresh_replay(chain_w3, probe_spec, start, store_kind, tmp_path)
    assert store_snapshot(store) == store_snapshot(replay)
    assert indexer.status()["reorgs"] == 1


def test_the_indexer_writes_in_the_write_paths_turn_on_sqlite(
    chain_w3: Web3, probe: Any, probe_spec: ContractSpec, tmp_path: Path
) -> None:
    """On SQLite the indexer's block commit and the write path's journal take one turn per
    database in this process (a lock that wakes the next writer at once), not SQLite's
    busy handler that polls with sleeps of 1-100 ms; PostgreSQL leaves it to its rows."""
    import threading
    from contextlib import nullcontext

    from chain.clients import http_chain
    from chain.db import make_engine, write_turn
    from chain.txpipe import TxPipeline

    engine = new_store("sqlite", tmp_path)
    factory = sessionmaker(engine, expire_on_commit=False)
    turn = write_turn(engine)
    assert write_turn(engine) is turn
    assert write_turn(new_store("sqlite", tmp_path, "other")) is not turn
    url = chain_w3.provider.endpoint_uri  # type: ignore[attr-defined]
    handle = http_chain(url, "local", chain_w3.eth.chain_id, poa=False)
    assert TxPipeline(handle, factory)._store_turn is turn
    assert isinstance(write_turn(make_engine("postgresql://x@127.0.0.1/none")), nullcontext)

    start = chain_w3.eth.block_number + 1
    Workload(probe, seed=3).run(3)
    indexer = Indexer(chain_w3, factory, [probe_spec], start_block=start)
    with turn:  # a journal transaction in progress: the indexer's commit waits for it
        syncing = threading.Thread(target=indexer.sync)
        syncing.start()
        syncing.join(timeout=1.0)
        assert syncing.is_alive() and indexer.checkpoint()[0] < start
    syncing.join(timeout=60)
    assert not syncing.is_alive() and indexer.checkpoint()[0] == chain_w3.eth.block_number


def test_the_indexer_projects_a_batch_before_it_takes_the_write_turn(
    chain_w3: Web3, probe: Any, probe_spec: ContractSpec, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """The projection (its reads, the handlers) runs before the write transaction: a
    journal holding the SQLite writer turn delays only the indexer's commit."""
    import threading

    from chain.db import write_turn

    engine = new_store("sqlite", tmp_path)
    factory = sessionmaker(engine, expire_on_commit=False)
    turn = write_turn(engine)
    start = chain_w3.eth.block_number + 1
    Workload(probe, seed=5).run(3)
    indexer = Indexer(chain_w3, factory, [probe_spec], start_block=start)
    projected = threading.Event()
    project = indexer._project

    def noted(*args: Any) -> Any:
        events = project(*args)
        if events:
            projected.set()
        return events

    monkeypatch.setattr(indexer, "_project", noted)
    with turn:  # a journal transaction in progress
        syncing = threading.Thread(target=indexer.sync)
        syncing.start()
        assert projected.wait(30)  # projected while the turn is held...
        syncing.join(timeout=0.5)
        assert syncing.is_alive() and indexer.checkpoint()[0] < start  # ...stored after it
    syncing.join(timeout=60)
    assert not syncing.is_alive() and indexer.checkpoint()[0] == chain_w3.eth.block_number
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(RawEvent)) > 0
