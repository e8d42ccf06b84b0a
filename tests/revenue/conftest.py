"""Revenue fixtures: a gateway on an in-process chain with the ledger deployed, a Qingdao
registrar and one org of every kind the revenue workflows need, and approved assets.

The registry's setup goes straight through ``runtime.submit`` with the org keys (admit
the registrar by the consortium admin, admit orgs by the registrar, register, value,
compliance, time travel past the notice window, certify, apply naming the operator, two
reviews, finance approval). The revenue workflows under test go over HTTP.

One gateway per session (deploying and admitting costs ~10 transactions); tests do not
snapshot the chain (the gateway's persisted nonces would fall out of step), so each test
works on its own fresh asset.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from eth_abi.abi import encode
from eth_account import Account
from eth_account.signers.local import LocalAccount
from fastapi import FastAPI
from fastapi.testclient import TestClient
from web3 import Web3
from web3.logs import DISCARD

from api.main import create_app
from api.routes import revenue as revenue_routes
from chain.runtime import LedgerRuntime
from chain.settings import LedgerSettings

BOOTSTRAP = "dal_boot0000_" + "r" * 40
QINGDAO = 370200
DAY = 86_400
NOTICE = 10 * DAY
YUAN = 100
EXAMPLE_BOUNDS = [0, 100_000 * YUAN, 500_000 * YUAN]
EXAMPLE_BPS = [2_000, 3_500, 5_000]

# label -> (OrgKind on chain, gateway kind)
KINDS: dict[str, tuple[int, str]] = {
    "registrar": (1, "registrar"),
    "holder": (2, "holder"),
    "competent": (3, "competent_dept"),
    "data_admin": (4, "data_administration"),
    "finance": (5, "finance_dept"),
    "operator": (6, "operator"),
    "merchant": (7, "merchant"),
    "operator2": (6, "operator"),
    "merchant2": (7, "merchant"),
}


# orgs whose keys sign only the registry setup (never through the gateway here)
SETUP_ONLY = ("registrar", "holder", "competent", "data_admin")


#: the contract of each function the setup sends (the registry's otherwise)
CONTRACT_OF = {
    **dict.fromkeys(("bootstrapRegistrar", "admitOrg", "proposeSigningKey",
                     "acceptSigningKey"), "OrgDirectory"),
    **dict.fromkeys(("applyForPaidUse", "reviewPaidUse", "decidePaidUse", "requestPledge",
                     "confirmPledge", "releasePledge", "requestDisposal", "confirmDisposal"),
                    "UseAndFinance"),
}  # fmt: skip


def h(label: str) -> bytes:
    return bytes(Web3.keccak(text=label))


def chain_org_id(kind: int, city: int, name_hash: bytes) -> str:
    raw = Web3.keccak(encode(["uint8", "uint32", "bytes32"], [kind, city, name_hash]))
    return "0x" + bytes(raw).hex()


@dataclass
class RevenueLedger:
    app: FastAPI
    client: TestClient
    runtime: LedgerRuntime
    admin_key: str
    orgs: dict[str, str] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    treasury: str = ""
    payout: str = ""
    setup_keys: dict[str, LocalAccount] = field(default_factory=dict)
    _labels: Iterator[int] = field(default_factory=itertools.count)

    # -- HTTP -------------------------------------------------------------------

    def auth(self, who: str) -> dict[str, str]:
        key = self.admin_key if who == "admin" else self.keys[who]
        return {"Authorization": f"Bearer {key}"}

    def post(self, path: str, who: str | None, body: Any, **headers: str) -> Any:
        h_ = {**(self.auth(who) if who else {}), **headers}
        return self.client.post(path, json=body, headers=h_)

    def get(self, path: str, who: str = "reader", **params: Any) -> Any:
        return self.client.get(path, headers=self.auth(who), params=params)

    def write(self, method: str, path: str, who: str, body: Any, **headers: str) -> Any:
        """A write with ``?wait=true``; asserts it was mined (200)."""
        r = self.client.request(
            method, path, json=body, params={"wait": "true"}, headers={**self.auth(who), **headers}
        )
        assert r.status_code == 200, r.text
        assert r.json()["state"] == "mined"
        return r

    # -- chain setup (not under test) --------------------------------------------

    def tx(self, who: str, fn: str, *args: Any, contract: str | None = None) -> Any:
        """Send ``fn(*args)`` signed by ``who``'s setup key, straight to the chain (fixed
        gas, no simulation: the setup is not what these tests measure). Only keys that
        never write through the gateway's pipeline sign here, so its nonces stay in step."""
        signer = self.setup_keys[who]
        c = self.runtime.contract(contract or CONTRACT_OF.get(fn, "AssetRegistryV2"))
        w3 = self.runtime.w3
        with self.runtime.txpipe._chain_lock:
            nonce = w3.eth.get_transaction_count(signer.address, "pending")
            tx = getattr(c.functions, fn)(*args).build_transaction(
                {
                    "from": signer.address,
                    "nonce": nonce,
                    "gas": 3_000_000,
                    "chainId": self.runtime.handle.chain_id,
                    **self.runtime.handle.fee_fields(),
                }
            )
            tx_hash = w3.eth.send_raw_transaction(signer.sign_transaction(tx).raw_transaction)
            receipt = w3.eth.wait_for_transaction_receipt(tx_hash)
        assert receipt["status"] == 1, (who, fn)
        return receipt

    def event_arg(self, receipt: Any, event: str, arg: str,
                  contract: str = "AssetRegistryV2") -> str:  # fmt: skip
        c = self.runtime.contract(contract)
        logs = getattr(c.events, event)().process_receipt(receipt, errors=DISCARD)
        assert len(logs) == 1, (event, logs)
        return "0x" + bytes(logs[0]["args"][arg]).hex()

    def travel(self, seconds: int) -> None:
        with self.runtime.txpipe._chain_lock:
            self.runtime.handle.advance_time(seconds)

    def registered_asset(self) -> str:
        n = next(self._labels)
        receipt = self.tx("holder", "registerResource", h(f"cat:{n}"), h(f"meta:{n}"), 7)
        return self.event_arg(receipt, "ResourceRegistered", "assetId")

    def certified_asset(self) -> str:
        asset = self.registered_asset()
        raw = bytes.fromhex(asset[2:])
        self.tx("registrar", "recordValuation", raw, 2_000_000_00, 3, h("valuation"))
        self.tx("registrar", "recordCompliance", raw, True, h("compliance"))
        self.travel(NOTICE + 1)
        self.tx("registrar", "issueCertificate", raw)
        return asset

    def approved_asset(self, *, schedule: bool = True) -> str:
        """A certified asset whose paid use by ``operator`` finance approved; with
        ``schedule`` the worked example's schedule (version 1, set by finance)."""
        asset = self.certified_asset()
        raw = bytes.fromhex(asset[2:])
        receipt = self.tx(
            "holder", "applyForPaidUse", raw, h("scope"), bytes.fromhex(self.orgs["operator"][2:])
        )
        app = bytes.fromhex(
            self.event_arg(receipt, "ApplicationChanged", "applicationId", "UseAndFinance")[2:]
        )
        self.tx("competent", "reviewPaidUse", app, True, h("ok"))
        self.tx("data_admin", "reviewPaidUse", app, True, h("ok"))
        self.tx("finance", "decidePaidUse", app, True, h("ok"))
        if schedule:
            self.tx(
                "finance", "setSchedule", raw, EXAMPLE_BOUNDS, EXAMPLE_BPS,
                contract="RevenueSplitV2",
            )
        return asset

    def set_schedule(self, asset: str, bounds: list[int], bps: list[int]) -> Any:
        return self.write(
            "POST",
            f"/v1/assets/{asset}/schedules",
            "finance",
            {"lower_bounds": bounds, "operator_bps": bps},
        )

    def fund(self, who: str, amount: int) -> None:
        self.write("POST", "/v1/dev/faucet", "admin", {"org_id": self.orgs[who], "amount": amount})

    def balance(self, account: str) -> int:
        from chain.service import revenue

        return revenue.account_balance(self.runtime, account)


