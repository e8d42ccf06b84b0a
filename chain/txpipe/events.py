"""Decode raw logs (no web3 contract objects needed).

An event whose every parameter the indexer's word readers know (``chain.indexer.decoder``)
is read straight from the log's 32-byte words; anything else, and any log those readers
do not accept as well-formed, goes through eth_abi. Both give eth_abi's values as JSON:
bytes as ``0x`` hex, addresses in lower case, tuples as lists, indexed parameters first
(the form the operations' stored events have always had).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, cast

from eth_abi.abi import decode
from eth_utils.abi import event_abi_to_log_topic
from eth_utils.conversions import to_bytes

from chain.errors import abi_type, jsonable
from chain.indexer.decoder import JSONRecord, word_reader

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

    __slots__ = ("conform", "indexed", "name", "order", "plain_names", "plain_types", "words")

    def __init__(self, entry: AbiEntry) -> None:
        inputs = list(entry.get("inputs", []))
        self.name = str(entry["name"])
        self.indexed = [(str(p["name"]), abi_type(p), _is_dynamic(p))
                        for p in inputs if p.get("indexed")]  # fmt: skip
        plain = [p for p in inputs if not p.get("indexed")]
        self.plain_names = [str(p["name"]) for p in plain]
        self.plain_types = [abi_type(p) for p in plain]
        self.order = [name for name, _, _ in self.indexed] + self.plain_names
        by_name = {str(p["name"]): _as_eth_abi(p) for p in inputs}
        self.conform = [(name, by_name[name]) for name in self.order]
        #: the word readers, when they know every parameter (and names are distinct)
        self.words: Callable[[Sequence[str], str], JSONRecord] | None = (
            word_reader(entry) if len(set(self.order)) == len(self.order) else None
        )


def _hexstr(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    text = str(value)
    return text.lower() if text.startswith("0x") else "0x" + text.lower()


def _identity(value: Any) -> Any:
    return value


def _lower(value: Any) -> Any:
    return str(value).lower()


def _as_eth_abi(param: Mapping[str, Any]) -> Callable[[Any], Any]:
    """How a value the word readers give for ``param`` becomes what eth_abi gives, as
    JSON: addresses in lower case, structs (objects keyed by component) as lists."""
    kind = str(param["type"])
    if kind.endswith("]"):
        item = _as_eth_abi({**param, "type": kind[: kind.rindex("[")]})
        return lambda value: [item(v) for v in value]
    if kind == "tuple":
        parts = [_as_eth_abi(c) for c in param["components"]]
        return lambda value: [part(v) for part, v in zip(parts, value.values(), strict=True)]
    return _lower if kind == "address" else _identity


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
        given = list(log.get("topics", []))
        plan = self._events.get(_raw(given[0])) if given else None
        if plan is None:
            return None
        if plan.words is not None:
            try:
                read = plan.words([_hexstr(t) for t in given], _hexstr(log.get("data", b"")))
                return {
                    "event": plan.name,
                    "args": {name: conform(read[name]) for name, conform in plan.conform},
                    "address": str(log.get("address")),
                    "log_index": int(log.get("logIndex", 0)),
                }
            except Exception:  # not well-formed for the word readers: eth_abi decides
                pass
        return self._decode_with_eth_abi(plan, [_raw(t) for t in given], log)

    @staticmethod
    def _decode_with_eth_abi(
        plan: _Plan, topics: list[bytes], log: Mapping[str, Any]
    ) -> dict[str, Any] | None:
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
