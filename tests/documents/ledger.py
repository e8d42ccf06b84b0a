"""Drive the v2 ledger to issued certificates with local keys, on eth-tester or anvil."""

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
from chain.bindings.contracts import DIRECTORY, REGISTRY, VERIFIER
from chain.clients import ChainHandle
from chain.deploy import Deployment, deploy_contracts

QINGDAO = 370200
XIAMEN = 350200
WUHAN = 420100
SET_REGISTRAR_ACTIVE = 1  # IOrgDirectory.ProposalKind
HOLDER_KIND = 2
EXCHANGE_KIND = 8
NOTICE_WINDOW = 10 * 86_400
TERM = 3 * 365 * 86_400
CALL_GAS = 2_000_000


def h(text: str) -> bytes:
    return Web3.keccak(text=text)


@dataclass
class Ledger:
    """The deployed v2 ledger with a Qingdao registrar and holder, and the Xiamen and Wuhan
    registrars."""

    handle: ChainHandle
    advance: Callable[[int], None]
    registry: Contract = field(init=False)
    directory: Contract = field(init=False)
    verifier: Contract = field(init=False)
    deployment: Deployment = field(init=False)
    admin: LocalAccount = field(default_factory=Account.create)
    registrar: LocalAccount = field(default_factory=Account.create)
    holder: LocalAccount = field(default_factory=Account.create)
    partner: LocalAccount = field(default_factory=Account.create)
    third: LocalAccount = field(default_factory=Account.create)
    registrar_org: bytes = b""
    holder_org: bytes = b""
    partner_org: bytes = b""
    third_org: bytes = b""

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
        """Deploy the v2 set as the gateway does; the admin bootstraps the Qingdao, Xiamen and
        Wuhan registrars and hands governance over (k = 2, accepted by Qingdao)."""
        self.deployment = deploy_contracts(
            self.handle, self.admin, notice_floor=1, account_change_delay=60
        )
        self.registry = self.contract(REGISTRY)
        self.directory = self.contract(DIRECTORY)
        self.verifier = self.contract(VERIFIER)
        d = self.directory.functions
        for city, name, account in (
            (QINGDAO, "qingdao-registrar", self.registrar),
            (XIAMEN, "xiamen-registrar", self.partner),
            (WUHAN, "wuhan-registrar", self.third),
        ):
            self.send(self.admin, d.bootstrapRegistrar(city, h(name), account.address))
        self.send(self.admin, d.beginHandover(2))
        self.send(self.registrar, d.acceptHandover())
        self.registrar_org = self.org_id(1, QINGDAO, h("qingdao-registrar"))
        self.partner_org = self.org_id(1, XIAMEN, h("xiamen-registrar"))
        self.third_org = self.org_id(1, WUHAN, h("wuhan-registrar"))
        self.send(self.registrar, d.admitOrg(HOLDER_KIND, h("qingdao-metro"), self.holder.address))
        self.holder_org = self.org_id(HOLDER_KIND, QINGDAO, h("qingdao-metro"))
        return self

    def contract(self, name: str) -> Contract:
        return self.w3.eth.contract(
            address=self.deployment.address(name), abi=artifacts.load(name).abi
        )

    @property
    def verifier_address(self) -> str:
        return str(self.verifier.address)

    def add_key(self, org_key: LocalAccount, new_key: LocalAccount, org_id: bytes) -> None:
        """One of the organisation's live keys proposes ``new_key``; the new key accepts."""
        d = self.directory.functions
        self.send(org_key, d.proposeSigningKey(new_key.address, 0))
        self.send(new_key, d.acceptSigningKey(org_id))

    def set_registrar_active(self, registrar_org: bytes, active: bool) -> None:
        """Governance (k = 2): Xiamen proposes, Wuhan approves (the second approval executes)."""
        from eth_abi import encode

        d = self.directory.functions
        params = encode(["bytes32", "bool"], [registrar_org, active])
        receipt = self.send(self.partner, d.propose(SET_REGISTRAR_ACTIVE, params))
        (event,) = self.directory.events.ProposalCreated().process_receipt(
            receipt, errors=DISCARD
        )
        self.send(self.third, d.approve(event["args"]["proposalId"]))

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
