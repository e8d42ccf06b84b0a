"""Users and API keys of an organisation: list, revoke, rotate (and who may).

Who manages the users of an organisation: the consortium admin (the root admin of this
gateway, who creates the first admin of every organisation the gateway hosts) and the
admins of that organisation. Nobody else, not even the registrar of the organisation's
city: a registrar never holds keys of another organisation.

No one revokes their own key (:class:`SelfRevocation`), so the consortium always keeps
an admin: the last one can only be revoked by another, who stays. Rotating one's own key
is allowed (the new key is answered once).

The gateway keeps an argon2 hash of each key and its public prefix; answers here carry
the prefix, never a key or hash, except the new key of a rotation, shown once.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, Field

from chain.accounts import Principal, User, normalise_org_id
from chain.errors import NotAuthorised, SelfRevocation, ValidationFailed
from chain.runtime import LedgerRuntime


class UserPublic(BaseModel):
    """A user of an organisation, without its key."""

    id: str = Field(examples=["7c1e2f0a-0b7d-4c5e-9f1a-2b3c4d5e6f70"])
    org_id: str = Field(examples=["0x" + "ab" * 32])
    name: str = Field(examples=["holder writer"])
    role: str = Field(examples=["writer"])
    key_prefix: str = Field(
        description="the public part of the key (`dal_<prefix>_…`), to tell keys apart",
        examples=["k3v9x0qa"],
    )
    created_at: str = Field(examples=["2025-11-03T08:12:44+00:00"])
    revoked_at: str | None = Field(
        default=None, description="when the key was revoked; null while it works"
    )


class UserKey(UserPublic):
    """A user with its new API key (answered once)."""

    api_key: str = Field(description="Shown once; store it now, the gateway keeps only a hash")


def _iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with its offset (SQLite hands times back without one)."""
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()


def user_public(user: User) -> UserPublic:
    return UserPublic(
        id=user.id,
        org_id=user.org_id,
        name=user.name,
        role=user.role,
        key_prefix=user.key_prefix,
        created_at=_iso(user.created_at) or "",
        revoked_at=_iso(user.revoked_at),
    )


def may_manage_users(principal: Principal, org_id: str) -> bool:
    """The consortium admin, or an admin of that organisation."""
    if principal.is_consortium_admin:
        return True
    return principal.role == "admin" and principal.org_id == normalise_org_id(org_id)


def require_user_manager(principal: Principal, org_id: str, action: str) -> None:
    if may_manage_users(principal, org_id):
        return
    if principal.role != "admin":
        raise NotAuthorised(
            f"{action} needs the role admin; this key is a {principal.role}", org_id=org_id
        )
    raise NotAuthorised(
        f"{action} of organisation {org_id} is done by its own admins or the consortium "
        f"admin; this key is an admin of organisation {principal.org_id}",
        org_id=org_id,
    )


def create_user(
    runtime: LedgerRuntime, principal: Principal, org_id: str, name: str, role: str
) -> UserKey:
    """A new user of an organisation with its API key (answered once)."""
    org = runtime.accounts.get_org(org_id)
    require_user_manager(principal, org.org_id, "creating the users")
    if not 1 <= len(name) <= 200 or not name.strip():
        raise ValidationFailed(
            "a user's name is 1 to 200 characters",
            errors=[{"loc": ["body", "name"], "msg": "1 to 200 characters", "type": "value_error"}],
        )
    created, key = runtime.accounts.create_user(org.org_id, name, role)
    return UserKey(**user_public(created).model_dump(), api_key=key)


def list_users(runtime: LedgerRuntime, principal: Principal, org_id: str) -> list[UserPublic]:
    """Users of an organisation, oldest first, revoked ones included (with the time)."""
    org = runtime.accounts.get_org(org_id)
    require_user_manager(principal, org.org_id, "listing the users")
    return [user_public(u) for u in runtime.accounts.list_users(org.org_id)]


def revoke_user(runtime: LedgerRuntime, principal: Principal, user_id: str) -> UserPublic:
    """End a user's API key at once in every gateway process (and its console sessions)."""
    user = runtime.accounts.get_user(user_id)
    require_user_manager(principal, user.org_id, "revoking the users")
    if user.id == principal.user_id:
        raise SelfRevocation(
            "you cannot revoke your own key: rotate it instead, or have another admin of your "
            "organisation or the consortium admin revoke it",
            user_id=user.id,
        )
    return user_public(runtime.accounts.revoke_user(user.id))


def rotate_user_key(runtime: LedgerRuntime, principal: Principal, user_id: str) -> UserKey:
    """A new API key for a user, answered once; the old key is refused at once."""
    user = runtime.accounts.get_user(user_id)
    require_user_manager(principal, user.org_id, "rotating the keys of the users")
    rotated, key = runtime.accounts.rotate_key(user.id)
    return UserKey(**user_public(rotated).model_dump(), api_key=key)
