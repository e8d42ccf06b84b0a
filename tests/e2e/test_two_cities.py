"""Two cities, two gateways, one chain: Qingdao's and Xiamen's gateways as their own
processes (own ports, databases and keystores) on one anvil node. Qingdao deploys; Xiamen
installs the deployment record and joins with a key only its own gateway holds. Xiamen
verifies and recognises Qingdao's certificate reading only the chain; an agreement signed
by both registrars covers every Qingdao certificate, and its withdrawal shows at once in
both gateways; an exchange of Xiamen lists the certificates recognised in its city."""

from __future__ import annotations

import dataclasses
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from web3 import Web3

from chain import localnode
from tests.e2e.test_gateway_on_anvil import Gateway, free_port, h, write_localnode_toml

pytestmark = [pytest.mark.deep, pytest.mark.anvil]

QD_BOOT = "dal_boot0000_" + "q" * 40
XM_BOOT = "dal_boot0000_" + "x" * 40
QINGDAO, XIAMEN = 370200, 350200
NOTICE = 2  # seconds, set through the registrar's terms and waited out


@dataclasses.dataclass
class City:
    """One city's gateway and the API keys of its users."""

    gateway: Gateway
    keys: dict[str, str]
    http: httpx.Client = dataclasses.field(default_factory=lambda: httpx.Client(timeout=60))

    def call(self, method: str, path: str, who: str, body: Any = None,
             *, wait: bool = False) -> httpx.Response:  # fmt: skip
        return self.http.request(
            method, self.gateway.url + path, json=body,
            params={"wait": "true"} if wait else None,
            headers={"Authorization": f"Bearer {self.keys[who]}"},
        )  # fmt: skip

    def ok(self, method: str, path: str, who: str, body: Any = None) -> httpx.Response:
        response = self.call(method, path, who, body, wait=True)
        assert response.status_code == 200, (self.gateway.url, path, who, response.text)
        assert response.json()["state"] == "mined"
        assert response.headers["Ledger-Indexed"] == "true"
        return response

    def get(self, path: str, who: str, **params: Any) -> Any:
        response = self.http.get(self.gateway.url + path, params=params or None,
                                 headers={"Authorization": f"Bearer {self.keys[who]}"})
        assert response.status_code == 200, (self.gateway.url, path, response.text)
        return response.json()

    def user(self, label: str, org_id: str, role: str) -> None:
        response = self.call("POST", f"/v1/orgs/{org_id}/users", "admin",
                             {"name": f"{label} {role}", "role": role})  # fmt: skip
        assert response.status_code == 201, response.text
        self.keys[label] = str(response.json()["api_key"])

    def recognised(self, cert: str, org: str, who: str) -> bool:
        return bool(self.get(f"/v1/certificates/{cert}/status", who, by=org)["recognised"])


@dataclasses.dataclass
class Cities:
    qd: City
    xm: City
    w3: Web3
    orgs: dict[str, str] = dataclasses.field(default_factory=dict)


