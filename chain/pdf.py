"""The printable data asset registration certificate (A4, Chinese and English, with a QR code).

Fonts are embedded (as subsets) so the certificate looks the same in every viewer: a CJK
TrueType font for Chinese and DejaVu Sans (``fonts-dejavu-core``, on the base machine) for
Latin text. reportlab embeds only TrueType outlines, not the CFF outlines of Noto CJK, so
the Chinese font is WenQuanYi Micro Hei (Apache-2.0 or GPLv3 with the font embedding
exception) from the pinned PyPI package ``paperang-p2-fonts-cjk``, which ``make deps``
installs into the project's virtual environment; Debian's ``fonts-droid-fallback``,
WenQuanYi or AR PL fonts are used only when that package is absent. The same
WenQuanYi faces stand in for Latin text when no DejaVu or Liberation font is installed.
Text is drawn in runs, each character in the first font that has its glyph.

Without any usable font the renderer raises :class:`FontMissing`, which names what to
install; the gateway answers it as 503 ``renderer-unavailable``.

The QR code (segno) carries the verification link with the certificate id and, in the
link's fragment, the signed document itself in compact form (:mod:`chain.compact`): a
printout alone is enough to check the registrar's signature. It is drawn as vector
squares, so it scans at any print resolution. The signed JSON document is also attached
to the PDF (``certificate.json``, an embedded file) and its compact form is in the PDF's
keywords, so a dropped PDF is read back without looking at pixels (:mod:`chain.scan`).
"""

from __future__ import annotations

import importlib.util
import io
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import segno
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from chain import compact
from chain.documents import CertificateDocument, CertificateView, format_date, format_yuan
from chain.revocation import describe as describe_reason


class FontMissing(RuntimeError):
    """No embeddable font for Chinese (or Latin) text is installed; names the package."""


#: The PyPI package that brings WenQuanYi Micro Hei (pinned in requirements.lock).
FONT_PACKAGE = "paperang-p2-fonts-cjk"


def _packaged_font() -> str:
    """Path of the WenQuanYi Micro Hei collection installed with the project ('' if absent):
    face 0 is proportional, face 1 monospaced."""
    spec = importlib.util.find_spec("paperang_p2_fonts_cjk")
    if spec is None or not spec.submodule_search_locations:
        return ""
    for folder in spec.submodule_search_locations:
        path = Path(folder) / "fonts" / "wqy-microhei.ttc"
        if path.is_file():
            return str(path)
    return ""


PACKAGED_FONT = _packaged_font()
_PACKAGE_HINT = f"the PyPI package {FONT_PACKAGE} (make deps installs it)"

#: (path, subfont index, package), in order of preference.
CJK_FONT_CANDIDATES: tuple[tuple[str, int, str], ...] = (
    (PACKAGED_FONT, 0, _PACKAGE_HINT),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0, "fonts-droid-fallback"),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0, "fonts-wqy-zenhei"),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0, "fonts-wqy-microhei"),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0, "fonts-arphic-uming"),
    ("/usr/share/fonts/truetype/arphic/ukai.ttc", 0, "fonts-arphic-ukai"),
)
LATIN_FONT_CANDIDATES: tuple[tuple[str, int, str], ...] = (
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 0, "fonts-dejavu-core"),
    ("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf", 0, "fonts-liberation"),
    (PACKAGED_FONT, 0, _PACKAGE_HINT),
)
LATIN_MONO_CANDIDATES: tuple[tuple[str, int, str], ...] = (
    ("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf", 0, "fonts-dejavu-core"),
    ("/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf", 0, "fonts-liberation"),
    (PACKAGED_FONT, 1, _PACKAGE_HINT),
)

STATUS_ZH = {
    "Active": "有效",
    "Revoked": "已撤销",
    "Expired": "已过期",
    "Superseded": "已被替代",
    "Unknown": "未知",
}
KIND_ZH = {"Initial": "首次登记", "Change": "变更登记", "Correction": "更正登记",
           "Deregistration": "注销登记"}  # fmt: skip


@dataclass(frozen=True)
class _Font:
    name: str
    glyphs: frozenset[int]


