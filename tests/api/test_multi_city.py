"""Two cities, two gateways, one chain: Xiamen's registrar is admitted by the consortium
admin on Qingdao's gateway with a key held by Xiamen's gateway, which then imports the
org and acts for it (admits a holder, the holder registers an asset).

Both gateways have their own var dir, keystore and database; B uses A's deployment (the
record every city installs) and the same in-process chain.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from httpx import Response
from web3 import Web3

from chain.accounts import AccountStore
from chain.keys import KeyStore
from chain.runtime import ADMIN_KEY, LedgerRuntime
from chain.service.common import KIND_CODES, chain_asset, name_hash, org_id_for, struct, view
from chain.settings import LedgerSettings
from tests.workflows.world import build_app

BOOT_A = "dal_boota000_" + "a" * 40
BOOT_B = "dal_bootb000_" + "b" * 40
XIAMEN = 350200
XM_REGISTRAR = "Xiamen Data Asset Registration Centre"
XM_HOLDER = "Xiamen Municipal Transport Bureau"


def _settings(folder: Path, token: str) -> LedgerSettings:
    return LedgerSettings(
        chain="memory", var_dir=folder, keystore_passphrase=f"passphrase of {folder.name}",
        bootstrap_token=token, indexer_enabled=False,
    )  # fmt: skip


def _cheap_accounts(runtime: LedgerRuntime) -> None:
    runtime.accounts = AccountStore(
        runtime.sessions, hasher=PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    )


@dataclass
class City:
    runtime: LedgerRuntime
    client: TestClient
    admin_key: str

    def call(self, method: str, path: str, key: str, body: Any = None,
             *, wait: bool = True) -> Response:  # fmt: skip
        params = {"wait": "true"} if wait and method == "POST" else None
        return self.client.request(
            method, path, headers={"Authorization": f"Bearer {key}"}, json=body, params=params
        )

    def user(self, org_id: str, role: str) -> str:
        _, key = self.runtime.accounts.create_user(org_id, f"{role} of {org_id[:10]}", role)
        return key


@pytest.fixture(scope="module")
def cities(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[City, City]]:
    runtime_a = LedgerRuntime.start(_settings(tmp_path_factory.mktemp("qingdao"), BOOT_A))
    settings_b = _settings(tmp_path_factory.mktemp("xiamen"), BOOT_B)
    keystore_b = KeyStore.from_settings(settings_b)
    runtime_b = LedgerRuntime.assemble(
        settings_b, runtime_a.handle, keystore_b, keystore_b.get_or_create(ADMIN_KEY),
        runtime_a.deployment,
    )  # fmt: skip
    # one in-process chain: both pipelines go through one serialised client
    runtime_b.txpipe.rpc = runtime_a.txpipe.rpc
    runtime_b.txpipe._chain_lock = runtime_a.txpipe._chain_lock
    for runtime in (runtime_a, runtime_b):
        _cheap_accounts(runtime)
    with (
        TestClient(build_app(runtime_a), raise_server_exceptions=False) as client_a,
        TestClient(build_app(runtime_b), raise_server_exceptions=False) as client_b,
    ):
        yield City(runtime_a, client_a, BOOT_A), City(runtime_b, client_b, BOOT_B)


def _mined(response: Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["state"] == "mined", body
    return body


def _import(city: City, org_id: str, name: str, key_id: str) -> Response:
    body = {"org_id": org_id, "name": name, "key_id": key_id}
    return city.call("POST", "/v1/orgs/import", city.admin_key, body)


def test_registrar_admitted_in_one_gateway_acts_through_its_own(
    cities: tuple[City, City],
) -> None:
    a, b = cities
    registry = a.runtime.contract("AssetRegistryV2")
    assert b.runtime.deployment.address("AssetRegistryV2") == registry.address
    assert b.runtime.deployment.address("OrgDirectory") == a.runtime.directory.address

    # 1. Xiamen's gateway creates a key bound to no org
    created = b.call("POST", "/v1/keys", b.admin_key)
    assert created.status_code == 201, created.text
    key = created.json()
    assert key["key_id"].startswith("key-") and key["org_id"] is None
    address = Web3.to_checksum_address(key["address"])
    assert b.runtime.keystore.exists(key["key_id"])
    assert not a.runtime.keystore.exists(key["key_id"])
    listed = b.call("GET", "/v1/keys", b.admin_key).json()
    assert {"key_id": key["key_id"], "address": address, "org_id": None} in listed

    # importing before the chain shows the binding is refused
    registrar_id = org_id_for("registrar", XIAMEN, XM_REGISTRAR)
    early = _import(b, registrar_id, XM_REGISTRAR, key["key_id"])
    assert early.status_code == 404, early.text
    assert "no organisation" in early.json()["detail"]

    # 2. the consortium admin (Qingdao's gateway) admits the registrar with that address
    admitted = _mined(a.call("POST", "/v1/orgs", a.admin_key, {
        "name": XM_REGISTRAR, "kind": "registrar", "city_code": XIAMEN, "signer_address": address,
    }))  # fmt: skip
    admitted_event = next(e for e in admitted["events"] if e["event"] == "OrgAdmitted")
    assert {e["event"] for e in admitted["events"]} == {
        "SigningKeyAdded", "OrgAdmitted", "RegistrarTermsSet"}  # fmt: skip
    assert admitted["args"][2] == address
    assert admitted_event["args"]["orgId"] == registrar_id
    record = struct(a.runtime, "org", bytes.fromhex(registrar_id[2:]), contract="OrgDirectory")
    assert int(record["kind"]) == KIND_CODES["registrar"] and int(record["city"]) == XIAMEN
    assert bool(record["active"]) and int(record["keyCount"]) == 1
    # the directory keeps no name hash: the id commits to it (and OrgAdmitted carries it)
    assert admitted_event["args"]["nameHash"] == "0x" + name_hash(XM_REGISTRAR).hex()
    org_of, kind, city, active = view(a.runtime, "accountOrg", address, contract="OrgDirectory")
    assert ("0x" + bytes(org_of).hex(), kind, city, active) == (
        registrar_id, KIND_CODES["registrar"], XIAMEN, True)  # fmt: skip
    in_a = a.call("GET", f"/v1/orgs/{registrar_id}", a.admin_key).json()
    assert in_a["signing_key"] == "external" and in_a["signer_address"] == address
    assert in_a["chain"]["city"] == XIAMEN
    assert a.runtime.accounts.get_org(registrar_id).key_name is None

    # the admitting gateway cannot write as the external org
    a_registrar_admin = a.user(registrar_id, "admin")
    refused = a.call("POST", "/v1/orgs", a_registrar_admin, {"name": XM_HOLDER, "kind": "holder"})
    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert problem["code"] == "signing-key-elsewhere"
    assert f"does not hold the signing key of organisation {registrar_id}" in problem["detail"]
    rotation = a.call("POST", f"/v1/orgs/{registrar_id}/keys/rotation", a_registrar_admin)
    assert rotation.status_code == 409 and rotation.json()["code"] == "signing-key-elsewhere"

    # a wrong name or a key the chain does not show signing for the org is refused
    wrong_name = _import(b, registrar_id, "Xiamen", key["key_id"])
    assert wrong_name.status_code == 422, wrong_name.text
    other = b.call("POST", "/v1/keys", b.admin_key).json()
    unbound = _import(b, registrar_id, XM_REGISTRAR, other["key_id"])
    assert unbound.status_code == 409, unbound.text
    assert "does not show key" in unbound.json()["detail"]
    assert b.runtime.accounts.find_org(registrar_id) is None

    # 3. Xiamen's gateway imports the org, bound to its key
    imported = _import(b, registrar_id, XM_REGISTRAR, key["key_id"])
    assert imported.status_code == 201, imported.text
    assert imported.headers["Location"] == f"/v1/orgs/{registrar_id}"
    body = imported.json()
    assert body["org_id"] == registrar_id and body["kind"] == "registrar"
    assert body["city_code"] == XIAMEN and body["signing_key"] == "held"
    assert body["signer_address"] == address and body["chain"]["active"] is True
    assert b.runtime.signer_for_org(registrar_id).address == address
    again = _import(b, registrar_id, XM_REGISTRAR, key["key_id"])
    assert again.status_code == 409, again.text
    assert {"key_id": key["key_id"], "address": address, "org_id": registrar_id} in b.call(
        "GET", "/v1/keys", b.admin_key).json()  # fmt: skip

    # 4. a user of Xiamen's registrar admits a holder through Xiamen's gateway
    b_registrar_admin = b.call("POST", f"/v1/orgs/{registrar_id}/users", b.admin_key,
                               {"name": "Xiamen registrar admin", "role": "admin"})  # fmt: skip
    assert b_registrar_admin.status_code in (200, 201), b_registrar_admin.text
    registrar_key = b_registrar_admin.json()["api_key"]
    holder = _mined(b.call("POST", "/v1/orgs", registrar_key,
                           {"name": XM_HOLDER, "kind": "holder"}))  # fmt: skip
    holder_id = org_id_for("holder", XIAMEN, XM_HOLDER)
    assert next(e for e in holder["events"] if e["event"] == "OrgAdmitted")["args"]["orgId"] == (
        holder_id)  # fmt: skip
    assert holder["signer"].lower() == address.lower() and holder["org_id"] == registrar_id
    holder_signer = b.runtime.accounts.get_org(holder_id).signer_address
    org_of, kind, city, active = view(a.runtime, "accountOrg", holder_signer,
                                      contract="OrgDirectory")  # fmt: skip
    assert ("0x" + bytes(org_of).hex(), kind, city, active) == (
        holder_id, KIND_CODES["holder"], XIAMEN, True)  # fmt: skip

    # 5. the holder registers an asset, mined, in Xiamen
    holder_key = b.user(holder_id, "writer")
    registered = _mined(b.call("POST", "/v1/assets", holder_key, {
        "catalogue_code": "350200-JT-2025-0001", "domain_code": 7,
        "metadata": {"title": "Xiamen bus routes", "items": 12},
    }))  # fmt: skip
    asset_id = registered["events"][0]["args"]["assetId"]
    asset = chain_asset(a.runtime, asset_id)
    assert asset["holderOrgId"] == holder_id
    assert int(asset["city"]) == XIAMEN

    # Qingdao's gateway still cannot act for the registrar; it does not know the holder
    still = a.call("POST", "/v1/orgs", a_registrar_admin, {"name": "Other", "kind": "bank"})
    assert still.status_code == 409 and still.json()["code"] == "signing-key-elsewhere"
    assert a.runtime.accounts.find_org(holder_id) is None
