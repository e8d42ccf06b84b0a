"""Throughput of the gateway's write path against raw web3 writes, on a real anvil.

Starts anvil (``chain.localnode``, automine: block_time=0, free port) in a temp folder,
deploys the OutboxProbe contract and sends the same call, ``record(key, value)``, as:

(a) baseline - raw web3, signed locally, one at a time: build (web3 estimates gas),
    sign, ``send_raw_transaction``, wait for the receipt;
(b) ``TxPipeline.submit`` sequentially (simulate with eth_call + estimate, nonce row,
    sign, journal in SQLite, broadcast), then until every operation is mined;
(c) ``TxPipeline.submit`` from 8 threads for one signing account (one org under load:
    the per-account nonce lock serialises) and for 8 accounts (8 orgs);

and reports tx/s with the ratio to the baseline measured in the same run, plus ECDSA
signatures/s with eth-keys' coincurve and pure-python backends. Writes
``bench/results/write_path.json``. Tests never assert on these numbers.

Run: ``.venv/bin/python bench/write_path.py [--count 150]``
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # run as a script: `python bench/write_path.py`
    sys.path.insert(0, str(REPO_ROOT))

from eth_account import Account  # noqa: E402
from eth_account.signers.local import LocalAccount  # noqa: E402
from web3 import Web3  # noqa: E402
from web3.contract import Contract  # noqa: E402

from chain import localnode  # noqa: E402
from chain.artifacts import load  # noqa: E402
from chain.clients import ChainHandle, http_chain, send_signed  # noqa: E402
from chain.db import Base, make_engine, session_factory  # noqa: E402
from chain.txpipe import MINED, TERMINAL, TxPipeline  # noqa: E402

OUT = Path(__file__).resolve().parent / "results" / "write_path.json"
PROBE = "OutboxProbe"
THREADS = 8


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fund(handle: ChainHandle, address: str) -> None:
    handle.w3.provider.make_request(  # type: ignore[attr-defined]
        "anvil_setBalance", [address, hex(10**22)]
    )


def new_account(handle: ChainHandle) -> LocalAccount:
    account: LocalAccount = Account.create()
    fund(handle, account.address)
    return account


def deploy_probe(handle: ChainHandle) -> Contract:
    deployer = new_account(handle)
    artifact = load(PROBE)
    receipt = send_signed(handle, deployer, {"data": artifact.bytecode, "gas": 2_000_000})
    return handle.w3.eth.contract(address=receipt["contractAddress"], abi=artifact.abi)


def key(run: str, n: int) -> bytes:
    return bytes(Web3.keccak(text=f"bench-{run}-{n}"))


def baseline(handle: ChainHandle, probe: Contract, count: int) -> float:
    """Raw web3: build (estimate), sign, send, wait for the receipt - one at a time."""
    w3 = handle.w3
    account = new_account(handle)
    nonce = w3.eth.get_transaction_count(account.address)
    fees = handle.fee_fields()
    start = time.perf_counter()
    for n in range(count):
        tx = probe.functions.record(key("raw", n), n + 1).build_transaction(
            {"from": account.address, "nonce": nonce + n, "chainId": handle.chain_id, **fees}
        )
        signed = account.sign_transaction(tx)
        tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
        receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30, poll_latency=0.005)
        assert receipt["status"] == 1
    return count / (time.perf_counter() - start)


def make_pipeline(handle: ChainHandle, folder: Path, name: str) -> TxPipeline:
    engine = make_engine(f"sqlite:///{folder / (name + '.db')}")
    Base.metadata.create_all(engine)
    return TxPipeline(handle, session_factory(engine), max_in_flight_per_account=100_000)


def submit_all(
    pipeline: TxPipeline, probe: Contract, signers: list[LocalAccount], run: str, count: int,
    threads: int,
) -> tuple[float, float]:  # fmt: skip
    """Submit ``count`` writes from ``threads`` threads (thread i uses signer i mod n).

    Returns (submitted tx/s: answered 202, mined tx/s: until every receipt was seen)."""
    ids: list[str] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def worker(t: int) -> None:
        signer = signers[t % len(signers)]
        try:
            for n in range(t, count, threads):
                op = pipeline.submit(
                    signer, PROBE, probe.address, probe.abi, "record", [key(run, n), n + 1],
                    caller="bench", org_id=None,
                )  # fmt: skip
                with lock:
                    ids.append(op.id)
        except BaseException as exc:  # report after join
            errors.append(exc)

    start = time.perf_counter()
    workers = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    submitted = time.perf_counter() - start
    if errors:
        raise errors[0]
    pending = set(ids)
    while pending:
        pipeline.poll_once()
        for op_id in list(pending):
            op = pipeline.get(op_id)
            if op.state in TERMINAL:
                assert op.state == MINED, (op.state, op.error_code)
                pending.discard(op_id)
        if pending:
            time.sleep(0.01)
    mined = time.perf_counter() - start
    assert len(ids) == count
    return count / submitted, count / mined


def signatures_per_second(backend_name: str, seconds: float = 1.0) -> float | None:
    from eth_keys import KeyAPI

    try:
        if backend_name == "coincurve":
            from eth_keys.backends import CoinCurveECCBackend

            api = KeyAPI(CoinCurveECCBackend())
        else:
            from eth_keys.backends import NativeECCBackend

            api = KeyAPI(NativeECCBackend())
    except Exception:  # backend not installed
        return None
    private = api.PrivateKey(os.urandom(32))
    digests = [os.urandom(32) for _ in range(256)]
    n = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        api.ecdsa_sign(digests[n % 256], private)
        n += 1
    return n / (time.perf_counter() - start)


def timed(label: str, fn: Callable[[], Any]) -> Any:
    print(f"  {label} ...", flush=True)
    return fn()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=150, help="writes per measurement")
    parser.add_argument("--no-write", action="store_true", help="print only, keep the file")
    args = parser.parse_args()
    count = args.count

    with tempfile.TemporaryDirectory(prefix="bench-write-path-") as tmp:
        folder = Path(tmp)
        config = dataclasses.replace(
            localnode.load_config().with_dir(folder),
            port=free_port(),
            block_time=0,
            state_interval=3600,
        )
        localnode.start(config)
        try:
            handle = http_chain(config.url, "local", config.chain_id, poa=False)
            probe = deploy_probe(handle)
            print(f"anvil {config.url} chain {config.chain_id}; {count} writes per run")
            # warm-up: connections, caches
            baseline(handle, probe, 10)
            base = timed(
                "baseline (raw web3, one at a time)", lambda: baseline(handle, probe, count)
            )
            pipe = make_pipeline(handle, folder, "seq")
            seq = timed(
                "pipeline, sequential",
                lambda: submit_all(pipe, probe, [new_account(handle)], "seq", count, 1),
            )
            pipe1 = make_pipeline(handle, folder, "t1")
            one = timed(
                f"pipeline, {THREADS} threads, one account",
                lambda: submit_all(pipe1, probe, [new_account(handle)], "t1", count, THREADS),
            )
            pipe8 = make_pipeline(handle, folder, "t8")
            signers = [new_account(handle) for _ in range(THREADS)]
            many = timed(
                f"pipeline, {THREADS} threads, {THREADS} accounts",
                lambda: submit_all(pipe8, probe, signers, "t8", count, THREADS),
            )
        finally:
            localnode.stop(config)

    sig_cc = signatures_per_second("coincurve")
    sig_py = signatures_per_second("native")

    rows: list[dict[str, Any]] = [
        {"run": "baseline: raw web3, signed locally, one at a time", "threads": 1,
         "accounts": 1, "answered_tx_s": base, "mined_tx_s": base},
        {"run": "TxPipeline.submit, sequential", "threads": 1, "accounts": 1,
         "answered_tx_s": seq[0], "mined_tx_s": seq[1]},
        {"run": f"TxPipeline.submit, {THREADS} threads, one account", "threads": THREADS,
         "accounts": 1, "answered_tx_s": one[0], "mined_tx_s": one[1]},
        {"run": f"TxPipeline.submit, {THREADS} threads, {THREADS} accounts",
         "threads": THREADS, "accounts": THREADS, "answered_tx_s": many[0],
         "mined_tx_s": many[1]},
    ]  # fmt: skip
    for row in rows:
        row["mined_vs_baseline"] = row["mined_tx_s"] / base
        row["answered_vs_baseline"] = row["answered_tx_s"] / base

    print()
    print(f"{'run':<52} {'answered tx/s':>14} {'mined tx/s':>11} {'x baseline':>11}")
    for row in rows:
        print(
            f"{row['run']:<52} {row['answered_tx_s']:>14.1f} {row['mined_tx_s']:>11.1f} "
            f"{row['mined_vs_baseline']:>11.2f}"
        )
    print()
    for name, value in (("coincurve", sig_cc), ("pure python", sig_py)):
        shown = "not installed" if value is None else f"{value:,.0f} signatures/s"
        print(f"ECDSA signing, eth-keys {name:<12} {shown}")
    if sig_cc and sig_py:
        print(f"coincurve / pure python: {sig_cc / sig_py:.1f}x")

    result = {
        "benchmark": "write_path",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average": list(os.getloadavg()),
        },
        "node": "anvil (automine, block_time=0)",
        "call": f"{PROBE}.record(bytes32,uint256)",
        "writes_per_run": count,
        "runs": rows,
        "signatures_per_second": {"coincurve": sig_cc, "pure_python": sig_py},
    }
    if not args.no_write:
        OUT.parent.mkdir(parents=True, exist_ok=True)
        OUT.write_text(json.dumps(result, indent=2) + "\n")
        print(f"\nwrote {OUT.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
