"""Deep test: the gateway's database fails under it (PostgreSQL read-only, then refusing
connections) while a client writes over HTTP.

Writes are refused with 503 ``store-unavailable`` and Retry-After before anything is
signed: no operation journaled, no nonce taken, nothing sent to the node. Reads that the
database can still serve keep answering. When the database is back, the gateway serves
again by itself (no restart): the refused write, retried with its Idempotency-Key, is
mined once and the holder's nonces have no gap.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, create_engine, select, text
from web3 import Web3

from chain import localnode
from chain.txpipe.models import MINED, AccountNonce, Operation
from tests.e2e.faults_support import (
    Client,
    GatewayProcess,
    fresh_database,
    gateway_env,
    node_config,
    postgres_admin_url,
)

pytestmark = [pytest.mark.deep, pytest.mark.anvil]


def _asset(n: int) -> dict[str, Any]:
    return {"catalogue_code": f"370200-DB-2026-{n:04d}", "domain_code": 7, "metadata": {"n": n}}


def _journal(engine: Engine, org_id: str) -> list[Any]:
    with engine.connect() as db:
        return list(db.execute(
            select(Operation.id, Operation.state, Operation.nonce, Operation.signer)
            .where(Operation.org_id == org_id).order_by(Operation.nonce)))  # fmt: skip


def _refused(client: Client, n: int) -> dict[str, Any]:
    response = client.request("POST", "/v1/assets", "holder", _asset(n),
                              **{"Idempotency-Key": f"store-{n}"})  # fmt: skip
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert int(response.headers["Retry-After"]) >= 1
    body: dict[str, Any] = response.json()
    assert body["code"] == "store-unavailable" and body["status"] == 503
    assert "nothing was signed" in body["detail"]
    return body


def _until_accepted(client: Client, n: int, timeout: float = 60) -> tuple[str, int]:
    """Retry as a client would until the gateway takes the write; (operation, tries)."""
    deadline = time.monotonic() + timeout
    tries = 0
    while True:
        tries += 1
        response = client.request("POST", "/v1/assets", "holder", _asset(n),
                                  **{"Idempotency-Key": f"store-{n}"})  # fmt: skip
        if response.status_code == 202:
            return str(response.json()["id"]), tries
        assert response.status_code == 503 and time.monotonic() < deadline, response.text
        assert response.json()["code"] == "store-unavailable"
        time.sleep(0.5)


def test_database_read_only_or_refusing_connections_refuses_writes_before_signing(
    tmp_path: Path,
) -> None:
    config = node_config(tmp_path, block_time=0, state_interval=5)
    localnode.start(config)
    client: Client | None = None
    with fresh_database("faults_store") as db_url:
        name = db_url.rsplit("/", 1)[1]
        gateway = GatewayProcess(
            tmp_path, gateway_env(tmp_path, config, LEDGER_DATABASE_URL=db_url)
        )
        owner = create_engine("postgresql+psycopg://" + db_url.split("://", 1)[1],
                              isolation_level="AUTOCOMMIT", pool_pre_ping=True)  # fmt: skip

        admin = create_engine("postgresql+psycopg://" + postgres_admin_url().split("://", 1)[1],
                              isolation_level="AUTOCOMMIT")  # fmt: skip

        def sql(statement: str) -> None:  # from another database: this one may refuse
            with admin.connect() as connection:
                connection.execute(text(statement))

        def drop_sessions() -> None:
            sql(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                f"WHERE datname = '{name}' AND pid <> pg_backend_pid()")  # fmt: skip

        try:
            gateway.start()
            client = Client(gateway.url)
            client.registrar_and(("holder", "holder"))
            holder = client.orgs["holder"]
            first, _ = _until_accepted(client, 0)
            w3 = Web3(Web3.HTTPProvider(config.url))
            signer = _journal(owner, holder)[0].signer
            deadline = time.monotonic() + 30
            while _journal(owner, holder)[0].state != MINED and time.monotonic() < deadline:
                time.sleep(0.2)
            before = _journal(owner, holder)
            nonce_before = w3.eth.get_transaction_count(signer, "pending")
            with owner.connect() as db:
                row_before = db.execute(select(AccountNonce.next_nonce)).all()

            # -- read-only: writes refused before signing, reads still answer ----------
            sql(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
            drop_sessions()
            read_only = [_refused(client, 1) for _ in range(3)]
            assert "refuses writes" in read_only[-1]["detail"]
            assert _journal(owner, holder) == before  # nothing journaled, no nonce taken
            with owner.connect() as db:
                assert db.execute(select(AccountNonce.next_nonce)).all() == row_before
            assert w3.eth.get_transaction_count(signer, "pending") == nonce_before
            listed = client.request("GET", f"/v1/operations/{first}", "holder")
            assert listed.status_code == 200 and listed.json()["state"] == MINED
            sql(f'ALTER DATABASE "{name}" SET default_transaction_read_only = off')
            # no restart, no session dropped: the gateway resumes by itself
            op_ro, tries_ro = _until_accepted(client, 1)

            # -- refusing connections: 503 too, and back by itself ---------------------
            sql(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
            drop_sessions()
            down = _refused(client, 2)
            assert "does not answer" in down["detail"]
            health = httpx.get(f"{gateway.url}/healthz", timeout=10)
            assert health.status_code == 200
            sql(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')
            op_down, tries_down = _until_accepted(client, 2)

            # -- nothing half-done: one operation per accepted write, no nonce gap -----
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                after = _journal(owner, holder)
                if all(op.state == MINED for op in after):
                    break
                time.sleep(0.3)
            assert [op.id for op in after] == [*[op.id for op in before], op_ro, op_down]
            assert [op.nonce for op in after] == list(range(len(after)))
            assert {op.state for op in after} == {MINED}
            assert w3.eth.get_transaction_count(signer, "latest") == len(after)
            assert nonce_before == len(before)  # the refused writes sent nothing
            print(
                f"\nstore faults: read-only database -> {len(read_only)} writes refused 503 "
                f"store-unavailable before signing, resumed by itself after {tries_ro} "
                f"tries; connections refused -> 503, resumed after {tries_down} tries; "
                f"journal {len(after)} operations, nonces 0..{len(after) - 1} without a gap, "
                f"lost 0, half-done 0"
            )
        finally:
            if client is not None:
                client.close()
            gateway.stop()
            localnode.stop(config)
            owner.dispose()
            admin.dispose()
