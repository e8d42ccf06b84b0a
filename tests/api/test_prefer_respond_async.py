"""``Prefer: respond-async`` (RFC 7240) on a write: the gateway answers once the write is
journaled and says so with ``Preference-Applied``; on a gateway in front of anvil, driven
through FastAPI (the preference set by the request's dependency reaches the route's
worker thread, and no other request)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account
from fastapi.testclient import TestClient
from web3 import Web3

from api.main import create_app
from api.writes import prefers_respond_async
from chain import localnode
from chain.deploy import Deployment
from chain.keys import KeyStore
from chain.runtime import LedgerRuntime
from chain.settings import LedgerSettings
from chain.txpipe.preference import current
from tests.api.conftest import probe_router, settings_for
from tests.txpipe.helpers import anvil_config, anvil_handle, deploy_probe

pytestmark = pytest.mark.anvil


@pytest.mark.parametrize(
    ("header", "wanted"),
    [
        ("respond-async", True),
        ("Respond-Async", True),
        ("wait=10, respond-async", True),
        ("respond-async; foo=bar, return=minimal", True),
        (" return=minimal ,respond-async ", True),
        ("return=minimal", False),
        ("respond-asynchronously", False),
        ("wait=respond-async", False),
        ("", False),
        (None, False),
    ],
)
def test_the_prefer_header_is_read_as_rfc_7240_says(header: str | None, wanted: bool) -> None:
    assert prefers_respond_async(header) is wanted


class OnAnvil:
    def __init__(self, client: TestClient, key: str, runtime: LedgerRuntime) -> None:
        self.client, self.key, self.runtime = client, key, runtime

    def post(self, n: int, value: int, **headers: str) -> tuple[int, dict[str, str], dict]:  # type: ignore[type-arg]
        response = self.client.post(
            "/v1/test/probe",
            json={"key": "0x" + Web3.keccak(text=f"prefer-{n}").hex().removeprefix("0x"),
                  "value": value},
            headers={"Authorization": f"Bearer {self.key}", **headers},
        )  # fmt: skip
        return response.status_code, dict(response.headers), response.json()


@pytest.fixture(scope="module")
def on_anvil(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OnAnvil]:
    folder: Path = tmp_path_factory.mktemp("prefer")
    config = anvil_config(folder / "node")
    localnode.start(config)
    try:
        handle = anvil_handle(config)
        base = settings_for(folder / "var")
        settings = LedgerSettings(**{**base.model_dump(), "chain": "local"})
        admin = Account.create()
        runtime = LedgerRuntime.assemble(
            settings, handle, KeyStore(folder / "keys", "secret"), admin,
            Deployment(chain_id=handle.chain_id, admin=admin.address, artifact_digest="",
                       deployed_at=0.0),
        )  # fmt: skip
        probe = deploy_probe(handle)
        org_id = "0x" + Web3.keccak(text="prefer-org").hex().removeprefix("0x")
        runtime.provision_org(org_id, "Prefer org", "holder", 370200)
        _, key = runtime.accounts.create_user(org_id, "writer", "writer")
        app = create_app(runtime=runtime)
        app.include_router(probe_router(probe))
        try:
            with TestClient(app, raise_server_exceptions=False) as client:
                yield OnAnvil(client, key, runtime)
        finally:
            runtime.close()
            runtime.engine.dispose()
    finally:
        localnode.stop(config)


def test_a_write_preferring_respond_async_is_answered_once_journaled(on_anvil: OnAnvil) -> None:
    status, headers, first = on_anvil.post(1, 2, Prefer="respond-async")
    # the signer's first call of this shape is run on the node: not applied
    assert status == 202 and "preference-applied" not in headers and first["state"] == "sent"
    status, headers, second = on_anvil.post(2, 3, Prefer="respond-async")
    assert status == 202 and headers["preference-applied"] == "respond-async"
    assert second["state"] == "pending" and second["nonce"] == first["nonce"] + 1
    assert headers["location"] == f"/v1/operations/{second['id']}"
    status, headers, plain = on_anvil.post(3, 4)  # the next request has no preference
    assert status == 202 and "preference-applied" not in headers and plain["state"] == "sent"
    assert current() is None  # the test's own context never saw a request's preference


def test_a_refusal_preferring_respond_async_ends_reverted_with_the_error_name(
    on_anvil: OnAnvil,
) -> None:
    status, _, refused = on_anvil.post(10, 0)  # without it: refused before a journal
    assert status == 422 and refused["code"] == "ProbeRejected"
    status, headers, op = on_anvil.post(11, 0, Prefer="respond-async")
    assert status == 202 and headers["preference-applied"] == "respond-async"
    assert on_anvil.runtime.txpipe.wait(op["id"], 20).state == "reverted"
    final = on_anvil.client.get(f"/v1/operations/{op['id']}", headers={
        "Authorization": f"Bearer {on_anvil.key}"})  # fmt: skip
    assert final.json()["state"] == "reverted"
    assert final.json()["error"]["code"] == "ProbeRejected"


def test_wait_true_overrides_the_preference(on_anvil: OnAnvil) -> None:
    response = on_anvil.client.post(
        "/v1/test/probe?wait=true",
        json={"key": "0x" + "ab" * 32, "value": 5},
        headers={"Authorization": f"Bearer {on_anvil.key}", "Prefer": "respond-async"},
    )
    assert response.status_code == 200 and response.json()["state"] == "mined"
    assert "preference-applied" not in response.headers


def test_an_overlong_prefer_header_is_refused_before_anything_is_journaled(
    on_anvil: OnAnvil,
) -> None:
    before = sum(on_anvil.runtime.txpipe.stats().by_state.values())
    status, _, body = on_anvil.post(20, 5, Prefer="respond-async, " + "x" * 600)
    assert status == 422 and body["code"] == "validation-failed"
    assert sum(on_anvil.runtime.txpipe.stats().by_state.values()) == before  # none journaled
