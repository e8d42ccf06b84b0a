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

``--http`` measures issue 15's targets instead, over HTTP, anvil mining a block every
second: (d) the raw baseline - N threads sending the gateway's own write,
``AssetRegistryV2.registerResource``, signed with web3.py by one holder organisation's key
(nonces from one counter, gas fixed, nothing simulated or journaled) with
``eth_sendRawTransaction``; (d') N threads each signing ``OutboxProbe.record`` with its own
key (a cheaper call: 73,000 gas against 84,500, so more fit a block; kept for comparison
with earlier runs); and (e) the gateway (``ledger serve`` process) with N clients posting
``POST /v1/assets`` for one holder organisation, N = 8 and 32. For each write: the time to
its 202 and from the request to the first sight of the block that holds it (a thread
watches the head every 10 ms); throughput is writes / (first request to last block seen);
how full the blocks holding each run's writes were (the node's own ceiling: a block holds
30,000,000 gas); the clients' and the gateway process's CPU time per write
(``gateway_cpu_ms_per_write``, all its threads, from ``/proc``), which moves
far less with the machine's load than the rates. Every client, raw or not, holds one
keep-alive socket (``bench.support.loadgen.KeepAlive``: a fraction of a millisecond of CPU
a write, on the same cores as what it measures). ``--profile`` records
the gateway with py-spy during each gateway run (top frames into ``--profile-out``).
``--workers N`` runs ``ledger serve --workers N`` on a fresh PostgreSQL database of
``LEDGER_TEST_POSTGRES_URL`` (``--postgres``: one process on PostgreSQL). ``--layout
split`` runs the node on a core of its own and the gateway on the others (as when the
node is a machine of its own); the default, ``shared``, runs both on every core. The
clients use every core in both. Each run records its layout; the targets take the
default's runs.
Writes ``bench/results/write_path.json`` (key ``http``; the rest of the file is kept).
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import math
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

from bench.support.loadgen import KeepAlive  # noqa: E402
from bench.support.machine import Layout, cpu_model, python_loop_seconds  # noqa: E402
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


#: the clients' HTTP, recorded with each run: until ``keep-alive socket`` they used httpx
#: (the gateway's) and requests (the raw sends'), 1.3-1.8 ms of CPU a write on the same
#: two cores
LOAD_GENERATOR = "keep-alive socket"

#: the head watcher's request body
HEAD_REQUEST = b'{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}'


class HeadWatcher:
    """Wall-clock time each block number was first seen (polls the head every 10 ms)."""

    def __init__(self, url: str) -> None:
        self.connection = KeepAlive.to(url, timeout=5)
        self.url = url
        self.seen: dict[int, float] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        last = -1
        while not self.stop.is_set():
            try:
                answer = json.loads(self.connection.post("/", HEAD_REQUEST).body)
                head = int(answer["result"], 16)
            except Exception:
                self.connection.close()
                time.sleep(0.05)
                continue
            now = time.perf_counter()
            for number in range(last + 1, head + 1):
                self.seen.setdefault(number, now)
            last = max(last, head)
            time.sleep(0.01)

    def wait_for(self, number: int, timeout: float = 120.0) -> float:
        deadline = time.perf_counter() + timeout
        while number not in self.seen:
            if time.perf_counter() > deadline:
                raise TimeoutError(f"block {number} not seen")
            time.sleep(0.01)
        return self.seen[number]


class Pacer:
    """When each request of a run is sent. Closed loop (``rate`` None): each client sends
    its next request as soon as its last one is answered. Paced (open loop): request ``n``
    of client ``t`` is due at ``origin + (n * clients + t) / rate``, the clients together
    offering ``rate`` requests a second; an answer's time counts from when its request was
    due, so a client held up by a slow answer is charged for the wait (no coordinated
    omission)."""

    def __init__(self, clients: int, rate: float | None = None) -> None:
        self.clients, self.rate = clients, rate
        self.origin = 0.0

    def start(self) -> None:
        """The barrier's action: the clients' common start."""
        self.origin = time.perf_counter() + 0.05

    def due(self, t: int, n: int) -> float:
        """Wait until request ``n`` of client ``t`` is due; the time it was due."""
        if self.rate is None:
            return time.perf_counter()
        at = self.origin + (n * self.clients + t) / self.rate
        wait = at - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        return at


