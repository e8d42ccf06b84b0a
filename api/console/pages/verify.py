"""The public verify page, for anyone: a certificate looked up by its number (or part of
it); its signed document pasted, uploaded or dropped as JSON; the certificate PDF or a
photo of its QR code dropped or uploaded; or the QR scanned with a phone camera, which
opens this page with the signed document in the link's fragment (read by the page's
script and checked like a pasted one). A plain answer first (valid, REVOKED, expired,
superseded, not authentic) with the asset, holder, registrar, value, term and
recognising organisations, and the technical checks folded below."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.console import i18n, lists, records, session, verify_texts
from api.console.names import Names
from api.console.pages.rendering import render, runtime_of
from chain import compact
from chain import store_queries as q
from chain.accounts import Principal
from chain.errors import LedgerError, ValidationFailed
from chain.runtime import LedgerRuntime
from chain.service import certificates, verification
from chain.verdict import Verdict, plain_answer

router = APIRouter(include_in_schema=False)
MIN_DIGITS = 10


def _facts(request: Request, certificate_id: str) -> dict[str, Any] | None:
    """What the ledger records for an authentic certificate (from the indexed store)."""
    with lists.reading(request) as store:
        cert = records.certificate(store, certificate_id)
        asset = lists.asset(store, str(cert["asset_id"])) if cert else None
    if cert is None:
        return None
    return {"cert": cert, "value_fen": asset.value_fen if asset else 0}


def _verdict_ctx(request: Request, lang: str, verdict: Verdict,
                 source: str | None = None) -> dict[str, Any]:  # fmt: skip
    answer = plain_answer(verdict)
    reasons = [
        {"ok": r.ok, "code": r.code, "sentence": i18n.reason_sentence(lang, r.code, r.ok),
         "detail": r.detail, "field": r.field}
        for r in verdict.reasons
    ]  # fmt: skip
    revoked_why = (i18n.revocation_label(lang, verdict.revocation_reason)
                   if verdict.revocation_reason is not None else None)  # fmt: skip
    facts = None
    if answer != "not_authentic" and verdict.certificate_id:
        facts = _facts(request, verdict.certificate_id)
    return {"verdict": verdict, "answer": answer, "reasons": reasons, "facts": facts,
            "failed": len(verdict.failed()), "revoked_why": revoked_why,
            "source": source}  # fmt: skip


def _page(request: Request, lang: str, user: Principal | None, status: int = 200,
          **ctx: Any) -> Response:  # fmt: skip
    """The verify page with its own words (``vt``)."""
    return render(request, "verify.html", lang, user, status, vt=verify_texts.texts(lang), **ctx)


def _matches(request: Request, number: str) -> list[str]:
    """The certificate ids a typed number names: the full id, or those containing it."""
    text = number.strip().lower().replace(" ", "")
    digits = text.removeprefix("0x")
    if len(digits) == 64:
        return ["0x" + digits]
    if len(digits) < MIN_DIGITS or any(c not in "0123456789abcdef" for c in digits):
        raise ValidationFailed(f"a certificate number is 0x and 64 hex digits, not {number!r}")
    with lists.reading(request) as store:
        page = q.list_certificates(store, q=digits, limit=2)
    return [str(item["certificate_id"]) for item in page.items
            if digits in str(item["certificate_id"])]  # fmt: skip


@router.get("/verify")
def verify_page(request: Request, cert: str | None = None, d: str | None = None) -> Response:
    runtime = runtime_of(request)
    lang = i18n.lang_of(request)
    user = session.principal_of(runtime, request)
    if d:  # the compact document as a query parameter (a QR reader that drops fragments)
        return _checked_text(request, runtime, lang, user, f"{compact.SCHEME}{d}")
    if not cert:
        return _page(request, lang, user, document="", number="")
    try:
        found = _matches(request, cert)
        if len(found) != 1:
            key = "no_match" if not found else "many_match"
            return _page(request, lang, user, 404, document="", number=cert,
                         error=i18n.t(lang, key, number=cert.strip()))  # fmt: skip
        cid = found[0]
        base = str(request.base_url).rstrip("/")
        doc = certificates.certificate_document(runtime, cid, base)
        text = doc.to_canonical_json().decode("utf-8")
        verdict = verification.verify_parsed(runtime, json.loads(text))
        ctx = _verdict_ctx(request, lang, verdict)
    except LedgerError as exc:
        return _page(request, lang, user, exc.http_status, document="", number=cert,
                     error=i18n.error_sentence(lang, exc))  # fmt: skip
    return _page(request, lang, user, document=text, number=cid, names=Names(runtime), **ctx)


def _checked_text(request: Request, runtime: LedgerRuntime, lang: str, user: Principal | None,
                  text: str) -> Response:  # fmt: skip
    """Check a pasted or scanned text: JSON as it is, the QR's forms decoded first."""
    try:
        if compact.looks_compact(text):
            result = verification.verify_text(runtime, text)
            ctx = _verdict_ctx(request, lang, result.verdict, result.source)
        else:
            ctx = _verdict_ctx(request, lang, verification.verify_parsed(runtime, text), "json")
    except LedgerError as exc:
        return _page(request, lang, user, exc.http_status, document=text, number="",
                     error=i18n.error_sentence(lang, exc))  # fmt: skip
    return _page(request, lang, user, document=text, number="", names=Names(runtime), **ctx)


@router.post("/verify")
async def verify_submit(
    request: Request,
    document: Annotated[str, Form()] = "",
    upload: Annotated[UploadFile | None, File()] = None,
) -> Response:
    runtime = runtime_of(request)
    lang = i18n.lang_of(request)
    user = session.principal_of(runtime, request)
    if upload is None or not upload.filename:
        return await run_in_threadpool(_checked_text, request, runtime, lang, user, document)
    data = await upload.read()
    try:
        result = await run_in_threadpool(verification.verify_upload, runtime, data)
    except LedgerError as exc:
        return _page(request, lang, user, exc.http_status, document="", number="",
                     error=i18n.error_sentence(lang, exc))  # fmt: skip
    shown = (json.dumps(result.document, ensure_ascii=False, indent=2) if result.document
             else data.decode("utf-8", errors="replace"))  # fmt: skip
    ctx = await run_in_threadpool(_verdict_ctx, request, lang, result.verdict, result.source)
    return _page(request, lang, user, document=shown, number="", names=Names(runtime), **ctx)
