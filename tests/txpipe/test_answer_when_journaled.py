"""Writes whose client prefers an answer once journaled (``Prefer: respond-async``).

Applied, a write is not run on the node first (the gas of the signer's earlier call of
the same shape), answered ``pending`` once its journal commits and sent in the
background; a refusal by the contract then ends the operation ``reverted`` with the
contract's error name. The signer's first call of a shape, and any write while the
signer has more in flight than recent blocks took of its writes, are run on the node and
sent before the answer, as without the preference.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3.contract import Contract

import chain.txpipe.core as core
from chain.clients import ChainHandle
from chain.errors import ContractRevert
from chain.txpipe import MINED, PENDING, REVERTED, SENT, Operation, TxPipeline
from chain.txpipe.dispatch import Outgoing
from chain.txpipe.preference import AnswerWhenJournaled, current, prefer_answer_when_journaled
from tests.txpipe.helpers import key, make_pipeline, record
from tests.txpipe.test_background_send import watch_sends

T = TypeVar("T")


def preferring(fn: Callable[[], T]) -> tuple[T, AnswerWhenJournaled]:
    """``fn()`` in a context of its own (as a request has) that prefers the answer once
    journaled; its result and the preference afterwards."""

    def run() -> tuple[T, AnswerWhenJournaled]:
        preference = prefer_answer_when_journaled(True)
        assert preference is not None and current() is preference
        return fn(), preference

    return contextvars.copy_context().run(run)


class NodeRuns:
    """Counts the pipeline's runs of calls on the node (``eth_call``, estimates)."""

    def __init__(self, pipeline: TxPipeline, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        rpc = pipeline.rpc
        call, simulate = rpc.call, rpc.simulate

        def counted_call(tx: dict[str, Any], block: str | int = "latest") -> bytes:
            self.calls += 1
            return call(tx, block)

        def counted_simulate(tx: dict[str, Any]) -> int:
            self.calls += 1
            return simulate(tx)

        monkeypatch.setattr(rpc, "call", counted_call)
        monkeypatch.setattr(rpc, "simulate", counted_simulate)


def _record(pipeline: TxPipeline, signer: LocalAccount, probe: Contract, n: int,
            value: int | None = None) -> Operation:  # fmt: skip
    op: Operation = record(pipeline, signer, probe, n, caller="prefers", value=value)
    return op


def test_a_known_shape_is_journaled_without_a_run_on_the_node_and_answered_pending(
    anvil_chain: ChainHandle, anvil_probe: Contract, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipeline = make_pipeline(anvil_chain, db_url)
    assert not pipeline.send_in_background and pipeline.can_send_in_background
    signer = Account.create()
    runs = NodeRuns(pipeline, monkeypatch)
    first, asked = preferring(lambda: _record(pipeline, signer, anvil_probe, 9000))
    assert runs.calls >= 1 and not asked.applied  # a shape the node never estimated
    assert first.state == SENT
    runs.calls = 0
    second, asked = preferring(lambda: _record(pipeline, signer, anvil_probe, 9001))
    assert runs.calls == 0 and asked.applied
    assert second.state == PENDING and second.nonce == first.nonce + 1
    assert second.gas_limit == first.gas_limit * 3 // 2  # the same shape's, with room
    assert pipeline.flush(10)
    assert pipeline.wait(second.id, 20).state == MINED
    assert anvil_probe.functions.valueOf(key(9001)).call() == 9002
    plain = _record(pipeline, signer, anvil_probe, 9002)  # no preference: run on the node
    assert runs.calls >= 1 and plain.state == SENT


def test_a_refusal_answered_once_journaled_ends_reverted_with_the_contracts_error(
    anvil_chain: ChainHandle, anvil_probe: Contract, db_url: str
) -> None:
    pipeline = make_pipeline(anvil_chain, db_url)
    signer = Account.create()
    _record(pipeline, signer, anvil_probe, 9100)  # the shape's estimate
    with pytest.raises(ContractRevert) as refused:  # without the preference: before a journal
        _record(pipeline, signer, anvil_probe, 9101, value=0)
    assert refused.value.error_code == "ProbeRejected"
    op, asked = preferring(lambda: _record(pipeline, signer, anvil_probe, 9102, value=0))
    assert asked.applied and op.state == PENDING
    final = pipeline.wait(op.id, 20)
    assert final.state == REVERTED and final.error_code == "ProbeRejected"
    assert anvil_probe.functions.writesOf(key(9102)).call() == 0
    after = _record(pipeline, signer, anvil_probe, 9103)  # its nonce was used: no gap
    assert after.nonce == op.nonce + 1 and pipeline.wait(after.id, 20).state == MINED


def test_a_signer_with_more_in_flight_than_blocks_take_is_run_and_sent_first(
    anvil_chain: ChainHandle, anvil_probe: Contract, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client sending faster than blocks take its writes is held to the chain's pace:
    past one and a half blocks' worth in flight its writes wait for the node again."""
    monkeypatch.setattr(core, "UNRUN_IN_FLIGHT_FLOOR", 2)
    monkeypatch.setattr(core, "IN_FLIGHT_RECOUNT_SECONDS", 0.0)  # admission on fresh counts
    w3 = anvil_chain.w3
    pipeline = make_pipeline(anvil_chain, db_url)
    signer = Account.create()
    account = signer.address.lower()
    w3.provider.make_request("evm_setAutomine", [False])  # type: ignore[arg-type]
    try:
        ops = [_record(pipeline, signer, anvil_probe, 9200)]  # estimated: sent first
        answers: list[tuple[str, bool]] = []
        for n in (9201, 9202, 9203):
            op, asked = preferring(lambda n=n: _record(pipeline, signer, anvil_probe, n))
            assert pipeline.flush(10)
            ops.append(op)
            answers.append((op.state, asked.applied))
        # in flight before each: 1 (< 2: applied), then 2 and 3 (run and sent first)
        assert answers == [(PENDING, True), (SENT, False), (SENT, False)]
        w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    finally:
        w3.provider.make_request("evm_setAutomine", [True])  # type: ignore[arg-type]
    assert pipeline.poll_once() == 4
    assert pipeline._mined_take[account] == 4  # one block took 4: up to 6 may wait unrun
    more = [preferring(lambda n=n: _record(pipeline, signer, anvil_probe, n))[1].applied
            for n in range(9210, 9213)]  # fmt: skip
    assert more == [True, True, True]
    assert pipeline.flush(10)
    assert {pipeline.wait(op.id, 20).state for op in ops} == {MINED}


def test_a_burst_sent_first_waits_behind_the_background_senders_earlier_ones(
    anvil_chain: ChainHandle, anvil_probe: Contract, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write answered once journaled is queued for the background sender, whose drain
    has not begun, when a write without the preference is journaled: the later one goes
    to the node after it, in nonce order (not first, though its thread could take the
    signer's send lock first), and is answered once the sender handed it over."""
    pipeline = make_pipeline(anvil_chain, db_url)
    signer = Account.create()
    _record(pipeline, signer, anvil_probe, 9300)  # the shape's estimate
    sent: list[bytes] = []
    watch_sends(pipeline, monkeypatch, sent.extend)
    gate, entered = threading.Event(), threading.Event()
    drain = pipeline._send_queued

    def late_drain(account: str, items: list[Outgoing]) -> None:
        entered.set()
        assert gate.wait(30)  # before the drain takes the signer's send lock
        drain(account, items)

    monkeypatch.setattr(pipeline, "_send_queued", late_drain)
    quick, asked = preferring(lambda: _record(pipeline, signer, anvil_probe, 9301))
    assert asked.applied and quick.state == PENDING and entered.wait(10)
    answered: list[Operation] = []
    plain = threading.Thread(
        target=lambda: answered.append(_record(pipeline, signer, anvil_probe, 9302))
    )
    plain.start()
    time.sleep(0.3)
    assert answered == [] and plain.is_alive() and sent == []  # not sent ahead of it
    gate.set()
    plain.join(10)
    assert not plain.is_alive() and answered[0].nonce == quick.nonce + 1
    assert sent == [quick.raw_tx, answered[0].raw_tx]
    # answered as what it is, and its row says so already (not at the tracker's next poll)
    assert answered[0].state == SENT and pipeline.get(answered[0].id).state in (SENT, MINED)
    assert {pipeline.wait(op.id, 20).state for op in (quick, answered[0])} == {MINED}


def test_the_in_process_chain_never_applies_the_preference(
    memory: ChainHandle, memory_probe: Contract, db_url: str
) -> None:
    pipeline = make_pipeline(memory, db_url)
    assert not pipeline.can_send_in_background
    signer = Account.create()
    _record(pipeline, signer, memory_probe, 9400)
    op, asked = preferring(lambda: _record(pipeline, signer, memory_probe, 9401))
    assert not asked.applied and op.state in (SENT, MINED)


def test_what_the_tracker_settled_since_the_last_count_no_longer_holds_a_signer_back(
    anvil_chain: ChainHandle, anvil_probe: Contract, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The in-flight count admission reads may be a while old; the writes the tracker
    settled since are taken off it, so a client at a pace the chain takes keeps its
    preference between two counts."""
    monkeypatch.setattr(core, "UNRUN_IN_FLIGHT_FLOOR", 2)
    monkeypatch.setattr(core, "IN_FLIGHT_RECOUNT_SECONDS", 3600.0)  # one count, at first
    pipeline = make_pipeline(anvil_chain, db_url)
    signer = Account.create()
    ops = [_record(pipeline, signer, anvil_probe, 9500)]  # estimated, mined at once
    applied: list[bool] = []
    for n in (9501, 9502, 9503):
        deadline = time.monotonic() + 10
        settled = 0
        while not settled and time.monotonic() < deadline:
            settled = pipeline.poll_once()
        assert settled == 1
        op, asked = preferring(lambda n=n: _record(pipeline, signer, anvil_probe, n))
        assert pipeline.flush(10)
        ops.append(op)
        applied.append(asked.applied)
    # counted once (0 in flight), then 3 journaled and 3 settled since: never 2 waiting
    assert applied == [True, True, True]
    assert {pipeline.wait(op.id, 20).state for op in ops} == {MINED}


def test_a_write_does_not_wait_for_the_node_to_read_fees_again(
    anvil_chain: ChainHandle, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fees past their cache period sign the next writes while one background thread
    reads them again; fees far past it are read before the write, as at first."""
    pipeline = make_pipeline(anvil_chain, db_url, fee_cache_seconds=0.05)
    first = pipeline._fee_fields()  # read before the write: none known yet
    gate, reads = threading.Event(), [0]
    read = anvil_chain.fee_fields

    def slow_read() -> Any:
        reads[0] += 1
        assert gate.wait(10)  # the node is mining
        return {**read(), "maxPriorityFeePerGas": 7}

    monkeypatch.setattr(anvil_chain, "fee_fields", slow_read)
    time.sleep(0.06)
    started = time.monotonic()
    answers = [pipeline._fee_fields() for _ in range(5)]
    assert time.monotonic() - started < 1.0 and answers == [first] * 5
    deadline = time.monotonic() + 5
    while reads[0] == 0 and time.monotonic() < deadline:
        time.sleep(0.005)
    assert reads[0] == 1  # one read in the background, however many writes asked
    gate.set()
    deadline = time.monotonic() + 5
    while pipeline._fee_fields().get("maxPriorityFeePerGas") != 7:
        assert time.monotonic() < deadline
        time.sleep(0.005)
    before = reads[0]
    time.sleep(0.05 * 6)  # far past: read before the write
    assert pipeline._fee_fields()["maxPriorityFeePerGas"] == 7 and reads[0] == before + 1
