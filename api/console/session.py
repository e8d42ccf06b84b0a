"""Console sessions: the API key is checked once at login; the browser then holds a
signed, HttpOnly, SameSite=Strict cookie naming the user, never the key.

The cookie is ``base64url(json{u: user id, k: key prefix, n: nonce, e: expiry}) .
hmac-sha256`` with a per-gateway secret kept in ``<var_dir>/secrets/console-session-key``
(0600, created on first use), so every worker process of one gateway accepts it. Each
request reloads the user and its organisation: a revoked user, or one whose key was
rotated since the login (another key prefix), is logged out at once. Logging out clears the
cookie and denies its nonce for the rest of its life in this process.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from pathlib import Path

from fastapi import Request, Response

from chain.accounts import Principal
from chain.errors import LedgerError
from chain.runtime import LedgerRuntime

COOKIE = "console_session"
MAX_AGE = 8 * 3600
_lock = threading.Lock()
_secrets: dict[str, bytes] = {}
_logged_out: dict[str, float] = {}


def _secret(runtime: LedgerRuntime) -> bytes:
    path: Path = runtime.settings.var_dir / "secrets" / "console-session-key"
    key = str(path)
    with _lock:
        if key in _secrets:
            return _secrets[key]
        if path.exists():
            value = bytes.fromhex(path.read_text().strip())
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            value = secrets.token_bytes(32)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(value.hex())
        _secrets[key] = value
        return value


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(runtime: LedgerRuntime, payload: str) -> str:
    return _b64(hmac.new(_secret(runtime), payload.encode(), hashlib.sha256).digest())


def issue(runtime: LedgerRuntime, principal: Principal, response: Response, *,
          secure: bool) -> None:  # fmt: skip
    """Set the session cookie for ``principal`` (bound to its current key) on ``response``."""
    prefix = runtime.accounts.get_user(principal.user_id).key_prefix
    body = {"u": principal.user_id, "k": prefix, "n": secrets.token_urlsafe(12),
            "e": int(time.time()) + MAX_AGE}  # fmt: skip
    payload = _b64(json.dumps(body, separators=(",", ":")).encode())
    response.set_cookie(
        COOKIE, f"{payload}.{_sign(runtime, payload)}", max_age=MAX_AGE, httponly=True,
        samesite="strict", secure=secure, path="/",
    )  # fmt: skip


def _claims(runtime: LedgerRuntime, request: Request) -> dict[str, object] | None:
    raw = request.cookies.get(COOKIE)
    if not raw or "." not in raw or len(raw) > 1024:
        return None
    payload, _, signature = raw.partition(".")
    if not hmac.compare_digest(signature, _sign(runtime, payload)):
        return None
    try:
        claims = json.loads(_unb64(payload))
    except ValueError:
        return None
    if not isinstance(claims, dict) or int(claims.get("e", 0)) < time.time():
        return None
    with _lock:
        if str(claims.get("n")) in _logged_out:
            return None
    return claims


def principal_of(runtime: LedgerRuntime, request: Request) -> Principal | None:
    """The logged-in user of this request, or None."""
    claims = _claims(runtime, request)
    if claims is None:
        return None
    try:
        user = runtime.accounts.get_user(str(claims["u"]))
        org = runtime.accounts.get_org(user.org_id)
    except LedgerError:
        return None
    if user.revoked_at is not None or claims.get("k") != user.key_prefix:
        return None
    return Principal(
        user_id=user.id, user_name=user.name, org_id=org.org_id, org_name=org.name,
        org_kind=org.kind, city_code=int(org.city_code), role=user.role,
    )  # fmt: skip


def end(runtime: LedgerRuntime, request: Request, response: Response) -> None:
    """Deny this cookie's nonce and clear the cookie."""
    claims = _claims(runtime, request)
    now = time.time()
    with _lock:
        for nonce, expiry in list(_logged_out.items()):
            if expiry < now:
                del _logged_out[nonce]
        if claims is not None:
            _logged_out[str(claims.get("n"))] = float(str(claims.get("e", now)))
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
