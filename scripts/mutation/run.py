"""Mutation testing of contracts/v2 with forge (from npm, offline) and the repo's solc-js.

Each mutant (scripts/mutation/mutants.py) is written into a private copy of the forge
project (forge/ and contracts/ copied to a temporary folder; the real sources are never
written), built, and the v2 forge suites run against it with small fuzz and invariant sizes
and ``--fail-fast``. A mutant is *killed* when a test fails, *survived* when all pass,
*invalid* when it does not compile (not counted), *timeout* when the run exceeds the limit
(counted as killed, reported apart).

The copy is built without the optimizer: a mutant then compiles in ~10 s instead of ~27 s,
and no test depends on optimised gas.

Results go to bench/mutation/results.json (one record per mutant, merged over runs, keyed by
a stable id) and bench/mutation/results.md (kill rate per contract; each survivor with the
reason it is equivalent, from bench/mutation/equivalent.json).

    python scripts/mutation/run.py --contract RevenueSplitV2 --sample 20 --write-results
    python scripts/mutation/run.py --ids RevenueSplitV2-0123456789 --write-results
    python scripts/mutation/run.py --list --contract UseAndFinance
    python scripts/mutation/run.py --sample 10 --check-killed    # check-deep's bounded run
    python scripts/mutation/run.py --report                      # rewrite results.md only

Sizes: FORGE_FUZZ_RUNS (default 64), FORGE_INVARIANT_RUNS / FORGE_INVARIANT_DEPTH (8 / 32),
MUTATION_TIMEOUT seconds per mutant (300), --jobs parallel workers (1).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mutants import Mutant, generate

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = [
    "OrgDirectory",
    "AssetRegistryV2",
    "UseAndFinance",
    "RevenueSplitV2",
    "CertificateVerifier",
]
RESULTS_JSON = ROOT / "bench" / "mutation" / "results.json"
RESULTS_MD = ROOT / "bench" / "mutation" / "results.md"
EQUIVALENT = ROOT / "bench" / "mutation" / "equivalent.json"
SOLC_SHIM = ROOT / "chain" / "toolchain" / "solc"
TEST_GLOB = "test/v2/*"
SEED = 16


def forge_binary() -> Path:
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}[
        platform.machine().lower()
    ]
    system = platform.system().lower()
    path = ROOT / "node_modules" / "@foundry-rs" / f"forge-{system}-{arch}" / "bin" / "forge"
    if not path.exists():
        sys.exit(f"mutation: {path.relative_to(ROOT)} missing; run 'make node-deps'")
    return path


def source_digest(contract: str) -> str:
    return hashlib.sha256((ROOT / "contracts" / "v2" / f"{contract}.sol").read_bytes()).hexdigest()


def all_mutants(contracts: list[str]) -> list[Mutant]:
    found: list[Mutant] = []
    for name in contracts:
        rel = f"contracts/v2/{name}.sol"
        found.extend(generate(rel, name, (ROOT / rel).read_text(encoding="utf-8")))
    return found


class Workspace:
    """A private copy of the forge project in which one mutant at a time is applied."""

    def __init__(self, forge: Path) -> None:
        self.forge = forge
        self.dir = Path(tempfile.mkdtemp(prefix="ledger-mutation-"))
        shutil.copytree(ROOT / "contracts", self.dir / "contracts")
        (self.dir / "forge").mkdir()
        shutil.copy(ROOT / "forge" / "foundry.toml", self.dir / "forge" / "foundry.toml")
        # only the v2 suites and their helpers: fewer files for solc-js to compile
        shutil.copytree(ROOT / "forge" / "test" / "v2", self.dir / "forge" / "test" / "v2")
        shutil.copytree(ROOT / "forge" / "test" / "utils", self.dir / "forge" / "test" / "utils")
        (self.dir / "node_modules").symlink_to(ROOT / "node_modules")
        toml = (self.dir / "forge" / "foundry.toml").read_text()
        toml = toml.replace('"../var/forge/out"', '"out"').replace(
            '"../var/forge/cache"', '"cache"'
        )
        toml += "\n[lint]\nlint_on_build = false\n"
        (self.dir / "forge" / "foundry.toml").write_text(toml)
        self.proc: subprocess.Popen[str] | None = None
        self.closed = False
        self.lock = threading.Lock()
        self.env = dict(
            os.environ,
            FOUNDRY_SOLC=str(SOLC_SHIM),
            FOUNDRY_OFFLINE="true",
            FOUNDRY_OPTIMIZER="false",
            FOUNDRY_FUZZ_RUNS=os.environ.get("FORGE_FUZZ_RUNS", "64"),
            FOUNDRY_INVARIANT_RUNS=os.environ.get("FORGE_INVARIANT_RUNS", "8"),
            FOUNDRY_INVARIANT_DEPTH=os.environ.get("FORGE_INVARIANT_DEPTH", "32"),
        )

    def _forge(self, args: list[str], timeout: float) -> tuple[int, str]:
        with self.lock:
            if self.closed:
                return -2, "stopped"
            proc = self._spawn(args)
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            return -1, "timeout"
        return proc.returncode, out

    def _spawn(self, args: list[str]) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [str(self.forge), *args, "--root", str(self.dir / "forge")],
            cwd=self.dir / "forge",
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.proc = proc
        return proc

    def baseline(self) -> None:
        code, out = self._forge(["build"], 900)
        if code != 0:
            sys.exit(f"mutation: the unmutated sources do not build\n{out[-4000:]}")
        code, out = self._forge(["test", "--match-path", TEST_GLOB, "--fail-fast"], 900)
        if code != 0:
            sys.exit(f"mutation: the v2 suites fail on the unmutated sources\n{out[-4000:]}")

    def run(self, mutant: Mutant, timeout: float) -> dict[str, Any]:
        target = self.dir / mutant.path
        original = target.read_text(encoding="utf-8")
        start = time.monotonic()
        try:
            target.write_text(mutant.apply(original), encoding="utf-8")
            code, out = self._forge(["build"], timeout)
            if code == -1:
                status, by = "timeout", "build"
            elif code != 0:
                status, by = "invalid", _first_error(out)
            else:
                left = max(30.0, timeout - (time.monotonic() - start))
                code, out = self._forge(["test", "--match-path", TEST_GLOB, "--fail-fast"], left)
                if code == -1:
                    status, by = "timeout", "test"
                elif code == 0:
                    status, by = "survived", ""
                else:
                    status, by = "killed", _first_failure(out)
        finally:
            if not self.closed:
                target.write_text(original, encoding="utf-8")
        if self.closed:  # stopped: whatever forge said is not a verdict
            status, by = "stopped", ""
        return {"status": status, "by": by, "seconds": round(time.monotonic() - start, 1)}

    def close(self) -> None:
        with self.lock:
            self.closed = True
            if self.proc is not None and self.proc.poll() is None:
                os.killpg(self.proc.pid, signal.SIGKILL)  # a forge of ours still running
        shutil.rmtree(self.dir, ignore_errors=True)


def _first_failure(out: str) -> str:
    """The first failing test's name (the reason before it may itself hold brackets)."""
    lines = out.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("[FAIL"):
            names = re.findall(r"\]\s*(\w+)\(", line)
            if names:
                return names[-1]
            for later in lines[i + 1 : i + 40]:  # an invariant: its call sequence comes first
                m = re.match(r"\s*(\w+)\(\) \((?:runs|gas)", later)
                if m:
                    return m.group(1)
    return "forge test failed"


