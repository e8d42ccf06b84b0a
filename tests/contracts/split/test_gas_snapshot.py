"""The committed gas snapshot of RevenueSplit matches a fresh measurement."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

REPO_ROOT = Path(__file__).resolve().parents[3]
BENCH = REPO_ROOT / "bench" / "gas_revenue_split.py"
SNAPSHOT = REPO_ROOT / "bench" / "gas" / "revenue_split.json"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gas_revenue_split", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gas_snapshot_matches_measured() -> None:
    committed = json.loads(SNAPSHOT.read_text())
    measured = _bench().measure()
    got = {name: row["gas"] for name, row in measured["operations"].items()}
    want = {name: row["gas"] for name, row in committed["operations"].items()}
    assert got == want, (
        "gas changed; run `.venv/bin/python bench/gas_revenue_split.py` and commit "
        f"bench/gas/revenue_split.json\nmeasured: {got}\ncommitted: {want}"
    )
    assert measured == committed


def test_gas_snapshot_covers_bracket_counts_and_stays_above_bound() -> None:
    ops = json.loads(SNAPSHOT.read_text())["operations"]
    for count in (1, 3, 20):
        assert f"pay_{count}_brackets" in ops
        assert f"setSchedule_{count}_brackets" in ops
    assert "recordOffchainPayment_3_brackets" in ops
    assert "confirmRemittance" in ops
    for row in ops.values():
        assert row["gas"] >= row["lower_bound"]
