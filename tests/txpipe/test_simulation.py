"""Simulation before journaling on a real node: a call of a shape estimated before runs
once, with ``eth_call`` at the gas limit estimated for that shape; anything else (a
first call, out of gas at that limit, a revert) goes through ``eth_call`` +
``eth_estimateGas``."""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from chain.clients import ChainHandle
from chain.errors import ContractRevert
from chain.txpipe import MINED, Operation, TxPipeline
from tests.txpipe.helpers import PROBE, key, make_pipeline

pytestmark = pytest.mark.anvil


class Calls:
    """What the pipeline asked the node while simulating."""

    def __init__(self, pipeline: TxPipeline, monkeypatch: pytest.MonkeyPatch) -> None:
        self.seen: list[tuple[str, int | None]] = []
        rpc = pipeline.rpc
        call, simulate = rpc.call, rpc.simulate

        def counted_call(tx: dict[str, Any], block: str | int = "latest") -> bytes:
            self.seen.append(("eth_call", tx.get("gas")))
            return call(tx, block)

        def counted_simulate(tx: dict[str, Any]) -> int:
            self.seen.append(("eth_call+eth_estimateGas", tx.get("gas")))
            return simulate(tx)

        monkeypatch.setattr(rpc, "call", counted_call)
        monkeypatch.setattr(rpc, "simulate", counted_simulate)

    def take(self) -> list[tuple[str, int | None]]:
        seen, self.seen = self.seen, []
        return seen


def _record(pipeline: TxPipeline, signer: LocalAccount, probe: Contract, name: str,
            value: int) -> Operation:  # fmt: skip
    return pipeline.submit(signer, PROBE, probe.address, probe.abi, "record",
                           [key(name), value], caller="simulation", org_id=None)  # fmt: skip


def test_a_known_shape_runs_once_at_the_signers_estimate_and_is_estimated_when_it_needs_more(
    anvil_chain: ChainHandle, anvil_probe: Contract, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    signer = Account.create()
    # keys written before: the next write of one is cheap (no new storage slots)
    warm = make_pipeline(anvil_chain, db_url)
    for name in ("sim-warm", "sim-warm-other"):
        assert warm.wait(_record(warm, signer, anvil_probe, name, 1).id, 20).state == MINED

    pipeline = make_pipeline(anvil_chain, db_url)
    calls = Calls(pipeline, monkeypatch)
    cheap = pipeline.wait(_record(pipeline, signer, anvil_probe, "sim-warm", 2).id, 20)
    assert calls.take() == [("eth_call+eth_estimateGas", None)]  # first of its shape
    assert cheap.state == MINED

    again = pipeline.wait(_record(pipeline, signer, anvil_probe, "sim-warm", 3).id, 20)
    assert calls.take() == [("eth_call", cheap.gas_limit)]  # one run at the known limit
    assert again.state == MINED and again.gas_limit == cheap.gas_limit
    assert anvil_probe.functions.valueOf(key("sim-warm")).call() == 3

    # a new key takes two new storage slots: more gas than the cheap write's limit
    fresh = pipeline.wait(_record(pipeline, signer, anvil_probe, "sim-fresh", 4).id, 20)
    assert calls.take() == [("eth_call", cheap.gas_limit), ("eth_call+eth_estimateGas", None)]
    assert fresh.state == MINED and fresh.gas_limit > cheap.gas_limit
    assert fresh.gas_used is not None and fresh.gas_used > cheap.gas_limit
    assert anvil_probe.functions.writesOf(key("sim-fresh")).call() == 1

    # the signer's shape now runs at the larger limit; a revert there is named as on a
    # first call, and nothing is journaled
    with pytest.raises(ContractRevert) as refused:
        _record(pipeline, signer, anvil_probe, "sim-fresh", 0)
    assert calls.take() == [("eth_call", fresh.gas_limit), ("eth_call+eth_estimateGas", None)]
    assert refused.value.error_code == "ProbeRejected"

    # another signer's cheap write is estimated for itself: the first signer's expensive
    # call did not raise the limit anyone else's writes are sent with
    other = pipeline.wait(
        _record(pipeline, Account.create(), anvil_probe, "sim-warm-other", 5).id, 20
    )
    assert calls.take() == [("eth_call+eth_estimateGas", None)]
    assert other.state == MINED and other.gas_limit == cheap.gas_limit < fresh.gas_limit
    assert pipeline.stats().by_state == {MINED: 6}  # and the warm-up writes: nothing else


def test_block_receipts_normalise_only_the_wanted_transactions(
    anvil_chain: ChainHandle, anvil_probe: Contract, db_url: str
) -> None:
    pipeline = make_pipeline(anvil_chain, db_url)
    signer = Account.create()
    w3 = anvil_chain.w3
    w3.provider.make_request("evm_setAutomine", [False])  # type: ignore[arg-type]
    try:
        ops = [_record(pipeline, signer, anvil_probe, f"sim-block-{n}", n + 1) for n in range(3)]
        w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    finally:
        w3.provider.make_request("evm_setAutomine", [True])  # type: ignore[arg-type]
    block = w3.eth.block_number
    every = pipeline.rpc.block_receipts(block)
    assert every is not None and [r["transactionHash"] for r in every] == [
        op.tx_hash.lower() for op in ops
    ]
    wanted = {ops[1].tx_hash.lower()}
    assert pipeline.rpc.block_receipts(block, wanted) == [every[1]]
    assert pipeline.rpc.block_receipts(block, set()) == []
    assert every[1]["logs"][0]["address"] == anvil_probe.address  # EIP-55, as before
