"""Console pages, one module per concern: the entry (login, home, operations), a
workbench per organisation kind, the administration page and the public verify page.
Every action calls the service layer; errors become sentences."""

from __future__ import annotations

from fastapi import APIRouter

from api.console.pages import (
    admin,
    auditor,
    bank,
    charts,
    entities,
    entry,
    finance,
    governance,
    holder,
    market,
    registrar,
    registrar_cases,
    review,
    verify,
)

router = APIRouter(include_in_schema=False)
MODULES = (entry, charts, entities, holder, registrar, registrar_cases, finance, bank, review,
           auditor, market, admin, governance, verify)  # fmt: skip
for _module in MODULES:
    router.include_router(_module.router)