def _load(name: str, candidates: tuple[tuple[str, int, str], ...], env: str, what: str) -> _Font:
    override = os.environ.get(env)
    options = [(override, 0, "(set by " + env + ")")] if override else []
    options += list(candidates)
    errors = []
    for path, index, _package in options:
        if not path or not Path(path).is_file():
            continue
        try:
            font = TTFont(name, path, subfontIndex=index)
        except Exception as exc:  # CFF outlines, a broken file: try the next candidate
            errors.append(f"{path}: {exc}")
            continue
        pdfmetrics.registerFont(font)
        return _Font(name, frozenset(font.face.charToGlyph))
    packages = ", ".join(dict.fromkeys(p for _, _, p in candidates))
    detail = f" ({'; '.join(errors)})" if errors else ""
    raise FontMissing(
        f"no embeddable TrueType font for {what} found; install "
        f"{candidates[0][2]} (or one of: {packages}){detail}"
    )


@lru_cache(maxsize=1)
def fonts() -> tuple[_Font, _Font, _Font]:
    """(Latin, monospace, CJK) fonts, registered with reportlab once per process."""
    latin = _load("LedgerLatin", LATIN_FONT_CANDIDATES, "LEDGER_PDF_LATIN_FONT", "Latin text")
    mono = _load("LedgerMono", LATIN_MONO_CANDIDATES, "LEDGER_PDF_MONO_FONT", "identifiers")
    cjk = _load("LedgerCJK", CJK_FONT_CANDIDATES, "LEDGER_PDF_CJK_FONT", "Chinese text")
    return latin, mono, cjk


def _runs(text: str, primary: _Font, fallback: _Font) -> list[tuple[str, str]]:
    runs: list[tuple[str, str]] = []
    for char in text:
        font = (
            primary if ord(char) in primary.glyphs or ord(char) not in fallback.glyphs else fallback
        )
        if runs and runs[-1][0] == font.name:
            runs[-1] = (font.name, runs[-1][1] + char)
        else:
            runs.append((font.name, char))
    return runs


class _Writer:
    def __init__(self, canvas: Canvas) -> None:
        self.c = canvas
        self.latin, self.mono, self.cjk = fonts()

    def width(self, text: str, size: float, mono: bool = False) -> float:
        primary = self.mono if mono else self.latin
        return float(
            sum(
                pdfmetrics.stringWidth(run, name, size)
                for name, run in _runs(text, primary, self.cjk)
            )
        )

    def text(self, x: float, y: float, text: str, size: float, mono: bool = False) -> float:
        """Draw mixed Chinese/Latin text from (x, y); return the x after it."""
        primary = self.mono if mono else self.latin
        for name, run in _runs(text, primary, self.cjk):
            self.c.setFont(name, size)
            self.c.drawString(x, y, run)
            x += pdfmetrics.stringWidth(run, name, size)
        return x

    def centred(self, y: float, text: str, size: float) -> None:
        page_width = A4[0]
        self.text((page_width - self.width(text, size)) / 2, y, text, size)


def _qr(canvas: Canvas, data: str, x: float, y: float, size: float) -> None:
    """Draw a QR code of ``data`` as vector squares in a ``size`` square at (x, y)."""
    code = segno.make(data, error="m", micro=False)
    matrix = [list(row) for row in code.matrix]
    border = 4
    modules = len(matrix) + 2 * border
    cell = size / modules
    canvas.setFillColorRGB(1, 1, 1)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillColorRGB(0, 0, 0)
    for r, row in enumerate(matrix):
        for col, dark in enumerate(row):
            if dark:
                canvas.rect(
                    x + (col + border) * cell,
                    y + size - (r + border + 1) * cell,
                    cell,
                    cell,
                    stroke=0,
                    fill=1,
                )


def _attach(canvas: Canvas, name: str, data: bytes, description: str) -> None:
    """Embed ``data`` as the PDF's attached file ``name`` (the catalogue's EmbeddedFiles)."""
    doc = canvas._doc
    stream = pdfdoc.PDFStream(
        pdfdoc.PDFDictionary({
            "Type": pdfdoc.PDFName("EmbeddedFile"),
            "Subtype": pdfdoc.PDFName("application/json"),
            "Params": pdfdoc.PDFDictionary({"Size": len(data)}),
        }),
        data,
    )  # fmt: skip
    spec = pdfdoc.PDFDictionary({
        "Type": pdfdoc.PDFName("Filespec"),
        "F": pdfdoc.PDFString(name),
        "UF": pdfdoc.PDFString(name),
        "Desc": pdfdoc.PDFString(description),
        "EF": pdfdoc.PDFDictionary({"F": doc.Reference(stream)}),
    })  # fmt: skip
    names = pdfdoc.PDFArray([pdfdoc.PDFString(name), doc.Reference(spec)])
    doc.Catalog.Names = pdfdoc.PDFDictionary(
        {"EmbeddedFiles": pdfdoc.PDFDictionary({"Names": names})}
    )


