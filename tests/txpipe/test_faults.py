"""Faults of the chain and of the database, met by one pipeline (fast; the process-level
versions with SIGKILLed nodes and several gateways are in tests/e2e/test_faults_*.py)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from chain.artifacts import load
from chain.clients import ChainHandle
from chain.errors import ChainUnavailable, StoreUnavailable
from chain.txpipe import MINED, PENDING, SENT, TxPipeline
from chain.txpipe.core import UNSIMULATED_GAS_FACTOR
from chain.txpipe.locks import NamedLocks
from chain.txpipe.rpc import HttpRpc
from chain.txpipe.tracker import ReceiptTracker
from tests.txpipe.helpers import PROBE, free_port, key, make_pipeline, record

pytestmark = pytest.mark.anvil


def _record(pipeline: TxPipeline, signer: LocalAccount, probe: Contract, n: int) -> Any:
    return record(pipeline, signer, probe, n, caller="faults")


def test_poll_once_after_the_chain_lost_mined_blocks_sends_them_again_exactly_once(
    anvil_chain: ChainHandle, anvil_probe: Contract, db_url: str
) -> None:
    w3 = anvil_chain.w3
    pipeline = make_pipeline(anvil_chain, db_url)
    signer = Account.create()
    pipeline.poll_once()  # the tracker has seen the head
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    ops = [_record(pipeline, signer, anvil_probe, 6000 + n) for n in range(4)]
    mined = [pipeline.wait(op.id, 20) for op in ops]
    assert [op.state for op in mined] == [MINED] * 4
    pipeline.poll_once()
    # the node restarts from an older state: the four blocks are gone
    w3.provider.make_request("evm_revert", [snapshot])  # type: ignore[arg-type]
    assert w3.eth.get_transaction_count(signer.address, "latest") == 0
    assert anvil_probe.functions.writesOf(key(6000)).call() == 0

    pipeline.poll_once()
    assert pipeline.rollbacks == 1 and pipeline.restored == 4
    restored = [pipeline.get(op.id) for op in ops]
    assert {op.state for op in restored} <= {PENDING, SENT}
    assert {op.error_code for op in restored} <= {"chain-rolled-back", None}
    finals = [pipeline.wait(op.id, 20) for op in ops]
    assert [op.state for op in finals] == [MINED] * 4
    assert [op.nonce for op in finals] == [0, 1, 2, 3]
    assert [op.tx_hash for op in finals] == [op.tx_hash for op in mined]  # the same bytes
    for n in range(4):
        assert anvil_probe.functions.writesOf(key(6000 + n)).call() == 1
        assert anvil_probe.functions.valueOf(key(6000 + n)).call() == 6000 + n + 1
    assert w3.eth.get_transaction_count(signer.address, "latest") == 4
    assert finals[0].events[0]["event"] == "Recorded"


@pytest.mark.parametrize("blocks_after", [0, 4], ids=["same-head", "node-mined-past-them"])
def test_poll_once_restores_writes_settled_from_blocks_above_the_head_it_saw(
    anvil_chain: ChainHandle, anvil_probe: Contract, db_url: str, blocks_after: int
) -> None:
    """Receipts are settled from blocks newer than the head the tracker saw last (a
    request's own wait, or a poll whose receipts arrive after its head). A node that then
    loses exactly those blocks - it comes back at the head the tracker saw, or mines past
    it before the next poll - has still taken the writes away: they are restored and sent
    again, or the signer's later writes wait behind a nonce gap forever."""
    w3 = anvil_chain.w3
    pipeline = make_pipeline(anvil_chain, db_url)
    signer = Account.create()
    base = 6500 + 10 * blocks_after  # keys of their own on the module's node
    pipeline.poll_once()  # the tracker has seen the head; it sees no later block
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    ops = [_record(pipeline, signer, anvil_probe, base + n) for n in range(3)]
    mined = [pipeline.wait(op.id, 20) for op in ops]
    assert [op.state for op in mined] == [MINED] * 3
    w3.provider.make_request("evm_revert", [snapshot])  # type: ignore[arg-type]
    for _ in range(blocks_after):
        w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    assert w3.eth.get_transaction_count(signer.address, "latest") == 0
    later = _record(pipeline, signer, anvil_probe, base + 3)  # nonce 3: behind the gap

    pipeline.poll_once()
    assert pipeline.rollbacks == 1 and pipeline.restored == 3
    finals = [pipeline.wait(op.id, 20) for op in [*ops, later]]
    assert [op.state for op in finals] == [MINED] * 4
    assert [op.nonce for op in finals] == [0, 1, 2, 3]
    for op in finals:  # settled in blocks the chain holds now
        assert op.block_number is not None
        assert "0x" + bytes(w3.eth.get_block(op.block_number)["hash"]).hex() == op.block_hash
    for n in range(4):
        assert anvil_probe.functions.writesOf(key(base + n)).call() == 1
    assert w3.eth.get_transaction_count(signer.address, "latest") == 4


def test_reconcile_on_start_restores_writes_of_blocks_the_chain_lost(
    anvil_chain: ChainHandle, anvil_probe: Contract, db_url: str
) -> None:
    w3 = anvil_chain.w3
    before = make_pipeline(anvil_chain, db_url)
    signer = Account.create()
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    ops = [_record(before, signer, anvil_probe, 6100 + n) for n in range(3)]
    assert [before.wait(op.id, 20).state for op in ops] == [MINED] * 3
    w3.provider.make_request("evm_revert", [snapshot])  # type: ignore[arg-type]
    # a new gateway process starts on the same journal: it never saw the old head
    after = make_pipeline(anvil_chain, db_url)
    summary = after.reconcile()
    assert summary["restored"] == 3
    assert [after.wait(op.id, 20).state for op in ops] == [MINED] * 3
    assert [anvil_probe.functions.writesOf(key(6100 + n)).call() for n in range(3)] == [1] * 3
    assert after.reconcile()["restored"] == 0


def test_submit_while_the_node_is_down_is_journaled_and_mined_when_it_is_back(
    anvil_chain: ChainHandle, anvil_probe: Contract, db_url: str
) -> None:
    pipeline = make_pipeline(anvil_chain, db_url)
    signer = Account.create()
    first = pipeline.wait(_record(pipeline, signer, anvil_probe, 6200).id, 20)
    assert first.state == MINED
    live_rpc = pipeline.rpc
    pipeline.rpc = HttpRpc(f"http://127.0.0.1:{free_port()}", timeout=2)  # nobody answers
    down = [_record(pipeline, signer, anvil_probe, 6201 + n) for n in range(3)]
    assert [op.state for op in down] == [PENDING] * 3
    assert [op.nonce for op in down] == [1, 2, 3]
    assert {op.gas_limit for op in down} == {first.gas_limit * UNSIMULATED_GAS_FACTOR}
    assert first.gas_used is not None and first.gas_used < first.gas_limit
    assert {pipeline.get(op.id).error_code for op in down} == {"broadcast-failed"}
    assert pipeline.poll_once() == 0  # the tracker waits for the node
    assert anvil_chain.w3.eth.get_transaction_count(signer.address, "pending") == 1

    pipeline.rpc = live_rpc  # the node is back
    pipeline.poll_once()
    finals = [pipeline.wait(op.id, 20) for op in down]
    assert [op.state for op in finals] == [MINED] * 3
    assert [anvil_probe.functions.valueOf(key(6201 + n)).call() for n in range(3)] == [
        6202, 6203, 6204,
    ]  # fmt: skip
    assert anvil_chain.w3.eth.get_transaction_count(signer.address, "latest") == 4


def test_submit_while_the_node_is_down_without_a_known_gas_figure_journals_nothing(
    anvil_chain: ChainHandle, anvil_probe: Contract, db_url: str
) -> None:
    pipeline = make_pipeline(anvil_chain, db_url)
    signer = Account.create()
    pipeline.wait(_record(pipeline, signer, anvil_probe, 6300).id, 20)
    pipeline.rpc = HttpRpc(f"http://127.0.0.1:{free_port()}", timeout=2)
    abi = load(PROBE).abi
    with pytest.raises(ChainUnavailable) as caught:  # ``fail`` was never simulated here
        pipeline.submit(signer, PROBE, anvil_probe.address, abi, "fail", ["x"],
                        caller="faults", org_id=None)  # fmt: skip
    assert caught.value.http_status == 503 and caught.value.error_code == "chain-unavailable"
    other = Account.create()  # an account without a nonce row needs the chain's nonce
    with pytest.raises(ChainUnavailable):
        _record(pipeline, other, anvil_probe, 6301)
    assert pipeline.stats().by_state == {MINED: 1}


class _CountingSigner:
    """A signer that counts its signatures."""

    def __init__(self) -> None:
        self.account = Account.create()
        self.address = self.account.address
        self.signed = 0

    def sign_transaction(self, tx: dict[str, Any]) -> Any:
        self.signed += 1
        return self.account.sign_transaction(tx)


def test_submit_with_the_database_down_answers_store_unavailable_before_signing(
    anvil_chain: ChainHandle, anvil_probe: Contract
) -> None:
    down = f"postgresql://ledger:none@127.0.0.1:{free_port()}/ledger?connect_timeout=2"
    from chain.db import make_engine, session_factory

    pipeline = TxPipeline(anvil_chain, session_factory(make_engine(down)))
    signer = _CountingSigner()
    for idempotency_key in (None, "with-key"):
        with pytest.raises(StoreUnavailable) as caught:
            pipeline.submit(
                signer, PROBE, anvil_probe.address, anvil_probe.abi, "record",  # type: ignore[arg-type]
                [key(6400), 1], caller="faults", org_id=None, idempotency_key=idempotency_key,
            )  # fmt: skip
        problem = caught.value
        assert (problem.http_status, problem.error_code) == (503, "store-unavailable")
        assert problem.retry_after >= 1 and "nothing was signed" in problem.detail
    assert signer.signed == 0
    assert anvil_chain.w3.eth.get_transaction_count(signer.address, "pending") == 0


def test_named_locks_on_sqlite_are_process_locks() -> None:
    locks = NamedLocks(None)
    assert locks.shared is False
    with locks.hold("payer:1:0xabc"), locks.hold("payer:1:0xdef"):
        assert sorted(locks._locks) == ["payer:1:0xabc", "payer:1:0xdef"]
        assert locks._locks["payer:1:0xabc"].locked()
    assert not any(lock.locked() for lock in locks._locks.values())


def test_tracker_settles_a_block_as_soon_as_the_head_moves_not_at_its_next_poll(
    anvil_chain: ChainHandle, anvil_probe: Contract, db_url: str
) -> None:
    """Between its regular polls (here an hour apart) the tracker watches the head
    number: a mined write is settled, and leaves the signer's in-flight count, without
    anyone waiting on it."""
    pipeline = make_pipeline(anvil_chain, db_url)
    tracker = ReceiptTracker(pipeline, interval=3600, head_interval=0.01)
    tracker.start()
    try:
        deadline = time.monotonic() + 30
        while tracker.polls == 0:  # the first, regular poll: the head it saw
            assert time.monotonic() < deadline
            time.sleep(0.01)
        op = _record(pipeline, Account.create(), anvil_probe, 6600)  # automined at once
        while pipeline.get(op.id).state != MINED and time.monotonic() < deadline:
            time.sleep(0.01)
        settled = pipeline.get(op.id)
        assert settled.state == MINED and settled.block_number is not None
        assert tracker.polls >= 2
        assert pipeline.stats().by_state.get(SENT, 0) == 0
    finally:
        tracker.stop()


def test_tracker_leaves_a_burst_being_sent_to_the_thread_sending_it(
    anvil_chain: ChainHandle, anvil_probe: Contract, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between its journal and its sent-mark a burst's operations are ``pending`` in the
    database; the tracker does not ask the node about them nor mark them (that counted a
    broadcast nobody made), and takes them up again once the sending thread is done."""
    w3 = anvil_chain.w3
    pipeline = make_pipeline(anvil_chain, db_url)
    pipeline.poll_once()
    asked: list[str] = []
    transaction = pipeline.rpc.transaction

    def counted(tx_hash: str) -> Any:
        asked.append(tx_hash.lower())
        return transaction(tx_hash)

    monkeypatch.setattr(pipeline.rpc, "transaction", counted)
    w3.provider.make_request("evm_setAutomine", [False])  # type: ignore[arg-type]
    try:
        op = _record(pipeline, Account.create(), anvil_probe, 6700)  # in the node's pool
        assert pipeline.get(op.id).broadcasts == 1
        pipeline._mark(op.id, PENDING)  # as between the send and its sent-mark
        pipeline._in_send.add(op.id)
        pipeline.poll_once()
        assert asked == [] and pipeline.get(op.id).state == PENDING
        assert pipeline.get(op.id).broadcasts == 1
        pipeline._in_send.discard(op.id)
        pipeline.poll_once()  # now the tracker's: the node has it, so it is sent
        assert asked == [op.tx_hash.lower()] and pipeline.get(op.id).state == SENT
        w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    finally:
        w3.provider.make_request("evm_setAutomine", [True])  # type: ignore[arg-type]
    assert pipeline.wait(op.id, 20).state == MINED
    assert anvil_probe.functions.writesOf(key(6700)).call() == 1
