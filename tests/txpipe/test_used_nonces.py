"""When is an operation ``dropped``? Only when another transaction took its nonce.

The receipt tracker sees an operation whose nonce the node has used (``nonce(latest)`` is
past it) but whose receipt the node does not return. Three situations look alike from
there and only one of them is a drop:

- another transaction of the signer with that nonce is in a block: ``dropped``;
- the operation's own transaction is in a block and the receipt is late: in flight;
- no block holds any transaction of the signer with that nonce: what anvil does after
  ``kill -9`` when the state file it reloads was saved halfway through mining a block
  (accounts after the block, blocks and transactions before it). Emulated here with
  ``anvil_setNonce``: the account's nonce moves past a transaction no block holds. The
  operation stays in flight and flagged; when the nonce is free again it is mined.

Each test runs against anvil with automine off and mines blocks itself.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract import Contract

from chain.clients import ChainHandle
from chain.txpipe import DROPPED, MINED, SENT, Operation, TxPipeline
from tests.txpipe.helpers import PROBE, key, make_pipeline

pytestmark = pytest.mark.anvil


def _rpc(w3: Web3, method: str, *params: Any) -> Any:
    answer = w3.provider.make_request(method, list(params))  # type: ignore[arg-type]
    assert "error" not in answer, answer
    return answer["result"]


@pytest.fixture
def signer(anvil_chain: ChainHandle) -> LocalAccount:
    account: LocalAccount = Account.create()
    anvil_chain.fund(account.address)
    return account


@pytest.fixture
def manual_mining(
    anvil_chain: ChainHandle, anvil_probe: Contract, signer: LocalAccount
) -> Iterator[Web3]:
    """Automine off (after the signer is funded and the probe deployed)."""
    w3 = anvil_chain.w3
    _rpc(w3, "evm_setAutomine", False)
    try:
        yield w3
    finally:
        _rpc(w3, "evm_setAutomine", True)


def _record(pipeline: TxPipeline, signer: LocalAccount, probe: Contract, n: int) -> Operation:
    return pipeline.submit(
        signer, PROBE, probe.address, probe.abi, "record", [key(n), n + 1],
        caller="user-a", org_id=None,
    )  # fmt: skip


class LateReceipts:
    """The node's answers, except that the receipts of ``late`` are not returned yet."""

    def __init__(self, rpc: Any, late: set[str]) -> None:
        self._rpc = rpc
        self.late = late

    def receipt(self, tx_hash: str) -> dict[str, Any] | None:
        if tx_hash.lower() in self.late:
            return None
        result: dict[str, Any] | None = self._rpc.receipt(tx_hash)
        return result

    def receipts(self, tx_hashes: list[str]) -> list[dict[str, Any] | None]:
        return [self.receipt(h) for h in tx_hashes]

    def block_receipts(
        self, number: int, only: Collection[str] | None = None
    ) -> list[dict[str, Any]] | None:
        found: list[dict[str, Any]] | None = self._rpc.block_receipts(number, only)
        if found is None:
            return None
        return [r for r in found if r["transactionHash"] not in self.late]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._rpc, name)


def test_nonce_used_without_any_transaction_is_not_dropped_and_mines_when_free(
    anvil_chain: ChainHandle,
    anvil_probe: Contract,
    db_url: str,
    signer: LocalAccount,
    manual_mining: Web3,
) -> None:
    w3 = manual_mining
    pipeline = make_pipeline(anvil_chain, db_url, resend_after_seconds=0)
    ops = [_record(pipeline, signer, anvil_probe, 7000 + n) for n in range(3)]
    assert [op.nonce for op in ops] == [0, 1, 2]
    _rpc(w3, "evm_mine")
    assert pipeline.poll_once() == 3
    assert [pipeline.get(op.id).state for op in ops] == [MINED] * 3

    # the node restarts from a state saved halfway through the next block: the account
    # is past nonce 3 and 4, no block holds them, their receipts are unknown
    lost = [_record(pipeline, signer, anvil_probe, 7100 + n) for n in range(2)]
    for op in lost:
        _rpc(w3, "anvil_dropTransaction", op.tx_hash)
    _rpc(w3, "anvil_setNonce", signer.address, hex(5))
    _rpc(w3, "evm_mine")
    assert w3.eth.get_transaction_count(signer.address, "latest") == 5
    assert all(w3.eth.get_transaction_count(signer.address, "latest") > op.nonce for op in lost)

    for _ in range(3):  # the tracker asks again and again: never dropped
        assert pipeline.poll_once() == 0
    for op in lost:
        row = pipeline.get(op.id)
        assert row.state == SENT and row.error_code == "nonce-used-unseen", row.error_detail
        assert row.block_number is None
        assert f"past {op.nonce}" in (row.error_detail or "")
        assert pipeline.rpc.receipt(op.tx_hash) is None
    assert pipeline.stats().by_state.get(DROPPED, 0) == 0
    assert anvil_probe.functions.writesOf(key(7100)).call() == 0

    # the node goes back below them (an older state): the same bytes are sent and mined
    _rpc(w3, "anvil_setNonce", signer.address, hex(3))
    assert pipeline.poll_once() == 0  # re-sent in nonce order
    _rpc(w3, "evm_mine")
    assert pipeline.poll_once() == 2
    for n, op in enumerate(lost):
        row = pipeline.get(op.id)
        assert row.state == MINED and row.error_code is None
        assert anvil_probe.functions.writesOf(key(7100 + n)).call() == 1
    assert w3.eth.get_transaction_count(signer.address, "latest") == 5


