"""The few JSON-RPC calls the write path makes, without web3's per-call overhead.

Over HTTP the pipeline speaks JSON-RPC directly (:mod:`chain.json_http`: one keep-alive
connection per thread, no ``requests`` session with its cookie jar, environment merge and
request preparation, no formatting middleware): web3's middleware and ``requests`` cost
more CPU than the node's work for these calls. In memory mode (eth-tester in process) it
goes through web3, serialised by a lock because eth-tester is not thread-safe.
"""

from __future__ import annotations

import functools
import itertools
import threading
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from eth_utils.conversions import to_bytes
from web3 import Web3
from web3.exceptions import BlockNotFound, ContractLogicError, TransactionNotFound

from chain.clients import ChainHandle
from chain.errors import revert_data_of
from chain.json_http import JsonHttp


class RpcError(Exception):
    """The node answered with an error (``message`` as the node wrote it)."""

    def __init__(self, message: str, code: int | None = None, data: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.data = data


class RevertError(RpcError):
    """The call reverted; ``data`` is the revert data (hex or bytes) when the node gave it."""


class NodeUnreachable(Exception):
    """No answer from the node (connection refused, timeout)."""


def _int(value: Any) -> int:
    if isinstance(value, int):
        return value
    return int(str(value), 16)


def _hex(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    return str(value) if str(value).startswith("0x") else "0x" + str(value)


#: EIP-55 of the few addresses the pipeline meets again and again (signers, contracts, the
#: contracts whose logs receipts carry): a keccak each, once
checksummed = functools.lru_cache(maxsize=4096)(Web3.to_checksum_address)


def normalise_receipt(receipt: Any) -> dict[str, Any]:
    """A receipt with ints and hex strings, whatever client produced it."""
    return {
        "blockNumber": _int(receipt["blockNumber"]),
        "blockHash": _hex(receipt["blockHash"]),
        "status": _int(receipt["status"]),
        "gasUsed": _int(receipt["gasUsed"]),
        "transactionHash": _hex(receipt["transactionHash"]).lower(),
        "logs": [
            {
                "address": checksummed(str(log["address"])),
                "topics": [_hex(t) for t in log["topics"]],
                "data": _hex(log["data"]),
                "logIndex": _int(log["logIndex"]),
            }
            for log in receipt["logs"]
        ],
    }


class ChainRpc(Protocol):
    def call(self, tx: dict[str, Any], block: str | int = "latest") -> bytes: ...
    def call_many(self, txs: Sequence[dict[str, Any]]) -> list[bytes | Exception]: ...
    def estimate_gas(self, tx: dict[str, Any]) -> int: ...
    def simulate(self, tx: dict[str, Any]) -> int: ...
    def send_raw(self, raw: bytes) -> None: ...
    def send_raw_many(self, raws: list[bytes]) -> list[Exception | None]: ...
    def nonce(self, address: str, block: str = "pending") -> int: ...
    def receipt(self, tx_hash: str) -> dict[str, Any] | None: ...
    def receipts(self, tx_hashes: list[str]) -> list[dict[str, Any] | None]: ...
    def transaction(self, tx_hash: str) -> dict[str, Any] | None: ...
    def block_receipts(
        self, number: int, only: Collection[str] | None = None
    ) -> list[dict[str, Any]] | None: ...
    def block_number(self) -> int: ...
    def block_hash(self, number: int | str) -> tuple[int, str] | None: ...
    def head(self) -> Head | None: ...
    def block_transactions(self, number: int) -> list[tuple[str, int, str]] | None: ...


@dataclass(frozen=True)
class Head:
    """The chain's latest block: its number, hash and the share of its gas limit used."""

    number: int
    hash: str
    fill: float


def _head(block: Any) -> Head:
    """A block as a :class:`Head`. Its fill is 0 when the node leaves out the gas fields
    (the receipt tracker reads the head at every poll: a missing field must not read as a
    node that does not answer)."""
    limit = _int(block.get("gasLimit") or 0)
    used = _int(block.get("gasUsed") or 0)
    return Head(_int(block["number"]), _hex(block["hash"]).lower(), used / limit if limit else 0.0)


def _sender_nonce_hash(tx: Any) -> tuple[str, int, str]:
    return str(tx["from"]).lower(), _int(tx["nonce"]), _hex(tx["hash"]).lower()


def _json_tx(tx: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in tx.items():
        out[k] = hex(v) if isinstance(v, int) else v
    return out


def _result(answer: dict[str, Any]) -> Any:
    """The result of one JSON-RPC answer, or its error raised."""
    error = answer.get("error")
    if error:
        message = str(error.get("message", ""))
        data = error.get("data")
        if isinstance(data, dict):  # some nodes nest {"data": "0x..."}
            data = data.get("data")
        if error.get("code") == 3 or "revert" in message.lower():
            raise RevertError(message, error.get("code"), data)
        raise RpcError(message, error.get("code"), data)
    if not answer:
        raise RpcError("no answer in the batch")
    return answer.get("result")


class _NodeHttp(JsonHttp):
    def unreachable(self, exc: BaseException) -> Exception:
        return NodeUnreachable(f"{type(exc).__name__} from {self.url}")

    def server_error(self, status: int) -> Exception:
        return NodeUnreachable(f"HTTP {status} from {self.url}")


class HttpRpc:
    """Raw JSON-RPC over HTTP, one keep-alive connection per thread."""

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        self.url = url
        self.timeout = timeout
        self._ids = itertools.count(1)
        self._http = _NodeHttp(url, timeout)

    def _post(self, body: Any) -> Any:
        """POST one JSON-RPC body; the decoded answer. :class:`NodeUnreachable` when the
        node cannot be reached or answers a server error without a body."""
        return self._http.post(body)

    def request(self, method: str, params: list[Any]) -> Any:
        body: Any = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params}
        return _result(self._post(body))

    def _answers(self, calls: Sequence[tuple[str, list[Any]]]) -> list[dict[str, Any]]:
        """One JSON-RPC batch of ``calls``: the node's answer to each, in their order (``{}``
        for a call it left unanswered; its refusal of the whole batch for every call).
        :class:`NodeUnreachable` when the node does not answer."""
        first = next(self._ids)
        for _ in calls[1:]:
            next(self._ids)
        body: Any = [
            {"jsonrpc": "2.0", "id": first + i, "method": method, "params": params}
            for i, (method, params) in enumerate(calls)
        ]
        answers = self._post(body)
        if not isinstance(answers, list):  # the node refused the batch as a whole
            refused = isinstance(answers, dict) and answers.get("error")
            return [answers if refused else {"error": {"message": "batch refused"}}] * len(calls)
        by_id = {answer.get("id"): answer for answer in answers}
        return [by_id.get(first + i) or {} for i in range(len(calls))]

    def batch(self, calls: list[tuple[str, list[Any]]]) -> list[Any]:
        """Several calls in one JSON-RPC batch; each result, or the first error raised as
        :meth:`request` raises it (in the order of ``calls``)."""
        return [_result(answer) for answer in self._answers(calls)]

    def simulate(self, tx: dict[str, Any]) -> int:
        """eth_call and eth_estimateGas in one round trip; the gas estimate. Raises
        :class:`RevertError` when the call reverts."""
        call, estimate = self.batch(
            [("eth_call", [_json_tx(tx), "latest"]), ("eth_estimateGas", [_json_tx(tx)])]
        )
        del call
        return _int(estimate)

    def call(self, tx: dict[str, Any], block: str | int = "latest") -> bytes:
        tag = hex(block) if isinstance(block, int) else block
        return to_bytes(hexstr=self.request("eth_call", [_json_tx(tx), tag]) or "0x")

    def call_many(self, txs: Sequence[dict[str, Any]]) -> list[bytes | Exception]:
        """``eth_call`` of each transaction at the latest block, in one JSON-RPC batch;
        per call its result, or the error :meth:`call` would raise for it.
        :class:`NodeUnreachable` when the node does not answer."""
        if len(txs) == 1:
            try:
                return [self.call(txs[0])]
            except RpcError as exc:
                return [exc]
        outcomes: list[bytes | Exception] = []
        for answer in self._answers([("eth_call", [_json_tx(tx), "latest"]) for tx in txs]):
            try:
                outcomes.append(to_bytes(hexstr=_result(answer) or "0x"))
            except RpcError as exc:
                outcomes.append(exc)
        return outcomes

    def estimate_gas(self, tx: dict[str, Any]) -> int:
        return _int(self.request("eth_estimateGas", [_json_tx(tx)]))

    def send_raw(self, raw: bytes) -> None:
        self.request("eth_sendRawTransaction", ["0x" + raw.hex()])

    def send_raw_many(self, raws: list[bytes]) -> list[Exception | None]:
        """Send raw transactions in one JSON-RPC batch; per transaction None when the node
        took it, else its error. :class:`NodeUnreachable` when the node does not answer."""
        if len(raws) == 1:
            try:
                self.send_raw(raws[0])
                return [None]
            except RpcError as exc:
                return [exc]
        outcomes: list[Exception | None] = []
        for answer in self._answers([("eth_sendRawTransaction", ["0x" + r.hex()]) for r in raws]):
            error = answer.get("error")
            if not answer:
                outcomes.append(RpcError("no answer in the batch"))
            elif error:
                outcomes.append(RpcError(str(error.get("message", "")), error.get("code")))
            else:
                outcomes.append(None)
        return outcomes

    def nonce(self, address: str, block: str = "pending") -> int:
        return _int(self.request("eth_getTransactionCount", [address, block]))

    def receipt(self, tx_hash: str) -> dict[str, Any] | None:
        result = self.request("eth_getTransactionReceipt", [tx_hash])
        return None if result is None else normalise_receipt(result)

    def receipts(self, tx_hashes: list[str]) -> list[dict[str, Any] | None]:
        """The receipts of several transactions in one JSON-RPC batch (None: not mined)."""
        if len(tx_hashes) == 1:
            return [self.receipt(tx_hashes[0])]
        results = self.batch([("eth_getTransactionReceipt", [h]) for h in tx_hashes])
        return [None if r is None else normalise_receipt(r) for r in results]

    def transaction(self, tx_hash: str) -> dict[str, Any] | None:
        result = self.request("eth_getTransactionByHash", [tx_hash])
        return None if result is None else dict(result)

    def block_receipts(
        self, number: int, only: Collection[str] | None = None
    ) -> list[dict[str, Any]] | None:
        """Every receipt of a block in one call (those of the transactions in ``only``,
        lower-case hashes, when given: the others are not normalised); None when the block
        (or the method) is not there."""
        try:
            result = self.request("eth_getBlockReceipts", [hex(number)])
        except RpcError:
            return None
        if result is None:
            return None
        if only is not None:
            result = [r for r in result if str(r["transactionHash"]).lower() in only]
        return [normalise_receipt(r) for r in result]

    def block_number(self) -> int:
        return _int(self.request("eth_blockNumber", []))

    def block_hash(self, number: int | str) -> tuple[int, str] | None:
        """(number, hash) of a block (``"latest"`` for the head); None when there is none."""
        tag = hex(number) if isinstance(number, int) else number
        result = self.request("eth_getBlockByNumber", [tag, False])
        return None if result is None else (_int(result["number"]), str(result["hash"]).lower())

    def head(self) -> Head | None:
        """The latest block (None when the node has none)."""
        result = self.request("eth_getBlockByNumber", ["latest", False])
        return None if result is None else _head(result)

    def block_transactions(self, number: int) -> list[tuple[str, int, str]] | None:
        """(sender, nonce, hash) of each transaction of a block; None when there is none."""
        result = self.request("eth_getBlockByNumber", [hex(number), True])
        if result is None:
            return None
        return [_sender_nonce_hash(tx) for tx in result["transactions"]]


class Web3Rpc:
    """The same calls through web3 (eth-tester in process), one at a time."""

    def __init__(self, w3: Web3) -> None:
        self.w3 = w3
        self.lock = threading.RLock()

    def call(self, tx: dict[str, Any], block: str | int = "latest") -> bytes:
        with self.lock:
            try:
                return bytes(self.w3.eth.call(tx, block))  # type: ignore[arg-type]
            except ContractLogicError as exc:
                raise RevertError(str(exc), 3, revert_data_of(exc)) from exc

    def call_many(self, txs: Sequence[dict[str, Any]]) -> list[bytes | Exception]:
        """Each call in turn (an in-process chain has no batches to save), each with the
        outcome :meth:`call` gives it alone."""
        outcomes: list[bytes | Exception] = []
        for tx in txs:
            try:
                outcomes.append(self.call(tx))
            except Exception as exc:
                outcomes.append(exc)
        return outcomes

    def estimate_gas(self, tx: dict[str, Any]) -> int:
        with self.lock:
            try:
                return int(self.w3.eth.estimate_gas(tx))  # type: ignore[arg-type]
            except ContractLogicError as exc:
                raise RevertError(str(exc), 3, revert_data_of(exc)) from exc

    def simulate(self, tx: dict[str, Any]) -> int:
        self.call(tx)
        return self.estimate_gas(tx)

    def send_raw(self, raw: bytes) -> None:
        with self.lock:
            try:
                self.w3.eth.send_raw_transaction(raw)
            except Exception as exc:
                raise RpcError(str(exc)) from exc

    def send_raw_many(self, raws: list[bytes]) -> list[Exception | None]:
        outcomes: list[Exception | None] = []
        for raw in raws:
            try:
                self.send_raw(raw)
                outcomes.append(None)
            except RpcError as exc:
                outcomes.append(exc)
        return outcomes

    def nonce(self, address: str, block: str = "pending") -> int:
        with self.lock:
            account = Web3.to_checksum_address(address)
            return int(self.w3.eth.get_transaction_count(account, block))  # type: ignore[arg-type]

    def receipt(self, tx_hash: str) -> dict[str, Any] | None:
        with self.lock:
            try:
                found = self.w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
            except TransactionNotFound:
                return None
        return normalise_receipt(found)

    def receipts(self, tx_hashes: list[str]) -> list[dict[str, Any] | None]:
        return [self.receipt(h) for h in tx_hashes]

    def block_receipts(
        self, number: int, only: Collection[str] | None = None
    ) -> list[dict[str, Any]] | None:
        return None  # eth-tester has no eth_getBlockReceipts: receipts one by one

    def transaction(self, tx_hash: str) -> dict[str, Any] | None:
        with self.lock:
            try:
                found = self.w3.eth.get_transaction(tx_hash)  # type: ignore[arg-type]
            except TransactionNotFound:
                return None
        return {k: (_hex(v) if isinstance(v, bytes | bytearray) else v) for k, v in found.items()}

    def block_number(self) -> int:
        with self.lock:
            return int(self.w3.eth.block_number)

    def block_hash(self, number: int | str) -> tuple[int, str] | None:
        with self.lock:
            try:
                block = self.w3.eth.get_block(number)  # type: ignore[arg-type]
            except BlockNotFound:
                return None
        return int(block["number"]), _hex(block["hash"]).lower()

    def head(self) -> Head | None:
        with self.lock:
            try:
                block = self.w3.eth.get_block("latest")
            except BlockNotFound:
                return None
        return _head(block)

    def block_transactions(self, number: int) -> list[tuple[str, int, str]] | None:
        with self.lock:
            try:
                block = self.w3.eth.get_block(number, full_transactions=True)
            except BlockNotFound:
                return None
        return [_sender_nonce_hash(tx) for tx in block["transactions"]]


def rpc_for(handle: ChainHandle) -> ChainRpc:
    """Raw JSON-RPC for HTTP nodes, web3 for eth-tester (or any other provider)."""
    provider: Any = handle.w3.provider
    url = getattr(provider, "endpoint_uri", None)
    if handle.tester is None and isinstance(url, str) and url.startswith("http"):
        return HttpRpc(url)
    return Web3Rpc(handle.w3)
