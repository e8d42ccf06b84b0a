"""Users and API keys over HTTP: list an organisation's users, revoke a key, rotate a key;
who may (the consortium admin, an organisation's own admins, never a registrar for
another organisation of its city) and the self-revocation guard."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from httpx import Response

from chain.accounts import CONSORTIUM_ORG_ID, AccountStore
from tests.api.conftest import FakeClock, Gateway

USER_FIELDS = {"id", "org_id", "name", "role", "key_prefix", "created_at", "revoked_at"}


def _problem(response: Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["code"] == code
    return body


def _utc(value: datetime | None) -> str | None:
    """A stored time as the gateway answers it: ISO 8601 in UTC with its offset."""
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()


def _me(gateway: Gateway, key: str) -> Response:
    return gateway.client.get("/v1/me", headers=gateway.auth(key))


def _user_id(gateway: Gateway, key: str) -> str:
    response = _me(gateway, key)
    assert response.status_code == 200, response.text
    return str(response.json()["user_id"])


def test_list_users_answers_prefixes_roles_and_times_never_keys(gateway: Gateway) -> None:
    org = gateway.org("list-1")
    admin_key = gateway.user(org, "admin")
    writer_key = gateway.user(org, "writer")
    response = gateway.client.get(f"/v1/orgs/{org}/users", headers=gateway.auth(admin_key))
    assert response.status_code == 200, response.text
    listed = response.json()
    rows = gateway.runtime.accounts.list_users(org)
    assert listed == [
        {"id": u.id, "org_id": org, "name": u.name, "role": u.role, "key_prefix": u.key_prefix,
         "created_at": _utc(u.created_at), "revoked_at": None}
        for u in rows
    ]  # fmt: skip
    assert [u["role"] for u in listed] == ["admin", "writer"]
    assert [u["key_prefix"] for u in listed] == [admin_key[4:12], writer_key[4:12]]
    for secret in (admin_key, writer_key, *(u.key_hash for u in rows)):
        assert secret not in response.text
    assert all(set(u) == USER_FIELDS for u in listed)
    by_root = gateway.client.get(f"/v1/orgs/{org}/users", headers=gateway.auth(gateway.admin_key))
    assert by_root.json() == listed


def test_list_users_refused_outside_the_org_and_below_admin(gateway: Gateway) -> None:
    org, other = gateway.org("list-2"), gateway.org("list-3")
    other_admin = gateway.user(other, "admin")
    writer = gateway.user(org, "writer")
    body = _problem(
        gateway.client.get(f"/v1/orgs/{org}/users", headers=gateway.auth(other_admin)),
        403, "not-authorised",
    )  # fmt: skip
    assert org in body["detail"] and other in body["detail"]
    body = _problem(
        gateway.client.get(f"/v1/orgs/{org}/users", headers=gateway.auth(writer)),
        403, "not-authorised",
    )  # fmt: skip
    assert "role admin" in body["detail"] and "writer" in body["detail"]
    missing = "0x" + "00" * 32
    _problem(
        gateway.client.get(f"/v1/orgs/{missing}/users", headers=gateway.auth(gateway.admin_key)),
        404, "not-found",
    )  # fmt: skip
    _problem(gateway.client.get("/v1/orgs/0x12/users", headers=gateway.auth(other_admin)),
             422, "validation-failed")  # fmt: skip
    _problem(gateway.client.get(f"/v1/orgs/{org}/users"), 401, "not-authenticated")


def test_revoke_user_refuses_its_key_at_once_and_lists_the_time(gateway: Gateway) -> None:
    org = gateway.org("revoke-1")
    admin = gateway.user(org, "admin")
    leaked = gateway.user(org, "writer")
    user_id = _user_id(gateway, leaked)
    response = gateway.client.post(f"/v1/users/{user_id}/revocation", headers=gateway.auth(admin))
    assert response.status_code == 200, response.text
    answered = response.json()
    row = gateway.runtime.accounts.get_user(user_id)
    assert row.revoked_at is not None
    assert answered == {
        "id": user_id, "org_id": org, "name": row.name, "role": "writer",
        "key_prefix": leaked[4:12], "created_at": _utc(row.created_at),
        "revoked_at": _utc(row.revoked_at),
    }  # fmt: skip
    _problem(_me(gateway, leaked), 401, "not-authenticated")
    listed = gateway.client.get(f"/v1/orgs/{org}/users", headers=gateway.auth(admin)).json()
    assert [u["revoked_at"] for u in listed] == [None, _utc(row.revoked_at)]
    again = gateway.client.post(f"/v1/users/{user_id}/revocation", headers=gateway.auth(admin))
    assert again.status_code == 200 and again.json() == answered  # the first time is kept


def test_revoking_your_own_key_is_refused(gateway: Gateway) -> None:
    org = gateway.org("revoke-2")
    admin = gateway.user(org, "admin")
    own = _user_id(gateway, admin)
    body = _problem(
        gateway.client.post(f"/v1/users/{own}/revocation", headers=gateway.auth(admin)),
        409, "self-revocation",
    )  # fmt: skip
    assert "rotate" in body["detail"]
    assert gateway.runtime.accounts.get_user(own).revoked_at is None
    root = _user_id(gateway, gateway.admin_key)
    _problem(
        gateway.client.post(f"/v1/users/{root}/revocation",
                            headers=gateway.auth(gateway.admin_key)),
        409, "self-revocation",
    )  # fmt: skip
    assert _me(gateway, gateway.admin_key).json()["org_id"] == CONSORTIUM_ORG_ID


def test_an_org_admin_cannot_revoke_or_rotate_the_consortium_admin(gateway: Gateway) -> None:
    org_admin = gateway.user(gateway.org("revoke-3"), "admin")
    root = _user_id(gateway, gateway.admin_key)
    for path in (f"/v1/users/{root}/revocation", f"/v1/users/{root}/key"):
        body = _problem(gateway.client.post(path, headers=gateway.auth(org_admin)),
                        403, "not-authorised")  # fmt: skip
        assert CONSORTIUM_ORG_ID in body["detail"]
    assert _me(gateway, gateway.admin_key).status_code == 200


def test_consortium_admin_revokes_a_user_of_any_org(gateway: Gateway) -> None:
    key = gateway.user(gateway.org("revoke-4"), "admin")
    user_id = _user_id(gateway, key)
    response = gateway.client.post(
        f"/v1/users/{user_id}/revocation", headers=gateway.auth(gateway.admin_key)
    )
    assert response.status_code == 200 and response.json()["revoked_at"] is not None
    _problem(_me(gateway, key), 401, "not-authenticated")


def test_rotate_key_answers_a_new_key_once_and_the_old_fails_everywhere(
    gateway: Gateway,
) -> None:
    org = gateway.org("rotate-1")
    admin = gateway.user(org, "admin")
    old = gateway.user(org, "reader")
    user_id = _user_id(gateway, old)
    here = gateway.runtime.accounts
    clock = FakeClock()
    other_worker = AccountStore(here.sessions, cache_seconds=3600, clock=clock)
    assert other_worker.authenticate(old) is not None  # remembered in another process
    response = gateway.client.post(f"/v1/users/{user_id}/key", headers=gateway.auth(admin))
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    rotated = response.json()
    new = rotated["api_key"]
    assert new.startswith("dal_") and new != old
    row = here.get_user(user_id)
    assert rotated == {
        "id": user_id, "org_id": org, "name": row.name, "role": "reader",
        "key_prefix": new[4:12], "created_at": _utc(row.created_at),
        "revoked_at": None, "api_key": new,
    }  # fmt: skip
    assert row.key_prefix == new[4:12] and new not in row.key_hash
    _problem(_me(gateway, old), 401, "not-authenticated")
    # the other process reads the row again within its recheck bound (docs/security.md)
    clock.now += other_worker.recheck_seconds
    assert other_worker.authenticate(old) is None
    me = _me(gateway, new).json()
    assert me["user_id"] == user_id and me["role"] == "reader"
    assert other_worker.authenticate(new) is not None
    listed = gateway.client.get(f"/v1/orgs/{org}/users", headers=gateway.auth(admin)).json()
    assert new not in str(listed) and listed[1]["key_prefix"] == new[4:12]


def test_rotate_own_key_and_refuse_a_revoked_user(gateway: Gateway) -> None:
    org = gateway.org("rotate-2")
    admin = gateway.user(org, "admin")
    own = _user_id(gateway, admin)
    response = gateway.client.post(f"/v1/users/{own}/key", headers=gateway.auth(admin))
    assert response.status_code == 200
    new_admin = response.json()["api_key"]
    _problem(_me(gateway, admin), 401, "not-authenticated")
    gone = gateway.user(org, "writer")
    gone_id = _user_id(gateway, gone)
    gateway.client.post(f"/v1/users/{gone_id}/revocation", headers=gateway.auth(new_admin))
    body = _problem(
        gateway.client.post(f"/v1/users/{gone_id}/key", headers=gateway.auth(new_admin)),
        409, "conflict",
    )  # fmt: skip
    assert "revoked" in body["detail"]
    assert gateway.runtime.accounts.get_user(gone_id).key_prefix == gone[4:12]


def test_revoke_and_rotate_refused_to_writers_and_other_orgs(gateway: Gateway) -> None:
    org, other = gateway.org("rotate-3"), gateway.org("rotate-4")
    target_key = gateway.user(org, "reader")
    target = _user_id(gateway, target_key)
    for caller in (gateway.user(org, "writer"), gateway.user(other, "admin")):
        for path in (f"/v1/users/{target}/revocation", f"/v1/users/{target}/key"):
            _problem(gateway.client.post(path, headers=gateway.auth(caller)),
                     403, "not-authorised")  # fmt: skip
    assert _me(gateway, target_key).status_code == 200
    assert gateway.runtime.accounts.get_user(target).key_prefix == target_key[4:12]
    unknown = "00000000-0000-4000-8000-000000000000"
    root = gateway.auth(gateway.admin_key)
    _problem(gateway.client.post(f"/v1/users/{unknown}/key", headers=root), 404, "not-found")
    _problem(gateway.client.post("/v1/users/not-a-user/revocation", headers=root),
             422, "validation-failed")  # fmt: skip


def test_a_registrar_admin_manages_no_users_of_other_orgs_of_its_city(gateway: Gateway) -> None:
    registrar = gateway.org("city-registrar", kind="registrar")
    holder = gateway.org("city-holder")
    registrar_admin = gateway.user(registrar, "admin")
    holder_key = gateway.user(holder, "writer")
    holder_user = _user_id(gateway, holder_key)
    before = [u.id for u in gateway.runtime.accounts.list_users(holder)]
    body = _problem(
        gateway.client.post(f"/v1/orgs/{holder}/users", json={"name": "x", "role": "admin"},
                            headers=gateway.auth(registrar_admin)),
        403, "not-authorised",
    )  # fmt: skip
    assert holder in body["detail"]
    _problem(gateway.client.get(f"/v1/orgs/{holder}/users", headers=gateway.auth(registrar_admin)),
             403, "not-authorised")  # fmt: skip
    for path in (f"/v1/users/{holder_user}/revocation", f"/v1/users/{holder_user}/key"):
        _problem(gateway.client.post(path, headers=gateway.auth(registrar_admin)),
                 403, "not-authorised")  # fmt: skip
    assert [u.id for u in gateway.runtime.accounts.list_users(holder)] == before
    assert _me(gateway, holder_key).status_code == 200
    own = gateway.client.post(f"/v1/orgs/{registrar}/users", json={"name": "r", "role": "reader"},
                              headers=gateway.auth(registrar_admin))  # fmt: skip
    assert own.status_code == 201 and own.json()["org_id"] == registrar
