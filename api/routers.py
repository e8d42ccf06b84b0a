"""Every product router, in the order the gateway includes them."""

from __future__ import annotations

from fastapi import APIRouter

ROUTERS: list[APIRouter] = []