def block_fill(handle: ChainHandle, blocks: set[int]) -> dict[str, Any]:
    """How full the blocks holding a run's writes were: gas used against the block's
    gas limit, and transactions per block (the node's own ceiling on the rate)."""
    fills: list[float] = []
    counts: list[int] = []
    gas_used = 0
    for number in sorted(blocks):
        block = handle.w3.eth.get_block(number)
        fills.append(block["gasUsed"] / block["gasLimit"])
        counts.append(len(block["transactions"]))
        gas_used += block["gasUsed"]
    gas_per_tx = gas_used / max(1, sum(counts))
    row = {
        "blocks": len(fills),
        "block_fill_mean": sum(fills) / len(fills),
        "block_fill_max": max(fills),
        "tx_per_block_max": max(counts),
        "gas_per_tx": gas_per_tx,
        "block_capacity_tx": int(handle.w3.eth.get_block(max(blocks))["gasLimit"] // gas_per_tx),
    }
    print(
        f"  {row['blocks']} blocks, {row['block_fill_mean']:.0%} full on average "
        f"(fullest {row['block_fill_max']:.0%}, {row['tx_per_block_max']} tx); "
        f"{row['gas_per_tx']:,.0f} gas a write: {row['block_capacity_tx']} writes fit a block"
    )
    return row


def plain_metrics(client: Any, *names: str) -> dict[str, float]:
    """The gateway's unlabelled ``/metrics`` values of these names (those it has)."""
    values: dict[str, float] = {}
    for line in client.http.get("/metrics").text.splitlines():
        name, _, value = line.partition(" ")
        if name in names:
            values[name] = float(value)
    return values


BURST_COUNTS = (
    "ledger_write_bursts_total",
    "ledger_write_burst_writes_total",
    "ledger_write_run_batches_total",
    "ledger_write_runs_total",
)


def burst_counts(client: Any) -> tuple[float, ...]:
    """The gateway's write bursts and the writes they held so far, and the batches its
    writes' eth_call runs went to the node in and the runs they held (``/metrics``; 0 for
    a series the gateway does not serve)."""
    values = plain_metrics(client, *BURST_COUNTS)
    return tuple(values.get(name, 0.0) for name in BURST_COUNTS)


def indexer_caught_up(client: Any, handle: ChainHandle, timeout: float = 120.0) -> float:
    """Wait until the gateway's indexer stored the node's head as of now (``/metrics``),
    so a run does not pay for the events of the one before; how long that took."""
    head = int(handle.w3.eth.block_number)
    started = time.perf_counter()
    while True:
        indexed = plain_metrics(client, "ledger_indexer_block").get("ledger_indexer_block")
        if indexed is None or indexed >= head:  # no gauge: the gateway runs no indexer
            return time.perf_counter() - started
        assert time.perf_counter() - started < timeout, "the indexer did not catch up"
        time.sleep(0.1)


def server_buckets(client: Any, route: str = "/v1/assets") -> dict[float, float]:
    """The gateway's own latency histogram of ``POST route`` so far (``/metrics``: from
    the request's arrival to its answer, in the gateway): cumulative counts by bound."""
    found: dict[float, float] = {}
    prefix = "ledger_http_request_duration_seconds_bucket{"
    for line in client.http.get("/metrics").text.splitlines():
        if not line.startswith(prefix) or f'route="{route}"' not in line \
                or 'method="POST"' not in line:  # fmt: skip
            continue
        labels, _, value = line.rpartition(" ")
        bound = labels.split('le="', 1)[1].split('"', 1)[0]
        found[float("inf") if bound == "+Inf" else float(bound)] = float(value)
    return found


def server_side(before: dict[float, float], after: dict[float, float]) -> dict[str, Any]:
    """The requests of a run by the gateway's own histogram: the share above 20 and
    50 ms, and the bound its 99th percentile lies under."""
    counts = {b: after[b] - before.get(b, 0.0) for b in after}
    total = counts.get(float("inf"), 0.0)
    if not total:
        return {}
    bounds = sorted(counts)
    p99 = next(b for b in bounds if counts[b] >= 0.99 * total)
    return {
        "server_over_20ms": 1 - counts.get(0.02, 0.0) / total,
        "server_over_50ms": 1 - counts.get(0.05, 0.0) / total,
        "server_p99_under_ms": p99 * 1000,
    }


def near_blocks(watcher: HeadWatcher, done: list[tuple[str, float, float]]) -> dict[str, float]:
    """Where the slowest answers fall against the blocks: the share of all requests and of
    the slowest 5 % that started within 100 ms of a block first being seen (before or
    after it; 20 % of a 1 s block time). A tail made near the blocks is the work a block
    brings (its receipts settled, its events indexed, the node mining it)."""
    import bisect

    seen = sorted(watcher.seen.values())

    def near(t: float) -> bool:
        i = bisect.bisect_left(seen, t)
        return any(0 <= j < len(seen) and abs(seen[j] - t) < 0.1 for j in (i - 1, i))

    answers = sorted(a for _, _, a in done)
    cut = answers[int(len(answers) * 0.95)]
    slowest = [t0 for _, t0, a in done if a >= cut]
    return {
        "near_block_all": sum(near(t0) for _, t0, _ in done) / len(done),
        "near_block_slowest_5pct": sum(near(t0) for t0 in slowest) / len(slowest),
    }


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))
    return ordered[index]


