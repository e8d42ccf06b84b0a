"""Gateway fixtures: an app on an in-process chain with the OutboxProbe contract and a
test-only write route (``POST /v1/test/probe``) built the way product routes are."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field
from web3 import Web3
from web3.contract import Contract

from api.auth import WriterUser
from api.deps import RuntimeDep
from api.main import create_app
from api.writes import WRITE_RESPONSES, WriteOpts, note_preference, write_response
from chain.runtime import LedgerRuntime
from chain.settings import LedgerSettings
from tests.txpipe.helpers import PROBE, deploy_probe
from tests.workflows.world import RegistryWorld

BOOTSTRAP = "dal_boot0000_" + "b" * 40


class ProbeIn(BaseModel):
    key: str = Field(pattern=r"^0x[0-9a-fA-F]{64}$")
    value: int = Field(ge=0, lt=2**128)


def probe_router(probe: Contract) -> APIRouter:
    router = APIRouter()

    @router.post("/v1/test/probe", status_code=202, responses=WRITE_RESPONSES)
    def record(
        body: ProbeIn, user: WriterUser, runtime: RuntimeDep, write: WriteOpts, request: Request
    ) -> JSONResponse:
        op = runtime.txpipe.submit(
            runtime.signer_for_org(user.org_id),
            PROBE,
            probe.address,
            probe.abi,
            "record",
            [Web3.to_bytes(hexstr=body.key), body.value],
            caller=user.user_id,
            org_id=user.org_id,
            idempotency_key=write.idempotency_key,
            request_hash=write.request_hash(request, body),
        )
        return note_preference(
            write_response(runtime.txpipe, op, wait=write.wait, timeout=write.wait_timeout),
            write,
        )

    @router.get("/v1/test/boom")
    def boom() -> dict[str, Any]:
        raise RuntimeError("secret internal detail /etc/passwd")

    return router


class FakeClock:
    """A monotonic clock the test moves (``AccountStore(clock=...)``)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Gateway:
    app: FastAPI
    client: TestClient
    runtime: LedgerRuntime
    probe: Contract
    admin_key: str

    def auth(self, key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"}

    def org(self, n: int | str, kind: str = "holder", city: int = 370200) -> str:
        org_id = "0x" + Web3.keccak(text=f"org-{n}").hex().removeprefix("0x")
        if self.runtime.accounts.find_org(org_id) is None:
            self.runtime.provision_org(org_id, f"Org {n}", kind, city)
        return org_id

    def user(self, org_id: str, role: str = "writer") -> str:
        _, key = self.runtime.accounts.create_user(org_id, f"{role} of {org_id[:8]}", role)
        return key


def settings_for(folder: Path, **extra: Any) -> LedgerSettings:
    return LedgerSettings(
        chain="memory",
        var_dir=folder,
        keystore_passphrase="test-passphrase",
        **extra,
    )


def _gateway(folder: Path) -> Iterator[Gateway]:
    settings = settings_for(folder, bootstrap_token=BOOTSTRAP)
    runtime = LedgerRuntime.start(settings, deploy=False)
    probe = deploy_probe(runtime.handle)
    app = create_app(runtime=runtime)
    app.include_router(probe_router(probe))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Gateway(app, client, runtime, probe, BOOTSTRAP)


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """One gateway per test module (tests use their own organisations and keys)."""
    yield from _gateway(tmp_path_factory.mktemp("gateway"))


@pytest.fixture
def fresh_gateway(tmp_path: Path) -> Iterator[Gateway]:
    """A gateway of its own (for tests that count everything)."""
    yield from _gateway(tmp_path)


@pytest.fixture(scope="module")
def w(registry_world: RegistryWorld) -> RegistryWorld:
    """The deployed ledger with the Qingdao cast (``registry_world``), by its short name."""
    return registry_world
