"""Certificate writes (revocation, renewal, amendment, recognition), the chain status view,
the signed portable document, its PDF, and verification of a document by anyone."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.auth import CurrentUser, WriterUser
from api.deps import RuntimeDep
from api.head_prefetch import arrived
from api.routes.registry_common import CREATED_DESCRIPTION, CertId, answer_created, perform
from api.writes import WRITE_RESPONSES, WriteOpts, answer
from chain.runtime import LedgerRuntime
from chain.service import certificates as service
from chain.service import chain_reads
from chain.service.common import BYTES32_PATTERN
from chain.verifier import Verdict

router = APIRouter(tags=["certificates"])


def _json(model: BaseModel) -> Response:
    """The answer serialised once by pydantic (the route's ``response_model`` documents it;
    FastAPI does not validate and serialise the model a second time)."""
    return Response(model.model_dump_json(), media_type="application/json")


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


@router.post(
    "/v1/certificates/{cert_id}/revocation", status_code=202, responses=WRITE_RESPONSES,
    summary="Revoke the current certificate (issuing registrar)",
)  # fmt: skip
def revoke(
    cert_id: CertId, body: service.RevocationIn, user: WriterUser, runtime: RuntimeDep,
    write: WriteOpts, request: Request,
) -> JSONResponse:  # fmt: skip
    op = perform(runtime, user, write, request, service.revoke_certificate, cert_id, body=body)
    return answer(runtime, op, write)


@router.post(
    "/v1/certificates/{cert_id}/reissue", status_code=202, responses=WRITE_RESPONSES,
    summary="Re-issue a certificate revoked for registration error (2) or key compromise (6) "
    "(registrar of the asset's city)",
    description="A new certificate (same kind and metadata, new id and term) supersedes the "
    "revoked one, without a new notice period. " + CREATED_DESCRIPTION,
)  # fmt: skip
def reissue(
    cert_id: CertId, user: WriterUser, runtime: RuntimeDep, write: WriteOpts, request: Request
) -> JSONResponse:  # fmt: skip
    created = perform(runtime, user, write, request, service.reissue_certificate, cert_id)
    return answer_created(runtime, created, write, f"/v1/certificates/{created.resource_id}")


@router.post(
    "/v1/certificates/{cert_id}/renewal", status_code=202, responses=WRITE_RESPONSES,
    summary="Renew by one term (registrar of the asset's city)",
)  # fmt: skip
def renew(
    cert_id: CertId, user: WriterUser, runtime: RuntimeDep, write: WriteOpts, request: Request,
    body: service.RenewalIn | None = None,
) -> JSONResponse:  # fmt: skip
    op = perform(runtime, user, write, request, service.renew_certificate, cert_id, body=body)
    return answer(runtime, op, write)


@router.post(
    "/v1/certificates/{cert_id}/amendment", status_code=202, responses=WRITE_RESPONSES,
    summary="Change, correction or deregistration: a new certificate supersedes this one",
    description=CREATED_DESCRIPTION,
)  # fmt: skip
def amend(
    cert_id: CertId, body: service.AmendmentIn, user: WriterUser, runtime: RuntimeDep,
    write: WriteOpts, request: Request,
) -> JSONResponse:  # fmt: skip
    created = perform(runtime, user, write, request, service.amend_certificate, cert_id, body=body)
    return answer_created(runtime, created, write, f"/v1/certificates/{created.resource_id}")


@router.post(
    "/v1/certificates/{cert_id}/recognitions", status_code=202, responses=WRITE_RESPONSES,
    summary="Recognise the certificate (partner registrar or exchange)",
)  # fmt: skip
def recognise(
    cert_id: CertId, user: WriterUser, runtime: RuntimeDep, write: WriteOpts, request: Request
) -> JSONResponse:
    op = perform(runtime, user, write, request, service.recognise, cert_id)
    return answer(runtime, op, write)


@router.delete(
    "/v1/certificates/{cert_id}/recognitions", status_code=202, responses=WRITE_RESPONSES,
    summary="Withdraw the caller's recognition (partner registrar or exchange)",
)  # fmt: skip
def withdraw_recognition(
    cert_id: CertId, user: WriterUser, runtime: RuntimeDep, write: WriteOpts, request: Request
) -> JSONResponse:
    op = perform(runtime, user, write, request, service.withdraw_recognition, cert_id)
    return answer(runtime, op, write)


@router.get(
    "/v1/certificates/{cert_id}/status", response_model=chain_reads.CertificateStatusOut,
    summary="Status from the chain (verify): validity, pledge and recognition by an org",
)  # fmt: skip
async def status(
    cert_id: CertId,
    user: CurrentUser,
    request: Request,
    by: Annotated[
        str | None,
        Query(pattern=BYTES32_PATTERN, description="Recognition by this org (default: caller)"),
    ] = None,
) -> Response:
    """The chain's answer at the head block, built and serialised once per block (the
    route runs on the event loop: the head and the views go to the node without a
    thread)."""
    by_org = by or (user.org_id if user.org_kind != "consortium" else None)
    runtime: LedgerRuntime = request.app.state.runtime  # no dependency to solve for it
    body = await chain_reads.certificate_status_json(runtime, cert_id, by_org, arrived(request))
    return Response(body, media_type="application/json")


@router.get(
    "/v1/certificates/{cert_id}/document",
    summary="The signed EIP-712 certificate document (signed once by the issuing registrar)",
    responses={200: {"description": "data-asset-certificate/v1 JSON"}},
)  # fmt: skip
def document(
    cert_id: CertId, user: CurrentUser, runtime: RuntimeDep, request: Request
) -> dict[str, Any]:
    return service.certificate_document(runtime, cert_id, _base_url(request)).to_json_dict()


@router.get(
    "/v1/certificates/{cert_id}/pdf",
    summary="The printable certificate (PDF, with status at printing and a verification QR)",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)  # fmt: skip
def pdf(cert_id: CertId, user: CurrentUser, runtime: RuntimeDep, request: Request) -> Response:
    data = service.certificate_pdf(runtime, cert_id, _base_url(request))
    return Response(
        content=data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="certificate-{cert_id[2:14]}.pdf"'},
    )


@router.post(
    "/v1/verify", response_model=Verdict,
    summary="Verify a signed certificate document (anyone, no key): verdict with reasons",
)  # fmt: skip
async def verify(body: service.VerifyIn, request: Request) -> Response:
    """The verdict at the head block, kept per block and request body (the same document
    asked again at the same block is answered from memory)."""
    raw = await request.body()  # read and kept by FastAPI to parse ``body``
    runtime: LedgerRuntime = request.app.state.runtime  # no dependency to solve for it
    answer = await chain_reads.verify_document_json(runtime, raw, body, arrived(request))
    return Response(answer, media_type="application/json")