def summary(label: str, clients: int, count: int, started: float, ends: list[float],
            answered: list[float], mined: list[float]) -> dict[str, Any]:  # fmt: skip
    elapsed = max(ends) - started
    row = {
        "run": label, "clients": clients, "writes": count,
        "mined_tx_s": count / elapsed,
        "answer_ms_p50": percentile(answered, 50) * 1000,
        "answer_ms_p99": percentile(answered, 99) * 1000,
        "request_to_mined_s_p50": percentile(mined, 50),
        "request_to_mined_s_p99": percentile(mined, 99),
    }  # fmt: skip
    print(f"  {label}: {row['mined_tx_s']:.1f} tx/s mined; 202/answer p50 "
          f"{row['answer_ms_p50']:.1f} ms p99 {row['answer_ms_p99']:.1f} ms; request->mined "
          f"p50 {row['request_to_mined_s_p50']:.2f} s p99 {row['request_to_mined_s_p99']:.2f} s",
          flush=True)  # fmt: skip
    return row


def raw_sends(handle: ChainHandle, probe: Contract, watcher: HeadWatcher, clients: int,
              per_client: int) -> dict[str, Any]:  # fmt: skip
    """Baseline: each thread signs ``record`` with its own key and sends the raw bytes."""
    accounts = [new_account(handle) for _ in range(clients)]
    fees = handle.fee_fields()
    data_of = probe.functions.record

    def signed(t: int, n: int) -> bytes:
        tx = {"chainId": handle.chain_id, "nonce": n, "to": probe.address, "value": 0,
              "gas": 200_000, "data": data_of(key(f"raw{clients}-{t}", n), n + 1)
              ._encode_transaction_data(), **fees}  # fmt: skip
        return bytes(accounts[t].sign_transaction(tx).raw_transaction)

    return _raw_run(handle, watcher, f"probe signed sends, {clients} threads", clients,
                    per_client, signed)  # fmt: skip


def holder_account(folder: Path, org_id: str) -> LocalAccount:
    """The signing key the gateway keeps for a holder organisation (its keystore in the
    run's temporary folder, under the passphrase the run gave it)."""
    from chain.accounts import org_key_name
    from chain.keys import KeyStore
    from tests.e2e.faults_support import KEYSTORE_PASSPHRASE

    return KeyStore(folder / "var" / "keys", KEYSTORE_PASSPHRASE).load(org_key_name(org_id))


def raw_registrations(handle: ChainHandle, folder: Path, account: LocalAccount,
                      watcher: HeadWatcher, clients: int, per_client: int,
                      rate: float | None = None) -> dict[str, Any]:  # fmt: skip
    """Baseline: the gateway's own write, signed and sent raw. N threads send
    ``AssetRegistryV2.registerResource`` for one holder organisation's signing key (the
    gateway's writes also come from one signer), taking nonces from one counter; gas
    limit fixed at the largest of eight estimates, nothing simulated or journaled."""
    deployment = json.loads(
        (folder / "var" / "deployments" / f"{handle.chain_id}.json").read_text())  # fmt: skip
    registry = handle.w3.eth.contract(
        address=deployment["contracts"]["AssetRegistryV2"]["address"],
        abi=load("AssetRegistryV2").abi)  # fmt: skip
    register = registry.functions.registerResource
    # gas limit: the largest of a few estimates, as the gateway keeps the largest estimate
    # of a call's shape for its signer
    gas = max(
        register(os.urandom(32), os.urandom(32), 7).estimate_gas({"from": account.address})
        for _ in range(8)
    )
    fees = handle.fee_fields()
    nonces = iter(range(handle.w3.eth.get_transaction_count(account.address, "pending"), 2**62))
    taking = threading.Lock()

    def signed(_t: int, _n: int) -> bytes:
        with taking:
            nonce = next(nonces)
        data = register(os.urandom(32), os.urandom(32), 7)._encode_transaction_data()
        tx = {"chainId": handle.chain_id, "nonce": nonce, "to": registry.address,
              "value": 0, "gas": gas, "data": data, **fees}  # fmt: skip
        return bytes(account.sign_transaction(tx).raw_transaction)

    return _raw_run(handle, watcher, f"raw signed registrations, {clients} threads{paced(rate)}",
                    clients, per_client, signed, rate)  # fmt: skip


def paced(rate: float | None) -> str:
    """A run label's note of its pacing."""
    return "" if rate is None else f", paced at {rate:.0f}/s"


