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
from starlette.concurrency import run_in_threadpool

from api.deps import get_runtime
from chain.accounts import Principal, key_prefix_of
from chain.errors import NotAuthenticated, NotAuthorised
from chain.throttle import AttemptLimiter

BEARER = "bearer"


def _bearer_key(request: Request) -> str:
    header = request.headers.get("authorization")
    if not header:
        raise NotAuthenticated("this path needs an API key: send `Authorization: Bearer <api key>`")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != BEARER or not key.strip():
        raise NotAuthenticated("the Authorization header must be `Bearer <api key>`")
    return key.strip()


def attempt_limiter(request: Request) -> AttemptLimiter:
    """The app's limiter of failed API-key attempts, made from the settings on first use
    (tests set ``app.state.auth_throttle`` to one with their own clock)."""
    state = request.app.state
    limiter: AttemptLimiter | None = getattr(state, "auth_throttle", None)
    if limiter is None:
        runtime = get_runtime(request)
        limiter = AttemptLimiter.from_settings(runtime.settings, runtime.sessions)
        state.auth_throttle = limiter
    return limiter


def client_address(request: Request) -> str:
    """The remote address the limiter counts against (behind a proxy, run uvicorn with
    ``--forwarded-allow-ips`` so this is the client's, not the proxy's)."""
    return request.client.host if request.client is not None else "unknown"


async def current_user(request: Request) -> Principal:
    """The principal of the request's API key (401 problem+json when missing or invalid;
    429 ``too-many-attempts`` with ``Retry-After`` when this client or this key prefix
    failed too often: then the key is not even checked).

    A key this process verified and rechecked a moment ago is a dictionary lookup on the
    event loop; any other goes to a worker thread (database, argon2, the limiter)."""
    cached: Principal | None = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    key = _bearer_key(request)
    principal = get_runtime(request).accounts.remembered(key)
    if principal is None:
        principal = await run_in_threadpool(check_api_key, request, key)
    if principal is None:
        raise NotAuthenticated("the API key is not valid or was revoked")
    request.state.principal = principal
    return principal


def check_api_key(request: Request, key: str) -> Principal | None:
    """The one door for an API key (bearer header, console login): the principal of a
    valid key, None for a wrong one (counted as a failed attempt), and
    :class:`TooManyAttempts` when this client or this key prefix failed too often."""
    accounts = get_runtime(request).accounts
    limiter = attempt_limiter(request)
    client = client_address(request)
    prefix = key_prefix_of(key)
    if not accounts.recently_verified(key):  # a key verified a moment ago is no guess
        limiter.refuse_if_limited(client, prefix)
    principal = accounts.authenticate(key)
    if principal is None:
        limiter.failed(client, prefix)
    return principal


CurrentUser = Annotated[Principal, Depends(current_user)]


def require_role(*roles: str) -> Any:
    """A dependency that lets through only users with one of ``roles`` (else 403)."""

    async def check(user: CurrentUser) -> Principal:
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
