"""The public verify page: a certificate document (pasted, uploaded or by id) and the
verdict with its reasons in the page's language."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from api.console import i18n, session
from api.console.pages.rendering import render, runtime_of
from chain.errors import LedgerError
from chain.runtime import LedgerRuntime
from chain.service import certificates

router = APIRouter(include_in_schema=False)


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
    runtime = runtime_of(request)
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

    runtime = runtime_of(request)
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
