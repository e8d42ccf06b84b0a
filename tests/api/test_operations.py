"""Writes over HTTP: 202 + Location, ?wait=true, reverts, idempotency, backpressure,
operations visible to their organisation only, metrics and errors."""

from __future__ import annotations

from sqlalchemy import func, select
from web3 import Web3

from chain.accounts import CONSORTIUM_ORG_ID
from chain.txpipe import Operation, request_hash
from tests.api.conftest import Gateway


def _key(n: int) -> str:
    return "0x" + Web3.keccak(text=f"api-{n}").hex().removeprefix("0x")


def test_write_answers_202_with_location_then_operation_is_mined(gateway: Gateway) -> None:
    org = gateway.org(1)
    key = gateway.user(org)
    response = gateway.client.post(
        "/v1/test/probe", json={"key": _key(1), "value": 11}, headers=gateway.auth(key)
    )
    assert response.status_code == 202, response.text
    body = response.json()
    assert response.headers["location"] == f"/v1/operations/{body['id']}"
    assert body["state"] in ("pending", "sent") and body["org_id"] == org
    assert body["function"] == "record" and body["args"] == [_key(1), 11]
    signer = gateway.runtime.signer_for_org(org).address
    assert body["signer"] == signer
    op = gateway.runtime.txpipe.wait(body["id"], 10)
    assert op.state == "mined"
    got = gateway.client.get(response.headers["location"], headers=gateway.auth(key)).json()
    assert got["state"] == "mined" and got["block_number"] == op.block_number
    assert got["events"][0]["event"] == "Recorded"
    assert got["events"][0]["args"] == {"key": _key(1), "value": 11, "by": signer.lower()}
    assert gateway.probe.functions.valueOf(Web3.to_bytes(hexstr=_key(1))).call() == 11


