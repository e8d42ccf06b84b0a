"""Authentication: ``Authorization: Bearer <api key>`` -> the calling user.

Use the ``Annotated`` dependencies in routes::

    def route(user: CurrentUser) -> ...                       # any valid key
    def route(user: Annotated[Principal, require_role("admin", "writer")]) -> ...
    def route(user: WriterUser) -> ...                       # admin or writer
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request

from api.deps import get_runtime
from chain.accounts import Principal
from chain.errors import NotAuthenticated, NotAuthorised

BEARER = "bearer"


def _bearer_key(request: Request) -> str:
    header = request.headers.get("authorization")
    if not header:
        raise NotAuthenticated("this path needs an API key: send `Authorization: Bearer <api key>`")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != BEARER or not key.strip():
        raise NotAuthenticated("the Authorization header must be `Bearer <api key>`")
    return key.strip()


def current_user(request: Request) -> Principal:
    """The principal of the request's API key (401 problem+json when missing or invalid)."""
    cached: Principal | None = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    key = _bearer_key(request)
    principal = get_runtime(request).accounts.authenticate(key)
    if principal is None:
        raise NotAuthenticated("the API key is not valid or was revoked")
    request.state.principal = principal
    return principal


CurrentUser = Annotated[Principal, Depends(current_user)]


def require_role(*roles: str) -> Any:
    """A dependency that lets through only users with one of ``roles`` (else 403)."""

    def check(user: CurrentUser) -> Principal:
        if user.role not in roles:
            raise NotAuthorised(
                f"role {user.role!r} may not do this; needs one of: {', '.join(roles)}"
            )
        return user

    return Depends(check)


def require_org_member_or_consortium_admin(
    org_id_param: str = "org_id", *, roles: tuple[str, ...] = ("admin",)
) -> Callable[..., Principal]:
    """For ``/v1/orgs/{org_id}/...``: the consortium admin, or a user of that org with
    one of ``roles``."""

    def check(request: Request, user: CurrentUser) -> Principal:
        target = str(request.path_params.get(org_id_param, "")).lower()
        if user.is_consortium_admin:
            return user
        if user.org_id != target:
            raise NotAuthorised(f"user of organisation {user.org_id} may not act for {target}")
        if user.role not in roles:
            raise NotAuthorised(
                f"role {user.role!r} may not do this; needs one of: {', '.join(roles)}"
            )
        return user

    return check


def authorise_auditor(user: Principal) -> Principal:
    """Auditor organisations' users, users with the auditor role and admins only (403
    otherwise): the rule of the audit paths and of the console's auditor page."""
    if user.role == "admin" or user.role == "auditor" or user.org_kind.lower() == "auditor":
        return user
    raise NotAuthorised("the audit paths are for auditors and admins")


AdminUser = Annotated[Principal, require_role("admin")]
WriterUser = Annotated[Principal, require_role("admin", "writer")]
