"""The committed gas snapshot must match the contract: re-measure and compare."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_gas_snapshot_matches_committed_file() -> None:
    spec = importlib.util.spec_from_file_location(
        "gas_asset_registry", ROOT / "bench" / "gas_asset_registry.py"
    )
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    committed = json.loads((ROOT / "bench" / "gas" / "asset_registry.json").read_text())
    measured = bench.measure()
    assert measured == committed["operations"], (
        "gas changed: run `.venv/bin/python bench/gas_asset_registry.py` and commit the snapshot"
    )
    for name, row in measured.items():
        assert row["gas_used"] >= row["lower_bound"], name


def test_code_size_under_eip170() -> None:
    from chain import artifacts

    assert artifacts.load("AssetRegistry").code_size < 24_576
