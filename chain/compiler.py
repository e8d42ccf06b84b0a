"""Compile the ledger's Solidity sources with the pinned solc-js through py-solc-x.

Artifacts (ABI, bytecode, compiler version, source hashes) are written to
``chain/artifacts`` and committed; the gateway only loads them. ``sources_digest``
recomputes the digest of the sources so a test can tell when artifacts are stale.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path
from typing import Any

import solcx

from chain.paths import ARTIFACTS_DIR, CONTRACTS_DIR, NODE_MODULES, REPO_ROOT, SOLC_SHIM

SOLC_VERSION = "0.8.30"
EVM_VERSION = "cancun"
OPTIMIZER_RUNS = 200
VIA_IR = False
MANIFEST = "manifest.json"


class CompileError(RuntimeError):
    """The compiler reported errors; the message lists them."""


def source_files() -> list[Path]:
    """Every Solidity source of the product, sorted for a stable digest."""
    return sorted(CONTRACTS_DIR.rglob("*.sol"))


def _settings() -> dict[str, Any]:
    return {
        "optimizer": {"enabled": True, "runs": OPTIMIZER_RUNS},
        "evmVersion": EVM_VERSION,
        "viaIR": VIA_IR,
        "outputSelection": {
            "*": {
                "*": [
                    "abi",
                    "evm.bytecode.object",
                    "evm.deployedBytecode.object",
                    "evm.methodIdentifiers",
                    "metadata",
                ],
                "": ["ast"],
            }
        },
    }


def _openzeppelin_version() -> str:
    package = NODE_MODULES / "@openzeppelin" / "contracts" / "package.json"
    if not package.exists():
        return "missing"
    return str(json.loads(package.read_text())["version"])


def sources_digest() -> str:
    """SHA-256 over source paths and contents, compiler version, settings and OZ version."""
    digest = hashlib.sha256()
    digest.update(SOLC_VERSION.encode())
    digest.update(json.dumps(_settings(), sort_keys=True).encode())
    digest.update(_openzeppelin_version().encode())
    for path in source_files():
        digest.update(str(path.relative_to(REPO_ROOT)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def compile_sources(only: str | None = None) -> dict[str, Any]:
    """Run the compiler over every source (or those whose path contains ``only``)."""
    sources = {
        str(path.relative_to(REPO_ROOT)): {"content": path.read_text(encoding="utf-8")}
        for path in source_files()
        if only is None or only in str(path.relative_to(REPO_ROOT))
    }
    standard_input = {"language": "Solidity", "sources": sources, "settings": _settings()}
    try:
        output: dict[str, Any] = solcx.compile_standard(
            standard_input, solc_binary=str(SOLC_SHIM), allow_empty=True
        )
    except solcx.exceptions.SolcError as exc:  # pragma: no cover - message is the value
        raise CompileError(str(exc)) from exc
    errors = [e for e in output.get("errors", []) if e.get("severity") == "error"]
    if errors:
        raise CompileError("\n".join(e.get("formattedMessage", e["message"]) for e in errors))
    return output


def _ast_definitions(ast: dict[str, Any]) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Enum definitions (canonical name -> member names) and, per enum, the contract (or
    file, for file-level enums) that declares it, from one source unit's AST."""
    enums: dict[str, list[str]] = {}
    owners: dict[str, str] = {}

    def walk(node: Any, owner: str) -> None:
        if isinstance(node, dict):
            kind = node.get("nodeType")
            if kind == "ContractDefinition":
                owner = str(node["name"])
            if kind == "EnumDefinition":
                name = str(node.get("canonicalName") or node["name"])
                enums[name] = [str(m["name"]) for m in node.get("members", [])]
                owners[name] = owner
            for value in node.values():
                walk(value, owner)
        elif isinstance(node, list):
            for value in node:
                walk(value, owner)

    walk(ast, "")
    return enums, owners


def enum_definitions(output: dict[str, Any]) -> dict[str, list[str]]:
    """Every enum of the product's sources: canonical name (``IOrgDirectory.ProposalKind``)
    -> member names in declaration order, read from the compiler's AST."""
    found: dict[str, list[str]] = {}
    for source_name, unit in sorted(output.get("sources", {}).items()):
        if not source_name.startswith("contracts/") or "ast" not in unit:
            continue
        enums, _ = _ast_definitions(unit["ast"])
        found.update(enums)
    return dict(sorted(found.items()))


def build_artifacts(out_dir: Path = ARTIFACTS_DIR, only: str | None = None) -> list[str]:
    """Compile and write one JSON artifact per product contract plus a manifest.

    With ``only`` (a path fragment), compile just the matching sources and their imports
    and rewrite just their artifacts, leaving the manifest alone: a quick edit loop.
    """
    output = compile_sources(only)
    enums = enum_definitions(output)
    out_dir.mkdir(parents=True, exist_ok=True)
    if only is None:
        for stale in out_dir.glob("*.json"):
            stale.unlink()
    written: list[str] = []
    for source_name, contracts in sorted(output.get("contracts", {}).items()):
        if not source_name.startswith("contracts/"):
            continue
        for name, data in sorted(contracts.items()):
            bytecode = data["evm"]["bytecode"]["object"]
            artifact = {
                "contractName": name,
                "sourceName": source_name,
                "compiler": f"solc-js {SOLC_VERSION}",
                "evmVersion": EVM_VERSION,
                "abi": data["abi"],
                "bytecode": "0x" + bytecode if bytecode else "0x",
                "deployedBytecode": "0x" + data["evm"]["deployedBytecode"]["object"]
                if data["evm"]["deployedBytecode"]["object"]
                else "0x",
                "methodIdentifiers": data["evm"].get("methodIdentifiers", {}),
                "enums": {k: v for k, v in enums.items() if k.split(".")[0] == name},
            }
            (out_dir / f"{name}.json").write_text(json.dumps(artifact, indent=1) + "\n")
            written.append(name)
    if only is not None:
        return written
    manifest = {
        "compiler": SOLC_VERSION,
        "settings": _settings(),
        "openzeppelin": _openzeppelin_version(),
        "sourcesDigest": sources_digest(),
        "sources": {
            str(p.relative_to(REPO_ROOT)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in source_files()
        },
        "contracts": written,
        "enums": enums,
    }
    (out_dir / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description="compile the ledger's contracts")
    parser.add_argument("--only", help="compile only sources whose path contains this")
    args = parser.parse_args()
    names = build_artifacts(only=args.only)
    print(f"compiled {len(names)} contracts into {ARTIFACTS_DIR.relative_to(REPO_ROOT)}")


if __name__ == "__main__":
    main()
