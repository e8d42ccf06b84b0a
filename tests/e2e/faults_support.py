"""Support of the fault-injection tests: a throw-away anvil, gateway processes
(``ledger serve``, optionally ``--workers N``) and the organisations they write for."""

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
from pathlib import Path
from typing import Any

import httpx

from chain import localnode
from chain.paths import REPO_ROOT

BOOTSTRAP = "dal_boot0000_" + "f" * 40
KEYSTORE_PASSPHRASE = "faults-passphrase"
QINGDAO = 370200


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def env_int(name: str, default: int) -> int:
    """A size of a deep test, scaled by an environment variable."""
    return int(os.environ.get(name, str(default)))


def node_config(folder: Path, *, block_time: int, state_interval: int) -> localnode.LocalNodeConfig:
    base = localnode.load_config().with_dir(folder / "node")
    return dataclasses.replace(
        base, port=free_port(), block_time=block_time, state_interval=state_interval
    )


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


def gateway_env(folder: Path, config: localnode.LocalNodeConfig, **extra: str) -> dict[str, str]:
    toml = folder / "localnode.toml"
    write_localnode_toml(config, toml)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    env.update({
        "LEDGER_CHAIN": "local", "LEDGER_LOCALNODE_CONFIG": str(toml),
        "LEDGER_VAR_DIR": str(folder / "var"), "LEDGER_PORT": str(free_port()),
        "LEDGER_BOOTSTRAP_TOKEN": BOOTSTRAP, "LEDGER_KEYSTORE_PASSPHRASE": KEYSTORE_PASSPHRASE,
        **extra,
    })  # fmt: skip
    return env


@dataclasses.dataclass
class GatewayProcess:
    """``ledger serve`` (``--workers N`` when ``workers`` > 1) as a process of its own."""

    folder: Path
    env: dict[str, str]
    workers: int = 1
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.env['LEDGER_PORT']}"

    @property
    def log_file(self) -> Path:
        return self.folder / "gateway.log"

    def start(self, timeout: float = 180.0) -> None:
        args = [sys.executable, "-m", "chain.cli", "serve"]
        if self.workers > 1:
            args += ["--workers", str(self.workers)]
        with self.log_file.open("ab") as log:
            self.process = subprocess.Popen(
                args, cwd=REPO_ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            time.sleep(0.3)
        self.stop()
        tail = self.log_file.read_text(errors="replace")[-3000:]
        raise AssertionError(f"the gateway did not become ready:\n{tail}")

    def stop(self) -> None:
        """SIGTERM to the gateway (uvicorn stops its workers), SIGKILL to its process group
        (the processes this test started) if it does not end."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def log_lines(self, needle: str) -> list[str]:
        return [line for line in self.log_file.read_text(errors="replace").splitlines()
                if needle in line]  # fmt: skip


class Client:
    """HTTP to one gateway, with the keys of the organisations' users."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.keys: dict[str, str] = {"admin": BOOTSTRAP}
        self.orgs: dict[str, str] = {}
        self.http = httpx.Client(base_url=url, timeout=120)

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[who]}"}

    def request(self, method: str, path: str, who: str, body: Any = None, *,
                wait: bool = False, **headers: str) -> httpx.Response:  # fmt: skip
        return self.http.request(
            method, path, json=body, params={"wait": "true"} if wait else None,
            headers={**self.auth(who), **headers},
        )  # fmt: skip

    def mined(self, method: str, path: str, who: str, body: Any = None) -> httpx.Response:
        response = self.request(method, path, who, body, wait=True)
        assert response.status_code == 200, (path, response.text)
        assert response.json()["state"] == "mined", response.text
        return response

    def user(self, label: str, org_id: str, role: str, by: str) -> str:
        response = self.request("POST", f"/v1/orgs/{org_id}/users", by,
                                {"name": f"{label} {role}", "role": role})  # fmt: skip
        assert response.status_code == 201, response.text
        return str(response.json()["api_key"])

    def admit(self, label: str, kind: str, by: str, city: int | None = None) -> str:
        body: dict[str, Any] = {"name": f"{label} of the fault tests", "kind": kind}
        if city is not None:
            body["city_code"] = city
        response = self.mined("POST", "/v1/orgs", by, body)
        org_id = str(response.headers["Ledger-Resource-Id"])
        self.orgs[label] = org_id
        self.keys[label] = self.user(label, org_id, "writer", "admin")
        return org_id

    def registrar_and(self, *cast: tuple[str, str]) -> None:
        """Qingdao's registrar (admitted by the consortium admin), then ``cast``
        ``(label, kind)`` admitted by the registrar, each with a writer user."""
        registrar = self.admit("registrar", "registrar", "admin", QINGDAO)
        self.keys["registrar_admin"] = self.user("registrar", registrar, "admin", "admin")
        for label, kind in cast:
            self.admit(label, kind, "registrar_admin")

    def close(self) -> None:
        self.http.close()


def postgres_admin_url() -> str:
    """The test PostgreSQL (``LEDGER_TEST_POSTGRES_URL``, as ``.ci/run`` exports it; started
    with ``scripts/ci_postgres.sh`` when unset)."""
    url = os.environ.get("LEDGER_TEST_POSTGRES_URL")
    if not url:
        script = REPO_ROOT / "scripts" / "ci_postgres.sh"
        output = subprocess.run([str(script)], check=True, capture_output=True, text=True)
        url = output.stdout.strip().splitlines()[-1]
    return url


@contextlib.contextmanager
def fresh_database(label: str) -> Iterator[str]:
    """A database of its own on the test PostgreSQL (dropped afterwards); its URL."""
    import uuid

    from sqlalchemy import create_engine, text

    admin_url = postgres_admin_url()
    name = f"{label}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(
        "postgresql+psycopg://" + admin_url.split("://", 1)[1], isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as connection:
            connection.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                     "WHERE datname = :name AND pid <> pg_backend_pid()"),
                {"name": name},
            )  # fmt: skip
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
