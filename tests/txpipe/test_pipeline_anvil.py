"""The write path against a real anvil: concurrency, nonce order, re-broadcast."""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from sqlalchemy import select
from web3 import Web3
from web3.contract import Contract

from chain.artifacts import load
from chain.clients import ChainHandle
from chain.errors import ChainUnavailable
from chain.txpipe import MINED, PENDING, SENT, AccountNonce, Operation, TxPipeline
from chain.txpipe.rpc import NodeUnreachable, RpcError
from tests.txpipe.helpers import PROBE, free_port, key, make_pipeline

pytestmark = pytest.mark.anvil


def _record(pipeline: TxPipeline, signer, probe: Contract, n: int, **kw):  # type: ignore[no-untyped-def]
    return pipeline.submit(
        signer,
        PROBE,
        probe.address,
        probe.abi,
        "record",
        [key(n), n + 1],
        caller=kw.pop("caller", "user-a"),
        org_id=None,
        **kw,
    )


def _broadcasts(pipeline: TxPipeline) -> list[int]:
    """Each journaled operation's send count, in nonce order."""
    with pipeline.sessions() as session:
        return list(session.scalars(select(Operation.broadcasts).order_by(Operation.nonce)))


def _sent_then_lost(
    w3: Web3,
    pipeline: TxPipeline,
    signer: LocalAccount,
    probe: Contract,
    first: int,
    count: int,
    kept: int,
) -> list[Operation]:
    """``count`` writes sent (automine off); the node then loses all but the last
    ``kept``, which it holds queued behind the gap."""
    ops = [_record(pipeline, signer, probe, first + n) for n in range(count)]
    assert [op.state for op in ops] == [SENT] * count
    w3.provider.make_request("anvil_dropAllTransactions", [])  # type: ignore[arg-type]
    for op in ops[count - kept :]:
        w3.eth.send_raw_transaction(op.raw_tx)
    assert w3.provider.make_request("txpool_status", [])["result"] == {  # type: ignore[arg-type]
        "pending": "0x0",
        "queued": hex(kept),
    }
    return ops


@contextlib.contextmanager
def _mining_by_hand(w3: Web3) -> Iterator[Callable[[], object]]:
    """The node's automine off inside the block; each call of what it yields mines one."""
    w3.provider.make_request("evm_setAutomine", [False])  # type: ignore[arg-type]
    try:
        yield lambda: w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    finally:
        w3.provider.make_request("evm_setAutomine", [True])  # type: ignore[arg-type]


POSTGRES_URL = os.environ.get("LEDGER_TEST_POSTGRES_URL")
# PostgreSQL runs where .ci/run started it (LEDGER_TEST_POSTGRES_URL); SQLite always.
DATABASES = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]


@pytest.mark.parametrize("database", DATABASES)
def test_submit_200_concurrent_from_one_account_mines_consecutive_nonces(
    anvil_chain: ChainHandle, anvil_probe: Contract, db_url: str, database: str
) -> None:
    if database == "postgresql" and POSTGRES_URL:
        db_url = POSTGRES_URL
    pipeline = make_pipeline(anvil_chain, db_url)
    signer = Account.create()
    total_before = anvil_probe.functions.total().call()
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=16) as pool:
        # keys of their own per database, since both variants share the module's probe
        first = 1000 if database == "sqlite" else 5000
        ops = list(
            pool.map(lambda n: _record(pipeline, signer, anvil_probe, first + n), range(200))
        )
    elapsed = time.perf_counter() - started
    print(
        f"\n200 concurrent submits journaled and broadcast in {elapsed:.2f}s "
        f"({200 / elapsed:.0f}/s)"
    )
    assert sorted(op.nonce for op in ops) == list(range(200))
    finals = [pipeline.wait(op.id, 30) for op in ops]
    w3 = anvil_chain.w3
    unmined = [(op.nonce, op.state, op.broadcasts, op.error_code) for op in finals
               if op.state != MINED]  # fmt: skip
    assert not unmined, (
        f"{len(unmined)} not mined (nonce, state, broadcasts, error): {unmined[:8]}; node: "
        f"latest nonce {w3.eth.get_transaction_count(signer.address, 'latest')}, pending "
        f"{w3.eth.get_transaction_count(signer.address, 'pending')}, "
        f"pool {w3.provider.make_request('txpool_status', [])}"  # type: ignore[arg-type]
    )
    assert w3.eth.get_transaction_count(signer.address, "latest") == 200
    assert anvil_probe.functions.total().call() == total_before + 200
    for op in finals:
        n = int(op.args[1]) - 1
        assert anvil_probe.functions.writesOf(key(n)).call() == 1
        tx = w3.eth.get_transaction(op.tx_hash)  # type: ignore[arg-type]
        assert tx["nonce"] == op.nonce and tx["from"] == signer.address
    with pipeline.sessions() as session:
        row = session.get(AccountNonce, (anvil_chain.chain_id, signer.address))
        assert row is not None and row.next_nonce == 200


