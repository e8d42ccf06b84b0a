"""Revenue service checks that need no chain: faucet refused on rpc chains, input rules."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from chain.accounts import CONSORTIUM, Principal
from chain.errors import NotFound, ValidationFailed
from chain.service import revenue

ADMIN = Principal("u1", "admin", "0x" + "00" * 31 + "01", "Consortium", CONSORTIUM, 0, "admin")


def test_faucet_refused_on_rpc_chain() -> None:
    runtime: Any = SimpleNamespace(
        handle=SimpleNamespace(mode="rpc"),
        deployment=SimpleNamespace(contracts={"LedgerTestToken": object()}),
    )
    with pytest.raises(NotFound, match="memory and local"):
        revenue.faucet(runtime, ADMIN, "0x" + "ab" * 32, 100)


@pytest.mark.parametrize(
    ("bounds", "bps", "rule", "index"),
    [
        ([], [], "SplitScheduleEmpty", None),
        (list(range(0, 21)), [0] * 21, "SplitTooManyBrackets", None),
        ([0, 10], [5_000, 10_001], None, None),  # caught as an out-of-range share first
        ([0, 10, 10], [1, 2, 3], "SplitBoundsNotIncreasing", 2),
    ],
)
def test_validate_schedule_names_rule_and_index(
    bounds: list[int], bps: list[int], rule: str | None, index: int | None
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        revenue.validate_schedule(bounds, bps)
    assert caught.value.extra.get("rule") == rule
    assert caught.value.extra.get("index") == index


@pytest.mark.parametrize("amount", [-1, 2**128, True, 1.5])
def test_amount_out_of_range_is_refused(amount: Any) -> None:
    with pytest.raises(ValidationFailed):
        revenue.check_amount(amount)


def test_references_are_hashed_unless_hex32() -> None:
    raw = "0x" + "12" * 32
    assert revenue.reference(raw, "ref") == bytes.fromhex("12" * 32)
    assert len(revenue.reference("BOC-77812", "ref")) == 32
    with pytest.raises(ValidationFailed):
        revenue.reference("0x" + "00" * 32, "ref")
    with pytest.raises(ValidationFailed):
        revenue.bytes32("0x1234", "asset_id")
