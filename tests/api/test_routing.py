"""The route table: the hot certificate reads tried first go where they went before, the
OpenAPI document leaves them where they were, and the frozen version check sees routes
added after start-up."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute, _EffectiveRouteContext, _IncludedRouter
from fastapi.testclient import TestClient
from starlette.routing import Match

from api.main import FULL_COLLECTION_EVERY, create_app
from api.routers import HOT_ROUTES, ROUTERS
from chain.runtime import LedgerRuntime
from tests.api.conftest import Gateway, settings_for

CERT = "0x" + "ab" * 32


def _flat(routes: list[Any]) -> list[Any]:
    """Every route of the table in the order the router tries them."""
    out: list[Any] = []
    for route in routes:
        if isinstance(route, _IncludedRouter):
            out += _flat(list(route.effective_candidates()))
        else:
            out.append(route)
    return out


def _original(route: Any) -> Any:
    return route.original_route if isinstance(route, _EffectiveRouteContext) else route


def _path_of(route: Any) -> str:
    return str(getattr(_original(route), "path", "") or getattr(route, "path", ""))


def _may_overlap(a: str, b: str) -> bool:
    """Whether one request path could match both templates (conservative: a ``:path``
    parameter overlaps everything)."""
    if ":path}" in a or ":path}" in b:
        return True
    left, right = a.split("/"), b.split("/")
    if len(left) != len(right):
        return False
    return all(
        x == y or x.startswith("{") or y.startswith("{") for x, y in zip(left, right, strict=True)
    )


def _app() -> FastAPI:
    return create_app(settings_for(Path("unused")))


def _match(app: FastAPI, method: str, path: str) -> tuple[int, Any]:
    scope = {"type": "http", "method": method, "path": path, "root_path": "",
             "headers": [], "query_string": b""}  # fmt: skip
    for index, route in enumerate(app.router.routes):
        if isinstance(route, _IncludedRouter):
            match, _, found, _ = route._match(scope)
        else:
            match, child = route.matches(scope)
            found = child.get("route")
        if match == Match.FULL:
            return index, found
    raise AssertionError(f"no route for {method} {path}")


def test_no_route_before_a_hot_route_matches_its_path() -> None:
    app = _app()
    table = _flat(app.router.routes)
    hot_count = len(HOT_ROUTES)
    hot, rest = table[:hot_count], table[hot_count:]
    assert [(_path_of(r), sorted(_original(r).methods)) for r in hot] == [
        (path, [method]) for _, method, path in HOT_ROUTES
    ]
    for _, method, path in HOT_ROUTES:
        position = next(
            i for i, r in enumerate(rest)
            if _path_of(r) == path and method in (getattr(_original(r), "methods", None) or ())
        )  # fmt: skip
        earlier = [_path_of(r) for r in rest[:position] if _may_overlap(_path_of(r), path)]
        assert earlier == [], f"{method} {path} would shadow {earlier}"


def test_hot_paths_go_to_the_same_route_objects_found_early() -> None:
    app = _app()
    expected = {
        ("GET", f"/v1/certificates/{CERT}"): "/v1/certificates/{cert_id}",
        ("GET", f"/v1/certificates/{CERT}/status"): "/v1/certificates/{cert_id}/status",
        ("POST", "/v1/verify"): "/v1/verify",
        ("POST", "/v1/assets"): "/v1/assets",
    }
    originals = {
        (m, r.path): r for router in ROUTERS for r in router.routes
        if isinstance(r, APIRoute) for m in r.methods
    }  # fmt: skip
    for (method, path), template in expected.items():
        index, route = _match(app, method, path)
        assert index < len(HOT_ROUTES)
        assert route is originals[(method, template)]
    # a route not hot is still found where it was, the other methods of a hot path too
    _, document = _match(app, "GET", f"/v1/certificates/{CERT}/document")
    assert document is originals[("GET", "/v1/certificates/{cert_id}/document")]
    index, listing = _match(app, "GET", "/v1/assets")
    assert index >= len(HOT_ROUTES) and listing is originals[("GET", "/v1/assets")]


def test_openapi_lists_each_hot_operation_once_in_its_place() -> None:
    spec = _app().openapi()
    paths = list(spec["paths"])
    assert paths.count("/v1/certificates/{cert_id}") == 1
    assert paths.index("/v1/certificates/{cert_id}/status") < paths.index("/v1/certificates")
    assert paths.index("/v1/certificates") < paths.index("/v1/certificates/{cert_id}")
    assert set(spec["paths"]["/v1/verify"]) == {"post"}
    operation_ids = [op["operationId"] for ops in spec["paths"].values() for op in ops.values()]
    assert len(operation_ids) == len(set(operation_ids))


def test_frozen_versions_equal_fastapis_walk_and_follow_later_routes(gateway: Gateway) -> None:
    app = gateway.app
    walk = APIRouter._get_routes_version
    assert app.router._get_routes_version() == walk(app.router)
    late = ROUTERS[0]
    before = app.router._get_routes_version()

    @late.get("/v1/test/added-after-start")
    def added() -> dict[str, str]:
        return {"added": "yes"}

    try:
        assert app.router._get_routes_version() == walk(app.router) == before + 1
        response = gateway.client.get("/v1/test/added-after-start")
        assert response.status_code == 200 and response.json() == {"added": "yes"}
    finally:
        late.routes.remove(next(r for r in late.routes if getattr(r, "endpoint", None) is added))
        late._mark_routes_changed()


def test_a_hot_route_keeps_its_405_and_metrics_label(gateway: Gateway) -> None:
    response = gateway.client.put("/v1/verify", json={})
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    gateway.client.get(f"/v1/certificates/{CERT}/status")  # 401: no key
    metrics = gateway.client.get("/metrics").text
    assert (
        'ledger_http_requests_total{method="GET",route="/v1/certificates/{cert_id}/status",'
        'status="401"}' in metrics
    )
    assert 'ledger_http_requests_total{method="PUT",route="/v1/verify",status="405"}' in metrics


def test_startup_objects_are_frozen_while_the_app_runs(tmp_path: Path) -> None:
    runtime = LedgerRuntime.start(settings_for(tmp_path), deploy=False)
    before = gc.get_threshold()
    with TestClient(create_app(runtime=runtime)) as client:
        assert gc.get_freeze_count() > 10_000  # the runtime, web3, the route table...
        # full collections a tenth as often; the young generations as before
        assert gc.get_threshold() == (before[0], before[1], FULL_COLLECTION_EVERY)
        assert client.get("/healthz").status_code == 200
    assert gc.get_freeze_count() == 0  # process-wide: unfrozen at shutdown
    assert gc.get_threshold() == before
