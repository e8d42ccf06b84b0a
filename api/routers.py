"""Every product router, in the order the gateway includes them; the hot certificate reads
tried first; the freezing of the route table once they are included."""

from __future__ import annotations

import copy
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute, _IncludedRouter

from api.console import router as console_router
from api.routes import (
    agreements,
    applications,
    assets,
    audit,
    catalogue,
    certificates,
    financing,
    governance,
    org_admin,
    orgs,
    revenue,
    verify,
)

ROUTERS: list[APIRouter] = [
    orgs.router,
    org_admin.router,
    assets.router,
    certificates.router,
    verify.router,
    agreements.router,
    applications.router,
    financing.router,
    governance.router,
    revenue.router,
    catalogue.router,
    audit.router,
    console_router,
]

#: The certificate reads a verifier or a client asks for most, and the registration of a
#: data resource (the write a holder sends most), as (router, method, path): the gateway
#: tries them before the ~170 other routes (:func:`hot_routes_first`).
HOT_ROUTES: list[tuple[APIRouter, str, str]] = [
    (catalogue.router, "GET", "/v1/certificates/{cert_id}"),
    (certificates.router, "GET", "/v1/certificates/{cert_id}/status"),
    (certificates.router, "POST", "/v1/verify"),
    (assets.router, "POST", "/v1/assets"),
]


def hot_routes_first(app: FastAPI) -> None:
    """Try the :data:`HOT_ROUTES` first: the same route objects, in a router (a copy of
    each one's own, so the same dependencies, response class and settings) included ahead
    of all others and out of the OpenAPI document, which stays as it was.

    Matching runs over the routes in order and takes the first full match; no route
    included before these matches their paths (``tests/api/test_routing.py`` checks it
    over the whole table), so each request goes to the route it went to before, found
    after a handful of tries instead of 40-90.
    """
    for source, method, path in reversed(HOT_ROUTES):
        found = [
            r for r in source.routes
            if isinstance(r, APIRoute) and r.path == path and method in (r.methods or ())
        ]  # fmt: skip
        if len(found) != 1:
            raise LookupError(f"hot route {method} {path} is not one route of its router")
        hot = copy.copy(source)
        hot.routes = [found[0]]
        hot._low_priority_routes = []
        hot._frontend_routes = None
        hot._routes_version = 0
        app.include_router(hot, include_in_schema=False)
        app.router.routes.insert(0, app.router.routes.pop())
    app.router._mark_routes_changed()


def freeze_routes(router: APIRouter) -> None:
    """Make the route-table version check of ``router`` and every router included in it
    cost its included routers only, not every route.

    FastAPI (0.16x) resolves an included router's routes lazily and, on every request,
    for every included router it tries, checks that none of them changed by summing the
    version counters of the router and of all routers under it: a walk over every route
    (~150 here) per included router per request. A frozen router keeps the list of routers
    included in it (found once) and sums over that list; a change of its own routes (a
    route or router added later, as tests do) bumps its own counter, and then it walks
    its routes as FastAPI does. The versions are the same numbers, so routing and the
    OpenAPI document are unchanged.
    """
    _freeze(router, set())


def _freeze(router: APIRouter, done: set[int]) -> None:
    if id(router) in done:
        return
    done.add(id(router))
    children = [r.original_router for r in router.routes if isinstance(r, _IncludedRouter)]
    for child in children:
        _freeze(child, done)
    walk = router._get_routes_version  # FastAPI's: over every route
    frozen_at = router._routes_version

    def version(seen: set[int] | None = None) -> int:
        if router._routes_version != frozen_at:
            return walk(seen)
        if not children:
            return frozen_at
        if seen is None:
            seen = set()
        if id(router) in seen:
            return frozen_at
        seen.add(id(router))
        total = frozen_at
        for child in children:
            total += child._get_routes_version(seen)
        return total

    frozen: Any = version
    router._get_routes_version = frozen  # type: ignore[method-assign]
