"""Deploy the ledger's v2 contracts once per chain and keep a deployment record.

Order (as the forge setUp): OrgDirectory(noticeFloor), AssetRegistryV2(directory),
UseAndFinance(directory, registry), ``registry.bindUseAndFinance(useAndFinance)`` (one time),
the settlement token (LedgerTestToken unless one is given), RevenueSplitV2(useAndFinance,
token, accountChangeDelay), CertificateVerifier(registry, useAndFinance). The deploying
account (the gateway's consortium admin) then bootstraps registrars until it hands
governance over to them.

The record (addresses, blocks, transactions, chain id, artifact digest, admin, the
contract ``versions``, the notice floor and the account-change delay) lives in
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
from chain.bindings.contracts import (
    DIRECTORY,
    REGISTRY,
    SPLIT,
    TEST_TOKEN,
    USE_AND_FINANCE,
    VERIFIER,
    VERSIONS,
)
from chain.clients import ChainHandle, send_signed

DAY = 86_400
#: The production notice floor (OrgDirectory.PRODUCTION_NOTICE_FLOOR) and account delay.
PRODUCTION_NOTICE_FLOOR = 5 * DAY
PRODUCTION_ACCOUNT_CHANGE_DELAY = 2 * DAY


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
    #: contract name -> the contract version it implements
    versions: dict[str, str] = field(default_factory=dict)
    #: the OrgDirectory's notice floor and RevenueSplitV2's account-change delay (seconds)
    notice_floor: int = PRODUCTION_NOTICE_FLOOR
    account_change_delay: int = PRODUCTION_ACCOUNT_CHANGE_DELAY

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
            versions={str(k): str(v) for k, v in data.get("versions", {}).items()},
            notice_floor=int(data.get("notice_floor", PRODUCTION_NOTICE_FLOOR)),
            account_change_delay=int(
                data.get("account_change_delay", PRODUCTION_ACCOUNT_CHANGE_DELAY)
            ),
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


def _call(
    handle: ChainHandle, deployer: LocalAccount, name: str, address: str, fn: str, *args: Any
) -> None:
    contract = handle.w3.eth.contract(
        address=Web3.to_checksum_address(address), abi=load(name).abi
    )
    data = contract.encode_abi(fn, args=list(args))
    receipt = send_signed(handle, deployer, {"to": contract.address, "data": data, "gas": 500_000})
    if int(receipt["status"]) != 1:
        raise DeploymentError(f"{name}.{fn} failed during deployment")


def deploy_contracts(
    handle: ChainHandle,
    deployer: LocalAccount,
    settlement_token: str | None = None,
    *,
    notice_floor: int = PRODUCTION_NOTICE_FLOOR,
    account_change_delay: int = PRODUCTION_ACCOUNT_CHANGE_DELAY,
) -> Deployment:
    """Deploy the v2 ledger (and a test settlement token unless one is given)."""
    if not 1 <= notice_floor <= PRODUCTION_NOTICE_FLOOR:
        raise DeploymentError(
            f"the notice floor must be 1 to {PRODUCTION_NOTICE_FLOOR} seconds, not {notice_floor}"
        )
    if account_change_delay < 1:
        raise DeploymentError("the account-change delay must be at least 1 second")
    handle.fund(deployer.address)
    c: dict[str, DeployedContract] = {}
    c[DIRECTORY] = _deploy_one(handle, deployer, DIRECTORY, notice_floor)
    directory = Web3.to_checksum_address(c[DIRECTORY].address)
    c[REGISTRY] = _deploy_one(handle, deployer, REGISTRY, directory)
    registry = Web3.to_checksum_address(c[REGISTRY].address)
    c[USE_AND_FINANCE] = _deploy_one(handle, deployer, USE_AND_FINANCE, directory, registry)
    use_and_finance = Web3.to_checksum_address(c[USE_AND_FINANCE].address)
    _call(handle, deployer, REGISTRY, registry, "bindUseAndFinance", use_and_finance)
    if settlement_token is None:
        c[TEST_TOKEN] = _deploy_one(handle, deployer, TEST_TOKEN)
        settlement_token = c[TEST_TOKEN].address
    c[SPLIT] = _deploy_one(
        handle,
        deployer,
        SPLIT,
        use_and_finance,
        Web3.to_checksum_address(settlement_token),
        account_change_delay,
    )
    c[VERIFIER] = _deploy_one(handle, deployer, VERIFIER, registry, use_and_finance)
    return Deployment(
        chain_id=handle.chain_id,
        admin=deployer.address,
        artifact_digest=str(manifest()["sourcesDigest"]),
        deployed_at=time.time(),
        contracts=c,
        versions={name: VERSIONS[name] for name in c},
        notice_floor=notice_floor,
        account_change_delay=account_change_delay,
    )


def ensure_deployed(
    handle: ChainHandle,
    deployer: LocalAccount,
    folder: Path | None,
    *,
    redeploy: bool = False,
    settlement_token: str | None = None,
    notice_floor: int = PRODUCTION_NOTICE_FLOOR,
    account_change_delay: int = PRODUCTION_ACCOUNT_CHANGE_DELAY,
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
    deployment = deploy_contracts(
        handle,
        deployer,
        settlement_token,
        notice_floor=notice_floor,
        account_change_delay=account_change_delay,
    )
    if folder is not None:
        write_record(folder, deployment)
    return deployment
