"""The write path against a real anvil: concurrency, nonce order, re-broadcast."""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from eth_account import Account
from sqlalchemy import select
from web3.contract import Contract

from chain.clients import ChainHandle
from chain.txpipe import MINED, PENDING, SENT, AccountNonce, Operation, TxPipeline
from tests.txpipe.helpers import PROBE, key, make_pipeline

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


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_submit_200_concurrent_from_one_account_mines_consecutive_nonces(
    anvil_chain: ChainHandle, anvil_probe: Contract, db_url: str, database: str
) -> None:
    if database == "postgresql":
        db_url = os.environ.get("LEDGER_TEST_POSTGRES_URL", "")
        if not db_url:
            pytest.skip("LEDGER_TEST_POSTGRES_URL is not set")
    pipeline = make_pipeline(anvil_chain, db_url)
    signer = Account.create()
    total_before = anvil_probe.functions.total().call()
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=16) as pool:
        ops = list(pool.map(lambda n: _record(pipeline, signer, anvil_probe, 1000 + n), range(200)))
    elapsed = time.perf_counter() - started
    print(
        f"\n200 concurrent submits journaled and broadcast in {elapsed:.2f}s "
        f"({200 / elapsed:.0f}/s)"
    )
    assert sorted(op.nonce for op in ops) == list(range(200))
    finals = [pipeline.wait(op.id, 30) for op in ops]
    assert {op.state for op in finals} == {MINED}
    w3 = anvil_chain.w3
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
    crashed._broadcast = lambda op: PENDING  # type: ignore[method-assign]
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
    anvil_chain: ChainHandle, anvil_probe: Contract, db_url: str
) -> None:
    w3 = anvil_chain.w3
    pipeline = make_pipeline(anvil_chain, db_url, resend_after_seconds=0)
    signer = Account.create()
    w3.provider.make_request("evm_setAutomine", [False])  # type: ignore[arg-type]
    try:
        ops = [_record(pipeline, signer, anvil_probe, 3000 + n) for n in range(3)]
        assert [op.state for op in ops] == [SENT] * 3
        w3.provider.make_request("anvil_dropAllTransactions", [])  # type: ignore[arg-type]
        assert w3.eth.get_transaction_count(signer.address, "pending") == 0
        pipeline.poll_once()  # finds them missing and sends the journaled bytes again
        assert w3.eth.get_transaction_count(signer.address, "pending") == 3
    finally:
        w3.provider.make_request("evm_setAutomine", [True])  # type: ignore[arg-type]
    w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    finals = [pipeline.wait(op.id, 20) for op in ops]
    assert [op.state for op in finals] == [MINED] * 3
    for n in range(3):
        assert anvil_probe.functions.writesOf(key(3000 + n)).call() == 1
    with pipeline.sessions() as session:
        broadcasts = session.scalars(select(Operation.broadcasts).order_by(Operation.nonce))
        assert list(broadcasts) == [2, 2, 2]
