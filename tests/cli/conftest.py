"""One gateway (``api.main.create_app`` on an in-process memory chain) shared by the CLI
tests of a module: the CLI's HTTP client factory is replaced by the gateway app served in
process, so every ``chain.cli.main([...])`` call sends its requests to that gateway."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from web3 import Web3

from api.main import create_app
from chain import cli
from chain.accounts import AccountStore
from chain.cli import gateway as cli_gateway
from chain.runtime import ADMIN_KEY, LedgerRuntime
from chain.settings import LedgerSettings

BOOTSTRAP = "dal_boot0000_" + "d" * 40
QINGDAO = 370200
XIAMEN = 350200
NOTICE = 10 * 86_400


def h(label: str) -> str:
    """A stand-in commitment (report, reason, contract hash)."""
    return "0x" + bytes(Web3.keccak(text=label)).hex()


@dataclass
class Cli:
    runtime: LedgerRuntime
    capsys: pytest.CaptureFixture[str]
    keys: dict[str, str] = field(default_factory=dict)
    orgs: dict[str, str] = field(default_factory=dict)
    err: str = ""

    def run(self, *argv: str, who: str | None = None, json_out: bool = True) -> tuple[int, Any]:
        """``ledger ARGV --json [--api-key KEY]``: the exit code and the printed JSON."""
        args = list(argv) + (["--json"] if json_out else [])
        if who is not None:
            args += ["--api-key", self.keys[who]]
        self.capsys.readouterr()
        code = cli.main(args)
        captured = self.capsys.readouterr()
        out, self.err = captured.out.strip(), captured.err
        if not json_out:
            return code, out
        return code, json.loads(out) if out else None

    def ok(self, *argv: str, who: str | None = None) -> Any:
        code, body = self.run(*argv, who=who)
        assert code == 0, (argv, body, self.err)
        if isinstance(body, dict) and "operation" in body:
            assert body["operation"]["state"] == "mined"
        return body

    def admit(self, label: str, kind: str, name: str, by: str, city: int | None = None) -> str:
        argv = ["org", "create", "--kind", kind, "--name", name]
        if city is not None:
            argv += ["--city", str(city)]
        body = self.ok(*argv, who=by)
        assert body["kind"] == "org"
        org_id = str(body["id"])
        self.orgs[label] = org_id
        user = self.ok("user", "create", org_id, "--name", f"{label} writer", "--role", "writer",
                       who="admin")  # fmt: skip
        self.keys[label] = str(user["api_key"])
        return org_id

    def advance(self, seconds: int) -> None:
        self.runtime.handle.advance_time(seconds)

    def record(self, function: str, record_id: str) -> dict[str, Any]:
        """The chain's record: an asset (``holderOf`` and ``assetState`` of the registry),
        an application or a financing (UseAndFinance), else the registry's view."""
        from chain.service.approvals import _application
        from chain.service.common import chain_asset, struct
        from chain.service.financing import _financing

        if function == "asset":
            return chain_asset(self.runtime, record_id)
        if function == "application":
            return _application(self.runtime, record_id)
        if function == "financing":
            return _financing(self.runtime, record_id)
        return struct(self.runtime, function, bytes.fromhex(record_id[2:]))

    def resource(self, asset_id: str) -> dict[str, Any]:
        """The resource's immutable facts from its ResourceRegistered event."""
        return resource_of(self.runtime, asset_id)

    def value_fen(self, asset_id: str) -> int:
        """The latest valuation (the v2 registry keeps it in its AssetValued events)."""
        logs = self.runtime.registry.events.AssetValued().get_logs(
            from_block=0, argument_filters={"assetId": bytes.fromhex(asset_id[2:])}
        )
        return int(logs[-1]["args"]["valuation"]["valueFen"])