def _env(folder: Path, boot: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    env.update({
        "LEDGER_VAR_DIR": str(folder), "LEDGER_PORT": str(free_port()),
        "LEDGER_BOOTSTRAP_TOKEN": boot, "LEDGER_KEYSTORE_PASSPHRASE": f"{boot[-1]}-passphrase",
        "LEDGER_INDEXER_POLL_SECONDS": "0.2", **extra,
    })  # fmt: skip
    return env


@pytest.fixture(scope="module")
def cities(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cities]:
    folder = tmp_path_factory.mktemp("two-cities")
    config = dataclasses.replace(
        localnode.load_config().with_dir(folder / "node"), port=free_port(), block_time=0
    )
    toml = folder / "localnode.toml"
    write_localnode_toml(config, toml)
    localnode.start(config)
    qd_env = _env(folder / "qingdao", QD_BOOT, LEDGER_CHAIN="local",
                  LEDGER_LOCALNODE_CONFIG=str(toml))  # fmt: skip
    qd = Gateway(folder / "qingdao", int(qd_env["LEDGER_PORT"]), qd_env)
    (folder / "qingdao").mkdir()
    xm_env = _env(folder / "xiamen", XM_BOOT, LEDGER_CHAIN="rpc", LEDGER_RPC_URL=config.url,
                  LEDGER_CHAIN_ID=str(config.chain_id))  # fmt: skip
    xm = Gateway(folder / "xiamen", int(xm_env["LEDGER_PORT"]), xm_env)
    try:
        qd.start()  # deploys
        record = folder / "qingdao" / "deployments" / f"{config.chain_id}.json"
        (folder / "xiamen" / "deployments").mkdir(parents=True)
        shutil.copy(record, folder / "xiamen" / "deployments" / record.name)
        xm.start()  # finds Qingdao's deployment on the chain
        yield Cities(City(qd, {"admin": QD_BOOT}), City(xm, {"admin": XM_BOOT}),
                     Web3(Web3.HTTPProvider(config.url)))  # fmt: skip
    finally:
        xm.kill()
        qd.kill()
        localnode.stop(config)


def _wait_until(check: Any, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def _certificate(c: Cities, code: str) -> tuple[str, dict[str, Any]]:
    """A Qingdao certificate, through Qingdao's gateway, after a real notice window."""
    qd = c.qd
    asset = qd.ok("POST", "/v1/assets", "holder", {
        "catalogue_code": code, "domain_code": 7, "metadata": {"title": code},
    }).headers["Ledger-Resource-Id"]  # fmt: skip
    qd.ok("POST", f"/v1/assets/{asset}/valuation", "registrar",
          {"value_fen": 1_000_000_00, "method_code": 1, "report_hash": h(f"value {code}")})
    qd.ok("POST", f"/v1/assets/{asset}/compliance", "registrar",
          {"passed": True, "report_hash": h(f"compliance {code}")})  # fmt: skip
    ends = int(qd.get(f"/v1/assets/{asset}/onchain", "holder")["record"]["noticeEndsAt"])

    def notice_over() -> bool:
        # the node mines only for transactions: an empty block at the current time shows
        # whether the window has passed (the clock itself is never moved)
        c.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
        return int(qd.get("/v1/chain", "holder")["head_timestamp"]) >= ends

    _wait_until(notice_over, "the end of the notice", NOTICE + 30)
    cert = str(qd.ok("POST", f"/v1/assets/{asset}/certificate", "registrar")
               .headers["Ledger-Resource-Id"])  # fmt: skip
    document = qd.get(f"/v1/certificates/{cert}/document", "holder")
    return cert, document


def test_two_gateways_verify_recognise_and_agree_on_one_chain(cities: Cities) -> None:
    c = cities
    qd, xm = c.qd, c.xm
    chain_qd, chain_xm = (city.get("/v1/chain", "admin") for city in (qd, xm))
    assert chain_qd["contracts"] == chain_xm["contracts"]
    assert (chain_qd["mode"], chain_xm["mode"]) == ("local", "rpc")

    # -- Qingdao's registrar and holder, held by Qingdao's gateway ---------------------
    qd_reg = qd.ok("POST", "/v1/orgs", "admin", {"kind": "registrar", "city_code": QINGDAO,
                   "name": "Qingdao Data Asset Registration and Evaluation Centre"},
                   ).headers["Ledger-Resource-Id"]  # fmt: skip
    qd.user("registrar", qd_reg, "admin")
    holder = qd.ok("POST", "/v1/orgs", "registrar", {"kind": "holder",
                   "name": "Qingdao Municipal Transport Bureau"}).headers["Ledger-Resource-Id"]
    qd.user("holder", holder, "writer")
    qd.ok("PUT", f"/v1/orgs/{qd_reg}/terms", "registrar",
          {"notice_window_seconds": NOTICE, "certificate_term_seconds": 0})  # fmt: skip

    # -- Xiamen's registrar: its key made in Xiamen, admitted by the consortium admin in
    #    Qingdao with that address, imported by Xiamen -------------------------------------
    key = xm.call("POST", "/v1/keys", "admin")
    assert key.status_code == 201, key.text
    xm_name = "Xiamen Data Asset Registration Centre"
    xm_reg = qd.ok("POST", "/v1/orgs", "admin", {"kind": "registrar", "city_code": XIAMEN,
                   "name": xm_name, "signer_address": key.json()["address"]},
                   ).headers["Ledger-Resource-Id"]  # fmt: skip
    assert qd.get(f"/v1/orgs/{xm_reg}", "admin")["signing_key"] == "external"
    imported = xm.call("POST", "/v1/orgs/import", "admin",
                       {"org_id": xm_reg, "name": xm_name, "key_id": key.json()["key_id"]})
    assert imported.status_code == 201, imported.text
    assert imported.json()["signing_key"] == "held"
    xm.user("registrar", xm_reg, "admin")
    exchange = xm.ok("POST", "/v1/orgs", "registrar", {"kind": "exchange",
                     "name": "Xiamen Data Exchange"}).headers["Ledger-Resource-Id"]
    xm.user("exchange", exchange, "writer")

    # -- a Qingdao certificate, verified by Xiamen from the chain alone -----------------
    cert, document = _certificate(c, "370200-JT-2025-0101")
    verdict = xm.http.post(xm.gateway.url + "/v1/verify",
                           json={"document": document, "by_org_id": xm_reg}).json()
    checks = {r["code"]: r["ok"] for r in verdict["reasons"]}
    assert checks["signature"] and checks["signer_registrar"] and checks["status"]
    assert checks["recognised"] is False and verdict["valid"] is False
    # Xiamen's gateway holds neither Qingdao's key nor its documents
    missing = xm.call("GET", f"/v1/certificates/{cert}/document", "registrar")
    assert missing.status_code == 404 and "does not hold that key" in missing.json()["detail"]
    xm.ok("POST", f"/v1/certificates/{cert}/recognitions", "registrar")
    verdict = xm.http.post(xm.gateway.url + "/v1/verify",
                           json={"document": document, "by_org_id": xm_reg}).json()
    assert verdict["valid"] is True, verdict
    assert qd.recognised(cert, xm_reg, "holder") and xm.recognised(cert, xm_reg, "registrar")

    # -- an agreement signed by both registrars covers every Qingdao certificate --------
    agreement = qd.ok("POST", "/v1/agreements", "registrar",
                      {"partner_org_id": xm_reg}).headers["Ledger-Resource-Id"]  # fmt: skip
    second, second_doc = _certificate(c, "370200-JT-2025-0102")
    assert not xm.recognised(second, xm_reg, "registrar")  # proposed, not signed yet
    xm.ok("POST", f"/v1/agreements/{agreement}/signature", "registrar")
    for city in (qd, xm):
        listed = city.get("/v1/agreements", "registrar")
        assert [(a["agreement_id"], a["status"]) for a in listed] == [(agreement, "Active")]
    assert qd.recognised(second, xm_reg, "holder") and xm.recognised(second, xm_reg, "registrar")
    verdict = xm.http.post(xm.gateway.url + "/v1/verify",
                           json={"document": second_doc, "by_org_id": xm_reg}).json()
    assert verdict["valid"] is True, verdict
    # withdrawn by Xiamen: both gateways read it from the chain in the next request
    xm.ok("DELETE", f"/v1/agreements/{agreement}", "registrar")
    for city in (qd, xm):  # each gateway's own store, the change just mined: at once
        listed = city.get("/v1/agreements", "registrar")
        assert [(a["agreement_id"], a["status"]) for a in listed] == [(agreement, "Withdrawn")]
    assert not qd.recognised(second, xm_reg, "holder")
    assert not xm.recognised(second, xm_reg, "registrar")
    assert qd.recognised(cert, xm_reg, "holder")  # the individual recognition stays

    # -- Xiamen's exchange lists the certificates recognised in its city ----------------
    xm.ok("POST", f"/v1/certificates/{cert}/recognitions", "exchange")

    def listed(by: str) -> list[str]:
        page = xm.get("/v1/certificates", "exchange", recognised_by=by)
        return [row["certificate_id"] for row in page["items"]]

    _wait_until(lambda: listed(xm_reg) == [cert], "Xiamen's store to index the recognition")
    assert listed(exchange) == [cert]
    row = xm.get(f"/v1/certificates/{cert}", "exchange")
    assert row["registrar_org_id"] == qd_reg and set(row["recognised_by"]) == {xm_reg, exchange}
