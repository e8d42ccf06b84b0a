"""Struct readers: a view's or event's tuple as a dict named after the ABI components.

Bytes become 0x hex, nested structs dicts, arrays lists; numbers stay ints (enum members
stay their integer value; ``chain.bindings.enums`` names them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from web3.contract import Contract


def plain(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def named(param: Mapping[str, Any], value: Any) -> Any:
    """One ABI value by its parameter description (tuples become dicts)."""
    kind = str(param.get("type", ""))
    if kind == "tuple":
        components = param["components"]
        if isinstance(value, Mapping):
            return {c["name"]: named(c, value[c["name"]]) for c in components}
        return {c["name"]: named(c, v) for c, v in zip(components, value, strict=True)}
    if kind.startswith("tuple["):
        inner = {**param, "type": "tuple"}
        return [named(inner, v) for v in value]
    return plain(value)


def function_abi(contract: Contract, function: str) -> Mapping[str, Any]:
    for item in contract.abi:
        if item.get("type") == "function" and item.get("name") == function:
            return item
    raise LookupError(f"{function} is not a function of this contract")


def read(contract: Contract, function: str, *args: Any) -> Any:
    """Call a view and name its outputs: one output as its value (a struct as a dict),
    several as a dict by output name."""
    outputs: Sequence[Mapping[str, Any]] = function_abi(contract, function)["outputs"]
    value = contract.functions[function](*args).call()
    if len(outputs) == 1:
        return named(outputs[0], value)
    return {
        (o.get("name") or f"out{i}"): named(o, v)
        for i, (o, v) in enumerate(zip(outputs, value, strict=True))
    }


def read_struct(contract: Contract, function: str, *args: Any) -> dict[str, Any]:
    """A view returning one struct, as a dict."""
    value = read(contract, function, *args)
    if not isinstance(value, dict):
        raise TypeError(f"{function} does not return a struct")
    return value


def event_args(event_abi: Mapping[str, Any], args: Mapping[str, Any]) -> dict[str, Any]:
    """A decoded event's arguments by name, structs as dicts."""
    return {i["name"]: named(i, args[i["name"]]) for i in event_abi.get("inputs", [])}
