"""The console in a real headless Chromium (Debian's ``/usr/bin/chromium`` driven by
playwright): log in as the holder, register an asset; as the registrar value it, pass
compliance, wait out the notice window, certify; verify the certificate; the holder applies
for paid use and the competent department and data administration review it; the
auditor's timeline and consistency report; the registrar revokes the certificate.
Lists come from the indexed store: after each mined write the test waits for the
gateway's indexer to catch up. Screenshots go to ``docs/screenshots/``."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI

from tests.console.conftest import (
    NOTICE,
    Cast,
    admit_cast,
    build_app,
    start_runtime,
    wait_indexed,
)

pytestmark = pytest.mark.deep

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run",
]  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Cast, FastAPI]]:
    runtime = start_runtime(tmp_path_factory.mktemp("browser"))
    port = _free_port()
    app = build_app(runtime)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline, "the console did not start"
        time.sleep(0.1)
    try:
        yield f"http://127.0.0.1:{port}", admit_cast(runtime), app
    finally:
        server.should_exit = True
        thread.join(15)


def _wait_mined(page, app: FastAPI, cast: Cast) -> None:  # type: ignore[no-untyped-def]
    """The operation page refreshes itself until mined; once the indexer caught up (the
    lists come from its store), continue."""
    page.wait_for_url(re.compile(r".*/console/operations/.*"))
    page.wait_for_selector("p.ok", timeout=30_000)
    wait_indexed(app, cast.runtime)
    page.click("a.button")


def _login(browser, base: str, key: str, home: str, lang: str = "zh"):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.goto(f"{base}/console/login?lang={lang}")
    page.fill("input[name=api_key]", key)
    page.click("button.primary")
    page.wait_for_url(f"{base}{home}")
    return context, page


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed")
def test_console_walks_an_asset_to_a_verified_certificate(
    served: tuple[str, Cast, FastAPI],
) -> None:
    from playwright.sync_api import sync_playwright

    base, cast, app = served
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            holder = browser.new_context(viewport={"width": 1200, "height": 800})
            page = holder.new_page()
            page.goto(f"{base}/console/login")
            assert "使用 API 密钥登录" in page.content()
            page.screenshot(path=str(SHOTS / "login.png"), full_page=True)
            page.fill("input[name=api_key]", cast.keys["holder"])
            page.click("button.primary")
            page.wait_for_url(f"{base}/console/holder")
            page.fill("input[name=catalogue_code]", "370200-JT-2025-0001")
            page.fill("input[name=title]", "城市交通分析数据资源集")
            page.click("#register-form button")
            _wait_mined(page, app, cast)
            page.wait_for_url(f"{base}/console/holder")
            assert page.locator("tr.asset-row").count() == 1
            assert "已登记" in page.content()
            page.screenshot(path=str(SHOTS / "holder-assets.png"), full_page=True)
            href = page.locator("tr.asset-row a.asset-name").get_attribute("href") or ""
            asset_id = href.rsplit("/", 1)[-1]
            assert re.fullmatch(r"0x[0-9a-f]{64}", asset_id), href
            assert "城市交通分析数据资源集（370200-JT-2025-0001）" in page.content()
            holder.close()

            registrar = browser.new_context(viewport={"width": 1200, "height": 900})
            page = registrar.new_page()
            page.goto(f"{base}/console/login")
            page.fill("input[name=api_key]", cast.keys["registrar"])
            page.click("button.primary")
            page.wait_for_url(f"{base}/console/registrar")
            page.screenshot(path=str(SHOTS / "registrar-queue.png"), full_page=True)
            page.fill("#to-value input[name=value_yuan]", "1250000")
            page.fill("#to-value input[name=report_ref]", "PG-2025-001")
            page.click("#to-value button")
            _wait_mined(page, app, cast)
            page.fill("#to-review input[name=report_ref]", "HG-2025-001")
            page.click("#to-review button")
            _wait_mined(page, app, cast)
            page.click("#to-certify button")  # the notice window is still open
            error = page.locator("p.error").inner_text()
            assert "公示期尚未结束" in error
            cast.advance(NOTICE + 1)
            page.goto(f"{base}/console/registrar")
            page.click("#to-certify button")
            _wait_mined(page, app, cast)
            page.click("a[href^='/verify?cert=']")
            page.wait_for_selector("#verdict")
            assert page.locator("#verdict .big").inner_text() == "有效"
            page.click("#verdict details.checks summary")
            verdict = page.locator("#verdict").inner_text()
            assert "城市交通分析数据资源集" in verdict and "签名有效" in verdict
            assert "签名人是发证登记中心在发证时有效的签名账户" in verdict
            page.screenshot(path=str(SHOTS / "verify-verdict.png"), full_page=True)
            page.goto(page.url + "&lang=en")
            assert page.locator("#verdict .big").inner_text() == "Valid"
            cert_url = page.url
            page.screenshot(path=str(SHOTS / "verify-verdict-en.png"), full_page=True)
            registrar.close()

            holder, page = _login(browser, base, cast.keys["holder"], "/console/holder")
            page.fill("input[name=purpose]", "交通出行分析")
            page.click("form[action='/console/holder/applications'] button")
            _wait_mined(page, app, cast)
            assert "已申请" in page.content()
            holder.close()

            competent, page = _login(browser, base, cast.keys["competent"], "/console/review")
            assert page.locator("#awaiting article.review").count() == 1
            assert "交通出行分析" in page.locator("#awaiting article.review").inner_text()
            page.screenshot(path=str(SHOTS / "review-queue.png"), full_page=True)
            page.click("#awaiting article.review form button")
            _wait_mined(page, app, cast)
            assert page.locator("#awaiting article.review").count() == 0
            competent.close()
            dataadmin, page = _login(browser, base, cast.keys["dataadmin"], "/console/review")
            page.click("#awaiting article.review form button")
            _wait_mined(page, app, cast)
            dataadmin.close()

            auditor, page = _login(browser, base, cast.keys["auditor"], "/console/auditor")
            assert "一致，未发现差异" in page.locator("#consistency").inner_text()
            page.screenshot(path=str(SHOTS / "auditor-dashboard.png"), full_page=True)
            page.fill("main input[name=q]", asset_id)
            page.click("main form.row-form button")
            page.wait_for_selector("ol.timeline li")
            timeline = page.locator("ol.timeline").inner_text()
            for event in ("ResourceRegistered", "AssetValued", "ComplianceReviewed",
                          "CertificateIssued", "PaidUseApplied", "PaidUseReviewed"):  # fmt: skip
                assert event in timeline
            assert "一致，未发现差异" in page.locator("#consistency").inner_text()
            page.screenshot(path=str(SHOTS / "auditor-timeline.png"), full_page=True)
            auditor.close()

            finance = browser.new_context(viewport={"width": 1200, "height": 900})
            page = finance.new_page()
            page.goto(f"{base}/console/login")
            page.fill("input[name=api_key]", cast.keys["finance"])
            page.click("button.primary")
            page.wait_for_url(f"{base}/console/finance")
            page.locator("details.schedule").first.evaluate("d => { d.open = true; }")
            page.fill("form[data-schedule] input[name=amount_yuan]", "300000")
            page.wait_for_function(
                "document.querySelector('[data-operator]').textContent.includes('90,000.00 元')"
            )
            page.screenshot(path=str(SHOTS / "finance-quote.png"), full_page=True)
            finance.close()
            registrar, page = _login(browser, base, cast.keys["registrar"], "/console/registrar")
            page.once("dialog", lambda dialog: dialog.accept())  # revoking asks once
            page.select_option("#certificates select[name=reason]", "registration_error")
            page.click("#certificates form.revoke button")
            _wait_mined(page, app, cast)
            row = page.locator("#certificates tr.cert-row").inner_text()
            assert "已撤销" in row and "登记信息有误" in row
            page.screenshot(path=str(SHOTS / "registrar-certificates.png"), full_page=True)
            registrar.close()

            phone = browser.new_context(viewport={"width": 375, "height": 740})
            page = phone.new_page()
            page.goto(cert_url.replace("&lang=en", "&lang=zh"))
            assert page.locator("#verdict .big").inner_text() == "已撤销 REVOKED"
            wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert wide <= 0, f"the verify page scrolls sideways by {wide}px on a phone"
            page.screenshot(path=str(SHOTS / "verify-revoked-phone.png"), full_page=True)
            phone.close()
            holder, page = _login(browser, base, cast.keys["holder"], "/console/holder")
            assert "证书已撤销" in page.locator("tr.asset-row").inner_text()
            page.goto(f"{base}/console/assets/{asset_id}")
            page.screenshot(path=str(SHOTS / "asset-page.png"), full_page=True)
            holder.close()

        finally:
            browser.close()
