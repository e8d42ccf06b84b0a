"""``ledger backup`` / ``ledger restore``: the drill (a gateway's state restored onto a
fresh directory serves the same certificates and sends the operations it had journaled
but not mined), and the refusals (non-empty targets, a backup that does not match its
manifest, another chain)."""

from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import closing
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select

from chain import cli
from chain.accounts import CONSORTIUM_ORG_ID, AccountStore
from chain.backup import (
    MANIFEST,
    BackupError,
    create_backup,
    product_tables,
    restore_backup,
    sha256_of,
)
from chain.db import make_engine
from chain.deploy import read_record, write_record
from chain.keys import KeyStore
from chain.runtime import ADMIN_KEY, LedgerRuntime, migrate_database
from chain.settings import LedgerSettings
from chain.txpipe import MINED
from tests.security.stores import STORES, scratch_database
from tests.workflows.world import QINGDAO, build_app, settings_for, start_world


def use_host(monkeypatch: pytest.MonkeyPatch, var_dir: Path, **env: str) -> None:
    """The ``LEDGER_*`` environment the operator commands read on this host."""
    monkeypatch.setenv("LEDGER_VAR_DIR", str(var_dir))
    monkeypatch.setenv("LEDGER_CHAIN", "memory")
    monkeypatch.delenv("LEDGER_DATABASE_URL", raising=False)
    monkeypatch.delenv("LEDGER_CHAIN_ID", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)


