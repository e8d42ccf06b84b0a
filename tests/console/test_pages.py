"""The console over HTTP (no browser): login and session cookie, a page per role, the
asset walked to a certificate through forms, lists from the indexed store (and the lag
banner while it is behind), the auditor's consistency report, the review departments'
paid-use reviews, revocation, the verify page and errors as sentences."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import update

from api.console import i18n
from chain.errors import ContractRevert, NotAuthorised
from chain.indexer import event_audit
from chain.indexer.core import IndexerError
from chain.indexer.models import CertificateRow
from chain.service import assets, certificates
from chain.txpipe import MINED, Operation
from tests.console.conftest import NOTICE, ConsoleWorld


def _mined(console: ConsoleWorld, op: Operation) -> Operation:
    done = console.runtime.txpipe.wait(op.id, 30)
    assert done.state == MINED, (done.error_code, done.error_detail)
    return done


def _certified_asset(console: ConsoleWorld, code: str) -> tuple[str, str]:
    """An asset of the holder, registered, valued, reviewed and certified via the service
    layer; answers (asset id, certificate id) once the store has indexed it."""
    cast = console.cast
    holder, registrar = cast.principal("holder"), cast.principal("registrar")
    made = assets.register_asset(console.runtime, holder, assets.AssetCreate(
        catalogue_code=code, domain_code=7, metadata={"title": code}))  # fmt: skip
    _mined(console, made.operation)
    asset_id = made.resource_id
    valuation = assets.ValuationIn(value_fen=50_000_000, method_code=1,
                                   report_hash="0x" + "11" * 32)  # fmt: skip
    _mined(console, assets.record_valuation(console.runtime, registrar, asset_id, valuation))
    review = assets.ComplianceIn(passed=True, report_hash="0x" + "22" * 32)
    _mined(console, assets.record_compliance(console.runtime, registrar, asset_id, review))
    cast.advance(NOTICE + 1)
    issued = certificates.issue_certificate(console.runtime, registrar, asset_id)
    _mined(console, issued.operation)
    console.indexed()
    return asset_id, issued.resource_id


def _follow_operation(console: ConsoleWorld, client: TestClient, response: Response) -> str:
    """A write answers 303 to its operation page; wait for the receipt, check the page."""
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    match = re.match(r"^/console/operations/([0-9a-f-]{36})\?next=(/console/\w+)$", location)
    assert match, location
    op = console.runtime.txpipe.wait(match.group(1), 30)
    assert op.state == MINED, (op.error_code, op.error_detail)
    page = client.get(location)
    assert page.status_code == 200
    assert f"操作 {op.id} 已上链" in page.text
    assert 'http-equiv="refresh"' not in page.text
    console.indexed()  # the lists come from the store: wait until it caught up
    return match.group(2)


def test_login_page_renders_chinese_by_default_and_english_on_request(
    console: ConsoleWorld,
) -> None:
    client = console.browser()
    zh = client.get("/console/login")
    assert zh.status_code == 200 and "使用 API 密钥登录" in zh.text and 'lang="zh-CN"' in zh.text
    en = client.get("/console/login?lang=en")
    assert "Log in with your API key" in en.text
    assert "console_lang=en" in en.headers["set-cookie"]
    assert "Log in with your API key" in client.get("/console/login").text  # remembered


def test_login_with_a_bad_key_is_refused_with_a_sentence(console: ConsoleWorld) -> None:
    bad = {"api_key": "dal_nope0000_" + "x" * 30}
    response = console.browser().post("/console/login", data=bad)
    assert response.status_code == 401
    assert "API 密钥无效或已被吊销" in response.text
    assert "console_session" not in response.headers.get("set-cookie", "")


def test_login_sets_a_signed_httponly_strict_cookie_without_the_key(console: ConsoleWorld) -> None:
    client = console.browser()
    key = console.cast.keys["holder"]
    response = client.post("/console/login", data={"api_key": key})
    assert response.status_code == 303 and response.headers["location"] == "/console"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("console_session=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    # dal_<prefix>_<secret>: the secret itself may hold "_" (base64url)
    secret = key.split("_", 2)[2]
    assert len(secret) >= 32
    assert key not in cookie and secret not in cookie
    home = client.get("/console")
    assert home.status_code == 303 and home.headers["location"] == "/console/holder"


def test_pages_need_a_session_and_a_forged_cookie_is_refused(console: ConsoleWorld) -> None:
    client = console.browser()
    assert client.get("/console/holder").headers["location"] == "/console/login"
    client.cookies.set("console_session", "eyJ1IjoieCJ9.forged")
    assert client.get("/console/registrar").headers["location"] == "/console/login"


def test_logout_ends_the_session_even_for_a_copied_cookie(console: ConsoleWorld) -> None:
    client = console.login("auditor")
    copied = client.cookies["console_session"]
    response = client.post("/console/logout")
    assert response.status_code == 303 and 'console_session=""' in response.headers["set-cookie"]
    replay = console.browser()
    replay.cookies.set("console_session", copied)
    assert replay.get("/console/auditor").headers["location"] == "/console/login"
    assert "您已安全退出" in client.get("/console/login?out=1").text


def test_asset_walks_to_a_certificate_through_the_console(console: ConsoleWorld) -> None:
    holder = console.login("holder")
    page = holder.get("/console/holder")
    assert page.status_code == 200 and "我的数据资产" in page.text and "登记数据资源" in page.text
    response = holder.post("/console/holder/assets", data={
        "catalogue_code": "370200-JT-2025-0001", "domain_code": "7",
        "title": "城市交通分析数据资源集", "categories": "3", "items": "13"})  # fmt: skip
    assert _follow_operation(console, holder, response) == "/console/holder"
    listed = holder.get("/console/holder").text
    (asset_id,) = re.findall(r'href="/console/assets/(0x[0-9a-f]{64})"', listed)
    assert "已登记" in listed and "城市交通分析数据资源集（370200-JT-2025-0001）" in listed

    # registering the same catalogue code again: a sentence, not a stack trace
    again = holder.post("/console/holder/assets", data={
        "catalogue_code": "370200-JT-2025-0001", "domain_code": "7"})  # fmt: skip
    assert again.status_code == 409
    assert "该记录已经存在或与现有记录冲突" in again.text and "Traceback" not in again.text

    registrar = console.login("registrar")
    queue = registrar.get("/console/registrar")
    assert queue.status_code == 200 and "待价值评估" in queue.text and asset_id in queue.text
    value = registrar.post(
        f"/console/registrar/assets/{asset_id}/valuation",
        data={"value_yuan": "1250000", "report_ref": "PG-2025-001"},
    )
    _follow_operation(console, registrar, value)
    review = registrar.post(
        f"/console/registrar/assets/{asset_id}/compliance",
        data={"passed": "yes", "report_ref": "HG-2025-001"},
    )
    _follow_operation(console, registrar, review)
    queue = registrar.get("/console/registrar").text
    assert "公示中" in queue and "1,250,000.00" in queue

    early = registrar.post(f"/console/registrar/assets/{asset_id}/certificate")
    assert early.status_code == 409, early.status_code
    assert "公示期尚未结束" in early.text

    console.cast.advance(NOTICE + 1)
    certify = registrar.post(f"/console/registrar/assets/{asset_id}/certificate")
    _follow_operation(console, registrar, certify)
    listed = registrar.get("/console/registrar").text
    cert_ids = re.findall(r"/verify\?cert=(0x[0-9a-f]{64})", listed)
    assert cert_ids

    verify = console.browser().get(f"/verify?cert={cert_ids[0]}")
    assert verify.status_code == 200
    assert "有效" in verify.text and 'class="card verdict answer-valid valid"' in verify.text
    assert "签名有效，可恢复出文件所载签名人。" in verify.text
    assert "签名人是发证登记中心在发证时有效的签名账户" in verify.text
    en = console.browser().get(f"/verify?cert={cert_ids[0]}&lang=en")
    assert "The signature is valid and recovers to the document&#39;s signer." in en.text

    # the pasted document, tampered: invalid, with the failing reasons as sentences
    document = json.loads(
        re.search(r"<textarea[^>]*>(.*?)</textarea>", verify.text, re.S)
        .group(1)
        .replace("&#34;", '"')
        .replace("&quot;", '"')
    )  # type: ignore[union-attr]
    document["message"]["issuedAt"] = int(document["message"]["issuedAt"]) + 1
    tampered = console.browser().post("/verify", data={"document": json.dumps(document)})
    assert tampered.status_code == 200
    assert 'class="card verdict answer-not_authentic invalid"' in tampered.text
    assert "不是真实的证书" in tampered.text and "状态：有效" not in tampered.text
    assert "签名字段与链上" in tampered.text

    auditor = console.login("auditor")
    explorer = auditor.get(f"/console/auditor?q={asset_id}")
    assert explorer.status_code == 200
    for event in ("ResourceRegistered", "AssetValued", "ComplianceReviewed", "CertificateIssued"):
        assert event in explorer.text
    assert len(re.findall(r"0x[0-9a-f]{64}", explorer.text)) >= 5
    assert "/console/auditor/export" in explorer.text and "一致性报告" in explorer.text


def test_lists_come_from_the_store_and_show_the_lag_while_it_is_behind(
    console: ConsoleWorld,
) -> None:
    runner = console.app.state.indexer
    holder = console.login("holder")
    console.indexed()
    assert 'id="index-lag"' not in holder.get("/console/holder").text
    runner.stop()  # the store stops following the chain: a write is mined, not indexed
    try:
        made = assets.register_asset(console.runtime, console.cast.principal("holder"),
                                     assets.AssetCreate(catalogue_code="370200-JT-2025-0900",
                                                        domain_code=7, metadata={}))  # fmt: skip
        op = _mined(console, made.operation)
        head = console.runtime.w3.eth.block_number
        page = holder.get("/console/holder").text
        assert made.resource_id not in page  # not in the store yet
        lag = re.search(r'id="index-lag">([^<]*)<', page)
        assert lag and f"链上最新区块 {head}" in lag.group(1)
        en = holder.get("/console/holder?lang=en").text
        assert re.search(rf"indexed up to block \d+ of {head}", en)
        # the operation page says the lists follow once the index reaches its block
        op_page = holder.get(f"/console/operations/{op.id}?next=/console/holder&lang=zh").text
        assert f"列表将在索引库追上区块 {op.block_number} 后显示此操作" in op_page
        # the auditor searching the exact id gets the chain's answer meanwhile
        auditor = console.login("auditor")
        found = auditor.get(f"/console/auditor?q={made.resource_id}").text
        assert "该资产已在链上（状态：已登记），索引库尚未收录" in found
    finally:
        runner.start()
    console.indexed()
    page = holder.get("/console/holder").text
    assert made.resource_id in page and 'id="index-lag"' not in page
    # search in the store: part of the asset id
    auditor = console.login("auditor")
    found = auditor.get(f"/console/auditor?q={made.resource_id[2:14]}").text
    assert "ResourceRegistered" in found and made.resource_id in found


def test_auditor_page_renders_the_consistency_report(console: ConsoleWorld) -> None:
    asset_id, cert_id = _certified_asset(console, "370200-JT-2025-0901")
    auditor = console.login("auditor")
    zh = auditor.get("/console/auditor?lang=zh")
    assert zh.status_code == 200
    assert 'id="consistency"' in zh.text and "一致，未发现差异" in zh.text
    status = console.app.state.indexer.status()
    assert f"在已索引的区块 {status['indexed_block']} 上" in zh.text
    en = auditor.get("/console/auditor?lang=en").text
    assert "consistent, no differences." in en and "certificates" in en
    for export in ("csv", "jsonl"):
        assert f"/console/auditor/export?format={export}" in en
    # the asset's page: history from the store, the status on chain beside it
    one = auditor.get(f"/console/auditor?q={asset_id}&lang=en").text
    assert "CertificateIssued" in one and "on chain now: certified" in one

    # a store that disagrees with the chain is reported, difference by difference
    with console.app.state.indexer_store() as session:
        session.execute(update(CertificateRow).where(CertificateRow.certificate_id == cert_id)
                        .values(status="revoked"))  # fmt: skip
        session.commit()
    try:
        bad = auditor.get("/console/auditor?lang=zh").text
        # the view (certificateStatus) and the stored row (against the replayed events)
        assert "发现 2 处差异" in bad and "证书状态" in bad and "索引行被改动" in bad
        assert len(re.findall(r"<td>revoked</td><td>active</td>", bad)) == 2
        assert "idx_certificates" in bad and "<td>status</td>" in bad
        assert "2 differences found." in auditor.get("/console/auditor?lang=en").text
        key = console.cast.keys["auditor"]
        api = auditor.get("/v1/audit/consistency", headers={"Authorization": f"Bearer {key}"})
        assert api.status_code == 200
        assert [(d["kind"], d.get("table"), d.get("field")) for d in api.json()["differences"]] == [
            ("certificate_status", None, None),
            ("row", "idx_certificates", "status"),
        ]
    finally:
        with console.app.state.indexer_store() as session:
            session.execute(update(CertificateRow).where(CertificateRow.certificate_id == cert_id)
                            .values(status="active"))  # fmt: skip
            session.commit()
    assert "一致，未发现差异" in auditor.get("/console/auditor?lang=zh").text


def test_consistency_check_answers_503_when_the_chain_fails_it(
    console: ConsoleWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    _certified_asset(console, "370200-JT-2025-0905")

    def refuse(self: event_audit.ChainLogs, numbers: Any) -> Any:
        raise IndexerError("eth_getBlockByNumber failed: {'code': -32005}")

    monkeypatch.setattr(event_audit.ChainLogs, "headers", refuse)
    key = console.cast.keys["auditor"]
    answer = console.client.get("/v1/audit/consistency", headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code == 503
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert "-32005" in answer.json()["detail"]


def test_review_departments_review_paid_use_then_finance_decides(console: ConsoleWorld) -> None:
    asset_id, _ = _certified_asset(console, "370200-JT-2025-0902")
    holder = console.login("holder")
    apply = holder.post("/console/holder/applications", data={
        "asset_id": asset_id, "operator_org_id": console.cast.orgs["operator"],
        "purpose": "交通出行分析"})  # fmt: skip
    _follow_operation(console, holder, apply)
    listed = holder.get("/console/holder").text
    assert "已申请" in listed

    competent = console.login("competent")
    assert competent.get("/console").headers["location"] == "/console/review"
    page = competent.get("/console/review").text
    assert "待本部门审核的有偿使用申请" in page and "主管部门审核" in page
    (app_id,) = re.findall(r"/console/review/applications/(0x[0-9a-f]{64})/review", page)
    review = competent.post(f"/console/review/applications/{app_id}/review",
                            data={"approve": "yes"})  # fmt: skip
    assert _follow_operation(console, competent, review) == "/console/review"
    page = competent.get("/console/review").text
    assert f"/console/review/applications/{app_id}/review" not in page  # reviewed
    again = competent.post(f"/console/review/applications/{app_id}/review", data={"approve": "yes"})
    assert again.status_code == 409 and "您的单位已审核过此申请" in again.text

    dataadmin = console.login("dataadmin")
    page = dataadmin.get("/console/review?lang=en").text
    assert "Review by the data administration" in page
    assert f"/console/review/applications/{app_id}/review" in page  # still awaits this one
    assert "审核" in dataadmin.get("/console/review?lang=zh").text  # back to Chinese
    review = dataadmin.post(f"/console/review/applications/{app_id}/review",
                            data={"approve": "yes"})  # fmt: skip
    _follow_operation(console, dataadmin, review)

    finance = console.login("finance")
    page = finance.get("/console/finance").text
    assert f"/console/finance/applications/{app_id}/approval" in page
    decide = finance.post(f"/console/finance/applications/{app_id}/approval",
                          data={"approve": "yes"})  # fmt: skip
    _follow_operation(console, finance, decide)
    assert (
        f"/console/finance/applications/{app_id}/approval"
        not in finance.get("/console/finance").text
    )
    assert "已批准" in holder.get("/console/holder").text
    # the holder, bank or registrar cannot review
    denied = holder.post(f"/console/review/applications/{app_id}/review", data={"approve": "no"})
    assert denied.status_code == 403 and "无权" in denied.text


def test_a_rejected_review_closes_the_application(console: ConsoleWorld) -> None:
    asset_id, _ = _certified_asset(console, "370200-JT-2025-0911")
    holder = console.login("holder")
    apply = holder.post("/console/holder/applications", data={
        "asset_id": asset_id, "operator_org_id": console.cast.orgs["operator"]})  # fmt: skip
    _follow_operation(console, holder, apply)
    dataadmin = console.login("dataadmin")
    page = dataadmin.get("/console/review").text
    (app_id,) = re.findall(r"/console/review/applications/(0x[0-9a-f]{64})/review", page)
    reject = dataadmin.post(f"/console/review/applications/{app_id}/review",
                            data={"approve": "no", "reason": "SC-2025-007"})  # fmt: skip
    _follow_operation(console, dataadmin, reject)
    competent = console.login("competent").get("/console/review").text
    assert f"/console/review/applications/{app_id}/review" not in competent
    assert "已驳回" in competent


def test_registrar_revokes_a_certificate(console: ConsoleWorld) -> None:
    asset_id, cert_id = _certified_asset(console, "370200-JT-2025-0904")
    registrar = console.login("registrar")
    page = registrar.get("/console/registrar").text
    action = f"/console/registrar/certificates/{cert_id}/revocation"
    assert action in page and "撤销后证书将永久失效" in page
    # another registrar's user cannot: only the issuing registrar revokes
    bank = console.login("bank")
    assert bank.post(action, data={"reason": "registration_error"}).status_code == 403
    assert '<option value="holder_request">持有单位申请撤销</option>' in page
    assert '<option value="disposed">' not in page  # disposal revokes on its own
    refused = registrar.post(action, data={"reason": "disposed"})
    assert refused.status_code == 422 and "choose a revocation reason from the list" in refused.text
    revoke = registrar.post(action, data={"reason": "holder_request"})
    _follow_operation(console, registrar, revoke)
    page = registrar.get("/console/registrar").text
    assert action not in page
    row = re.search(rf'title="{cert_id}".*?</tr>', page, re.S)
    assert row and "已撤销" in row.group(0) and "持有单位申请撤销" in row.group(0)
    verify = console.browser().get(f"/verify?cert={cert_id}")
    assert 'class="card verdict answer-revoked invalid"' in verify.text
    assert "已撤销 REVOKED" in verify.text and "撤销原因: 持有单位申请撤销" in verify.text
    again = registrar.post(action, data={"reason": "registration_error"})
    assert again.status_code == 409 and "该证书已不处于有效状态" in again.text
    auditor = console.login("auditor")
    history = auditor.get(f"/console/auditor?q={asset_id}").text
    assert "CertificateRevoked" in history and "一致，未发现差异" in history


def test_finance_and_bank_pages_render(console: ConsoleWorld) -> None:
    finance = console.login("finance").get("/console/finance?lang=en")
    assert finance.status_code == 200
    assert "Paid-use applications awaiting approval" in finance.text
    assert "Revenue split schedules" in finance.text and "Bracket starts at (yuan)" in finance.text
    bank = console.login("bank").get("/console/bank")
    assert bank.status_code == 200 and "质押" in bank.text


def test_split_quote_used_by_the_finance_page_answers(console: ConsoleWorld) -> None:
    body = {"lower_bounds": [0, 10_000_000, 50_000_000], "operator_bps": [2000, 3500, 5000],
            "amount": 30_000_000}  # fmt: skip
    response = console.client.post("/v1/split/quote", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["operator_share"] == 9_000_000


def test_revoked_user_is_logged_out(console: ConsoleWorld) -> None:
    org = console.cast.orgs["bank"]
    user, key = console.runtime.accounts.create_user(org, "temporary", "writer")
    client = console.browser()
    assert client.post("/console/login", data={"api_key": key}).status_code == 303
    assert client.get("/console/bank").status_code == 200
    console.runtime.accounts.revoke_user(user.id)
    assert client.get("/console/bank").headers["location"] == "/console/login"


def test_errors_are_sentences_in_both_languages() -> None:
    revert = ContractRevert("NoticeWindowOpen", {"assetId": "0x" + "00" * 32})
    assert i18n.error_sentence("zh", revert).startswith("公示期尚未结束")
    assert i18n.error_sentence("en", revert).startswith("The public notice period has not ended")
    unknown = ContractRevert("SomethingNew")
    assert i18n.error_sentence("en", unknown) == (
        "The operation on chain failed (error code SomethingNew)."
    )
    denied = NotAuthorised("registering a data resource is done by a holder")
    assert i18n.error_sentence("zh", denied).startswith("您的单位或角色无权执行此操作。")
    assert set(i18n.STRINGS["zh"]) == set(i18n.STRINGS["en"])
    assert set(i18n.ERRORS["zh"]) == set(i18n.ERRORS["en"])
    assert set(i18n.REASONS["zh"]) == set(i18n.REASONS["en"])


def test_form_values_outside_what_the_use_case_takes_are_a_sentence_not_a_500(
    console: ConsoleWorld,
) -> None:
    registrar = console.login("registrar")
    block = console.runtime.w3.eth.block_number
    asset_id = "0x" + "11" * 32
    response = registrar.post(f"/console/registrar/assets/{asset_id}/valuation",
                              data={"value_yuan": "1e40", "report_ref": "PG-1"})  # fmt: skip
    assert response.status_code == 422, response.text[:300]
    assert "value_yuan" in response.text and "Traceback" not in response.text
    huge = {"value_yuan": "1" + "0" * 40, "report_ref": "PG-1"}
    too_large = registrar.post(f"/console/registrar/assets/{asset_id}/valuation", data=huge)
    assert too_large.status_code == 422 and "value_fen" in too_large.text
    assert console.runtime.w3.eth.block_number == block
