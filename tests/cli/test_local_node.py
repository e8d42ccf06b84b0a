"""The operator's local node: ``LEDGER_VAR_DIR`` holds its state, log and pid, and
``ledger run`` stops on Ctrl-C the node it started or adopted from a crashed run, and
leaves running (saying so) a node it did not start. Real anvil on free ports."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from chain import cli, localnode
from chain.paths import DEFAULT_VAR_DIR, LOCALNODE_TOML

pytestmark = pytest.mark.anvil
LEDGER = Path(sys.executable).parent / "ledger"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def write_toml(folder: Path, port: int, **paths: str) -> Path:
    """localnode.toml on another port, automining; its node files stay under var/ unless
    ``paths`` (state, log, pid) say otherwise."""
    text = LOCALNODE_TOML.read_text().replace("port = 8545", f"port = {port}")
    text = text.replace("block_time = 1", "block_time = 0")
    for key, value in paths.items():
        default = {"state": "var/anvil/state.json", "log": "var/anvil/anvil.log",
                   "pid": "var/anvil/anvil.pid"}[key]  # fmt: skip
        text = text.replace(f'"{default}"', f'"{value}"')
    path = folder / "localnode.toml"
    path.write_text(text)
    return path


@dataclass
class Host:
    """An operator's host: its own LEDGER_VAR_DIR, node port and gateway port."""

    folder: Path
    var_dir: Path
    toml: Path
    gateway_port: int

    @property
    def config(self) -> localnode.LocalNodeConfig:
        return localnode.config_for(self.toml, self.var_dir)

    @property
    def env(self) -> dict[str, str]:
        return {
            "PATH": os.environ.get("PATH", ""), "HOME": str(self.folder),
            "LEDGER_VAR_DIR": str(self.var_dir), "LEDGER_LOCALNODE_CONFIG": str(self.toml),
            "LEDGER_PORT": str(self.gateway_port), "LEDGER_INDEXER_ENABLED": "false",
            "LEDGER_KEYSTORE_PASSPHRASE": "test-passphrase",
            "LEDGER_BOOTSTRAP_TOKEN": "dal_boot0000_" + "n" * 40,
        }  # fmt: skip

    def ledger(self, *argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(LEDGER), *argv], cwd=self.folder, env=self.env,
                              capture_output=True, text=True, timeout=120)  # fmt: skip

    def start_run(self) -> subprocess.Popen[str]:
        """``ledger run`` in the background, returned once its gateway answers."""
        process = subprocess.Popen([str(LEDGER), "run"], cwd=self.folder, env=self.env,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True)  # fmt: skip
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            if process.poll() is not None:
                out, err = process.communicate()
                raise AssertionError(f"ledger run exited {process.returncode}:\n{out}\n{err}")
            try:
                if httpx.get(f"http://127.0.0.1:{self.gateway_port}/healthz").status_code == 200:
                    return process
            except httpx.TransportError:
                pass
            time.sleep(0.25)
        process.kill()
        raise AssertionError("ledger run did not serve in time")


@pytest.fixture
def host(tmp_path: Path) -> Iterator[Host]:
    toml = write_toml(tmp_path, free_port())
    found = Host(tmp_path, tmp_path / "state", toml, free_port())
    yield found
    localnode.stop(found.config)


def test_var_dir_moves_only_the_files_under_var(tmp_path: Path) -> None:
    moved = localnode.config_for(LOCALNODE_TOML, tmp_path / "v")
    assert moved.state_file == tmp_path / "v" / "anvil" / "state.json"
    assert moved.log_file == tmp_path / "v" / "anvil" / "anvil.log"
    assert moved.pid_file == tmp_path / "v" / "anvil" / "anvil.pid"
    assert localnode.config_for(LOCALNODE_TOML, DEFAULT_VAR_DIR) == localnode.load_config()
    elsewhere = write_toml(tmp_path, 8545, state=str(tmp_path / "chain" / "state.json"))
    kept = localnode.config_for(elsewhere, tmp_path / "v")
    assert kept.state_file == tmp_path / "chain" / "state.json"
    assert kept.pid_file == tmp_path / "v" / "anvil" / "anvil.pid"


def test_ledger_node_keeps_state_log_and_pid_under_var_dir(
    host: Host, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in host.env.items():
        monkeypatch.setenv(name, value)
    anvil = host.var_dir / "anvil"
    assert cli.main(["node", "start"]) == 0
    started = capsys.readouterr().out
    pid = int((anvil / "anvil.pid").read_text())
    assert f"pid {pid})" in started and f":{host.config.port} " in started
    assert (anvil / "anvil.log").exists()
    assert localnode.rpc_chain_id(host.config.url) == 31337
    assert cli.main(["node", "status"]) == 0
    assert capsys.readouterr().out.startswith("local node running at ")
    assert cli.main(["node", "stop"]) == 0
    assert capsys.readouterr().out == "local node stopped\n"
    assert (anvil / "state.json").exists() and not (anvil / "anvil.pid").exists()
    assert not _alive(pid)
    assert not (DEFAULT_VAR_DIR / "anvil" / "anvil.pid").exists() or int(
        (DEFAULT_VAR_DIR / "anvil" / "anvil.pid").read_text()
    ) != pid


def test_run_after_a_crash_adopts_the_node_and_stops_it_on_ctrl_c(host: Host) -> None:
    first = host.start_run()
    pid = int(host.config.pid_file.read_text())
    assert host.config.run_file.read_text() == str(pid)
    first.kill()  # a crash: no cleanup runs
    out, _ = first.communicate(timeout=30)
    assert f"local node started at {host.config.url} (chain id 31337, pid {pid})" in out
    assert _alive(pid) and localnode.rpc_chain_id(host.config.url) == 31337

    second = host.start_run()
    second.send_signal(signal.SIGINT)
    out, err = second.communicate(timeout=60)
    assert (
        f"adopted the local node at {host.config.url} (chain id 31337, pid {pid}) left "
        "running by an earlier `ledger run` that did not stop; Ctrl-C stops it"
    ) in out, (out, err)
    assert f"local node stopped (pid {pid}; state kept in {host.var_dir / 'anvil'})" in out
    assert not _alive(pid) and localnode.rpc_chain_id(host.config.url) is None
    assert not host.config.run_file.exists() and not host.config.pid_file.exists()


def test_run_leaves_running_a_node_it_did_not_start(host: Host) -> None:
    started = host.ledger("node", "start")
    assert started.returncode == 0, started.stderr
    pid = int(host.config.pid_file.read_text())
    run = host.start_run()
    run.send_signal(signal.SIGINT)
    out, err = run.communicate(timeout=60)
    assert (
        f"using the local node at {host.config.url} (chain id 31337, pid {pid}) started by "
        "`ledger node start`; it keeps running"
    ) in out, (out, err)
    assert f"local node left running (pid {pid}): this `ledger run` did not start it" in out
    assert _alive(pid) and localnode.rpc_chain_id(host.config.url) == 31337
    stopped = host.ledger("node", "stop")
    assert stopped.stdout == "local node stopped\n" and not _alive(pid)
