"""The /verify page reads what a person holds: the certificate PDF, a photo of its QR code,
the QR's link (what a phone camera opens) or its text; plain answer first, and where the
checked document came from."""

from __future__ import annotations

import io
import re

import pypdfium2
from PIL import Image

from chain import compact
from tests.console.conftest import ConsoleWorld
from tests.verify.conftest import Printed


def _answer(html: str) -> str:
    match = re.search(r'<p class="big" role="status">([^<]+)</p>', html)
    assert match, html[-2000:]
    return match.group(1)


def _source(html: str) -> str:
    match = re.search(r'data-source="([^"]+)">([^<]+)<', html)
    assert match, html[-2000:]
    return match.group(1)


def _photo(pdf: bytes) -> bytes:
    document = pypdfium2.PdfDocument(pdf)
    page: Image.Image = document[0].render(scale=170 / 72).to_pil()
    document.close()
    width, height = page.size
    out = io.BytesIO()
    page.crop((width // 2, height * 2 // 3, width, height)).convert("RGB").save(
        out, format="JPEG", quality=80
    )
    return out.getvalue()


def test_a_dropped_pdf_or_qr_photo_reads_valid_with_its_facts(
    console: ConsoleWorld, printed: dict[str, Printed]
) -> None:
    cert = printed["valid"]
    client = console.browser()
    pdf_page = client.post("/verify", files={"upload": ("c.pdf", cert.pdf, "application/pdf")})
    assert pdf_page.status_code == 200, pdf_page.text[-800:]
    assert _answer(pdf_page.text) == "有效"
    assert _source(pdf_page.text) == "pdf-attachment"
    assert "证书 PDF 中附带的签名证书文件" in pdf_page.text
    facts = pdf_page.text[pdf_page.text.index('<dl class="facts">'):]
    assert "公交刷卡数据（370200-JT-2025-0701）" in facts and "青岛市交通运输局" in facts
    photo = client.post("/verify?lang=en",
                        files={"upload": ("qr.jpg", _photo(cert.pdf), "image/jpeg")})  # fmt: skip
    assert _answer(photo.text) == "Valid"
    assert _source(photo.text) == "qr-image"
    assert "read from the QR code picture" in photo.text


def test_the_qr_link_a_phone_opens_is_checked_from_its_fragment_or_query(
    console: ConsoleWorld, printed: dict[str, Printed]
) -> None:
    cert = printed["valid"]
    client = console.browser()
    link = compact.qr_text(cert.document)
    landing = client.get(link.split("#", 1)[0])  # what the server sees of the link
    assert landing.status_code == 200
    assert '<script src="/console/static/verify.js" defer></script>' in landing.text
    script = client.get("/console/static/verify.js")
    assert script.status_code == 200 and "location.hash" in script.text
    # the page's script posts the whole link it was opened with
    page = client.post("/verify", data={"document": link})
    assert _answer(page.text) == "有效"
    assert _source(page.text) == "compact"
    token = compact.encode(cert.document)
    by_query = client.get("/verify", params={"d": token})
    assert _answer(by_query.text) == "有效" and _source(by_query.text) == "compact"


def test_a_revoked_printout_reads_revoked_and_a_tampered_qr_not_authentic(
    console: ConsoleWorld, printed: dict[str, Printed]
) -> None:
    client = console.browser()
    revoked = printed["revoked"]
    page = client.post("/verify", files={"upload": ("qr.jpg", _photo(revoked.pdf), "image/jpeg")})
    assert _answer(page.text) == "已撤销 REVOKED"
    assert "网约车订单数据" in page.text
    token = compact.encode(printed["valid"].document)
    tampered = token[:60] + ("A" if token[60] != "A" else "B") + token[61:]
    page = client.post("/verify", data={"document": f"ledger:{tampered}"})
    assert _answer(page.text) == "不是真实的证书"
    assert '<dl class="facts">' not in page.text


def test_a_file_that_is_no_certificate_is_refused_in_words(console: ConsoleWorld) -> None:
    page = console.browser().post(
        "/verify", files={"upload": ("x.bin", b"\x00\x01\x02\xff binary", "application/x")}
    )
    assert page.status_code == 422
    assert '<p class="error" role="alert">' in page.text
