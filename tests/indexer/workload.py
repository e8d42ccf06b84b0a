"""Random ledger-shaped workloads: real event shapes emitted through the probe's raw logs."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any

from eth_abi.abi import encode
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3

from chain.artifacts import load
from chain.indexer.decoder import abi_type, event_topic
from chain.indexer.models import INDEXER_TABLES, Checkpoint, RawEvent

LEDGER_EVENTS = {
    item["name"]: item
    for name in ("AssetRegistry", "RevenueSplit")
    for item in load(name).abi
    if item["type"] == "event"
}
POOLS = {
    "assetId": "asset", "certificateId": "cert", "orgId": "org", "actorOrgId": "org",
    "paymentId": "payment", "financingId": "financing", "applicationId": "application",
    "agreementId": "agreement", "holderOrgId": "org", "registrarOrgId": "org",
    "replacedBy": "cert", "operatorOrgId": "org", "payerOrgId": "org", "financeOrgId": "org",
    "counterpartyOrgId": "org",
}  # fmt: skip
ENUM_LIMITS = {"status": 4, "kind": 3, "compliance": 3, "settlement": 3}


def _random(param: Mapping[str, Any], rng: random.Random, pools: dict[str, list[str]]) -> Any:
    kind = str(param["type"])
    name = str(param.get("name", ""))
    if kind.endswith("[]"):
        inner = dict(param)
        inner["type"] = kind[:-2]
        return [_random(inner, rng, pools) for _ in range(rng.randrange(0, 4))]
    if kind == "tuple":
        return {c["name"]: _random(c, rng, pools) for c in param["components"]}
    if kind == "bytes32":
        pool = pools.setdefault(POOLS.get(name, name), [])
        if name in ("replacedBy", "revokedAt") and rng.random() < 0.6:
            return "0x" + "00" * 32
        if pool and rng.random() < 0.8:
            return rng.choice(pool)
        value = "0x" + rng.randbytes(32).hex()
        pool.append(value)
        return value
    if kind == "address":
        return Web3.to_checksum_address(rng.randbytes(20))
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "uint8":
        return rng.randrange(0, ENUM_LIMITS.get(name, 3))
    if kind.startswith("uint"):
        bits = int(kind[4:] or 256)
        if name in ("revokedAt",) and rng.random() < 0.6:
            return 0
        return rng.randrange(0, 2 ** (min(bits, 90) if bits >= 128 else min(bits, 62)))
    if kind.startswith("int"):
        return rng.randrange(-1000, 1000)
    if kind == "string":
        return "note-" + rng.randbytes(3).hex()
    raise ValueError(kind)


def _as_abi(param: Mapping[str, Any], value: Any) -> Any:
    kind = str(param["type"])
    if kind.endswith("[]"):
        inner = dict(param)
        inner["type"] = kind[:-2]
        return [_as_abi(inner, v) for v in value]
    if kind == "tuple":
        return tuple(_as_abi(c, value[c["name"]]) for c in param["components"])
    if kind.startswith("bytes") and isinstance(value, str):
        return bytes.fromhex(value[2:])
    return value


def encode_log(event: Mapping[str, Any], values: Mapping[str, Any]) -> tuple[list[bytes], bytes]:
    """(topics, data) of an event with the given argument values."""
    topics = [bytes.fromhex(event_topic(event)[2:])]
    types: list[str] = []
    data: list[Any] = []
    for param in event["inputs"]:
        value = _as_abi(param, values[param["name"]])
        if param.get("indexed"):
            topics.append(encode([abi_type(param)], [value]))
        else:
            types.append(abi_type(param))
            data.append(value)
    return topics, encode(types, data)


class Workload:
    """Emits random ledger events through the probe, remembering ids to reuse."""

    def __init__(self, probe: Any, seed: int) -> None:
        self.probe = probe
        self.rng = random.Random(seed)
        self.pools: dict[str, list[str]] = {}
        self.names = sorted(LEDGER_EVENTS)
        self.emitted = 0

    def random_event(self) -> tuple[list[bytes], bytes]:
        event = LEDGER_EVENTS[self.rng.choice(self.names)]
        values = {p["name"]: _random(p, self.rng, self.pools) for p in event["inputs"]}
        return encode_log(event, values)

    def transact(self, events: int) -> Any:
        """One transaction (one block in automine) with ``events`` random events."""
        logs = [self.random_event() for _ in range(events)]
        tx = self.probe.functions.emitRawMany([t for t, _ in logs], [d for _, d in logs])
        receipt = self.probe.w3.eth.wait_for_transaction_receipt(tx.transact({"gas": 15_000_000}))
        assert receipt["status"] == 1
        self.emitted += events
        return receipt

    def run(self, transactions: int, events_per_tx: int = 3) -> None:
        for _ in range(transactions):
            self.transact(self.rng.randrange(1, events_per_tx + 1))


def store_snapshot(factory: sessionmaker[Session]) -> dict[str, list[tuple[Any, ...]]]:
    """Every indexer table as sorted rows (surrogate ids and wall-clock times left out)."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    skip = {"id", "updated_at", "reorgs", "events"}
    with factory() as session:
        for model in INDEXER_TABLES:
            if model is Checkpoint:
                continue
            table = model.__table__  # type: ignore[attr-defined]
            columns = [c for c in table.columns if c.name not in skip]
            rows = session.execute(select(*columns)).all()
            out[table.name] = sorted(tuple(repr(v) for v in row) for row in rows)
    return out


def event_keys(session: Session) -> list[tuple[str, int]]:
    return [(r.tx_hash, r.log_index) for r in session.scalars(select(RawEvent))]


def chain_log_keys(w3: Web3, address: str, from_block: int) -> list[tuple[str, int]]:
    logs = w3.provider.make_request(  # type: ignore[arg-type]
        "eth_getLogs", [{"fromBlock": hex(from_block), "toBlock": "latest", "address": address}]
    )["result"]
    return [(entry["transactionHash"].lower(), int(entry["logIndex"], 16)) for entry in logs]


def sequence(values: Sequence[Any]) -> list[Any]:
    return sorted(values)
