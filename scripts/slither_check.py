"""Run slither over the v2 contracts with the project's compiler and check every finding
is triaged.

The compiler is the one `make contracts` uses: chain.compiler's settings (optimizer,
EVM version) and the solc-js shim at chain/toolchain/solc, fed to slither in standard-JSON
mode (`--compile-force-framework solc-json --solc <shim>`). Slither runs from its own venv
(.venv-analysis, `make analysis-deps`).

Every finding whose code is in contracts/ (OpenZeppelin's own are filtered out) must match
an entry of docs/security/slither-triage.json by detector, contract, function and, for
findings about a local variable, element. The check fails on an untriaged finding and on a
triage entry that no longer matches anything (fixed code must leave the file too).

    python scripts/slither_check.py            # run, compare, print the table
    python scripts/slither_check.py --json OUT # also keep slither's raw JSON
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from chain import compiler
from chain.paths import REPO_ROOT, SOLC_SHIM

TRIAGE = REPO_ROOT / "docs" / "security" / "slither-triage.json"
SLITHER = REPO_ROOT / ".venv-analysis" / "bin" / "slither"
SCOPE = "contracts/v2/"
OWN = "contracts/"


def standard_input() -> dict[str, Any]:
    """The v2 sources with the settings of `make contracts`, asking for the AST slither reads."""
    settings = compiler._settings()  # the one place the settings live
    settings["outputSelection"] = {
        "*": {"*": ["abi", "metadata", "evm.bytecode", "evm.deployedBytecode"], "": ["ast"]}
    }
    sources = {
        str(path.relative_to(REPO_ROOT)): {"content": path.read_text(encoding="utf-8")}
        for path in compiler.source_files()
        if str(path.relative_to(REPO_ROOT)).startswith(SCOPE)
    }
    return {"language": "Solidity", "sources": sources, "settings": settings}


def run_slither(raw_out: Path) -> dict[str, Any]:
    if not SLITHER.exists():
        where = SLITHER.relative_to(REPO_ROOT)
        sys.exit(f"slither_check: {where} missing; run 'make analysis-deps'")
    with tempfile.TemporaryDirectory(prefix="slither-") as tmp:
        input_path = Path(tmp) / "input.json"
        input_path.write_text(json.dumps(standard_input()))
        cmd = [
            str(SLITHER),
            str(input_path),
            "--compile-force-framework",
            "solc-json",
            "--solc",
            str(SOLC_SHIM),
            "--filter-paths",
            "node_modules",
            "--json",
            str(raw_out),
        ]
        env = dict(os.environ, PATH=f"{SLITHER.parent}:{os.environ.get('PATH', '')}")
        proc = subprocess.run(
            cmd, cwd=REPO_ROOT, capture_output=True, text=True, env=env, check=False
        )
    if not raw_out.exists():
        tail = f"{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
        sys.exit(f"slither_check: slither wrote no result\n{tail}")
    result: dict[str, Any] = json.loads(raw_out.read_text())
    if not result.get("success"):
        sys.exit(f"slither_check: slither failed: {result.get('error')}\n{proc.stderr[-4000:]}")
    return result


def _parents(element: dict[str, Any]) -> tuple[str, str, str]:
    """(contract, function, element) named by a slither element."""
    kind = element.get("type")
    name = str(element.get("name", ""))
    parent = element.get("type_specific_fields", {}).get("parent", {})
    if kind == "function":
        return str(parent.get("name", "")), name, ""
    if kind == "variable" and parent.get("type") == "function":
        contract = parent.get("type_specific_fields", {}).get("parent", {}).get("name", "")
        return str(contract), str(parent.get("name", "")), name
    if kind == "variable" and parent.get("type") == "contract":
        return str(parent.get("name", "")), "", name
    if kind == "contract":
        return name, "", ""
    return "*", "*", ""


def own_findings(result: dict[str, Any]) -> list[dict[str, str]]:
    """Findings located in the product's own sources, keyed for the triage file."""
    findings: list[dict[str, str]] = []
    for det in result.get("results", {}).get("detectors", []):
        elements = det.get("elements", [])
        own = [
            e
            for e in elements
            if str(e.get("source_mapping", {}).get("filename_relative", "")).startswith(OWN)
        ]
        if not own:
            continue
        contract, function, element = _parents(own[0])
        if det["check"] == "pragma":
            contract, function, element = "*", "*", ""
        first = own[0].get("source_mapping", {})
        lines = first.get("lines") or [0]
        findings.append(
            {
                "detector": det["check"],
                "impact": det.get("impact", ""),
                "confidence": det.get("confidence", ""),
                "contract": contract,
                "function": function,
                "element": element,
                "where": f"{first.get('filename_relative', '')}#{lines[0]}",
                "description": det.get("description", "").splitlines()[0],
            }
        )
    return findings


def _matches(entry: dict[str, str], finding: dict[str, str]) -> bool:
    if entry["detector"] != finding["detector"]:
        return False
    if entry.get("contract", "*") != finding["contract"]:
        return False
    if entry.get("function", "*") != finding["function"]:
        return False
    return entry.get("element", finding["element"]) == finding["element"]


Finding = dict[str, str]


def compare(findings: list[Finding], triage: list[Finding]) -> tuple[list[Finding], list[Finding]]:
    """(untriaged findings, stale triage entries)."""
    used = [False] * len(triage)
    untriaged = []
    for f in findings:
        hit = False
        for i, entry in enumerate(triage):
            if _matches(entry, f):
                used[i] = hit = True
        if not hit:
            untriaged.append(f)
    stale = [entry for i, entry in enumerate(triage) if not used[i]]
    return untriaged, stale


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="keep slither's raw JSON output here")
    args = parser.parse_args()
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="slither-out-") as tmp:
        raw = args.json or Path(tmp) / "slither.json"
        if raw.exists():
            raw.unlink()
        result = run_slither(raw)
    findings = own_findings(result)
    triage_doc = json.loads(TRIAGE.read_text())
    triage: list[dict[str, str]] = triage_doc["accepted"]
    for entry in triage:
        if not entry.get("reason"):
            sys.exit(f"slither_check: triage entry without a reason: {entry}")
    untriaged, stale = compare(findings, triage)
    by_impact = Counter(f["impact"] for f in findings)
    by_detector = Counter(f["detector"] for f in findings)
    print(
        f"slither: {len(findings)} findings in contracts/ "
        f"({', '.join(f'{k} {v}' for k, v in sorted(by_impact.items()))}), "
        f"{len(findings) - len(untriaged)} triaged, {len(untriaged)} untriaged, "
        f"{len(stale)} stale triage entries, {time.monotonic() - start:.0f} s"
    )
    for detector, count in sorted(by_detector.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"  {count:3d}  {detector}")
    for f in untriaged:
        name = f"{f['contract']}.{f['function']} {f['element']}".strip()
        print(f"UNTRIAGED {f['detector']} {name} ({f['where']}): {f['description']}")
    for entry in stale:
        print(f"STALE triage entry (no such finding any more; remove it): {json.dumps(entry)}")
    return 1 if untriaged or stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
