"""Fixtures for AssetRegistry: one deployment per session with every kind of org admitted.

Qingdao (370200) has a registrar and one org of every other kind; Xiamen (350200) has a
partner registrar and a holder. Every test runs inside ``evm_snapshot`` (autouse here), so
it leaves the chain as it found it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

import pytest
from eth_abi import encode
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_tester import EthereumTester
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract
from web3.logs import DISCARD
from web3.types import TxReceipt

from chain import artifacts
from tests.contracts.reverts import expect_revert

QINGDAO = 370200
XIAMEN = 350200
DAY = 86_400
DEFAULT_NOTICE = 10 * DAY
DEFAULT_TERM = 3 * 365 * DAY


class Kind(IntEnum):
    NONE = 0
    REGISTRAR = 1
    HOLDER = 2
    COMPETENT = 3
    DATA_ADMIN = 4
    FINANCE = 5
    OPERATOR = 6
    MERCHANT = 7
    EXCHANGE = 8
    BANK = 9
    AUDITOR = 10


class AssetStatus(IntEnum):
    NONE = 0
    REGISTERED = 1
    IN_NOTICE = 2
    CERTIFIED = 3
    DISPOSED = 4
    DEREGISTERED = 5


class Compliance(IntEnum):
    NONE = 0
    PASSED = 1
    FAILED = 2


class RegKind(IntEnum):
    INITIAL = 0
    CHANGE = 1
    CORRECTION = 2
    DEREGISTRATION = 3


class CertStatus(IntEnum):
    UNKNOWN = 0
    ACTIVE = 1
    REVOKED = 2
    EXPIRED = 3
    SUPERSEDED = 4


class ObjStatus(IntEnum):
    NONE = 0
    OPEN = 1
    UPHELD = 2
    DISMISSED = 3


class AppStatus(IntEnum):
    NONE = 0
    APPLIED = 1
    APPROVED = 2
    REJECTED = 3


class AgrStatus(IntEnum):
    NONE = 0
    PROPOSED = 1
    ACTIVE = 2
    WITHDRAWN = 3


class FinKind(IntEnum):
    PLEDGE = 0
    CREDIT_LINE = 1
    EQUITY = 2


class FinStatus(IntEnum):
    NONE = 0
    REQUESTED = 1
    ACTIVE = 2
    RELEASED = 3
    RECORDED = 4


def h(label: str) -> bytes:
    """A stand-in for a salted commitment or code hash."""
    return bytes(Web3.keccak(text=label))


def key_for(label: str) -> LocalAccount:
    """A deterministic test key per role label."""
    return Account.from_key(Web3.keccak(text=f"registry-test-key:{label}"))


def keccak_abi(types: list[str], values: list[Any]) -> bytes:
    """keccak256(abi.encode(...)), as the contract derives ids."""
    return bytes(Web3.keccak(encode(types, values)))


def org_id(kind: int, city: int, name_hash: bytes) -> bytes:
    return keccak_abi(["uint8", "uint32", "bytes32"], [kind, city, name_hash])


# Role label -> (kind, city). Every label gets its own signing key.
ROLES: dict[str, tuple[Kind, int]] = {
    "registrar": (Kind.REGISTRAR, QINGDAO),
    "holder": (Kind.HOLDER, QINGDAO),
    "competent": (Kind.COMPETENT, QINGDAO),
    "data_admin": (Kind.DATA_ADMIN, QINGDAO),
    "finance": (Kind.FINANCE, QINGDAO),
    "operator": (Kind.OPERATOR, QINGDAO),
    "merchant": (Kind.MERCHANT, QINGDAO),
    "exchange": (Kind.EXCHANGE, QINGDAO),
    "bank": (Kind.BANK, QINGDAO),
    "auditor": (Kind.AUDITOR, QINGDAO),
    "xm_registrar": (Kind.REGISTRAR, XIAMEN),
    "xm_holder": (Kind.HOLDER, XIAMEN),
    "xm_bank": (Kind.BANK, XIAMEN),
    "xm_operator": (Kind.OPERATOR, XIAMEN),
}
# Spare keys (funded, not admitted): key rotation, strangers.
SPARES = ("spare1", "spare2", "stranger")


@dataclass
class Ledger:
    """The deployed registry with named orgs, their accounts and small call helpers."""

    w3: Web3
    tester: EthereumTester
    reg: Contract
    admin: str
    keys: dict[str, LocalAccount] = field(default_factory=dict)
    orgs: dict[str, bytes] = field(default_factory=dict)

    @property
    def abi(self) -> list[dict[str, Any]]:
        return list(self.reg.abi)

    def addr(self, role: str) -> str:
        return str(self.keys[role].address)

    def tx(self, role: str, fn: str, *args: Any) -> TxReceipt:
        """Send ``fn(*args)`` from ``role``'s account ("admin" for the consortium admin)."""
        sender = self.admin if role == "admin" else self.addr(role)
        tx_hash = getattr(self.reg.functions, fn)(*args).transact(
            {"from": sender, "gas": 3_000_000}
        )
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash)
        assert receipt["status"] == 1
        return receipt

    def call(self, fn: str, *args: Any, sender: str | None = None) -> Any:
        tx = {"from": sender} if sender else {}
        return getattr(self.reg.functions, fn)(*args).call(tx)

    def reverts(
        self, role: str, fn: str, args: tuple[Any, ...], error: str, *expected: Any
    ) -> tuple[Any, ...]:
        """Assert ``fn(*args)`` from ``role`` reverts (simulated by eth_call) with ``error``."""
        sender = self.admin if role == "admin" else self.addr(role)
        call = getattr(self.reg.functions, fn)(*args)
        return expect_revert(lambda: call.call({"from": sender}), self.abi, error, *expected)

    def events(self, receipt: TxReceipt, name: str) -> list[dict[str, Any]]:
        """Decoded ``name`` events of a receipt, args as plain dicts."""
        logs = getattr(self.reg.events, name)().process_receipt(receipt, errors=DISCARD)
        return [_plain(dict(log["args"])) for log in logs]

    def event(self, receipt: TxReceipt, name: str) -> dict[str, Any]:
        found = self.events(receipt, name)
        assert len(found) == 1, f"expected one {name}, got {len(found)}"
        return found[0]

    def record(self, fn: str, *args: Any) -> dict[str, Any]:
        """A struct-returning view as a dict keyed by field name."""
        value = self.call(fn, *args)
        outputs = next(e for e in self.abi if e.get("name") == fn and e["type"] == "function")[
            "outputs"
        ]
        return _named(outputs[0], value)

    def now(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def travel(self, seconds: int) -> int:
        """Move chain time forward by ``seconds`` and mine; returns the new block time."""
        self.tester.time_travel(self.now() + seconds)
        self.tester.mine_blocks()
        return self.now()

    # ---- lifecycle shortcuts -------------------------------------------------------

    def register(self, label: str = "r1", holder: str = "holder", domain: int = 7) -> bytes:
        receipt = self.tx(holder, "registerResource", h(f"cat:{label}"), h(f"meta:{label}"), domain)
        return bytes(self.event(receipt, "ResourceRegistered")["assetId"])

    def to_notice(self, label: str = "r1") -> bytes:
        asset_id = self.register(label)
        self.tx("registrar", "recordValuation", asset_id, 2_000_000_00, 3, h("valuation"))
        self.tx("registrar", "recordCompliance", asset_id, True, h("compliance"))
        return asset_id

    def certified(self, label: str = "r1") -> tuple[bytes, bytes]:
        asset_id = self.to_notice(label)
        self.travel(DEFAULT_NOTICE)
        receipt = self.tx("registrar", "issueCertificate", asset_id)
        return asset_id, bytes(self.event(receipt, "CertificateIssued")["certificateId"])

    def application(self, label: str = "r1") -> tuple[bytes, bytes]:
        asset_id, _ = self.certified(label)
        receipt = self.tx("holder", "applyForPaidUse", asset_id, h("scope"), self.orgs["operator"])
        return asset_id, bytes(self.event(receipt, "PaidUseApplied")["applicationId"])

    def pledged(self, label: str = "r1") -> tuple[bytes, bytes]:
        asset_id, _ = self.certified(label)
        receipt = self.tx(
            "holder", "requestPledge", asset_id, self.orgs["bank"], 2_000_000_00, h("pledge")
        )
        fin = bytes(self.event(receipt, "PledgeRequested")["financingId"])
        self.tx("bank", "confirmPledge", fin)
        return asset_id, fin


def _named(abi_param: dict[str, Any], value: Any) -> Any:
    if abi_param["type"] == "tuple":
        if isinstance(value, dict):
            value = [value[c["name"]] for c in abi_param["components"]]
        return {
            c["name"]: _named(c, v) for c, v in zip(abi_param["components"], value, strict=True)
        }
    return _plain(value)


def _plain(value: Any) -> Any:
    if isinstance(value, HexBytes):
        return bytes(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        items = [_plain(v) for v in value]
        return items if isinstance(value, list) else tuple(items)
    return value


@pytest.fixture(scope="session")
def ledger(w3: Web3, tester: EthereumTester) -> Ledger:
    """Deploy the registry and admit every org; state before any test's snapshot."""
    art = artifacts.load("AssetRegistry")
    admin = w3.eth.accounts[0]
    factory = w3.eth.contract(abi=art.abi, bytecode=art.bytecode)
    receipt = w3.eth.wait_for_transaction_receipt(
        factory.constructor(admin).transact({"from": admin})
    )
    reg = w3.eth.contract(address=receipt["contractAddress"], abi=art.abi)
    led = Ledger(w3=w3, tester=tester, reg=reg, admin=admin)
    for label in (*ROLES, *SPARES):
        acct = key_for(label)
        led.keys[label] = acct
        if acct.address not in tester.get_accounts():
            tester.add_account(acct.key.to_0x_hex())
        w3.eth.wait_for_transaction_receipt(
            w3.eth.send_transaction({"from": admin, "to": acct.address, "value": 10**20})
        )
    for label in ("registrar", "xm_registrar"):
        _, city = ROLES[label]
        r = led.tx("admin", "admitRegistrar", city, h(f"name:{label}"), led.addr(label))
        led.orgs[label] = bytes(led.event(r, "OrgAdmitted")["orgId"])
    for label, (kind, city) in ROLES.items():
        if kind == Kind.REGISTRAR:
            continue
        admitter = "registrar" if city == QINGDAO else "xm_registrar"
        r = led.tx(admitter, "admitOrg", int(kind), h(f"name:{label}"), led.addr(label))
        led.orgs[label] = bytes(led.event(r, "OrgAdmitted")["orgId"])
    return led


@pytest.fixture(autouse=True)
def _isolated(ledger: Ledger, evm_snapshot: None) -> Iterator[None]:
    """Each registry test starts from the freshly admitted orgs and is reverted after."""
    yield


@pytest.fixture
def led(ledger: Ledger) -> Ledger:
    return ledger


RevertCheck = Callable[..., tuple[Any, ...]]
