"""POST /v1/verify/upload: anyone drops the certificate PDF, a picture of its QR, the JSON
file or the QR's text and gets the plain answer first; the body limit holds (413) and what
is not a certificate is a 422 problem with a stable code."""

from __future__ import annotations

import base64
import io
import json

import pypdfium2
from PIL import Image

from chain import compact
from tests.console.conftest import ConsoleWorld
from tests.verify.conftest import BASE, Printed

ROUTE = "/v1/verify/upload"
MIB = 1024 * 1024


def _qr_photo(pdf: bytes) -> bytes:
    """The printout's lower half as a PNG, as a phone would photograph its QR."""
    document = pypdfium2.PdfDocument(pdf)
    page: Image.Image = document[0].render(scale=150 / 72).to_pil()
    document.close()
    width, height = page.size
    out = io.BytesIO()
    page.crop((0, height // 2, width, height)).save(out, format="PNG")
    return out.getvalue()


def test_the_pdf_the_qr_photo_the_json_file_and_the_qr_text_all_read_valid(
    console: ConsoleWorld, printed: dict[str, Printed]
) -> None:
    cert = printed["valid"]
    client = console.browser()  # no key: verification is for anyone
    uploads = {
        "pdf-attachment": ("certificate.pdf", cert.pdf, "application/pdf"),
        "qr-image": ("qr.png", _qr_photo(cert.pdf), "image/png"),
        "json": ("certificate.json", cert.document.to_canonical_json(), "application/json"),
    }
    for source, upload in uploads.items():
        response = client.post(ROUTE, files={"file": upload})
        assert response.status_code == 200, (source, response.text)
        body = response.json()
        assert (body["answer"], body["source"]) == ("valid", source)
        assert body["certificate_id"] == cert.certificate_id
        assert body["verdict"]["valid"] is True and body["verdict"]["status"] == "Active"
        assert body["verdict"]["signer"] == cert.document.signer
    qr = compact.qr_text(cert.document)
    assert qr.startswith(f"{BASE}/verify?cert={cert.certificate_id}#d=")
    response = client.post(ROUTE, data={"text": qr})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["answer"], body["source"]) == ("valid", "compact")
    assert body["document"] == cert.document.to_json_dict()


def test_a_revoked_certificate_uploaded_as_its_printout_reads_revoked(
    console: ConsoleWorld, printed: dict[str, Printed]
) -> None:
    cert = printed["revoked"]
    client = console.browser()
    for files in ({"file": ("c.pdf", cert.pdf, "application/pdf")},
                  {"file": ("qr.png", _qr_photo(cert.pdf), "image/png")}):  # fmt: skip
        body = client.post(ROUTE, files=files).json()
        assert body["answer"] == "revoked", body
        assert body["verdict"]["status"] == "Revoked"
        assert body["verdict"]["revocation_reason"] == 2


def test_a_tampered_compact_document_is_not_authentic(
    console: ConsoleWorld, printed: dict[str, Printed]
) -> None:
    cert = printed["valid"]
    raw = bytearray(compact.to_bytes(cert.document))
    raw[29 + 32 + 31] ^= 0x01  # the last byte of assetId
    token = base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    body = console.browser().post(ROUTE, data={"text": f"ledger:{token}"}).json()
    assert body["answer"] == "not_authentic"
    assert body["verdict"]["valid"] is False
    failed = {r["code"] for r in body["verdict"]["reasons"] if not r["ok"]}
    assert "field_mismatch" in failed and "signature" in failed
    mismatch = next(r for r in body["verdict"]["reasons"] if r["code"] == "field_mismatch")
    assert mismatch["field"] == "assetId"


def test_a_body_over_the_limit_is_refused_with_413(console: ConsoleWorld) -> None:
    big = b"%PDF-1.4\n" + b"0" * (8 * MIB + 1)
    response = console.browser().post(ROUTE, files={"file": ("big.pdf", big, "application/pdf")})
    assert response.status_code == 413
    problem = response.json()
    assert problem["code"] == "too-large"
    assert problem["limit_bytes"] == 8 * MIB
    assert response.headers["content-type"].startswith("application/problem+json")


def test_what_is_not_a_pdf_image_or_certificate_is_a_422_problem(
    console: ConsoleWorld,
) -> None:
    client = console.browser()
    cases = {
        "unsupported_media": ("tool.exe", b"MZ\x90\x00\x03\x00\xff\xfe binary", "application/x"),
        "no_certificate": ("blank.png", _blank_png(), "image/png"),
        "not_a_certificate": ("note.txt", "收据 receipt 42".encode(), "text/plain"),
    }
    for kind, upload in cases.items():
        response = client.post(ROUTE, files={"file": upload})
        assert response.status_code == 422, (kind, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        problem = response.json()
        assert problem["code"] == "validation-failed"
        assert [e["type"] for e in problem["errors"]] == [kind]
    nothing = client.post(ROUTE, data={"by_org_id": "0x" + "11" * 32})
    assert nothing.status_code == 422 and nothing.json()["code"] == "validation-failed"
    # a JSON object that is no certificate reads "not authentic" (like POST /v1/verify)
    body = client.post(ROUTE, data={"text": json.dumps({"format": "x"})}).json()
    assert body["answer"] == "not_authentic"
    assert [r["code"] for r in body["verdict"]["reasons"]] == ["format"]


def _blank_png() -> bytes:
    out = io.BytesIO()
    Image.new("L", (300, 300), 255).save(out, format="PNG")
    return out.getvalue()
