"""The verify page's own words (Chinese and English): what may be dropped or scanned, and
where the checked document was found."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "zh": {
        "drop_any": "把证书 PDF、二维码照片或证书 JSON 文件拖到这里，或",
        "choose_file": "选择文件 / 拍摄二维码",
        "verify_help_any": "可输入证书编号；或上传证书 PDF、证书二维码的照片或截图、"
        "签名的证书文件（JSON）；或粘贴二维码内容。用手机相机扫描证书上的二维码会直接打开本页并核验其中的签名证书。",
        "paste_label": "证书文件（JSON）或二维码内容",
        "reading": "正在核验二维码中的签名证书…",
        "source_json": "核验的是：签名的证书文件（JSON）",
        "source_compact": "核验的是：证书二维码中携带的签名证书",
        "source_pdf-attachment": "核验的是：证书 PDF 中附带的签名证书文件",
        "source_pdf-keywords": "核验的是：证书 PDF 元数据中的签名证书",
        "source_pdf-qr": "核验的是：从证书 PDF 页面上的二维码读出的签名证书",
        "source_qr-image": "核验的是：从二维码图片中读出的签名证书",
    },
    "en": {
        "drop_any": "Drop the certificate PDF, a photo of its QR code or its JSON file here, or",
        "choose_file": "choose a file / photograph the QR",
        "verify_help_any": "Type the certificate number; or upload the certificate PDF, a photo "
        "or screenshot of its QR code, or the signed certificate file (JSON); or paste what "
        "the QR code holds. Scanning the certificate's QR code with a phone camera opens this "
        "page and checks the signed certificate it carries.",
        "paste_label": "Certificate file (JSON) or the QR code's text",
        "reading": "Checking the signed certificate in the QR code…",
        "source_json": "Checked: the signed certificate file (JSON)",
        "source_compact": "Checked: the signed certificate carried in the QR code",
        "source_pdf-attachment": "Checked: the signed certificate file attached to the PDF",
        "source_pdf-keywords": "Checked: the signed certificate in the PDF's metadata",
        "source_pdf-qr": "Checked: the signed certificate read from the QR code on the PDF's page",
        "source_qr-image": "Checked: the signed certificate read from the QR code picture",
    },
}


def texts(lang: str) -> dict[str, str]:
    return TEXTS.get(lang, TEXTS["zh"])
