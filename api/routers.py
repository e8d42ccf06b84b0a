"""Every product router, in the order the gateway includes them."""

from __future__ import annotations

from fastapi import APIRouter

from api.routes import revenue

ROUTERS: list[APIRouter] = []
ROUTERS.append(revenue.router)
