"""Console pages: login/logout, a workbench per organisation kind, operations and the
public verify page. Every action calls the service layer; errors become sentences."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from web3 import Web3

from api.console import i18n, lists, session
from api.deps import get_runtime
from chain import documents
from chain.accounts import Principal
from chain.errors import LedgerError, NotFound, ValidationFailed
from chain.revocation import ManualRevocationReason
from chain.revocation import manual_choices as manual_revocation_choices
from chain.runtime import LedgerRuntime
from chain.service import approvals, assets, certificates, financing, revenue
from chain.service.common import ASSET_STATUSES, ZERO32, chain_asset, hex32
from chain.txpipe import MINED, TERMINAL, Operation

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
router = APIRouter(include_in_schema=False)

HOME_BY_KIND = {
    "holder": "/console/holder",
    "registrar": "/console/registrar",
    "finance_dept": "/console/finance",
    "bank": "/console/bank",
    "auditor": "/console/auditor",
    "competent_dept": "/console/review",
    "data_administration": "/console/review",
}
ASSET_ID = re.compile(r"0x[0-9a-f]{64}")
STATIC = {"console.css": "text/css", "console.js": "text/javascript"}
Page = Callable[[LedgerRuntime, Principal, str, Request], dict[str, Any]]


# -- helpers -----------------------------------------------------------------------------


def _yuan(fen: Any) -> str:
    return documents.format_yuan(int(fen or 0))


def _date(ts: Any) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(int(ts or 0))) + " UTC" if ts else "-"


def _short(value: Any) -> str:
    text = str(value or "")
    return text if len(text) <= 14 else f"{text[:8]}…{text[-4:]}"


def _ref_hash(text: str) -> str:
    """A 32-byte commitment of a report reference typed into a form (0x hex kept as is)."""
    text = text.strip()
    if text.startswith("0x") and len(text) == 66:
        return hex32(text)
    return "0x" + bytes(Web3.keccak(text=text or "console")).hex()


def render(request: Request, name: str, lang: str, user: Principal | None,
           status_code: int = 200, **ctx: Any) -> HTMLResponse:  # fmt: skip
    def tr(key: str, **values: Any) -> str:
        return i18n.t(lang, key, **values)

    base = {
        "lang": lang, "t": tr, "user": user, "yuan": _yuan, "date": _date, "short": _short,
        "status_name": lambda s: i18n.status_name(lang, s),
        "kind_label": lambda k: i18n.kind_label(lang, k),
        "revocation_label": lambda code: i18n.revocation_label(lang, code),
        "home": HOME_BY_KIND.get(user.org_kind, "/console") if user else "/console",
        "path": request.url.path, "error": None, "notice": None,
    }  # fmt: skip
    base.update(ctx)
    response = templates.TemplateResponse(request, name, base, status_code=status_code)
    if request.query_params.get("lang") in i18n.LANGS:
        response.set_cookie(i18n.LANG_COOKIE, lang, max_age=365 * 86400, samesite="strict")
    return response


def _runtime(request: Request) -> LedgerRuntime:
    return get_runtime(request)


def _login_redirect() -> RedirectResponse:
    return RedirectResponse("/console/login", status_code=303)


def _op_redirect(op: Operation, next_path: str) -> RedirectResponse:
    return RedirectResponse(f"/console/operations/{op.id}?next={next_path}", status_code=303)


def _page(request: Request, template: str, build: Page, *, error: str | None = None,
          status_code: int = 200) -> Response:  # fmt: skip
    runtime = _runtime(request)
    lang = i18n.lang_of(request)
    user = session.principal_of(runtime, request)
    if user is None:
        return _login_redirect()
    try:
        ctx = build(runtime, user, lang, request)
    except LedgerError as exc:
        ctx, error, status_code = {}, i18n.error_sentence(lang, exc), exc.http_status
    lag = lists.lag_of(request, runtime)
    return render(request, template, lang, user, status_code, error=error, lag=lag, **ctx)


Action = Callable[[LedgerRuntime, Principal], Operation]


def _act(request: Request, template: str, build: Page, action: Action, back: str) -> Response:
    """Run a write; on success follow its operation, on error show the page with a sentence."""
    runtime = _runtime(request)
    user = session.principal_of(runtime, request)
    if user is None:
        return _login_redirect()
    try:
        op = action(runtime, user)
    except LedgerError as exc:
        lang = i18n.lang_of(request)
        return _page(request, template, build, error=i18n.error_sentence(lang, exc),
                     status_code=exc.http_status)  # fmt: skip
    return _op_redirect(op, back)


def _chain_now(runtime: LedgerRuntime) -> int:
    return int(runtime.w3.eth.get_block("latest")["timestamp"])


# -- static, login, home -----------------------------------------------------------------


@router.get("/console/static/{name}")
def static(name: str) -> Response:
    if name not in STATIC:
        return Response(status_code=404)
    return FileResponse(HERE / "static" / name, media_type=STATIC[name])


@router.get("/console/login")
def login_page(request: Request) -> Response:
    lang = i18n.lang_of(request)
    notice = i18n.t(lang, "logged_out") if request.query_params.get("out") else None
    return render(request, "login.html", lang, None, notice=notice)


@router.post("/console/login")
def login(request: Request, api_key: Annotated[str, Form()] = "") -> Response:
    runtime = _runtime(request)
    lang = i18n.lang_of(request)
    principal = runtime.accounts.authenticate(api_key.strip())
    if principal is None:
        return render(request, "login.html", lang, None, 401, error=i18n.t(lang, "login_failed"))
    response = RedirectResponse("/console", status_code=303)
    session.issue(runtime, principal, response, secure=request.url.scheme == "https")
    return response


@router.post("/console/logout")
def logout(request: Request) -> Response:
    response = RedirectResponse("/console/login?out=1", status_code=303)
    session.end(_runtime(request), request, response)
    return response


@router.get("/console")
def home(request: Request) -> Response:
    runtime = _runtime(request)
    user = session.principal_of(runtime, request)
    if user is None:
        return _login_redirect()
    target = HOME_BY_KIND.get(user.org_kind)
    if target is not None:
        suffix = f"?lang={request.query_params['lang']}" if "lang" in request.query_params else ""
        return RedirectResponse(target + suffix, status_code=303)
    lang = i18n.lang_of(request)
    return render(request, "home.html", lang, user, pages=HOME_BY_KIND)


# -- operations ----------------------------------------------------------------------------


@router.get("/console/operations/{op_id}")
def operation_page(request: Request, op_id: str, next: str = "/console") -> Response:
    runtime = _runtime(request)
    lang = i18n.lang_of(request)
    user = session.principal_of(runtime, request)
    if user is None:
        return _login_redirect()
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


# -- holder --------------------------------------------------------------------------------


def _holder_ctx(runtime: LedgerRuntime, user: Principal, lang: str,
                request: Request) -> dict[str, Any]:  # fmt: skip
    with lists.reading(request) as store:
        mine = lists.assets(store, holder=user.org_id)
        apps = lists.applications(store, holder=user.org_id)
    operators = [o for o in runtime.accounts.list_orgs()
                 if o.kind == "operator" and o.city_code == user.city_code]  # fmt: skip
    return {"assets": mine, "applications": apps, "operators": operators}


@router.get("/console/holder")
def holder_page(request: Request) -> Response:
    return _page(request, "holder.html", _holder_ctx)


@router.post("/console/holder/assets")
def holder_register(
    request: Request,
    catalogue_code: Annotated[str, Form()],
    domain_code: Annotated[int, Form()],
    title: Annotated[str, Form()] = "",
    categories: Annotated[int, Form()] = 0,
    items: Annotated[int, Form()] = 0,
) -> Response:
    def action(runtime: LedgerRuntime, user: Principal) -> Operation:
        body = assets.AssetCreate(
            catalogue_code=catalogue_code, domain_code=domain_code,
            metadata={"title": title, "categories": categories, "items": items},
        )  # fmt: skip
        return assets.register_asset(runtime, user, body).operation

    return _act(request, "holder.html", _holder_ctx, action, "/console/holder")


@router.post("/console/holder/applications")
def holder_apply(
    request: Request,
    asset_id: Annotated[str, Form()],
    operator_org_id: Annotated[str, Form()],
    purpose: Annotated[str, Form()] = "",
    term_months: Annotated[int, Form()] = 12,
) -> Response:
    def action(runtime: LedgerRuntime, user: Principal) -> Operation:
        body = approvals.ApplicationCreate(
            operator_org_id=operator_org_id,
            scope={"purpose": purpose, "term_months": term_months},
        )
        return approvals.apply_for_paid_use(runtime, user, asset_id, body).operation

    return _act(request, "holder.html", _holder_ctx, action, "/console/holder")


# -- registrar -----------------------------------------------------------------------------


def _registrar_ctx(runtime: LedgerRuntime, user: Principal, lang: str,
                   request: Request) -> dict[str, Any]:  # fmt: skip
    with lists.reading(request) as store:
        city = lists.assets(store, city=user.city_code)
        issued = lists.certificates(store, issuer=user.org_id)
    now = _chain_now(runtime)
    queue = {
        "to_value": [a for a in city if a.status == "Registered" and not a.value_fen],
        "to_review": [a for a in city if a.status == "Registered" and a.compliance == "None"],
        "in_notice": [a for a in city if a.status == "InNotice"],
    }
    agreements = certificates.list_agreements(runtime, user)
    return {"queue": queue, "now": now, "agreements": agreements, "issued": issued,
            "revocation_choices": manual_revocation_choices()}  # fmt: skip


@router.get("/console/registrar")
def registrar_page(request: Request) -> Response:
    return _page(request, "registrar.html", _registrar_ctx)


@router.post("/console/registrar/assets/{asset_id}/valuation")
def registrar_value(
    request: Request,
    asset_id: str,
    value_yuan: Annotated[float, Form()],
    method_code: Annotated[int, Form()] = 1,
    report_ref: Annotated[str, Form()] = "",
) -> Response:
    def action(runtime: LedgerRuntime, user: Principal) -> Operation:
        body = assets.ValuationIn(value_fen=round(value_yuan * 100), method_code=method_code,
                                  report_hash=_ref_hash(report_ref))  # fmt: skip
        return assets.record_valuation(runtime, user, asset_id, body)

    return _act(request, "registrar.html", _registrar_ctx, action, "/console/registrar")


@router.post("/console/registrar/assets/{asset_id}/compliance")
def registrar_review(
    request: Request,
    asset_id: str,
    passed: Annotated[str, Form()] = "yes",
    report_ref: Annotated[str, Form()] = "",
) -> Response:
    def action(runtime: LedgerRuntime, user: Principal) -> Operation:
        body = assets.ComplianceIn(passed=passed == "yes", report_hash=_ref_hash(report_ref))
        return assets.record_compliance(runtime, user, asset_id, body)

    return _act(request, "registrar.html", _registrar_ctx, action, "/console/registrar")


@router.post("/console/registrar/assets/{asset_id}/certificate")
def registrar_certify(request: Request, asset_id: str) -> Response:
    def action(runtime: LedgerRuntime, user: Principal) -> Operation:
        return certificates.issue_certificate(runtime, user, asset_id).operation

    return _act(request, "registrar.html", _registrar_ctx, action, "/console/registrar")


@router.post("/console/registrar/certificates/{certificate_id}/revocation")
def registrar_revoke(request: Request, certificate_id: str,
                     reason_code: Annotated[int, Form()] = 0) -> Response:  # fmt: skip
    def action(runtime: LedgerRuntime, user: Principal) -> Operation:
        if reason_code not in set(ManualRevocationReason):
            error = {"loc": ["body", "reason_code"], "msg": "not in the catalogue",
                     "type": "enum"}  # fmt: skip
            raise ValidationFailed(f"choose a revocation reason from the list, not {reason_code}",
                                   errors=[error])  # fmt: skip
        body = certificates.RevocationIn(reason_code=ManualRevocationReason(reason_code))
        return certificates.revoke_certificate(runtime, user, certificate_id, body)

    return _act(request, "registrar.html", _registrar_ctx, action, "/console/registrar")


@router.post("/console/registrar/recognitions")
def registrar_recognise(request: Request, certificate_id: Annotated[str, Form()]) -> Response:
    def action(runtime: LedgerRuntime, user: Principal) -> Operation:
        return certificates.recognise(runtime, user, certificate_id.strip())

    return _act(request, "registrar.html", _registrar_ctx, action, "/console/registrar")


@router.post("/console/registrar/agreements")
def registrar_propose(request: Request, partner_org_id: Annotated[str, Form()]) -> Response:
    def action(runtime: LedgerRuntime, user: Principal) -> Operation:
        body = certificates.AgreementIn(partner_org_id=partner_org_id.strip())
        return certificates.propose_agreement(runtime, user, body).operation

    return _act(request, "registrar.html", _registrar_ctx, action, "/console/registrar")


@router.post("/console/registrar/agreements/{agreement_id}/signature")
def registrar_sign(request: Request, agreement_id: str) -> Response:
    def action(runtime: LedgerRuntime, user: Principal) -> Operation:
        return certificates.accept_agreement(runtime, user, agreement_id)

    return _act(request, "registrar.html", _registrar_ctx, action, "/console/registrar")


@router.post("/console/registrar/agreements/{agreement_id}/withdrawal")
def registrar_withdraw(request: Request, agreement_id: str) -> Response:
    def action(runtime: LedgerRuntime, user: Principal) -> Operation:
        return certificates.withdraw_agreement(runtime, user, agreement_id)

    return _act(request, "registrar.html", _registrar_ctx, action, "/console/registrar")


# -- finance -------------------------------------------------------------------------------


def _finance_ctx(runtime: LedgerRuntime, user: Principal, lang: str,
                 request: Request) -> dict[str, Any]:  # fmt: skip
    rows = []
    with lists.reading(request) as store:
        city = lists.assets(store, city=user.city_code)
        awaiting = lists.applications(store, city=user.city_code, status="applied")
        for asset in city:
            schedules = lists.schedules(store, asset.asset_id)
            payments = lists.payments(store, asset.asset_id)
            rows.append({"asset": asset, "schedule": schedules[-1] if schedules else None,
                         "versions": len(schedules), "payments": payments,
                         "outstanding": [p for p in payments if not p.remitted]})  # fmt: skip
    return {"awaiting": awaiting, "rows": rows}


@router.get("/console/finance")
def finance_page(request: Request) -> Response:
    return _page(request, "finance.html", _finance_ctx)


def _ints(text: str) -> list[int]:
    return [int(part) for part in text.replace("，", ",").split(",") if part.strip()]


@router.post("/console/finance/assets/{asset_id}/schedule")
def finance_schedule(
    request: Request,
    asset_id: str,
    lower_bounds: Annotated[str, Form()],
    operator_bps: Annotated[str, Form()],
) -> Response:
    def action(runtime: LedgerRuntime, user: Principal) -> Operation:
        try:
            bounds, bps = _ints(lower_bounds), _ints(operator_bps)
        except ValueError as exc:
            from chain.errors import ValidationFailed

            raise ValidationFailed("bounds and shares are whole numbers") from exc
        return revenue.set_schedule(runtime, user, asset_id, bounds, bps)

    return _act(request, "finance.html", _finance_ctx, action, "/console/finance")


@router.post("/console/finance/applications/{application_id}/approval")
def finance_decide(
    request: Request, application_id: str, approve: Annotated[str, Form()] = "yes",
    reason: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    def action(runtime: LedgerRuntime, user: Principal) -> Operation:
        yes = approve == "yes"
        body = approvals.DecisionIn(approve=yes, reason_hash=None if yes else _ref_hash(reason))
        return approvals.decide_paid_use(runtime, user, application_id, body)

    return _act(request, "finance.html", _finance_ctx, action, "/console/finance")


@router.post("/console/finance/payments/{payment_id}/remittance")
def finance_remit(request: Request, payment_id: str,
                  remittance_ref: Annotated[str, Form()]) -> Response:  # fmt: skip
    def action(runtime: LedgerRuntime, user: Principal) -> Operation:
        return revenue.confirm_remittance(runtime, user, payment_id, remittance_ref)

    return _act(request, "finance.html", _finance_ctx, action, "/console/finance")


# -- bank ----------------------------------------------------------------------------------


def _bank_ctx(runtime: LedgerRuntime, user: Principal, lang: str,
              request: Request) -> dict[str, Any]:  # fmt: skip
    with lists.reading(request) as store:
        return {"pledges": lists.financings(store, counterparty=user.org_id)}


@router.get("/console/bank")
def bank_page(request: Request) -> Response:
    return _page(request, "bank.html", _bank_ctx)


@router.post("/console/bank/pledges/{financing_id}/{step}")
def bank_act(request: Request, financing_id: str, step: str) -> Response:
    def action(runtime: LedgerRuntime, user: Principal) -> Operation:
        if step == "confirm":
            return financing.confirm_pledge(runtime, user, financing_id)
        if step == "release":
            return financing.release_pledge(runtime, user, financing_id)
        raise NotFound(f"no pledge step {step}")

    return _act(request, "bank.html", _bank_ctx, action, "/console/bank")


# -- competent department and data administration ---------------------------------------


def _review_ctx(runtime: LedgerRuntime, user: Principal, lang: str,
                request: Request) -> dict[str, Any]:  # fmt: skip
    """Paid-use applications of the city's assets: those awaiting this department's review,
    and the others with their progress."""
    competent = user.org_kind == "competent_dept"
    with lists.reading(request) as store:
        apps = lists.applications(store, city=user.city_code)
    mine = [a for a in apps if a.status == "Applied"
            and not (a.competent_approved if competent else a.data_admin_approved)]  # fmt: skip
    waiting = {a.application_id for a in mine}
    others = [a for a in apps if a.application_id not in waiting]
    return {"awaiting": mine, "others": others, "competent": competent}


@router.get("/console/review")
def review_page(request: Request) -> Response:
    return _page(request, "review.html", _review_ctx)


@router.post("/console/review/applications/{application_id}/review")
def review_decide(
    request: Request, application_id: str, approve: Annotated[str, Form()] = "yes",
    reason: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    def action(runtime: LedgerRuntime, user: Principal) -> Operation:
        yes = approve == "yes"
        body = approvals.DecisionIn(approve=yes, reason_hash=None if yes else _ref_hash(reason))
        return approvals.review_paid_use(runtime, user, application_id, body)

    return _act(request, "review.html", _review_ctx, action, "/console/review")


# -- auditor -------------------------------------------------------------------------------


def _auditor_ctx(runtime: LedgerRuntime, user: Principal, lang: str,
                 request: Request) -> dict[str, Any]:  # fmt: skip
    query = (request.query_params.get("q") or "").strip()[:66]
    timeline: list[lists.EventItem] = []
    selected = onchain = None
    with lists.reading(request) as store:
        found = lists.assets(store, text=query or None, limit=50)
        exact = lists.asset(store, query) if ASSET_ID.fullmatch(query.lower()) else None
        if exact is not None or (query and len(found) == 1):
            selected = exact or found[0]
            timeline = lists.history(store, selected.asset_id)
        report = lists.consistency(store, runtime)
    if selected is not None:
        onchain = _onchain(runtime, selected.asset_id)
    elif ASSET_ID.fullmatch(query.lower()):
        onchain = _onchain(runtime, query.lower())  # mined, not indexed yet: the chain says
    return {"q": query, "found": found, "selected": selected, "timeline": timeline,
            "onchain": onchain, "report": report,
            "event_label": lambda name: i18n.event_label(lang, name)}  # fmt: skip


def _onchain(runtime: LedgerRuntime, asset_id: str) -> dict[str, Any] | None:
    """The asset's record read from the chain now (the proof beside the store's history)."""
    try:
        record = chain_asset(runtime, asset_id)
    except NotFound:
        return None
    status = int(record.get("status", 0))
    return {"status": ASSET_STATUSES[status] if status < len(ASSET_STATUSES) else str(status),
            "value_fen": int(record.get("valueFen", 0)),
            "certificate": str(record.get("currentCertificateId", ZERO32))}  # fmt: skip


@router.get("/console/auditor")
def auditor_page(request: Request) -> Response:
    return _page(request, "auditor.html", _auditor_ctx)


# -- public verify ---------------------------------------------------------------------------


def _verdict_ctx(runtime: LedgerRuntime, lang: str, raw: Any) -> dict[str, Any]:
    body = certificates.VerifyIn(document=raw if isinstance(raw, dict) else {"raw": raw})
    verdict = certificates.verify_document(runtime, body)
    cid = verdict.certificate_id or "?"
    head = i18n.t(lang, "verdict_head_valid" if verdict.valid else "verdict_head_invalid",
                  cid=cid, status=i18n.status_name(lang, verdict.status))  # fmt: skip
    reasons = [
        {"ok": r.ok, "code": r.code, "sentence": i18n.reason_sentence(lang, r.code, r.ok),
         "detail": r.detail, "field": r.field}
        for r in verdict.reasons
    ]  # fmt: skip
    revoked_why = (i18n.revocation_label(lang, verdict.revocation_reason)
                   if verdict.revocation_reason is not None else None)  # fmt: skip
    recognised = (i18n.t(lang, "recognised_by", names=", ".join(verdict.recognised_by))
                  if verdict.recognised_by else None)  # fmt: skip
    return {"verdict": verdict, "head": head, "reasons": reasons, "recognised": recognised,
            "revoked_why": revoked_why}  # fmt: skip


@router.get("/verify")
def verify_page(request: Request, cert: str | None = None) -> Response:
    runtime = _runtime(request)
    lang = i18n.lang_of(request)
    user = session.principal_of(runtime, request)
    if not cert:
        return render(request, "verify.html", lang, user, document="")
    try:
        base = str(request.base_url).rstrip("/")
        doc = certificates.certificate_document(runtime, cert, base)
        text = doc.to_canonical_json().decode("utf-8")
        ctx = _verdict_ctx(runtime, lang, json.loads(text))
    except LedgerError as exc:
        return render(request, "verify.html", lang, user, exc.http_status, document="",
                      error=i18n.error_sentence(lang, exc))  # fmt: skip
    return render(request, "verify.html", lang, user, document=text, **ctx)


@router.post("/verify")
async def verify_submit(
    request: Request,
    document: Annotated[str, Form()] = "",
    upload: Annotated[UploadFile | None, File()] = None,
) -> Response:
    from starlette.concurrency import run_in_threadpool

    runtime = _runtime(request)
    lang = i18n.lang_of(request)
    user = session.principal_of(runtime, request)
    text = document
    if upload is not None and upload.filename:
        text = (await upload.read(256 * 1024)).decode("utf-8", errors="replace")
    try:
        raw: Any = json.loads(text)
    except ValueError:
        raw = text
    try:
        ctx = await run_in_threadpool(_verdict_ctx, runtime, lang, raw)
    except LedgerError as exc:
        return render(request, "verify.html", lang, user, exc.http_status, document=text,
                      error=i18n.error_sentence(lang, exc))  # fmt: skip
    return render(request, "verify.html", lang, user, document=text, **ctx)
