"""Every product router, in the order the gateway includes them."""

from __future__ import annotations

from fastapi import APIRouter

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
