"""Find the signed certificate document in what a verifier holds: a JSON file, the text of
a QR (:mod:`chain.compact`), the certificate PDF, or a photo or scan of its QR code.

- A PDF the ledger rendered carries the signed JSON as an attached file
  (``certificate.json``) and its compact form in the keywords; both are read back with
  PDFium (``pypdfium2``). A PDF without them (printed and scanned, or re-saved) has its
  first page rendered at 200 dpi and the QR decoded from the picture (``zxing-cpp``).
- An image (PNG, JPEG, GIF, BMP, TIFF, WebP) is decoded with Pillow and its QR codes read
  with ``zxing-cpp``; the first one holding a certificate wins.
- Anything else must be UTF-8 text: JSON, the QR's link, ``ledger:…`` or bare base64url.

Inputs are bounded before they are decoded: images above :data:`MAX_PIXELS` and PDFs
whose first page would render above it are refused, so a small file cannot expand into
gigabytes. PDFium is not thread-safe; one lock serialises its use in this process.
"""

from __future__ import annotations

import io
import math
import threading
from dataclasses import dataclass
from typing import Final, Literal

import pypdfium2
import zxingcpp
from PIL import Image, UnidentifiedImageError

from chain import compact
from chain.documents import CertificateDocument, DocumentError

Source = Literal["json", "compact", "pdf-attachment", "pdf-keywords", "pdf-qr", "qr-image"]
Kind = Literal["pdf", "image", "text"]

#: The largest picture decoded (a 48-megapixel phone photo fits).
MAX_PIXELS: Final = 50_000_000
PDF_DPI: Final = 200

_IMAGE_MAGIC: Final = (
    b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM", b"II*\x00", b"MM\x00*",
)  # fmt: skip
_PDFIUM = threading.Lock()


class UnsupportedUpload(DocumentError):
    """The bytes are neither a PDF, an image nor UTF-8 text."""


class NothingFound(DocumentError):
    """The PDF or image holds no certificate document (no attachment, no readable QR)."""


@dataclass(frozen=True)
class Found:
    """A document and where it was found."""

    document: CertificateDocument
    source: Source


def kind_of(data: bytes) -> Kind:
    """What the bytes are, from their first bytes (never from a file name or a header)."""
    head = data[:16]
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(_IMAGE_MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return "image"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnsupportedUpload(
            "the file is neither a certificate PDF, an image of its QR code nor a JSON or "
            "text document"
        ) from exc
    return "text"


def qr_texts(image: Image.Image) -> list[str]:
    """The texts of the QR codes in ``image``, in zxing-cpp's order."""
    grey = image.convert("L")
    formats = zxingcpp.BarcodeFormats([zxingcpp.BarcodeFormat.QRCode])
    codes = zxingcpp.read_barcodes(grey, formats=formats)
    return [code.text for code in codes if code.valid and code.text]


def _first_document(texts: list[str], where: str) -> CertificateDocument:
    errors: list[str] = []
    for text in texts:
        try:
            return compact.decode_text(text)
        except DocumentError as exc:
            errors.append(str(exc))
    if not texts:
        raise NothingFound(f"no QR code could be read from the {where}")
    raise NothingFound(
        f"the QR code in the {where} holds no signed certificate ({'; '.join(errors)})"
    )


def document_from_image(data: bytes) -> CertificateDocument:
    """The certificate in a picture of its QR code."""
    try:
        image = Image.open(io.BytesIO(data))
        width, height = image.size
        if width * height > MAX_PIXELS:
            raise UnsupportedUpload(
                f"the image is {width}x{height} pixels; at most {MAX_PIXELS:,} are read"
            )
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise UnsupportedUpload(f"the image cannot be decoded: {exc}") from exc
    return _first_document(qr_texts(image), "image")


def _pdf_embedded(pdf: pypdfium2.PdfDocument) -> Found | None:
    for index in range(pdf.count_attachments()):
        attachment = pdf.get_attachment(index)
        if attachment.get_name() == compact.ATTACHMENT_NAME:
            text = bytes(attachment.get_data()).decode("utf-8", errors="replace")
            return Found(compact.decode_text(text), "pdf-attachment")
    keywords = str(pdf.get_metadata_dict().get("Keywords", ""))
    if keywords.startswith(compact.SCHEME):
        return Found(compact.decode_text(keywords), "pdf-keywords")
    return None


def _pdf_page_image(pdf: pypdfium2.PdfDocument) -> Image.Image:
    if len(pdf) == 0:
        raise NothingFound("the PDF has no page")
    page = pdf[0]
    width, height = page.get_size()
    scale = PDF_DPI / 72
    if width * height * scale * scale > MAX_PIXELS:
        scale = math.sqrt(MAX_PIXELS / max(width * height, 1.0))
    image: Image.Image = page.render(scale=scale).to_pil()
    return image


def document_from_pdf(data: bytes) -> Found:
    """The certificate in a PDF: its attachment or keywords, else the QR on its first page."""
    with _PDFIUM:
        try:
            pdf = pypdfium2.PdfDocument(data)
        except pypdfium2.PdfiumError as exc:
            raise UnsupportedUpload(f"the PDF cannot be opened: {exc}") from exc
        try:
            embedded = _pdf_embedded(pdf)
            if embedded is not None:
                return embedded
            image = _pdf_page_image(pdf)
        finally:
            pdf.close()
    return Found(_first_document(qr_texts(image), "PDF's first page"), "pdf-qr")


def read_document(data: bytes) -> Found:
    """The certificate document in ``data`` (PDF, image or text) and where it was found.

    Raises :class:`UnsupportedUpload` for bytes of no supported kind, :class:`NothingFound`
    for a PDF or image without a certificate, :class:`chain.documents.DocumentError` for
    text that is not a certificate document.
    """
    kind = kind_of(data)
    if kind == "pdf":
        return document_from_pdf(data)
    if kind == "image":
        return Found(document_from_image(data), "qr-image")
    text = data.decode("utf-8").strip().lstrip("\ufeff")
    source: Source = "json" if text.startswith("{") else "compact"
    return Found(compact.decode_text(text), source)