def test_reconcile_rebroadcasts_journaled_but_unsent_writes_exactly_once(
    anvil_chain: ChainHandle, anvil_probe: Contract, db_url: str
) -> None:
    crashed = make_pipeline(anvil_chain, db_url)
    # the process dies between journaling and broadcasting: nothing reaches the node
    crashed._send = lambda ops: []  # type: ignore[method-assign]
    signer = Account.create()
    ops = [_record(crashed, signer, anvil_probe, 2000 + n) for n in range(5)]
    assert [op.state for op in ops] == [PENDING] * 5
    assert anvil_chain.w3.eth.get_transaction_count(signer.address, "pending") == 0

    restarted = make_pipeline(anvil_chain, db_url)
    summary = restarted.reconcile()
    assert summary["resent"] == 5
    finals = [restarted.wait(op.id, 20) for op in ops]
    assert [op.state for op in finals] == [MINED] * 5
    assert [op.nonce for op in finals] == [0, 1, 2, 3, 4]
    for n in range(5):
        assert anvil_probe.functions.writesOf(key(2000 + n)).call() == 1
    # a second reconcile (another restart) sends nothing again
    assert make_pipeline(anvil_chain, db_url).reconcile()["resent"] == 0
    assert anvil_chain.w3.eth.get_transaction_count(signer.address, "latest") == 5
    next_op = _record(restarted, signer, anvil_probe, 2005)
    assert next_op.nonce == 5


