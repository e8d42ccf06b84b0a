"""Raw JSON-RPC for the indexer: logs and block headers as the node answers them.

Over HTTP every call is one POST (a pooled connection, the body and the answer through
orjson), batches are one JSON-RPC batch; web3's request formatting and middleware are
left out. In-process providers (eth-tester) go through web3 and are turned into the same
hex-string shapes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import requests
from web3 import Web3
from web3.exceptions import BlockNotFound

HEADER_CHUNK = 250


class IndexerError(RuntimeError):
    """The indexer cannot continue (another chain or contract set in the store, RPC fault)."""


class LogsRefused(IndexerError):
    """The node refused an ``eth_getLogs`` range (too many results, too large a range)."""


class ChainMoved(RuntimeError):
    """The chain changed while a batch was being fetched; the step is retried."""


@dataclass(frozen=True)
class Header:
    number: int
    hash: str
    parent_hash: str
    timestamp: int


def _hex_int(value: Any) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)


def _hex_str(value: Any) -> str:
    if isinstance(value, str):
        return value.lower()
    return "0x" + bytes(value).hex()


class Rpc:
    """Raw JSON-RPC calls (results left undecoded; falls back when batching is missing)."""

    def __init__(self, w3: Web3, timeout: float = 30.0) -> None:
        self.w3 = w3
        self.timeout = timeout
        self._http = requests.Session()

    def call(self, method: str, params: list[Any]) -> Any:
        endpoint = getattr(self.w3.provider, "endpoint_uri", None)
        if endpoint:  # over HTTP without web3's request machinery
            body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
            response = self._post(str(endpoint), body)
        else:
            response = self.w3.provider.make_request(method, params)  # type: ignore[arg-type]
        if response.get("error"):
            raise IndexerError(f"{method} failed: {response['error']}")
        return response["result"]

    def batch(self, calls: Sequence[tuple[str, list[Any]]]) -> list[Any]:
        """One JSON-RPC batch over HTTP (one call at a time for in-process providers)."""
        if not calls:
            return []
        endpoint = getattr(self.w3.provider, "endpoint_uri", None)
        if not endpoint:
            return [self._call_in_process(method, params) for method, params in calls]
        body = [
            {"jsonrpc": "2.0", "id": i, "method": method, "params": params}
            for i, (method, params) in enumerate(calls)
        ]
        answers = self._post(str(endpoint), body)
        if isinstance(answers, dict):  # one error for the whole batch
            raise IndexerError(f"batch request failed: {answers.get('error')}")
        by_id = {int(a["id"]): a for a in answers}
        out = []
        for i, (method, _params) in enumerate(calls):
            answer = by_id.get(i)
            if answer is None or answer.get("error"):
                raise IndexerError(f"{method} failed: {answer and answer.get('error')}")
            out.append(answer["result"])
        return out

    def _post(self, endpoint: str, body: Any) -> Any:
        """One JSON-RPC POST (a call or a batch), the answer parsed with orjson."""
        try:
            response = self._http.post(
                endpoint,
                data=orjson.dumps(body),
                timeout=self.timeout,
                headers={"Content-Type": "application/json"},
            )
            response.raise_for_status()
            return orjson.loads(response.content)
        except (requests.RequestException, ValueError) as exc:
            raise IndexerError(f"request to {endpoint} failed: {exc}") from exc

    def _call_in_process(self, method: str, params: list[Any]) -> Any:
        """In-process providers (eth-tester) need web3's request formatting."""
        if method == "eth_getBlockByNumber":
            try:
                block = self.w3.eth.get_block(int(params[0], 16), False)
            except BlockNotFound:
                return None
            return dict(block)
        return self.call(method, params)

    def block_number(self) -> int:
        return _hex_int(self.call("eth_blockNumber", []))

    def headers(self, numbers: Sequence[int]) -> dict[int, Header]:
        """Headers by number; raises ChainMoved when one no longer exists."""
        found = self.maybe_headers(numbers)
        for number in numbers:
            if found.get(number) is None:
                raise ChainMoved(f"block {number} is not available")
        return {n: h for n, h in found.items() if h is not None}

    def maybe_headers(self, numbers: Sequence[int]) -> dict[int, Header | None]:
        out: dict[int, Header | None] = {}
        for start in range(0, len(numbers), HEADER_CHUNK):
            chunk = numbers[start : start + HEADER_CHUNK]
            results = self.batch([("eth_getBlockByNumber", [hex(n), False]) for n in chunk])
            for number, block in zip(chunk, results, strict=True):
                if block is None:
                    out[number] = None
                    continue
                out[number] = Header(
                    number=_hex_int(block["number"]),
                    hash=_hex_str(block["hash"]),
                    parent_hash=_hex_str(block["parentHash"]),
                    timestamp=_hex_int(block["timestamp"]),
                )
        return out

    def logs(self, addresses: list[str], from_block: int, to_block: int) -> list[dict[str, Any]]:
        if not getattr(self.w3.provider, "endpoint_uri", None):
            # In-process providers (eth-tester) need web3's request formatting.
            entries = self.w3.eth.get_logs(
                {
                    "fromBlock": from_block,
                    "toBlock": to_block,
                    "address": [Web3.to_checksum_address(a) for a in addresses],
                }
            )
            return [_raw_log(entry) for entry in entries]
        endpoint = str(self.w3.provider.endpoint_uri)  # type: ignore[attr-defined]
        params = [{"fromBlock": hex(from_block), "toBlock": hex(to_block), "address": addresses}]
        answer = self._post(endpoint, {"jsonrpc": "2.0", "id": 1, "method": "eth_getLogs",
                                       "params": params})  # fmt: skip
        if answer.get("error"):
            raise LogsRefused(f"eth_getLogs failed: {answer['error']}")
        result: list[dict[str, Any]] = answer["result"]
        return result  # JSON-RPC hex strings already


def _raw_log(entry: Mapping[str, Any]) -> dict[str, Any]:
    """A log as JSON-RPC hex strings (eth-tester's provider hands back bytes and ints)."""
    if isinstance(entry.get("blockNumber"), str) and isinstance(entry.get("data"), str):
        return dict(entry)
    return {
        "address": str(entry["address"]),
        "topics": [_hex_str(t) for t in entry["topics"]],
        "data": _hex_str(entry["data"]),
        "blockNumber": hex(int(entry["blockNumber"])),
        "blockHash": _hex_str(entry["blockHash"]),
        "transactionHash": _hex_str(entry["transactionHash"]),
        "logIndex": hex(int(entry["logIndex"])),
        "removed": bool(entry.get("removed", False)),
    }
