"""Log decoding throughput: the indexer's raw decoder against web3's ``process_log``.

Builds N synthetic ``PaymentSettled`` and ``CertificateIssued`` logs (ABI-encoded exactly
as the contracts emit them), then decodes them both ways in the same run and writes
``bench/results/log_decoding.json``. The baseline is web3's contract-event
``process_log`` over the same logs; the ratio is what the indexer gains by decoding raw
JSON-RPC logs with eth_abi directly.

    .venv/bin/python bench/log_decoding.py [--count 20000]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # run as a script: `python bench/log_decoding.py`
    sys.path.insert(0, str(REPO_ROOT))

from eth_abi import encode  # noqa: E402
from hexbytes import HexBytes  # noqa: E402
from web3 import Web3  # noqa: E402

from bench.support.machine import finish, machine, results_dir  # noqa: E402
from chain.artifacts import load  # noqa: E402
from chain.bindings.contracts import REGISTRY, SPLIT  # noqa: E402
from chain.indexer.decoder import (  # noqa: E402
    ContractSpec,
    LogDecoder,
    _address,
    abi_type,
    event_topic,
)

RESULTS_NAME = "log_decoding.json"
ADDRESS = "0x00000000000000000000000000000000000000A1"


def _event(abi: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(item for item in abi if item.get("type") == "event" and item["name"] == name)


def _sample(param: dict[str, Any], i: int) -> Any:
    kind = abi_type(param)
    if kind.startswith("("):
        return tuple(_sample(c, i + n) for n, c in enumerate(param["components"]))
    if kind == "address":
        return Web3.to_checksum_address("0x" + f"{i + 1:040x}")
    if kind == "bool":
        return i % 2 == 0
    if kind.startswith("bytes"):
        size = int(kind[5:]) if kind != "bytes" else 32
        return (i + 7).to_bytes(size, "big")
    if kind.endswith("[]"):
        return []
    bits = int(kind.removeprefix("uint") or 256) if kind.startswith("uint") else 8
    if bits <= 8:  # enums: a valid member
        return i % 4
    return (i * 7919) % 2 ** min(bits, 31)


def synthetic_logs(abi: list[dict[str, Any]], name: str, count: int) -> list[dict[str, Any]]:
    event = _event(abi, name)
    topic0 = event_topic(event)
    logs = []
    for i in range(count):
        topics = [topic0]
        data_types, data_values = [], []
        for param in event["inputs"]:
            value = _sample(param, i)
            if param.get("indexed"):
                topics.append("0x" + encode([abi_type(param)], [value]).hex())
            else:
                data_types.append(abi_type(param))
                data_values.append(value)
        logs.append(
            {
                "address": ADDRESS,
                "topics": topics,
                "data": "0x" + encode(data_types, data_values).hex(),
                "blockNumber": hex(1 + i // 10),
                "blockHash": "0x" + f"{1 + i // 10:064x}",
                "transactionHash": "0x" + f"{i + 1:064x}",
                "transactionIndex": "0x0",
                "logIndex": hex(i % 10),
                "removed": False,
            }
        )
    return logs


def as_web3_log(raw: dict[str, Any]) -> dict[str, Any]:
    return {
        "address": Web3.to_checksum_address(raw["address"]),
        "topics": [HexBytes(t) for t in raw["topics"]],
        "data": HexBytes(raw["data"]),
        "blockNumber": int(raw["blockNumber"], 16),
        "blockHash": HexBytes(raw["blockHash"]),
        "transactionHash": HexBytes(raw["transactionHash"]),
        "transactionIndex": 0,
        "logIndex": int(raw["logIndex"], 16),
        "removed": False,
    }


def run(count: int, info: dict[str, Any]) -> dict[str, Any]:
    w3 = Web3()
    registry_abi = load(REGISTRY).abi
    split_abi = load(SPLIT).abi
    half = count // 2
    cases = [(SPLIT, split_abi, "PaymentSettled"), (REGISTRY, registry_abi, "CertificateIssued")]
    results = []
    for contract_name, abi, event_name in cases:
        raw = synthetic_logs(abi, event_name, half)
        web3_logs = [as_web3_log(log) for log in raw]
        contract = w3.eth.contract(address=Web3.to_checksum_address(ADDRESS), abi=abi)
        event = getattr(contract.events, event_name)()
        started = time.perf_counter()
        baseline = [event.process_log(log) for log in web3_logs]
        web3_seconds = time.perf_counter() - started
        spec = ContractSpec(contract_name, ADDRESS, abi)
        _address.cache_clear()
        started = time.perf_counter()
        generic = LogDecoder([spec], words=False).decode_all(raw)
        eth_abi_seconds = time.perf_counter() - started
        _address.cache_clear()
        started = time.perf_counter()
        ours = LogDecoder([spec]).decode_all(raw)
        raw_seconds = time.perf_counter() - started
        assert [d.args for d in ours] == [d.args for d in generic]
        assert len(ours) == len(baseline) == half
        assert all(d.event == event_name for d in ours)
        results.append(
            {
                "event": f"{contract_name}.{event_name}",
                "logs": half,
                "web3_process_log_per_s": half / web3_seconds,
                "eth_abi_decoder_per_s": half / eth_abi_seconds,
                "raw_decoder_per_s": half / raw_seconds,
                "ratio": web3_seconds / raw_seconds,
                "x_eth_abi_decoder": eth_abi_seconds / raw_seconds,
            }
        )
    return {
        "benchmark": "log_decoding",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": finish(info),
        "baseline": "web3 ContractEvent.process_log over the same logs",
        "results": results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20_000)
    info = machine()
    report = run(parser.parse_args().count, info)
    print(f"{'event':40} {'web3 logs/s':>12} {'raw logs/s':>12} {'x':>6}")
    for row in report["results"]:
        print(
            f"{row['event']:40} {row['web3_process_log_per_s']:12,.0f} "
            f"{row['raw_decoder_per_s']:12,.0f} {row['ratio']:6.1f}"
        )
    (results_dir() / RESULTS_NAME).write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