def _include_revenue_router(app: FastAPI) -> None:
    paths = {getattr(r, "path", None) for r in app.routes}
    if "/v1/split/quote" not in paths:
        app.include_router(revenue_routes.router)


@pytest.fixture(scope="session")
def rl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RevenueLedger]:
    folder: Path = tmp_path_factory.mktemp("revenue")
    settings = LedgerSettings(
        chain="memory",
        var_dir=folder,
        keystore_passphrase="test-passphrase",
        bootstrap_token=BOOTSTRAP,
    )
    runtime = LedgerRuntime.start(settings)
    app = create_app(runtime=runtime)
    _include_revenue_router(app)
    with TestClient(app, raise_server_exceptions=False) as client:
        led = RevenueLedger(app, client, runtime, BOOTSTRAP)
        led.setup_keys["admin"] = runtime.admin
        for label, (kind, gateway_kind) in KINDS.items():
            name_hash = h(f"name:{label}")
            org_id = chain_org_id(kind, QINGDAO, name_hash)
            org = runtime.provision_org(org_id, f"Qingdao {label}", gateway_kind, QINGDAO)
            led.orgs[label] = org.org_id
            if label in SETUP_ONLY:
                led.setup_keys[label] = runtime.signer_for_org(org.org_id)
            if label == "registrar":
                led.tx("admin", "bootstrapRegistrar", QINGDAO, name_hash, org.signer_address)
            else:
                led.tx("registrar", "admitOrg", kind, name_hash, org.signer_address)
            _, key = runtime.accounts.create_user(org.org_id, f"{label} writer", "writer")
            led.keys[label] = key
        # finance decides paid use in the setup with a second signing key of its own: its
        # gateway key proposes it (the organisation consents), the new key accepts
        finance_setup = Account.create()
        runtime.handle.fund(finance_setup.address)
        op = runtime.submit(
            led.orgs["finance"], "OrgDirectory", "proposeSigningKey", [finance_setup.address, 0],
            caller="revenue-test-setup",
        )  # fmt: skip
        assert runtime.txpipe.wait(op.id, 30).state == "mined"
        led.setup_keys["finance"] = finance_setup
        led.tx("finance", "acceptSigningKey", bytes.fromhex(led.orgs["finance"][2:]))
        _, led.keys["reader"] = runtime.accounts.create_user(
            led.orgs["holder"], "holder reader", "reader"
        )
        led.treasury = Account.create().address
        led.payout = Account.create().address
        led.write(
            "PUT", f"/v1/cities/{QINGDAO}/treasury-account", "finance", {"account": led.treasury}
        )
        led.write(
            "PUT", f"/v1/orgs/{led.orgs['operator']}/payout-account", "operator",
            {"account": led.payout},
        )  # fmt: skip
        # `merchant` pays from a standing allowance; `merchant2` starts with none, so its
        # payments take the approve-then-pay path
        led.fund("merchant", 10_000_000 * YUAN)
        op = runtime.submit(
            led.orgs["merchant"], "LedgerTestToken", "approve",
            [runtime.contract("RevenueSplitV2").address, 2**256 - 1], caller="revenue-test-setup",
        )  # fmt: skip
        assert runtime.txpipe.wait(op.id, 30).state == "mined"
        yield led
