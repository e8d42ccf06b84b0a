"""What every console page shares: templates, rendering in the page's language, the
login redirect, and the two page shapes (a page built from a context, a form that runs a
write and follows its operation)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from web3 import Web3

from api.console import gates, i18n, lists, money, session
from api.console.gates import Gate
from api.console.names import Names, short
from api.deps import get_runtime
from chain.accounts import Principal
from chain.errors import LedgerError
from chain.inputs import validation_failed
from chain.runtime import LedgerRuntime
from chain.service import approvals
from chain.service.common import hex32
from chain.txpipe import Operation

CONSOLE_DIR = Path(__file__).resolve().parent.parent
templates = Jinja2Templates(directory=str(CONSOLE_DIR / "templates"))

HOME_BY_KIND = {
    "holder": "/console/holder",
    "registrar": "/console/registrar",
    "finance_dept": "/console/finance",
    "bank": "/console/bank",
    "auditor": "/console/auditor",
    "competent_dept": "/console/review",
    "data_administration": "/console/review",
    "operator": "/console/operator",
    "merchant": "/console/merchant",
    "exchange": "/console/exchange",
}
GOVERNANCE = "/console/governance"
#: Rows a workbench list shows before linking to the full, paged list.
PAGE_ROWS = 50
Page = Callable[[LedgerRuntime, Principal, str, Request], dict[str, Any]]


def ref_hash(text: str) -> str:
    """A 32-byte commitment of a report reference typed into a form (0x hex kept as is)."""
    text = text.strip()
    if text.startswith("0x") and len(text) == 66:
        return hex32(text)
    return "0x" + bytes(Web3.keccak(text=text or "console")).hex()


def decision(approve: str, reason: str) -> approvals.DecisionIn:
    """A review or finance decision from the console's form: a refusal commits its reason."""
    yes = approve == "yes"
    return approvals.DecisionIn(approve=yes, reason_hash=None if yes else ref_hash(reason))


def render(request: Request, name: str, lang: str, user: Principal | None,
           status_code: int = 200, **ctx: Any) -> HTMLResponse:  # fmt: skip
    def tr(key: str, **values: Any) -> str:
        return i18n.t(lang, key, **values)

    base = {
        "lang": lang, "t": tr, "user": user, "short": short, "percent": money.percent,
        "plain_yuan": money.plain_yuan, "plain_percent": money.plain_percent,
        "yuan": lambda fen: money.yuan(fen, lang), "date": lambda ts: money.beijing(ts, lang),
        "names": Names(get_runtime(request)),
        "status_name": lambda s: i18n.status_name(lang, s),
        "kind_label": lambda k: i18n.kind_label(lang, k),
        "revocation_label": lambda code: i18n.revocation_label(lang, code),
        "home": HOME_BY_KIND.get(user.org_kind, "/console") if user else "/console",
        "path": request.url.path, "error": None, "notice": None,
        "writable": bool(user and user.can_write()), "page_rows": PAGE_ROWS,
        "governance_nav": bool(user and gates.opens(user, GOVERNANCE)),
    }  # fmt: skip
    base.update(ctx)
    response = templates.TemplateResponse(request, name, base, status_code=status_code)
    if request.query_params.get("lang") in i18n.LANGS:
        response.set_cookie(i18n.LANG_COOKIE, lang, max_age=365 * 86400, samesite="strict")
    return response


def runtime_of(request: Request) -> LedgerRuntime:
    return get_runtime(request)


def login_redirect() -> RedirectResponse:
    return RedirectResponse("/console/login", status_code=303)


def op_redirect(op: Operation, next_path: str) -> RedirectResponse:
    return RedirectResponse(f"/console/operations/{op.id}?next={next_path}", status_code=303)


def denied(request: Request, lang: str, user: Principal, exc: LedgerError) -> HTMLResponse:
    """A page that cannot be shown (not allowed, not found, the chain away): the sentence
    and the way home, none of its data."""
    return render(request, "denied.html", lang, user, exc.http_status,
                  error=i18n.error_sentence(lang, exc), problem=exc.http_status)  # fmt: skip


def page(request: Request, template: str, build: Page, *, gate: Gate | None = None,
         error: str | None = None, status_code: int = 200) -> Response:  # fmt: skip
    """A page built by ``build`` for a user ``gate`` lets through (403 otherwise)."""
    runtime = runtime_of(request)
    lang = i18n.lang_of(request)
    user = session.principal_of(runtime, request)
    if user is None:
        return login_redirect()
    try:
        if gate is not None:
            gate(user)
    except LedgerError as exc:
        return denied(request, lang, user, exc)
    try:
        ctx = build(runtime, user, lang, request)
    except LedgerError as exc:
        return denied(request, lang, user, exc)
    lag = lists.lag_of(request, runtime)
    return render(request, template, lang, user, status_code, error=error, lag=lag, **ctx)


Action = Callable[[LedgerRuntime, Principal], Operation]


def act(request: Request, template: str, build: Page, action: Action, back: str, *,
        gate: Gate | None = None) -> Response:  # fmt: skip
    """Run a write (the service function decides who may, as for the API); on success
    follow its operation, on error show the page (if ``gate`` opens it) with a sentence."""
    runtime = runtime_of(request)
    user = session.principal_of(runtime, request)
    if user is None:
        return login_redirect()
    try:
        try:
            op = action(runtime, user)
        except ValidationError as invalid:  # a form value outside what the use case takes
            raise validation_failed(invalid) from invalid
    except LedgerError as exc:
        lang = i18n.lang_of(request)
        if gate is not None and not _passes(gate, user):
            return denied(request, lang, user, exc)  # the action's answer, not the page's
        return page(request, template, build, gate=gate, error=i18n.error_sentence(lang, exc),
                    status_code=exc.http_status)  # fmt: skip
    return op_redirect(op, back)


def _passes(gate: Gate, user: Principal) -> bool:
    try:
        gate(user)
    except LedgerError:
        return False
    return True


def chain_now(runtime: LedgerRuntime) -> int:
    return int(runtime.w3.eth.get_block("latest")["timestamp"])


def page_number(request: Request, name: str) -> int:
    """The page of list ``name`` asked for in the query (1 when absent or not a number)."""
    text = request.query_params.get(name, "1")
    return max(1, min(int(text), 10**6)) if text.isdigit() else 1
