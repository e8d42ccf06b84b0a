"""Decode raw logs with eth_abi (fast, no web3 contract objects needed)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

from eth_abi.abi import decode
from eth_utils.abi import event_abi_to_log_topic
from eth_utils.conversions import to_bytes

from chain.errors import abi_type, jsonable

AbiEntry = Mapping[str, Any]

_DYNAMIC = ("string", "bytes")


def _is_dynamic(param: Mapping[str, Any]) -> bool:
    kind = str(param["type"])
    return kind in _DYNAMIC or kind.endswith("]") or kind.startswith("tuple")


def _raw(value: Any) -> bytes:
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    return to_bytes(hexstr=str(value))


class EventDecoder:
    """topic0 -> event ABI for one or more ABIs; decodes logs into JSON-ready dicts."""

    def __init__(self, abis: Iterable[Sequence[AbiEntry]] = ()) -> None:
        self._events: dict[bytes, AbiEntry] = {}
        for abi in abis:
            self.add(abi)

    def add(self, abi: Sequence[AbiEntry]) -> None:
        for entry in abi:
            if entry.get("type") == "event" and not entry.get("anonymous"):
                self._events.setdefault(event_abi_to_log_topic(cast(Any, dict(entry))), entry)

    def decode(self, log: Mapping[str, Any]) -> dict[str, Any] | None:
        """``{"event", "args", "address", "log_index"}`` or None for an unknown log."""
        topics = [_raw(t) for t in log.get("topics", [])]
        if not topics or topics[0] not in self._events:
            return None
        entry = self._events[topics[0]]
        inputs = list(entry.get("inputs", []))
        indexed = [p for p in inputs if p.get("indexed")]
        plain = [p for p in inputs if not p.get("indexed")]
        values: dict[str, Any] = {}
        try:
            for param, topic in zip(indexed, topics[1:], strict=False):
                if _is_dynamic(param):  # only the hash of a dynamic value is in the topic
                    values[param["name"]] = "0x" + topic.hex()
                else:
                    (values[param["name"]],) = decode([abi_type(param)], topic)
            decoded = decode([abi_type(p) for p in plain], _raw(log.get("data", b"")))
            for param, value in zip(plain, decoded, strict=True):
                values[param["name"]] = value
        except Exception:  # a log that does not match its ABI: keep it out of the result
            return None
        return {
            "event": str(entry["name"]),
            "args": {k: jsonable(v) for k, v in values.items()},
            "address": str(log.get("address")),
            "log_index": int(log.get("logIndex", 0)),
        }

    def decode_all(self, logs: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        return [e for e in (self.decode(log) for log in logs) if e is not None]
