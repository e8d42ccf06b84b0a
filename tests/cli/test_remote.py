"""``ledger`` as a remote client: the installed command, run in a shell that has only
``LEDGER_API_URL`` and ``LEDGER_API_KEY`` (no ``LEDGER_*`` setting of the gateway's host,
another working directory), talks to a gateway served by uvicorn on a free port."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from argon2 import PasswordHasher

from api.main import create_app
from chain.accounts import AccountStore
from chain.runtime import LedgerRuntime
from chain.service.common import chain_asset
from chain.settings import LedgerSettings
from tests.cli.conftest import QINGDAO, h, resource_of

BOOTSTRAP = "dal_boot0000_" + "r" * 40
LEDGER = Path(sys.executable).parent / "ledger"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Remote:
    url: str
    runtime: LedgerRuntime
    holder: str
    holder_key: str
    registrar_key: str
    home: Path

    def ledger(self, *argv: str, key: str | None, url: str | None = None,
               ) -> subprocess.CompletedProcess[str]:  # fmt: skip
        """``ledger ARGV`` in a shell with only the gateway's URL and the user's key."""
        env = {"PATH": os.environ.get("PATH", ""), "HOME": str(self.home),
               "LEDGER_API_URL": url or self.url}  # fmt: skip
        if key is not None:
            env["LEDGER_API_KEY"] = key
        return subprocess.run([str(LEDGER), *argv], cwd=self.home, env=env, capture_output=True,
                              text=True, timeout=120)  # fmt: skip


def _admit(client: httpx.Client, key: str, body: dict[str, object]) -> str:
    auth = {"Authorization": f"Bearer {key}"}
    answer = client.post("/v1/orgs", params={"wait": "true"}, json=body, headers=auth)
    assert answer.status_code == 200, answer.text
    return answer.headers["Ledger-Resource-Id"]


def _user(client: httpx.Client, key: str, org_id: str, role: str) -> str:
    auth = {"Authorization": f"Bearer {key}"}
    answer = client.post(f"/v1/orgs/{org_id}/users", json={"name": role, "role": role},
                         headers=auth)  # fmt: skip
    assert answer.status_code == 201, answer.text
    return str(answer.json()["api_key"])


@pytest.fixture(scope="module")
def remote(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Remote]:
    folder = tmp_path_factory.mktemp("gateway")
    settings = LedgerSettings(chain="memory", var_dir=folder, indexer_enabled=False,
                              bootstrap_token=BOOTSTRAP,
                              keystore_passphrase="test-passphrase")  # fmt: skip
    runtime = LedgerRuntime.start(settings)
    # tests only: a cheap argon2 profile so creating and checking keys takes no time
    runtime.accounts = AccountStore(
        runtime.sessions, hasher=PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    )
    port = free_port()
    config = uvicorn.Config(create_app(runtime=runtime), host="127.0.0.1", port=port,
                            log_level="warning")  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=url, timeout=60) as client:
            for _ in range(200):
                if server.started:
                    break
                threading.Event().wait(0.05)
            registrar = _admit(client, BOOTSTRAP, {
                "name": "Qingdao Data Asset Registration Centre", "kind": "registrar",
                "city_code": QINGDAO})  # fmt: skip
            registrar_admin = _user(client, BOOTSTRAP, registrar, "admin")
            registrar_key = _user(client, registrar_admin, registrar, "writer")
            holder = _admit(client, registrar_admin, {
                "name": "Qingdao Municipal Transport Bureau", "kind": "holder"})  # fmt: skip
            holder_key = _user(client, BOOTSTRAP, holder, "writer")
        home = tmp_path_factory.mktemp("shell")
        yield Remote(url, runtime, holder, holder_key, registrar_key, home)
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def _metadata(remote: Remote, name: str) -> str:
    path = remote.home / name
    path.write_text(json.dumps({"title": f"resource {name}", "items": 3}), encoding="utf-8")
    return name  # relative to the shell's working directory


def test_readme_one_liner_registers_an_asset_with_only_url_and_key(remote: Remote) -> None:
    meta = _metadata(remote, "bus.json")
    done = remote.ledger("asset", "register", "--catalogue-code", "370200-JT-REMOTE",
                         "--domain", "7", "--metadata", meta, key=remote.holder_key)  # fmt: skip
    assert done.returncode == 0, done.stderr
    line = done.stdout.strip()
    assert line.startswith("asset 0x") and " mined in block " in line and "\n" not in line
    asset_id = line.split()[1].rstrip(":")
    record = chain_asset(remote.runtime, asset_id)
    assert record["holderOrgId"] == remote.holder
    assert resource_of(remote.runtime, asset_id)["domainCode"] == 7


def test_flags_replace_the_environment(remote: Remote) -> None:
    done = remote.ledger("me", "--json", "--api-url", remote.url, "--api-key", remote.holder_key,
                         key=None, url="http://127.0.0.1:9")  # fmt: skip
    assert done.returncode == 0, done.stderr
    me = json.loads(done.stdout)
    assert me["org_id"] == remote.holder and me["org_kind"] == "holder"


def test_bad_key_is_one_sentence_with_the_code(remote: Remote) -> None:
    done = remote.ledger("asset", "show", "0x" + "11" * 32, key="dal_nope_nope")
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == "error [not-authenticated]: the API key is not valid or was revoked\n"


def test_missing_key_is_refused_before_sending(remote: Remote) -> None:
    done = remote.ledger("me", key=None)
    assert done.returncode == 1
    assert done.stderr.startswith("error [not-authenticated]: this command acts as a user")


def test_invalid_input_is_exit_2_with_the_field(remote: Remote) -> None:
    done = remote.ledger("asset", "value", "0x" + "11" * 32, "--value-fen", "-1", "--method",
                         "1", "--report-hash", h("x"), key=remote.registrar_key)  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.startswith("error [validation-failed]: ") and "value_fen" in done.stderr
    assert done.stderr.count("\n") == 1


def test_contract_refusal_names_the_error(remote: Remote) -> None:
    meta = _metadata(remote, "early.json")
    registered = remote.ledger("asset", "register", "--catalogue-code", "370200-JT-EARLY2",
                               "--domain", "7", "--metadata", meta, "--json",
                               key=remote.holder_key)  # fmt: skip
    asset_id = json.loads(registered.stdout)["id"]
    done = remote.ledger("cert", "issue", asset_id, "--json", key=remote.registrar_key)
    assert done.returncode == 1
    problem = json.loads(done.stdout)
    assert problem["code"] not in ("contract-revert", "not-found") and problem["status"] == 409
    assert done.stderr.startswith(f"error [{problem['code']}]: ")


def test_no_wait_prints_the_operation_and_op_show_follows_it(remote: Remote) -> None:
    meta = _metadata(remote, "metro.json")
    argv = ("asset", "register", "--catalogue-code", "370200-JT-NOWAIT2", "--domain", "7",
            "--metadata", meta, "--no-wait", "--json", "--idempotency-key", "metro-1")  # fmt: skip
    first = remote.ledger(*argv, key=remote.holder_key)
    assert first.returncode == 0, first.stderr
    body = json.loads(first.stdout)
    op_id = body["operation"]["id"]
    assert body["kind"] == "asset" and body["operation"]["state"] in ("pending", "sent", "mined")
    shown = remote.ledger("op", "show", op_id, "--json", key=remote.holder_key)
    op = json.loads(shown.stdout)
    assert op["id"] == op_id and op["state"] == "mined" and op["function"] == "registerResource"
    again = remote.ledger(*argv, key=remote.holder_key)
    assert json.loads(again.stdout)["operation"]["id"] == op_id
    record = chain_asset(remote.runtime, body["id"])
    assert record["holderOrgId"] == remote.holder


def test_no_gateway_is_one_sentence(remote: Remote) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    done = remote.ledger("me", key=remote.holder_key, url=closed)
    assert done.returncode == 1
    assert done.stderr.startswith(f"error [gateway-unreachable]: no gateway answers at {closed}")
