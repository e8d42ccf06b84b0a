"""/verify on a phone in a real headless Chromium (Debian's ``/usr/bin/chromium``): the QR's
link opens the page, whose script checks the signed document in the fragment; a PDF chosen
in the file input is checked at once; no sideways scrolling at 375 px. Screenshots go to
``docs/screenshots/verify-phone-*.png``."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from chain import compact
from tests.console.conftest import ConsoleWorld
from tests.console.test_browser import ARGS, CHROMIUM, _free_port
from tests.verify.conftest import Printed

pytestmark = pytest.mark.deep

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PHONE = {"width": 375, "height": 812}


@pytest.fixture(scope="module")
def base(console: ConsoleWorld) -> Iterator[str]:
    """The console's app (already started by the fixture's client) served over HTTP."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(console.app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline, "the gateway did not start"
        time.sleep(0.1)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)


def _no_sideways_scroll(page) -> None:  # type: ignore[no-untyped-def]
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1] == PHONE["width"], widths


def test_scanning_the_qr_and_dropping_the_pdf_on_a_phone(
    base: str, printed: dict[str, Printed], tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    valid, revoked = printed["valid"], printed["revoked"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            phone = browser.new_context(viewport=PHONE, is_mobile=True)
            page = phone.new_page()
            link = compact.qr_text(valid.document, f"{base}/verify?cert={valid.certificate_id}")
            page.goto(link)
            page.wait_for_selector('[data-source="compact"]', timeout=30_000)
            assert page.inner_text("p.big") == "有效"
            assert "#d=" not in page.url
            assert "公交刷卡数据" in page.inner_text("dl.facts")
            _no_sideways_scroll(page)
            page.screenshot(path=str(SHOTS / "verify-phone-qr.png"), full_page=True)

            link = compact.qr_text(revoked.document, f"{base}/verify")
            page = phone.new_page()  # the camera opens each scan in a new tab
            page.goto(link)
            page.wait_for_selector('[data-source="compact"]', timeout=30_000)
            assert page.inner_text("p.big") == "已撤销 REVOKED"
            _no_sideways_scroll(page)
            page.screenshot(path=str(SHOTS / "verify-phone-revoked.png"), full_page=True)

            document = tmp_path / "certificate.pdf"
            document.write_bytes(valid.pdf)
            page.goto(f"{base}/verify?lang=en")
            _no_sideways_scroll(page)
            page.set_input_files("input[name=upload]", str(document))
            page.wait_for_selector('[data-source="pdf-attachment"]', timeout=30_000)
            assert page.inner_text("p.big") == "Valid"
            _no_sideways_scroll(page)
        finally:
            browser.close()
