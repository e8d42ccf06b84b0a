"""The printable certificate: parsed back with pypdf, its QR decoded with zbarimg."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader
from web3.logs import DISCARD

from chain import documents, pdf
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


@pytest.mark.skipif(
    not (shutil.which("pdftoppm") and shutil.which("zbarimg")),
    reason="needs Debian poppler-utils and zbar-tools",
)
def test_pdf_qr_decodes_to_verify_link(rendered: tuple[bytes, str, str], tmp_path: Path) -> None:
    data, cid, link = rendered
    path = tmp_path / "certificate.pdf"
    path.write_bytes(data)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "150", str(path), str(tmp_path / "page")],
        check=True,
        timeout=60,
    )
    (image,) = sorted(tmp_path.glob("page*.png"))
    decoded = subprocess.run(
        ["zbarimg", "--raw", "-q", str(image)],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.strip()
    assert decoded == link
    assert decoded == f"{VERIFY_BASE}/verify?cert={cid}"


def test_pdf_refuses_link_without_the_id(issued: Issued) -> None:
    ledger = issued.ledger
    doc = documents.build_document(
        ledger.w3, ledger.address, issued.certificate_id, ledger.registrar, VERIFY_BASE
    )
    view = documents.load_view(ledger.w3, ledger.address, issued.certificate_id)
    with pytest.raises(ValueError, match="certificate id"):
        pdf.render_certificate_pdf(doc, view, VERIFY_BASE + "/verify")


def test_missing_font_names_the_debian_package(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(pdf.FontMissing, match="fonts-droid-fallback"):
        pdf._load(
            "Nope",
            (("/nonexistent/font.ttf", 0, "fonts-droid-fallback"),),
            "LEDGER_X_UNSET",
            "Chinese text",
        )


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
