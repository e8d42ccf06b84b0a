"""The administration page (admins only): users of an organisation with their key
prefixes, a form to create one, revoke and rotate buttons (a new key is shown once); for a
registrar's admin its
terms and the activation of its city's organisations; for the consortium admin the
activation of registrars. Every action calls the same service function as the API, so
the console applies the API's role limits."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from api.console import i18n, session
from api.console.pages.governance import address_of, beijing_time
from api.console.pages.rendering import act, login_redirect, page, render, runtime_of
from chain.accounts import Organisation, Principal, normalise_org_id
from chain.errors import LedgerError, NotAuthorised, ValidationFailed
from chain.runtime import LedgerRuntime
from chain.service import org_activation, registrar_terms
from chain.service import orgs as org_service
from chain.service import users as user_service
from chain.txpipe import Operation

router = APIRouter(include_in_schema=False)
TEMPLATE = "admin.html"
PATH = "/console/admin"
DAY = 86_400


def _require_admin(user: Principal) -> None:
    if user.role != "admin":
        raise NotAuthorised(f"the administration page is for admins; this key is a {user.role}")


def _managed_orgs(runtime: LedgerRuntime, user: Principal) -> list[Organisation]:
    """Organisations whose activation this admin may switch (as the contract allows)."""
    orgs = runtime.accounts.list_orgs()
    if user.is_consortium_admin:
        return [o for o in orgs if o.kind == "registrar"]
    if user.org_kind == "registrar":
        return [o for o in orgs if o.city_code == user.city_code
                and o.kind not in ("registrar", "consortium")]  # fmt: skip
    return []


def _days(seconds: int) -> str:
    return f"{seconds / DAY:g}"


def _context(runtime: LedgerRuntime, user: Principal, lang: str, org: str | None,
             revoked: str | None = None) -> dict[str, Any]:  # fmt: skip
    """Users of ``org`` (default: the admin's own), the registrar's terms and the
    organisations whose activation this admin switches."""
    _require_admin(user)
    org_id = normalise_org_id(org or user.org_id)
    users = user_service.list_users(runtime, user, org_id)
    choices = runtime.accounts.list_orgs() if user.is_consortium_admin else []
    terms = None
    if user.org_kind == "registrar":
        terms = registrar_terms.get_terms(runtime, user.org_id)
    managed = [org_service.org_public(runtime, o) for o in _managed_orgs(runtime, user)]
    notice = None
    if revoked:
        name = next((u.name for u in users if u.id == revoked), "")
        notice = i18n.t(lang, "user_revoked", name=name)
    own = runtime.accounts.find_org(user.org_id) if user.org_kind != "consortium" else None
    return {"org": runtime.accounts.get_org(org_id), "users": users, "choices": choices,
            "terms": terms, "managed": managed, "days": _days, "notice": notice,
            "own_signer": own.signer_address if own is not None else None,
            "allowed": True}  # fmt: skip


def _admin_ctx(runtime: LedgerRuntime, user: Principal, lang: str,
               request: Request) -> dict[str, Any]:  # fmt: skip
    query = request.query_params
    return _context(runtime, user, lang, query.get("org"), query.get("revoked"))


@router.get(PATH)
def admin_page(request: Request) -> Response:
    return page(request, TEMPLATE, _admin_ctx)


def _show_error(request: Request, exc: LedgerError) -> Response:
    lang = i18n.lang_of(request)
    return page(request, TEMPLATE, _admin_ctx, error=i18n.error_sentence(lang, exc),
                status_code=exc.http_status)  # fmt: skip


@router.post(PATH + "/users/{user_id}/revocation")
def revoke_user(request: Request, user_id: str) -> Response:
    runtime = runtime_of(request)
    user = session.principal_of(runtime, request)
    if user is None:
        return login_redirect()
    try:
        revoked = user_service.revoke_user(runtime, user, user_id)
    except LedgerError as exc:
        return _show_error(request, exc)
    return RedirectResponse(f"{PATH}?org={revoked.org_id}&revoked={revoked.id}", status_code=303)


def _show_new_key(request: Request, runtime: LedgerRuntime, user: Principal,
                  made: user_service.UserKey) -> Response:  # fmt: skip
    """The page with a new key, rendered in this answer only (never in a URL, never
    cached). An admin given a new key of its own continues on a session bound to it."""
    lang = i18n.lang_of(request)
    try:
        ctx = _context(runtime, user, lang, made.org_id)
    except LedgerError as exc:  # the key exists now: show it whatever else fails
        ctx = {"allowed": True, "error": i18n.error_sentence(lang, exc)}
    own = made.id == user.user_id
    response = render(request, TEMPLATE, lang, user, new_key=made, new_key_own=own, **ctx)
    if own:
        session.issue(runtime, user, response, secure=request.url.scheme == "https")
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post(PATH + "/users")
def create_user(
    request: Request,
    org_id: Annotated[str, Form()],
    name: Annotated[str, Form()],
    role: Annotated[str, Form()] = "writer",
) -> Response:
    runtime = runtime_of(request)
    user = session.principal_of(runtime, request)
    if user is None:
        return login_redirect()
    try:
        made = user_service.create_user(runtime, user, normalise_org_id(org_id), name, role)
    except LedgerError as exc:
        return _show_error(request, exc)
    return _show_new_key(request, runtime, user, made)


@router.post(PATH + "/users/{user_id}/key")
def rotate_key(request: Request, user_id: str) -> Response:
    runtime = runtime_of(request)
    user = session.principal_of(runtime, request)
    if user is None:
        return login_redirect()
    try:
        rotated = user_service.rotate_user_key(runtime, user, user_id)
    except LedgerError as exc:
        return _show_error(request, exc)
    return _show_new_key(request, runtime, user, rotated)


def _terms_in(notice_days: int, term_days: int) -> registrar_terms.TermsIn:
    try:
        return registrar_terms.TermsIn(notice_window_seconds=notice_days * DAY,
                                       certificate_term_seconds=term_days * DAY)  # fmt: skip
    except ValidationError as exc:
        errors = [{"loc": ["body", *e["loc"]], "msg": e["msg"], "type": e["type"]}
                  for e in exc.errors()]  # fmt: skip
        raise ValidationFailed(
            "the notice window is 0 to 365 days and the certificate term 0 to 7300 days "
            "(0 = the default)",
            errors=errors,
        ) from exc


@router.post(PATH + "/terms")
def set_terms(
    request: Request,
    notice_window_days: Annotated[int, Form()],
    certificate_term_days: Annotated[int, Form()],
) -> Response:
    def action(runtime: LedgerRuntime, user: Principal) -> Operation:
        body = _terms_in(notice_window_days, certificate_term_days)
        return registrar_terms.set_terms(runtime, user, user.org_id, body)

    return act(request, TEMPLATE, _admin_ctx, action, PATH)


@router.post(PATH + "/orgs/{org_id}/activation")
def set_activation(request: Request, org_id: str,
                   active: Annotated[str, Form()] = "no") -> Response:  # fmt: skip
    def action(runtime: LedgerRuntime, user: Principal) -> Operation:
        body = org_activation.ActivationIn(active=active == "yes")
        return org_activation.set_org_active(runtime, user, org_id, body)

    return act(request, TEMPLATE, _admin_ctx, action, PATH)


@router.post(PATH + "/keys/compromise")
def mark_key_compromised(
    request: Request,
    account: Annotated[str, Form()],
    since: Annotated[str, Form()] = "",
) -> Response:
    """An organisation's admin marks one of its own signing keys compromised (as
    ``POST /v1/keys/{account}/compromise``); ``since`` in Beijing time, empty for now."""

    def action(runtime: LedgerRuntime, user: Principal) -> Operation:
        when = beijing_time(since, "since") if since.strip() else None
        body = org_service.CompromiseIn(since=when)
        return org_service.mark_key_compromised(runtime, user, address_of(account, "account"),
                                                body)  # fmt: skip

    return act(request, TEMPLATE, _admin_ctx, action, PATH)
