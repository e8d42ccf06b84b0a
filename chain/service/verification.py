"""Verification for anyone, from whatever they hold: a dropped JSON file, the certificate
PDF, a photo or scan of its QR code, or the QR's text (the compact signed document).

One way in for the API's upload route, the console's verify page and the CLI's reading of
files: :func:`verify_upload` finds the document (:mod:`chain.scan`), verifies it against
this gateway's chain (:mod:`chain.verifier`) and answers with the plain verdict first.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from chain import documents, scan
from chain.documents import DocumentError
from chain.errors import ValidationFailed
from chain.runtime import LedgerRuntime
from chain.service import certificates
from chain.verdict import Reason, Verdict, plain_answer


class VerificationPublic(BaseModel):
    """A verification: the plain answer, where the document was found, and the verdict."""

    answer: str = Field(
        description="valid | revoked | expired | superseded | not_authentic | invalid "
        "(authentic and in force, but another check failed)"
    )
    source: str = Field(
        description="where the document was found: json, compact (the QR's text), "
        "pdf-attachment, pdf-keywords, pdf-qr (the QR on the PDF's page) or qr-image"
    )
    certificate_id: str | None = None
    verdict: Verdict
    document: dict[str, Any] | None = Field(
        default=None, description="the signed document found (data-asset-certificate/v1)"
    )


def verify_parsed(
    runtime: LedgerRuntime, document: Any, by_org_id: str | None = None
) -> Verdict:
    """Verify a document (a parsed one, its JSON text or object) against this chain's
    registry, through the one verification use case (``certificates.verify_document``)."""
    try:
        parsed = documents.parse_document(document)
    except DocumentError as exc:
        return Verdict(valid=False, status="Unknown",
                       reasons=[Reason(code="format", ok=False, detail=str(exc))])  # fmt: skip
    body = certificates.VerifyIn(document=parsed.to_json_dict(), by_org_id=by_org_id)
    return certificates.verify_document(runtime, body)


def _refused(exc: DocumentError, kind: str) -> ValidationFailed:
    return ValidationFailed(
        str(exc), errors=[{"loc": ["body", "file"], "msg": str(exc), "type": kind}]
    )


def verify_upload(
    runtime: LedgerRuntime, data: bytes, by_org_id: str | None = None
) -> VerificationPublic:
    """Find the certificate in ``data`` (PDF, image or text) and verify it.

    A JSON object is verified whatever it holds (a malformed one reads "not authentic");
    bytes of no supported kind, a PDF or picture without a certificate, or text in no
    certificate form are refused with ``validation-failed`` (422), the error's ``type``
    saying which: ``unsupported_media``, ``no_certificate`` or ``not_a_certificate``.
    """
    if not data.strip():
        raise ValidationFailed(
            "no certificate: the upload is empty",
            errors=[{"loc": ["body"], "msg": "empty", "type": "missing"}],
        )
    try:
        kind = scan.kind_of(data)
        text = data.decode("utf-8").strip().lstrip("\ufeff") if kind == "text" else ""
        if text.startswith("{"):
            verdict = verify_parsed(runtime, text, by_org_id)
            return _public(verdict, "json", None)
        found = scan.read_document(data)
    except scan.UnsupportedUpload as exc:
        raise _refused(exc, "unsupported_media") from exc
    except scan.NothingFound as exc:
        raise _refused(exc, "no_certificate") from exc
    except DocumentError as exc:
        raise _refused(exc, "not_a_certificate") from exc
    verdict = verify_parsed(runtime, found.document, by_org_id)
    return _public(verdict, found.source, found.document.to_json_dict())


def verify_text(
    runtime: LedgerRuntime, text: str, by_org_id: str | None = None
) -> VerificationPublic:
    """Verify what a QR or a form holds: the QR's link, ``ledger:…``, base64url or JSON."""
    return verify_upload(runtime, text.encode("utf-8"), by_org_id)


def _public(verdict: Verdict, source: str, document: dict[str, Any] | None) -> VerificationPublic:
    return VerificationPublic(
        answer=plain_answer(verdict), source=source, certificate_id=verdict.certificate_id,
        verdict=verdict, document=document,
    )  # fmt: skip

