"""Fixtures for RevenueSplit: a settable directory mock, the test token and the contract.

Deployed once per session on the shared eth-tester chain; every state-changing test also
takes ``evm_snapshot`` so it leaves the chain as it found it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from web3 import Web3
from web3.contract import Contract

from chain import artifacts

# Examples per property test: moderate for `make test`, thousands for `make check-deep`.
settings.register_profile(
    "split", max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "deep", max_examples=3_000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
if os.environ.get("HYPOTHESIS_PROFILE"):
    settings.load_profile(os.environ["HYPOTHESIS_PROFILE"])

# OrgKind of ILedgerDirectory.
NONE, REGISTRAR, HOLDER, COMPETENT, DATA_ADMIN, FINANCE, OPERATOR, MERCHANT = range(8)

QINGDAO = 370200
SHENZHEN = 440300
YUAN = 100  # fen per yuan

# The worked example of DOMAIN.md: 0-100,000 yuan at 20 %, 100,000-500,000 at 35 %,
# above 500,000 at 50 %.
EXAMPLE_BOUNDS = [0, 100_000 * YUAN, 500_000 * YUAN]
EXAMPLE_BPS = [2_000, 3_500, 5_000]


def org(name: str) -> bytes:
    return Web3.keccak(text=f"org:{name}")


def asset(name: str) -> bytes:
    return Web3.keccak(text=f"asset:{name}")


def ref(name: str) -> bytes:
    return Web3.keccak(text=f"ref:{name}")


FIN_ORG = org("qingdao-finance")
FIN2_ORG = org("shenzhen-finance")
OP_ORG = org("qingdao-operator")
OP2_ORG = org("other-operator")
MER_ORG = org("merchant")
MER_INACTIVE_ORG = org("merchant-inactive")
HOLDER_ORG = org("qingdao-holder")
ASSET = asset("transport")
ASSET_NEW = asset("no-schedule")
ASSET_PENDING = asset("not-approved")
ASSET_DISPOSED = asset("disposed")
ASSET_UNKNOWN = asset("unknown")


@dataclass
class SplitEnv:
    w3: Web3
    directory: Contract
    token: Contract
    split: Contract
    deployer: str
    finance: str
    operator: str
    merchant: str
    payout: str
    treasury: str
    finance2: str
    holder: str
    merchant_inactive: str
    operator2: str

    def tx(self, fn: Any, sender: str) -> Any:
        tx_hash = fn.transact({"from": sender})
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash)
        assert receipt["status"] == 1
        return receipt

    def balance(self, account: str) -> int:
        return int(self.token.functions.balanceOf(account).call())

    @property
    def errors_abi(self) -> list[dict[str, Any]]:
        return [*self.split.abi, *self.token.abi]


def deploy(w3: Web3, name: str, *args: Any) -> Contract:
    art = artifacts.load(name)
    factory = w3.eth.contract(abi=art.abi, bytecode=art.bytecode)
    tx_hash = factory.constructor(*args).transact({"from": w3.eth.accounts[0]})
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash)
    return w3.eth.contract(address=receipt["contractAddress"], abi=art.abi)


def context(
    *,
    exists: bool = True,
    city: int = QINGDAO,
    operator: bytes = OP_ORG,
    approved: bool = True,
    disposed: bool = False,
) -> tuple[bool, int, bytes, bytes, bool, bool]:
    return (exists, city, HOLDER_ORG, operator, approved, disposed)


def build_env(w3: Web3) -> SplitEnv:
    """Deploy and wire a fresh mock directory, token and RevenueSplit."""
    accounts = w3.eth.accounts
    directory = deploy(w3, "MockLedgerDirectory")
    token = deploy(w3, "LedgerTestToken")
    split = deploy(w3, "RevenueSplit", directory.address, token.address)
    env = SplitEnv(
        w3=w3,
        directory=directory,
        token=token,
        split=split,
        deployer=accounts[0],
        finance=accounts[1],
        operator=accounts[2],
        merchant=accounts[3],
        payout=accounts[4],
        treasury=accounts[5],
        finance2=accounts[6],
        holder=accounts[7],
        merchant_inactive=accounts[8],
        operator2=accounts[9],
    )
    admin = env.deployer
    for account, org_id, kind, city, active in [
        (env.finance, FIN_ORG, FINANCE, QINGDAO, True),
        (env.finance2, FIN2_ORG, FINANCE, SHENZHEN, True),
        (env.operator, OP_ORG, OPERATOR, QINGDAO, True),
        (env.operator2, OP2_ORG, OPERATOR, SHENZHEN, True),
        (env.merchant, MER_ORG, MERCHANT, SHENZHEN, True),
        (env.merchant_inactive, MER_INACTIVE_ORG, MERCHANT, QINGDAO, False),
        (env.holder, HOLDER_ORG, HOLDER, QINGDAO, True),
    ]:
        env.tx(directory.functions.setAccountOrg(account, org_id, kind, city, active), admin)
    for asset_id, ctx in [
        (ASSET, context()),
        (ASSET_NEW, context()),
        (ASSET_PENDING, context(approved=False, operator=b"\0" * 32)),
        (ASSET_DISPOSED, context(disposed=True)),
    ]:
        env.tx(directory.functions.setPaymentContext(asset_id, ctx), admin)
    env.tx(split.functions.setSchedule(ASSET, EXAMPLE_BOUNDS, EXAMPLE_BPS), env.finance)
    env.tx(split.functions.setTreasuryAccount(QINGDAO, env.treasury), env.finance)
    env.tx(split.functions.setPayoutAccount(env.payout), env.operator)
    supply = 10**15
    for payer in (env.merchant, env.operator, env.merchant_inactive, env.holder):
        env.tx(token.functions.mint(payer, supply), admin)
        env.tx(token.functions.approve(split.address, 2**256 - 1), payer)
    return env


@pytest.fixture(scope="session")
def split_env(w3: Web3) -> SplitEnv:
    return build_env(w3)


@pytest.fixture
def env(split_env: SplitEnv, evm_snapshot: None) -> SplitEnv:
    """The deployed contracts, with the chain reverted after the test."""
    return split_env
