"""``make bench``: every benchmark with its baseline in the same run, then the report.

Each benchmark is a script that runs alone (``.venv/bin/python bench/<name>.py``) and
writes its JSON into ``bench/results`` (or ``$BENCH_RESULTS_DIR``); this runs them one
after the other and then ``bench/report.py``, which writes ``bench/results.md``.

``BENCH_QUICK=1`` is a smoke run: short settings, results and ``results.md`` in a
temporary folder (the committed results are left alone; the gas snapshot and the write
benchmark's file are not rewritten). ``BENCH_ONLY=read_path,auth_attempts`` runs only
those. PostgreSQL runs of the indexer need ``LEDGER_TEST_POSTGRES_URL``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bench import report  # noqa: E402
from bench.support.machine import quick  # noqa: E402

#: (name, script, full arguments, quick arguments or None to skip in a quick run)
BENCHMARKS: list[tuple[str, str, list[str], list[str] | None]] = [
    ("gas_v2", "gas_v2.py", [], None),
    ("log_decoding", "log_decoding.py", [], ["--count", "1000"]),
    ("auth_attempts", "auth_attempts.py", [], ["--count", "2", "--separate", "2"]),
    ("gateway_memory", "gateway_memory.py", [], ["--sizes", "20,100", "--seconds", "0.5"]),
    ("read_path", "read_path.py", ["--seconds", "3", "--rounds", "2", "--profile"],
     ["--seconds", "0.5", "--rounds", "1"]),
    ("indexer_speed_20k", "indexer_speed.py", ["--events", "20000", "--rounds", "1"],
     ["--events", "1000", "--per-tx", "50", "--rounds", "1"]),
    ("indexer_speed_50k", "indexer_speed.py", ["--events", "50000", "--rounds", "1"],
     ["--events", "2000", "--per-tx", "50", "--rounds", "1"]),
    ("consistency_check", "consistency_check.py", [], ["--transactions", "30"]),
    ("console_pages", "console_pages.py", [], ["--rounds", "3"]),
    ("write_path", "write_path.py", [], ["--count", "5", "--no-write"]),
    ("write_path_http", "write_path.py", ["--http", "--label", "current"],
     ["--http", "--clients", "2", "--http-count", "20", "--paced-clients", "2",
      "--paced-seconds", "1", "--no-write"]),
]  # fmt: skip


def main() -> int:
    only = {n for n in os.environ.get("BENCH_ONLY", "").split(",") if n}
    env = dict(os.environ)
    if quick() and not env.get("BENCH_RESULTS_DIR"):
        env["BENCH_RESULTS_DIR"] = tempfile.mkdtemp(prefix="bench-quick-")
    results = Path(env.get("BENCH_RESULTS_DIR") or report.RESULTS)
    for name, script, full, short in BENCHMARKS:
        if only and name not in only:
            continue
        args = short if quick() else full
        if args is None:
            print(f"== {name}: skipped in a quick run", flush=True)
            continue
        print(f"== {name}: bench/{script} {' '.join(args)}", flush=True)
        started = time.monotonic()
        done = subprocess.run([sys.executable, str(REPO_ROOT / "bench" / script), *args],
                              cwd=REPO_ROOT, env=env, check=False)  # fmt: skip
        if done.returncode != 0:
            print(f"== {name} failed (exit {done.returncode})", flush=True)
            return done.returncode
        print(f"== {name}: {time.monotonic() - started:.0f} s", flush=True)
    out = report.OUT if results.resolve() == report.RESULTS else results / "results.md"
    return report.main(["--results", str(results), "--out", str(out)])


if __name__ == "__main__":
    raise SystemExit(main())
