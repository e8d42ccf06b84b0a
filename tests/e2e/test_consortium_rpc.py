"""The gateway in ``rpc`` mode on a node that behaves like a consortium chain (Besu QBFT
and the like): a fixed chain id of its own, no fees (gas price and base fee 0, the
ledger's accounts hold no coin), blocks on a schedule, and block headers whose
``extraData`` is longer than Ethereum's 32 bytes (QBFT/IBFT/Clique put validators and
seals there). The node is anvil behind a JSON-RPC proxy that gives every block such
extra data. With ``LEDGER_POA=true`` the gateway deploys, writes, indexes and reads;
without it web3 refuses the headers, which is why docs/operations.md asks for it."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from web3 import Web3
from web3.exceptions import ExtraDataLengthError

from chain import localnode
from chain.clients import http_chain
from tests.e2e.test_gateway_on_anvil import Gateway, free_port, write_localnode_toml

pytestmark = [pytest.mark.deep, pytest.mark.anvil]

CHAIN_ID = 20250
BOOT = "dal_boot0000_" + "p" * 40
#: what a QBFT header carries: vanity, validators, vote, round, seals (RLP), > 32 bytes
QBFT_EXTRA = "0x" + "f87aa0" + "00" * 32 + "ea94" + "11" * 20 + "c080c0" + "ab" * 40


def with_poa_extra(value: Any) -> Any:
    """``value`` with every block object's ``extraData`` replaced by QBFT-like data."""
    if isinstance(value, dict):
        patched = {k: with_poa_extra(v) for k, v in value.items()}
        if "extraData" in patched and "miner" in patched:
            patched["extraData"] = QBFT_EXTRA
        return patched
    if isinstance(value, list):
        return [with_poa_extra(v) for v in value]
    return value


@contextlib.contextmanager
def poa_proxy(upstream: str) -> Iterator[str]:
    """A JSON-RPC endpoint forwarding to ``upstream`` with PoA block headers."""
    client = httpx.Client(timeout=60)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            answer = client.post(upstream, content=body,
                                 headers={"Content-Type": "application/json"})  # fmt: skip
            data = json.dumps(with_poa_extra(answer.json())).encode()
            self.send_response(answer.status_code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        client.close()


@dataclasses.dataclass
class Consortium:
    gateway: Gateway
    rpc_url: str
    w3: Web3


@pytest.fixture(scope="module")
def consortium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Consortium]:
    folder = tmp_path_factory.mktemp("consortium")
    config = dataclasses.replace(
        localnode.load_config().with_dir(folder / "node"), port=free_port(),
        chain_id=CHAIN_ID, block_time=1, gas_price=0, base_fee=0,
    )  # fmt: skip
    write_localnode_toml(config, folder / "localnode.toml")
    localnode.start(config)
    try:
        with poa_proxy(config.url) as rpc_url:
            env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
            env.update({
                "LEDGER_CHAIN": "rpc", "LEDGER_RPC_URL": rpc_url,
                "LEDGER_CHAIN_ID": str(CHAIN_ID), "LEDGER_POA": "true",
                "LEDGER_CONFIRMATIONS": "0", "LEDGER_VAR_DIR": str(folder / "var"),
                "LEDGER_PORT": str(free_port()), "LEDGER_BOOTSTRAP_TOKEN": BOOT,
                "LEDGER_KEYSTORE_PASSPHRASE": "consortium-passphrase",
                "LEDGER_INDEXER_POLL_SECONDS": "0.2",
            })  # fmt: skip
            gateway = Gateway(folder, int(env["LEDGER_PORT"]), env)
            try:
                gateway.start()
                w3 = http_chain(rpc_url, "rpc", CHAIN_ID, poa=True).w3
                yield Consortium(gateway, rpc_url, w3)
            finally:
                gateway.kill()
    finally:
        localnode.stop(config)


def test_the_node_serves_poa_headers_that_need_ledger_poa(consortium: Consortium) -> None:
    block = consortium.w3.eth.get_block("latest")
    assert len(block["proofOfAuthorityData"]) == (len(QBFT_EXTRA) - 2) // 2 > 32
    plain = http_chain(consortium.rpc_url, "rpc", CHAIN_ID, poa=False)
    with pytest.raises(ExtraDataLengthError):
        plain.w3.eth.get_block("latest")


def test_gateway_in_rpc_mode_deploys_writes_and_indexes_on_a_poa_chain(
    consortium: Consortium,
) -> None:
    url, w3 = consortium.gateway.url, consortium.w3
    http = httpx.Client(base_url=url, timeout=60)
    admin = {"Authorization": f"Bearer {BOOT}"}
    chain = http.get("/v1/chain").json()
    assert (chain["mode"], chain["chain_id"]) == ("rpc", CHAIN_ID)
    assert http.get("/readyz").status_code == 200

    def ok(path: str, key: dict[str, str], body: Any) -> httpx.Response:
        response = http.post(path, json=body, headers=key, params={"wait": "true"})
        assert response.status_code == 200, response.text
        assert response.json()["state"] == "mined" and response.headers["Ledger-Indexed"] == "true"
        receipt = w3.eth.get_transaction_receipt(response.json()["tx_hash"])
        assert receipt["status"] == 1 and receipt["effectiveGasPrice"] == 0  # no fees
        return response

    registrar = ok("/v1/orgs", admin, {"kind": "registrar", "city_code": 370200,
                   "name": "Qingdao Data Asset Registration Centre"},
                   ).headers["Ledger-Resource-Id"]  # fmt: skip
    user = http.post(f"/v1/orgs/{registrar}/users", headers=admin,
                     json={"name": "registrar admin", "role": "admin"})  # fmt: skip
    registrar_key = {"Authorization": f"Bearer {user.json()['api_key']}"}
    holder = ok("/v1/orgs", registrar_key, {"kind": "holder",
                "name": "Qingdao Municipal Transport Bureau"}).headers["Ledger-Resource-Id"]
    user = http.post(f"/v1/orgs/{holder}/users", headers=admin,
                     json={"name": "holder writer", "role": "writer"})  # fmt: skip
    holder_key = {"Authorization": f"Bearer {user.json()['api_key']}"}
    asset = ok("/v1/assets", holder_key, {"catalogue_code": "370200-JT-2025-0201",
               "domain_code": 7, "metadata": {"title": "bus GPS traces"}},
               ).headers["Ledger-Resource-Id"]  # fmt: skip
    # the signing accounts never held coin: the chain charges nothing
    signer = http.get(f"/v1/orgs/{holder}", headers=admin).json()["signer_address"]
    assert w3.eth.get_balance(Web3.to_checksum_address(signer)) == 0
    # the indexer followed the PoA headers into the store
    stored = http.get(f"/v1/assets/{asset}", headers=holder_key)
    assert stored.status_code == 200, stored.text
    assert stored.json()["holder_org_id"] == holder
    onchain = http.get(f"/v1/assets/{asset}/onchain", headers=holder_key).json()
    assert onchain["status"] == "Registered" and onchain["proof"]["chain_id"] == CHAIN_ID
    audit = http.get("/v1/audit/consistency", headers=admin).json()
    assert audit["consistent"] is True and audit["block"] is not None