def _first_error(out: str) -> str:
    m = re.search(r"Error(?: \(\d+\))?: ([^\n]+)", out)
    return m.group(1)[:120] if m else "does not compile"


def load_results() -> dict[str, Any]:
    if RESULTS_JSON.exists():
        data: dict[str, Any] = json.loads(RESULTS_JSON.read_text())
        return data
    return {"mutants": {}, "sources": {}}


def save_results(results: dict[str, Any]) -> None:
    RESULTS_JSON.parent.mkdir(parents=True, exist_ok=True)
    results["mutants"] = dict(sorted(results["mutants"].items()))
    RESULTS_JSON.write_text(json.dumps(results, indent=1) + "\n")


def record(mutant: Mutant, outcome: dict[str, Any]) -> dict[str, Any]:
    return {
        "contract": mutant.contract,
        "line": mutant.line,
        "operator": mutant.operator,
        "change": mutant.describe(),
        **outcome,
    }


def write_report(results: dict[str, Any]) -> None:
    equivalent: dict[str, str] = json.loads(EQUIVALENT.read_text()) if EQUIVALENT.exists() else {}
    generated = {c: len(all_mutants([c])) for c in CONTRACTS}
    rows = []
    total = {"generated": 0, "tested": 0, "killed": 0, "timeout": 0, "survived": 0, "invalid": 0}
    survivors = []
    for c in CONTRACTS:
        recs = {k: v for k, v in results["mutants"].items() if v["contract"] == c}
        fresh = results.get("sources", {}).get(c) == source_digest(c)
        n = {
            s: sum(1 for r in recs.values() if r["status"] == s)
            for s in ("killed", "timeout", "survived", "invalid")
        }
        tested = n["killed"] + n["timeout"] + n["survived"]
        explained = sum(1 for k, r in recs.items() if r["status"] == "survived" and k in equivalent)
        rate = f"{100 * (n['killed'] + n['timeout']) / tested:.1f} %" if tested else "-"
        adj = (
            f"{100 * (n['killed'] + n['timeout']) / (tested - explained):.1f} %"
            if tested - explained
            else "-"
        )
        rows.append(
            f"| {c}{'' if fresh else ' (stale: source changed)'} | {generated[c]} | {tested} | "
            f"{n['killed']} | {n['timeout']} | {n['survived']} | {explained} | {n['invalid']} | "
            f"{rate} | {adj} |"
        )
        total["generated"] += generated[c]
        total["tested"] += tested
        for s in ("killed", "timeout", "survived", "invalid"):
            total[s] += n[s]
        for k, r in sorted(recs.items(), key=lambda kv: kv[1]["line"]):
            if r["status"] == "survived":
                survivors.append((k, r, equivalent.get(k, "")))
    t = total
    t_rate = f"{100 * (t['killed'] + t['timeout']) / t['tested']:.1f} %" if t["tested"] else "-"
    n_equiv = sum(1 for _, _, why in survivors if why)
    t_adj = (
        f"{100 * (t['killed'] + t['timeout']) / (t['tested'] - n_equiv):.1f} %"
        if t["tested"] - n_equiv
        else "-"
    )
    settings = results.get("settings", {})
    lines = [
        "# Mutation testing of contracts/v2",
        "",
        "Measured by `make mutation` (scripts/mutation/run.py): one mutant at a time, in a",
        "temporary copy of the forge project, built by the repo's solc-js (optimizer off) and",
        "run against the v2 forge suites (forge/test/v2) with `--fail-fast`. Operators: relational",
        "boundary and equality swaps (ror), + / - (aor), && / || (lor), true / false (bool),",
        "deleted `revert` (and so if-revert checks), deleted `emit`, deleted storage writes",
        "(store), deleted check calls (`_require*`, `_check*`, `_only*`), and the organisation",
        "kind a caller check demands swapped (role).",
        "",
        f"Settings of the recorded runs: fuzz runs {settings.get('fuzz_runs', '?')}, "
        "invariant runs "
        f"{settings.get('invariant_runs', '?')} x depth {settings.get('invariant_depth', '?')}, "
        f"timeout {settings.get('timeout', '?')} s per mutant; mutants chosen by a seeded random "
        "sample per contract where not all were run.",
        "",
        "Kill rate = (killed + timeout) / tested; the last column leaves out the survivors shown",
        "below to be equivalent mutants (no test can tell them from the original).",
        "",
        "| contract | mutants | tested | killed | timeout | survived | of which equivalent | "
        "does not compile | kill rate | excluding equivalent |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        *rows,
        f"| **all** | {t['generated']} | {t['tested']} | {t['killed']} | {t['timeout']} | "
        f"{t['survived']} | {n_equiv} | {t['invalid']} | {t_rate} | {t_adj} |",
        "",
        "## Survivors",
        "",
    ]
    if not survivors:
        lines.append("None.")
    for k, r, why in survivors:
        lines.append(f"- `{k}` {r['contract']}.sol line {r['line']}, {r['change']}")
        lines.append(
            f"  - {'Equivalent: ' + why if why else 'NOT EXPLAINED: needs a test or a reason'}"
        )
    lines += [
        "",
        "## Rerun",
        "",
        "```",
        "# one contract, a seeded sample of 30 of its mutants",
        'make mutation MUTATION_ARGS="--contract RevenueSplitV2 --sample 30"',
        "# every mutant of every contract (hours on 2 cores)",
        "make mutation",
        "# the recorded survivors again (after adding tests)",
        'make mutation MUTATION_ARGS="--survivors"',
        "# check-deep's bounded run: recorded kills must still be killed",
        "make mutation-sample",
        "```",
        "",
    ]
    RESULTS_MD.write_text("\n".join(lines))


