"""Verifiable from the printout alone: the signed document in compact form in the PDF's QR
(and attached to the PDF), decoded back to exactly the document whose signature verifies
against the chain; a changed byte makes it "not authentic"; a revoked certificate read
from its QR says REVOKED."""

from __future__ import annotations

import base64
import io

import pypdfium2
import pytest
import segno
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from chain import compact, documents, pdf, scan
from chain.documents import CertificateDocument
from chain.verdict import plain_answer
from chain.verifier import verify_document
from tests.documents.conftest import VERIFY_BASE, Issued


@pytest.fixture(scope="module")
def signed(issued: Issued) -> CertificateDocument:
    ledger = issued.ledger
    return documents.build_document(
        ledger.w3, ledger.address, issued.certificate_id, ledger.registrar, VERIFY_BASE
    )


@pytest.fixture(scope="module")
def printed(issued: Issued, signed: CertificateDocument) -> bytes:
    ledger = issued.ledger
    view = documents.load_view(ledger.w3, ledger.address, issued.certificate_id)
    return pdf.render_certificate_pdf(signed, view, signed.links.verify)


def _page_image(data: bytes, dpi: int) -> Image.Image:
    document = pypdfium2.PdfDocument(data)
    image: Image.Image = document[0].render(scale=dpi / 72).to_pil()
    document.close()
    return image


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def test_compact_form_is_283_bytes_and_decodes_to_the_same_document(
    signed: CertificateDocument,
) -> None:
    raw = compact.to_bytes(signed)
    assert len(raw) == compact.SIZE == 283
    assert raw[0] == compact.VERSION
    assert raw[1:9] == signed.domain.chainId.to_bytes(8, "big")
    assert raw[-65:].hex() == signed.signature[2:]
    token = compact.encode(signed)
    assert len(token) == 378 and "=" not in token
    text = compact.qr_text(signed)
    assert text == f"{VERIFY_BASE}/verify?cert={signed.certificate_id}#d={token}"
    for form in (text, compact.ledger_uri(signed), token, f"  {text}\n"):
        decoded = compact.decode_text(form)
        assert decoded.message == signed.message
        assert (decoded.signature, decoded.signer, decoded.domain) == (
            signed.signature, signed.signer, signed.domain,
        )  # fmt: skip
    # the link form gives back the very document, byte for byte
    assert compact.decode_text(text).to_canonical_json() == signed.to_canonical_json()
    assert compact.decode_text(token).links.verify == f"ledger:{token}"


def test_qr_in_the_pdf_carries_the_signed_document_which_verifies(
    issued: Issued, signed: CertificateDocument, printed: bytes
) -> None:
    # read as a QR scanner reads it: a reader of every format may take a row of the
    # page's text or of the QR's own modules for a one-dimensional code (Codabar)
    (text,) = scan.qr_texts(_page_image(printed, 150))
    assert text == compact.qr_text(signed)
    assert text.startswith(f"{VERIFY_BASE}/verify?cert={signed.certificate_id}#d=")
    decoded = compact.decode_text(text)
    assert decoded.to_canonical_json() == signed.to_canonical_json()
    ledger = issued.ledger
    verdict = verify_document(
        ledger.w3, ledger.address, decoded, verifier_address=ledger.verifier_address
    )
    assert verdict.valid, verdict.sentences()
    assert plain_answer(verdict) == "valid"
    assert verdict.signer == ledger.registrar.address
    assert verdict.certificate_id == "0x" + issued.certificate_id.hex()


def test_the_pdf_attaches_the_signed_json_and_keeps_the_compact_form_in_its_keywords(
    signed: CertificateDocument, printed: bytes
) -> None:
    document = pypdfium2.PdfDocument(printed)
    assert document.count_attachments() == 1
    attachment = document.get_attachment(0)
    assert attachment.get_name() == "certificate.json"
    assert bytes(attachment.get_data()) == signed.to_canonical_json()
    assert document.get_metadata_dict()["Keywords"] == compact.ledger_uri(signed)
    document.close()
    found = scan.read_document(printed)
    assert found.source == "pdf-attachment"
    assert found.document.to_canonical_json() == signed.to_canonical_json()


