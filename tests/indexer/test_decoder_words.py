"""The decoder's word readers give eth_abi's records, and irregular data goes to eth_abi."""

from __future__ import annotations

import random
from typing import Any

import pytest
from eth_abi import encode
from eth_abi.exceptions import DecodingError
from eth_utils.address import to_checksum_address

from chain.artifacts import load
from chain.indexer.decoder import ContractSpec, LogDecoder, _address, abi_type, event_topic
from chain.indexer.runner import FOLLOWED_CONTRACTS

ADDRESS = "0x" + "42" * 20


def _value(rng: random.Random, param: dict[str, Any]) -> Any:
    kind = str(param["type"])
    if kind.endswith("]"):
        inner = {**param, "type": kind[: kind.rindex("[")]}
        count_text = kind[kind.rindex("[") + 1 : -1]
        count = int(count_text) if count_text else rng.randint(0, 4)
        return [_value(rng, inner) for _ in range(count)]
    if kind == "tuple":
        return tuple(_value(rng, c) for c in param["components"])
    if kind == "address":
        return "0x" + rng.randbytes(20).hex()
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "bytes":
        return rng.randbytes(rng.choice([0, 1, 31, 32, 33, 70]))
    if kind == "string":
        return rng.choice(["", "qingdao", "青岛数据资产", "x" * 40])
    if kind.startswith("uint"):
        bits = int(kind[4:])
        return rng.choice([0, 1, (1 << bits) - 1, rng.getrandbits(bits)])
    if kind.startswith("int"):
        bits = int(kind[3:])
        return rng.choice([0, -1, -(1 << (bits - 1)), (1 << (bits - 1)) - 1])
    if kind.startswith("bytes"):
        return rng.randbytes(int(kind[5:]))
    raise AssertionError(kind)


def _log(event: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    topics = [event_topic(event)]
    data_types, data_values = [], []
    for param in event["inputs"]:
        value = _value(rng, param)
        if param.get("indexed"):
            if abi_type(param) in ("string", "bytes") or abi_type(param).endswith("]"):
                topics.append("0x" + rng.randbytes(32).hex())  # a hash: kept as it is
            else:
                topics.append("0x" + encode([abi_type(param)], [value]).hex())
        else:
            data_types.append(abi_type(param))
            data_values.append(value)
    return {"address": ADDRESS, "topics": topics,
            "data": "0x" + encode(data_types, data_values).hex(), "blockNumber": "0x1",
            "blockHash": "0x" + "00" * 32, "transactionHash": "0x" + "11" * 32,
            "logIndex": "0x0"}  # fmt: skip


SYNTHETIC = {
    "type": "event",
    "name": "Everything",
    "anonymous": False,
    "inputs": [
        {"name": "who", "type": "address", "indexed": True},
        {"name": "level", "type": "int16", "indexed": True},
        {"name": "tag", "type": "string", "indexed": True},
        {"name": "flag", "type": "bool"},
        {"name": "delta", "type": "int256"},
        {"name": "short", "type": "bytes4"},
        {"name": "text", "type": "string"},
        {"name": "blob", "type": "bytes"},
        {"name": "pairs", "type": "uint8[2][]"},
        {"name": "names", "type": "string[]"},
        {"name": "fixed", "type": "address[3]"},
        {"name": "rec", "type": "tuple", "components": [
            {"name": "id", "type": "bytes32"}, {"name": "note", "type": "bytes"},
            {"name": "parts", "type": "tuple[]", "components": [
                {"name": "n", "type": "uint64"}, {"name": "s", "type": "string"}]},
        ]},
    ],
}  # fmt: skip


def _events() -> list[dict[str, Any]]:
    events = [SYNTHETIC]
    for name in (*FOLLOWED_CONTRACTS, "IndexerProbe"):
        events += [dict(i) for i in load(name).abi if i["type"] == "event"]
    return events


def test_word_readers_give_eth_abi_records_for_every_event_shape() -> None:
    rng = random.Random(15)
    events = _events()
    decoder = LogDecoder([ContractSpec("Probe", ADDRESS, events)])
    reference = LogDecoder([ContractSpec("Probe", ADDRESS, events)], words=False)
    checked = 0
    for event in events:
        for _ in range(8):
            log = _log(event, rng)
            ours, theirs = decoder.decode(log), reference.decode(log)
            assert ours is not None and theirs is not None
            assert ours == theirs, event["name"]
            checked += 1
    assert checked == 8 * len(events)


def _with_word(data: str, index: int, word: bytes) -> str:
    raw = bytearray(bytes.fromhex(data[2:]))
    raw[32 * index : 32 * index + 32] = word
    return "0x" + raw.hex()


def test_irregular_data_is_decoded_or_refused_by_eth_abi() -> None:
    event = {"type": "event", "name": "Small", "anonymous": False, "inputs": [
        {"name": "n", "type": "uint8"}, {"name": "ok", "type": "bool"},
        {"name": "who", "type": "address"}, {"name": "blob", "type": "bytes"},
    ]}  # fmt: skip
    decoder = LogDecoder([ContractSpec("Probe", ADDRESS, [event])])
    log = _log(event, random.Random(1))
    assert decoder.decode(log) is not None
    for index, word in ((0, (300).to_bytes(32, "big")), (1, (2).to_bytes(32, "big")),
                        (2, b"\x01" * 32), (3, (10**9).to_bytes(32, "big"))):  # fmt: skip
        bad = {**log, "data": _with_word(log["data"], index, word)}
        with pytest.raises(DecodingError):
            decoder.decode(bad)
    short = {**log, "data": log["data"][:-64]}
    with pytest.raises(DecodingError):
        decoder.decode(short)


def test_addresses_are_checksummed_as_eth_utils_does() -> None:
    rng = random.Random(55)
    samples = ["0x" + rng.randbytes(20).hex() for _ in range(500)]
    samples += ["0x" + "00" * 20, "0x" + "ff" * 20, "0x" + "AB" * 20]
    for sample in samples:
        assert _address(sample) == to_checksum_address(sample)
