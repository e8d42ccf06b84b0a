"""Hostile bodies are bounded before anything parses them.

:class:`BodyGuard` is an ASGI middleware in front of every route:

- a body larger than its route's limit is refused with ``413 too-large`` - from the
  ``Content-Length`` header when it is given, otherwise while the body streams in, so no
  more than the limit is ever held in memory;
- a JSON body nested deeper than :data:`MAX_JSON_DEPTH` is refused with
  ``422 validation-failed`` before the JSON parser sees it (a parser recursing through
  100,000 brackets is how one request could take the process down).

Limits: ``LEDGER_MAX_BODY_BYTES`` (default 1 MiB) for every route, except those in
:data:`ROUTE_BODY_LIMITS` (batch registration carries up to 1,000 items).

:func:`restore_recursion_limit` puts Python's recursion limit back after importing the
libraries that raise it on import (py_ecc and py-evm set it to 100,000, at which depth
the C stack overflows before Python can raise ``RecursionError``).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import problem
from chain.commitments import MAX_DOCUMENT_DEPTH

MIB = 1024 * 1024
DEFAULT_MAX_BODY_BYTES = 1 * MIB
#: A committed document may nest MAX_DOCUMENT_DEPTH deep inside a request's own members.
MAX_JSON_DEPTH = MAX_DOCUMENT_DEPTH + 8
#: Python's own recursion limit (``sys.getrecursionlimit()`` of a fresh interpreter).
PYTHON_RECURSION_LIMIT = 1000

#: Routes allowed a larger body than the default: (method, path pattern, bytes).
ROUTE_BODY_LIMITS: tuple[tuple[str, re.Pattern[str], int], ...] = (
    ("POST", re.compile(r"^/v1/assets/batches$"), 16 * MIB),
    # a certificate PDF or a phone photo of its QR code
    ("POST", re.compile(r"^/(v1/verify/upload|verify)$"), 8 * MIB),
)

# A JSON string (skipped whole, so brackets inside text do not count) or one bracket.
_TOKENS = re.compile(rb'"(?:[^"\\]++|\\.)*+"|[\[\]{}]')
_OPEN = frozenset(b"[{")


def json_depth_exceeds(body: bytes, limit: int) -> bool:
    """True when ``body`` nests arrays and objects more than ``limit`` deep."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    for match in _TOKENS.finditer(body):
        token = match.group()
        if len(token) != 1:
            continue
        if token[0] in _OPEN:
            depth += 1
            if depth > limit:
                return True
        else:
            depth = max(depth - 1, 0)
    return False


def restore_recursion_limit() -> None:
    """Import the libraries that raise the recursion limit, then set Python's own back."""
    for name in ("py_ecc", "eth"):
        try:
            __import__(name)
        except ImportError:  # pragma: no cover - both ship with the pinned dependencies
            continue
    sys.setrecursionlimit(PYTHON_RECURSION_LIMIT)


def _is_json(scope: Scope) -> bool:
    """FastAPI parses a body as JSON when it has no content type or a JSON one."""
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            kind = bytes(value).split(b";", 1)[0].strip().lower()
            return kind == b"application/json" or kind.endswith(b"+json")
    return True


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class BodyGuard:
    """Refuse bodies over their route's size limit (413) or nested too deep (422)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        route_limits: Sequence[tuple[str, re.Pattern[str], int]] = ROUTE_BODY_LIMITS,
        max_json_depth: int = MAX_JSON_DEPTH,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.route_limits = tuple(route_limits)
        self.max_json_depth = max_json_depth

    def limit_for(self, method: str, path: str) -> int:
        for route_method, pattern, limit in self.route_limits:
            if method == route_method and pattern.match(path):
                return limit
        return self.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        limit = self.limit_for(scope["method"], path)
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            await self._too_large(scope, receive, send, limit)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await self._too_large(scope, receive, send, limit)
                return
            chunks.append(chunk)
            more = bool(message.get("more_body", False))
        body = b"".join(chunks)
        if body and _is_json(scope) and json_depth_exceeds(body, self.max_json_depth):
            response = problem(
                422,
                "validation-failed",
                "Invalid input",
                f"the JSON body nests deeper than {self.max_json_depth} levels",
                instance=path,
                errors=[{"loc": ["body"], "msg": "nested too deep", "type": "json_depth"}],
            )
            await response(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    @staticmethod
    async def _too_large(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = problem(
            413,
            "too-large",
            "Request too large",
            f"the request body is larger than this route accepts ({limit} bytes)",
            instance=scope.get("path"),
            limit_bytes=limit,
        )
        await response(scope, receive, send)