def _raw_run(handle: ChainHandle, watcher: HeadWatcher, label: str, clients: int,
             per_client: int, signed: Callable[[int, int], bytes],
             rate: float | None = None) -> dict[str, Any]:  # fmt: skip
    """A raw baseline: ``clients`` threads, each sending ``per_client`` transactions
    (``signed(thread, n)``, signed when its turn comes) with ``eth_sendRawTransaction``,
    closed loop or paced at ``rate`` (:class:`Pacer`); its rates, answer times and
    blocks."""
    sent: list[tuple[str, float, float]] = []
    lock = threading.Lock()
    pacer = Pacer(clients, rate)
    barrier = threading.Barrier(clients + 1, action=pacer.start)
    url = handle.w3.provider.endpoint_uri  # type: ignore[attr-defined]

    def worker(t: int) -> None:
        with KeepAlive.to(url, timeout=30) as node:
            barrier.wait()
            for n in range(per_client):
                t0 = pacer.due(t, n)
                answer = json.loads(node.post("/", json.dumps({
                    "jsonrpc": "2.0", "id": n, "method": "eth_sendRawTransaction",
                    "params": ["0x" + signed(t, n).hex()]}).encode()).body)  # fmt: skip
                assert "result" in answer, answer
                with lock:
                    sent.append((answer["result"], t0, time.perf_counter() - t0))

    own_before = process_cpu_seconds(os.getpid())
    started = run_clients(worker, clients, barrier)
    own = process_cpu_seconds(os.getpid()) - own_before
    ends: list[float] = []
    mined: list[float] = []
    blocks: set[int] = set()
    for tx_hash, t0, _ in sent:
        receipt = handle.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=120)  # type: ignore[arg-type]
        assert receipt["status"] == 1
        blocks.add(int(receipt["blockNumber"]))
        seen = watcher.wait_for(int(receipt["blockNumber"]))
        ends.append(seen)
        mined.append(seen - t0)
    row = summary(label, clients, len(sent), started, ends, [a for _, _, a in sent], mined)
    row["clients_cpu_ms_per_write"] = own * 1000 / len(sent)
    print(f"  the clients' CPU {row['clients_cpu_ms_per_write']:.2f} ms per write")
    row.update(near_blocks(watcher, sent))
    print(
        f"  started within 100 ms of a block: {row['near_block_all']:.0%} of all sends, "
        f"{row['near_block_slowest_5pct']:.0%} of the slowest 5 %"
    )
    row.update(block_fill(handle, blocks))
    return row


def run_clients(worker: Any, clients: int, barrier: threading.Barrier) -> float:
    """Start ``clients`` threads of ``worker(t)``, release them together through
    ``barrier`` and wait for all; the time they were released.

    This process's garbage collector is off while they run (what was left is collected
    first, and it is on again after). A full collection here paused every client and the
    head watcher for 20-130 ms, five times in a short run. A paced answer's time counts
    from when its request was due, so that pause was charged to the gateway or the raw
    sends being measured."""
    threads = [threading.Thread(target=worker, args=(t,)) for t in range(clients)]
    gc.collect()
    gc.disable()
    try:
        for th in threads:
            th.start()
        barrier.wait()
        started = time.perf_counter()
        for th in threads:
            th.join()
    finally:
        gc.enable()
    return started


