"""Every product router, in the order the gateway includes them."""

from __future__ import annotations

from fastapi import APIRouter

from api.routes import agreements, applications, assets, certificates, financing, orgs, revenue

ROUTERS: list[APIRouter] = []
ROUTERS.append(revenue.router)
ROUTERS.extend(
    [
        orgs.router,
        assets.router,
        certificates.router,
        agreements.router,
        applications.router,
        financing.router,
    ]
)

from api.console import router as console_router  # noqa: E402

ROUTERS.append(console_router)
