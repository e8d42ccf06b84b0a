"""Deploy the ledger's contracts once per chain and keep a deployment record.

The record (addresses, blocks, transactions, chain id, artifact digest, admin) lives in
``var/deployments/<chain id>.json``. A live record (code still at the addresses) is
reused; a record whose contracts were built from other sources is never silently
replaced: pass ``redeploy=True`` (``LEDGER_REDEPLOY=1``, ``ledger deploy --redeploy``).
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import Web3

from chain.artifacts import load, manifest
from chain.clients import ChainHandle, send_signed


class DeploymentError(RuntimeError):
    """A deployment record cannot be used and must not be replaced silently."""


@dataclass
class DeployedContract:
    address: str
    block: int
    tx: str


@dataclass
class Deployment:
    chain_id: int
    admin: str
    artifact_digest: str
    deployed_at: float
    contracts: dict[str, DeployedContract] = field(default_factory=dict)

    @property
    def deployment_block(self) -> int:
        return min(c.block for c in self.contracts.values())

    def address(self, name: str) -> str:
        return self.contracts[name].address

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Deployment:
        contracts = {k: DeployedContract(**v) for k, v in data["contracts"].items()}
        return cls(
            chain_id=int(data["chain_id"]),
            admin=str(data["admin"]),
            artifact_digest=str(data["artifact_digest"]),
            deployed_at=float(data["deployed_at"]),
            contracts=contracts,
        )


def record_path(folder: Path, chain_id: int) -> Path:
    return folder / f"{chain_id}.json"


def read_record(folder: Path, chain_id: int) -> Deployment | None:
    path = record_path(folder, chain_id)
    if not path.exists():
        return None
    return Deployment.from_json(json.loads(path.read_text()))


def write_record(folder: Path, deployment: Deployment) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    path = record_path(folder, deployment.chain_id)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(deployment.to_json(), indent=1) + "\n")
    tmp.replace(path)


def is_live(handle: ChainHandle, deployment: Deployment) -> bool:
    return all(
        len(handle.w3.eth.get_code(Web3.to_checksum_address(c.address))) > 0
        for c in deployment.contracts.values()
    )


def _deploy_one(
    handle: ChainHandle, deployer: LocalAccount, name: str, *args: Any
) -> DeployedContract:
    artifact = load(name)
    factory = handle.w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    data = factory.constructor(*args).build_transaction(
        {"from": deployer.address, "gas": 0, "gasPrice": 0}
    )["data"]
    receipt = send_signed(handle, deployer, {"data": data, "gas": 12_000_000})
    return DeployedContract(
        address=str(receipt["contractAddress"]),
        block=int(receipt["blockNumber"]),
        tx="0x" + bytes(receipt["transactionHash"]).hex(),
    )


def deploy_contracts(
    handle: ChainHandle, deployer: LocalAccount, settlement_token: str | None = None
) -> Deployment:
    """Deploy registry, settlement token (unless one is given) and revenue split."""
    handle.fund(deployer.address)
    contracts: dict[str, DeployedContract] = {}
    contracts["AssetRegistry"] = _deploy_one(handle, deployer, "AssetRegistry", deployer.address)
    if settlement_token is None:
        contracts["LedgerTestToken"] = _deploy_one(handle, deployer, "LedgerTestToken")
        settlement_token = contracts["LedgerTestToken"].address
    contracts["RevenueSplit"] = _deploy_one(
        handle,
        deployer,
        "RevenueSplit",
        contracts["AssetRegistry"].address,
        Web3.to_checksum_address(settlement_token),
    )
    return Deployment(
        chain_id=handle.chain_id,
        admin=deployer.address,
        artifact_digest=str(manifest()["sourcesDigest"]),
        deployed_at=time.time(),
        contracts=contracts,
    )


def ensure_deployed(
    handle: ChainHandle,
    deployer: LocalAccount,
    folder: Path | None,
    *,
    redeploy: bool = False,
    settlement_token: str | None = None,
) -> Deployment:
    """Reuse the live deployment of this chain, or deploy and record a new one.

    ``folder`` None keeps the record in memory only (memory mode).
    """
    existing = read_record(folder, handle.chain_id) if folder is not None else None
    if existing is not None and not redeploy and is_live(handle, existing):
        digest = str(manifest()["sourcesDigest"])
        if existing.artifact_digest != digest:
            raise DeploymentError(
                f"chain {handle.chain_id} runs contracts built from other sources "
                f"({existing.artifact_digest[:12]} != {digest[:12]}); "
                "redeploy explicitly with `ledger deploy --redeploy` (LEDGER_REDEPLOY=1)"
            )
        return existing
    deployment = deploy_contracts(handle, deployer, settlement_token)
    if folder is not None:
        write_record(folder, deployment)
    return deployment
