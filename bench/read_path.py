"""Certificate reads over HTTP: the gateway against a bare FastAPI app, side by side.

Starts a throw-away anvil (``chain.localnode``, free port, temp folder), deploys the v2
contracts, issues one Qingdao certificate and signs its document (the registrar's key is
local to the benchmark), then switches the node to interval mining (one block a second,
as ``localnode.toml``) and starts two uvicorn processes with the same options:

- the gateway (``api.main:create_app``, ``LEDGER_CHAIN=rpc`` on that node, SQLite, its
  own indexer), and
- the baseline, ``bench/support/bare_app.py``: bare FastAPI returning the JSON the gateway
  answered for the same three requests.

Both are driven by ``bench/support/loadgen.py`` (keep-alive clients on one asyncio loop) for
``GET /v1/certificates/{id}`` (the store), ``GET /v1/certificates/{id}/status`` (the
chain, ``verify``) and ``POST /v1/verify`` (a signed document) at 1, 8 and 32 clients,
baseline and gateway interleaved, each measurement ``--seconds`` long, ``--rounds``
times. The median of the rounds is reported with the ratio gateway / baseline, p50/p99,
the machine's load and the gateway's peak RSS (after each client count; the peak is taken
before profiling). ``--profile`` also samples the gateway with py-spy (``--gil``) on each
route at ``--profile-clients`` (8 and 32) and writes its top frames.

    .venv/bin/python bench/read_path.py [--seconds 3] [--rounds 2] [--profile]

Writes ``bench/results/read_path.json`` (and ``bench/results/read_path_profile.txt``).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # run as a script: `python bench/read_path.py`
    sys.path.insert(0, str(REPO_ROOT))

import httpx  # noqa: E402

from bench.support.loadgen import drive, request_bytes  # noqa: E402
from bench.support.machine import finish, machine, peak_rss_mb, results_dir  # noqa: E402
from chain import documents, localnode  # noqa: E402
from chain.bindings.contracts import REGISTRY  # noqa: E402
from chain.clients import http_chain  # noqa: E402
from chain.deploy import write_record  # noqa: E402
from tests.documents.ledger import NOTICE_WINDOW, Ledger  # noqa: E402

TOKEN = "dal_bench000_" + "b" * 40
CLIENTS = (1, 8, 32)
ROUTES = ("certificate", "status", "verify")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def automine_node(folder: Path) -> localnode.LocalNodeConfig:
    """A throw-away anvil's settings: free port, files in ``folder``, a block per transaction."""
    return dataclasses.replace(
        localnode.load_config().with_dir(folder), port=free_port(), block_time=0,
        state_interval=3600,
    )  # fmt: skip


def gateway_env(config: localnode.LocalNodeConfig, var: Path) -> dict[str, str]:
    """Switch the node to one block a second (as the local node runs by default) and return
    the environment of a gateway on it (``LEDGER_CHAIN=rpc``, its files in ``var``)."""
    httpx.post(config.url, json={"jsonrpc": "2.0", "id": 1, "method": "evm_setIntervalMining",
                                 "params": [1]})  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    env.update({
        "LEDGER_CHAIN": "rpc", "LEDGER_RPC_URL": config.url,
        "LEDGER_CHAIN_ID": str(config.chain_id), "LEDGER_VAR_DIR": str(var),
        "LEDGER_BOOTSTRAP_TOKEN": TOKEN, "LEDGER_KEYSTORE_PASSPHRASE": "bench",
        "PYTHONPATH": str(REPO_ROOT),
    })  # fmt: skip
    return env