def main() -> int:
    parser = argparse.ArgumentParser(description="mutation testing of contracts/v2")
    parser.add_argument(
        "--contract", action="append", choices=CONTRACTS, help="repeatable; default all"
    )
    parser.add_argument("--sample", type=int, help="at most N mutants per contract (seeded random)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--ids", nargs="*", default=[], help="run exactly these mutant ids")
    parser.add_argument("--survivors", action="store_true", help="rerun recorded survivors")
    parser.add_argument("--untested", action="store_true", help="skip mutants already recorded")
    parser.add_argument(
        "--check-killed",
        action="store_true",
        help="sample among recorded kills; fail if one survives (check-deep)",
    )
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--write-results", action="store_true", help="merge into bench/mutation")
    parser.add_argument("--list", action="store_true", help="print the mutants and stop")
    parser.add_argument("--report", action="store_true", help="only rewrite results.md")
    args = parser.parse_args()

    results = load_results()
    if args.report:
        write_report(results)
        return 0
    contracts = args.contract or CONTRACTS
    mutants = all_mutants(contracts)
    if args.list:
        for m in mutants:
            print(f"{m.id}  line {m.line:4d}  {m.describe()}")
        print(f"{len(mutants)} mutants")
        return 0

    recorded = results["mutants"]
    if args.ids:
        chosen = [m for m in mutants if m.id in set(args.ids)]
    elif args.survivors:
        chosen = [m for m in mutants if recorded.get(m.id, {}).get("status") == "survived"]
    else:
        pool = mutants
        if args.check_killed:
            pool = [m for m in mutants if recorded.get(m.id, {}).get("status") == "killed"]
        if args.untested:
            pool = [m for m in pool if m.id not in recorded]
        chosen = []
        rng = random.Random(args.seed if not args.check_killed else int(time.time()))
        for c in contracts:
            of_c = [m for m in pool if m.contract == c]
            if args.sample is not None and args.check_killed:
                # check-deep: the sample is spread over contracts, not per contract
                per = max(1, args.sample // len(contracts))
                of_c = rng.sample(of_c, min(per, len(of_c)))
            elif args.sample is not None:
                of_c = rng.sample(of_c, min(args.sample, len(of_c)))
            chosen.extend(sorted(of_c, key=lambda m: m.line))
    if args.check_killed:
        stale = [c for c in contracts if results.get("sources", {}).get(c) != source_digest(c)]
        if stale:
            print(
                f"mutation: recorded results predate source changes of {', '.join(stale)}; "
                "rerun 'make mutation' for them (their mutants still sampled where unchanged)"
            )
    if not chosen:
        print("mutation: no mutant chosen")
        return 1 if args.ids else 0

    timeout = float(os.environ.get("MUTATION_TIMEOUT", "300"))
    forge = forge_binary()
    start = time.monotonic()
    print(f"mutation: {len(chosen)} mutants, {args.jobs} job(s)", flush=True)
    spaces = [Workspace(forge) for _ in range(max(1, args.jobs))]
    lock = threading.Lock()
    done = {"n": 0}
    outcomes: dict[str, dict[str, Any]] = {}
    try:
        with ThreadPoolExecutor(len(spaces)) as pool_ex:
            list(pool_ex.map(lambda w: w.baseline(), spaces))
        print(f"mutation: baseline built and green in {time.monotonic() - start:.0f} s", flush=True)
        queue = list(chosen)

        def worker(ws: Workspace) -> None:
            while True:
                with lock:
                    if not queue:
                        return
                    m = queue.pop(0)
                outcome = ws.run(m, timeout)
                if outcome["status"] == "stopped":
                    return
                with lock:
                    outcomes[m.id] = record(m, outcome)
                    done["n"] += 1
                    print(
                        f"[{done['n']:3d}/{len(chosen)}] {outcome['status']:8s} "
                        f"{outcome['seconds']:5.1f}s "
                        f"{m.id} line {m.line} {m.describe()} {outcome['by']}",
                        flush=True,
                    )
                    if args.write_results:
                        results["mutants"][m.id] = outcomes[m.id]
                        save_results(results)

        # a stop (SIGTERM) unwinds through the finally below: forges ended, copies removed
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        threads = [threading.Thread(target=worker, args=(w,), daemon=True) for w in spaces]
        for th in threads:
            th.start()
        for th in threads:
            while th.is_alive():
                th.join(timeout=1.0)
    finally:
        for w in spaces:
            w.close()

    counts: dict[str, int] = {}
    for o in outcomes.values():
        counts[o["status"]] = counts.get(o["status"], 0) + 1
    print(f"mutation: {counts} in {time.monotonic() - start:.0f} s")
    if args.write_results:
        results.setdefault("sources", {})
        for c in contracts:
            results["sources"][c] = source_digest(c)
        results["settings"] = {
            "fuzz_runs": int(os.environ.get("FORGE_FUZZ_RUNS", "64")),
            "invariant_runs": int(os.environ.get("FORGE_INVARIANT_RUNS", "8")),
            "invariant_depth": int(os.environ.get("FORGE_INVARIANT_DEPTH", "32")),
            "timeout": timeout,
            "optimizer": False,
        }
        save_results(results)
        write_report(results)
    if args.check_killed:
        survived = [k for k, o in outcomes.items() if o["status"] == "survived"]
        if survived:
            print(f"mutation: recorded kills now survive: {survived}")
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
