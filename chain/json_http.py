"""JSON over HTTP/1.1 POSTs on one keep-alive connection per thread (``http.client``,
orjson): what the write path and the chain reader send the node.

A connection pool (urllib3) or a ``requests`` session costs more CPU per call than the
node spends answering one (its liveness probe before each reuse, header objects, retry
bookkeeping): about 150 us a call against 95 us here. A kept-alive connection the node
closed in the meantime is opened again once and the POST repeated: every JSON-RPC call
the product sends is safe to repeat (a signed transaction sent twice is the same
transaction: the node answers "already known" or mines it once).
"""

from __future__ import annotations

import http.client
import threading
from typing import Any
from urllib.parse import urlsplit

import orjson

_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}


class JsonHttp:
    """POSTs JSON to one URL; subclasses say what an unreachable node raises."""

    def __init__(self, url: str, timeout: float) -> None:
        parts = urlsplit(url)
        self.secure = parts.scheme == "https"
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (443 if self.secure else 80)
        self.path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.url = url
        self.timeout = timeout
        self.local = threading.local()

    def unreachable(self, exc: BaseException) -> Exception:
        """What :meth:`post` raises when the node cannot be reached."""
        return ConnectionError(f"{type(exc).__name__} from {self.url}")

    def server_error(self, status: int) -> Exception:
        """What :meth:`post` raises for an HTTP 5xx answer without a body."""
        return ConnectionError(f"HTTP {status} from {self.url}")

    def _connection(self) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection | None = getattr(self.local, "conn", None)
        if conn is None:
            kind = http.client.HTTPSConnection if self.secure else http.client.HTTPConnection
            conn = kind(self.host, self.port, timeout=self.timeout)
            self.local.conn = conn
        return conn

    def post(self, payload: Any) -> Any:
        """POST ``payload``; the decoded answer."""
        body = orjson.dumps(payload)
        for attempt in (1, 2):  # a kept-alive connection the node closed: reconnect once
            conn = self._connection()
            try:
                conn.request("POST", self.path, body, _HEADERS)
                response = conn.getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                self.local.conn = None
                if attempt == 2 or isinstance(exc, TimeoutError):
                    raise self.unreachable(exc) from exc
                continue
            if response.status >= 500 and not data:
                raise self.server_error(response.status)
            return orjson.loads(data)
        raise AssertionError("unreachable")
