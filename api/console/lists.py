"""What the console pages list: assets, applications, pledges and an asset's history.

Lists come from the registry's event log on the connected chain, decoded with the
contract ABI (the gateway's store queries take over once they serve these lists); the
current state of each record is read from the chain through the service layer.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from web3 import Web3

from chain.runtime import LedgerRuntime
from chain.service.common import (
    APPLICATION_STATUSES,
    ASSET_STATUSES,
    COMPLIANCE_RESULTS,
    FINANCING_KINDS,
    FINANCING_STATUSES,
    REGISTRY,
    ZERO32,
    chain_asset,
)

_lock = threading.Lock()
_cache: dict[int, tuple[int, list[RegistryEvent]]] = {}


@dataclass(frozen=True)
class RegistryEvent:
    name: str
    key: str  # the first indexed id (asset, certificate, application, financing ...)
    actor: str | None
    record: dict[str, Any]
    block: int
    tx_hash: str
    log_index: int
    timestamp: int = 0


@dataclass
class AssetItem:
    asset_id: str
    record: dict[str, Any]
    status: str
    compliance: str
    applications: list[ApplicationItem] = field(default_factory=list)


@dataclass
class ApplicationItem:
    application_id: str
    record: dict[str, Any]
    status: str


@dataclass
class FinancingItem:
    financing_id: str
    record: dict[str, Any]
    kind: str
    status: str


def _plain(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def registry_events(runtime: LedgerRuntime) -> list[RegistryEvent]:
    """Every AssetRegistry event since deployment, oldest first (cached per head block)."""
    contract = runtime.contract(REGISTRY)
    head = int(runtime.w3.eth.block_number)
    key = id(runtime)
    with _lock:
        cached = _cache.get(key)
        if cached is not None and cached[0] == head:
            return cached[1]
    start = runtime.deployment.deployment_block or 0
    logs = runtime.w3.eth.get_logs(
        {"address": contract.address, "fromBlock": start, "toBlock": head}
    )
    by_topic: dict[str, str] = {}
    abi: list[dict[str, Any]] = [dict(item) for item in contract.abi]
    for item in abi:
        if item.get("type") == "event":
            types = ",".join(_abi_type(i) for i in item.get("inputs", []))
            topic = Web3.keccak(text=f"{item['name']}({types})").hex().removeprefix("0x")
            by_topic[topic] = str(item["name"])
    times: dict[int, int] = {}
    events: list[RegistryEvent] = []
    for log in logs:
        topics = log["topics"]
        if not topics:
            continue
        name = by_topic.get(bytes(topics[0]).hex())
        if name is None:
            continue
        decoded = contract.events[name]().process_log(log)
        args = {k: _plain(v) for k, v in decoded["args"].items()}
        block = int(log["blockNumber"])
        if block not in times:
            times[block] = int(runtime.w3.eth.get_block(block)["timestamp"])
        values = list(args.values())
        record = next((v for v in values if isinstance(v, dict)), {})
        events.append(RegistryEvent(
            name=name, key=str(values[0]) if values else "",
            actor=str(args.get("actorOrgId")) if "actorOrgId" in args else None,
            record=record, block=block, tx_hash="0x" + bytes(log["transactionHash"]).hex(),
            log_index=int(log["logIndex"]), timestamp=times[block],
        ))  # fmt: skip
    with _lock:
        _cache[key] = (head, events)
    return events


def _abi_type(param: Any) -> str:
    kind = str(param["type"])
    if kind.startswith("tuple"):
        inner = ",".join(_abi_type(c) for c in param.get("components", []))
        return f"({inner}){kind[5:]}"
    return kind


_ASSET_EVENTS = {
    "ResourceRegistered", "AssetValued", "ComplianceReviewed", "NoticeOpened",
    "DisputeRecorded", "DisputeResolved", "AssetDeregistered", "DisposalRequested",
    "AssetDisposed",
}  # fmt: skip


def assets(runtime: LedgerRuntime, *, holder: str | None = None,
           city: int | None = None) -> list[AssetItem]:  # fmt: skip
    """Assets (current on-chain record each), newest first, of one holder or city."""
    latest: dict[str, dict[str, Any]] = {}
    for event in registry_events(runtime):
        if event.name in _ASSET_EVENTS:
            latest[event.key] = event.record
    items = []
    for asset_id, logged in reversed(latest.items()):
        if holder is not None and str(logged.get("holderOrgId")) != holder:
            continue
        if city is not None and int(logged.get("city", 0)) != city:
            continue
        record = chain_asset(runtime, asset_id)
        if holder is not None and str(record.get("holderOrgId")) != holder:
            continue
        if city is not None and int(record.get("city", 0)) != city:
            continue
        items.append(AssetItem(
            asset_id=asset_id, record=record,
            status=ASSET_STATUSES[int(record.get("status", 0))],
            compliance=COMPLIANCE_RESULTS[int(record.get("compliance", 0))],
        ))  # fmt: skip
    return items


def applications(runtime: LedgerRuntime, *, holder: str | None = None,
                 city_assets: set[str] | None = None) -> list[ApplicationItem]:  # fmt: skip
    latest: dict[str, dict[str, Any]] = {}
    for event in registry_events(runtime):
        if event.name.startswith("PaidUse"):
            latest[event.key] = event.record
    items = []
    for app_id, record in reversed(latest.items()):
        if holder is not None and str(record.get("holderOrgId")) != holder:
            continue
        if city_assets is not None and str(record.get("assetId")) not in city_assets:
            continue
        items.append(ApplicationItem(
            app_id, record, APPLICATION_STATUSES[int(record.get("status", 0))]
        ))  # fmt: skip
    return items


def financings(runtime: LedgerRuntime, *, counterparty: str | None = None) -> list[FinancingItem]:
    latest: dict[str, dict[str, Any]] = {}
    for event in registry_events(runtime):
        if event.name in ("PledgeRequested", "PledgeConfirmed", "PledgeReleased",
                          "CreditLineRecorded", "EquityContributed"):  # fmt: skip
            latest[event.key] = event.record
    items = []
    for fid, record in reversed(latest.items()):
        if counterparty is not None and str(record.get("counterpartyOrgId")) != counterparty:
            continue
        items.append(FinancingItem(
            fid, record, FINANCING_KINDS[int(record.get("kind", 0))],
            FINANCING_STATUSES[int(record.get("status", 0))],
        ))  # fmt: skip
    return items


def certificates_of(runtime: LedgerRuntime, asset_id: str) -> list[RegistryEvent]:
    return [
        e for e in registry_events(runtime)
        if e.name.startswith("Certificate") and str(e.record.get("assetId")) == asset_id
    ]  # fmt: skip


def history(runtime: LedgerRuntime, asset_id: str) -> list[RegistryEvent]:
    """Every event about an asset: its own, its certificates', applications', financings'."""
    asset_id = asset_id.lower()
    related = {asset_id}
    out = []
    for event in registry_events(runtime):
        if event.key == asset_id or str(event.record.get("assetId", ZERO32)) == asset_id:
            related.add(event.key)
            out.append(event)
        elif event.key in related:
            out.append(event)
    return out
