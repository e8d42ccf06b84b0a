"""Verification by upload, for anyone (no key): the certificate PDF, a photo or scan of its
QR code, the signed JSON file, or the QR's text; the plain answer first, then the verdict
with every check. The body limit is :data:`api.limits.ROUTE_BODY_LIMITS`'s for this route."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from starlette.concurrency import run_in_threadpool

from api.deps import RuntimeDep
from chain.errors import ValidationFailed
from chain.service import verification as service
from chain.service.common import BYTES32_PATTERN

router = APIRouter(tags=["certificates"])

UPLOAD_RESPONSES: dict[int | str, dict[str, str]] = {
    413: {"description": "too-large: the body is over the route's limit (8 MiB)"},
    422: {"description": "validation-failed: not a PDF, an image or a certificate text, or "
          "no certificate in it (errors[].type: unsupported_media, no_certificate, "
          "not_a_certificate)"},
}  # fmt: skip


@router.post(
    "/v1/verify/upload", response_model=service.VerificationPublic, responses=UPLOAD_RESPONSES,
    summary="Verify a certificate PDF, a picture of its QR, its JSON file or the QR's text",
)  # fmt: skip
async def verify_upload(
    runtime: RuntimeDep,
    file: Annotated[UploadFile | None, File(description="PDF, PNG/JPEG image or JSON")] = None,
    text: Annotated[str | None, Form(description="the QR's text or the JSON document")] = None,
    by_org_id: Annotated[
        str | None, Form(pattern=BYTES32_PATTERN, description="it must recognise the certificate")
    ] = None,
) -> service.VerificationPublic:
    if file is not None and file.filename:
        data = await file.read()
    elif text:
        data = text.encode("utf-8")
    else:
        raise ValidationFailed(
            "send the certificate as a file (PDF, image, JSON) or as text",
            errors=[{"loc": ["body", "file"], "msg": "missing", "type": "missing"}],
        )
    return await run_in_threadpool(service.verify_upload, runtime, data, by_org_id)
