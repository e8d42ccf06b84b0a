"""The committed v2 gas snapshot must match the contracts, meet issue 12's targets and every
v2 contract must stay at most 20,000 bytes deployed."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SNAPSHOT = ROOT / "bench" / "gas" / "v2.json"


def _bench():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("gas_v2", ROOT / "bench" / "gas_v2.py")
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench


def test_gas_snapshot_matches_committed_file_and_meets_targets() -> None:
    committed = json.loads(SNAPSHOT.read_text())
    measured = _bench().measure()
    assert measured == committed["operations"], (
        "gas changed: run `.venv/bin/python bench/gas_v2.py` and commit the snapshot"
    )
    for name, row in measured.items():
        assert row["gas_used"] >= row["lower_bound"], name
        if "target" in row:
            assert row["gas_used"] <= row["target"], name


def test_every_v2_contract_fits_20000_bytes() -> None:
    from chain import artifacts

    names = (
        "OrgDirectory",
        "AssetRegistryV2",
        "UseAndFinance",
        "RevenueSplitV2",
        "CertificateVerifier",
    )
    for name in names:
        assert artifacts.load(name).code_size <= 20_000, name
