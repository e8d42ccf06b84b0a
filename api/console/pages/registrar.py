"""The registrar's workbench: valuation, compliance, certificates and their revocation,
recognitions and agreements."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from api.console import gates, lists, money
from api.console.pages.rendering import act, chain_now, page, page_number, ref_hash
from chain import store_queries
from chain.accounts import Principal
from chain.errors import ValidationFailed
from chain.revocation import ManualRevocationReason
from chain.revocation import manual_choices as manual_revocation_choices
from chain.runtime import LedgerRuntime
from chain.service import assets, certificates, store_reads
from chain.txpipe import Operation

router = APIRouter(include_in_schema=False)
#: Certificates that end within this many seconds are listed for renewal.
RENEWAL_WINDOW = 90 * 86_400


#: The registrar's paged lists, each paged by its own query parameter (``?to_value=2``).
PAGED = ("to_value", "to_review", "in_notice", "issued", "renewals", "reissuable")


def registrar_ctx(runtime: LedgerRuntime, user: Principal, lang: str,
                   request: Request) -> dict[str, Any]:  # fmt: skip
    """The queues as counts and one page each (never every row of a city), the
    agreements from the indexed store."""
    now = chain_now(runtime)
    pages = {name: page_number(request, name) for name in PAGED}
    city = user.city_code
    with lists.reading(request) as store:
        indexed = store_queries.indexed_time(store)
        queue = {name: lists.asset_queue(store, city, name, pages[name], indexed)
                 for name in ("to_value", "to_review", "in_notice")}  # fmt: skip
        disputable = lists.asset_queue(store, city, "disputable", 1, indexed)
        issued = lists.issued_certificates(store, user.org_id, pages["issued"], now=indexed)
        renewals = lists.issued_certificates(store, user.org_id, pages["renewals"], now=indexed,
                                             renewal_before=now + RENEWAL_WINDOW)  # fmt: skip
        reissuable = lists.issued_certificates(store, user.org_id, pages["reissuable"],
                                               now=indexed, reissuable=True)  # fmt: skip
        objections = store_reads.objections(store, city)
        cases = store_reads.case_assets(store, city)
        agreements = store_reads.agreements(
            store, user.org_id if user.org_kind == "registrar" else None
        )
    return {"queue": queue, "now": now, "agreements": agreements, "issued": issued,
            "revocation_choices": manual_revocation_choices(),
            "objections_open": [o for o in objections if o.status == "open"],
            "objections_done": [o for o in objections if o.status != "open"],
            "disputed": [a for a in cases if a.disputed],
            "disposals": [a for a in cases if a.disposal_requested],
            "disputable": disputable, "renewals": renewals, "reissuable": reissuable}  # fmt: skip


@router.get("/console/registrar")
def registrar_page(request: Request) -> Response:
    return page(request, "registrar.html", registrar_ctx, gate=gates.registrar)


@router.post("/console/registrar/assets/{asset_id}/valuation")
def registrar_value(
    request: Request,
    asset_id: str,
    value_yuan: Annotated[str, Form()],
    method_code: Annotated[int, Form()] = 1,
    report_ref: Annotated[str, Form()] = "",
) -> Response:
    def action(runtime: LedgerRuntime, user: Principal) -> Operation:
        body = assets.ValuationIn(value_fen=money.fen_of_yuan(value_yuan, "value_yuan"),
                                  method_code=method_code,
                                  report_hash=ref_hash(report_ref))  # fmt: skip
        return assets.record_valuation(runtime, user, asset_id, body)

    return act(
        request, "registrar.html", registrar_ctx, action, "/console/registrar", gate=gates.registrar
    )


@router.post("/console/registrar/assets/{asset_id}/compliance")
def registrar_review(
    request: Request,
    asset_id: str,
    passed: Annotated[str, Form()] = "yes",
    report_ref: Annotated[str, Form()] = "",
) -> Response:
    def action(runtime: LedgerRuntime, user: Principal) -> Operation:
        body = assets.ComplianceIn(passed=passed == "yes", report_hash=ref_hash(report_ref))
        return assets.record_compliance(runtime, user, asset_id, body)

    return act(
        request, "registrar.html", registrar_ctx, action, "/console/registrar", gate=gates.registrar
    )


@router.post("/console/registrar/assets/{asset_id}/certificate")
def registrar_certify(request: Request, asset_id: str) -> Response:
    def action(runtime: LedgerRuntime, user: Principal) -> Operation:
        return certificates.issue_certificate(runtime, user, asset_id).operation

    return act(
        request, "registrar.html", registrar_ctx, action, "/console/registrar", gate=gates.registrar
    )


@router.post("/console/registrar/certificates/{certificate_id}/revocation")
def registrar_revoke(request: Request, certificate_id: str,
                     reason: Annotated[str, Form()] = "") -> Response:  # fmt: skip
    """Revoke with a reason chosen by its name in the catalogue (``registration_error``,
    ``holder_request``, ...), never a number typed in."""

    def action(runtime: LedgerRuntime, user: Principal) -> Operation:
        chosen = ManualRevocationReason.__members__.get(reason.strip().upper())
        if chosen is None:
            error = {"loc": ["body", "reason"], "msg": "not in the catalogue", "type": "enum"}
            raise ValidationFailed(f"choose a revocation reason from the list, not {reason!r}",
                                   errors=[error])  # fmt: skip
        body = certificates.RevocationIn(reason_code=chosen)
        return certificates.revoke_certificate(runtime, user, certificate_id, body)

    return act(
        request, "registrar.html", registrar_ctx, action, "/console/registrar", gate=gates.registrar
    )


@router.post("/console/registrar/recognitions")
def registrar_recognise(request: Request, certificate_id: Annotated[str, Form()]) -> Response:
    def action(runtime: LedgerRuntime, user: Principal) -> Operation:
        return certificates.recognise(runtime, user, certificate_id.strip())

    return act(
        request, "registrar.html", registrar_ctx, action, "/console/registrar", gate=gates.registrar
    )


@router.post("/console/registrar/agreements")
def registrar_propose(request: Request, partner_org_id: Annotated[str, Form()]) -> Response:
    def action(runtime: LedgerRuntime, user: Principal) -> Operation:
        body = certificates.AgreementIn(partner_org_id=partner_org_id.strip())
        return certificates.propose_agreement(runtime, user, body).operation

    return act(
        request, "registrar.html", registrar_ctx, action, "/console/registrar", gate=gates.registrar
    )


@router.post("/console/registrar/agreements/{agreement_id}/signature")
def registrar_sign(request: Request, agreement_id: str) -> Response:
    def action(runtime: LedgerRuntime, user: Principal) -> Operation:
        return certificates.accept_agreement(runtime, user, agreement_id)

    return act(
        request, "registrar.html", registrar_ctx, action, "/console/registrar", gate=gates.registrar
    )


@router.post("/console/registrar/agreements/{agreement_id}/withdrawal")
def registrar_withdraw(request: Request, agreement_id: str) -> Response:
    def action(runtime: LedgerRuntime, user: Principal) -> Operation:
        return certificates.withdraw_agreement(runtime, user, agreement_id)

    return act(
        request, "registrar.html", registrar_ctx, action, "/console/registrar", gate=gates.registrar
    )


@router.post("/console/registrar/certificates/{certificate_id}/renewal")
def registrar_renew(request: Request, certificate_id: str) -> Response:
    def action(runtime: LedgerRuntime, user: Principal) -> Operation:
        return certificates.renew_certificate(runtime, user, certificate_id)

    return act(request, "registrar.html", registrar_ctx, action, "/console/registrar",
               gate=gates.registrar)  # fmt: skip