def test_write_with_wait_answers_200_with_mined_result(gateway: Gateway) -> None:
    key = gateway.user(gateway.org(1))
    response = gateway.client.post(
        "/v1/test/probe?wait=true", json={"key": _key(2), "value": 5}, headers=gateway.auth(key)
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["state"] == "mined" and body["gas_used"] > 21_000
    assert body["events"][0]["args"]["value"] == 5
    assert gateway.probe.functions.writesOf(Web3.to_bytes(hexstr=_key(2))).call() == 1


def test_operation_of_another_org_is_404_but_consortium_admin_sees_it(gateway: Gateway) -> None:
    writer = gateway.user(gateway.org(1))
    outsider = gateway.user(gateway.org(2), "admin")
    op_id = gateway.client.post(
        "/v1/test/probe", json={"key": _key(3), "value": 1}, headers=gateway.auth(writer)
    ).json()["id"]
    hidden = gateway.client.get(f"/v1/operations/{op_id}", headers=gateway.auth(outsider))
    assert hidden.status_code == 404 and hidden.json()["code"] == "not-found"
    seen = gateway.client.get(f"/v1/operations/{op_id}", headers=gateway.auth(gateway.admin_key))
    assert seen.status_code == 200 and seen.json()["id"] == op_id
    missing = gateway.client.get(
        "/v1/operations/" + "0" * 8 + "-0000-0000-0000-" + "0" * 12, headers=gateway.auth(writer)
    )
    assert missing.status_code == 404


def test_write_reverting_in_simulation_is_422_with_contract_error(gateway: Gateway) -> None:
    org = gateway.org("revert")
    key = gateway.user(org)
    response = gateway.client.post(
        "/v1/test/probe", json={"key": _key(4), "value": 0}, headers=gateway.auth(key)
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == "ProbeRejected"
    assert body["type"] == "https://ledger.example/problems/ProbeRejected"
    assert body["contract_error"] == {"name": "ProbeRejected", "args": {"key": _key(4), "value": 0}}
    assert "value=0" in body["detail"]
    assert gateway.runtime.txpipe.in_flight(gateway.runtime.signer_for_org(org).address) == 0
    with gateway.runtime.sessions() as session:
        journaled = session.scalar(
            select(func.count()).select_from(Operation).where(Operation.org_id == org)
        )
    assert journaled == 0


def test_write_by_reader_is_403(gateway: Gateway) -> None:
    reader = gateway.user(gateway.org(1), "reader")
    response = gateway.client.post(
        "/v1/test/probe", json={"key": _key(5), "value": 1}, headers=gateway.auth(reader)
    )
    assert response.status_code == 403 and response.json()["code"] == "not-authorised"


def test_idempotent_retry_returns_same_operation_and_other_body_is_409(gateway: Gateway) -> None:
    key = gateway.user(gateway.org(1))
    headers = gateway.auth(key) | {"Idempotency-Key": "retry-1"}
    first = gateway.client.post(
        "/v1/test/probe", json={"key": _key(6), "value": 6}, headers=headers
    )
    second = gateway.client.post(
        "/v1/test/probe", json={"key": _key(6), "value": 6}, headers=headers
    )
    assert first.status_code == 202 and second.status_code == 202
    assert first.json()["id"] == second.json()["id"]
    gateway.runtime.txpipe.wait(first.json()["id"], 10)
    assert gateway.probe.functions.writesOf(Web3.to_bytes(hexstr=_key(6))).call() == 1
    other = gateway.client.post(
        "/v1/test/probe", json={"key": _key(6), "value": 7}, headers=headers
    )
    assert other.status_code == 409
    body = other.json()
    assert body["code"] == "idempotency-conflict" and body["operation_id"] == first.json()["id"]
    with gateway.runtime.sessions() as session:
        ops = list(session.scalars(select(Operation).where(Operation.idempotency_key == "retry-1")))
    assert [op.state for op in ops] == ["mined"]
    expected = request_hash({"method": "POST", "path": "/v1/test/probe",
                             "body": {"key": _key(6), "value": 6}})  # fmt: skip
    assert ops[0].request_hash == expected
    # a write without a key is compared with nothing: no hash of it is made or kept
    keyless = gateway.client.post(
        "/v1/test/probe", json={"key": _key(7), "value": 7}, headers=gateway.auth(key)
    )
    assert keyless.status_code == 202
    assert gateway.runtime.txpipe.get(keyless.json()["id"]).request_hash is None


def test_write_over_in_flight_limit_is_429_with_retry_after(gateway: Gateway) -> None:
    gateway.runtime.tracker.stop()  # nothing gets marked mined while we fill the queue
    limit = gateway.runtime.txpipe.max_in_flight
    gateway.runtime.txpipe.max_in_flight = 2
    try:
        _fill_and_overflow(gateway)
    finally:
        gateway.runtime.txpipe.max_in_flight = limit
        gateway.runtime.tracker.start()


def _fill_and_overflow(gateway: Gateway) -> None:
    key = gateway.user(gateway.org("backpressure"))
    for n in range(2):
        ok = gateway.client.post(
            "/v1/test/probe", json={"key": _key(10 + n), "value": 1}, headers=gateway.auth(key)
        )
        assert ok.status_code == 202
    response = gateway.client.post(
        "/v1/test/probe", json={"key": _key(12), "value": 1}, headers=gateway.auth(key)
    )
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) >= 1
    body = response.json()
    assert body["code"] == "backpressure" and body["retry_after"] == int(
        response.headers["retry-after"]
    )
    assert gateway.probe.functions.writesOf(Web3.to_bytes(hexstr=_key(12))).call() == 0


def test_invalid_body_is_422_with_field_errors(gateway: Gateway) -> None:
    key = gateway.user(gateway.org(1))
    response = gateway.client.post(
        "/v1/test/probe", json={"key": "0x12", "value": -1}, headers=gateway.auth(key)
    )
    assert response.status_code == 422
    locs = sorted(tuple(e["loc"]) for e in response.json()["errors"])
    assert locs == [("body", "key"), ("body", "value")]


def test_unexpected_error_is_500_problem_without_details(gateway: Gateway) -> None:
    response = gateway.client.get("/v1/test/boom")
    assert response.status_code == 500
    body = response.json()
    assert body["code"] == "internal-error" and body["incident"] in body["detail"]
    assert "passwd" not in response.text and "Traceback" not in response.text


def test_metrics_count_requests_and_operations(fresh_gateway: Gateway) -> None:
    gateway = fresh_gateway
    key = gateway.user(gateway.org(1))
    gateway.client.post(
        "/v1/test/probe?wait=true", json={"key": _key(20), "value": 2}, headers=gateway.auth(key)
    )
    gateway.client.get("/v1/me")
    text = gateway.client.get("/metrics").text
    assert 'ledger_http_requests_total{method="POST",route="/v1/test/probe",status="200"} 1' in text
    assert 'ledger_http_requests_total{method="GET",route="/v1/me",status="401"} 1' in text
    assert 'ledger_operations{state="mined"} 1' in text
    assert (
        'ledger_http_request_duration_seconds_count{method="POST",route="/v1/test/probe"} 1' in text
    )
    head = gateway.runtime.w3.eth.block_number
    assert f"ledger_chain_head_block {head}" in text
    pipeline = gateway.runtime.txpipe
    assert pipeline.batches >= 1 and pipeline.burst_writes >= pipeline.batches
    assert "# TYPE ledger_write_bursts_total counter" in text
    assert f"ledger_write_bursts_total {pipeline.batches}\n" in text
    assert f"ledger_write_burst_writes_total {pipeline.burst_writes}\n" in text
    assert pipeline.batched_runs >= pipeline.run_batches >= 0
    assert "# TYPE ledger_write_run_batches_total counter" in text
    assert f"ledger_write_run_batches_total {pipeline.run_batches}\n" in text
    assert f"ledger_write_runs_total {pipeline.batched_runs}\n" in text
    assert CONSORTIUM_ORG_ID  # the consortium org exists from the first start


def test_the_gateway_leaves_fastapis_own_telemetry_off(gateway: Gateway) -> None:
    """/metrics is the gateway's telemetry: FastAPI's native OpenTelemetry stays off even
    where a tracer provider is configured (it would otherwise look for one per request)."""
    from opentelemetry.trace import NoOpTracerProvider

    telemetry = gateway.app._native_telemetry
    assert not any(telemetry.config[kind] for kind in ("tracing", "metrics", "logs"))
    configured = dict(telemetry.config, tracer_provider=NoOpTracerProvider())
    assert type(telemetry)(configured).enabled() is False
    assert type(telemetry)(dict(configured, tracing=True)).enabled() is True
