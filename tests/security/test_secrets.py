"""API keys, keystore passphrases and bootstrap tokens never reach logs, metrics or
problem bodies: a real flow runs with every logger at DEBUG (SQLAlchemy's statements and
uvicorn's access log included) over real HTTP, then every captured byte is searched for
every secret in play."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from pydantic import SecretStr

from chain.keys import KeystoreError
from chain.runtime import LedgerRuntime
from chain.throttle import AttemptLimiter, DatabaseCells
from tests.security.conftest import FakeClock
from tests.workflows.world import BOOTSTRAP, QINGDAO, RegistryWorld, settings_for

PASSPHRASE = "test-passphrase"  # the world's keystore passphrase (settings_for)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(gateway: RegistryWorld) -> Iterator[str]:
    """The world's app behind a real uvicorn on loopback (no second lifespan: the app is
    open already), logging through the standard loggers (``log_config=None``)."""
    port = free_port()
    config = uvicorn.Config(
        gateway.client.app, host="127.0.0.1", port=port, lifespan="off",
        log_config=None, log_level="debug", access_log=True,
    )  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        thread.join(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


def pieces(key: str) -> list[str]:
    """A key and its secret part (the prefix of a ``dal_`` key is public by design)."""
    parts = key.split("_", 2)
    return [key, parts[2]] if key.startswith("dal_") and len(parts) == 3 else [key]


def test_secrets_stay_out_of_logs_metrics_and_problems(
    gateway: RegistryWorld, served: str, caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    caplog.set_level(logging.DEBUG)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "httpx", "httpcore",
                 "sqlalchemy.engine", "ledger"):  # fmt: skip
        caplog.set_level(logging.DEBUG, logger=name)
    gateway.client.app.state.auth_throttle = AttemptLimiter(  # type: ignore[attr-defined]
        DatabaseCells(gateway.runtime.sessions), per_minute=10, burst=3, clock=FakeClock()
    )
    secrets: list[str] = [BOOTSTRAP, PASSPHRASE]

    # a real flow: a registrar and a holder admitted, an asset certified
    if "registrar" not in gateway.orgs:
        gateway.admit("registrar", "registrar", "Qingdao Registration Centre", "admin", QINGDAO)
        gateway.keys["registrar_admin"] = gateway.admins["registrar"]
        gateway.admit("holder", "holder", "Qingdao Transport Bureau", "registrar_admin")
    _asset_id, cert_id = gateway.certified_asset()
    secrets += [*gateway.keys.values(), *gateway.admins.values()]

    shown: list[str] = []  # bodies that show a key on purpose (creation, rotation)
    problems: list[dict[str, Any]] = []
    with httpx.Client(base_url=served, timeout=30) as http:
        admin = {"Authorization": f"Bearer {BOOTSTRAP}"}
        created = http.post(f"/v1/orgs/{gateway.orgs['holder']}/users", headers=admin,
                            json={"name": "script", "role": "reader"})  # fmt: skip
        assert created.status_code in (200, 201), created.text
        shown.append(created.text)
        new_key = created.json()["api_key"]
        rotated = http.post(f"/v1/users/{created.json()['id']}/key", headers=admin)
        assert rotated.status_code == 200, rotated.text
        shown.append(rotated.text)
        rotated_key = rotated.json()["api_key"]
        secrets += [new_key, rotated_key]
        assert http.get("/v1/me", headers={"Authorization": f"Bearer {rotated_key}"}).json()[
            "name"] == "script"  # fmt: skip
        assert http.get(f"/v1/certificates/{cert_id}", headers=admin).status_code == 200

        # failed requests: an old (rotated) key, a wrong secret at a real prefix, a bad
        # bootstrap token, no scheme, a console login, then the throttle's 429
        near_bootstrap = BOOTSTRAP[:-4] + "dddd"
        secrets.append(near_bootstrap)
        wrong_secret = new_key.rsplit("_", 1)[0] + "_" + "x" * 43
        secrets.append(wrong_secret)
        for key in (new_key, wrong_secret, near_bootstrap):
            response = http.get("/v1/me", headers={"Authorization": f"Bearer {key}"})
            assert response.status_code == 401, response.text
            problems.append(response.json())
        response = http.get("/v1/me", headers={"Authorization": f"Token {BOOTSTRAP}"})
        assert response.status_code == 401
        problems.append(response.json())
        response = http.post("/v1/assets", headers={"Authorization": f"Bearer {near_bootstrap}"},
                             json={"catalogue_code": BOOTSTRAP})  # fmt: skip
        assert response.status_code == 429, response.text
        assert response.json()["code"] == "too-many-attempts"
        problems.append(response.json())
        login = http.post("/console/login", data={"api_key": near_bootstrap})
        assert login.status_code == 429
        assert login.headers["Retry-After"] == "6"  # 3 failures, a burst of 3 at 10 a minute
        assert ("Too many wrong API keys" in login.text) or ("密钥错误次数过多" in login.text)
        console_page = login.text
        metrics = http.get("/metrics")
        assert metrics.status_code == 200
        assert "ledger_http_requests" in metrics.text or "http" in metrics.text

    # a wrong keystore passphrase: the gateway refuses to start and says why, not what
    wrong = "not-the-" + PASSPHRASE + "-at-all"
    secrets.append(wrong)
    settings = settings_for(gateway.runtime.settings.var_dir).model_copy(
        update={"keystore_passphrase": SecretStr(wrong)}
    )
    with pytest.raises(KeystoreError) as refused:
        LedgerRuntime.start(settings)
    assert "wrong passphrase" in str(refused.value)
    logging.getLogger("ledger.test").debug("settings in use: %r %s", settings, settings)

    out, err = capfd.readouterr()
    haystacks = {
        "logs": caplog.text,
        "log records": "\n".join(repr(r.__dict__) for r in caplog.records),
        "stdout": out,
        "stderr": err,
        "metrics": metrics.text,
        "problems": repr(problems),
        "console": console_page,
        "refusal": repr(refused.value) + str(refused.value),
    }
    assert "GET /v1/me" in caplog.text  # uvicorn's access log was captured
    assert any(r.name.startswith("sqlalchemy.engine") for r in caplog.records)
    assert all(p["status"] in (401, 429) and p["detail"] for p in problems)
    found = [
        (where, piece[:12] + "...")
        for secret in secrets
        for piece in pieces(secret)
        for where, text in haystacks.items()
        if piece in text
    ]
    assert found == []
    # the keys shown on purpose were really there (the search would have found them)
    assert new_key in shown[0] and rotated_key in shown[1]
    print(
        f"\nsearched {sum(len(t) for t in haystacks.values()):,} characters "
        f"({len(caplog.records):,} log records) for {len(secrets)} secrets: none found"
    )