def wait_ready(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not become ready:\n{log.read_text(errors='replace')[-3000:]}")


def start(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT)  # fmt: skip


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclasses.dataclass
class Scene:
    certificate_id: str
    document: dict[str, Any]


def issue_certificate(url: str, chain_id: int, deployments: Path) -> Scene:
    handle = http_chain(url, "local", chain_id, poa=False)

    def advance(seconds: int) -> None:
        handle.w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[attr-defined]

    ledger = Ledger(handle=handle, advance=advance).deploy()
    asset = ledger.register_and_value("bench-transport-analysis")
    advance(NOTICE_WINDOW + 60)
    cid = ledger.issue(asset)
    document = documents.build_document(
        handle.w3, ledger.deployment.address(REGISTRY), cid, ledger.registrar,
        "https://ledger.qingdao.example",
    )  # fmt: skip
    write_record(deployments, ledger.deployment)
    return Scene("0x" + cid.hex(), document.to_json_dict())


def requests_for(scene: Scene, port: int) -> dict[str, bytes]:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    body = json.dumps({"document": scene.document}).encode()
    cid = scene.certificate_id
    return {
        "certificate": request_bytes("GET", f"/v1/certificates/{cid}", port, headers=auth),
        "status": request_bytes("GET", f"/v1/certificates/{cid}/status", port, headers=auth),
        "verify": request_bytes("POST", "/v1/verify", port, body=body),
    }


def answers_of(url: str, scene: Scene) -> dict[str, Any]:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    cid = scene.certificate_id
    deadline = time.monotonic() + 60
    while True:  # the gateway's indexer stores the certificate within a few polls
        found = httpx.get(f"{url}/v1/certificates/{cid}", headers=auth, timeout=30)
        if found.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    found.raise_for_status()
    status = httpx.get(f"{url}/v1/certificates/{cid}/status", headers=auth, timeout=30)
    verdict = httpx.post(f"{url}/v1/verify", json={"document": scene.document}, timeout=30)
    status.raise_for_status()
    verdict.raise_for_status()
    assert status.json()["status"] == "Active", status.text
    assert verdict.json()["valid"] is True, verdict.text
    return {"certificate": found.json(), "status": status.json(), "verify": verdict.json()}


def _frame_name(frame: str) -> str:
    """``func (path/to/file.py:12)`` -> ``func (file.py)``."""
    name, _, where = frame.partition(" (")
    return f"{name} ({where.split(':')[0].rsplit('/', 1)[-1]})"


def top_frames(raw: Path, limit: int = 25) -> list[str]:
    """py-spy's collapsed stacks (GIL-holding samples: the process's Python CPU) -> the
    functions most often on the stack (inclusive), the gateway's own first, and the
    functions the samples were in (self)."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    leaf: Counter[str] = Counter()
    total = 0
    root = str(REPO_ROOT)
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = stack.split(";")
        for name in {_frame_name(frame) for frame in frames}:
            inclusive[name] += count
        for name in {_frame_name(f) for f in frames if root in f and "/.venv/" not in f}:
            own[name] += count
        leaf[_frame_name(frames[-1])] += count
    pct = 100 / max(total, 1)
    lines = [f"{total} samples holding the GIL; the gateway's code (inclusive):"]
    lines += [f"{n * pct:5.1f}%  {frame}" for frame, n in own.most_common(limit)]
    lines.append("where the samples were (self):")
    lines += [f"{n * pct:5.1f}%  {frame}" for frame, n in leaf.most_common(limit)]
    lines.append("all frames (inclusive):")
    lines += [f"{n * pct:5.1f}%  {frame}" for frame, n in inclusive.most_common(limit)]
    return lines


def profile(
    pid: int, port: int, request: bytes, seconds: float, folder: Path, clients: int
) -> list[str]:
    raw = folder / f"profile-{time.monotonic_ns()}.txt"
    spy = subprocess.Popen(
        [str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(pid), "--rate",
         "200", "--duration", str(int(seconds)), "--format", "raw", "--output", str(raw),
         "--nonblocking", "--gil", "--full-filenames"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    time.sleep(0.5)
    drive(port, request, clients, seconds)
    try:
        _, err = spy.communicate(timeout=60)
    except subprocess.TimeoutExpired:  # a loaded machine: stop it, it writes what it has
        spy.send_signal(signal.SIGINT)
        _, err = spy.communicate(timeout=60)
    if not raw.exists():
        return [f"py-spy failed: {err.decode(errors='replace')[-500:]}"]
    return top_frames(raw)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="per measurement")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--profile", action="store_true", help="py-spy the gateway per route")
    parser.add_argument("--profile-clients", default="8,32", help="client counts to profile at")
    parser.add_argument("--no-write", action="store_true", help="print only, keep the files")
    parser.add_argument(
        "--rounds-only-profile",
        action="store_true",
        help="skip the measurements: only the profiles (with --profile)",
    )
    parser.add_argument("--tag", default="", help="suffix of the result files (e.g. _before)")
    parser.add_argument("--routes", default=",".join(ROUTES), help="a subset, to iterate")
    parser.add_argument("--clients", default="1,8,32", help="client counts, to iterate")
    args = parser.parse_args()
    routes = [r for r in args.routes.split(",") if r]
    client_counts = [int(c) for c in args.clients.split(",") if c]
    if not set(routes) <= set(ROUTES):
        parser.error(f"--routes: of {', '.join(ROUTES)}")
    partial = routes != list(ROUTES) or client_counts != list(CLIENTS)
    out = results_dir() / f"read_path{args.tag}.json"
    profile_out = results_dir() / f"read_path_profile{args.tag}.txt"
    profile_clients = [int(c) for c in args.profile_clients.split(",") if c]

    with tempfile.TemporaryDirectory(prefix="bench-read-path-") as tmp:
        folder = Path(tmp)
        config = automine_node(folder / "node")
        localnode.start(config)
        processes: list[subprocess.Popen[bytes]] = []
        try:
            var = folder / "var"
            scene = issue_certificate(config.url, config.chain_id, var / "deployments")
            env = gateway_env(config, var)
            gw_port, bare_port = free_port(), free_port()
            gateway = start(
                [sys.executable, "-m", "uvicorn", "api.main:create_app", "--factory",
                 "--host", "127.0.0.1", "--port", str(gw_port), "--log-level", "warning",
                 "--no-access-log"], env, folder / "gateway.log",
            )  # fmt: skip
            processes.append(gateway)
            gw_url = f"http://127.0.0.1:{gw_port}"
            wait_ready(gw_url, gateway, folder / "gateway.log", 180)
            answers = answers_of(gw_url, scene)
            (folder / "answers.json").write_text(json.dumps(answers))
            bare = start([sys.executable, str(REPO_ROOT / "bench" / "support" / "bare_app.py"),
                          str(bare_port), str(folder / "answers.json")], env,
                         folder / "bare.log")  # fmt: skip
            processes.append(bare)
            wait_ready(f"http://127.0.0.1:{bare_port}", bare, folder / "bare.log", 60)
            targets = {
                "baseline": (bare_port, requests_for(scene, bare_port)),
                "gateway": (gw_port, requests_for(scene, gw_port)),
            }
            for port, reqs in targets.values():  # warm-up: connections, caches
                for route in ROUTES:
                    drive(port, reqs[route], 4, 0.5)
            info = machine()
            rss_by_clients: dict[int, float] = {}
            samples: dict[tuple[str, int, str], list[Any]] = {}
            for round_no in range(0 if args.rounds_only_profile else args.rounds):
                for route in routes:
                    for clients in client_counts:
                        for name, (port, reqs) in targets.items():
                            load = drive(port, reqs[route], clients, args.seconds)
                            samples.setdefault((route, clients, name), []).append(load)
                            if name == "gateway":
                                rss_by_clients[clients] = max(
                                    rss_by_clients.get(clients, 0.0),
                                    peak_rss_mb(gateway.pid) or 0.0,
                                )
                            print(f"  round {round_no + 1} {route:11} {clients:2} clients "
                                  f"{name:8} {load.per_second:8.0f} req/s p50 "
                                  f"{load.p50_ms:6.1f} ms p99 {load.p99_ms:6.1f} ms",
                                  flush=True)  # fmt: skip
            finish(info)
            rss = {"gateway": peak_rss_mb(gateway.pid), "baseline": peak_rss_mb(bare.pid)}
            frames: list[str] = []
            for route in routes if args.profile else ():
                for clients in profile_clients:
                    frames.append(f"== {route}, {clients} clients")
                    frames += profile(gateway.pid, gw_port, targets["gateway"][1][route],
                                      max(args.seconds, 5), folder, clients)  # fmt: skip
            rss["gateway_after_profiling"] = peak_rss_mb(gateway.pid)
        finally:
            for process in processes:
                stop(process)
            localnode.stop(config)

    rows = []
    if args.rounds_only_profile:
        print("\n".join(frames))
        return 0
    for route in routes:
        for clients in client_counts:
            row: dict[str, Any] = {"route": route, "clients": clients}
            for name in ("baseline", "gateway"):
                loads = samples[(route, clients, name)]
                row[f"{name}_req_s"] = statistics.median(x.per_second for x in loads)
                row[f"{name}_p50_ms"] = statistics.median(x.p50_ms for x in loads)
                row[f"{name}_p99_ms"] = statistics.median(x.p99_ms for x in loads)
            row["ratio"] = row["gateway_req_s"] / row["baseline_req_s"]
            rows.append(row)
    print()
    print(f"{'route':12} {'clients':>7} {'bare req/s':>11} {'gateway req/s':>14} {'ratio':>6} "
          f"{'gw p50 ms':>10} {'gw p99 ms':>10}")  # fmt: skip
    for row in rows:
        print(f"{row['route']:12} {row['clients']:>7} {row['baseline_req_s']:>11.0f} "
              f"{row['gateway_req_s']:>14.0f} {row['ratio']:>6.2f} {row['gateway_p50_ms']:>10.1f} "
              f"{row['gateway_p99_ms']:>10.1f}")  # fmt: skip
    print(f"peak RSS: gateway {rss['gateway']} MB, baseline {rss['baseline']} MB")
    if frames:
        print("\n".join(["gateway profile (py-spy, inclusive, 8 clients):", *frames]))
    result = {
        "benchmark": "read_path",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": info,
        "node": "anvil, interval mining 1 s, zero gas price",
        "baseline": "bare FastAPI (bench/support/bare_app.py), the same JSON, same uvicorn",
        "seconds_per_measurement": args.seconds, "rounds": args.rounds,
        **({"tag": args.tag.strip("_")} if args.tag else {}),
        "rows": rows,
        "peak_rss_mb": {**rss, "gateway_by_clients": {str(c): v for c, v in
                                                       sorted(rss_by_clients.items())}},
    }  # fmt: skip
    if not args.no_write and not partial:  # a subset never replaces the committed files
        out.write_text(json.dumps(result, indent=1) + "\n")
        if frames:
            profile_out.write_text("\n".join(frames) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
