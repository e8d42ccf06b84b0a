"""Decode raw ``eth_getLogs`` results with eth_abi directly.

web3's ``process_log`` decodes ~3,600 events/s here; decoding the raw JSON-RPC result
with a precomputed ``(address, topic0) -> event`` map does tens of thousands per second.
Decoded arguments are JSON values: bytes as ``0x`` hex, addresses checksummed, structs as
objects keyed by component name, integers as integers.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

Normaliser = Callable[[Any], Any]
JSONRecord = dict[str, Any]


@dataclass(frozen=True)
class ContractSpec:
    """One contract the indexer follows."""

    name: str
    address: str
    abi: Sequence[Mapping[str, Any]]


@dataclass(frozen=True)
class DecodedLog:
    contract: str
    address: str
    event: str
    args: JSONRecord
    block_number: int
    block_hash: str
    tx_hash: str
    log_index: int


def abi_type(param: Mapping[str, Any]) -> str:
    """The canonical type string of an ABI parameter (tuples expanded)."""
    kind = str(param["type"])
    if kind.startswith("tuple"):
        inner = ",".join(abi_type(c) for c in param["components"])
        return f"({inner}){kind[len('tuple'):]}"
    return kind


def event_signature(event: Mapping[str, Any]) -> str:
    return f"{event['name']}({','.join(abi_type(i) for i in event['inputs'])})"


def event_topic(event: Mapping[str, Any]) -> str:
    return "0x" + keccak(text=event_signature(event)).hex()


def _hex(value: Any) -> str:
    return "0x" + bytes(value).hex()


def _identity(value: Any) -> Any:
    return value


@functools.lru_cache(maxsize=65_536)
def _address(value: Any) -> str:
    """Checksummed (a keccak per address: remembered, a ledger reuses its accounts)."""
    return str(to_checksum_address(value))


def normaliser(param: Mapping[str, Any]) -> Normaliser:
    """A function turning eth_abi's value for ``param`` into a JSON value."""
    kind = str(param["type"])
    if kind.endswith("]"):
        inner = dict(param)
        inner["type"] = kind[: kind.rindex("[")]
        item = normaliser(inner)
        return lambda values: [item(v) for v in values]
    if kind == "tuple":
        names = [str(c["name"]) for c in param["components"]]
        parts = [normaliser(c) for c in param["components"]]
        pairs = list(zip(names, parts, strict=True))
        return lambda values: {n: f(v) for (n, f), v in zip(pairs, values, strict=True)}
    if kind == "address":
        return _address
    if kind.startswith("bytes"):
        return _hex
    return _identity


def _is_dynamic(param: Mapping[str, Any]) -> bool:
    kind = str(param["type"])
    return kind in ("string", "bytes") or kind.endswith("]") or kind.startswith("tuple")


@dataclass(frozen=True)
class _EventDecoder:
    contract: str
    name: str
    indexed: tuple[tuple[str, str, Normaliser | None], ...]  # name, type, None = keep hash
    data_names: tuple[str, ...]
    data_types: tuple[str, ...]
    data_norms: tuple[Normaliser, ...]
    order: tuple[str, ...]

    def decode(self, topics: Sequence[str], data: str) -> JSONRecord:
        values: dict[str, Any] = {}
        for (name, kind, norm), topic in zip(self.indexed, topics[1:], strict=True):
            if norm is None:
                values[name] = topic
            else:
                values[name] = norm(abi_decode([kind], bytes.fromhex(topic[2:]))[0])
        if self.data_types:
            decoded = abi_decode(list(self.data_types), bytes.fromhex(data[2:]))
            for name, norm, value in zip(self.data_names, self.data_norms, decoded, strict=True):
                values[name] = norm(value)
        return {name: values[name] for name in self.order}


def _event_decoder(contract: str, event: Mapping[str, Any]) -> _EventDecoder:
    indexed: list[tuple[str, str, Normaliser | None]] = []
    names: list[str] = []
    types: list[str] = []
    norms: list[Normaliser] = []
    for param in event["inputs"]:
        if param.get("indexed"):
            norm = None if _is_dynamic(param) else normaliser(param)
            indexed.append((str(param["name"]), abi_type(param), norm))
        else:
            names.append(str(param["name"]))
            types.append(abi_type(param))
            norms.append(normaliser(param))
    return _EventDecoder(
        contract=contract,
        name=str(event["name"]),
        indexed=tuple(indexed),
        data_names=tuple(names),
        data_types=tuple(types),
        data_norms=tuple(norms),
        order=tuple(str(p["name"]) for p in event["inputs"]),
    )


class UnknownLog(LookupError):
    """A log whose address and topic0 match no event of the followed contracts."""


class LogDecoder:
    """Decodes raw logs of a fixed set of contracts: ``(address, topic0) -> event``."""

    def __init__(self, contracts: Iterable[ContractSpec]) -> None:
        self.contracts = tuple(contracts)
        self._by_key: dict[tuple[str, str], _EventDecoder] = {}
        for spec in self.contracts:
            address = spec.address.lower()
            for item in spec.abi:
                if item.get("type") != "event" or item.get("anonymous"):
                    continue
                self._by_key[(address, event_topic(item))] = _event_decoder(spec.name, item)

    @property
    def addresses(self) -> list[str]:
        return [str(to_checksum_address(c.address)) for c in self.contracts]

    def event_names(self) -> set[str]:
        return {d.name for d in self._by_key.values()}

    def decode(self, log: Mapping[str, Any]) -> DecodedLog | None:
        """Decode one raw JSON-RPC log (hex strings); None for logs of unknown events."""
        topics: Sequence[str] = log["topics"]
        if not topics:
            return None
        decoder = self._by_key.get((str(log["address"]).lower(), str(topics[0]).lower()))
        if decoder is None:
            return None
        return DecodedLog(
            contract=decoder.contract,
            address=_address(str(log["address"]).lower()),
            event=decoder.name,
            args=decoder.decode(topics, str(log["data"])),
            block_number=int(log["blockNumber"], 16),
            block_hash=str(log["blockHash"]).lower(),
            tx_hash=str(log["transactionHash"]).lower(),
            log_index=int(log["logIndex"], 16),
        )

    def decode_all(self, logs: Iterable[Mapping[str, Any]]) -> list[DecodedLog]:
        out: list[DecodedLog] = []
        for log in logs:
            if log.get("removed"):
                continue
            decoded = self.decode(log)
            if decoded is not None:
                out.append(decoded)
        return out
