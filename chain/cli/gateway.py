"""The HTTP transport of the workflow commands: one gateway, one API key.

The gateway is ``--api-url`` or ``LEDGER_API_URL`` (default ``http://127.0.0.1:8000``,
where ``ledger run`` serves); the key is ``--api-key`` or ``LEDGER_API_KEY``, sent as
``Authorization: Bearer``. Nothing else of this host's settings is read, so the same
command works from any shell that can reach the gateway.

An answer of 400 or more becomes a :class:`GatewayProblem` (the RFC 9457 body's ``code``
and ``detail``); a gateway that does not answer is a :class:`GatewayUnreachable`.
:data:`CLIENT_FACTORY` opens the HTTP client; tests replace it to serve the gateway
application in process.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import httpx

API_URL_ENV = "LEDGER_API_URL"
API_KEY_ENV = "LEDGER_API_KEY"
DEFAULT_API_URL = "http://127.0.0.1:8000"
#: The longest ``wait_timeout`` the gateway accepts with ``?wait=true``.
MAX_WAIT_SECONDS = 120.0


class GatewayProblem(Exception):
    """The gateway refused or failed the request (problem+json)."""

    def __init__(self, status: int, code: str, detail: str, body: dict[str, Any]) -> None:
        super().__init__(f"{code}: {detail}")
        self.status, self.code, self.detail, self.body = status, code, detail, body


class GatewayUnreachable(Exception):
    """No gateway answers at the URL."""


class MissingApiKey(Exception):
    """The command acts as a user and no key was given."""


ClientFactory = Callable[[str, float], AbstractContextManager[httpx.Client]]


@contextmanager
def default_client(base_url: str, timeout: float) -> Iterator[httpx.Client]:
    """An HTTP client of the gateway at ``base_url`` (``timeout`` seconds per request)."""
    with httpx.Client(base_url=base_url, timeout=timeout) as client:
        yield client


#: Opens the HTTP client a command talks through; replace it to serve an app in process.
CLIENT_FACTORY: ClientFactory = default_client


def api_url(option: str | None) -> str:
    return (option or os.environ.get(API_URL_ENV) or DEFAULT_API_URL).rstrip("/")


def api_key(option: str | None) -> str | None:
    key = option or os.environ.get(API_KEY_ENV)
    return key.strip() if key and key.strip() else None


def problem_of(response: httpx.Response) -> GatewayProblem:
    """The problem an error answer carries (a body that is not problem+json is named by
    its HTTP status)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("code"), str):
        detail = str(body.get("detail") or body.get("title") or response.reason_phrase)
        return GatewayProblem(response.status_code, body["code"], detail, body)
    text = " ".join(response.text.split())[:200] or response.reason_phrase
    code = f"http-{response.status_code}"
    return GatewayProblem(response.status_code, code, f"the gateway answered {text}", {})


class Gateway:
    """Requests to one gateway as the user of one API key (or as anyone)."""

    def __init__(self, client: httpx.Client, url: str, key: str | None) -> None:
        self.client, self.url, self.key = client, url, key

    def request(self, method: str, path: str, *, body: Any = None,
                params: dict[str, Any] | None = None, headers: dict[str, str] | None = None,
                auth: bool = True) -> httpx.Response:  # fmt: skip
        """Send one request; an answer of 400 or more raises :class:`GatewayProblem`."""
        sent = dict(headers or {})
        if auth:
            if self.key is None:
                raise MissingApiKey(
                    f"this command acts as a user: pass --api-key or set {API_KEY_ENV}"
                )
            sent["Authorization"] = f"Bearer {self.key}"
        try:
            response = self.client.request(
                method, path, json=body, params=params, headers=sent or None
            )
        except httpx.TransportError as exc:
            raise GatewayUnreachable(
                f"no gateway answers at {self.url} ({type(exc).__name__}: {exc}); "
                f"set {API_URL_ENV} or --api-url"
            ) from None
        if response.status_code >= 400:
            raise problem_of(response)
        return response


def open_gateway(url: str, key: str | None, timeout: float) -> AbstractContextManager[Gateway]:
    """The gateway at ``url`` through :data:`CLIENT_FACTORY`."""

    @contextmanager
    def opened() -> Iterator[Gateway]:
        with CLIENT_FACTORY(url, timeout) as client:
            yield Gateway(client, url, key)

    return opened()
