"""One request must not kill the gateway: bodies are bounded in size and nesting before
anything parses them, and Python's recursion limit stays where the parser raises cleanly."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from api.limits import MAX_JSON_DEPTH, MIB, BodyGuard, json_depth_exceeds
from chain.txpipe.models import Operation
from tests.workflows.world import RegistryWorld

ID = "0x" + "11" * 32
#: 100,000 "[" then 100,000 "]": 200 KB that overflowed the C stack of the JSON parser.
NESTED_200KB = b"[" * 100_000 + b"]" * 100_000
JSON_HEADERS = {"content-type": "application/json"}

#: Every route that takes a body and needs no API key.
PUBLIC_BODY_ROUTES = ["/v1/split/quote", "/v1/verify", "/verify", "/console/login"]


def body_routes(w: RegistryWorld) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(method, path, operation) of every route that takes a body, path ids filled in."""
    spec = w.client.get("/openapi.json").json()
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if "requestBody" in operation:
                filled = path
                for param in operation.get("parameters", []):
                    if param["in"] == "path":
                        value = "370200" if param["name"] == "city" else ID
                        filled = filled.replace("{" + param["name"] + "}", value)
                yield method.upper(), filled, operation


def test_recursion_limit_is_pythons_own_after_the_gateway_imports() -> None:
    script = (
        "import sys, json, api.main, eth, py_ecc\n"
        "print(sys.getrecursionlimit())\n"
        "try:\n"
        "    json.loads('[' * 100000 + ']' * 100000)\n"
        "except RecursionError:\n"
        "    print('RecursionError')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["1000", "RecursionError"]


def test_nested_200kb_body_on_every_public_route_is_422_and_the_gateway_answers_after(
    w: RegistryWorld,
) -> None:
    for path in PUBLIC_BODY_ROUTES:
        response = w.client.post(path, content=NESTED_200KB, headers=JSON_HEADERS)
        assert response.status_code == 422, (path, response.text)
        body = response.json()
        assert body["code"] == "validation-failed"
        assert f"deeper than {MAX_JSON_DEPTH}" in body["detail"]
    quote = w.client.post(
        "/v1/split/quote",
        json={"lower_bounds": [0, 10_000_000], "operator_bps": [2000, 3500], "amount": 30_000_000},
    )
    assert quote.status_code == 200, quote.text
    assert quote.json()["operator_share"] == 2_000_000 + 7_000_000


def test_nested_body_on_every_route_is_refused_before_auth_or_parsing(w: RegistryWorld) -> None:
    routes = list(body_routes(w))
    assert len(routes) >= 30
    for method, path, _ in routes:
        response = w.client.request(method, path, content=NESTED_200KB, headers=JSON_HEADERS)
        assert response.status_code == 422, (method, path, response.text)
        assert response.json()["errors"][0]["type"] == "json_depth"
    assert w.client.get("/healthz").status_code == 200


def test_depth_counts_brackets_outside_strings_only() -> None:
    assert not json_depth_exceeds(b'{"a": "' + b"[" * 500 + b'"}', 3)
    assert not json_depth_exceeds(b'{"a": "\\"[[[[[[[[[[[[[[[[["}', 3)
    assert json_depth_exceeds(b'{"a": [[[1]]]}', 3)
    assert not json_depth_exceeds(b'{"a": [[1]]}', 3)
    deep = "1"
    for _ in range(MAX_JSON_DEPTH):
        deep = "[" + deep + "]"
    assert not json_depth_exceeds(deep.encode(), MAX_JSON_DEPTH)
    assert json_depth_exceeds(("[" + deep + "]").encode(), MAX_JSON_DEPTH)


def _operations(w: RegistryWorld) -> int:
    with w.runtime.sessions() as session:
        return session.query(Operation).count()


def test_body_over_the_limit_is_413_and_nothing_is_written(w: RegistryWorld) -> None:
    block = w.runtime.w3.eth.block_number
    before = _operations(w)
    metadata = {"title": "x" * (10 * MIB)}
    body = {"catalogue_code": "370200-JT-BIG", "domain_code": 7, "metadata": metadata}
    response = w.client.post("/v1/assets", json=body, headers=w.auth("holder"))
    assert response.status_code == 413, response.text[:500]
    problem = response.json()
    assert problem["code"] == "too-large" and problem["limit_bytes"] == MIB
    assert response.headers["content-type"] == "application/problem+json"
    assert _operations(w) == before
    assert w.runtime.w3.eth.block_number == block


def test_streamed_body_without_length_is_cut_at_the_limit(w: RegistryWorld) -> None:
    response = w.client.post(
        "/v1/split/quote", content=(b" " * 65536 for _ in range(64)), headers=JSON_HEADERS
    )
    assert response.status_code == 413, response.text
    assert response.json()["limit_bytes"] == MIB


def test_guard_stops_reading_a_stream_once_past_the_limit() -> None:
    pulled = 0
    sent: list[dict[str, Any]] = []
    reached_app = False

    async def app(scope: Any, receive: Any, send: Any) -> None:
        nonlocal reached_app
        reached_app = True

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        pulled += 1
        return {"type": "http.request", "body": b" " * 65536, "more_body": pulled < 1000}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/v1/assets", "headers": []}
    asyncio.run(BodyGuard(app, max_body_bytes=MIB)(scope, receive, send))
    assert pulled == MIB // 65536 + 1  # one chunk past the limit, then no more reading
    assert not reached_app
    assert sent[0]["status"] == 413


def test_route_limits_batch_larger_than_default() -> None:
    guard = BodyGuard(app=None, max_body_bytes=MIB)  # type: ignore[arg-type]
    assert guard.limit_for("POST", "/v1/assets/batches") == 16 * MIB
    assert guard.limit_for("POST", "/v1/assets") == MIB
    assert guard.limit_for("POST", f"/v1/assets/batches/{ID}/items") == MIB


@pytest.mark.parametrize(
    "body",
    [
        {"lower_bounds": [0], "operator_bps": [2000], "amount": "20000000"},
        {"lower_bounds": [0], "operator_bps": [2000], "amount": 20000000.0},
        {"lower_bounds": [0], "operator_bps": [2000], "amount": True},
        {"lower_bounds": ["0"], "operator_bps": [2000], "amount": 1},
        {"lower_bounds": [0], "operator_bps": [2000.0], "amount": 1},
        {"lower_bounds": [0], "operator_bps": [2000], "amount": 1, "extra": 1},
    ],
)
def test_quote_takes_json_integers_only(w: RegistryWorld, body: dict[str, object]) -> None:
    response = w.client.post("/v1/split/quote", content=json.dumps(body),
                                   headers=JSON_HEADERS)  # fmt: skip
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation-failed"


# ------------------------------------------------------------- strict types, every route


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    if "anyOf" in schema:
        options = [o for o in schema["anyOf"] if o.get("type") != "null"]
        return _resolve(spec, options[0])
    return schema


def valid_value(spec: dict[str, Any], schema: dict[str, Any]) -> Any:
    """A value of the schema's JSON type that passes its bounds (not its business rules)."""
    schema = _resolve(spec, schema)
    kind = schema.get("type")
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    if kind == "object":
        return {
            name: valid_value(spec, sub)
            for name, sub in schema.get("properties", {}).items()
            if name in schema.get("required", [])
        }
    if kind == "array":
        return [valid_value(spec, schema["items"]) for _ in range(schema.get("minItems", 1))]
    if kind == "integer":
        return max(1, int(schema.get("minimum", 1)), int(schema.get("exclusiveMinimum", 0)) + 1)
    if kind == "boolean":
        return True
    if kind == "string":
        pattern = schema.get("pattern", "")
        if "{40}" in pattern:
            return "0x" + "22" * 20
        if "{64}" in pattern:
            return ID
        return "x" * max(1, schema.get("minLength", 1))
    return {}


def typed_members(spec: dict[str, Any], schema: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(member, JSON type) of every integer or boolean member, arrays of them included."""
    schema = _resolve(spec, schema)
    for name, sub in schema.get("properties", {}).items():
        sub = _resolve(spec, sub)
        kind = sub.get("type")
        if kind == "array":
            kind = "array-of-" + str(_resolve(spec, sub["items"]).get("type"))
        if kind in ("integer", "boolean", "array-of-integer"):
            yield name, kind


WRONG = {
    "integer": [lambda v: str(v), lambda v: float(v), lambda v: True],
    "array-of-integer": [lambda v: [str(x) for x in v], lambda v: [float(x) for x in v]],
    "boolean": [lambda v: "true", lambda v: 1],
}


def test_every_write_route_refuses_coerced_numbers_and_flags_and_writes_nothing(
    w: RegistryWorld,
) -> None:
    spec = w.client.get("/openapi.json").json()
    block, before = w.runtime.w3.eth.block_number, _operations(w)
    tried = 0
    for method, path, operation in body_routes(w):
        content = operation["requestBody"]["content"]
        if "application/json" not in content:
            continue  # console forms: text by nature, parsed by the console itself
        schema = content["application/json"]["schema"]
        body = valid_value(spec, schema)
        for name, kind in typed_members(spec, schema):
            value = body.get(name, valid_value(spec, _resolve(spec, schema)["properties"][name]))
            for wrong in WRONG[kind]:
                bad = {**body, name: wrong(value)}
                response = w.client.request(
                    method, path, json=bad, headers=w.auth("admin"), params={"wait": "true"}
                )
                assert response.status_code == 422, (method, path, name, bad, response.text)
                locs = [e["loc"] for e in response.json()["errors"]]
                assert any(name in loc for loc in locs), (path, name, locs)
                tried += 1
        extra = w.client.request(method, path, json={**body, "unexpected": 1},
                                 headers=w.auth("admin"), params={"wait": "true"})  # fmt: skip
        assert extra.status_code == 422, (method, path, extra.text)
        assert any("unexpected" in e["loc"] for e in extra.json()["errors"]), extra.text
    assert tried >= 40
    assert _operations(w) == before
    assert w.runtime.w3.eth.block_number == block


def test_faucet_and_valuation_regressions_take_no_string_or_boolean_amounts(
    w: RegistryWorld,
) -> None:
    block = w.runtime.w3.eth.block_number
    org = w.orgs["merchant"]
    faucet = w.call("POST", "/v1/dev/faucet", "admin", {"org_id": org, "amount": True})
    assert faucet.status_code == 422 and "amount" in faucet.text
    valuation = w.call("POST", f"/v1/assets/{ID}/valuation", "registrar",
                       {"value_fen": "200000000", "method_code": 1, "report_hash": ID})
    assert valuation.status_code == 422 and "value_fen" in valuation.text
    assert w.runtime.w3.eth.block_number == block
