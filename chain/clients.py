"""One client factory for the three chain modes: memory, local and rpc."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.middleware import ExtraDataToPOAMiddleware
from web3.types import TxParams, Wei

from chain.localnode import load_config
from chain.settings import LedgerSettings


class ChainUnavailableError(RuntimeError):
    """The configured chain does not answer, or answers with another chain id."""


@dataclass
class ChainHandle:
    """A connected web3 with what the rest of the chain layer needs to know about it."""

    w3: Web3
    mode: str
    chain_id: int
    tester: Any = None  # eth_tester.EthereumTester in memory mode

    def fee_fields(self) -> TxParams:
        """Fee fields for a new transaction: zero on fee-less chains, EIP-1559 otherwise."""
        base_fee = int(self.w3.eth.get_block("latest").get("baseFeePerGas", 0) or 0)
        if base_fee == 0:
            return {"gasPrice": Wei(0)}
        tip = 1_000_000_000
        return {"maxFeePerGas": Wei(base_fee * 2 + tip), "maxPriorityFeePerGas": Wei(tip)}

    def advance_time(self, seconds: int) -> None:
        """Move the in-process chain's clock ``seconds`` past its head and mine a block
        (memory mode: tests of time-bound rules), one request at a time with the rest."""
        if self.tester is None:
            raise RuntimeError("only the in-process chain's clock can be moved")
        lock = getattr(self.w3.provider, "lock", None) or threading.RLock()
        with lock:
            now = int(self.w3.eth.get_block("latest")["timestamp"])
            self.tester.time_travel(now + seconds)
            self.tester.mine_blocks(1)

    def fund(self, address: str, wei: int = 10**21) -> None:
        """Give an account gas money where the chain charges fees (memory mode only)."""
        if self.tester is None:
            return
        if self.w3.eth.get_balance(Web3.to_checksum_address(address)) >= wei // 2:
            return
        sender = self.w3.eth.accounts[0]
        tx_hash = self.w3.eth.send_transaction(
            {"from": sender, "to": Web3.to_checksum_address(address), "value": Wei(wei)}
        )
        self.w3.eth.wait_for_transaction_receipt(tx_hash)


def serialised_tester_provider(tester: Any) -> Any:
    """An eth-tester provider that answers one request at a time.

    eth-tester is not thread-safe; the gateway reads (routes), writes (the pipeline and
    its receipt tracker) and follows logs (the indexer) from several threads, so every
    request goes through one lock (``provider.lock``, also for direct ``tester`` use).
    """
    from web3.providers.eth_tester import EthereumTesterProvider

    class SerialisedEthereumTesterProvider(EthereumTesterProvider):
        def __init__(self, tester: Any) -> None:
            super().__init__(tester)
            self.lock = threading.RLock()

        def make_request(self, method: Any, params: Any) -> Any:
            with self.lock:
                return super().make_request(method, params)

    return SerialisedEthereumTesterProvider(tester)


def memory_chain() -> ChainHandle:
    from eth_tester import EthereumTester, PyEVMBackend

    tester = EthereumTester(PyEVMBackend())
    w3 = Web3(serialised_tester_provider(tester))
    return ChainHandle(w3=w3, mode="memory", chain_id=int(w3.eth.chain_id), tester=tester)


def http_chain(url: str, mode: str, expected_chain_id: int | None, poa: bool) -> ChainHandle:
    w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 30}))
    if poa:
        w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
    try:
        chain_id = int(w3.eth.chain_id)
    except Exception as exc:  # any transport failure means the node is not there
        raise ChainUnavailableError(f"no EVM node answers at {url}: {exc}") from exc
    if expected_chain_id is not None and chain_id != expected_chain_id:
        raise ChainUnavailableError(
            f"the node at {url} reports chain id {chain_id}, expected {expected_chain_id}"
        )
    return ChainHandle(w3=w3, mode=mode, chain_id=chain_id)


def connect(settings: LedgerSettings) -> ChainHandle:
    """Connect to the chain the settings name (the local node must already run)."""
    if settings.chain == "memory":
        return memory_chain()
    if settings.chain == "local":
        node = load_config(settings.localnode_config)
        return http_chain(node.url, "local", node.chain_id, poa=False)
    if not settings.rpc_url:
        raise ChainUnavailableError("LEDGER_CHAIN=rpc needs LEDGER_RPC_URL")
    return http_chain(settings.rpc_url, "rpc", settings.chain_id, poa=settings.poa)


def send_signed(handle: ChainHandle, account: LocalAccount, tx: TxParams) -> Any:
    """Sign with a local key, send and wait for the receipt (setup paths: deploy, funding)."""
    w3 = handle.w3
    full: dict[str, Any] = {
        "chainId": handle.chain_id,
        "nonce": w3.eth.get_transaction_count(account.address, "pending"),
        **handle.fee_fields(),
        **tx,
    }
    if "gas" not in full:
        estimate_input = {k: v for k, v in full.items() if k != "nonce"}
        full["gas"] = int(w3.eth.estimate_gas(estimate_input) * 1.2)  # type: ignore[arg-type]
    signed = account.sign_transaction(full)
    tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=120)
    if receipt["status"] != 1:
        raise RuntimeError(f"transaction {tx_hash.hex()} reverted")
    return receipt
