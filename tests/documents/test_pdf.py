"""The printable certificate: parsed back with pypdf, rendered to pixels with PDFium
(pypdfium2) and its QR decoded from the picture with zxing-cpp (chain.scan), all from PyPI."""

from __future__ import annotations

from pathlib import Path

import pypdfium2
import pytest
from pypdf import PdfReader
from web3.logs import DISCARD

from chain import documents, pdf, scan
from tests.documents.conftest import VERIFY_BASE, Issued


@pytest.fixture(scope="module")
def rendered(issued: Issued) -> tuple[bytes, str, str]:
    ledger = issued.ledger
    doc = documents.build_document(
        ledger.w3, ledger.address, issued.certificate_id, ledger.registrar, VERIFY_BASE
    )
    view = documents.load_view(
        ledger.w3, ledger.address, issued.certificate_id, holder_name="青岛地铁集团 Qingdao Metro"
    )
    data = pdf.render_certificate_pdf(doc, view, doc.links.verify)
    return data, doc.certificate_id, doc.links.verify


def test_pdf_text_carries_title_id_and_fields(
    rendered: tuple[bytes, str, str], tmp_path: Path
) -> None:
    data, cid, _link = rendered
    assert data.startswith(b"%PDF-")
    path = tmp_path / "certificate.pdf"
    path.write_bytes(data)
    reader = PdfReader(path)
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "数据资产登记证书" in text
    assert "Data Asset Registration Certificate" in text
    assert cid in text
    assert "1,234,567.89" in text  # 123,456,789 fen
    assert "青岛地铁集团" in text
    assert "有效" in text and "Active" in text
    fonts = {
        str(font["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()  # type: ignore[index, union-attr]
    }
    # every font is an embedded subset (reportlab names them AAAAAA+Name)
    assert fonts and all("+" in name for name in fonts), fonts
    # the Chinese font is the one the project installs (WenQuanYi Micro Hei from PyPI)
    assert pdf.CJK_FONT_CANDIDATES[0][0] == pdf.PACKAGED_FONT != ""
    assert any("+WenQuanYiMicroHei" in name for name in fonts), fonts


def test_pdf_qr_decodes_to_verify_link(rendered: tuple[bytes, str, str]) -> None:
    data, cid, link = rendered
    document = pypdfium2.PdfDocument(data)
    assert len(document) == 1
    image = document[0].render(scale=150 / 72).to_pil()  # 150 dpi
    # one QR, read as a QR scanner reads it (a reader of every format may take a row of
    # the page's text or of the QR's modules for a one-dimensional code)
    (decoded,) = scan.qr_texts(image)
    # the link, and in its fragment the signed document (chain.compact)
    link_part, fragment = decoded.split("#", 1)
    assert link_part == link == f"{VERIFY_BASE}/verify?cert={cid}"
    assert fragment.startswith("d=") and len(fragment) == 2 + 378


def test_pdf_refuses_link_without_the_id(issued: Issued) -> None:
    ledger = issued.ledger
    doc = documents.build_document(
        ledger.w3, ledger.address, issued.certificate_id, ledger.registrar, VERIFY_BASE
    )
    view = documents.load_view(ledger.w3, ledger.address, issued.certificate_id)
    with pytest.raises(ValueError, match="certificate id"):
        pdf.render_certificate_pdf(doc, view, VERIFY_BASE + "/verify")


def test_missing_font_names_the_package() -> None:
    with pytest.raises(pdf.FontMissing, match="fonts-droid-fallback"):
        pdf._load(
            "Nope",
            (("/nonexistent/font.ttf", 0, "fonts-droid-fallback"),),
            "LEDGER_X_UNSET",
            "Chinese text",
        )
    with pytest.raises(pdf.FontMissing, match=r"paperang-p2-fonts-cjk \(make deps installs it\)"):
        pdf._load("Nope", (("", 0, pdf.CJK_FONT_CANDIDATES[0][2]),), "LEDGER_X_UNSET", "Chinese")


def test_packaged_font_serves_every_face_without_system_fonts() -> None:
    """With no Debian font at all, the project's own WenQuanYi faces are loaded for Chinese,
    Latin and monospaced text (face 1 of the collection is the monospaced one)."""
    assert pdf.PACKAGED_FONT.endswith("paperang_p2_fonts_cjk/fonts/wqy-microhei.ttc")
    packaged = [c for c in pdf.CJK_FONT_CANDIDATES if c[0] == pdf.PACKAGED_FONT]
    mono = [c for c in pdf.LATIN_MONO_CANDIDATES if c[0] == pdf.PACKAGED_FONT]
    latin = [c for c in pdf.LATIN_FONT_CANDIDATES if c[0] == pdf.PACKAGED_FONT]
    assert len(packaged) == len(mono) == len(latin) == 1
    assert (packaged[0][1], latin[0][1], mono[0][1]) == (0, 0, 1)
    cjk = pdf._load("ProbeCJK", tuple(packaged), "LEDGER_X_UNSET", "Chinese text")
    monospaced = pdf._load("ProbeMono", tuple(mono), "LEDGER_X_UNSET", "identifiers")
    for char in "数据资产登记证书青岛厦门0123456789abcdefx":
        assert ord(char) in cjk.glyphs and ord(char) in monospaced.glyphs, char


@pytest.mark.usefixtures("evm_snapshot")
def test_pdf_of_a_revoked_certificate_states_the_reason_in_both_languages(
    issued: Issued, tmp_path: Path
) -> None:
    ledger = issued.ledger
    ledger.send(
        ledger.registrar, ledger.registry.functions.revokeCertificate(issued.certificate_id, 4)
    )
    doc = documents.build_document(
        ledger.w3, ledger.address, issued.certificate_id, ledger.registrar, VERIFY_BASE
    )
    view = documents.load_view(ledger.w3, ledger.address, issued.certificate_id)
    path = tmp_path / "revoked.pdf"
    path.write_bytes(pdf.render_certificate_pdf(doc, view, doc.links.verify))
    text = PdfReader(path).pages[0].extract_text()
    assert "Revoked" in text and "异议成立" in text and "an objection was upheld" in text


def _red_share(pdf_bytes: bytes, tmp_path: Path) -> float:
    """The share of clearly red pixels in the middle third of the page, rendered by
    pypdfium2 at about 30 dpi."""
    document = pypdfium2.PdfDocument(pdf_bytes)
    image = document[0].render(scale=30 / 72).to_pil().convert("RGB")
    width, height = image.size
    band = image.crop((0, height // 3, width, 2 * height // 3))
    pixels = list(band.getdata())
    red = [p for p in pixels if p[0] > 180 and p[1] < 140 and p[2] < 140]
    return len(red) / len(pixels)


@pytest.mark.usefixtures("evm_snapshot")
def test_a_revoked_certificate_carries_a_revoked_mark_across_the_page(
    issued: Issued, rendered: tuple[bytes, str, str], tmp_path: Path
) -> None:
    ledger = issued.ledger
    active_red = _red_share(rendered[0], tmp_path)
    ledger.send(
        ledger.registrar, ledger.registry.functions.revokeCertificate(issued.certificate_id, 2)
    )
    doc = documents.build_document(
        ledger.w3, ledger.address, issued.certificate_id, ledger.registrar, VERIFY_BASE
    )
    view = documents.load_view(ledger.w3, ledger.address, issued.certificate_id)
    data = pdf.render_certificate_pdf(doc, view, doc.links.verify)
    path = tmp_path / "revoked.pdf"
    path.write_bytes(data)
    text = PdfReader(path).pages[0].extract_text()
    assert "已撤销" in text and "REVOKED" in text
    revoked_red = _red_share(data, tmp_path)
    assert active_red < 0.01, active_red  # an active certificate has no mark
    assert revoked_red > 0.05, revoked_red  # the mark spans the middle of the page


@pytest.mark.usefixtures("evm_snapshot")
def test_pdf_of_a_reissued_certificate_names_both_and_a_dispute(
    issued: Issued, tmp_path: Path
) -> None:
    ledger = issued.ledger
    fns = ledger.registry.functions
    ledger.send(ledger.registrar, fns.revokeCertificate(issued.certificate_id, 2))
    receipt = ledger.send(ledger.registrar, fns.reissueCertificate(issued.certificate_id))
    (event,) = ledger.registry.events.CertificateIssued().process_receipt(receipt, errors=DISCARD)
    reissued = "0x" + bytes(event["args"]["certificateId"]).hex()
    old = documents.load_view(ledger.w3, ledger.address, issued.certificate_id)
    assert (old.status, old.replaced_by, old.revocation_reason) == ("Revoked", reissued, 2)
    ledger.send(ledger.registrar, fns.recordDispute(issued.asset_id, b"\x73" * 32))
    view = documents.load_view(ledger.w3, ledger.address, reissued)
    assert view.supersedes == "0x" + issued.certificate_id.hex()
    assert (view.status, view.disputed, view.usability) == ("Active", True, "Disputed")
    assert view.value_fen == 123_456_789 and view.city == 370200 and view.domain_code == 101
    doc = documents.build_document(ledger.w3, ledger.address, reissued, ledger.registrar,
                                   VERIFY_BASE)  # fmt: skip
    path = tmp_path / "reissued.pdf"
    path.write_bytes(pdf.render_certificate_pdf(doc, view, doc.links.verify))
    text = PdfReader(path).pages[0].extract_text().replace("\n", " ")
    assert "Supersedes" in text and issued.certificate_id.hex()[:16] in text
    assert "ownership disputed" in text
