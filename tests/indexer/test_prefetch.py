"""The next block range fetched in the background while a batch is stored: used only for
the checkpoint it follows, a reorg between the prefetch and the store rolled back, and a
failed batch leaving the store at its checkpoint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3

from chain.db import session_factory
from chain.indexer import ContractSpec, Indexer, core
from chain.indexer.models import IndexedBlock, RawEvent
from chain.indexer.prefetch import FetchedRange
from tests.indexer.conftest import new_store
from tests.indexer.test_row_cache import cache_differences, replay_differences
from tests.indexer.workload import Workload, store_snapshot


def plain_replay(
    w3: Web3, spec: ContractSpec, start: int, kind: str, folder: Path
) -> sessionmaker[Session]:
    """The same chain indexed in one process step by step, nothing fetched ahead."""
    factory = session_factory(new_store(kind, folder, "plain"))
    Indexer(w3, factory, [spec], start_block=start, batch_size=1000, prefetch=False).sync()
    return factory


def block_hash(w3: Web3, number: int) -> str:
    return "0x" + bytes(w3.eth.get_block(number)["hash"]).hex()


def test_prefetched_ranges_store_what_a_plain_sync_stores(
    chain_w3: Web3, probe: Any, probe_spec: ContractSpec, store: sessionmaker[Session],
    store_kind: str, tmp_path: Path,
) -> None:  # fmt: skip
    start = chain_w3.eth.block_number + 1
    Workload(probe, seed=61).run(10, events_per_tx=5)
    indexer = Indexer(chain_w3, store, [probe_spec], start_block=start, batch_size=3)
    indexer.sync()
    assert indexer.prefetcher is not None
    assert indexer.prefetcher.used == 3  # blocks 4-6, 7-9 and 10 came from the background
    assert indexer.stats.steps == 4
    assert indexer.checkpoint() == (start + 9, block_hash(chain_w3, start + 9))
    plain = plain_replay(chain_w3, probe_spec, start, store_kind, tmp_path)
    assert store_snapshot(store) == store_snapshot(plain)


def test_reorg_between_prefetch_and_store_is_rolled_back(
    chain_w3: Web3, probe: Any, probe_spec: ContractSpec, store: sessionmaker[Session],
    store_kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    start = chain_w3.eth.block_number + 1
    workload = Workload(probe, seed=62)
    workload.run(4, events_per_tx=4)  # blocks start .. start+3: on both branches
    snapshot = chain_w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    workload.run(4, events_per_tx=4)  # start+4 .. start+7: the branch the chain abandons
    orphaned = {block_hash(chain_w3, n) for n in range(start + 4, start + 8)}
    indexer = Indexer(chain_w3, store, [probe_spec], start_block=start, batch_size=3)
    prefetcher = indexer.prefetcher
    assert prefetcher is not None
    taken: list[FetchedRange] = []
    take = prefetcher.take

    def take_then_reorg(number: int, safe: int) -> FetchedRange | None:
        fetched = take(number, safe)
        if fetched is not None and not taken:  # fetched before the chain moves
            taken.append(fetched)
            assert chain_w3.provider.make_request("evm_revert", [snapshot])["result"]  # type: ignore[arg-type]
            other = Workload(probe, seed=63)
            other.pools = workload.pools
            other.run(6, events_per_tx=4)  # start+4 .. start+9: the new, longer branch
        return fetched

    monkeypatch.setattr(prefetcher, "take", take_then_reorg)
    indexer.sync()
    # the second batch (blocks start+3 .. start+5) was the abandoned branch's, stored on
    # a tail that had not moved; the next step saw its last block replaced and rolled
    # back to start+3, the highest block on both branches
    assert (taken[0].number, taken[0].target) == (start + 2, start + 5)
    assert taken[0].headers[start + 4].hash in orphaned
    assert indexer.stats.reorgs == 1
    assert indexer.stats.last_reorg_depth == 2
    assert indexer.checkpoint() == (start + 9, block_hash(chain_w3, start + 9))
    with store() as session:
        stored = set(session.scalars(select(IndexedBlock.hash)))
        events_hashes = set(session.scalars(select(RawEvent.block_hash)))
    assert not stored & orphaned
    assert not events_hashes & orphaned
    plain = plain_replay(chain_w3, probe_spec, start, store_kind, tmp_path)
    assert store_snapshot(store) == store_snapshot(plain)


def test_failed_batch_leaves_the_store_at_its_checkpoint(
    chain_w3: Web3, probe: Any, probe_spec: ContractSpec, store: sessionmaker[Session],
    store_kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    start = chain_w3.eth.block_number + 1
    Workload(probe, seed=64).run(12, events_per_tx=5)
    indexer = Indexer(chain_w3, store, [probe_spec], start_block=start, batch_size=3)
    batches: list[int] = []
    store_events = core.store_events

    def fail_second_batch(session: Session, prepared: Any) -> None:
        batches.append(len(prepared.rows))
        store_events(session, prepared)  # written in the transaction, then it fails
        if len(batches) == 2:
            raise RuntimeError("the database went away")

    monkeypatch.setattr(core, "store_events", fail_second_batch)
    with pytest.raises(RuntimeError, match="went away"):
        indexer.sync()
    assert indexer.checkpoint() == (start + 2, block_hash(chain_w3, start + 2))
    assert indexer.cache.at is None and indexer.cache.size() == 0
    with store() as session:
        highest = session.scalar(select(func.max(IndexedBlock.number)))
        count = session.scalar(select(func.count()).select_from(RawEvent))
        above = session.scalar(
            select(func.count()).select_from(RawEvent).where(RawEvent.block_number > start + 2)
        )
    assert highest == start + 2
    assert (count, above) == (batches[0], 0)
    differences, _rows = replay_differences(store)
    assert differences == []
    monkeypatch.setattr(core, "store_events", store_events)
    indexer.sync()  # the range fetched ahead follows a tail that never got stored: unused
    assert indexer.checkpoint() == (start + 11, block_hash(chain_w3, start + 11))
    assert cache_differences(indexer, store) == []
    plain = plain_replay(chain_w3, probe_spec, start, store_kind, tmp_path)
    assert store_snapshot(store) == store_snapshot(plain)
