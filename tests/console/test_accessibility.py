"""The accessibility walk: every role's workbench, in Chinese and in English, opened in
Debian's Chromium at 1366x768 with a city's work on it (an asset certified and in paid use,
one in public notice with an objection, a payment whose remittance is due, a pledge
request, a credit line, a recognition, a governance proposal). axe-core, from the
project's npm packages, is injected into each page and must report no serious or critical
violation. A screenshot of each workbench (Chinese) goes to ``docs/screenshots/``."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

from chain.accounts import Principal
from chain.paths import NODE_MODULES
from chain.runtime import LedgerRuntime
from chain.service import approvals, assets, certificates, financing, governance, orgs, revenue
from chain.txpipe import MINED, Operation
from tests.console.conftest import (
    BOOTSTRAP,
    NOTICE,
    Cast,
    admit_cast,
    build_app,
    start_runtime,
    wait_indexed,
)

pytestmark = pytest.mark.deep

CHROMIUM = Path("/usr/bin/chromium")
AXE = NODE_MODULES / "axe-core" / "axe.min.js"
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run",
]  # fmt: skip
HASH = "0x" + "cd" * 32
#: (who, workbench path, screenshot name) for every role.
WORKBENCHES = [
    ("holder", "/console/holder", "workbench-holder"),
    ("registrar", "/console/registrar", "workbench-registrar"),
    ("competent", "/console/review", "workbench-review"),
    ("finance", "/console/finance", "workbench-finance"),
    ("operator", "/console/operator", "workbench-operator"),
    ("merchant", "/console/merchant", "workbench-merchant"),
    ("exchange", "/console/exchange", "workbench-exchange"),
    ("bank", "/console/bank", "workbench-bank"),
    ("auditor", "/console/auditor", "workbench-auditor"),
    ("consortium", "/console/governance", "workbench-governance"),
    ("auditor", "/console/assets", "workbench-asset-search"),
]
CHARTED = {"/console/finance", "/console/auditor"}
#: (who, path, forms that must be on the page, screenshot name): the administration page
#: of a registrar's admin and of the consortium admin, before governance is handed over.
ADMIN_PAGES = [
    ("registrar-admin", "/console/admin",
     ("#create-user", "#terms form", "#own-compromise-form", "#activation form"),
     "admin-registrar"),
    ("consortium", "/console/admin", ("#create-user", "#activation form"), "admin-consortium"),
    ("registrar-admin", "/console/governance", ("#accept-form",), None),
]  # fmt: skip
#: The governance forms a registrar's admin proposes with once governance is handed over
#: (term bounds, a compromised key, a sweep), with a proposal open for approval.
GOVERNANCE_FORMS = ("#propose-form", "#bounds-form", "#compromise-form", "#sweep-form")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Scene:
    base: str
    app: FastAPI
    cast: Cast
    keys: dict[str, str]


def _mined(runtime: LedgerRuntime, op: Operation) -> None:
    done = runtime.txpipe.wait(op.id, 30)
    assert done.state == MINED, (done.error_code, done.error_detail)


def _admitted(runtime: LedgerRuntime, admin: Principal, kind: str, name: str) -> str:
    made = orgs.create_org(runtime, admin, orgs.OrgCreate(name=name, kind=kind))  # type: ignore[arg-type]
    _mined(runtime, made.operation)
    return made.resource_id


def _city_at_work(runtime: LedgerRuntime, cast: Cast, keys: dict[str, str]) -> None:
    """A day of a city's work, through the service layer."""
    boot = runtime.accounts.authenticate(BOOTSTRAP)
    assert boot is not None
    keys["consortium"] = BOOTSTRAP
    jinan = orgs.create_org(runtime, boot, orgs.OrgCreate(
        name="济南市数据资产登记评价中心", kind="registrar", city_code=370100))  # fmt: skip
    _mined(runtime, jinan.operation)
    _, admin_key = runtime.accounts.create_user(cast.orgs["registrar"], "管理员", "admin")
    admin = runtime.accounts.authenticate(admin_key)
    assert admin is not None
    for label, kind, name in (("merchant", "merchant", "青岛海纳数据科技有限公司"),
                              ("exchange", "exchange", "青岛数据交易所")):  # fmt: skip
        org_id = _admitted(runtime, admin, kind, name)
        _, keys[label] = runtime.accounts.create_user(org_id, f"{label} 经办人", "writer")
    holder, registrar = cast.principal("holder"), cast.principal("registrar")
    made = assets.register_asset(runtime, holder, assets.AssetCreate(
        catalogue_code="370200-JT-2025-0001", domain_code=7,
        metadata={"title": "城市交通分析数据资源集", "categories": 3, "items": 13}))  # fmt: skip
    _mined(runtime, made.operation)
    asset_id = made.resource_id
    notice = assets.register_asset(runtime, holder, assets.AssetCreate(
        catalogue_code="370200-JT-2025-0002", domain_code=7,
        metadata={"title": "出租车运营轨迹数据集"}))  # fmt: skip
    _mined(runtime, notice.operation)
    for aid in (asset_id, notice.resource_id):
        _mined(runtime, assets.record_valuation(runtime, registrar, aid, assets.ValuationIn(
            value_fen=125_000_000, method_code=1, report_hash=HASH)))  # fmt: skip
        _mined(
            runtime,
            assets.record_compliance(
                runtime, registrar, aid, assets.ComplianceIn(passed=True, report_hash=HASH)
            ),
        )
        if aid == asset_id:
            cast.advance(NOTICE + 1)
    issued = certificates.issue_certificate(runtime, registrar, asset_id)
    _mined(runtime, issued.operation)
    objection = assets.lodge_objection(runtime, cast.principal("operator"), notice.resource_id,
                                       assets.ObjectionIn(reason_hash=HASH))  # fmt: skip
    _mined(runtime, objection.operation)
    _mined(
        runtime,
        certificates.recognise(
            runtime, runtime.accounts.authenticate(keys["exchange"]), issued.resource_id
        ),
    )  # type: ignore[arg-type]
    applied = approvals.apply_for_paid_use(runtime, holder, asset_id, approvals.ApplicationCreate(
        operator_org_id=cast.orgs["operator"], scope={"purpose": "公交线网优化",
                                                      "term_months": 12}))  # fmt: skip
    _mined(runtime, applied.operation)
    yes = approvals.DecisionIn(approve=True)
    for label in ("competent", "dataadmin"):
        _mined(runtime, approvals.review_paid_use(runtime, cast.principal(label),
                                                  applied.resource_id, yes))  # fmt: skip
    finance = cast.principal("finance")
    _mined(runtime, approvals.decide_paid_use(runtime, finance, applied.resource_id, yes))
    _mined(runtime, revenue.set_schedule(runtime, finance, asset_id, [0, 10_000_000],
                                         [2000, 3500]))  # fmt: skip
    paid = revenue.record_offchain_payment(runtime, cast.principal("operator"), asset_id,
                                           8_000_000, "BOC-2026-0001")  # fmt: skip
    _mined(runtime, paid.operation)
    bank = cast.principal("bank")
    line = financing.record_credit_line(runtime, bank, asset_id, financing.CreditLineCreate(
        amount_fen=600_000_000, agreement_hash=HASH))  # fmt: skip
    _mined(runtime, line.operation)
    pledge = financing.request_pledge(runtime, holder, asset_id, financing.PledgeCreate(
        bank_org_id=cast.orgs["bank"], amount_fen=200_000_000, contract_hash=HASH))  # fmt: skip
    _mined(runtime, pledge.operation)


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scene]:
    runtime = start_runtime(tmp_path_factory.mktemp("a11y"))
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
        cast = admit_cast(runtime)
        keys = dict(cast.keys)
        _city_at_work(runtime, cast, keys)
        wait_indexed(app, runtime)
        yield Scene(f"http://127.0.0.1:{port}", app, cast, keys)
    finally:
        server.should_exit = True
        thread.join(15)


