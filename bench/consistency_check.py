"""The audit consistency check on a large store, against re-indexing the same chain.

Starts a throw-away anvil (automine, free port, temp folder), deploys ``IndexerProbe``
and emits random ledger-shaped events (the indexer tests' workload), indexes them into
SQLite, then measures in the same run:

- **baseline**: indexing the whole range again into an empty store (``Indexer.sync``);
- **cold check**: ``consistency_check`` with nothing verified yet (every range read from
  the chain and compared row by row, projections replayed and compared);
- **warm check**: the same check again in the same process (unchanged ranges match their
  verified digest: no logs fetched, the store is re-hashed and replayed locally);
- the peak Python memory of a cold check (tracemalloc, a separate run).

The v2 contract views (certificate status, recognitions, usability, payment status and
outstanding remittance) answer from the store (``tests.indexer.workload.StoreViews``), so
the numbers are those of the row check. Results: ``bench/results/consistency_check.json``.

    .venv/bin/python bench/consistency_check.py [--transactions 1000]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import socket
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # run as a script: `python bench/consistency_check.py`
    sys.path.insert(0, str(REPO_ROOT))

from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402
from web3 import Web3  # noqa: E402

from bench.support.machine import finish, machine, results_dir  # noqa: E402
from chain import localnode  # noqa: E402
from chain.artifacts import load  # noqa: E402
from chain.db import make_engine, session_factory  # noqa: E402
from chain.index_store import index_engine  # noqa: E402
from chain.indexer import ContractSpec, Indexer  # noqa: E402
from chain.indexer.consistency import ConsistencyReport, consistency_check  # noqa: E402
from chain.indexer.event_audit import VerifiedRanges  # noqa: E402
from chain.indexer.models import RawEvent, create_tables  # noqa: E402
from chain.indexer.runner import FOLLOWED_CONTRACTS  # noqa: E402
from tests.indexer.workload import StoreViews, Workload  # noqa: E402

RESULTS_NAME = "consistency_check.json"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _spec(address: str) -> ContractSpec:
    """The probe with the followed v2 contracts' events."""
    events = [i for n in FOLLOWED_CONTRACTS for i in load(n).abi if i["type"] == "event"]
    return ContractSpec(name="AssetRegistryV2", address=address,
                        abi=[*load("IndexerProbe").abi, *events])  # fmt: skip


def _index(w3: Web3, spec: ContractSpec, start: int, path: Path) -> tuple[Any, float]:
    engine = index_engine(make_engine(f"sqlite:///{path}"))  # the index file beside it
    create_tables(engine)
    factory = session_factory(engine)
    started = time.perf_counter()
    Indexer(w3, factory, [spec], start_block=start, batch_size=500).sync()
    return factory, time.perf_counter() - started


def _check(
    factory: sessionmaker[Session], w3: Web3, spec: ContractSpec, views: StoreViews,
    verified: VerifiedRanges,
) -> tuple[ConsistencyReport, float]:  # fmt: skip
    started = time.perf_counter()
    with factory() as session:
        report = consistency_check(session, w3, views, views, contracts=[spec], verified=verified)
    return report, time.perf_counter() - started


def run(transactions: int, info: dict[str, Any]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-consistency-") as tmp:
        folder = Path(tmp)
        config = dataclasses.replace(
            localnode.load_config().with_dir(folder), port=_free_port(), block_time=0
        )
        localnode.start(config)
        try:
            w3 = Web3(Web3.HTTPProvider(config.url, request_kwargs={"timeout": 60}))
            w3.eth.default_account = w3.eth.accounts[0]
            artifact = load("IndexerProbe")
            factory_ = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
            receipt = w3.eth.wait_for_transaction_receipt(factory_.constructor().transact())
            probe = w3.eth.contract(address=receipt["contractAddress"], abi=artifact.abi)
            spec = _spec(probe.address)
            start = w3.eth.block_number + 1
            Workload(probe, seed=1).run(transactions, events_per_tx=20)
            store, first_index = _index(w3, spec, start, folder / "store.db")
            _again, baseline = _index(w3, spec, start, folder / "again.db")
            views = StoreViews(store)
            verified = VerifiedRanges()
            cold, cold_s = _check(store, w3, spec, views, verified)
            warm, warm_s = _check(store, w3, spec, views, verified)
            tracemalloc.start()
            _check(store, w3, spec, views, VerifiedRanges())
            _current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            with store() as session:
                events = int(session.scalar(select(func.count()).select_from(RawEvent)) or 0)
                event_bytes = sum(
                    len(json.dumps(a)) for a in session.scalars(select(RawEvent.args))
                )
            assert cold.consistent and warm.consistent, (cold.differences[:3], warm.differences[:3])
        finally:
            localnode.stop(config)
    rows = sum(v for k, v in cold.checked.items() if k.startswith("idx_"))
    return {
        "benchmark": "consistency_check",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": finish(info),
        "baseline": "Indexer.sync of the same range into an empty SQLite store",
        "store": {
            "events": events,
            "blocks": cold.checked["blocks"],
            "projection_rows": rows,
            "ranges": cold.checked["ranges"],
            "event_args_json_bytes": event_bytes,
        },
        "seconds": {
            "first_index": round(first_index, 3),
            "baseline_reindex": round(baseline, 3),
            "cold_check": round(cold_s, 3),
            "warm_check": round(warm_s, 3),
        },
        "x_baseline": {
            "cold_check": round(cold_s / baseline, 2),
            "warm_check": round(warm_s / baseline, 2),
        },
        "warm_ranges_verified_before": warm.checked["ranges_verified_before"],
        "cold_check_peak_python_bytes": peak,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=1000)
    info = machine()
    report = run(parser.parse_args().transactions, info)
    print(json.dumps(report, indent=1))
    (results_dir() / RESULTS_NAME).write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
