"""The gateway on an in-process chain with the console's Qingdao cast (tests.console), one
valid and one revoked certificate, their signed documents and printed PDFs."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from chain.documents import CertificateDocument
from chain.service import assets, certificates
from chain.txpipe import MINED, Operation
from tests.console.conftest import NOTICE, ConsoleWorld, console

__all__ = ["console"]

BASE = "http://testserver"
HASH = "0x" + "aa" * 32


@dataclass(frozen=True)
class Printed:
    certificate_id: str
    document: CertificateDocument
    pdf: bytes


def _mined(world: ConsoleWorld, op: Operation) -> None:
    done = world.runtime.txpipe.wait(op.id, 30)
    assert done.state == MINED, (done.error_code, done.error_detail)


def _certify(world: ConsoleWorld, code: str, title: str) -> str:
    runtime, cast = world.runtime, world.cast
    holder, registrar = cast.principal("holder"), cast.principal("registrar")
    made = assets.register_asset(runtime, holder, assets.AssetCreate(
        catalogue_code=code, domain_code=7, metadata={"title": title}))  # fmt: skip
    _mined(world, made.operation)
    value = assets.ValuationIn(value_fen=250_000_000, method_code=1, report_hash=HASH)
    _mined(world, assets.record_valuation(runtime, registrar, made.resource_id, value))
    review = assets.ComplianceIn(passed=True, report_hash=HASH)
    _mined(world, assets.record_compliance(runtime, registrar, made.resource_id, review))
    cast.advance(NOTICE + 1)
    issued = certificates.issue_certificate(runtime, registrar, made.resource_id)
    _mined(world, issued.operation)
    return issued.resource_id


def _printed(world: ConsoleWorld, cid: str) -> Printed:
    runtime = world.runtime
    return Printed(
        certificate_id=cid,
        document=certificates.certificate_document(runtime, cid, BASE),
        pdf=certificates.certificate_pdf(runtime, cid, BASE),
    )


@pytest.fixture(scope="module")
def printed(console: ConsoleWorld) -> dict[str, Printed]:
    """``valid``: an active certificate; ``revoked``: one revoked (reason 2) after printing
    its PDF, so the printout itself does not say so."""
    valid = _certify(console, "370200-JT-2025-0701", "公交刷卡数据")
    revoked = _certify(console, "370200-JT-2025-0702", "网约车订单数据")
    out = {"valid": _printed(console, valid), "revoked": _printed(console, revoked)}
    body = certificates.RevocationIn(reason_code=2)
    _mined(console, certificates.revoke_certificate(
        console.runtime, console.cast.principal("registrar"), revoked, body))  # fmt: skip
    console.indexed()
    return out