def gateway_writes(handle: ChainHandle, client: Any, db_url: str, watcher: HeadWatcher,
                   clients: int, per_client: int, tag: str,
                   rate: float | None = None, respond_async: bool = False,
                   pid: int | None = None) -> dict[str, Any]:  # fmt: skip
    """N clients post registrations for one holder, closed loop or paced at ``rate``
    (:class:`Pacer`), with ``Prefer: respond-async`` when ``respond_async``; answers and
    request->mined times. With the gateway's ``pid`` (one process), also the CPU it used
    while the clients ran: how busy its interpreter was while answering."""
    from sqlalchemy import select

    from chain.txpipe.models import Operation

    done: list[tuple[str, float, float]] = []
    refused = [0]  # answers 429 (backpressure), each followed by a retry after Retry-After
    lock = threading.Lock()
    pacer = Pacer(clients, rate)
    barrier = threading.Barrier(clients + 1, action=pacer.start)
    headers = client.auth("holder")
    if respond_async:
        headers = {**headers, "Prefer": "respond-async"}
    applied = [0]  # answers with Preference-Applied
    late: list[float] = []  # paced: how long after its due time each request left

    def worker(t: int) -> None:
        with KeepAlive.to(client.url) as http:
            barrier.wait()
            for n in range(per_client):
                body = json.dumps({
                    "catalogue_code": f"370200-WP-{tag}-{t:02d}{n:04d}", "domain_code": 7,
                    "metadata": {"title": "bench", "n": n}}).encode()  # fmt: skip
                t0 = pacer.due(t, n)
                late.append(time.perf_counter() - t0)  # the client's own delay in sending
                response = http.post("/v1/assets", body, headers)
                while response.status == 429:  # backpressure: as a client would
                    with lock:
                        refused[0] += 1
                    time.sleep(float(response.headers["retry-after"]))
                    t0 = time.perf_counter()
                    response = http.post("/v1/assets", body, headers)
                answered = time.perf_counter() - t0
                assert response.status == 202, response.body[:500]
                with lock:
                    done.append((json.loads(response.body)["id"], t0, answered))
                    applied[0] += "preference-applied" in response.headers

    waited = indexer_caught_up(client, handle)
    if waited > 1.5:
        print(f"  waited {waited:.1f} s for the gateway's indexer to reach the head")
    bursts_before = burst_counts(client)
    latency_before = server_buckets(client)
    cpu_before = process_cpu_seconds(pid) if pid is not None else 0.0
    counters_before = process_counters(pid) if pid is not None else {}
    started = run_clients(worker, clients, barrier)
    answering = time.perf_counter() - started
    answering_cpu = process_cpu_seconds(pid) - cpu_before if pid is not None else None
    # thread wake-ups and system calls an answer while the clients ran (less sensitive to
    # the machine's speed than its CPU)
    counted = (
        {name: value - counters_before[name] for name, value in process_counters(pid).items()}
        if pid is not None
        else {}
    )
    bursts, writes, run_batches, runs = (
        b - a for a, b in zip(bursts_before, burst_counts(client), strict=True)
    )
    inside = server_side(latency_before, server_buckets(client))
    engine = make_engine(db_url)
    ids = {op_id for op_id, _, _ in done}
    deadline = time.perf_counter() + 180
    while True:
        with engine.connect() as conn:
            rows = {r.id: r for r in conn.execute(
                select(Operation.id, Operation.state, Operation.block_number,
                       Operation.broadcasts)
                .where(Operation.id.in_(ids)))}  # fmt: skip
        if all(r.state == MINED for r in rows.values()) and len(rows) == len(ids):
            break
        assert time.perf_counter() < deadline, "writes not mined in time"
        time.sleep(0.2)
    engine.dispose()
    ends: list[float] = []
    mined: list[float] = []
    for op_id, t0, _ in done:
        seen = watcher.wait_for(int(rows[op_id].block_number))
        ends.append(seen)
        mined.append(seen - t0)
    kind, prefer = ("gateway", "")
    if respond_async:
        kind, prefer = "gateway-async", ", Prefer: respond-async"
    row = summary(f"{kind} POST /v1/assets, {clients} clients{paced(rate)}{prefer}", clients,
                  len(done), started,
                  ends, [a for _, _, a in done], mined)  # fmt: skip
    row["refused_429"] = refused[0]
    if rate is not None:  # what the clients' own delays add to the answers' times
        row["client_late_ms_p50"] = percentile(late, 50) * 1000
        row["client_late_ms_p99"] = percentile(late, 99) * 1000
        print(
            f"  the clients sent {row['client_late_ms_p50']:.1f} ms (p50) / "
            f"{row['client_late_ms_p99']:.1f} ms (p99) after their requests were due"
        )
    if answering_cpu is not None:
        row["gateway_busy_while_answering"] = answering_cpu / answering
        row["gateway_cpu_ms_per_answer"] = answering_cpu * 1000 / max(1, len(done))
        print(
            f"  the gateway's process used {row['gateway_busy_while_answering']:.2f} of a core "
            f"while the clients ran ({row['gateway_cpu_ms_per_answer']:.2f} ms an answer)"
        )
        answers = max(1, len(done))
        row["answering_voluntary_switches_per_answer"] = counted["voluntary_switches"] / answers
        row["answering_syscalls_per_answer"] = (counted["syscr"] + counted["syscw"]) / answers
        print(
            f"  meanwhile {row['answering_voluntary_switches_per_answer']:.1f} voluntary "
            f"context switches and {row['answering_syscalls_per_answer']:.1f} read and write "
            "system calls an answer"
        )
    # sent more than once: the node lost them (or the tracker found them unknown)
    row["sent_again"] = sum(1 for r in rows.values() if int(r.broadcasts) > 1)
    if row["sent_again"]:
        print(f"  {row['sent_again']} writes sent to the node more than once")
    if respond_async:
        row["preference_applied"] = applied[0] / max(1, len(done))
        print(f"  Preference-Applied on {row['preference_applied']:.1%} of the answers")
    row.update(inside)
    if inside:
        print(
            f"  in the gateway (its /metrics): {inside['server_over_20ms']:.1%} over 20 ms, "
            f"{inside['server_over_50ms']:.1%} over 50 ms; p99 under "
            f"{inside['server_p99_under_ms']:.0f} ms"
        )
    row.update(near_blocks(watcher, done))
    print(
        f"  started within 100 ms of a block: {row['near_block_all']:.0%} of all requests, "
        f"{row['near_block_slowest_5pct']:.0%} of the slowest 5 %"
    )
    row["bursts"], row["mean_burst"] = bursts, writes / max(1.0, bursts)
    print(f"  {bursts:.0f} bursts of {row['mean_burst']:.1f} writes on average")
    if run_batches:
        row["run_batches"], row["mean_run_batch"] = run_batches, runs / run_batches
        print(f"  their eth_call runs in {run_batches:.0f} batches of {runs / run_batches:.1f}")
    row.update(block_fill(handle, {int(rows[op_id].block_number) for op_id, _, _ in done}))
    return row


