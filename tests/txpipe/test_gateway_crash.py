"""Deep fault test: the gateway process is SIGKILLed in the middle of 500 writes and
restarted; every write it acknowledged (and every client retry) is on chain exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from web3 import Web3
from web3.contract import Contract

from chain.clients import ChainHandle
from chain.paths import REPO_ROOT
from tests.txpipe.helpers import free_port, key
from tests.txpipe.probe_server import WRITER_KEY

pytestmark = [pytest.mark.deep, pytest.mark.anvil]

WRITES = 500


def _start(
    handle: ChainHandle, probe: Contract, var_dir: Path, port: int
) -> subprocess.Popen[bytes]:
    url = handle.w3.provider.endpoint_uri  # type: ignore[attr-defined]
    log = (var_dir / "gateway.log").open("ab")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.txpipe.probe_server",
            url,
            str(handle.chain_id),
            probe.address,
            str(var_dir),
            str(port),
        ],
        cwd=REPO_ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 240  # a loaded 2-core machine starts slowly
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise AssertionError("gateway did not start: " + (var_dir / "gateway.log").read_text()[-2000:])


def _write(port: int, n: int) -> str | None:
    """One write with its idempotency key; the op id when acknowledged, else None."""
    try:
        response = httpx.post(
            f"http://127.0.0.1:{port}/v1/test/probe",
            json={"key": "0x" + key(f"crash-{n}").hex(), "value": n + 1},
            headers={"Authorization": f"Bearer {WRITER_KEY}", "Idempotency-Key": f"crash-{n}"},
            timeout=30,
        )
    except httpx.HTTPError:
        return None
    if response.status_code in (200, 202):
        return str(response.json()["id"])
    if response.status_code == 429:
        time.sleep(float(response.headers.get("retry-after", "1")))
        return _write(port, n)
    raise AssertionError(f"write {n}: {response.status_code} {response.text}")


def test_gateway_sigkill_during_500_writes_loses_and_duplicates_nothing(
    anvil_chain: ChainHandle, anvil_probe: Contract, tmp_path: Path
) -> None:
    port = free_port()
    gateway = _start(anvil_chain, anvil_probe, tmp_path, port)
    acknowledged: dict[int, str] = {}
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            futures = {n: pool.submit(_write, port, n) for n in range(WRITES)}
            while sum(f.done() for f in futures.values()) < WRITES // 3:
                time.sleep(0.05)
            os.kill(gateway.pid, signal.SIGKILL)  # mid-flight: some journaled, unanswered
            gateway.wait()
            for n, future in futures.items():
                op_id = future.result()
                if op_id is not None:
                    acknowledged[n] = op_id
        assert WRITES // 3 <= len(acknowledged) < WRITES
        gateway = _start(anvil_chain, anvil_probe, tmp_path, port)
        # clients retry everything not acknowledged, with the same idempotency keys
        with ThreadPoolExecutor(max_workers=8) as pool:
            retried = dict(
                zip(
                    [n for n in range(WRITES) if n not in acknowledged],
                    pool.map(
                        lambda n: _write(port, n),
                        [n for n in range(WRITES) if n not in acknowledged],
                    ),
                    strict=True,
                )
            )
        assert all(op_id is not None for op_id in retried.values())
        # an acknowledged write retried after the restart is the same operation
        some = next(iter(acknowledged))
        assert _write(port, some) == acknowledged[some]
        deadline = time.monotonic() + 120
        while anvil_probe.functions.total().call() < WRITES and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        gateway.kill()
        gateway.wait()
    probe_total = anvil_probe.functions.total().call()
    counts = [anvil_probe.functions.writesOf(key(f"crash-{n}")).call() for n in range(WRITES)]
    assert [n for n, c in enumerate(counts) if c != 1] == []
    assert probe_total == WRITES
    for n in acknowledged:
        assert anvil_probe.functions.valueOf(key(f"crash-{n}")).call() == n + 1
    assert Web3.is_address(anvil_probe.address)
