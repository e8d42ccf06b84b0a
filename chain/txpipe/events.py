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


class _Plan:
    """How one event's log decodes: its name, indexed parameters (name, type, only a
    hash in the topic) and the names and types of the data's parameters (worked out
    once per event, not per log)."""

    __slots__ = ("indexed", "name", "plain_names", "plain_types")

    def __init__(self, entry: AbiEntry) -> None:
        inputs = list(entry.get("inputs", []))
        self.name = str(entry["name"])
        self.indexed = [(str(p["name"]), abi_type(p), _is_dynamic(p))
                        for p in inputs if p.get("indexed")]  # fmt: skip
        plain = [p for p in inputs if not p.get("indexed")]
        self.plain_names = [str(p["name"]) for p in plain]
        self.plain_types = [abi_type(p) for p in plain]


class EventDecoder:
    """topic0 -> event ABI for one or more ABIs; decodes logs into JSON-ready dicts."""

    def __init__(self, abis: Iterable[Sequence[AbiEntry]] = ()) -> None:
        self._events: dict[bytes, _Plan] = {}
        for abi in abis:
            self.add(abi)

    def add(self, abi: Sequence[AbiEntry]) -> None:
        for entry in abi:
            if entry.get("type") == "event" and not entry.get("anonymous"):
                topic = event_abi_to_log_topic(cast(Any, dict(entry)))
                if topic not in self._events:
                    self._events[topic] = _Plan(entry)

    def decode(self, log: Mapping[str, Any]) -> dict[str, Any] | None:
        """``{"event", "args", "address", "log_index"}`` or None for an unknown log."""
        topics = [_raw(t) for t in log.get("topics", [])]
        plan = self._events.get(topics[0]) if topics else None
        if plan is None:
            return None
        values: dict[str, Any] = {}
        try:
            for (name, kind, dynamic), topic in zip(plan.indexed, topics[1:], strict=False):
                if dynamic:  # only the hash of a dynamic value is in the topic
                    values[name] = "0x" + topic.hex()
                else:
                    (values[name],) = decode([kind], topic)
            decoded = decode(plan.plain_types, _raw(log.get("data", b"")))
            for name, value in zip(plan.plain_names, decoded, strict=True):
                values[name] = value
        except Exception:  # a log that does not match its ABI: keep it out of the result
            return None
        return {
            "event": plan.name,
            "args": {k: jsonable(v) for k, v in values.items()},
            "address": str(log.get("address")),
            "log_index": int(log.get("logIndex", 0)),
        }

    def decode_all(self, logs: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        return [e for e in (self.decode(log) for log in logs) if e is not None]