def top_frames(raw_file: Path, limit: int = 15) -> dict[str, list[tuple[str, float]]]:
    """Self and inclusive shares of the frames in py-spy's collapsed stacks."""
    from collections import Counter

    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in raw_file.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack:
            continue
        count = int(count_text)
        frames = [f for f in stack.split(";") if f]
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count

    def share(c: Counter[str]) -> list[tuple[str, float]]:
        return [(f, n / max(total, 1)) for f, n in c.most_common(limit)]

    return {"self": share(own), "inclusive": share(inclusive), "samples": [("total", total)]}


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used (Linux ``/proc/<pid>/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_counters(pid: int) -> dict[str, float]:
    """A process's user and system CPU seconds and its threads' context switches, the
    voluntary ones (a thread waiting: for the GIL, a lock, I/O) and the others (taken off
    a core), summed over its threads (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    counters = {"user_s": int(fields[11]) / ticks, "system_s": int(fields[12]) / ticks,
                "voluntary_switches": 0.0, "involuntary_switches": 0.0}  # fmt: skip
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            status = (task / "status").read_text()
        except OSError:  # a thread that ended meanwhile
            continue
        for line in status.splitlines():
            if line.startswith("voluntary_ctxt_switches:"):
                counters["voluntary_switches"] += int(line.split()[1])
            elif line.startswith("nonvoluntary_ctxt_switches:"):
                counters["involuntary_switches"] += int(line.split()[1])
    # its read and write system calls (files, sockets, pipes) and the bytes they moved
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("syscr", "syscw", "rchar", "wchar"):
            counters[name] = float(value)
    return counters


def profile_file(args: argparse.Namespace, clients: int, again: str = "") -> str:
    """The raw py-spy file of one client count (``--profile-out`` with ``_<N>`` added, and
    the round's suffix for a count given more than once)."""
    out = Path(args.profile_out)
    return str(out.with_name(f"{out.stem}_{clients}{again}{out.suffix}"))


def http_main(args: argparse.Namespace) -> int:
    import contextlib
    import subprocess

    from tests.e2e.faults_support import (
        Client,
        GatewayProcess,
        fresh_database,
        gateway_env,
        node_config,
    )

    postgres = args.postgres or args.workers > 1
    layout = Layout.choose(args.layout)
    results: dict[str, Any] = {
        "load_average_start": list(os.getloadavg()),
        "cpu_model": cpu_model(),
        "python_loop_s_start": python_loop_seconds(),
        "workers": args.workers,
        "database": "postgresql" if postgres else "sqlite",
        "layout": layout.record(),
    }
    with tempfile.TemporaryDirectory(prefix="bench-write-http-") as tmp, \
            contextlib.ExitStack() as stack:  # fmt: skip
        folder = Path(tmp)
        config = dataclasses.replace(
            node_config(folder, block_time=1, state_interval=3600), state_interval=3600
        )
        extra: dict[str, str] = {}
        if args.max_in_flight is not None:
            extra["LEDGER_MAX_IN_FLIGHT_PER_ACCOUNT"] = str(args.max_in_flight)
        for setting in args.setting:  # NAME=VALUE, passed to the gateway as LEDGER_NAME
            name, _, value = setting.partition("=")
            extra[f"LEDGER_{name.upper()}"] = value
        if args.setting:
            results["settings"] = list(args.setting)
        #: how the clients reach the gateway and the node (bench/support/loadgen.py)
        results["load_generator"] = LOAD_GENERATOR

        db_url = f"sqlite:///{folder / 'var' / 'ledger.db'}"
        if postgres:  # a database of its own on the test server, dropped afterwards
            db_url = stack.enter_context(fresh_database("bench_write_path"))
            extra["LEDGER_DATABASE_URL"] = db_url
        layout.pin_node(localnode.start(config))
        gateway = GatewayProcess(folder, gateway_env(folder, config, **extra), workers=args.workers)
        try:
            handle = http_chain(config.url, "local", config.chain_id, poa=False)
            watcher = HeadWatcher(config.url)
            probe = deploy_probe(handle)
            gateway.start()
            assert gateway.process is not None
            layout.pin_gateway(gateway.process.pid)
            client = Client(gateway.url)
            # "raw": a second holder whose key the raw baseline signs with (the gateway
            # never writes for it after its admission)
            client.registrar_and(("holder", "holder"), ("raw", "holder"))
            raw_account = holder_account(folder, client.orgs["raw"])
            warm = {"catalogue_code": "370200-WP-warm-0", "domain_code": 7, "metadata": {}}
            client.mined("POST", "/v1/assets", "holder", warm)
            runs: list[dict[str, Any]] = []
            paced_runs: list[dict[str, Any]] = []
            for index, clients in enumerate(args.clients):
                # catalogue codes of a client count given twice get a suffix of their own
                again = f"r{index}" if clients in args.clients[:index] else ""
                per = max(1, args.http_count // clients)
                runs.append(raw_sends(handle, probe, watcher, clients, per))
                raw_row = raw_registrations(handle, folder, raw_account, watcher, clients, per)
                runs.append(raw_row)
                profiler = None
                if args.profile:
                    assert gateway.process is not None
                    profiler = subprocess.Popen([
                        str(Path(sys.executable).with_name("py-spy")), "record",
                        *(["--idle"] if args.profile_idle else ["--gil"]),
                        "--format", "raw", "-r", "250", "-o", profile_file(args, clients, again),
                        "-p", str(gateway.process.pid), "--nonblocking",
                        *(["--subprocesses"] if args.workers > 1 else [])],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
                    time.sleep(1.0)
                assert gateway.process is not None
                cpu_before = process_cpu_seconds(gateway.process.pid)
                counters_before = process_counters(gateway.process.pid)
                own_before = process_cpu_seconds(os.getpid())
                # the gateway's one process, measured while its clients run
                pid = gateway.process.pid if args.workers == 1 else None
                row = gateway_writes(handle, client, db_url, watcher, clients, per,
                                     f"c{clients}{again}", pid=pid)  # fmt: skip
                # the gateway's CPU per write (all its threads; less sensitive to the
                # machine's load than the rates; one process: --workers 1 only)
                cpu = process_cpu_seconds(gateway.process.pid) - cpu_before
                row["gateway_cpu_ms_per_write"] = cpu * 1000 / (clients * per)
                after = process_counters(gateway.process.pid)
                for name, value in after.items():
                    row[f"gateway_{name}_per_write"] = (value - counters_before[name]) / (
                        clients * per
                    )
                print("  gateway per write: user {:.2f} ms, system {:.2f} ms, {:.1f} voluntary "
                      "and {:.2f} other context switches; {:.1f} reads ({:.1f} kB) and {:.1f} "
                      "writes ({:.1f} kB) of files and sockets".format(
                          row["gateway_user_s_per_write"] * 1000,
                          row["gateway_system_s_per_write"] * 1000,
                          row["gateway_voluntary_switches_per_write"],
                          row["gateway_involuntary_switches_per_write"],
                          row["gateway_syscr_per_write"], row["gateway_rchar_per_write"] / 1e3,
                          row["gateway_syscw_per_write"], row["gateway_wchar_per_write"] / 1e3,
                      ))  # fmt: skip
                own = process_cpu_seconds(os.getpid()) - own_before
                row["clients_cpu_ms_per_write"] = own * 1000 / (clients * per)
                print(f"  the clients' CPU {row['clients_cpu_ms_per_write']:.2f} ms per write")
                print(
                    f"  gateway CPU {row['gateway_cpu_ms_per_write']:.2f} ms per write, "
                    f"{row['refused_429']} answers 429"
                )
                runs.append(row)
                if clients in args.async_clients:  # the same load, answered once journaled
                    runs.append(gateway_writes(handle, client, db_url, watcher, clients, per,
                                               f"a{clients}{again}", respond_async=True,
                                               pid=pid))  # fmt: skip
                if clients in args.paced_clients and args.paced_share > 0:
                    # the answer time at a load the node takes: open loop, a share of
                    # the raw registrations' rate just measured, the same for both
                    raw_rate = raw_row["mined_tx_s"] * args.paced_share
                    if args.paced_rate is not None:  # a rate of its own: A/B runs at one load
                        raw_rate = args.paced_rate
                    count = max(clients, int(raw_rate * args.paced_seconds) // clients)
                    paced_rows = [
                        raw_registrations(handle, folder, raw_account, watcher, clients,
                                          count, raw_rate),
                        gateway_writes(handle, client, db_url, watcher, clients, count,
                                       f"p{clients}{again}", raw_rate, pid=pid),
                    ]  # fmt: skip
                    if clients in args.async_clients:
                        paced_rows.append(gateway_writes(
                            handle, client, db_url, watcher, clients, count, f"pa{clients}{again}",
                            raw_rate, respond_async=True, pid=pid))  # fmt: skip
                    for paced_row in paced_rows:
                        paced_row["paced_rate"] = raw_rate
                        paced_row["paced_share"] = (
                            args.paced_share if args.paced_rate is None else None
                        )
                        paced_runs.append(paced_row)
                if profiler is not None:
                    profiler.send_signal(2)
                    profiler.wait(timeout=60)
                    frames = top_frames(Path(profile_file(args, clients, again)))
                    results.setdefault("profile", {})[str(clients)] = frames
                    for kind in ("self", "inclusive"):
                        print(f"  top frames, {clients} clients ({kind}):")
                        for frame, part in frames[kind][:12]:
                            print(f"    {part:6.1%}  {frame}")
            watcher.stop.set()
            client.close()
        finally:
            gateway.stop()
            localnode.stop(config)
    by_clients: dict[int, dict[str, dict[str, Any]]] = {}
    for row in runs:
        kind = str(row["run"]).split(" ", 1)[0]  # raw (registrations), probe or gateway
        by_clients.setdefault(row["clients"], {})[kind] = row
    for clients, trio in sorted(by_clients.items()):
        if "gateway-async" in trio:
            trio["gateway-async"]["mined_vs_raw"] = (
                trio["gateway-async"]["mined_tx_s"] / trio["raw"]["mined_tx_s"]
            )
        gateway = trio["gateway"]
        gateway["mined_vs_raw"] = gateway["mined_tx_s"] / trio["raw"]["mined_tx_s"]
        gateway["mined_vs_probe"] = gateway["mined_tx_s"] / trio["probe"]["mined_tx_s"]
        gateway["gas_vs_probe"] = (gateway["mined_tx_s"] * gateway["gas_per_tx"]) / (
            trio["probe"]["mined_tx_s"] * trio["probe"]["gas_per_tx"]
        )
        print(
            f"  {clients} clients: gateway / raw registrations = {gateway['mined_vs_raw']:.2f}"
            f"; / probe sends {gateway['mined_vs_probe']:.2f} in writes, "
            f"{gateway['gas_vs_probe']:.2f} in gas"
        )
    results.update({
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "label": args.label,
        "load_average": list(os.getloadavg()),
        "python_loop_s_end": python_loop_seconds(),
        "node": "anvil, a block every 1 s",
        "runs": runs,
        "paced": paced_runs,
    })  # fmt: skip
    if not args.no_write:
        current = json.loads(OUT.read_text()) if OUT.exists() else {}
        current.setdefault("http", {})[args.label] = results
        OUT.write_text(json.dumps(current, indent=2) + "\n")
        print(f"\nwrote {OUT.relative_to(REPO_ROOT)} (http.{args.label})")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=150, help="writes per measurement")
    parser.add_argument("--no-write", action="store_true", help="print only, keep the file")
    parser.add_argument("--http", action="store_true", help="issue 15: HTTP, 1 s blocks")
    parser.add_argument("--http-count", type=int, default=6400, help="writes per HTTP run")
    parser.add_argument("--clients", type=int, nargs="+", default=[8, 32])
    parser.add_argument("--label", default="current", help="key of the HTTP figures")
    parser.add_argument("--profile", action="store_true", help="py-spy the gateway")
    parser.add_argument(
        "--profile-idle",
        action="store_true",
        help="profile every thread, waiting ones too (default: the GIL holder)",
    )
    parser.add_argument(
        "--setting",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a gateway setting for the HTTP runs (LEDGER_NAME=VALUE)",
    )
    parser.add_argument(
        "--max-in-flight",
        type=int,
        default=None,
        help="the gateway's LEDGER_MAX_IN_FLIGHT_PER_ACCOUNT (default: its own)",
    )
    parser.add_argument(
        "--paced-rate",
        type=float,
        default=None,
        help="paced runs offer this many writes a second instead of a share of the raw rate",
    )
    parser.add_argument(
        "--paced-share",
        type=float,
        default=0.5,
        help="paced runs offer this share of the raw registrations' rate (0: none)",
    )
    parser.add_argument("--paced-clients", type=int, nargs="*", default=[8],
                        help="client counts that also get a paced run")  # fmt: skip
    parser.add_argument("--async-clients", type=int, nargs="*", default=[8],
                        help="client counts that also get runs with Prefer: respond-async "
                        "(closed loop, and paced where paced)")  # fmt: skip
    parser.add_argument("--paced-seconds", type=float, default=20.0,
                        help="length of a paced run")  # fmt: skip
    parser.add_argument("--workers", type=int, default=1, help="gateway processes (PostgreSQL)")
    parser.add_argument(
        "--layout",
        choices=("split", "shared"),
        default="shared",
        help="shared: the gateway and the node on every core; split: the node on a core of "
        "its own, the gateway on the others (bench/support/machine.py, Layout)",
    )
    parser.add_argument(
        "--postgres", action="store_true", help="one gateway process on a fresh PostgreSQL"
    )
    parser.add_argument("--profile-out", default="write_path_profile.txt")
    args = parser.parse_args()
    if args.http:
        return http_main(args)
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
