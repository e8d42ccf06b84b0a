"""Start, find and stop the local anvil node described by ``localnode.toml``.

The anvil binary ships inside the npm package ``@foundry-rs/anvil-<os>-<arch>``; it is
started directly (not through the package's Node wrapper) so the recorded pid is the
node's own, and stopping it stops exactly that process.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import signal
import socket
import subprocess
import time
import tomllib
import urllib.error
import urllib.request
from dataclasses import dataclass, replace
from pathlib import Path

from chain.paths import DEFAULT_VAR_DIR, LOCALNODE_TOML, NODE_MODULES, REPO_ROOT


class LocalNodeError(RuntimeError):
    """The local node could not be started, found or stopped; the message says why."""


@dataclass(frozen=True)
class LocalNodeConfig:
    host: str
    port: int
    chain_id: int
    block_time: int
    gas_price: int
    base_fee: int
    gas_limit: int
    accounts: int
    state_file: Path
    state_interval: int
    log_file: Path
    pid_file: Path

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def run_file(self) -> Path:
        """Holds the pid of the node a ``ledger run`` started (and stops when it ends)."""
        return self.pid_file.with_name(self.pid_file.stem + ".run")

    def under_var_dir(self, var_dir: Path) -> LocalNodeConfig:
        """The node's files that lie in the default ``var/`` moved to ``var_dir``
        (``LEDGER_VAR_DIR``), at the same place inside it; files configured elsewhere stay."""

        def moved(path: Path) -> Path:
            if path.is_relative_to(DEFAULT_VAR_DIR):
                return var_dir / path.relative_to(DEFAULT_VAR_DIR)
            return path

        return replace(
            self,
            state_file=moved(self.state_file),
            log_file=moved(self.log_file),
            pid_file=moved(self.pid_file),
        )

    def with_dir(self, var_dir: Path) -> LocalNodeConfig:
        """The same node with its state, log and pid under another folder."""
        return replace(
            self,
            state_file=var_dir / "anvil" / "state.json",
            log_file=var_dir / "anvil" / "anvil.log",
            pid_file=var_dir / "anvil" / "anvil.pid",
        )


def load_config(path: Path = LOCALNODE_TOML) -> LocalNodeConfig:
    data = tomllib.loads(path.read_text())
    node, state = data["node"], data["state"]

    def resolve(value: str) -> Path:
        candidate = Path(value)
        return candidate if candidate.is_absolute() else REPO_ROOT / candidate

    return LocalNodeConfig(
        host=str(node.get("host", "127.0.0.1")),
        port=int(node.get("port", 8545)),
        chain_id=int(node["chain_id"]),
        block_time=int(node.get("block_time", 0)),
        gas_price=int(node.get("gas_price", 0)),
        base_fee=int(node.get("base_fee", 0)),
        gas_limit=int(node.get("gas_limit", 30_000_000)),
        accounts=int(node.get("accounts", 2)),
        state_file=resolve(state["file"]),
        state_interval=int(state.get("interval", 2)),
        log_file=resolve(state["log"]),
        pid_file=resolve(state["pid"]),
    )


def config_for(localnode_config: Path, var_dir: Path) -> LocalNodeConfig:
    """``localnode.toml`` (or another config) with the node's files under ``var_dir``."""
    return load_config(localnode_config).under_var_dir(var_dir)


def anvil_binary() -> Path:
    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(
        machine, machine
    )
    system = platform.system().lower()
    path = NODE_MODULES / "@foundry-rs" / f"anvil-{system}-{arch}" / "bin" / "anvil"
    if not path.exists():
        raise LocalNodeError(f"anvil not found at {path}; run `make node-deps` (npm ci)")
    return path


def rpc_chain_id(url: str, timeout: float = 1.0) -> int | None:
    """The chain id a JSON-RPC endpoint reports, or None when nothing answers."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []})
    request = urllib.request.Request(
        url, data=body.encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(json.loads(response.read())["result"], 16)
    except (urllib.error.URLError, OSError, ValueError, KeyError):
        return None


def port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recorded_pid(config: LocalNodeConfig) -> int | None:
    try:
        pid = int(config.pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    return pid if _pid_alive(pid) else None


def command(config: LocalNodeConfig) -> list[str]:
    args = [
        str(anvil_binary()),
        "--host", config.host,
        "--port", str(config.port),
        "--chain-id", str(config.chain_id),
        "--gas-price", str(config.gas_price),
        "--block-base-fee-per-gas", str(config.base_fee),
        "--gas-limit", str(config.gas_limit),
        "--accounts", str(config.accounts),
        "--state", str(config.state_file),
        "--state-interval", str(config.state_interval),
    ]  # fmt: skip
    if config.block_time > 0:
        args += ["--block-time", str(config.block_time)]
    return args


def start(config: LocalNodeConfig, timeout: float = 30.0) -> int:
    """Start the node (or adopt the one already running from our pid file); return its pid."""
    existing = recorded_pid(config)
    if existing is not None and rpc_chain_id(config.url) == config.chain_id:
        return existing
    if port_in_use(config.host, config.port):
        found = rpc_chain_id(config.url)
        what = f"a node with chain id {found}" if found is not None else "another program"
        raise LocalNodeError(
            f"port {config.port} on {config.host} is taken by {what}; stop it or set another "
            f"port in localnode.toml"
        )
    config.state_file.parent.mkdir(parents=True, exist_ok=True)
    log = config.log_file.open("ab")
    process = subprocess.Popen(
        command(config), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    log.close()
    config.pid_file.write_text(str(process.pid))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = config.log_file.read_text(errors="replace")[-2000:]
            raise LocalNodeError(f"anvil exited with code {process.returncode}:\n{tail}")
        if rpc_chain_id(config.url, timeout=0.5) == config.chain_id:
            return process.pid
        time.sleep(0.1)
    stop(config)
    raise LocalNodeError(f"anvil did not answer on {config.url} within {timeout:.0f}s")


def stop(config: LocalNodeConfig, timeout: float = 15.0) -> bool:
    """Stop the node we started (SIGTERM lets it write its state); True when one was running."""
    pid = recorded_pid(config)
    if pid is None:
        config.pid_file.unlink(missing_ok=True)
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _pid_alive(pid):
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.05)
    if _pid_alive(pid):
        os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
    config.pid_file.unlink(missing_ok=True)
    config.run_file.unlink(missing_ok=True)
    return True


def kill(config: LocalNodeConfig) -> None:
    """SIGKILL the node, as a crash would (the last state interval is lost)."""
    pid = recorded_pid(config)
    if pid is not None:
        os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
    config.pid_file.unlink(missing_ok=True)


def restart(config: LocalNodeConfig) -> int:
    stop(config)
    return start(config)