@pytest.fixture(scope="module")
def ledger_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LedgerRuntime]:
    folder: Path = tmp_path_factory.mktemp("cli")
    settings = LedgerSettings(chain="memory", var_dir=folder, indexer_enabled=False,
                              keystore_passphrase="test-passphrase")  # fmt: skip
    runtime = LedgerRuntime.start(settings)
    # tests only: a cheap argon2 profile so creating users takes no time
    runtime.accounts = AccountStore(
        runtime.sessions, hasher=PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    )
    runtime.accounts.ensure_consortium(ADMIN_KEY, runtime.admin.address)
    runtime.accounts.bootstrap_admin(BOOTSTRAP, folder / "secrets" / "bootstrap-admin-key")
    yield runtime


@pytest.fixture(scope="module")
def gateway_client(ledger_runtime: LedgerRuntime) -> Iterator[TestClient]:
    """The gateway app on the module's runtime, served in process."""
    with TestClient(create_app(runtime=ledger_runtime), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="module")
def cast_state() -> tuple[dict[str, str], dict[str, str]]:
    """API keys and org ids admitted so far in this module (label -> value)."""
    return {"admin": BOOTSTRAP}, {}


@pytest.fixture
def ledger(ledger_runtime: LedgerRuntime, gateway_client: TestClient,
           capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
           cast_state: tuple[dict[str, str], dict[str, str]]) -> Cli:  # fmt: skip
    @contextmanager
    def in_process(base_url: str, timeout: float) -> Iterator[TestClient]:
        yield gateway_client

    monkeypatch.setattr(cli_gateway, "CLIENT_FACTORY", in_process)
    monkeypatch.delenv("LEDGER_API_KEY", raising=False)
    monkeypatch.delenv("LEDGER_API_URL", raising=False)
    keys, orgs = cast_state
    return Cli(ledger_runtime, capsys, keys, orgs)


QINGDAO_CAST: dict[str, tuple[str, str]] = {
    "holder": ("holder", "Qingdao Municipal Transport Bureau"),
    "competent": ("competent_dept", "Qingdao Transport Authority"),
    "data_admin": ("data_administration", "Qingdao Big Data Development Administration"),
    "finance": ("finance_dept", "Qingdao Municipal Finance Bureau"),
    "operator": ("operator", "Qingdao Public Data Operation Co."),
    "merchant": ("merchant", "Haiyun Data Merchant Co."),
    "bank": ("bank", "Bank of Qingdao"),
}


@pytest.fixture
def cast(ledger: Cli) -> Cli:
    """The Qingdao and Xiamen registrars and the Qingdao organisations, admitted with the
    CLI once per module (the registrar's admin key is ``registrar_admin``)."""
    if "registrar" not in ledger.orgs:
        ledger.admit("registrar", "registrar", "Qingdao Data Asset Registration Centre",
                     "admin", QINGDAO)  # fmt: skip
        ledger.admit("xm_registrar", "registrar", "Xiamen Data Asset Registration Centre",
                     "admin", XIAMEN)  # fmt: skip
        admin = ledger.ok("user", "create", ledger.orgs["registrar"], "--name", "admin",
                          "--role", "admin", who="admin")  # fmt: skip
        ledger.keys["registrar_admin"] = str(admin["api_key"])
        for label, (kind, name) in QINGDAO_CAST.items():
            ledger.admit(label, kind, name, "registrar_admin")
    return ledger


def resource_of(runtime: LedgerRuntime, asset_id: str) -> dict[str, Any]:
    """The immutable facts of a resource (holderOrgId, catalogueHash, metadataHash, batchId,
    domainCode, city) from the registry's ResourceRegistered event."""
    from chain.bindings.structs import named

    event = runtime.registry.events.ResourceRegistered
    logs = event().get_logs(from_block=0, argument_filters={"assetId": bytes.fromhex(asset_id[2:])})
    assert len(logs) == 1, f"{len(logs)} ResourceRegistered events for {asset_id}"
    abi = next(i for i in event.abi["inputs"] if i["name"] == "resource")
    resource: dict[str, Any] = named(abi, logs[0]["args"]["resource"])
    return resource
