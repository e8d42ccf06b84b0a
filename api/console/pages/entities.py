"""A page per entity, for any logged-in user (the API lets any key read these records):
the asset list with search, status filter and pages; an asset, a certificate (with its
PDF), a paid-use application, a payment and an organisation, each linked to the others."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.console import i18n, lists, records, session
from api.console.names import Names
from api.console.pages.rendering import denied, login_redirect, page, runtime_of
from chain.accounts import Principal
from chain.errors import LedgerError, NotFound
from chain.runtime import LedgerRuntime
from chain.service import certificates
from chain.service.common import hex32

router = APIRouter(include_in_schema=False)
STATUSES = ("registered", "in_notice", "certified", "disposed", "deregistered")


def _assets_ctx(runtime: LedgerRuntime, user: Principal, lang: str,
                request: Request) -> dict[str, Any]:  # fmt: skip
    query = request.query_params
    text = (query.get("q") or "").strip()[:100]
    status = query.get("status") or ""
    holder = query.get("holder") or ""
    named = Names(runtime).search(text) if text else []
    with lists.reading(request) as store:
        found = records.asset_page(store, text=text, named=named, status=status,
                                   holder=holder, cursor=query.get("cursor"))  # fmt: skip
    return {"q": text, "status": status, "holder": holder, "found": found,
            "lists_status": lambda name: lists.STATUS.get(name, name),
            "statuses": STATUSES}  # fmt: skip


@router.get("/console/assets")
def asset_list(request: Request) -> Response:
    return page(request, "assets.html", _assets_ctx)


def _asset_ctx(asset_id: str) -> Any:
    def build(runtime: LedgerRuntime, user: Principal, lang: str,
              request: Request) -> dict[str, Any]:  # fmt: skip
        with lists.reading(request) as store:
            asset = lists.asset(store, hex32(asset_id))
            if asset is None:
                raise NotFound(f"no asset {asset_id} in the index")
            certs = lists.certificates(store, asset_id=asset.asset_id)
            apps = lists.applications(store, asset_id=asset.asset_id)
            payments = lists.payments(store, asset.asset_id)
            timeline = lists.history(store, asset.asset_id)
        return {"asset": asset, "certs": certs, "apps": apps, "payments": payments,
                "timeline": timeline, "scopes": records.scopes(runtime, apps),
                "event_label": lambda name: i18n.event_label(lang, name)}  # fmt: skip

    return build


@router.get("/console/assets/{asset_id}")
def asset_page(request: Request, asset_id: str) -> Response:
    return page(request, "asset.html", _asset_ctx(asset_id))


def _certificate_ctx(certificate_id: str) -> Any:
    def build(runtime: LedgerRuntime, user: Principal, lang: str,
              request: Request) -> dict[str, Any]:  # fmt: skip
        with lists.reading(request) as store:
            cert = records.certificate(store, hex32(certificate_id))
            if cert is None:
                raise NotFound(f"no certificate {certificate_id} in the index")
            asset = lists.asset(store, str(cert["asset_id"]))
        return {"cert": cert, "asset": asset}

    return build


@router.get("/console/certificates/{certificate_id}")
def certificate_page(request: Request, certificate_id: str) -> Response:
    return page(request, "certificate.html", _certificate_ctx(certificate_id))


@router.get("/console/certificates/{certificate_id}/pdf")
def certificate_pdf(request: Request, certificate_id: str) -> Response:
    """The printable certificate, downloaded from the console session."""
    runtime = runtime_of(request)
    user = session.principal_of(runtime, request)
    if user is None:
        return login_redirect()
    try:
        cid = hex32(certificate_id)
        data = certificates.certificate_pdf(runtime, cid, str(request.base_url).rstrip("/"))
    except LedgerError as exc:
        return denied(request, i18n.lang_of(request), user, exc)
    name = f"certificate-{cid[2:14]}.pdf"
    return Response(data, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip


def _application_ctx(application_id: str) -> Any:
    def build(runtime: LedgerRuntime, user: Principal, lang: str,
              request: Request) -> dict[str, Any]:  # fmt: skip
        with lists.reading(request) as store:
            found = lists.applications(store, application_id=hex32(application_id))
            if not found:
                raise NotFound(f"no paid-use application {application_id} in the index")
            asset = lists.asset(store, found[0].asset_id)
        return {"app": found[0], "asset": asset, "scopes": records.scopes(runtime, found)}

    return build


@router.get("/console/applications/{application_id}")
def application_page(request: Request, application_id: str) -> Response:
    return page(request, "application.html", _application_ctx(application_id))


def _payment_ctx(payment_id: str) -> Any:
    def build(runtime: LedgerRuntime, user: Principal, lang: str,
              request: Request) -> dict[str, Any]:  # fmt: skip
        with lists.reading(request) as store:
            found = records.payment(store, hex32(payment_id))
            if found is None:
                raise NotFound(f"no payment {payment_id} in the index")
        return {"payment": found}

    return build


@router.get("/console/payments/{payment_id}")
def payment_page(request: Request, payment_id: str) -> Response:
    return page(request, "payment.html", _payment_ctx(payment_id))


def _org_ctx(org_id: str) -> Any:
    def build(runtime: LedgerRuntime, user: Principal, lang: str,
              request: Request) -> dict[str, Any]:  # fmt: skip
        org = runtime.accounts.get_org(hex32(org_id))
        with lists.reading(request) as store:
            held = lists.assets(store, holder=org.org_id)
            issued = lists.certificates(store, issuer=org.org_id)
        return {"org": org, "held": held, "issued": issued}

    return build


@router.get("/console/orgs/{org_id}")
def org_page(request: Request, org_id: str) -> Response:
    return page(request, "org.html", _org_ctx(org_id))
