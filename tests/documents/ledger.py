"""Drive an AssetRegistry to issued certificates with local keys, on eth-tester or anvil."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract import Contract
from web3.logs import DISCARD

from chain import artifacts
from chain.clients import ChainHandle

QINGDAO = 370200
XIAMEN = 350200
HOLDER_KIND = 2
EXCHANGE_KIND = 8
NOTICE_WINDOW = 10 * 86_400
TERM = 3 * 365 * 86_400
CALL_GAS = 2_000_000


def h(text: str) -> bytes:
    return Web3.keccak(text=text)


@dataclass
class Ledger:
    """A deployed registry with a Qingdao registrar and holder, and a Xiamen registrar."""

    handle: ChainHandle
    advance: Callable[[int], None]
    registry: Contract = field(init=False)
    admin: LocalAccount = field(default_factory=Account.create)
    registrar: LocalAccount = field(default_factory=Account.create)
    holder: LocalAccount = field(default_factory=Account.create)
    partner: LocalAccount = field(default_factory=Account.create)
    registrar_org: bytes = b""
    holder_org: bytes = b""
    partner_org: bytes = b""

    @property
    def w3(self) -> Web3:
        return self.handle.w3

    @property
    def address(self) -> str:
        return str(self.registry.address)

    def now(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def send(self, account: LocalAccount, call: Any) -> Any:
        self.handle.fund(account.address)
        tx = call.build_transaction(
            {
                "from": account.address,
                "chainId": self.handle.chain_id,
                "nonce": self.w3.eth.get_transaction_count(account.address, "pending"),
                "gas": CALL_GAS,
                **self.handle.fee_fields(),
            }
        )
        signed = account.sign_transaction(tx)
        tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60)
        if receipt["status"] != 1:
            raise RuntimeError(f"transaction reverted: {call.fn_name}")
        return receipt

    def deploy(self) -> Ledger:
        art = artifacts.load("AssetRegistry")
        factory = self.w3.eth.contract(abi=art.abi, bytecode=art.bytecode)
        self.handle.fund(self.admin.address)
        tx = factory.constructor(self.admin.address).build_transaction(
            {
                "from": self.admin.address,
                "chainId": self.handle.chain_id,
                "nonce": self.w3.eth.get_transaction_count(self.admin.address, "pending"),
                "gas": 12_000_000,
                **self.handle.fee_fields(),
            }
        )
        signed = self.admin.sign_transaction(tx)
        receipt = self.w3.eth.wait_for_transaction_receipt(
            self.w3.eth.send_raw_transaction(signed.raw_transaction), timeout=60
        )
        assert receipt["status"] == 1, "registry deployment reverted"
        self.registry = self.w3.eth.contract(address=receipt["contractAddress"], abi=art.abi)
        fns = self.registry.functions
        self.send(
            self.admin, fns.admitRegistrar(QINGDAO, h("qingdao-registrar"), self.registrar.address)
        )
        self.registrar_org = self.org_id(1, QINGDAO, h("qingdao-registrar"))
        self.send(
            self.registrar, fns.admitOrg(HOLDER_KIND, h("qingdao-metro"), self.holder.address)
        )
        self.holder_org = self.org_id(HOLDER_KIND, QINGDAO, h("qingdao-metro"))
        self.send(
            self.admin, fns.admitRegistrar(XIAMEN, h("xiamen-registrar"), self.partner.address)
        )
        self.partner_org = self.org_id(1, XIAMEN, h("xiamen-registrar"))
        return self

    @staticmethod
    def org_id(kind: int, city: int, name_hash: bytes) -> bytes:
        from eth_abi import encode

        return Web3.keccak(encode(["uint8", "uint32", "bytes32"], [kind, city, name_hash]))

    def register_and_value(
        self, name: str, value_fen: int = 123_456_789, registrar: LocalAccount | None = None
    ) -> bytes:
        """Register a resource, value it and pass compliance: the notice window opens."""
        fns = self.registry.functions
        receipt = self.send(
            self.holder, fns.registerResource(h(f"cat:{name}"), h(f"meta:{name}"), 101)
        )
        (event,) = self.registry.events.ResourceRegistered().process_receipt(
            receipt, errors=DISCARD
        )
        asset_id = bytes(event["args"]["assetId"])
        self.send(
            registrar or self.registrar,
            fns.recordValuation(asset_id, value_fen, 1, h(f"val:{name}")),
        )
        self.send(
            registrar or self.registrar, fns.recordCompliance(asset_id, True, h(f"cmp:{name}"))
        )
        return asset_id

    def issue(self, asset_id: bytes, signer: LocalAccount | None = None) -> bytes:
        receipt = self.send(
            signer or self.registrar, self.registry.functions.issueCertificate(asset_id)
        )
        (event,) = self.registry.events.CertificateIssued().process_receipt(receipt, errors=DISCARD)
        return bytes(event["args"]["certificateId"])

    def certify(self, name: str, value_fen: int = 123_456_789) -> bytes:
        """Walk a new asset to an issued certificate (moves time past the notice window)."""
        asset_id = self.register_and_value(name, value_fen)
        self.advance(NOTICE_WINDOW + 60)
        return self.issue(asset_id)