def _serious(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now."""
    page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
              .map(v => ({id: v.id, impact: v.impact, help: v.help,
                          nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}));
        }"""
    )
    return found


def _logged_in(browser: Any, base: str, key: str) -> Any:
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.goto(f"{base}/console/login")
    page.fill("input[name=api_key]", key)
    page.click("button.primary")
    page.wait_for_load_state("load")
    return page


def _walked(page: Any, base: str, path: str, label: str, forms: tuple[str, ...],
            report: dict[str, list[dict[str, Any]]]) -> None:  # fmt: skip
    """Open ``path`` in both languages, check ``forms`` are on it and run axe-core."""
    for lang in ("en", "zh"):
        answer = page.goto(f"{base}{path}?lang={lang}")
        assert answer is not None and answer.status == 200, (label, path, lang)
        for form in forms:
            assert page.locator(form).count() >= 1, (label, path, form)
        assert page.locator("main h1").count() == 1, (path, lang)
        report[f"{path} as {label} [{lang}]"] = _serious(page)


def test_every_workbench_passes_axe_in_both_languages(scene: Scene) -> None:
    from playwright.sync_api import sync_playwright

    assert AXE.is_file(), "npm ci installs axe-core (package.json)"
    SHOTS.mkdir(parents=True, exist_ok=True)
    report: dict[str, list[dict[str, Any]]] = {}
    walked = 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            contexts: dict[str, Any] = {}
            for label, path, shot in WORKBENCHES:
                if label not in contexts:
                    context = browser.new_context(viewport={"width": 1366, "height": 768})
                    page = context.new_page()
                    page.goto(f"{scene.base}/console/login")
                    if label == WORKBENCHES[0][0]:
                        for lang in ("zh", "en"):
                            page.goto(f"{scene.base}/console/login?lang={lang}")
                            report[f"/console/login [{lang}]"] = _serious(page)
                    page.fill("input[name=api_key]", scene.keys[label])
                    page.click("button.primary")
                    page.wait_for_load_state("load")
                    contexts[label] = page
                page = contexts[label]
                for lang in ("en", "zh"):
                    answer = page.goto(f"{scene.base}{path}?lang={lang}")
                    assert answer is not None and answer.status == 200, (label, path, lang)
                    if path in CHARTED:
                        page.wait_for_selector(".dashboard.charted", timeout=15_000)
                        assert page.locator(".echart svg").count() >= 3
                    assert page.locator("main h1").count() == 1, (path, lang)
                    report[f"{path} as {label} [{lang}]"] = _serious(page)
                    walked += 1
                page.screenshot(path=str(SHOTS / f"{shot}.png"), full_page=True)
        finally:
            browser.close()
    assert walked == 2 * len(WORKBENCHES)
    failing = {where: found for where, found in report.items() if found}
    assert failing == {}, json.dumps(failing, ensure_ascii=False, indent=1)


