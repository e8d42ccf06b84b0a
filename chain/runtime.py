"""The running ledger: settings, chain connection, key custody and the deployment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract import Contract

from chain.artifacts import load
from chain.clients import ChainHandle, connect
from chain.deploy import Deployment, ensure_deployed
from chain.keys import KeyStore
from chain.settings import LedgerSettings

ADMIN_KEY = "consortium-admin"


@dataclass
class LedgerRuntime:
    settings: LedgerSettings
    handle: ChainHandle
    keystore: KeyStore
    admin: LocalAccount
    deployment: Deployment

    @classmethod
    def start(cls, settings: LedgerSettings) -> LedgerRuntime:
        """Connect, unlock the admin key and make sure the contracts are deployed."""
        handle = connect(settings)
        keystore = KeyStore.from_settings(settings)
        admin = keystore.get_or_create(ADMIN_KEY)
        folder = None if settings.chain == "memory" else settings.deployments_dir
        deployment = ensure_deployed(
            handle,
            admin,
            folder,
            redeploy=settings.redeploy,
            settlement_token=settings.settlement_token,
        )
        return cls(settings, handle, keystore, admin, deployment)

    @property
    def w3(self) -> Web3:
        return self.handle.w3

    def contract(self, name: str) -> Contract:
        address = Web3.to_checksum_address(self.deployment.address(name))
        return self.w3.eth.contract(address=address, abi=load(name).abi)

    def chain_info(self) -> dict[str, Any]:
        head = self.w3.eth.get_block("latest")
        return {
            "chain_id": self.handle.chain_id,
            "mode": self.handle.mode,
            "head_block": int(head["number"]),
            "head_hash": "0x" + bytes(head["hash"]).hex() if head.get("hash") else None,
            "deployment_block": self.deployment.deployment_block,
            "contracts": {
                name: {"address": c.address, "block": c.block, "tx": c.tx}
                for name, c in self.deployment.contracts.items()
            },
            "admin": self.deployment.admin,
            "artifact_digest": self.deployment.artifact_digest,
        }
