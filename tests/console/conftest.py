"""Console fixtures: the gateway on an in-process chain with the deployed ledger and a
Qingdao cast (registrar, holder, finance, bank, auditor, operator) admitted through the
service layer, one writer API key each."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.main import create_app
from api.routers import ROUTERS
from chain.accounts import AccountStore, Principal
from chain.runtime import LedgerRuntime
from chain.service import orgs
from chain.settings import LedgerSettings
from chain.txpipe import MINED

BOOTSTRAP = "dal_boot0000_" + "d" * 40
QINGDAO = 370200
NOTICE = 10 * 86_400
CAST = {
    "holder": ("holder", "青岛市交通运输局"),
    "finance": ("finance_dept", "青岛市财政局"),
    "bank": ("bank", "青岛银行"),
    "auditor": ("auditor", "青岛市审计局"),
    "operator": ("operator", "青岛公共数据运营有限公司"),
    "competent": ("competent_dept", "青岛市发展和改革委员会"),
    "dataadmin": ("data_administration", "青岛市大数据发展管理局"),
}


def settings_for(folder: Path) -> LedgerSettings:
    return LedgerSettings(
        chain="memory", var_dir=folder, keystore_passphrase="test-passphrase",
        bootstrap_token=BOOTSTRAP, indexer_poll_seconds=0.05,
    )  # fmt: skip


def start_runtime(folder: Path) -> LedgerRuntime:
    runtime = LedgerRuntime.start(settings_for(folder))
    # tests only: a cheap argon2 profile
    runtime.accounts = AccountStore(
        runtime.sessions, hasher=PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    )
    return runtime


def build_app(runtime: LedgerRuntime) -> FastAPI:
    """The gateway; includes ``api.routers.ROUTERS`` when create_app does not yet."""
    app = create_app(runtime=runtime)
    paths = {getattr(r, "path", None) for r in app.routes}
    if "/console/login" not in paths:
        for router in ROUTERS:
            app.include_router(router)
    return app


@dataclass
class Cast:
    runtime: LedgerRuntime
    orgs: dict[str, str] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)

    def principal(self, label: str) -> Principal:
        principal = self.runtime.accounts.authenticate(self.keys[label])
        assert principal is not None
        return principal

    def advance(self, seconds: int) -> None:
        self.runtime.handle.advance_time(seconds)


def _mined(runtime: LedgerRuntime, op_id: str) -> None:
    op = runtime.txpipe.wait(op_id, 30)
    assert op.state == MINED, (op.state, op.error_code, op.error_detail)


def admit_cast(runtime: LedgerRuntime) -> Cast:
    """Admit the Qingdao registrar (consortium admin) and its orgs; a writer key each."""
    cast = Cast(runtime)
    admin = runtime.accounts.authenticate(BOOTSTRAP)
    assert admin is not None
    made = orgs.create_org(runtime, admin, orgs.OrgCreate(
        name="青岛市数据资产登记评价中心", kind="registrar", city_code=QINGDAO))  # fmt: skip
    _mined(runtime, made.operation.id)
    cast.orgs["registrar"] = made.resource_id
    _, registrar_admin_key = runtime.accounts.create_user(made.resource_id, "admin", "admin")
    registrar_admin = runtime.accounts.authenticate(registrar_admin_key)
    assert registrar_admin is not None
    for label, (kind, name) in CAST.items():
        made = orgs.create_org(runtime, registrar_admin, orgs.OrgCreate(name=name, kind=kind))  # type: ignore[arg-type]
        _mined(runtime, made.operation.id)
        cast.orgs[label] = made.resource_id
    for label, org_id in cast.orgs.items():
        _, cast.keys[label] = runtime.accounts.create_user(org_id, f"{label} 经办人", "writer")
    return cast


def wait_indexed(app: FastAPI, runtime: LedgerRuntime, timeout: float = 30) -> dict[str, Any]:
    """Poll the gateway's indexer until it has stored the chain's head (lag 0)."""
    head = int(runtime.w3.eth.block_number)
    deadline = time.monotonic() + timeout
    while True:
        status: dict[str, Any] = app.state.indexer.status()
        indexed = status.get("indexed_block")
        if status.get("lag") == 0 and indexed is not None and indexed >= head:
            return status
        assert time.monotonic() < deadline, f"the indexer did not catch up: {status}"
        time.sleep(0.05)


@dataclass
class ConsoleWorld:
    runtime: LedgerRuntime
    app: FastAPI
    client: TestClient
    cast: Cast

    def indexed(self) -> dict[str, Any]:
        """Wait until the lists (the indexed store) include everything mined so far."""
        return wait_indexed(self.app, self.runtime)

    def browser(self) -> TestClient:
        """A client with its own cookie jar (one per logged-in person)."""
        return TestClient(self.app, raise_server_exceptions=False, follow_redirects=False)

    def login(self, label: str) -> TestClient:
        client = self.browser()
        response = client.post("/console/login", data={"api_key": self.cast.keys[label]})
        assert response.status_code == 303, response.text
        return client


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleWorld]:
    runtime = start_runtime(tmp_path_factory.mktemp("console"))
    app = build_app(runtime)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield ConsoleWorld(runtime, app, client, admit_cast(runtime))
