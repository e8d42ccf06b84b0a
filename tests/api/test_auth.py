"""API keys, roles and the bootstrap admin."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import event

from api.main import create_app
from chain.accounts import CONSORTIUM_ORG_ID, AccountStore
from chain.runtime import LedgerRuntime
from tests.api.conftest import FakeClock, Gateway, settings_for


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


@contextmanager
def accounts_of(gateway: Gateway, store: AccountStore) -> Iterator[AccountStore]:
    """The gateway authenticating with ``store`` for the block."""
    kept = gateway.runtime.accounts
    gateway.runtime.accounts = store
    try:
        yield store
    finally:
        gateway.runtime.accounts = kept


def _user_id_of(gateway: Gateway, key: str) -> str:
    response = gateway.client.get("/v1/me", headers=gateway.auth(key))
    assert response.status_code == 200, response.text
    return str(response.json()["user_id"])


def test_revocation_through_the_api_is_401_on_the_very_next_request(gateway: Gateway) -> None:
    org = gateway.org("memo-revoke")
    key = gateway.user(org, "reader")
    user_id = _user_id_of(gateway, key)
    assert gateway.runtime.accounts.remembered(key) is not None  # a dictionary lookup now
    revoked = gateway.client.post(
        f"/v1/users/{user_id}/revocation", headers=gateway.auth(gateway.admin_key)
    )
    assert revoked.status_code == 200, revoked.text
    assert gateway.runtime.accounts.remembered(key) is None
    _problem(gateway.client.get("/v1/me", headers=gateway.auth(key)), 401, "not-authenticated")
    cert = "0x" + "ab" * 32
    _problem(
        gateway.client.get(f"/v1/certificates/{cert}", headers=gateway.auth(key)),
        401, "not-authenticated",
    )  # fmt: skip


def test_rotation_through_the_api_is_401_for_the_old_key_on_the_very_next_request(
    gateway: Gateway,
) -> None:
    org = gateway.org("memo-rotate")
    admin = gateway.user(org, "admin")
    old = gateway.user(org, "reader")
    user_id = _user_id_of(gateway, old)
    rotated = gateway.client.post(f"/v1/users/{user_id}/key", headers=gateway.auth(admin))
    assert rotated.status_code == 200, rotated.text
    _problem(gateway.client.get("/v1/me", headers=gateway.auth(old)), 401, "not-authenticated")
    assert _user_id_of(gateway, rotated.json()["api_key"]) == user_id


def test_a_remembered_key_is_answered_without_the_database(gateway: Gateway) -> None:
    key = gateway.user(gateway.org("memo-no-db"), "reader")
    accounts = gateway.runtime.accounts
    first = accounts.authenticate(key)
    assert first is not None
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    engine = gateway.runtime.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert accounts.remembered(key) == first
        assert accounts.authenticate(key) == first
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert statements == []


def test_revocation_by_another_process_holds_here_within_the_recheck_bound(
    gateway: Gateway,
) -> None:
    org = gateway.org(1)
    key = gateway.user(org, "reader")
    clock = FakeClock()
    here = AccountStore(gateway.runtime.sessions, clock=clock)
    first = here.authenticate(key)
    assert first is not None and here.remembered(key) == first
    other_worker = AccountStore(here.sessions, cache_seconds=3600)
    other_worker.revoke_user(first.user_id)
    with accounts_of(gateway, here):
        # within the bound this process has not read the row again (docs/security.md)
        clock.now += here.recheck_seconds / 2
        assert here.remembered(key) == first
        assert gateway.client.get("/v1/me", headers=gateway.auth(key)).status_code == 200
        # at the bound the next request reads the row: refused
        clock.now += here.recheck_seconds / 2
        assert here.remembered(key) is None
        _problem(gateway.client.get("/v1/me", headers=gateway.auth(key)), 401, "not-authenticated")
        assert here.authenticate(key) is None


def test_a_recheck_renews_a_key_still_valid(gateway: Gateway) -> None:
    key = gateway.user(gateway.org("memo-renew"), "reader")
    clock = FakeClock()
    here = AccountStore(gateway.runtime.sessions, clock=clock)
    first = here.authenticate(key)
    clock.now += here.recheck_seconds
    assert here.remembered(key) is None  # stale: the next request reads the row
    assert here.authenticate(key) == first
    assert here.remembered(key) == first  # renewed
    clock.now += here.cache_seconds
    assert here.remembered(key) is None  # past cache_seconds argon2 runs again
    assert here.authenticate(key) == first


class CountingHasher(PasswordHasher):
    """Counts argon2 verifications (each ~64 MiB and four threads at the gateway's cost)."""

    def __init__(self) -> None:
        super().__init__()
        self.verified = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self.verified += 1
        return super().verify(hash, password)


def test_a_key_in_use_is_verified_by_argon2_once_however_long_it_is_used(
    gateway: Gateway,
) -> None:
    key = gateway.user(gateway.org("memo-in-use"), "writer")
    clock, hasher = FakeClock(), CountingHasher()
    here = AccountStore(gateway.runtime.sessions, clock=clock, hasher=hasher)
    first = here.authenticate(key)
    assert first is not None and hasher.verified == 1
    steps = int(3 * here.cache_seconds / here.recheck_seconds)
    for _ in range(steps):  # a request every recheck period for three cache periods
        clock.now += here.recheck_seconds
        assert here.remembered(key) is None  # its row is read again...
        assert here.authenticate(key) == first
        assert here.remembered(key) == first  # ...and renews it
    assert hasher.verified == 1
    clock.now += here.cache_seconds  # unused for a cache period: forgotten
    assert here.remembered(key) is None
    assert not here.recently_verified(key)
    assert here.authenticate(key) == first
    assert hasher.verified == 2


def test_a_key_whose_stored_hash_changed_is_refused_at_the_next_recheck(
    gateway: Gateway,
) -> None:
    from chain.accounts import User

    key = gateway.user(gateway.org("memo-rehash"), "reader")
    clock = FakeClock()
    here = AccountStore(gateway.runtime.sessions, clock=clock)
    first = here.authenticate(key)
    assert first is not None
    other = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    with gateway.runtime.sessions() as session, session.begin():
        user = session.get(User, first.user_id)
        assert user is not None
        user.key_hash = other.hash(key + "-another")  # same prefix, another secret
    clock.now += here.recheck_seconds / 2
    assert here.authenticate(key) == first  # within the recheck bound
    clock.now += here.recheck_seconds / 2
    assert here.authenticate(key) is None  # the row no longer holds what argon2 checked
    assert here.remembered(key) is None
    assert here.authenticate(key) is None  # argon2 against the new hash: refused


class RevokingHasher(PasswordHasher):
    """Revokes the user while argon2 verifies its key (a revocation racing a first check)."""

    def __init__(self, revoke: Callable[[], None]) -> None:
        super().__init__(time_cost=1, memory_cost=64, parallelism=1)
        self.revoke = revoke

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        result = super().verify(hash, password)
        self.revoke()
        return result


def test_a_revocation_during_the_first_check_is_not_undone_by_it(gateway: Gateway) -> None:
    org = gateway.org("memo-race")
    user, key = gateway.runtime.accounts.create_user(org, "racer", "reader")
    stores: list[AccountStore] = []
    here = AccountStore(
        gateway.runtime.sessions,
        hasher=RevokingHasher(lambda: stores[0].revoke_user(user.id)),
    )
    stores.append(here)
    assert here.authenticate(key) is None  # revoked before its answer was stored
    assert here.remembered(key) is None
    assert here.authenticate(key) is None


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
