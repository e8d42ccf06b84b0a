"""The standalone indexer killed with SIGKILL during a workload: no duplicate, no gap."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from web3 import Web3

from chain.db import make_engine, session_factory
from chain.indexer.models import Checkpoint, RawEvent
from chain.indexer.runner import FOLLOWED_CONTRACTS
from chain.paths import REPO_ROOT
from tests.indexer.workload import Workload, chain_log_keys, event_keys

ARTIFACTS = ",".join(FOLLOWED_CONTRACTS)


def _indexer_process(url: str, db: str, probe: Any, start: int, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "chain.indexer", "run", "--rpc-url", url, "--database-url", db,
        "--contract", f"AssetRegistryV2={probe.address}@IndexerProbe,{ARTIFACTS}",
        "--start-block", str(start), "--batch-size", "10", "--poll", "0.02", *extra,
    ]  # fmt: skip


def _kill_during_workload(
    chain_w3: Web3, probe: Any, tmp_path: Path, kills: int, seed: int
) -> None:
    url = chain_w3.provider.endpoint_uri  # type: ignore[attr-defined]
    db = f"sqlite:///{tmp_path / 'crash.db'}"
    start = chain_w3.eth.block_number + 1
    rng = random.Random(seed)
    workload = Workload(probe, seed=seed)
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    killed = 0
    engine = make_engine(db)
    factory = session_factory(engine)

    def progress() -> int:
        try:
            with factory() as session:
                cp = session.scalar(select(Checkpoint))
                return -1 if cp is None else int(cp.events)
        except Exception:  # the table may not exist before the first start
            return -1

    while killed < kills:
        before = progress()
        process = subprocess.Popen(
            _indexer_process(url, db, probe, start), env=env, cwd=REPO_ROOT,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            give_up = time.monotonic() + 15
            while progress() <= before and time.monotonic() < give_up:
                workload.transact(rng.randrange(2, 8))  # until this process indexed some
            deadline = time.monotonic() + rng.uniform(0.0, 0.4)
            while time.monotonic() < deadline:
                workload.transact(rng.randrange(5, 25))
        finally:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
        killed += 1
    workload.run(3, events_per_tx=10)
    finish = subprocess.run(
        [*_indexer_process(url, db, probe, start), "--once"], env=env, cwd=REPO_ROOT,
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert finish.returncode == 0, finish.stderr[-2000:]
    with factory() as session:
        keys = event_keys(session)
        checkpoint = session.scalar(select(Checkpoint))
        counted = session.scalar(select(func.count()).select_from(RawEvent))
    on_chain = chain_log_keys(chain_w3, probe.address, start)
    assert len(keys) == len(set(keys)), "duplicate events after kills"
    assert sorted(keys) == sorted(on_chain), "missing events after kills"
    assert counted == workload.emitted
    assert checkpoint is not None and checkpoint.block_number == chain_w3.eth.block_number
    assert checkpoint.events == workload.emitted
    engine.dispose()


def test_indexer_killed_three_times_ends_without_duplicate_or_gap(
    chain_w3: Web3, probe: Any, tmp_path: Path
) -> None:
    _kill_during_workload(chain_w3, probe, tmp_path, kills=3, seed=31)


@pytest.mark.deep
def test_indexer_killed_twenty_times_ends_without_duplicate_or_gap(
    chain_w3: Web3, probe: Any, tmp_path: Path
) -> None:
    _kill_during_workload(chain_w3, probe, tmp_path, kills=20, seed=32)
