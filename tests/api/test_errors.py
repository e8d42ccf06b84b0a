"""Every ledger error renders as RFC 9457 problem+json with a stable code."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.errors import install_error_handlers
from chain.errors import (
    Backpressure,
    ChainUnavailable,
    ContractRevert,
    IllegalTransition,
    LedgerError,
    NotFound,
    RendererUnavailable,
    ValidationFailed,
    register_revert_status,
)

register_revert_status("AssetPledgedForProbe", 409)

CASES: list[tuple[LedgerError, int, str]] = [
    (Backpressure("signer busy", retry_after=3), 429, "backpressure"),
    (ChainUnavailable("node down", retry_after=7), 503, "chain-unavailable"),
    (RendererUnavailable("no font for Chinese text"), 503, "renderer-unavailable"),
    (IllegalTransition("asset 0x01 is Disposed"), 409, "illegal-transition"),
    (NotFound("no asset 0x02"), 404, "not-found"),
    (ValidationFailed("bad id", errors=[{"loc": ["body", "id"], "msg": "hex", "type": "v"}]),
     422, "validation-failed"),
    (ContractRevert("NotOrgOfKind", {"org": b"\x01" * 32, "kind": 2}), 403, "NotOrgOfKind"),
    (ContractRevert("AssetPledgedForProbe", {"assetId": b"\x02" * 32}), 409,
     "AssetPledgedForProbe"),
    (ContractRevert("AmountTooLarge", {"amount": 2**130}), 422, "AmountTooLarge"),
]


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/raise/{index}")
    def raise_case(index: int) -> None:
        raise CASES[index][0]

    return TestClient(app)


@pytest.mark.parametrize("index", range(len(CASES)))
def test_ledger_error_renders_problem_json(client: TestClient, index: int) -> None:
    error, status, code = CASES[index]
    response = client.get(f"/raise/{index}")
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == f"https://ledger.example/problems/{code}"
    assert body["code"] == code and body["status"] == status
    assert body["detail"] == error.detail and body["instance"] == f"/raise/{index}"
    if isinstance(error, Backpressure | ChainUnavailable):
        assert response.headers["retry-after"] == str(error.retry_after)
        assert body["retry_after"] == error.retry_after
    if isinstance(error, ContractRevert):
        assert body["contract_error"] == error.contract_error
    if isinstance(error, ValidationFailed):
        assert body["errors"] == [{"loc": ["body", "id"], "msg": "hex", "type": "v"}]


def test_contract_revert_detail_names_offending_values() -> None:
    revert = ContractRevert("AmountTooLarge", {"amount": 2**130, "assetId": b"\xab" * 32})
    assert revert.args_by_name == {"amount": 2**130, "assetId": "0x" + "ab" * 32}
    assert str(2**130) in revert.detail and "ab" * 32 in revert.detail


def test_unknown_path_and_method_are_problem_json(client: TestClient) -> None:
    missing = client.get("/nowhere")
    assert missing.status_code == 404 and missing.json()["code"] == "not-found"
    wrong = client.post("/raise/0")
    assert wrong.status_code == 405 and wrong.json()["code"] == "method-not-allowed"
