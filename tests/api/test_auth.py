"""API keys, roles and the bootstrap admin."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from chain.accounts import CONSORTIUM_ORG_ID, AccountStore
from chain.runtime import LedgerRuntime
from tests.api.conftest import Gateway, settings_for


def _problem(response, status: int, code: str) -> dict:  # type: ignore[no-untyped-def, type-arg]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["code"] == code
    assert body["type"].endswith("/" + code)
    assert "Traceback" not in response.text
    return body  # type: ignore[no-any-return]


def test_me_without_key_is_401_problem(gateway: Gateway) -> None:
    body = _problem(gateway.client.get("/v1/me"), 401, "not-authenticated")
    assert "Authorization: Bearer" in body["detail"]
    assert body["instance"] == "/v1/me"


@pytest.mark.parametrize(
    "header", ["Bearer dal_nothere0_xxxxxxxxxxxxxxxxxxxxxxxxxxxx", "Basic abc", "Bearer "]
)
def test_me_with_invalid_key_is_401_problem(gateway: Gateway, header: str) -> None:
    _problem(
        gateway.client.get("/v1/me", headers={"Authorization": header}), 401, "not-authenticated"
    )


def test_me_with_bootstrap_token_is_consortium_admin(gateway: Gateway) -> None:
    response = gateway.client.get("/v1/me", headers=gateway.auth(gateway.admin_key))
    assert response.status_code == 200
    assert response.json() | {"user_id": None} == {
        "user_id": None,
        "name": "bootstrap admin",
        "role": "admin",
        "org_id": CONSORTIUM_ORG_ID,
        "org_name": "Consortium",
        "org_kind": "consortium",
        "city_code": 0,
        "consortium_admin": True,
    }


def test_create_user_by_consortium_admin_returns_working_key_once(gateway: Gateway) -> None:
    org = gateway.org(1)
    response = gateway.client.post(
        f"/v1/orgs/{org}/users",
        json={"name": "exchange bot", "role": "writer"},
        headers=gateway.auth(gateway.admin_key),
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["org_id"] == org and created["role"] == "writer"
    key = created["api_key"]
    assert key.startswith("dal_") and len(key.split("_", 2)[2]) >= 40
    me = gateway.client.get("/v1/me", headers=gateway.auth(key)).json()
    assert me["user_id"] == created["id"] and me["org_id"] == org and me["city_code"] == 370200
    user = gateway.runtime.accounts.get_user(created["id"])
    assert key not in user.key_hash and user.key_hash.startswith("$argon2")


def test_create_user_by_org_admin_in_own_org_only(gateway: Gateway) -> None:
    own, other = gateway.org(1), gateway.org(2)
    admin = gateway.user(own, "admin")
    ok = gateway.client.post(
        f"/v1/orgs/{own}/users", json={"name": "r", "role": "reader"}, headers=gateway.auth(admin)
    )
    assert ok.status_code == 201 and ok.json()["role"] == "reader"
    body = _problem(
        gateway.client.post(
            f"/v1/orgs/{other}/users",
            json={"name": "x", "role": "admin"},
            headers=gateway.auth(admin),
        ),
        403,
        "not-authorised",
    )
    assert other in body["detail"]


def test_create_user_by_writer_is_403(gateway: Gateway) -> None:
    org = gateway.org(1)
    writer = gateway.user(org, "writer")
    body = _problem(
        gateway.client.post(
            f"/v1/orgs/{org}/users",
            json={"name": "x", "role": "admin"},
            headers=gateway.auth(writer),
        ),
        403,
        "not-authorised",
    )
    assert "'writer'" in body["detail"]


def test_create_user_with_bad_role_or_org_id_is_422(gateway: Gateway) -> None:
    org = gateway.org(1)
    body = _problem(
        gateway.client.post(
            f"/v1/orgs/{org}/users",
            json={"name": "x", "role": "owner"},
            headers=gateway.auth(gateway.admin_key),
        ),
        422,
        "validation-failed",
    )
    assert body["errors"][0]["loc"] == ["body", "role"]
    _problem(
        gateway.client.post(
            "/v1/orgs/0x1234/users",
            json={"name": "x", "role": "reader"},
            headers=gateway.auth(gateway.admin_key),
        ),
        422,
        "validation-failed",
    )
    missing = "0x" + "00" * 32
    _problem(
        gateway.client.post(
            f"/v1/orgs/{missing}/users",
            json={"name": "x", "role": "reader"},
            headers=gateway.auth(gateway.admin_key),
        ),
        404,
        "not-found",
    )


def test_revoked_key_is_401(gateway: Gateway) -> None:
    org = gateway.org(1)
    key = gateway.user(org, "reader")
    assert gateway.client.get("/v1/me", headers=gateway.auth(key)).status_code == 200
    user_id = gateway.runtime.accounts.authenticate(key).user_id  # type: ignore[union-attr]
    gateway.runtime.accounts.revoke_user(user_id)
    _problem(gateway.client.get("/v1/me", headers=gateway.auth(key)), 401, "not-authenticated")


def test_revocation_by_another_process_holds_at_once_despite_a_cached_key(
    gateway: Gateway,
) -> None:
    org = gateway.org(1)
    key = gateway.user(org, "reader")
    here = gateway.runtime.accounts
    first = here.authenticate(key)
    assert first is not None and here.authenticate(key) == first  # now served from the cache
    other_worker = AccountStore(here.sessions, cache_seconds=3600)
    other_worker.revoke_user(first.user_id)
    assert here.authenticate(key) is None
    _problem(gateway.client.get("/v1/me", headers=gateway.auth(key)), 401, "not-authenticated")


def test_bootstrap_without_token_writes_key_file_0600_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runtime = LedgerRuntime.start(settings_for(tmp_path), deploy=False)
    with TestClient(create_app(runtime=runtime)) as client:
        secret = tmp_path / "secrets" / "bootstrap-admin-key"
        key = secret.read_text().strip()
        assert stat.S_IMODE(os.stat(secret).st_mode) == 0o600
        assert key in capsys.readouterr().out
        assert (
            client.get("/v1/me", headers={"Authorization": f"Bearer {key}"}).json()["role"]
            == "admin"
        )
    # a second start with users present creates no other admin and prints no key
    with TestClient(create_app(runtime=runtime)):
        assert runtime.accounts.count_users() == 1
        assert key not in capsys.readouterr().out