def test_the_admin_page_and_the_governance_forms_pass_axe(scene: Scene) -> None:
    """The administration page (users, the registrar's terms, its own key's compromise,
    the activation of organisations) of a registrar's admin and of the consortium admin;
    then, with governance handed to the registrars and a sweep proposed, the governance
    page of a registrar's admin with every form it proposes with (term bounds, a
    compromised key, a sweep) and the open proposal to approve."""
    from playwright.sync_api import sync_playwright

    runtime = scene.cast.runtime
    keys = dict(scene.keys)
    _, keys["registrar-admin"] = runtime.accounts.create_user(
        scene.cast.orgs["registrar"], "治理管理员", "admin"
    )
    report: dict[str, list[dict[str, Any]]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            pages = {label: _logged_in(browser, scene.base, keys[label])
                     for label in ("registrar-admin", "consortium")}  # fmt: skip
            for label, path, forms, shot in ADMIN_PAGES:
                _walked(pages[label], scene.base, path, label, forms, report)
                if shot:
                    pages[label].screenshot(path=str(SHOTS / f"{shot}.png"), full_page=True)
            boot = runtime.accounts.authenticate(BOOTSTRAP)
            admin = runtime.accounts.authenticate(keys["registrar-admin"])
            assert boot is not None and admin is not None
            handover = governance.HandoverIn(threshold=2)
            _mined(runtime, governance.begin_handover(runtime, boot, handover))
            _mined(runtime, governance.accept_handover(runtime, admin))
            sweep = governance.ProposalIn(kind="sweep", token="0x" + "11" * 20,
                                          to="0x" + "22" * 20)  # fmt: skip
            _mined(runtime, governance.propose(runtime, admin, sweep).operation)
            page = pages["registrar-admin"]
            _walked(page, scene.base, "/console/governance", "registrar-admin, handed over",
                    GOVERNANCE_FORMS, report)  # fmt: skip
            assert page.locator("#todo tbody tr").count() == 1  # the sweep, open
            page.screenshot(path=str(SHOTS / "workbench-governance-registrar.png"),
                            full_page=True)  # fmt: skip
        finally:
            browser.close()
    assert len(report) == 2 * (len(ADMIN_PAGES) + 1)
    failing = {where: found for where, found in report.items() if found}
    assert failing == {}, json.dumps(failing, ensure_ascii=False, indent=1)
