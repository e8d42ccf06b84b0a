"""Console pages, one module per concern: the entry (login, home, operations), a
workbench per organisation kind, the administration page and the public verify page.
Every action calls the service layer; errors become sentences."""

from __future__ import annotations

from fastapi import APIRouter

from api.console.pages import (
    admin,
    auditor,
    bank,
    entities,
    entry,
    finance,
    holder,
    registrar,
    review,
    verify,
)

router = APIRouter(include_in_schema=False)
for _module in (entry, entities, holder, registrar, finance, bank, review, auditor, admin, verify):
    router.include_router(_module.router)
