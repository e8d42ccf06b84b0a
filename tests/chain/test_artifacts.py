"""Committed artifacts must match the Solidity sources they were built from."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chain import artifacts, compiler
from chain.paths import ARTIFACTS_DIR


def test_artifacts_match_current_sources() -> None:
    recorded = artifacts.manifest()["sourcesDigest"]
    assert recorded == compiler.sources_digest(), (
        "contracts/ changed since chain/artifacts was built: run `make contracts` and commit"
    )


def test_manifest_lists_every_source_with_its_hash() -> None:
    manifest = artifacts.manifest()
    listed = set(manifest["sources"])
    on_disk = {str(p.relative_to(compiler.REPO_ROOT)) for p in compiler.source_files()}
    assert listed == on_disk
    assert manifest["compiler"] == compiler.SOLC_VERSION


def test_every_listed_contract_has_an_artifact_with_abi() -> None:
    for name in artifacts.manifest()["contracts"]:
        data = json.loads((ARTIFACTS_DIR / f"{name}.json").read_text())
        assert data["contractName"] == name
        assert isinstance(data["abi"], list)


def test_compile_reports_solidity_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "contracts"
    broken.mkdir()
    (broken / "Broken.sol").write_text(
        "// SPDX-License-Identifier: Apache-2.0\n"
        "pragma solidity 0.8.30;\ncontract B { uint x = ; }\n"
    )
    monkeypatch.setattr(compiler, "CONTRACTS_DIR", broken)
    monkeypatch.setattr(compiler, "REPO_ROOT", tmp_path)
    try:
        compiler.compile_sources()
    except compiler.CompileError as exc:
        assert "Broken.sol" in str(exc)
        assert "ParserError" in str(exc)
    else:
        raise AssertionError("a syntax error must fail the compile")
