"""The gateway's indexer in a process of its own (``chain.indexer.process``), on anvil.

A mined write with ``?wait=true`` answers once that process stored its block
(``Ledger-Indexed: true``); ``/readyz`` reports it; a killed indexer process is started
again and catches up; the gateway's shutdown stops it; it exits by itself when the
process that started it is gone.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from chain import localnode
from chain.accounts import AccountStore
from chain.deploy import ensure_deployed
from chain.indexer.process import IndexerProcess, indexer_command
from chain.indexer.runner import deployment_specs
from chain.keys import KeyStore
from chain.runtime import ADMIN_KEY, LedgerRuntime
from chain.settings import LedgerSettings
from tests.txpipe.helpers import anvil_config, anvil_handle
from tests.workflows.world import BOOTSTRAP, QINGDAO, RegistryWorld, build_app

pytestmark = pytest.mark.anvil


def _gone(pid: int, within: float) -> bool:
    """Whether ``pid`` ended (or is a zombie left to whoever adopted it) within the time."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state == "Z":
            return True
        time.sleep(0.05)
    return False


@pytest.fixture(scope="module")
def on_anvil(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LedgerRuntime]:
    folder: Path = tmp_path_factory.mktemp("indexer-process")
    config = anvil_config(folder / "node")
    localnode.start(config)
    try:
        handle = anvil_handle(config)
        settings = LedgerSettings(
            chain="local", var_dir=folder / "var", keystore_passphrase="test-passphrase",
            bootstrap_token=BOOTSTRAP, indexer_poll_seconds=60.0, indexer_process=True,
        )  # fmt: skip
        keystore = KeyStore.from_settings(settings)
        admin = keystore.get_or_create(ADMIN_KEY)
        deployment = ensure_deployed(
            handle, admin, settings.deployments_dir, notice_floor=1, account_change_delay=1
        )
        runtime = LedgerRuntime.assemble(settings, handle, keystore, admin, deployment)
        runtime.accounts = AccountStore(
            runtime.sessions, hasher=PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
        )
        yield runtime
    finally:
        localnode.stop(config)


def test_writes_wait_for_the_indexer_process_and_a_killed_one_comes_back(
    on_anvil: LedgerRuntime,
) -> None:
    runtime = on_anvil
    with TestClient(build_app(runtime), raise_server_exceptions=False) as client:
        runner = client.app.state.indexer  # type: ignore[attr-defined]
        assert isinstance(runner, IndexerProcess)
        first = runner.pid
        assert first is not None and first != os.getpid()
        world = RegistryWorld(runtime, client)
        # each write below is mined, then answered once the process stored its block
        # (the idle process polls once a minute: the wait wakes it)
        world.admit("registrar", "registrar", "Qingdao Registration Centre", "admin", QINGDAO)
        world.keys["registrar_admin"] = world.admins["registrar"]
        world.admit("holder", "holder", "Qingdao Transport Bureau", "registrar_admin")
        started = time.monotonic()
        asset_id = world.new_asset()
        assert time.monotonic() - started < 30.0  # woken, not left to its minute
        stored = client.get(f"/v1/assets/{asset_id}", headers=world.auth("holder"))
        assert stored.status_code == 200, stored.text
        ready = client.get("/readyz").json()
        assert ready["indexer"]["running"] is True
        assert ready["indexer"]["indexed_block"] == ready["head_block"]
        assert ready["indexer"]["lag"] == 0

        os.kill(first, signal.SIGKILL)  # the supervisor starts it again (0.5 s backoff)
        deadline = time.monotonic() + 15
        while runner.pid in (None, first) and time.monotonic() < deadline:
            time.sleep(0.1)
        second = runner.pid
        assert second is not None and second != first
        status = runner.status()
        assert status["restarts"] == 1
        assert status["last_error"] == f"the indexer process exited with {-signal.SIGKILL}"
        again = world.new_asset()  # indexed by the new process
        assert client.get(f"/v1/assets/{again}", headers=world.auth("holder")).status_code == 200
    assert _gone(second, 10)  # the gateway's shutdown stopped it
    assert runner.pid is None and not runner.running


def test_the_indexer_process_exits_once_its_gateway_is_gone(on_anvil: LedgerRuntime) -> None:
    runtime = on_anvil
    settings = runtime.settings
    command = indexer_command(
        str(runtime.w3.provider.endpoint_uri),  # type: ignore[attr-defined]
        settings.resolved_database_url, deployment_specs(runtime.deployment),
        runtime.deployment.deployment_block,
        confirmations=0, batch_size=500, poll_interval=60.0,
    )  # fmt: skip
    # a stand-in gateway: starts the indexer process as the gateway does, then is killed
    stand_in = subprocess.Popen(
        [sys.executable, "-c",
         "import subprocess, sys, time\n"
         "child = subprocess.Popen(sys.argv[1:], stdin=subprocess.PIPE)\n"
         "print(child.pid, flush=True)\n"
         "time.sleep(600)\n",
         *command],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert stand_in.stdout is not None
        child = int(stand_in.stdout.readline())
        time.sleep(1.0)
        assert not _gone(child, 0.1)  # running while its gateway runs
        stand_in.kill()
        stand_in.wait()
        assert _gone(child, 10)  # the end of its stdin: it stops
    finally:
        stand_in.kill()


def test_the_supervisor_records_each_exit_and_starts_the_process_again(tmp_path: Path) -> None:
    """No chain needed: a command that exits with 3 after a moment is started again, each
    exit is the status's last error, and stop leaves nothing running."""
    from chain.db import make_engine, session_factory
    from chain.indexer.models import create_tables

    engine = make_engine("sqlite://")
    create_tables(engine)
    runner = IndexerProcess(
        [sys.executable, "-c", "import sys, time; time.sleep(0.2); sys.exit(3)"],
        session_factory(engine), stream="s", chain_id=1, start_block=5, confirmations=0,
        head=lambda: 9, max_backoff=0.5,
    )  # fmt: skip
    runner.start()
    try:
        deadline = time.monotonic() + 20
        while runner.restarts < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        status = runner.status()
    finally:
        runner.stop()
    assert runner.restarts >= 2
    assert status["last_error"] == "the indexer process exited with 3"
    assert status["indexed_block"] is None and status["lag"] == 9 - 4  # nothing stored yet
    assert status["start_block"] == 5
    assert runner.pid is None and not runner.running
