"""The public verify page, for anyone: a certificate looked up by its number (or part of
it), or its signed document pasted, uploaded or dropped; a plain answer first (valid,
REVOKED, expired, superseded, not authentic) with the asset, holder, registrar, value,
term and recognising organisations, and the technical checks folded below."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.console import i18n, lists, records, session, verdicts
from api.console.names import Names
from api.console.pages.rendering import render, runtime_of
from chain import store_queries as q
from chain.errors import LedgerError, ValidationFailed
from chain.runtime import LedgerRuntime
from chain.service import certificates

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


def _verdict_ctx(request: Request, runtime: LedgerRuntime, lang: str,
                 raw: Any) -> dict[str, Any]:  # fmt: skip
    body = certificates.VerifyIn(document=raw if isinstance(raw, dict) else {"raw": raw})
    verdict = certificates.verify_document(runtime, body)
    answer = verdicts.answer(verdict)
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
            "failed": len(verdict.failed()), "revoked_why": revoked_why}  # fmt: skip


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
def verify_page(request: Request, cert: str | None = None) -> Response:
    runtime = runtime_of(request)
    lang = i18n.lang_of(request)
    user = session.principal_of(runtime, request)
    if not cert:
        return render(request, "verify.html", lang, user, document="", number="")
    try:
        found = _matches(request, cert)
        if len(found) != 1:
            key = "no_match" if not found else "many_match"
            return render(request, "verify.html", lang, user, 404, document="", number=cert,
                          error=i18n.t(lang, key, number=cert.strip()))  # fmt: skip
        cid = found[0]
        base = str(request.base_url).rstrip("/")
        doc = certificates.certificate_document(runtime, cid, base)
        text = doc.to_canonical_json().decode("utf-8")
        ctx = _verdict_ctx(request, runtime, lang, json.loads(text))
    except LedgerError as exc:
        return render(request, "verify.html", lang, user, exc.http_status, document="",
                      number=cert, error=i18n.error_sentence(lang, exc))  # fmt: skip
    return render(request, "verify.html", lang, user, document=text, number=cid,
                  names=Names(runtime), **ctx)  # fmt: skip


@router.post("/verify")
async def verify_submit(
    request: Request,
    document: Annotated[str, Form()] = "",
    upload: Annotated[UploadFile | None, File()] = None,
) -> Response:
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
        ctx = await run_in_threadpool(_verdict_ctx, request, runtime, lang, raw)
    except LedgerError as exc:
        return render(request, "verify.html", lang, user, exc.http_status, document=text,
                      number="", error=i18n.error_sentence(lang, exc))  # fmt: skip
    return render(request, "verify.html", lang, user, document=text, number="",
                  names=Names(runtime), **ctx)  # fmt: skip