def test_poll_once_rebroadcasts_transactions_the_node_dropped(
    anvil_chain: ChainHandle, anvil_probe: Contract, db_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    w3 = anvil_chain.w3
    pipeline = make_pipeline(anvil_chain, db_url, resend_after_seconds=0)
    signer = Account.create()
    w3.provider.make_request("evm_setAutomine", [False])  # type: ignore[arg-type]
    try:
        ops = [_record(pipeline, signer, anvil_probe, 3000 + n) for n in range(3)]
        assert [op.state for op in ops] == [SENT] * 3
        w3.provider.make_request("anvil_dropAllTransactions", [])  # type: ignore[arg-type]
        assert w3.eth.get_transaction_count(signer.address, "pending") == 0
        with caplog.at_level(logging.WARNING, logger="ledger.txpipe"):
            pipeline.poll_once()  # finds them missing and sends the journaled bytes again
        assert w3.eth.get_transaction_count(signer.address, "pending") == 3
        # each one sent again is named in the log, with its nonce and signer
        resent = [r.getMessage() for r in caplog.records if "sent again" in r.getMessage()]
        assert resent == [
            f"operation {op.id} (nonce {op.nonce} of {op.signer}) was not on the node: sent again"
            for op in ops
        ]
    finally:
        w3.provider.make_request("evm_setAutomine", [True])  # type: ignore[arg-type]
    w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    finals = [pipeline.wait(op.id, 20) for op in ops]
    assert [op.state for op in finals] == [MINED] * 3
    for n in range(3):
        assert anvil_probe.functions.writesOf(key(3000 + n)).call() == 1
    assert _broadcasts(pipeline) == [2, 2, 2]


def test_a_lost_next_nonce_is_sent_again_after_a_block_not_after_resend_after(
    anvil_chain: ChainHandle, anvil_probe: Contract, db_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    """A node that lost a signer's next transactions holds every later one of the signer:
    the tracker asks about the next one once a block went by without it, not after
    ``resend_after`` (here an hour), and then sends the signer's whole tail again in one
    batch, so one block takes them all."""
    w3 = anvil_chain.w3
    pipeline = make_pipeline(anvil_chain, db_url, resend_after_seconds=3600)
    signer = Account.create()
    with _mining_by_hand(w3) as mine:
        # the node loses nonces 0 and 1 and keeps 2 and 3 (queued behind the gap)
        ops = _sent_then_lost(w3, pipeline, signer, anvil_probe, 3100, 4, kept=2)
        pipeline.poll_once()  # the head has not moved: nothing asked, nothing sent
        pipeline.poll_once()
        assert _broadcasts(pipeline) == [1, 1, 1, 1]
        mine()  # nonce 0 is missing: the block takes none of the signer's writes
        assert w3.eth.get_transaction_count(signer.address, "latest") == 0
        with caplog.at_level(logging.WARNING, logger="ledger.txpipe"):
            pipeline.poll_once()  # a block without its next nonce: the tail sent again
        # one warning names the lost nonce and the writes sent with it
        assert [r.getMessage() for r in caplog.records if "sent again" in r.getMessage()] == [
            f"nonce 0 of {ops[0].signer} was not on the node a block after it was sent "
            f"(operation {ops[0].id}): sent again, with its 3 later writes"
        ]
        assert w3.provider.make_request("txpool_status", [])["result"] == {  # type: ignore[arg-type]
            "pending": "0x4",
            "queued": "0x0",
        }
        assert _broadcasts(pipeline) == [2, 2, 2, 2]
        mine()
    assert w3.eth.get_transaction_count(signer.address, "latest") == 4
    finals = [pipeline.wait(op.id, 20) for op in ops]
    assert [op.state for op in finals] == [MINED] * 4
    assert len({op.block_number for op in finals}) == 1
    for n in range(4):
        assert anvil_probe.functions.writesOf(key(3100 + n)).call() == 1


def test_a_next_nonce_lost_while_a_block_was_mined_is_sent_again_at_that_block(
    anvil_chain: ChainHandle, anvil_probe: Contract, db_url: str
) -> None:
    """A write sent before a block the node mined without it, and now its signer's next
    nonce: the node is asked about it at once (it would have been in that block). One the
    node lost goes again with the writes after it, for the next block, not a block
    later."""
    w3 = anvil_chain.w3
    pipeline = make_pipeline(anvil_chain, db_url, resend_after_seconds=3600)
    signer = Account.create()
    with _mining_by_hand(w3) as mine:
        ops = [_record(pipeline, signer, anvil_probe, 3300 + n) for n in range(3)]
        pipeline.poll_once()  # nonce 0 is the next one: sent just now, not asked about
        # the node loses nonce 1 while it mines a block with nonce 0
        w3.provider.make_request("anvil_dropTransaction", [ops[1].tx_hash])  # type: ignore[arg-type]
        mine()
        assert w3.eth.get_transaction_count(signer.address, "latest") == 1
        pipeline.poll_once()  # nonce 0 settled; nonce 1, sent before that block, is asked
        assert _broadcasts(pipeline) == [1, 2, 2]
        assert w3.provider.make_request("txpool_status", [])["result"] == {  # type: ignore[arg-type]
            "pending": "0x2",
            "queued": "0x0",
        }
        pipeline.poll_once()  # known to the node now: not asked or sent again
        assert _broadcasts(pipeline) == [1, 2, 2]
        mine()
    finals = [pipeline.wait(op.id, 20) for op in ops]
    assert [op.state for op in finals] == [MINED] * 3
    assert finals[1].block_number == finals[2].block_number == finals[0].block_number + 1


def test_a_lost_next_nonce_the_node_refuses_again_sends_nothing_after_it(
    anvil_chain: ChainHandle, anvil_probe: Contract, db_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """When the node refuses the signer's lost next nonce, the writes after it stay
    queued behind it on the node: none of them is sent again, the lost one stays
    ``pending`` with the node's refusal and goes again once the node takes it."""
    w3 = anvil_chain.w3
    pipeline = make_pipeline(anvil_chain, db_url, resend_after_seconds=3600)
    signer = Account.create()
    w3.provider.make_request("evm_setAutomine", [False])  # type: ignore[arg-type]
    try:
        ops = _sent_then_lost(w3, pipeline, signer, anvil_probe, 3500, 3, kept=2)
        pipeline.poll_once()

        def refuse(raw: bytes) -> str:
            raise RpcError("insufficient funds for gas * price + value")

        with monkeypatch.context() as patch:
            patch.setattr(pipeline.rpc, "send_raw", refuse)
            w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
            pipeline.poll_once()
        with pipeline.sessions() as session:
            stored = list(session.scalars(select(Operation).order_by(Operation.nonce)))
            assert [(op.state, op.broadcasts) for op in stored] == [
                (PENDING, 1),
                (SENT, 1),
                (SENT, 1),
            ]
            assert stored[0].error_code == "broadcast-failed"
        pipeline.poll_once()  # the node takes it now: it goes again, on its own
        w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    finally:
        w3.provider.make_request("evm_setAutomine", [True])  # type: ignore[arg-type]
    finals = [pipeline.wait(op.id, 20) for op in ops]
    assert [op.state for op in finals] == [MINED] * 3
    assert _broadcasts(pipeline) == [2, 1, 1]


def test_a_poll_that_read_a_write_pending_before_its_sender_marked_it_counts_no_send(
    anvil_chain: ChainHandle, anvil_probe: Contract, db_url: str
) -> None:
    """The tracker read a write ``pending``; its sender then marked it ``sent``. The node
    has it: the tracker's late look marks nothing (one send, one count)."""
    w3 = anvil_chain.w3
    pipeline = make_pipeline(anvil_chain, db_url)
    signer = Account.create()
    w3.provider.make_request("evm_setAutomine", [False])  # type: ignore[arg-type]
    try:
        op = _record(pipeline, signer, anvil_probe, 3200)
        assert op.state == SENT
        with pipeline.sessions() as session:
            read_before = session.get(Operation, op.id)
            assert read_before is not None
        read_before.state = PENDING  # what the poll read before the sender's mark
        assert pipeline._resend_if_unknown(read_before) is False
        with pipeline.sessions() as session:
            stored = session.get(Operation, op.id)
            assert stored is not None
            assert (stored.state, stored.broadcasts) == (SENT, 1)
    finally:
        w3.provider.make_request("evm_setAutomine", [True])  # type: ignore[arg-type]
    w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    assert pipeline.wait(op.id, 20).state == MINED


def test_a_poll_that_read_a_write_pending_before_it_was_sent_neither_asks_nor_sends_it(
    anvil_chain: ChainHandle, anvil_probe: Contract, db_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """The tracker read a write ``pending``; its sender handed it to the node after that
    read. The node took it a moment ago: the tracker does not ask the node about it (it
    asks once ``resend_after`` passed, as for a write it read ``sent``) and does not
    send it again, even while the node would not find it (a node mining a block)."""
    w3 = anvil_chain.w3
    pipeline = make_pipeline(anvil_chain, db_url)
    signer = Account.create()
    w3.provider.make_request("evm_setAutomine", [False])  # type: ignore[arg-type]
    try:
        read_at = time.monotonic()  # the poll's read of the in-flight writes
        op = _record(pipeline, signer, anvil_probe, 3300)  # sent after that read
        assert op.state == SENT
        with pipeline.sessions() as session:
            read_before = session.get(Operation, op.id)
            assert read_before is not None
        read_before.state = PENDING  # what the poll read
        asked: list[str] = []

        def not_found(tx_hash: str) -> None:
            asked.append(tx_hash)
            return None

        with monkeypatch.context() as patch:
            patch.setattr(pipeline.rpc, "transaction", not_found)
            assert pipeline._resend_if_unknown(read_before, read_at=read_at) is False
            assert pipeline._resend_if_unknown(read_before, stalled=True, read_at=read_at) is False
        assert asked == []
        assert _broadcasts(pipeline) == [1]
        # read after its send, the same write is asked about as before: the node has it
        real_transaction = pipeline.rpc.transaction

        def found(tx_hash: str) -> dict[str, Any] | None:
            asked.append(tx_hash)
            return real_transaction(tx_hash)

        with monkeypatch.context() as patch:
            patch.setattr(pipeline.rpc, "transaction", found)
            assert pipeline._resend_if_unknown(read_before, read_at=time.monotonic()) is False
        assert asked == [op.tx_hash]
        assert _broadcasts(pipeline) == [1]
    finally:
        w3.provider.make_request("evm_setAutomine", [True])  # type: ignore[arg-type]
    w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    assert pipeline.wait(op.id, 20).state == MINED
    assert _broadcasts(pipeline) == [1]


def test_submit_when_broadcast_fails_is_journaled_pending_then_resent(
    anvil_chain: ChainHandle, anvil_probe: Contract, db_url: str
) -> None:
    pipeline = make_pipeline(anvil_chain, db_url)
    signer = Account.create()
    real_send = pipeline.rpc.send_raw

    def refuse(raw: bytes) -> None:
        raise NodeUnreachable("connection refused")

    pipeline.rpc.send_raw = refuse  # type: ignore[method-assign]
    op = _record(pipeline, signer, anvil_probe, 4000)
    assert op.state == PENDING
    stored = pipeline.get(op.id)
    assert stored.state == PENDING and stored.error_code == "broadcast-failed"
    assert anvil_chain.w3.eth.get_transaction_count(signer.address, "pending") == 0
    pipeline.rpc.send_raw = real_send  # type: ignore[method-assign]
    pipeline.poll_once()
    final = pipeline.wait(op.id, 20)
    assert final.state == MINED and final.error_code is None
    assert anvil_probe.functions.writesOf(key(4000)).call() == 1


def test_submit_with_node_down_raises_chain_unavailable_and_journals_nothing(
    db_url: str,
) -> None:
    w3 = Web3(Web3.HTTPProvider(f"http://127.0.0.1:{free_port()}"))
    pipeline = make_pipeline(ChainHandle(w3=w3, mode="rpc", chain_id=31337), db_url)
    abi = load(PROBE).abi
    with pytest.raises(ChainUnavailable) as caught:
        pipeline.submit(
            Account.create(),
            PROBE,
            "0x" + "11" * 20,
            abi,
            "record",
            [key(1), 1],
            caller="u",
            org_id=None,
        )
    assert caught.value.http_status == 503 and caught.value.retry_after >= 1
    assert pipeline.stats().by_state == {}


def test_the_trackers_polls_time_the_chains_blocks_for_backpressure(
    anvil_chain: ChainHandle, db_url: str
) -> None:
    pipeline = make_pipeline(anvil_chain, db_url)
    w3 = anvil_chain.w3
    pipeline.poll_once()  # the head as it is
    assert pipeline.block_pace.seconds is None
    for _ in range(2):  # a block every 0.4 s, each seen by the next poll
        time.sleep(0.4)
        w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
        pipeline.poll_once()
    assert pipeline.block_pace.seconds is not None
    # each sighting at least 0.4 s after the one before (a loaded machine may add to it)
    assert 0.39 <= pipeline.block_pace.seconds < 3.0
    assert not pipeline.block_pace.full  # two blocks with nothing in them


def test_the_head_says_how_full_the_latest_block_is(
    anvil_chain: ChainHandle, anvil_probe: Contract, db_url: str
) -> None:
    pipeline = make_pipeline(anvil_chain, db_url)
    op = pipeline.wait(_record(pipeline, Account.create(), anvil_probe, 9_100).id, 30)
    head = pipeline.rpc.head()
    block = anvil_chain.w3.eth.get_block("latest")
    assert head is not None and op.block_number == head.number == block["number"]
    assert head.hash == op.block_hash == block["hash"].to_0x_hex()
    assert head.fill == block["gasUsed"] / block["gasLimit"] > 0
