"""The head request leaves as a chain read arrives: for ``POST /v1/verify`` (open to
anyone) and for a status read with a key this process verified a moment ago - never for
an unknown key (an unauthenticated flood costs the node nothing) nor for other routes."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from api.head_prefetch import ARRIVED, HeadPrefetch

KNOWN = "dal_known_key"
CERT = "0x" + "ab" * 32


@dataclass
class Reader:
    prefetched: int = 0

    def prefetch_head(self) -> None:
        self.prefetched += 1


@dataclass
class Accounts:
    looked_up: list[str] = field(default_factory=list)

    def remembered(self, key: str) -> Any:
        self.looked_up.append(key)
        return SimpleNamespace(org_id="0x01") if key == KNOWN else None


Seen = tuple[dict[str, Any], Reader, Accounts, list[Any]]


def _call(method: str, path: str, key: str | None = None) -> Seen:
    reader, accounts, seen = Reader(), Accounts(), []
    runtime = SimpleNamespace(reader=reader, accounts=accounts)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(dict(scope.get("state", {})))

    headers = [(b"authorization", f"Bearer {key}".encode())] if key else []
    scope: dict[str, Any] = {"type": "http", "method": method, "path": path,
                             "headers": headers, "app": SimpleNamespace(
                                 state=SimpleNamespace(runtime=runtime))}  # fmt: skip
    asyncio.run(HeadPrefetch(app)(scope, None, None))  # type: ignore[arg-type]
    return scope, reader, accounts, seen


def test_a_status_read_with_a_verified_key_sends_the_head_request_at_arrival() -> None:
    before = time.monotonic()
    _, reader, accounts, seen = _call("GET", f"/v1/certificates/{CERT}/status", KNOWN)
    assert reader.prefetched == 1 and accounts.looked_up == [KNOWN]
    state = seen[0]
    assert before <= state[ARRIVED] <= time.monotonic()
    assert state["principal"].org_id == "0x01"  # current_user takes it: one lookup


def test_a_status_read_with_an_unknown_or_no_key_sends_nothing() -> None:
    for key in ("dal_guess", None):
        _, reader, _, seen = _call("GET", f"/v1/certificates/{CERT}/status", key)
        assert reader.prefetched == 0
        assert ARRIVED in seen[0] and "principal" not in seen[0]


def test_verify_sends_the_head_request_for_anyone_other_routes_never() -> None:
    _, reader, accounts, seen = _call("POST", "/v1/verify")
    assert reader.prefetched == 1 and accounts.looked_up == [] and ARRIVED in seen[0]
    for method, path in (("GET", "/v1/verify"), ("GET", f"/v1/certificates/{CERT}"),
                         ("POST", f"/v1/certificates/{CERT}/status"),
                         ("GET", f"/v1/certificates/{CERT}/status/x")):  # fmt: skip
        _, reader, accounts, seen = _call(method, path, KNOWN)
        assert reader.prefetched == 0 and accounts.looked_up == [] and seen == [{}], path
