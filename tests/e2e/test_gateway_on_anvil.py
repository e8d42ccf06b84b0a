"""End to end on a real chain: the gateway as its own process (``ledger serve``,
``LEDGER_CHAIN=local``) in front of an anvil node, both started in a temp folder, driven
over real HTTP with httpx. The Qingdao flow - orgs and users, register, value, certify,
recognition by Xiamen, paid use, schedule, token payments of the DOMAIN.md worked
example, off-chain payment and remittance, concurrent payments by one merchant, pledge,
release, disposal - is checked against the contracts read directly with web3 from the
test, and against ``/v1/operations/{id}``.
Then the gateway is SIGKILLed (once right after a 202) and restarted on the same var
folder and node: same contracts, same state, the journaled write mined exactly once."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account import Account
from web3 import Web3
from web3.contract import Contract

from chain import localnode
from chain.artifacts import load
from chain.bindings.contracts import DIRECTORY, REGISTRY, SPLIT, TEST_TOKEN, USE_AND_FINANCE
from chain.paths import REPO_ROOT

pytestmark = [pytest.mark.deep, pytest.mark.anvil]

BOOTSTRAP = "dal_boot0000_" + "e" * 40
QINGDAO, XIAMEN = 370200, 350200
DAY = 86_400
NOTICE = 10 * DAY
YUAN = 100
BOUNDS = [0, 100_000 * YUAN, 500_000 * YUAN]
BPS = [2_000, 3_500, 5_000]
WORKED = [(80_000, 16_000, 64_000), (300_000, 90_000, 210_000), (1_000_000, 410_000, 590_000)]
CAST = {
    "holder": "holder", "competent": "competent_dept", "data_admin": "data_administration",
    "finance": "finance_dept", "operator": "operator", "merchant": "merchant", "bank": "bank",
    "auditor": "auditor",
}  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def h(label: str) -> str:
    return "0x" + bytes(Web3.keccak(text=label)).hex()


def raw(hex_id: str) -> bytes:
    return bytes.fromhex(hex_id[2:])


def write_localnode_toml(config: localnode.LocalNodeConfig, path: Path) -> None:
    path.write_text(
        "[node]\n"
        f'host = "{config.host}"\nport = {config.port}\nchain_id = {config.chain_id}\n'
        f"block_time = {config.block_time}\ngas_price = {config.gas_price}\n"
        f"base_fee = {config.base_fee}\ngas_limit = {config.gas_limit}\n"
        f"accounts = {config.accounts}\n"
        "[state]\n"
        f'file = "{config.state_file}"\ninterval = {config.state_interval}\n'
        f'log = "{config.log_file}"\npid = "{config.pid_file}"\n'
    )


@dataclasses.dataclass
class Gateway:
    """The gateway process and everything needed to restart it on the same folders."""

    folder: Path
    port: int
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 120.0) -> None:
        log = (self.folder / "gateway.log").open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "chain.cli", "serve"], cwd=REPO_ROOT, env=self.env,
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            time.sleep(0.2)
        self.kill()
        tail = (self.folder / "gateway.log").read_text(errors="replace")[-3000:]
        raise AssertionError(f"the gateway did not become ready:\n{tail}")

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None


@dataclasses.dataclass
class E2E:
    gateway: Gateway
    w3: Web3
    keys: dict[str, str] = dataclasses.field(default_factory=dict)
    orgs: dict[str, str] = dataclasses.field(default_factory=dict)
    http: httpx.Client = dataclasses.field(default_factory=lambda: httpx.Client(timeout=60))

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {BOOTSTRAP if who == 'admin' else self.keys[who]}"}

    def call(self, method: str, path: str, who: str | None, body: Any = None,
             *, wait: bool = False, **headers: str) -> httpx.Response:  # fmt: skip
        return self.http.request(
            method, self.gateway.url + path, json=body,
            params={"wait": "true"} if wait else None,
            headers={**(self.auth(who) if who else {}), **headers},
        )  # fmt: skip

    def get(self, path: str, who: str = "auditor") -> Any:
        response = self.call("GET", path, who)
        assert response.status_code == 200, (path, response.text)
        return response.json()

    def ok(self, method: str, path: str, who: str, body: Any = None) -> httpx.Response:
        """A write mined with ``?wait=true``; its operation agrees with the chain."""
        response = self.call(method, path, who, body, wait=True)
        assert response.status_code == 200, (path, who, response.text)
        op = response.json()
        assert op["state"] == "mined"
        receipt = self.w3.eth.get_transaction_receipt(op["tx_hash"])
        assert receipt["status"] == 1 and receipt["blockNumber"] == op["block_number"]
        assert receipt["from"] == Web3.to_checksum_address(op["signer"])
        return response

    def accepted(self, method: str, path: str, who: str, body: Any = None,
                 **headers: str) -> dict[str, Any]:  # fmt: skip
        """A write answered 202; follow ``Location`` until the operation is mined."""
        response = self.call(method, path, who, body, **headers)
        assert response.status_code == 202, (path, response.text)
        location = response.headers["Location"]
        assert location == f"/v1/operations/{response.json()['id']}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            op = self.get(location, who)
            if op["state"] not in ("pending", "sent"):
                break
            time.sleep(0.1)
        assert op["state"] == "mined", op
        return {"op": op, "headers": response.headers, "answered": response.json()}

    def events(self, response: httpx.Response, name: str) -> list[dict[str, Any]]:
        return [e["args"] for e in response.json()["events"] if e["event"] == name]

    def advance(self, seconds: int) -> None:
        self.w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[arg-type]
        self.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]

    def contract(self, name: str) -> Contract:
        address = self.get("/v1/chain", "admin")["contracts"][name]["address"]
        return self.w3.eth.contract(address=Web3.to_checksum_address(address), abi=load(name).abi)

    # -- orgs and users over HTTP ----------------------------------------------------

    def user(self, label: str, org_id: str, role: str, by: str = "admin") -> str:
        response = self.call("POST", f"/v1/orgs/{org_id}/users", by,
                             {"name": f"{label} {role}", "role": role})  # fmt: skip
        assert response.status_code == 201, response.text
        assert response.json()["org_id"] == org_id
        return str(response.json()["api_key"])

    def admit(self, label: str, kind: str, by: str, city: int | None = None) -> str:
        body: dict[str, Any] = {"name": f"{label} of the e2e flow", "kind": kind}
        if city is not None:
            body["city_code"] = city
        response = self.ok("POST", "/v1/orgs", by, body)
        org_id = str(response.headers["Ledger-Resource-Id"])
        assert self.events(response, "OrgAdmitted")[0]["orgId"] == org_id
        self.orgs[label] = org_id
        self.keys[label] = self.user(label, org_id, "writer")
        return org_id


@pytest.fixture(scope="module")
def e2e(tmp_path_factory: pytest.TempPathFactory) -> Iterator[E2E]:
    folder = tmp_path_factory.mktemp("e2e")
    config = dataclasses.replace(
        localnode.load_config().with_dir(folder / "node"), port=free_port(), block_time=0
    )
    toml = folder / "localnode.toml"
    write_localnode_toml(config, toml)
    localnode.start(config)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    env.update({
        "LEDGER_CHAIN": "local", "LEDGER_LOCALNODE_CONFIG": str(toml),
        "LEDGER_VAR_DIR": str(folder / "var"), "LEDGER_PORT": str(free_port()),
        "LEDGER_BOOTSTRAP_TOKEN": BOOTSTRAP, "LEDGER_KEYSTORE_PASSPHRASE": "e2e-passphrase",
    })  # fmt: skip
    gateway = Gateway(folder, int(env["LEDGER_PORT"]), env)
    try:
        gateway.start()
        yield E2E(gateway, Web3(Web3.HTTPProvider(config.url)))
    finally:
        gateway.kill()
        localnode.stop(config)


def test_qingdao_flow_on_anvil_matches_chain_and_survives_sigkill(e2e: E2E) -> None:
    t = e2e
    chain_before = t.get("/v1/chain", "admin")
    assert chain_before["mode"] == "local" and chain_before["chain_id"] == 31337
    reg, split, token = (t.contract(n) for n in (REGISTRY, SPLIT, TEST_TOKEN))
    directory, uaf = t.contract(DIRECTORY), t.contract(USE_AND_FINANCE)

    def balance(account: str) -> int:
        return int(token.functions.balanceOf(Web3.to_checksum_address(account)).call())

    # -- organisations: registrars by the consortium admin, the cast by Qingdao's ---------
    qd = t.admit("registrar", "registrar", "admin", QINGDAO)
    t.admit("xm_registrar", "registrar", "admin", XIAMEN)
    t.keys["registrar_admin"] = t.user("registrar", qd, "admin")
    for label, kind in CAST.items():
        t.admit(label, kind, "registrar_admin")
    assert directory.functions.registrarOf(QINGDAO).call() == raw(qd)
    _kind, city, active, _index, _keys = directory.functions.org(raw(t.orgs["merchant"])).call()
    assert (city, active) == (QINGDAO, True)

    # -- register (202 + operation), value, compliance, notice on chain time, certify ----
    registered = t.accepted("POST", "/v1/assets", "holder", {
        "catalogue_code": "370200-JT-2025-0201", "domain_code": 7,
        "metadata": {"title": "city transport analysis data resource set", "items": 13},
    })  # fmt: skip
    asset_id = registered["headers"]["Ledger-Resource-Id"]
    op = registered["op"]
    assert op["function"] == "registerResource" and op["contract"]["name"] == REGISTRY
    assert op["contract"]["address"] == reg.address and op["chain_id"] == 31337
    assert [e["event"] for e in op["events"]] == ["ResourceRegistered"]
    assert op["events"][0]["args"]["assetId"] == asset_id
    assert t.w3.eth.get_transaction(op["tx_hash"])["nonce"] == op["nonce"]
    assert reg.functions.assetState(raw(asset_id)).call()[0] == 1  # AssetStatus.Registered
    # the next registration of the holder answered once journaled (Prefer: respond-async)
    quick = t.accepted("POST", "/v1/assets", "holder", {
        "catalogue_code": "370200-JT-2025-0290", "domain_code": 7,
        "metadata": {"title": "city transport timetable data resource set"},
    }, Prefer="respond-async")  # fmt: skip
    assert quick["headers"]["Preference-Applied"] == "respond-async"
    assert quick["answered"]["state"] == "pending" and quick["op"]["nonce"] == op["nonce"] + 1
    quick_id = quick["headers"]["Ledger-Resource-Id"]
    assert [e["event"] for e in quick["op"]["events"]] == ["ResourceRegistered"]
    assert reg.functions.assetState(raw(quick_id)).call()[0] == 1
    t.ok("POST", f"/v1/assets/{asset_id}/valuation", "registrar",
         {"value_fen": 1_250_000_00, "method_code": 1, "report_hash": h("valuation")})  # fmt: skip
    t.ok("POST", f"/v1/assets/{asset_id}/compliance", "registrar",
         {"passed": True, "report_hash": h("compliance")})  # fmt: skip
    early = t.call("POST", f"/v1/assets/{asset_id}/certificate", "registrar")
    assert early.status_code == 409 and early.json()["code"] == "NoticeWindowOpen"
    assert early.headers["content-type"].startswith("application/problem+json")
    t.advance(NOTICE + 1)
    response = t.ok("POST", f"/v1/assets/{asset_id}/certificate", "registrar")
    cert_id = response.headers["Ledger-Resource-Id"]
    record = reg.functions.assetState(raw(asset_id)).call()
    assert "0x" + record[9].hex() == cert_id  # currentCertificateId
    assert t.get(f"/v1/assets/{asset_id}/onchain")["status"] == "Certified"

    # -- recognition by Xiamen ---------------------------------------------------------
    xm = raw(t.orgs["xm_registrar"])
    assert reg.functions.isRecognised(raw(cert_id), xm).call() is False
    t.ok("POST", f"/v1/certificates/{cert_id}/recognitions", "xm_registrar")
    assert reg.functions.isRecognised(raw(cert_id), xm).call() is True

    # -- paid use: apply, two reviews, finance approval --------------------------------
    response = t.ok("POST", f"/v1/assets/{asset_id}/applications", "holder", {
        "operator_org_id": t.orgs["operator"], "scope": {"purpose": "traffic forecasting"},
    })  # fmt: skip
    app_id = response.headers["Ledger-Resource-Id"]
    t.ok("POST", f"/v1/applications/{app_id}/reviews", "competent", {"approve": True})
    t.ok("POST", f"/v1/applications/{app_id}/reviews", "data_admin", {"approve": True})
    t.ok("POST", f"/v1/applications/{app_id}/approval", "finance", {"approve": True})
    usability, _city, operator = uaf.functions.paymentContext(raw(asset_id)).call()
    assert usability == 0 and "0x" + operator.hex() == t.orgs["operator"]  # Usable

    # -- schedule, accounts, faucet ----------------------------------------------------
    t.ok("POST", f"/v1/assets/{asset_id}/schedules", "finance",
         {"lower_bounds": BOUNDS, "operator_bps": BPS})  # fmt: skip
    assert split.functions.currentSchedule(raw(asset_id)).call()[0] == 1
    assert split.functions.preview(raw(asset_id), 1_000_000 * YUAN).call() == [
        410_000 * YUAN, 590_000 * YUAN, 1,
    ]  # fmt: skip
    treasury, payout = Account.create().address, Account.create().address
    t.ok("PUT", f"/v1/cities/{QINGDAO}/treasury-account", "finance", {"account": treasury})
    t.ok("PUT", f"/v1/orgs/{t.orgs['operator']}/payout-account", "operator", {"account": payout})
    assert split.functions.treasuryAccount(QINGDAO).call() == treasury
    assert split.functions.payoutAccount(raw(t.orgs["operator"])).call() == payout
    t.ok("POST", "/v1/dev/faucet", "admin",
         {"org_id": t.orgs["merchant"], "amount": 2_000_000 * YUAN})  # fmt: skip
    merchant_balance = t.get(f"/v1/orgs/{t.orgs['merchant']}/balance", "merchant")
    assert merchant_balance["balance"] == 2_000_000 * YUAN
    merchant_account = merchant_balance["account"]
    assert balance(merchant_account) == 2_000_000 * YUAN

    # -- token payments: exact balances after each -------------------------------------
    for n, (amount, operator_share, treasury_share) in enumerate(WORKED):
        payout0, treasury0 = balance(payout), balance(treasury)
        response = t.ok("POST", f"/v1/assets/{asset_id}/payments", "merchant",
                        {"amount": amount * YUAN, "reference": f"QD-E2E-{n}"})  # fmt: skip
        pid = response.headers["Payment-Id"]
        assert balance(payout) - payout0 == operator_share * YUAN
        assert balance(treasury) - treasury0 == treasury_share * YUAN
        assert split.functions.paymentStatus(raw(pid)).call() == 1  # Settled
        (settled,) = [e["args"] for e in response.json()["events"]
                      if e["event"] == "PaymentSettled"]  # fmt: skip
        assert (settled["amount"], settled["operatorShare"]) == (
            amount * YUAN, operator_share * YUAN,
        )  # fmt: skip
    assert (balance(payout), balance(treasury)) == (516_000 * YUAN, 864_000 * YUAN)
    assert balance(merchant_account) == 620_000 * YUAN

    # -- off-chain payment and remittance ----------------------------------------------
    response = t.ok("POST", f"/v1/assets/{asset_id}/payments", "operator",
                    {"amount": 300_000 * YUAN, "offchain": True,
                     "bank_ref": "BOC-E2E-0001"})  # fmt: skip
    off_id = response.headers["Payment-Id"]
    assert split.functions.outstandingRemittance(raw(asset_id)).call() == 210_000 * YUAN
    t.ok("POST", f"/v1/payments/{off_id}/remittance", "finance",
         {"remittance_ref": "TREASURY-E2E-0001"})  # fmt: skip
    assert split.functions.outstandingRemittance(raw(asset_id)).call() == 0
    assert t.get(f"/v1/assets/{asset_id}/remittance")["outstanding_remittance"] == 0

    # -- concurrent payments by one merchant spend its whole balance; none is refused --
    together = [100_000, 120_000, 130_000, 150_000, 120_000]
    assert sum(together) * YUAN == balance(merchant_account)
    shares_before = balance(payout) + balance(treasury)

    def pay_together(n: int) -> httpx.Response:
        with httpx.Client(timeout=60) as client:
            return client.post(
                f"{t.gateway.url}/v1/assets/{asset_id}/payments", params={"wait": "true"},
                json={"amount": together[n] * YUAN, "reference": f"QD-E2E-TOGETHER-{n}"},
                headers=t.auth("merchant"),
            )  # fmt: skip

    with ThreadPoolExecutor(len(together)) as pool:
        answers = list(pool.map(pay_together, range(len(together))))
    assert [a.status_code for a in answers] == [200] * len(together), [a.text for a in answers]
    assert balance(merchant_account) == 0
    assert balance(payout) + balance(treasury) - shares_before == sum(together) * YUAN
    assert t.get(f"/v1/assets/{asset_id}/remittance")["total_paid"] == 2_300_000 * YUAN

    # -- pledge, release, disposal -----------------------------------------------------
    response = t.ok("POST", f"/v1/assets/{asset_id}/pledges", "holder", {
        "bank_org_id": t.orgs["bank"], "amount_fen": 2_000_000_00,
        "contract_hash": h("pledge contract e2e"),
    })  # fmt: skip
    pledge_id = response.headers["Ledger-Resource-Id"]
    t.ok("POST", f"/v1/pledges/{pledge_id}/confirmation", "bank")
    assert "0x" + uaf.functions.pledgeOf(raw(asset_id)).call().hex() == pledge_id
    t.ok("POST", f"/v1/pledges/{pledge_id}/release", "bank")
    assert uaf.functions.pledgeOf(raw(asset_id)).call() == b"\x00" * 32
    t.ok("POST", f"/v1/assets/{asset_id}/disposal", "holder", {"reason_hash": h("disposal")})
    t.ok("POST", f"/v1/assets/{asset_id}/disposal/confirmation", "registrar")
    assert t.get(f"/v1/assets/{asset_id}/onchain")["status"] == "Disposed"
    assert reg.functions.isRecognised(raw(cert_id), xm).call() is False
    late = t.call("POST", f"/v1/assets/{asset_id}/payments", "merchant",
                  {"amount": 100 * YUAN, "reference": "after-disposal"})  # fmt: skip
    assert late.status_code == 409 and late.json()["code"] == "AssetNotUsable"
    assert late.headers["content-type"].startswith("application/problem+json")

    # -- SIGKILL right after a 202; restart on the same var folder and node ------------
    pending = t.call("POST", "/v1/assets", "holder", {
        "catalogue_code": "370200-JT-2025-0202", "domain_code": 7,
        "metadata": {"title": "written just before the crash"},
    })  # fmt: skip
    assert pending.status_code == 202, pending.text
    pending_op, second_asset = pending.json()["id"], pending.headers["Ledger-Resource-Id"]
    t.gateway.kill()
    t.gateway.start()
    chain_after = t.get("/v1/chain", "admin")
    assert chain_after["contracts"] == chain_before["contracts"]
    assert chain_after["chain_id"] == chain_before["chain_id"]
    deadline = time.monotonic() + 60
    while (op := t.get(f"/v1/operations/{pending_op}", "holder"))["state"] != "mined":
        assert time.monotonic() < deadline, op
        time.sleep(0.2)
    assert reg.functions.holderOf(raw(second_asset)).call()[0] == raw(t.orgs["holder"])
    again = t.call("POST", "/v1/assets", "holder", {
        "catalogue_code": "370200-JT-2025-0202", "domain_code": 7,
        "metadata": {"title": "written just before the crash"},
    }, wait=True)  # fmt: skip
    assert again.status_code == 409, again.text  # registered exactly once
    assert again.json()["code"] == "conflict" and again.json()["asset_id"] == second_asset
    # state and keys survive: the same reads, and a new write with the next nonce
    assert t.get(f"/v1/assets/{asset_id}/onchain")["status"] == "Disposed"
    assert t.get(f"/v1/assets/{asset_id}/remittance")["total_paid"] == 2_300_000 * YUAN
    payments = t.get(f"/v1/assets/{asset_id}/payments")["payments"]
    assert len(payments) == 9 and payments[3]["payment_id"] == off_id
    value = {"value_fen": 1_00, "method_code": 1, "report_hash": h("after restart")}
    after = t.ok("POST", f"/v1/assets/{second_asset}/valuation", "registrar", value)
    valued = reg.events.AssetValued().get_logs(
        from_block=0, argument_filters={"assetId": raw(second_asset)}
    )
    assert [e["args"]["valuation"]["valueFen"] for e in valued] == [1_00]
    assert after.json()["nonce"] == t.w3.eth.get_transaction_count(after.json()["signer"]) - 1
