"""The gateway's memory as the store grows: two store sizes, the same read load.

Starts a throw-away anvil, deploys the v2 contracts and issues one certificate (as
``bench/read_path.py``), switches to one block a second, then for each ``--sizes`` entry:

0. first runs the gateway on the real certificate alone (the indexer stores it);
1. with the gateway stopped, fills its SQLite store up to that many certificates (rows
   written straight into ``idx_certificates``, each with one recognition; the real one
   stays as the indexer wrote it);
2. starts the gateway (``api.main:create_app``, its own indexer, as ``ledger serve``),
   reads every certificate once over ``GET /v1/certificates/{id}`` (``--clients``
   keep-alive clients taking the next id), then drives the real certificate's status and
   ``POST /v1/verify`` at 32 clients for ``--seconds`` each;
3. records the gateway's resident set (``VmRSS``) after start-up and after the reads, and
   its peak (``VmHWM``), then stops it.

Memory that grows with the store shows as a larger figure at the larger size; the
gateway's answer caches are bounded (``CertificateReads.MAX_ANSWERS``), so the figures
should stay flat. Writes ``bench/results/gateway_memory.json``.

    .venv/bin/python bench/gateway_memory.py [--sizes 2000,20000] [--clients 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # run as a script: `python bench/gateway_memory.py`
    sys.path.insert(0, str(REPO_ROOT))

from sqlalchemy import func, select  # noqa: E402

from bench.read_path import (  # noqa: E402
    TOKEN,
    answers_of,
    automine_node,
    free_port,
    gateway_env,
    issue_certificate,
    requests_for,
    start,
    stop,
    wait_ready,
)
from bench.support.loadgen import drive, request_bytes  # noqa: E402
from bench.support.machine import finish, machine, results_dir  # noqa: E402
from chain import localnode  # noqa: E402
from chain.db import make_engine, session_factory  # noqa: E402
from chain.indexer.models import CertificateRow, RecognitionRow  # noqa: E402


def rss_mb(pid: int, field: str) -> float | None:
    """``VmRSS`` (now) or ``VmHWM`` (peak) of a process, in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def synthetic_id(i: int) -> str:
    return f"0x{0xCE27 << 240 | i:064x}"


def fill_store(store_url: str, template_id: str, size: int) -> int:
    """Certificates in the store up to ``size``: copies of the real one under new ids
    (``synthetic_id(1)`` on; the real one is the first); returns how many there are."""
    engine = make_engine(store_url)
    factory = session_factory(engine)
    with factory() as session, session.begin():
        have = int(session.scalar(select(func.count()).select_from(CertificateRow)) or 0)
        real = session.get(CertificateRow, template_id)
        assert real is not None, "the gateway's indexer has not stored the real certificate"
        columns = [c.key for c in CertificateRow.__table__.columns]
        base = {c: getattr(real, c) for c in columns}
        rows, recognitions = [], []
        for i in range(have, size):
            cid = synthetic_id(i)
            rows.append({**base, "certificate_id": cid, "recognitions": 1,
                         "first_log_index": 10_000 + i})  # fmt: skip
            recognitions.append({"certificate_id": cid, "org_index": 1, "org_id": "0x" + "11" * 32,
                                 "active": True, "recognised_block": base["first_block"],
                                 "withdrawn_block": None})  # fmt: skip
        if rows:
            session.execute(CertificateRow.__table__.insert(), rows)
            session.execute(RecognitionRow.__table__.insert(), recognitions)
        total = int(session.scalar(select(func.count()).select_from(CertificateRow)) or 0)
    engine.dispose()
    return total


async def _read_each(port: int, ids: list[str], clients: int) -> tuple[int, float]:
    """Every id read once by ``clients`` keep-alive clients taking the next id."""
    queue = iter(ids)
    done = 0
    auth = {"Authorization": f"Bearer {TOKEN}"}

    async def client() -> None:
        nonlocal done
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for cid in queue:
                writer.write(request_bytes("GET", f"/v1/certificates/{cid}", port, headers=auth))
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")[1:]
                              if line.lower().startswith(b"content-length"))  # fmt: skip
                body = await reader.readexactly(length)
                if head[9:12] != b"200" or cid.encode() not in body:
                    raise RuntimeError(f"{cid}: {head[:12]!r} {body[:200]!r}")
                done += 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return done, time.perf_counter() - started


def measure(
    size: int, env: dict[str, str], folder: Path, real_id: str, store_url: str,
    scene: Any, clients: int, seconds: float,
) -> dict[str, Any]:  # fmt: skip
    total = fill_store(store_url, real_id, size) if size > 1 else 1
    port = free_port()
    log = folder / f"gateway-{size}.log"
    gateway = start(
        [sys.executable, "-m", "uvicorn", "api.main:create_app", "--factory", "--host",
         "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log"],
        env, log,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        wait_ready(url, gateway, log, 180)
        answers_of(url, scene)
        started_mb = rss_mb(gateway.pid, "VmRSS")
        ids = [real_id, *(synthetic_id(i) for i in range(1, total))]
        read, took = asyncio.run(_read_each(port, ids, clients))
        after_lookups = rss_mb(gateway.pid, "VmRSS")
        requests = requests_for(scene, port)
        status = drive(port, requests["status"], 32, seconds)
        verify = drive(port, requests["verify"], 32, seconds)
        row = {
            "certificates": total, "read": read, "lookups_per_s": read / took,
            "rss_after_start_mb": started_mb, "rss_after_lookups_mb": after_lookups,
            "rss_after_status_verify_mb": rss_mb(gateway.pid, "VmRSS"),
            "peak_rss_mb": rss_mb(gateway.pid, "VmHWM"),
            "status_req_s": status.per_second, "verify_req_s": verify.per_second,
        }  # fmt: skip
    finally:
        stop(gateway)
    print(f"  {total:>7,} certificates: RSS {row['rss_after_start_mb']:.0f} MB after start, "
          f"{row['rss_after_lookups_mb']:.0f} MB after {read:,} lookups "
          f"({row['lookups_per_s']:.0f}/s), peak {row['peak_rss_mb']:.0f} MB",
          flush=True)  # fmt: skip
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000,20000", help="store sizes, certificates")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=3.0, help="status and verify each")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(",") if s)

    with tempfile.TemporaryDirectory(prefix="bench-gateway-memory-") as tmp:
        folder = Path(tmp)
        config = automine_node(folder / "node")
        localnode.start(config)
        try:
            var = folder / "var"
            scene = issue_certificate(config.url, config.chain_id, var / "deployments")
            env = gateway_env(config, var)
            store_url = f"sqlite:///{var / 'ledger.db'}"
            info = machine()
            # the real certificate alone first (it is also the rows' template), then each size
            rows = [measure(size, env, folder, scene.certificate_id, store_url, scene,
                            args.clients, args.seconds) for size in [1, *sizes]]  # fmt: skip
            finish(info)
        finally:
            localnode.stop(config)

    result = {
        "benchmark": "gateway_memory",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": info,
        "store": "SQLite; the gateway's own indexer following the node (one block a second)",
        "lookup_clients": args.clients, "seconds_status_verify": args.seconds,
        "rows": rows,
    }  # fmt: skip
    if not args.no_write:
        (results_dir() / "gateway_memory.json").write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