def test_restore_on_fresh_directory_serves_same_certificates_and_pending_operations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    world, client = start_world(tmp_path / "city", cast=False)
    runtime = world.runtime
    world.admit("registrar", "registrar", "Qingdao Registration Centre", "admin", QINGDAO)
    world.keys["registrar_admin"] = world.admins["registrar"]
    world.admit("holder", "holder", "Qingdao Transport Bureau", "registrar_admin")
    _asset_id, cert_id = world.certified_asset()
    certificate = client.get(f"/v1/certificates/{cert_id}", headers=world.auth("holder"))
    assert certificate.status_code == 200, certificate.text
    # local and rpc modes keep the deployment record on disk (memory mode does not)
    write_record(runtime.settings.deployments_dir, runtime.deployment)

    # the node stops taking transactions: a write is journaled (202) but not sent
    send_raw = runtime.txpipe.rpc.send_raw

    def node_down(raw: bytes) -> None:
        raise ConnectionError("node unreachable")

    monkeypatch.setattr(runtime.txpipe.rpc, "send_raw", node_down)
    body = {"catalogue_code": "370200-JT-BACKUP-0001", "domain_code": 7,
            "metadata": {"title": "registered while the node was down"}}  # fmt: skip
    accepted = client.post("/v1/assets", headers=world.auth("holder"), json=body)
    assert accepted.status_code == 202, accepted.text
    op_id = accepted.json()["id"]
    pending = client.get(f"/v1/operations/{op_id}", headers=world.auth("holder")).json()
    assert pending["state"] == "pending"
    tx_hash = runtime.txpipe.get(op_id).tx_hash

    # a live backup through the CLI
    backup_dir = tmp_path / "backup"
    use_host(monkeypatch, runtime.settings.var_dir)
    assert cli.main(["backup", str(backup_dir)]) == 0
    printed = capsys.readouterr().out
    assert "1 operations not yet mined" in printed
    manifest = json.loads((backup_dir / MANIFEST).read_text())
    chain_id = runtime.handle.chain_id
    assert manifest["chain_id"] == chain_id
    assert manifest["pending_operations"] == 1
    assert manifest["head_block_source"] == "indexer"
    assert manifest["head_block"] == manifest["indexed_block"] >= 1
    assert manifest["schema_revision"] == "0007"
    assert manifest["database"] == {"kind": "sqlite", "path": "database/ledger.sqlite"}
    assert {"database/ledger.sqlite", f"var/deployments/{chain_id}.json",
            f"var/keys/{ADMIN_KEY}.json"} <= set(manifest["files"])  # fmt: skip
    assert not any(name.startswith("var/secrets") for name in manifest["files"])
    for name, digest in manifest["files"].items():
        assert sha256_of(backup_dir / name) == digest

    # the original host is gone; the node answers again
    client.__exit__(None, None, None)
    monkeypatch.setattr(runtime.txpipe.rpc, "send_raw", send_raw)
    assert runtime.w3.eth.get_transaction_receipt.__self__ is not None  # type: ignore[attr-defined]
    with pytest.raises(Exception):  # noqa: B017 - the node never saw it
        runtime.w3.eth.get_transaction(tx_hash)

    fresh = tmp_path / "fresh"
    use_host(monkeypatch, fresh)
    assert cli.main(["restore", str(backup_dir)]) == 0
    assert "restored" in capsys.readouterr().out
    settings = settings_for(fresh)
    keystore = KeyStore.from_settings(settings)
    admin = keystore.load(ADMIN_KEY)
    assert admin.address == runtime.admin.address
    deployment = read_record(settings.deployments_dir, chain_id)
    assert deployment is not None and deployment.to_json() == runtime.deployment.to_json()
    copied = sqlite3.connect(backup_dir / "database" / "ledger.sqlite")
    with closing(copied):  # the index file's tables travel in the one copy
        held = {r[0] for r in copied.execute("SELECT name FROM sqlite_master")}
        assert {"idx_certificates", "idx_checkpoint", "operations"} <= held
    restored = LedgerRuntime.assemble(settings, runtime.handle, keystore, admin, deployment)
    assert restored.index_engine.url.database == str(fresh / "ledger.index.db")
    with closing(sqlite3.connect(fresh / "ledger.db")) as main:  # moved back to their file
        names = [r[0] for r in main.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        assert "operations" in names and not [n for n in names if n.startswith("idx_")]
    with TestClient(build_app(restored), raise_server_exceptions=False) as fresh_client:
        op = restored.txpipe.wait(op_id, 60)  # re-sent by the start's reconcile
        assert op.state == MINED, (op.state, op.error_code, op.error_detail)
        receipt = runtime.w3.eth.get_transaction_receipt(tx_hash)
        assert receipt["status"] == 1
        answered = fresh_client.get(f"/v1/operations/{op_id}", headers=world.auth("holder"))
        assert answered.status_code == 200
        assert answered.json()["state"] == "mined"
        same = fresh_client.get(f"/v1/certificates/{cert_id}", headers=world.auth("holder"))
        assert same.status_code == 200
        assert same.json() == certificate.json()
        me = fresh_client.get("/v1/me", headers=world.auth("registrar")).json()
        assert me["org_id"] == world.orgs["registrar"]


# ------------------------------------------------------------------ refusals, formats


def small_host(var_dir: Path, chain_id: int = 31337) -> LedgerSettings:
    """A gateway's files without a chain: keystore, deployment record, migrated database
    with a few rows."""
    settings = LedgerSettings(chain="memory", var_dir=var_dir, keystore_passphrase="pw")
    (var_dir / "keys").mkdir(parents=True)
    (var_dir / "keys" / f"{ADMIN_KEY}.json").write_text('{"address": "00aa", "crypto": {}}')
    (var_dir / "deployments").mkdir()
    (var_dir / "deployments" / f"{chain_id}.json").write_text(f'{{"chain_id": {chain_id}}}')
    (var_dir / "secrets").mkdir()
    (var_dir / "secrets" / "keystore-passphrase").write_text("pw")
    engine = make_engine(settings.resolved_database_url)
    migrate_database(engine)

    store = AccountStore(
        __import__("chain.db", fromlist=["session_factory"]).session_factory(engine),
        hasher=PasswordHasher(time_cost=1, memory_cost=64, parallelism=1),
    )
    store.ensure_consortium(ADMIN_KEY, "0x" + "11" * 20)
    store.create_user(CONSORTIUM_ORG_ID, "admin", "admin")
    store.create_user(CONSORTIUM_ORG_ID, "reader", "reader")
    engine.dispose()
    return settings


def all_rows(url: str) -> dict[str, list[dict[str, Any]]]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return {
                t.name: [dict(r) for r in connection.execute(select(t)).mappings()]
                for t in product_tables()
            }
    finally:
        engine.dispose()


def test_restore_refuses_non_empty_target_unless_forced(tmp_path: Path) -> None:
    source = small_host(tmp_path / "a")
    create_backup(source, tmp_path / "backup")
    other = small_host(tmp_path / "b")
    with pytest.raises(BackupError, match="holds state already"):
        restore_backup(other, tmp_path / "backup")
    assert all_rows(other.resolved_database_url)["users"] != all_rows(
        source.resolved_database_url)["users"]  # fmt: skip
    restore_backup(other, tmp_path / "backup", force=True)
    assert all_rows(other.resolved_database_url) == all_rows(source.resolved_database_url)
    with pytest.raises(BackupError, match="not empty"):
        create_backup(source, tmp_path / "backup")


def test_restore_refuses_backup_that_does_not_match_its_manifest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    source = small_host(tmp_path / "a")
    backup_dir = tmp_path / "backup"
    create_backup(source, backup_dir, include_secrets=True)
    manifest = json.loads((backup_dir / MANIFEST).read_text())
    assert manifest["secrets_included"] is True
    assert "var/secrets/keystore-passphrase" in manifest["files"]

    keystore = backup_dir / "var" / "keys" / f"{ADMIN_KEY}.json"
    original = keystore.read_bytes()
    keystore.write_bytes(original.replace(b"00aa", b"00ab"))
    use_host(monkeypatch, tmp_path / "fresh")
    assert cli.main(["restore", str(backup_dir)]) == 2
    err = capsys.readouterr().err
    assert f"changed: var/keys/{ADMIN_KEY}.json" in err
    assert not (tmp_path / "fresh" / "keys").exists()  # nothing was written

    keystore.write_bytes(original)
    (backup_dir / "var" / "keys" / "intruder.json").write_text("{}")
    assert cli.main(["restore", str(backup_dir), "--check"]) == 2
    assert "not in the manifest: var/keys/intruder.json" in capsys.readouterr().err
    (backup_dir / "var" / "keys" / "intruder.json").unlink()
    (backup_dir / "database" / "ledger.sqlite").unlink()
    with pytest.raises(BackupError, match=r"missing: database/ledger\.sqlite"):
        restore_backup(LedgerSettings(var_dir=tmp_path / "fresh"), backup_dir)


def test_restore_refuses_another_chain(tmp_path: Path) -> None:
    source = small_host(tmp_path / "a", chain_id=31337)
    create_backup(source, tmp_path / "backup")
    assert json.loads((tmp_path / "backup" / MANIFEST).read_text())["chain_id"] == 31337
    target = LedgerSettings(chain="rpc", chain_id=1337, var_dir=tmp_path / "fresh")
    with pytest.raises(BackupError, match=r"chain 31337.*chain 1337"):
        restore_backup(target, tmp_path / "backup")


def test_backup_as_json_lines_restores_every_row(tmp_path: Path) -> None:
    source = small_host(tmp_path / "a")
    manifest = create_backup(source, tmp_path / "backup", database_format="jsonl")
    assert manifest["database"]["kind"] == "jsonl"
    assert manifest["database"]["rows"]["users"] == 2
    assert manifest["database"]["rows"]["organisations"] == 1
    target = LedgerSettings(chain="memory", var_dir=tmp_path / "fresh")
    restore_backup(target, tmp_path / "backup")
    restored = all_rows(target.resolved_database_url)
    assert comparable(restored) == comparable(all_rows(source.resolved_database_url))
    assert len(restored["users"]) == 2
    # the restored SQLite file is a plain database the gateway opens
    with sqlite3.connect(target.resolved_database_url.split("///", 1)[1]) as connection:
        assert connection.execute("select count(*) from users").fetchone() == (2,)


# ------------------------------------------------------------------ PostgreSQL


def comparable(rows: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """Rows in primary-key order with times as naive UTC (SQLite hands back naive times,
    PostgreSQL aware ones)."""

    def value(v: Any) -> Any:
        if isinstance(v, datetime) and v.tzinfo is not None:
            return v.astimezone(UTC).replace(tzinfo=None)
        return v

    return {
        table: sorted(({k: value(v) for k, v in r.items()} for r in found), key=repr)
        for table, found in rows.items()
    }


@pytest.mark.parametrize("store", STORES)
def test_backup_moves_between_sqlite_and_the_store(store: str, tmp_path: Path) -> None:
    """SQLite file -> the store -> JSON lines -> a fresh SQLite file: every row kept."""
    source = small_host(tmp_path / "a")
    create_backup(source, tmp_path / "one")
    expected = comparable(all_rows(source.resolved_database_url))
    with scratch_database(store, tmp_path) as url:
        middle = LedgerSettings(chain="memory", var_dir=tmp_path / "b", database_url=url)
        restore_backup(middle, tmp_path / "one")
        assert comparable(all_rows(url)) == expected
        manifest = create_backup(middle, tmp_path / "two", database_format="jsonl")
    assert manifest["database"]["rows"]["users"] == 2
    last = LedgerSettings(chain="memory", var_dir=tmp_path / "c")
    restore_backup(last, tmp_path / "two")
    assert comparable(all_rows(last.resolved_database_url)) == expected


class HeadOnly(BaseHTTPRequestHandler):
    """A node that answers ``eth_blockNumber`` only (block 0x1234)."""

    def do_POST(self) -> None:
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        assert request["method"] == "eth_blockNumber"
        body = json.dumps({"jsonrpc": "2.0", "id": request["id"], "result": "0x1234"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


def test_backup_records_the_node_head_or_the_indexed_block(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    small_host(tmp_path / "a")
    server = ThreadingHTTPServer(("127.0.0.1", 0), HeadOnly)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        use_host(monkeypatch, tmp_path / "a", LEDGER_CHAIN="rpc", LEDGER_RPC_URL=url)
        assert cli.main(["backup", str(tmp_path / "up")]) == 0
    finally:
        server.shutdown()
        server.server_close()
    manifest = json.loads((tmp_path / "up" / MANIFEST).read_text())
    assert (manifest["head_block"], manifest["head_block_source"]) == (0x1234, "node")
    assert "head block 4660 (node)" in capsys.readouterr().out
    # the node does not answer: the manifest says the indexer's block (none indexed here)
    monkeypatch.setenv("LEDGER_RPC_URL", url)  # the server is closed now
    assert cli.main(["backup", str(tmp_path / "down")]) == 0
    manifest = json.loads((tmp_path / "down" / MANIFEST).read_text())
    assert (manifest["head_block"], manifest["head_block_source"]) == (None, "indexer")
    assert manifest["chain_id"] == 31337  # from the deployment record
