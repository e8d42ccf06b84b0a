"""A gateway on an in-process chain with the deployed ledger and the Qingdao cast, driven
over HTTP: admin, Qingdao (370200) registrar and its orgs, Xiamen (350200) registrar.

Reuse: ``RegistryWorld.start(folder)`` builds it; ``world.admit_cast()`` admits every org;
``world.certified_asset()`` / ``world.approved_asset()`` bring an asset to a state in a
few HTTP calls (each with ``?wait=true``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from web3 import Web3
from web3.contract import Contract

from api.main import create_app
from api.routers import ROUTERS
from chain.accounts import AccountStore
from chain.runtime import LedgerRuntime
from chain.settings import LedgerSettings

BOOTSTRAP = "dal_boot0000_" + "c" * 40
QINGDAO = 370200
XIAMEN = 350200
DAY = 86_400
NOTICE = 10 * DAY

#: role label -> (kind, display name); all in Qingdao
QINGDAO_CAST: dict[str, tuple[str, str]] = {
    "holder": ("holder", "Qingdao Municipal Transport Bureau"),
    "competent": ("competent_dept", "Qingdao Transport Authority (competent department)"),
    "data_admin": ("data_administration", "Qingdao Big Data Development Administration"),
    "finance": ("finance_dept", "Qingdao Municipal Finance Bureau"),
    "operator": ("operator", "Qingdao Public Data Operation Co."),
    "merchant": ("merchant", "Haiyun Data Merchant Co."),
    "bank": ("bank", "Bank of Qingdao"),
    "exchange": ("exchange", "Qingdao Data Exchange"),
    "auditor": ("auditor", "Qingdao Audit Bureau"),
}


def h(label: str) -> str:
    """A stand-in commitment (report, reason, contract hash)."""
    return "0x" + bytes(Web3.keccak(text=label)).hex()


def settings_for(folder: Path) -> LedgerSettings:
    return LedgerSettings(
        chain="memory", var_dir=folder, keystore_passphrase="test-passphrase",
        bootstrap_token=BOOTSTRAP,
    )  # fmt: skip


def build_app(runtime: LedgerRuntime) -> FastAPI:
    """The gateway app; includes ``api.routers.ROUTERS`` when create_app does not yet."""
    app = create_app(runtime=runtime)
    paths = {getattr(r, "path", None) for r in app.routes}
    if "/v1/assets/{asset_id}/valuation" not in paths:
        for router in ROUTERS:
            app.include_router(router)
    return app


@dataclass
class RegistryWorld:
    runtime: LedgerRuntime
    client: TestClient
    admin_key: str = BOOTSTRAP
    orgs: dict[str, str] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    admins: dict[str, str] = field(default_factory=dict)
    _counter: int = 0

    @property
    def reg(self) -> Contract:
        return self.runtime.registry

    @property
    def directory(self) -> Contract:
        return self.runtime.directory

    @property
    def uaf(self) -> Contract:
        return self.runtime.use_and_finance

    # -- HTTP ----------------------------------------------------------------------------

    def auth(self, role: str) -> dict[str, str]:
        key = self.admin_key if role == "admin" else self.keys[role]
        return {"Authorization": f"Bearer {key}"}

    def call(self, method: str, path: str, role: str, body: Any = None,
             *, wait: bool = True) -> Response:  # fmt: skip
        params = {"wait": "true"} if wait and method != "GET" else None
        return self.client.request(
            method, path, headers=self.auth(role), json=body, params=params
        )

    def ok(self, method: str, path: str, role: str, body: Any = None) -> Response:
        """A write that must be mined (200 with the operation) and indexed: the gateway's
        store holds its block, so reads from the store (lists, the audit, the store itself)
        see it at once."""
        response = self.call(method, path, role, body)
        assert response.status_code == 200, (path, role, response.text)
        assert response.json()["state"] == "mined"
        assert response.headers.get("Ledger-Indexed") == "true", (path, dict(response.headers))
        return response

    def events(self, response: Response, name: str) -> list[dict[str, Any]]:
        return [e["args"] for e in response.json()["events"] if e["event"] == name]

    # -- orgs ------------------------------------------------------------------------------

    def admit(self, label: str, kind: str, name: str, by: str,
              city: int | None = None) -> str:  # fmt: skip
        body: dict[str, Any] = {"name": name, "kind": kind}
        if city is not None:
            body["city_code"] = city
        response = self.call("POST", "/v1/orgs", by, body)
        assert response.status_code == 200, response.text
        org_id = response.headers["Ledger-Resource-Id"]
        assert self.events(response, "OrgAdmitted")[0]["orgId"] == org_id
        self.orgs[label] = org_id
        _, self.keys[label] = self.runtime.accounts.create_user(org_id, f"{label} writer", "writer")
        if kind == "registrar":
            _, self.admins[label] = self.runtime.accounts.create_user(org_id, "admin", "admin")
        return org_id

    def admit_cast(self) -> None:
        self.admit("registrar", "registrar", "Qingdao Data Asset Registration and Evaluation "
                   "Centre", "admin", QINGDAO)  # fmt: skip
        self.admit("xm_registrar", "registrar", "Xiamen Data Asset Registration Centre",
                   "admin", XIAMEN)  # fmt: skip
        self.keys["registrar_admin"] = self.admins["registrar"]
        for label, (kind, name) in QINGDAO_CAST.items():
            self.admit(label, kind, name, "registrar_admin")

    # -- chain -----------------------------------------------------------------------------

    def advance(self, seconds: int) -> None:
        self.runtime.handle.advance_time(seconds)

    def asset(self, asset_id: str) -> dict[str, Any]:
        """holderOrgId and city (``holderOf``) with the asset's state (``assetState``)."""
        from chain.service.common import chain_asset

        return chain_asset(self.runtime, asset_id)

    def resource(self, asset_id: str) -> dict[str, Any]:
        """The immutable facts of a resource: the v2 registry emits them once, in its
        ResourceRegistered event (holderOrgId, catalogueHash, metadataHash, batchId,
        domainCode, city)."""
        from chain.bindings.structs import named

        event = self.reg.events.ResourceRegistered
        logs = event().get_logs(
            from_block=0, argument_filters={"assetId": bytes.fromhex(asset_id[2:])}
        )
        assert len(logs) == 1, f"{len(logs)} ResourceRegistered events for {asset_id}"
        abi = next(i for i in event.abi["inputs"] if i["name"] == "resource")
        resource: dict[str, Any] = named(abi, logs[0]["args"]["resource"])
        return resource

    def status_of(self, asset_id: str) -> str:
        return str(self.client.get(f"/v1/assets/{asset_id}/onchain",
                                   headers=self.auth("auditor")).json()["status"])  # fmt: skip

    # -- shortcuts -------------------------------------------------------------------------

    def new_asset(self, code: str | None = None, metadata: dict[str, Any] | None = None,
                  domain: int = 7) -> str:  # fmt: skip
        self._counter += 1
        body = {
            "catalogue_code": code or f"370200-JT-TEST-{self._counter:04d}",
            "domain_code": domain,
            "metadata": metadata or {"title": f"test resource {self._counter}", "items": 3},
        }
        response = self.ok("POST", "/v1/assets", "holder", body)
        return str(response.headers["Ledger-Resource-Id"])

    def in_notice(self, asset_id: str) -> None:
        self.ok("POST", f"/v1/assets/{asset_id}/valuation", "registrar",
                {"value_fen": 1_250_000_00, "method_code": 1, "report_hash": h("valuation")})
        self.ok("POST", f"/v1/assets/{asset_id}/compliance", "registrar",
                {"passed": True, "report_hash": h("compliance")})  # fmt: skip

    def certified_asset(self) -> tuple[str, str]:
        asset_id = self.new_asset()
        self.in_notice(asset_id)
        self.advance(NOTICE + 1)
        response = self.ok("POST", f"/v1/assets/{asset_id}/certificate", "registrar")
        cert_id = str(response.headers["Ledger-Resource-Id"])
        assert self.events(response, "CertificateIssued")[0]["certificateId"] == cert_id
        return asset_id, cert_id

    def approved_asset(self) -> tuple[str, str, str]:
        asset_id, cert_id = self.certified_asset()
        response = self.ok("POST", f"/v1/assets/{asset_id}/applications", "holder",
                           {"operator_org_id": self.orgs["operator"],
                            "scope": {"purpose": "traffic forecasting"}})  # fmt: skip
        app_id = str(response.headers["Ledger-Resource-Id"])
        self.ok("POST", f"/v1/applications/{app_id}/reviews", "competent", {"approve": True})
        self.ok("POST", f"/v1/applications/{app_id}/reviews", "data_admin", {"approve": True})
        self.ok("POST", f"/v1/applications/{app_id}/approval", "finance", {"approve": True})
        return asset_id, cert_id, app_id


def start_world(folder: Path, *, cast: bool = True) -> tuple[RegistryWorld, TestClient]:
    runtime = LedgerRuntime.start(settings_for(folder))
    # tests only: a cheap argon2 profile so creating dozens of users takes no time
    runtime.accounts = AccountStore(
        runtime.sessions, hasher=PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    )
    client = TestClient(build_app(runtime), raise_server_exceptions=False)
    client.__enter__()
    world = RegistryWorld(runtime, client)
    if cast:
        world.admit_cast()
    return world, client
