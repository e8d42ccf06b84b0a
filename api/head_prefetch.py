"""Send the node's head request as a chain read arrives, before it is parsed.

``GET /v1/certificates/{id}/status`` and ``POST /v1/verify`` answer at the node's head as
of a request sent after they arrived (:meth:`chain.reader.ChainReader.head_async`). This
pure ASGI middleware, the first the request meets, notes when it arrived and sends that
head request at once, so the round trip to the node runs while the framework routes the
request, validates it and checks its key. The status route's request is sent only for a
key this process has verified a moment ago (a dictionary lookup): an unauthenticated
flood costs the node nothing. ``POST /v1/verify`` is open to anyone and asks the node for
its head anyway. Requests are coalesced as without prefetching: one head request on its
way per event loop at most.
"""

from __future__ import annotations

import re
import time
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

#: ``request.state`` key of the time (``time.monotonic()``) the request arrived
ARRIVED = "head_arrived"

_STATUS = re.compile(r"/v1/certificates/[^/]+/status")
_BEARER = b"bearer "


class HeadPrefetch:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            method, path = scope["method"], scope["path"]
            verify = method == "POST" and path == "/v1/verify"
            if verify or (method == "GET" and _STATUS.fullmatch(path)):
                scope.setdefault("state", {})[ARRIVED] = time.monotonic()
                app = scope.get("app")
                runtime = getattr(getattr(app, "state", None), "runtime", None)
                if runtime is not None and (verify or self._known_key(scope, runtime)):
                    runtime.reader.prefetch_head()
        await self.app(scope, receive, send)

    @staticmethod
    def _known_key(scope: Scope, runtime: Any) -> bool:
        """Whether the request's bearer key is one this process verified a moment ago
        (the principal is kept for :func:`api.auth.current_user`, which looks the same
        key up the same way first)."""
        for name, value in scope["headers"]:
            if name == b"authorization" and value[:7].lower() == _BEARER:
                principal = runtime.accounts.remembered(value[7:].strip().decode("latin-1"))
                if principal is None:
                    return False
                scope["state"]["principal"] = principal
                return True
        return False


def arrived(request: Any) -> float | None:
    """When the request arrived, as :class:`HeadPrefetch` noted it (None otherwise)."""
    value = request.scope.get("state", {}).get(ARRIVED)
    return float(value) if value is not None else None
