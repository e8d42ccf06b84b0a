"""Precompiled view calls: selector and ABI types built once per (contract, function).

``view_call(contract, function).encode(*args)`` is the calldata of an ``eth_call``;
``.decode(raw)`` names the answer exactly as :func:`chain.bindings.structs.read` does
(one output as its value, a struct as a dict, several outputs as a dict by name; bytes as
0x hex, addresses checksummed as web3 returns them). No web3 ``Contract`` is involved:
the gateway's read routes encode and decode with eth_abi straight, and batch the calls.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi.abi import decode, encode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from chain.artifacts import load
from chain.errors import abi_type


def _named(param: Mapping[str, Any], value: Any) -> Any:
    kind = str(param.get("type", ""))
    if kind == "tuple":
        return {c["name"]: _named(c, v) for c, v in zip(param["components"], value, strict=True)}
    if kind.endswith("]"):
        inner = {**param, "type": kind[: kind.rindex("[")]}
        return [_named(inner, v) for v in value]
    if kind == "address":
        return to_checksum_address(value)
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    return value


@dataclass(frozen=True)
class ViewCall:
    """One view function: its selector and the eth_abi types of inputs and outputs."""

    contract: str
    function: str
    selector: bytes
    inputs: tuple[str, ...]
    outputs: tuple[Mapping[str, Any], ...]
    output_types: tuple[str, ...]

    def encode(self, *args: Any) -> bytes:
        return self.selector + encode(list(self.inputs), list(args))

    def decode_raw(self, raw: bytes) -> tuple[Any, ...]:
        """The outputs as eth_abi decodes them (tuples, bytes, lowercase addresses)."""
        return tuple(decode(list(self.output_types), raw))

    def decode(self, raw: bytes) -> Any:
        values = self.decode_raw(raw)
        if len(self.outputs) == 1:
            return _named(self.outputs[0], values[0])
        return {
            (o.get("name") or f"out{i}"): _named(o, v)
            for i, (o, v) in enumerate(zip(self.outputs, values, strict=True))
        }


def _function(abi: Sequence[Mapping[str, Any]], function: str) -> Mapping[str, Any]:
    for item in abi:
        if item.get("type") == "function" and item.get("name") == function:
            return item
    raise LookupError(f"{function} is not a function of this contract")


@functools.cache
def view_call(contract: str, function: str) -> ViewCall:
    """The precompiled call of ``contract.function`` (the artifact's ABI, built once)."""
    item = _function(load(contract).abi, function)
    inputs = tuple(abi_type(i) for i in item["inputs"])
    signature = f"{function}({','.join(inputs)})"
    outputs = tuple(item["outputs"])
    return ViewCall(
        contract=contract,
        function=function,
        selector=keccak(text=signature)[:4],
        inputs=inputs,
        outputs=outputs,
        output_types=tuple(abi_type(o) for o in outputs),
    )
