"""Concurrent writes' eth_call runs go to the node as one JSON-RPC batch: each writer gets
its own answer (a result, or the error its run alone raises), a batch that fails as a
whole fails each of its writers, and no writer is left waiting; on a real node a batch
answers each run as the run alone does, and concurrent writes of a known shape are run
in fewer round trips than writes, every one mined."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

import pytest
from eth_account import Account
from web3.contract import Contract

from chain.clients import ChainHandle
from chain.errors import ContractRevert
from chain.txpipe import MINED, TxPipeline
from chain.txpipe.call_batch import CoalescedCalls
from chain.txpipe.rpc import HttpRpc, NodeUnreachable, RevertError, RpcError, rpc_for
from tests.txpipe.helpers import PROBE, key, make_pipeline


class SlowNode:
    """Answers each call ``b"ok:<n>"`` (or raises the error named in the call), holding
    the first batch until ``release`` is set, so that the other callers queue meanwhile."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.release = threading.Event()
        self.fail_batch: Exception | None = None

    def send(self, txs: Sequence[dict[str, Any]]) -> list[bytes | Exception]:
        self.batches.append([int(tx["n"]) for tx in txs])
        if len(self.batches) == 1:
            assert self.release.wait(10)
        if self.fail_batch is not None and len(self.batches) > 1:
            raise self.fail_batch
        return [
            RevertError(f"no {tx['n']}", 3, "0x") if tx.get("revert") else f"ok:{tx['n']}".encode()
            for tx in txs
        ]


def _behind_first_batch(
    calls: CoalescedCalls, node: SlowNode, rest: list[dict[str, Any]]
) -> dict[int, bytes | BaseException]:
    """Call ``{"n": 0}`` from a thread; once the node holds that batch, call each of
    ``rest`` from a thread of its own; once they all queued, let the node answer. Each
    call's answer or error, by ``n``."""
    out: dict[int, bytes | BaseException] = {}

    def run(tx: dict[str, Any]) -> None:
        try:
            out[tx["n"]] = calls.call(tx)
        except BaseException as exc:
            out[tx["n"]] = exc

    first = threading.Thread(target=run, args=({"n": 0},))
    first.start()
    deadline = time.monotonic() + 10
    while not node.batches:
        assert time.monotonic() < deadline, "the first call was not sent"
        time.sleep(0.005)
    threads = [threading.Thread(target=run, args=(tx,)) for tx in rest]
    for t in threads:
        t.start()
    while len(calls._queue) < len(rest):
        assert time.monotonic() < deadline, "callers did not queue"
        time.sleep(0.005)
    node.release.set()
    for t in [first, *threads]:
        t.join(10)
        assert not t.is_alive()
    return out


def test_calls_queued_behind_a_batch_go_in_one_batch_each_with_its_own_answer() -> None:
    node = SlowNode()
    calls = CoalescedCalls(node.send)
    out = _behind_first_batch(calls, node, [{"n": n, "revert": n == 4} for n in range(1, 9)])
    assert node.batches[0] == [0]
    assert sorted(node.batches[1]) == list(range(1, 9)) and len(node.batches) == 2
    assert (calls.batches, calls.calls) == (2, 9)
    for n in range(9):
        if n == 4:
            assert isinstance(out[n], RevertError) and str(out[n]) == "no 4"
        else:
            assert out[n] == f"ok:{n}".encode()
    assert not calls._sending and not calls._queue  # the next call leads at once


def test_a_lone_call_goes_out_at_once_and_the_limit_splits_the_queue() -> None:
    node = SlowNode()
    node.release.set()
    calls = CoalescedCalls(node.send, max_calls=3)
    assert calls.call({"n": 41}) == b"ok:41"
    assert node.batches == [[41]]

    node = SlowNode()
    calls = CoalescedCalls(node.send, max_calls=3)
    out = _behind_first_batch(calls, node, [{"n": n} for n in range(1, 8)])
    assert [len(b) for b in node.batches] == [1, 3, 3, 1]
    assert sorted(n for b in node.batches for n in b) == list(range(8))
    assert all(out[n] == f"ok:{n}".encode() for n in range(8))


def test_a_batch_that_fails_as_a_whole_fails_each_of_its_callers_and_the_next_call_is_sent(
) -> None:  # fmt: skip
    node = SlowNode()
    calls = CoalescedCalls(node.send)
    node.fail_batch = NodeUnreachable("ConnectionRefusedError from the node")
    out = _behind_first_batch(calls, node, [{"n": n} for n in range(1, 5)])
    assert out[0] == b"ok:0"
    assert all(isinstance(out[n], NodeUnreachable) for n in range(1, 5))
    node.fail_batch = None
    assert calls.call({"n": 9}) == b"ok:9"  # the coalescer is not stuck


