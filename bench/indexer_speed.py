"""Indexer throughput into SQLite and PostgreSQL against raw eth_getLogs + decode.

Starts a throw-away anvil (automine, free port, temp folder), deploys ``IndexerProbe`` and
emits ``--events`` random ledger-shaped events (the indexer tests' workload: the v2
contracts' real event shapes, ids reused as a ledger reuses them, ``--per-tx`` events per
transaction and block). Then, each in a fresh process so that peak RSS is its own, and
interleaved (baseline, SQLite, baseline, PostgreSQL, ...):

- **baseline**: the same block range fetched the fast way - one HTTP POST of
  ``eth_getLogs`` per 500-block range (a pooled connection, orjson) and every log decoded
  with eth_abi (the indexer's ``LogDecoder``), nothing stored;
- **indexer**: ``Indexer.sync`` from the first block into an empty store (blocks, raw
  events, projections and checkpoint per batch in one transaction), SQLite in a temp
  file and PostgreSQL (``LEDGER_TEST_POSTGRES_URL`` or ``--postgres``; skipped without).

Reports events/s, the ratio to the baseline of the same run (median of its runs), the
machine's load and each process's peak RSS. Writes ``bench/results/indexer_speed_<N>k.json``
(``$BENCH_RESULTS_DIR`` instead of ``bench/results`` when set).

    .venv/bin/python bench/indexer_speed.py [--events 50000] [--per-tx 100] [--rounds 2]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # run as a script: `python bench/indexer_speed.py`
    sys.path.insert(0, str(REPO_ROOT))

import orjson  # noqa: E402
import requests  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402
from web3 import Web3  # noqa: E402

from bench.support.machine import finish, machine, results_dir  # noqa: E402
from chain import localnode  # noqa: E402
from chain.artifacts import load  # noqa: E402
from chain.db import make_engine, session_factory  # noqa: E402
from chain.index_store import index_engine  # noqa: E402
from chain.indexer import ContractSpec, Indexer  # noqa: E402
from chain.indexer.decoder import LogDecoder  # noqa: E402
from chain.indexer.models import RawEvent, create_tables  # noqa: E402
from chain.indexer.runner import FOLLOWED_CONTRACTS  # noqa: E402
from tests.indexer.workload import Workload  # noqa: E402

RANGE = 500


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def spec_for(address: str) -> ContractSpec:
    """The probe with the followed v2 contracts' events (as the indexer tests follow it)."""
    events = [i for n in FOLLOWED_CONTRACTS for i in load(n).abi if i["type"] == "event"]
    return ContractSpec(name="AssetRegistryV2", address=address,
                        abi=[*load("IndexerProbe").abi, *events])  # fmt: skip


def fresh_postgres(url: str, name: str) -> str:
    """A new, empty database of the benchmark's own on that server (dropped if it was
    left by an earlier run): other users' databases are never touched."""
    base, _, _db = url.rpartition("/")
    admin = make_engine(url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return f"{base}/{name}"


def drop_postgres(url: str, name: str) -> None:
    admin = make_engine(url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---------------------------------------------------------------- one run, in a child


def baseline(url: str, address: str, start: int, end: int) -> dict[str, Any]:
    decoder = LogDecoder([spec_for(address)], words=False)  # eth_abi: the baseline
    session = requests.Session()
    session.trust_env = False
    started = time.perf_counter()
    events = 0
    fetching = 0.0
    for first in range(start, end + 1, RANGE):
        last = min(end, first + RANGE - 1)
        body = {"jsonrpc": "2.0", "id": 1, "method": "eth_getLogs", "params": [
            {"fromBlock": hex(first), "toBlock": hex(last), "address": [address]}]}  # fmt: skip
        asked = time.perf_counter()
        response = session.post(url, data=orjson.dumps(body),
                                headers={"Content-Type": "application/json"})  # fmt: skip
        answer = orjson.loads(response.content)
        fetching += time.perf_counter() - asked
        events += len(decoder.decode_all(answer["result"]))
    seconds = time.perf_counter() - started
    return {"events": events, "seconds": seconds, "fetch_seconds": fetching,
            "peak_rss_mb": peak_rss_mb()}  # fmt: skip


def index(url: str, address: str, start: int, store_url: str) -> dict[str, Any]:
    engine = index_engine(make_engine(store_url))  # a SQLite file: the index file beside it
    create_tables(engine)
    factory = session_factory(engine)
    w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 120}))
    indexer = Indexer(w3, factory, [spec_for(address)], start_block=start, batch_size=RANGE)
    started = time.perf_counter()
    events = indexer.sync()
    seconds = time.perf_counter() - started
    with factory() as session:
        stored = int(session.scalar(select(func.count()).select_from(RawEvent)) or 0)
    assert stored == events, (stored, events)
    return {"events": events, "seconds": seconds, "peak_rss_mb": peak_rss_mb(),
            "steps": indexer.stats.steps}  # fmt: skip