def test_a_scanned_printout_and_a_photo_of_the_qr_are_read_from_pixels(
    signed: CertificateDocument, printed: bytes
) -> None:
    page = _page_image(printed, 200)
    # the printout scanned back to a PDF: no attachment, no keywords, only the picture
    rescanned = io.BytesIO()
    page.convert("RGB").save(rescanned, format="PDF", resolution=200)
    found = scan.read_document(rescanned.getvalue())
    assert found.source == "pdf-qr"
    assert found.document.to_canonical_json() == signed.to_canonical_json()
    # a photo of the lower right corner, in JPEG
    width, height = page.size
    corner = page.crop((width // 2, height * 2 // 3, width, height)).convert("RGB")
    jpeg = io.BytesIO()
    corner.save(jpeg, format="JPEG", quality=85)
    found = scan.read_document(jpeg.getvalue())
    assert found.source == "qr-image"
    assert found.document.message == signed.message
    assert found.document.signature == signed.signature


def test_a_changed_byte_in_the_compact_document_is_not_authentic(
    issued: Issued, signed: CertificateDocument
) -> None:
    ledger = issued.ledger
    raw = bytearray(compact.to_bytes(signed))
    raw[190 + 7] ^= 0x01  # issuedAt, one second off
    token = base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    tampered = compact.decode_text(f"{VERIFY_BASE}/verify#d={token}")
    assert tampered.message.issuedAt == signed.message.issuedAt ^ 1
    verdict = verify_document(ledger.w3, ledger.address, tampered)
    assert not verdict.valid
    assert plain_answer(verdict) == "not_authentic"
    failed = verdict.codes(ok=False)
    assert {"field_mismatch", "signature", "contract_signature"} <= failed
    # a flipped signature byte: the signature no longer recovers to the stated signer
    raw = bytearray(compact.to_bytes(signed))
    raw[230] ^= 0x80
    forged = compact.from_bytes(bytes(raw), signed.links.verify)
    verdict = verify_document(ledger.w3, ledger.address, forged)
    assert plain_answer(verdict) == "not_authentic"
    assert "signature" in verdict.codes(ok=False)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("ledger:abc", f"is {compact.SIZE} bytes"),
        ("ledger:a+b/", "base64url"),
        (f"{VERIFY_BASE}/verify?cert=0x12", "no d="),
        ("ledger:" + base64.urlsafe_b64encode(b"\x02" + bytes(282)).decode(), "version 2"),
    ],
)
def test_text_that_is_no_compact_certificate_says_why(text: str, message: str) -> None:
    with pytest.raises(documents.DocumentError, match=message):
        compact.decode_text(text)


def test_bytes_of_no_supported_kind_are_refused() -> None:
    with pytest.raises(scan.UnsupportedUpload, match="neither a certificate PDF"):
        scan.read_document(b"\x00\x9f\x92\x96 binary")
    blank = Image.new("L", (200, 200), 255)
    with pytest.raises(scan.NothingFound, match="no QR code could be read"):
        scan.read_document(_png(blank))
    other = io.BytesIO()
    segno.make("https://example.org/", error="m").save(other, kind="png", scale=6)
    with pytest.raises(scan.NothingFound, match="holds no signed certificate"):
        scan.read_document(other.getvalue())


def test_a_revoked_certificate_read_from_its_qr_says_revoked(
    issued: Issued, evm_snapshot: None
) -> None:
    ledger = issued.ledger
    cid = ledger.certify("revoked-by-qr")
    doc = documents.build_document(ledger.w3, ledger.address, cid, ledger.registrar, VERIFY_BASE)
    ledger.send(ledger.registrar, ledger.registry.functions.revokeCertificate(cid, 3))
    view = documents.load_view(ledger.w3, ledger.address, cid)
    printed = pdf.render_certificate_pdf(doc, view, doc.links.verify)
    (text,) = scan.qr_texts(_page_image(printed, 150))
    verdict = verify_document(
        ledger.w3, ledger.address, compact.decode_text(text),
        verifier_address=ledger.verifier_address,
    )  # fmt: skip
    assert verdict.status == "Revoked"
    assert plain_answer(verdict) == "revoked"
    assert verdict.revocation_reason == 3
    assert "revoked on" in next(r.detail for r in verdict.reasons if r.code == "status")


_B32 = st.binary(min_size=32, max_size=32).map(lambda b: "0x" + b.hex())


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    chain_id=st.integers(min_value=1, max_value=2**64 - 1),
    contract=st.binary(min_size=20, max_size=20),
    hashes=st.tuples(_B32, _B32, _B32, _B32, _B32),
    kind=st.integers(min_value=0, max_value=255),
    issued_at=st.integers(min_value=0, max_value=2**64 - 1),
    signer=st.binary(min_size=20, max_size=20),
    signature=st.binary(min_size=65, max_size=65),
)
def test_any_document_survives_the_compact_round_trip(
    chain_id: int, contract: bytes, hashes: tuple[str, str, str, str, str], kind: int,
    issued_at: int, signer: bytes, signature: bytes,
) -> None:  # fmt: skip
    domain = documents.Eip712Domain(
        name=documents.DOMAIN_NAME, version=documents.DOMAIN_VERSION, chainId=chain_id,
        verifyingContract="0x" + contract.hex(),
    )  # fmt: skip
    names = ("certificateId", "assetId", "registrarOrgId", "holderOrgId", "metadataHash")
    message = documents.CertificateMessage(
        **dict(zip(names, hashes, strict=True)), kind=kind, issuedAt=issued_at
    )
    doc = documents.CertificateDocument(
        format=documents.FORMAT, domain=domain,
        types={k: [documents.TypedField(**f) for f in v]
               for k, v in documents.certificate_types().items()},
        primaryType=documents.PRIMARY_TYPE, message=message,
        signature="0x" + signature.hex(), signer="0x" + signer.hex(),
        links=documents.DocumentLinks(verify=f"{VERIFY_BASE}/verify?cert={hashes[0]}"),
    )  # fmt: skip
    assert len(compact.to_bytes(doc)) == compact.SIZE
    again = compact.decode_text(compact.qr_text(doc))
    assert again.to_canonical_json() == doc.to_canonical_json()