def test_a_batch_on_the_node_answers_each_call_as_the_call_alone(
    anvil_chain: ChainHandle, anvil_probe: Contract
) -> None:
    rpc = rpc_for(anvil_chain)
    assert isinstance(rpc, HttpRpc)
    caller = Account.create().address
    fns = anvil_probe.functions
    calls = [fns.divide(10, 2), fns.fail("no"), fns.divide(9, 3)]
    txs = [
        {"from": caller, "to": anvil_probe.address, "data": c._encode_transaction_data()}
        for c in calls
    ]
    outcomes = rpc.call_many(txs)
    assert outcomes[0] == rpc.call(txs[0]) and int.from_bytes(outcomes[0], "big") == 5
    assert int.from_bytes(outcomes[2], "big") == 3  # type: ignore[arg-type]
    with pytest.raises(RevertError) as raised:
        rpc.call(txs[1])
    alone = raised.value
    assert isinstance(outcomes[1], RevertError)
    assert (outcomes[1].data, str(outcomes[1])) == (alone.data, str(alone))
    assert rpc.call_many(txs[:1]) == [outcomes[0]]


def _record(pipeline: TxPipeline, signer: Any, probe: Contract, name: str, value: int) -> Any:
    return pipeline.submit(signer, PROBE, probe.address, probe.abi, "record",
                           [key(name), value], caller="call-batch", org_id=None)  # fmt: skip


def test_concurrent_writes_of_a_known_shape_run_in_fewer_round_trips_and_are_all_mined(
    anvil_chain: ChainHandle, anvil_probe: Contract, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipeline = make_pipeline(anvil_chain, db_url)
    signers = [Account.create() for _ in range(3)]
    warm = [  # each signer's shape estimated once, its keys written
        _record(pipeline, signer, anvil_probe, f"batch-{n}-{name}", 1)
        for n, signer in enumerate(signers)
        for name in range(8)
    ]
    assert all(pipeline.wait(op.id, 30).state == MINED for op in warm)
    rpc = pipeline.rpc
    real = rpc.call_many
    sizes: list[int] = []

    def slow_first(txs: Sequence[dict[str, Any]]) -> list[bytes | Exception]:
        sizes.append(len(txs))
        if len(sizes) == 1:
            time.sleep(0.3)  # the others queue behind this batch
        return real(txs)

    monkeypatch.setattr(rpc, "call_many", slow_first)
    before = (pipeline._calls.batches, pipeline._calls.calls)
    results: list[Any] = []
    failures: list[BaseException] = []
    start = threading.Barrier(24)

    def write(i: int) -> None:
        start.wait()
        try:
            if i == 23:  # a write that reverts in the middle of a batch is refused alone
                pipeline.submit(signers[0], PROBE, anvil_probe.address, anvil_probe.abi,
                                "record", [key("batch-0-0"), 0], caller="call-batch",
                                org_id=None)  # fmt: skip
            else:
                results.append(_record(pipeline, signers[i % 3], anvil_probe,
                                       f"batch-{i % 3}-{i % 8}", 100 + i))  # fmt: skip
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
        assert not t.is_alive()
    assert len(failures) == 1 and isinstance(failures[0], ContractRevert), failures
    assert failures[0].error_code == "ProbeRejected"
    batches, calls = (pipeline._calls.batches - before[0], pipeline._calls.calls - before[1])
    assert calls == 24 and sum(sizes) == 24
    assert batches == len(sizes) < 24 and max(sizes) > 1, sizes
    mined = [pipeline.wait(op.id, 30) for op in results]
    assert len(mined) == 23 and all(op.state == MINED for op in mined)
    assert pipeline.stats().by_state == {MINED: 24 + 23}
    for n in range(3):  # on the chain: each key's warm-up write and its concurrent ones
        for name in range(8):
            later = sum(1 for i in range(23) if (i % 3, i % 8) == (n, name))
            writes = anvil_probe.functions.writesOf(key(f"batch-{n}-{name}")).call()
            assert writes == 1 + later, (n, name)


def test_a_batch_the_node_refuses_or_leaves_part_unanswered_fails_each_call_it_concerns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rpc = HttpRpc("http://127.0.0.1:9")  # never reached: its answers are given below
    txs = [{"from": "0x" + "11" * 20, "to": "0x" + "22" * 20, "data": "0x"}] * 3
    refusal = {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "too big"}}
    monkeypatch.setattr(rpc, "_post", lambda body: refusal)
    outcomes = rpc.call_many(txs)
    assert [str(o) for o in outcomes] == ["too big"] * 3
    assert all(isinstance(o, RpcError) and o.code == -32600 for o in outcomes)
    sent = rpc.send_raw_many([b"\x01", b"\x02"])
    assert [(str(o), getattr(o, "code", None)) for o in sent] == [("too big", -32600)] * 2
    with pytest.raises(RpcError, match="too big"):
        rpc.batch([("eth_blockNumber", []), ("eth_chainId", [])])

    def partial(body: list[dict[str, Any]]) -> list[dict[str, Any]]:
        # the second call unanswered, the first and the third out of order
        return [
            {"jsonrpc": "2.0", "id": body[2]["id"], "result": "0x02"},
            {"jsonrpc": "2.0", "id": body[0]["id"], "result": "0x01"},
        ]

    monkeypatch.setattr(rpc, "_post", partial)
    first, missing, third = rpc.call_many(txs)
    assert (first, third) == (b"\x01", b"\x02")
    assert isinstance(missing, RpcError) and str(missing) == "no answer in the batch"
    assert [None if o is None else str(o) for o in rpc.send_raw_many([b"a", b"b", b"c"])] == [
        None, "no answer in the batch", None,
    ]  # fmt: skip