def child(argv: list[str]) -> None:
    kind, url, address, start, end, store = argv
    profiler = None
    if os.environ.get("BENCH_PROFILE"):  # where the run's time goes (pyinstrument, stderr)
        from pyinstrument import Profiler

        profiler = Profiler()
        profiler.start()
    if kind == "baseline":
        out = baseline(url, address, int(start), int(end))
    else:
        out = index(url, address, int(start), store)
    if profiler is not None:
        profiler.stop()
        Path(os.environ["BENCH_PROFILE"] + f".{kind}.txt").write_text(
            profiler.output_text(show_all=False, short_mode=True)
        )
    print(json.dumps(out))


def run_child(kind: str, url: str, address: str, start: int, end: int, store: str) -> Any:
    done = subprocess.run(
        [sys.executable, __file__, "--child", kind, url, address, str(start), str(end), store],
        cwd=REPO_ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"{kind} run failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- the benchmark


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--per-tx", type=int, default=100, help="events per transaction")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--postgres", default=os.environ.get("LEDGER_TEST_POSTGRES_URL"))
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-indexer-") as tmp:
        folder = Path(tmp)
        config = dataclasses.replace(
            localnode.load_config().with_dir(folder), port=free_port(), block_time=0,
            state_interval=3600,
        )  # fmt: skip
        localnode.start(config)
        try:
            w3 = Web3(Web3.HTTPProvider(config.url, request_kwargs={"timeout": 120}))
            w3.eth.default_account = w3.eth.accounts[0]
            artifact = load("IndexerProbe")
            factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
            receipt = w3.eth.wait_for_transaction_receipt(factory.constructor().transact())
            address = str(receipt["contractAddress"])
            probe = w3.eth.contract(address=address, abi=artifact.abi)
            start = w3.eth.block_number + 1
            started = time.perf_counter()
            workload = Workload(probe, seed=7)
            for _ in range(max(1, args.events // args.per_tx)):
                workload.transact(args.per_tx)
            end = w3.eth.block_number
            print(f"chain: {args.events:,} events in blocks {start}-{end} "
                  f"({time.perf_counter() - started:.0f} s to emit)", flush=True)  # fmt: skip
            stores = {"sqlite": f"sqlite:///{folder / 'store-{n}.db'}"}
            if args.postgres:
                stores["postgresql"] = args.postgres
            info = machine()
            runs: dict[str, list[Any]] = {"baseline": [], **{s: [] for s in stores}}
            for round_no in range(args.rounds):
                for name, store in stores.items():
                    for kind in ("baseline", name):
                        target = store.replace("{n}", str(round_no))
                        if kind == "postgresql":
                            target = fresh_postgres(store, f"bench_indexer_{os.getpid()}")
                        out = run_child("baseline" if kind == "baseline" else "index",
                                        config.url, address, start, end, target)  # fmt: skip
                        runs[kind].append(out)
                        print(f"  round {round_no + 1} {kind:10} {out['events']:>7,} events "
                              f"{out['events'] / out['seconds']:>9,.0f} ev/s "
                              f"peak RSS {out['peak_rss_mb']:.0f} MB "
                              f"(node answers {out.get('fetch_seconds', 0):.2f} s)",
                              flush=True)  # fmt: skip
            finish(info)
        finally:
            localnode.stop(config)
            if args.postgres:
                drop_postgres(args.postgres, f"bench_indexer_{os.getpid()}")

    def rate(outs: list[Any]) -> float:
        return float(statistics.median(o["events"] / o["seconds"] for o in outs))

    base = rate(runs["baseline"])
    rows = [{"run": "baseline: eth_getLogs (one POST per 500 blocks, orjson) + eth_abi decode",
             "events_per_s": base, "ratio": 1.0,
             "peak_rss_mb": max(o["peak_rss_mb"] for o in runs["baseline"])}]  # fmt: skip
    for name in stores:
        rows.append({"run": f"Indexer.sync into {name}", "events_per_s": rate(runs[name]),
                     "ratio": rate(runs[name]) / base,
                     "peak_rss_mb": max(o["peak_rss_mb"] for o in runs[name]),
                     "steps": runs[name][-1]["steps"]})  # fmt: skip
    print()
    for row in rows:
        print(f"{row['run']:75} {row['events_per_s']:>9,.0f} ev/s {row['ratio']:5.2f}x "
              f"peak RSS {row['peak_rss_mb']:.0f} MB")  # fmt: skip
    result = {
        "benchmark": "indexer_speed",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": info,
        "chain": {"events": runs["baseline"][0]["events"], "blocks": end - start + 1,
                  "events_per_block": args.per_tx},
        "rounds": args.rounds, "rows": rows,
    }  # fmt: skip
    if not args.no_write:
        out_file = results_dir() / f"indexer_speed_{args.events // 1000}k.json"
        out_file.write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