def test_receipt_not_returned_for_own_mined_transaction_is_not_dropped(
    anvil_chain: ChainHandle,
    anvil_probe: Contract,
    db_url: str,
    signer: LocalAccount,
    manual_mining: Web3,
) -> None:
    w3 = manual_mining
    pipeline = make_pipeline(anvil_chain, db_url, resend_after_seconds=0)
    ops = [_record(pipeline, signer, anvil_probe, 7200 + n) for n in range(3)]
    _rpc(w3, "evm_mine")
    block = w3.eth.block_number
    late = {ops[0].tx_hash.lower(), ops[2].tx_hash.lower()}
    real = pipeline.rpc
    pipeline.rpc = LateReceipts(real, late)  # type: ignore[assignment]
    assert w3.eth.get_transaction_count(signer.address, "latest") == 3

    assert pipeline.poll_once() == 1  # only the one whose receipt the node returns
    assert [pipeline.get(op.id).state for op in ops] == [SENT, MINED, SENT]
    assert pipeline.poll_once() == 0
    assert pipeline.stats().by_state.get(DROPPED, 0) == 0
    assert pipeline.get(ops[0].id).error_code is None

    pipeline.rpc = real  # the receipts arrive
    assert pipeline.poll_once() == 2
    rows = [pipeline.get(op.id) for op in ops]
    assert [row.state for row in rows] == [MINED] * 3
    assert {row.block_number for row in rows} == {block}
    for n in range(3):
        assert anvil_probe.functions.writesOf(key(7200 + n)).call() == 1


def test_nonce_taken_by_another_transaction_is_dropped_naming_it(
    anvil_chain: ChainHandle,
    anvil_probe: Contract,
    db_url: str,
    signer: LocalAccount,
    manual_mining: Web3,
) -> None:
    w3 = manual_mining
    pipeline = make_pipeline(anvil_chain, db_url, resend_after_seconds=0)
    first = _record(pipeline, signer, anvil_probe, 7300)
    replaced = _record(pipeline, signer, anvil_probe, 7301)
    _rpc(w3, "anvil_dropTransaction", replaced.tx_hash)
    # the same key signs another transaction with that nonce elsewhere; it is mined
    other = signer.sign_transaction({
        "chainId": anvil_chain.chain_id, "nonce": replaced.nonce, "to": signer.address,
        "value": 0, "gas": 21_000, **anvil_chain.fee_fields(),
    })  # fmt: skip
    other_hash = "0x" + bytes(other.hash).hex()
    _rpc(w3, "eth_sendRawTransaction", "0x" + bytes(other.raw_transaction).hex())
    _rpc(w3, "evm_mine")
    assert w3.eth.get_transaction_receipt(other_hash)["status"] == 1  # type: ignore[arg-type]

    assert pipeline.poll_once() == 2
    assert pipeline.get(first.id).state == MINED
    row = pipeline.get(replaced.id)
    assert row.state == DROPPED and row.error_code == "nonce-reused"
    assert other_hash in (row.error_detail or "")
    assert pipeline.rpc.receipt(replaced.tx_hash) is None
    assert anvil_probe.functions.writesOf(key(7301)).call() == 0
    assert anvil_probe.functions.writesOf(key(7300)).call() == 1
