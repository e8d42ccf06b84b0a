"""The receipt tracker's event decoding: the word readers and eth_abi agree on every event
of every contract the ledger builds, for values at the edges of their types."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from eth_abi.abi import encode
from eth_utils.abi import event_abi_to_log_topic
from eth_utils.crypto import keccak

from chain.artifacts import ARTIFACTS_DIR, load
from chain.errors import abi_type
from chain.txpipe.events import EventDecoder

CONTRACTS = sorted(p.stem for p in ARTIFACTS_DIR.glob("*.json") if p.stem != "manifest")
EVENTS = [
    (name, entry)
    for name in CONTRACTS
    for entry in load(name).abi
    if entry.get("type") == "event" and not entry.get("anonymous")
]


def sample(param: Mapping[str, Any], edge: bool) -> Any:
    """A value of the parameter's type: the largest or smallest the type holds (``edge``),
    or an ordinary one."""
    kind = str(param["type"])
    if kind.endswith("]"):
        inner = {**param, "type": kind[: kind.rindex("[")]}
        size = kind[kind.rindex("[") + 1 : -1]
        count = int(size) if size else (3 if edge else 0)
        return [sample(inner, edge) for _ in range(count)]
    if kind == "tuple":
        return tuple(sample(c, edge) for c in param["components"])
    if kind.startswith("uint"):
        return 2 ** int(kind[4:] or 256) - 1 if edge else 7
    if kind.startswith("int"):
        return -(2 ** (int(kind[3:] or 256) - 1)) if edge else -7
    if kind == "address":
        return "0x" + ("fF" * 20 if edge else "00" * 19 + "0a")
    if kind == "bool":
        return edge
    if kind == "string":
        return "数据资产 ledger \u00e9" if edge else ""
    if kind == "bytes":
        return bytes(range(70)) if edge else b""
    if kind.startswith("bytes"):
        return bytes([0xFF] * int(kind[5:])) if edge else bytes(int(kind[5:]))
    raise AssertionError(f"no sample for {kind}")


def log_of(entry: Mapping[str, Any], edge: bool) -> dict[str, Any]:
    topics = ["0x" + event_abi_to_log_topic(dict(entry)).hex()]  # type: ignore[arg-type]
    plain_types: list[str] = []
    plain_values: list[Any] = []
    for param in entry["inputs"]:
        value = sample(param, edge)
        encoded = encode([abi_type(param)], [value])
        if param.get("indexed"):
            dynamic = abi_type(param) in ("string", "bytes") or str(param["type"]).endswith(
                "]"
            ) or str(param["type"]).startswith("tuple")  # fmt: skip
            topics.append("0x" + (keccak(encoded) if dynamic else encoded).hex())
        else:
            plain_types.append(abi_type(param))
            plain_values.append(value)
    data = "0x" + encode(plain_types, plain_values).hex()
    return {"address": "0x" + "12" * 20, "topics": topics, "data": data, "logIndex": 3}


@pytest.mark.parametrize("edge", [True, False], ids=["edges", "ordinary"])
def test_word_readers_and_eth_abi_decode_every_ledger_event_alike(edge: bool) -> None:
    assert len(EVENTS) > 40  # the ledger's contracts and their interfaces
    read_by_words = 0
    for contract, entry in EVENTS:
        decoder = EventDecoder([load(contract).abi])
        log = log_of(entry, edge)
        decoded = decoder.decode(log)
        plan = decoder._events[bytes.fromhex(log["topics"][0][2:])]
        topics = [bytes.fromhex(t[2:]) for t in log["topics"]]
        assert decoded == decoder._decode_with_eth_abi(plan, topics, log), entry["name"]
        assert decoded is not None and decoded["event"] == entry["name"]
        assert plan.words is not None, entry["name"]
        # read from the words, not handed to eth_abi: the readers take the log as it is
        words = plan.words(log["topics"], log["data"])
        assert {name: conform(words[name]) for name, conform in plan.conform} == decoded["args"]
        read_by_words += 1
    assert read_by_words == len(EVENTS)


def test_a_log_the_word_readers_refuse_is_decided_by_eth_abi() -> None:
    entry = next(e for _, e in EVENTS if e["name"] == "Recorded")  # OutboxProbe's
    decoder = EventDecoder([load("OutboxProbe").abi])
    log = log_of(entry, edge=False)
    # the address word (last of the data) with bytes above the address's 20: eth_abi
    # refuses it too, so the log is left out rather than read wrong
    data = bytearray(bytes.fromhex(log["data"][2:]))
    data[-32] = 1
    assert decoder.decode({**log, "data": "0x" + data.hex()}) is None
    # bytes, not hex strings (another client's receipts): the same record
    raw = {**log, "topics": [bytes.fromhex(t[2:]) for t in log["topics"]],
           "data": bytes.fromhex(log["data"][2:])}  # fmt: skip
    assert decoder.decode(raw) == decoder.decode(log)
