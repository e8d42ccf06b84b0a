"""What a guessed API key costs the gateway: checked with argon2 against refused by the
throttle, and 32 concurrent first requests with one key with and without coalescing.

All in the same run, on a throw-away SQLite database with the production argon2
parameters (argon2-cffi's defaults: 64 MiB, 3 passes):

- **baseline**: a wrong key at a real user's prefix, checked with argon2 (what every
  guess would cost without the throttle);
- **refused**: the throttle's check of a client that is over its limit (one indexed read
  of two ``auth_throttle`` rows, no argon2);
- **charged**: recording one failed attempt (one transaction, two atomic updates);
- **32 concurrent first requests** with one key through ``AccountStore.authenticate``
  (one argon2 run, the others wait) against 32 different keys at once (32 runs);
- **peak RSS**: in fresh processes that import the gateway (``api.main``) and open the
  same database, one first request with a fresh key, and 32 concurrent first requests with
  one fresh key (the target: under 400 MB).

    .venv/bin/python bench/auth_attempts.py [--count 40] [--separate 32]

Writes ``bench/results/auth_attempts.json``; compare the ratios, not the absolute numbers
(the file records the machine's load average).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # run as a script: `python bench/auth_attempts.py`
    sys.path.insert(0, str(REPO_ROOT))

from argon2 import PasswordHasher  # noqa: E402

from bench.support.machine import finish, machine, peak_rss_mb, results_dir  # noqa: E402
from chain.accounts import CONSORTIUM_ORG_ID, AccountStore  # noqa: E402
from chain.db import make_engine, session_factory  # noqa: E402
from chain.runtime import ADMIN_KEY, migrate_database  # noqa: E402
from chain.throttle import AttemptLimiter, DatabaseCells  # noqa: E402

RESULTS_NAME = "auth_attempts.json"


class CountingHasher(PasswordHasher):
    def __init__(self) -> None:
        super().__init__()
        self.runs = 0
        self._lock = threading.Lock()

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        with self._lock:
            self.runs += 1
        return bool(super().verify(hash, password))


def per_second(count: int, action: Callable[[int], Any]) -> float:
    started = time.perf_counter()
    for i in range(count):
        action(i)
    return count / (time.perf_counter() - started)


def concurrently(actions: list[Callable[[], Any]]) -> float:
    barrier = threading.Barrier(len(actions))

    def run(action: Callable[[], Any]) -> None:
        barrier.wait()
        action()

    threads = [threading.Thread(target=run, args=(a,)) for a in actions]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def rss_child(requests: int, database: str, key: str) -> None:
    """In a fresh process with the gateway's modules loaded: ``requests`` concurrent first
    requests with ``key`` (no key cached yet); prints argon2 runs and peak RSS."""
    import api.main  # noqa: F401  (the gateway's code and libraries, as in a gateway process)

    engine = make_engine(database)
    hasher = CountingHasher()
    store = AccountStore(session_factory(engine), hasher=hasher)
    seconds = concurrently([lambda: store.authenticate(key) for _ in range(requests)])
    print(json.dumps({"requests": requests, "argon2_runs": hasher.runs, "seconds": seconds,
                      "peak_rss_mb": peak_rss_mb()}))  # fmt: skip


def run_rss_child(requests: int, database: str, key: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--rss-child", str(requests), database, key],
        cwd=REPO_ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    out: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return out


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--rss-child":
        rss_child(int(sys.argv[2]), sys.argv[3], sys.argv[4])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--count", type=int, default=40, help="argon2 checks in the baseline")
    parser.add_argument(
        "--separate",
        type=int,
        default=32,
        help="different keys checked at once (32 x 64 MiB of argon2 memory)",
    )
    args = parser.parse_args()
    info = machine()
    folder = Path(tempfile.mkdtemp(prefix="auth-bench-"))
    engine = make_engine(f"sqlite:///{folder / 'ledger.db'}")
    migrate_database(engine)
    sessions = session_factory(engine)
    hasher = CountingHasher()
    store = AccountStore(sessions, hasher=hasher)
    store.ensure_consortium(ADMIN_KEY, "0x" + "11" * 20)
    _, key = store.create_user(CONSORTIUM_ORG_ID, "bench", "reader")
    prefix = key.split("_")[1]
    wrong = f"dal_{prefix}_{'x' * 43}"

    argon2_per_s = per_second(args.count, lambda _i: store.authenticate(wrong))
    limiter = AttemptLimiter(DatabaseCells(sessions), per_minute=10, burst=20, clock=lambda: 1e9)
    for _ in range(25):
        limiter.failed("198.51.100.1", prefix)
    assert limiter.check("198.51.100.1", prefix) is not None
    refused_per_s = per_second(args.count * 25, lambda _i: limiter.check("198.51.100.1", prefix))
    charged_per_s = per_second(args.count * 5, lambda i: limiter.failed(f"192.0.2.{i}", prefix))

    hasher.runs = 0
    shared = concurrently([lambda: store.authenticate(key) for _ in range(32)])
    shared_runs = hasher.runs
    database = f"sqlite:///{folder / 'ledger.db'}"
    fresh = [store.create_user(CONSORTIUM_ORG_ID, f"fresh {i}", "reader")[1] for i in range(2)]
    one_request = run_rss_child(1, database, fresh[0])
    one_key = run_rss_child(32, database, fresh[1])
    keys = [store.create_user(CONSORTIUM_ORG_ID, f"bench {i}", "reader")[1]
            for i in range(args.separate)]  # fmt: skip
    hasher.runs = 0
    separate = concurrently([lambda k=k: store.authenticate(k) for k in keys])  # type: ignore[misc]
    separate_runs = hasher.runs

    memory_kib = hasher.memory_cost
    results: dict[str, Any] = {
        "benchmark": "auth_attempts",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": finish(info),
        "argon2": {"memory_kib": memory_kib, "time_cost": hasher.time_cost},
        "baseline": "a wrong key at a real prefix checked with argon2",
        "guesses": {
            "argon2_checked_per_s": argon2_per_s,
            "throttle_refused_per_s": refused_per_s,
            "throttle_charged_per_s": charged_per_s,
            "refused_x_baseline": refused_per_s / argon2_per_s,
            "charged_x_baseline": charged_per_s / argon2_per_s,
        },
        "concurrent_first_requests": {
            "requests": 32,
            "one_key_argon2_runs": shared_runs,
            "one_key_seconds": shared,
            "peak_argon2_mib_one_key": shared_runs * memory_kib // 1024,
            "separate_keys": args.separate,
            "separate_keys_argon2_runs": separate_runs,
            "separate_keys_seconds": separate,
            "peak_argon2_mib_separate_keys_at_most": separate_runs * memory_kib // 1024,
            "separate_x_one_key_seconds": separate / shared,
            "one_request_peak_rss_mb": one_request["peak_rss_mb"],
            "one_key_peak_rss_mb": one_key["peak_rss_mb"],
            "one_key_process_argon2_runs": one_key["argon2_runs"],
            "rss_process": "a fresh process with api.main imported, opening the same database",
        },
    }
    out = results_dir() / RESULTS_NAME
    out.write_text(json.dumps(results, indent=1) + "\n")
    g, c = results["guesses"], results["concurrent_first_requests"]
    print(f"wrong key checked with argon2: {argon2_per_s:8.1f}/s  (baseline 1.00)")
    print(f"refused by the throttle:      {refused_per_s:8.1f}/s  x{g['refused_x_baseline']:.1f}")
    print(f"failure recorded:             {charged_per_s:8.1f}/s  x{g['charged_x_baseline']:.1f}")
    print(f"32 first requests, one key:   {shared_runs} argon2 run(s), {shared:.2f} s")
    print(f"32 first requests, 32 keys:   {separate_runs} argon2 runs, {separate:.2f} s "
          f"(x{c['separate_x_one_key_seconds']:.1f})")  # fmt: skip
    print(f"peak RSS: one first request {one_request['peak_rss_mb']:.0f} MB, 32 concurrent "
          f"first requests with one key {one_key['peak_rss_mb']:.0f} MB "
          f"({one_key['argon2_runs']} argon2 run)")  # fmt: skip
    print(f"load average {os.getloadavg()[0]:.1f}; written to {out}")
    engine.dispose()


if __name__ == "__main__":
    main()
