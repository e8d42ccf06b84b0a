"""Random ledger-shaped workloads: the v2 contracts' real event shapes emitted through the
probe's raw logs."""

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
from chain.indexer.runner import FOLLOWED_CONTRACTS

LEDGER_EVENTS = {
    item["name"]: item
    for name in FOLLOWED_CONTRACTS
    for item in load(name).abi
    if item["type"] == "event"
}
POOLS = {
    "assetId": "asset", "certificateId": "cert", "orgId": "org", "actorOrgId": "org",
    "paymentId": "payment", "financingId": "financing", "applicationId": "application",
    "agreementId": "agreement", "holderOrgId": "org", "registrarOrgId": "org",
    "replacedBy": "cert", "operatorOrgId": "org", "payerOrgId": "org", "financeOrgId": "org",
    "counterpartyOrgId": "org", "objectionId": "objection", "proposalId": "proposal",
    "objectorOrgId": "org", "proposerOrgId": "org", "partnerOrgId": "org", "supersedes": "cert",
    "currentCertificateId": "cert",
}  # fmt: skip
ENUM_LIMITS = {"status": 4, "kind": 3, "compliance": 3, "settlement": 3, "action": 4}
#: Small integers that name something another event names too (directory indexes, cities),
#: and counts the contracts keep small (k of n registrars: the store holds them as INTEGER).
SMALL_INTS = {
    "index": 12, "actorOrgIndex": 12, "city": 4, "threshold": 5, "activeRegistrars": 9,
    "approvals": 5,
}  # fmt: skip
ADDRESS_POOL = ("account", "previous")


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
        if name in ADDRESS_POOL:
            pool = pools.setdefault("address", [])
            if pool and rng.random() < 0.7:
                return rng.choice(pool)
            value = Web3.to_checksum_address(rng.randbytes(20))
            pool.append(value)
            return value
        return Web3.to_checksum_address(rng.randbytes(20))
    if kind == "bytes":
        return "0x" + rng.randbytes(rng.randrange(0, 100)).hex()
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "uint8":
        return rng.randrange(0, ENUM_LIMITS.get(name, 3))
    if kind.startswith("uint") and name in SMALL_INTS:
        return rng.randrange(1, SMALL_INTS[name] + 1)
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


class _Call:
    def __init__(self, value: Any) -> None:
        self.value = value

    def call(self, block_identifier: int | None = None) -> Any:
        return self.value


class StoreViews:
    """Stands in for the v2 registry's and revenue split's views (certificateStatus,
    isRecognised, usability, paymentStatus, outstandingRemittance), answering from a
    store: from a snapshot taken now (``live=False``) or at the time of each call."""

    def __init__(self, factory: sessionmaker[Session], live: bool = False) -> None:
        self.functions = self
        self.factory = factory
        self.live = live
        self._snapshot = None if live else self._answers()

    def _answers(self) -> dict[str, Any]:
        from chain import store_queries as q
        from chain.indexer.models import AssetRow, CertificateRow, PaymentRow, RecognitionRow
        from chain.indexer.projections import CERTIFICATE_STATUS, USABILITY

        with self.factory() as session:
            now = q.indexed_time(session)
            certs = session.scalars(select(CertificateRow))
            assets = session.scalars(select(AssetRow))
            payments = list(session.scalars(select(PaymentRow)))
            recognised = session.scalars(select(RecognitionRow).where(RecognitionRow.active))
            return {
                "certificate": {
                    c.certificate_id: CERTIFICATE_STATUS.index(q.effective_status(c, now))
                    for c in certs
                },
                "usability": {
                    a.asset_id: (USABILITY.index(q.asset_usability(a, now)), a.city)
                    for a in assets
                },
                "recognised": {(r.certificate_id, r.org_id) for r in recognised},
                "payment": {
                    p.payment_id: q.PAYMENT_STATUS.index(q.payment_status(p)) for p in payments
                },
                "outstanding": {
                    a: q.payment_totals(session, a)["outstanding"]
                    for a in {p.asset_id for p in payments}
                },
            }

    def _get(self, table: str, key: Any, default: Any) -> _Call:
        answers = self._answers() if self._snapshot is None else self._snapshot
        return _Call(answers[table].get(key, default))

    def certificateStatus(self, cert_id: str) -> _Call:
        return self._get("certificate", cert_id, 0)

    def isRecognised(self, cert_id: str, org_id: str) -> _Call:
        answers = self._answers() if self._snapshot is None else self._snapshot
        return _Call((cert_id, org_id) in answers["recognised"])

    def usability(self, asset_id: str) -> _Call:
        return self._get("usability", asset_id, (1, 0))

    def paymentStatus(self, payment_id: str) -> _Call:
        return self._get("payment", payment_id, 0)

    def outstandingRemittance(self, asset_id: str) -> _Call:
        return self._get("outstanding", asset_id, 0)