def render_certificate_pdf(
    document: CertificateDocument, onchain_view: CertificateView, verify_url: str
) -> bytes:
    """A printable A4 certificate: bilingual fields, status at printing and a QR code.

    ``verify_url`` is the verification link (it must carry the certificate id);
    ``onchain_view`` is what the chain says at printing time (:func:`chain.documents.load_view`).
    """
    cid = document.certificate_id
    if onchain_view.certificate_id != cid:
        raise ValueError(
            f"the on-chain view is of certificate {onchain_view.certificate_id}, "
            f"the document of {cid}"
        )
    if cid.lower() not in verify_url.lower():
        raise ValueError("the verification link must carry the certificate id")

    buffer = io.BytesIO()
    latin_name = fonts()[0].name
    canvas = Canvas(
        buffer, pagesize=A4, pageCompression=1, initialFontName=latin_name, initialFontSize=10
    )
    canvas.setTitle(f"数据资产登记证书 Data Asset Registration Certificate {cid}")
    canvas.setAuthor(onchain_view.registrar_name or onchain_view.registrar_org_id)
    canvas.setSubject(cid)
    canvas.setCreator("data asset ledger")
    canvas.setKeywords(compact.ledger_uri(document))
    _attach(canvas, compact.ATTACHMENT_NAME, document.to_canonical_json(),
            "the signed certificate document (EIP-712, data-asset-certificate/v1)")  # fmt: skip
    w = _Writer(canvas)
    page_w, page_h = A4

    # frame
    canvas.setStrokeColorRGB(0.55, 0.1, 0.1)
    canvas.setLineWidth(3)
    canvas.rect(28, 28, page_w - 56, page_h - 56)
    canvas.setLineWidth(0.8)
    canvas.rect(36, 36, page_w - 72, page_h - 72)

    # title
    canvas.setFillColorRGB(0.55, 0.1, 0.1)
    w.centred(page_h - 100, "数据资产登记证书", 30)
    w.centred(page_h - 128, "Data Asset Registration Certificate", 16)
    canvas.setFillColorRGB(0, 0, 0)
    zh_city, en_city = onchain_view.city_names
    w.centred(page_h - 152, f"{zh_city}数据资产登记评价中心 · {en_city} data asset registrar", 10)

    # fields
    status = onchain_view.status
    status_text = f"{STATUS_ZH.get(status, status)} {status}"
    if status == "Revoked":
        reason = describe_reason(onchain_view.revocation_reason)
        status_text += f" ({reason.zh} · {reason.en})"
    if status == "Revoked" and onchain_view.replaced_by:
        status_text += f", 已重新签发 re-issued as {onchain_view.replaced_by}"
    if status == "Superseded" and onchain_view.replaced_by:
        status_text += f" by {onchain_view.replaced_by}"
    if not onchain_view.registrar_active:
        status_text += "; 登记机构已暂停 issuing registrar suspended"
    if onchain_view.disputed:
        status_text += "; 权属争议中 ownership disputed"
    elif status == "Active" and onchain_view.usability != "Usable":
        status_text += f"; 不可使用 not usable ({onchain_view.usability})"
    status_text += f" — as of {format_date(onchain_view.printed_at)} (UTC)"
    holder = onchain_view.holder_name or onchain_view.holder_org_id
    registrar = onchain_view.registrar_name or onchain_view.registrar_org_id
    rows: list[tuple[str, str, str, bool]] = [
        ("证书编号", "Certificate ID", cid, True),
        ("登记类型", "Registration kind",
         f"{KIND_ZH.get(onchain_view.kind, onchain_view.kind)} {onchain_view.kind}", False),
        ("持有单位", "Holder", holder, holder.startswith("0x")),
        ("数据资产编号", "Asset ID", onchain_view.asset_id, True),
        ("目录编码哈希", "Catalogue code hash", onchain_view.catalogue_hash, True),
        ("领域代码", "Domain code", str(onchain_view.domain_code), False),
        ("评估价值", "Assessed value", f"{format_yuan(onchain_view.value_fen)} 元 (yuan)", False),
        ("登记机构", "Issuing registrar", registrar, registrar.startswith("0x")),
        ("所在城市", "City", f"{zh_city} {en_city} ({onchain_view.city})", False),
        ("登记日期", "Issue date", format_date(onchain_view.issued_at), False),
        ("有效期至", "Valid until", format_date(onchain_view.valid_until), False),
        ("打印时状态", "Status at printing", status_text, False),
        ("签发账户", "Signer address", document.signer, True),
    ]  # fmt: skip
    if onchain_view.supersedes:
        rows.insert(2, ("替代证书", "Supersedes", onchain_view.supersedes, True))
    y = page_h - 190
    label_x, value_x = 60, 210
    for zh, en, value, mono in rows:
        w.text(label_x, y, zh, 11)
        w.text(label_x, y - 12, en, 8)
        size = 9.5 if mono else 11
        # shrink long values to the line
        while w.width(value, size, mono) > page_w - value_x - 50 and size > 6:
            size -= 0.5
        w.text(value_x, y - 4, value, size, mono)
        canvas.setStrokeColorRGB(0.85, 0.85, 0.85)
        canvas.setLineWidth(0.4)
        canvas.line(label_x, y - 18, page_w - 50, y - 18)
        y -= 30

    # signature (small), QR and verification text; the QR (a version 17 symbol with the
    # compact document) as large as the field rows leave room for
    qr_size = 150 if onchain_view.supersedes else 170
    qr_x, qr_y = page_w - 50 - qr_size, 70
    _qr(canvas, compact.qr_text(document, verify_url), qr_x, qr_y, qr_size)
    text_x = 60
    ty = qr_y + qr_size - 10
    w.text(text_x, ty, "扫码核验 · Scan to verify", 12)
    ty -= 14
    w.text(text_x, ty, "二维码内含登记机构签名的证书，无需网关即可核验真伪。", 8)
    ty -= 11
    w.text(text_x, ty, "The QR holds the signed certificate: checkable with no gateway.", 8)
    ty -= 14
    w.text(text_x, ty, "核验链接 Verification link:", 8)
    ty -= 11
    link_size = 7.0
    while w.width(verify_url, link_size, True) > qr_x - text_x - 10 and link_size > 4.5:
        link_size -= 0.25
    w.text(text_x, ty, verify_url, link_size, True)
    ty -= 16
    notes = [
        "本证书由登记机构以 EIP-712 签名，真实性以账本链上记录为准。",
        "Signed by the registrar (EIP-712); authentic only if the signed document",
        "verifies against the ledger:",
        f"registry {document.domain.verifyingContract}",
        f"chain id {document.domain.chainId}",
    ]
    for line in notes:
        w.text(text_x, ty, line, 8)
        ty -= 11
    w.text(text_x, ty - 4, "签名 Signature:", 7)
    sig = document.signature
    w.text(text_x, ty - 14, sig[:68], 6, True)
    w.text(text_x, ty - 22, sig[68:], 6, True)

    if status == "Revoked":
        _revoked_mark(canvas, w)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _revoked_mark(canvas: Canvas, w: _Writer) -> None:
    """A loud red 已撤销 / REVOKED stamp across the page, over the fields (translucent so
    they stay legible): a printout of a revoked certificate cannot pass for a valid one."""
    page_w, page_h = A4
    canvas.saveState()
    canvas.setFillColorRGB(0.85, 0.05, 0.05)
    canvas.setStrokeColorRGB(0.85, 0.05, 0.05)
    canvas.setFillAlpha(0.55)
    canvas.setStrokeAlpha(0.55)
    canvas.translate(page_w / 2, page_h / 2)
    canvas.rotate(32)
    canvas.setLineWidth(6)
    canvas.rect(-260, -95, 520, 215, stroke=1, fill=0)
    for text, size, y in (("已撤销", 110, 5.0), ("REVOKED", 64, -75.0)):
        w.text(-w.width(text, size) / 2, y, text, size)
    canvas.restoreState()
