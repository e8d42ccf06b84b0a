"""The console's doors: static files, login and logout, the home redirect to the
caller's workbench, and the page that follows one operation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from api.auth import check_api_key
from api.console import gates, i18n, lists, session
from api.console.pages.rendering import (
    CONSOLE_DIR,
    GOVERNANCE,
    HOME_BY_KIND,
    login_redirect,
    render,
    runtime_of,
)
from chain.errors import NotFound
from chain.throttle import TooManyAttempts
from chain.txpipe import MINED, TERMINAL

router = APIRouter(include_in_schema=False)
STATIC = {"console.css": "text/css", "console.js": "text/javascript",
          "verify.js": "text/javascript"}  # fmt: skip


@router.get("/console/static/{name}")
def static(name: str) -> Response:
    if name not in STATIC:
        return Response(status_code=404)
    return FileResponse(CONSOLE_DIR / "static" / name, media_type=STATIC[name])


@router.get("/console/login")
def login_page(request: Request) -> Response:
    lang = i18n.lang_of(request)
    notice = i18n.t(lang, "logged_out") if request.query_params.get("out") else None
    return render(request, "login.html", lang, None, notice=notice)


@router.post("/console/login")
def login(request: Request, api_key: Annotated[str, Form()] = "") -> Response:
    runtime = runtime_of(request)
    lang = i18n.lang_of(request)
    try:
        principal = check_api_key(request, api_key.strip())
    except TooManyAttempts as exc:
        page = render(request, "login.html", lang, None, 429, error=i18n.error_sentence(lang, exc))
        page.headers["Retry-After"] = str(exc.retry_after)
        return page
    if principal is None:
        return render(request, "login.html", lang, None, 401, error=i18n.t(lang, "login_failed"))
    response = RedirectResponse("/console", status_code=303)
    session.issue(runtime, principal, response, secure=request.url.scheme == "https")
    return response


@router.post("/console/logout")
def logout(request: Request) -> Response:
    response = RedirectResponse("/console/login?out=1", status_code=303)
    session.end(runtime_of(request), request, response)
    return response


@router.get("/console")
def home(request: Request) -> Response:
    runtime = runtime_of(request)
    user = session.principal_of(runtime, request)
    if user is None:
        return login_redirect()
    target = HOME_BY_KIND.get(user.org_kind)
    if target is not None:
        suffix = f"?lang={request.query_params['lang']}" if "lang" in request.query_params else ""
        return RedirectResponse(target + suffix, status_code=303)
    lang = i18n.lang_of(request)
    pages = {kind: path for kind, path in HOME_BY_KIND.items() if gates.opens(user, path)}
    if gates.opens(user, GOVERNANCE):
        pages["governance"] = GOVERNANCE
    return render(request, "home.html", lang, user, pages=pages)


@router.get("/console/operations/{op_id}")
def operation_page(request: Request, op_id: str, next: str = "/console") -> Response:
    runtime = runtime_of(request)
    lang = i18n.lang_of(request)
    user = session.principal_of(runtime, request)
    if user is None:
        return login_redirect()
    op = runtime.txpipe.find(op_id)
    if op is None or not (user.is_consortium_admin or op.org_id == user.org_id):
        missing = i18n.error_sentence(lang, NotFound(f"no operation {op_id}"))
        return render(request, "operation.html", lang, user, 404, op=None, next=next,
                      error=missing)  # fmt: skip
    if not next.startswith("/console") or "//" in next:
        next = "/console"
    failed = None
    if op.state in TERMINAL and op.state != MINED:
        failed = i18n.operation_error_sentence(lang, op.error_code, op.error_detail)
    indexed = lists.indexed_block(request) if op.state == MINED else None
    indexing = None
    if indexed is not None and op.block_number is not None and indexed < op.block_number:
        indexing = i18n.t(lang, "op_indexing", indexed=indexed, block=op.block_number)
    return render(request, "operation.html", lang, user, op=op, next=next, failed=failed,
                  pending=op.state not in TERMINAL, mined=op.state == MINED,
                  indexing=indexing)  # fmt: skip
