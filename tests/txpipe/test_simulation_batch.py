"""Simulations queued together go to the node in one JSON-RPC batch; each write still
gets its own answer (an estimate, or its own revert)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from eth_account import Account
from web3.contract import Contract

from chain.clients import ChainHandle
from chain.errors import ContractRevert
from chain.txpipe import MINED
from chain.txpipe.rpc import HttpRpc, RevertError
from tests.txpipe.helpers import PROBE, key, make_pipeline

pytestmark = pytest.mark.anvil


def _call(probe: Contract, sender: str, value: int) -> dict[str, Any]:
    data = probe.encode_abi("record", args=[key(value), value])
    return {"from": sender, "to": probe.address, "data": data, "value": 0}


def test_simulate_many_answers_each_call_in_order(
    anvil_chain: ChainHandle, anvil_probe: Contract, db_url: str
) -> None:
    rpc = make_pipeline(anvil_chain, db_url).rpc
    assert isinstance(rpc, HttpRpc)
    sender = Account.create().address
    calls = [_call(anvil_probe, sender, 5), _call(anvil_probe, sender, 0),
             _call(anvil_probe, sender, 7)]  # fmt: skip
    outcomes = rpc.simulate_many(calls)
    assert outcomes[0] == rpc.simulate(calls[0])
    assert outcomes[2] == rpc.simulate(calls[2])
    assert isinstance(outcomes[1], RevertError)
    with pytest.raises(RevertError) as refused:
        rpc.simulate(calls[1])
    assert outcomes[1].data == refused.value.data  # the same revert data as alone


def test_writes_simulated_in_one_batch_get_their_own_answers(
    anvil_chain: ChainHandle, anvil_probe: Contract, db_url: str
) -> None:
    pipeline = make_pipeline(anvil_chain, db_url)
    batches: list[int] = []
    real = pipeline.rpc.simulate_many
    gate = threading.Event()

    def counted(calls: list[dict[str, Any]]) -> list[int | Exception]:
        gate.wait(5)  # the first turn waits until every write is queued
        batches.append(len(calls))
        return real(calls)

    pipeline.rpc.simulate_many = counted  # type: ignore[method-assign]
    signer = Account.create()
    values = [11, 0, 12, 13, 0, 14]

    def write(value: int) -> Any:
        args = [key(1000 + value), value]
        return pipeline.submit(signer, PROBE, anvil_probe.address, anvil_probe.abi, "record",
                               args, caller="user-a", org_id=None)  # fmt: skip

    with ThreadPoolExecutor(len(values)) as pool:
        futures = [pool.submit(write, v) for v in values]
        while len(pipeline._simulations._queue) < len(values) - 2:  # others queue meanwhile
            threading.Event().wait(0.01)
        gate.set()
        answers = []
        for future in futures:
            try:
                answers.append(future.result(timeout=60))
            except ContractRevert as exc:
                answers.append(exc)
    assert sum(batches) == len(values) and max(batches) > 1
    assert [isinstance(a, ContractRevert) for a in answers] == [v == 0 for v in values]
    assert all(a.error_code == "ProbeRejected" for a in answers if isinstance(a, ContractRevert))
    ops = [a for a in answers if not isinstance(a, ContractRevert)]
    assert sorted(op.nonce for op in ops) == [0, 1, 2, 3]
    for op in ops:
        assert pipeline.wait(op.id, 30).state == MINED
    for value in (11, 12, 13, 14):
        assert anvil_probe.functions.valueOf(key(1000 + value)).call() == value
