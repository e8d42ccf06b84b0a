"""/verify for anyone: look a certificate up by its number (or a part of it), or drop
its document; a plain answer first (valid / REVOKED / not authentic) with the asset,
holder, registrar, value, term and recognising organisations; the technical checks
folded below; a tampered document is "not authentic", never "status: active"."""

from __future__ import annotations

import json
import re

import pytest

from chain.service import assets, certificates
from chain.txpipe import MINED, Operation
from tests.console.conftest import NOTICE, ConsoleWorld

HASH = "0x" + "aa" * 32


def _mined(world: ConsoleWorld, op: Operation) -> None:
    done = world.runtime.txpipe.wait(op.id, 30)
    assert done.state == MINED, (done.error_code, done.error_detail)


def _certify(world: ConsoleWorld, code: str, title: str) -> str:
    runtime, cast = world.runtime, world.cast
    holder, registrar = cast.principal("holder"), cast.principal("registrar")
    made = assets.register_asset(runtime, holder, assets.AssetCreate(
        catalogue_code=code, domain_code=7, metadata={"title": title}))  # fmt: skip
    _mined(world, made.operation)
    value = assets.ValuationIn(value_fen=250_000_000, method_code=1, report_hash=HASH)
    _mined(world, assets.record_valuation(runtime, registrar, made.resource_id, value))
    review = assets.ComplianceIn(passed=True, report_hash=HASH)
    _mined(world, assets.record_compliance(runtime, registrar, made.resource_id, review))
    cast.advance(NOTICE + 1)
    issued = certificates.issue_certificate(runtime, registrar, made.resource_id)
    _mined(world, issued.operation)
    return issued.resource_id


@pytest.fixture(scope="module")
def certs(console: ConsoleWorld) -> dict[str, str]:
    valid = _certify(console, "370200-JT-2025-0601", "出租车轨迹数据")
    revoked = _certify(console, "370200-JT-2025-0602", "共享单车订单数据")
    body = certificates.RevocationIn(reason_code=2)
    _mined(console, certificates.revoke_certificate(
        console.runtime, console.cast.principal("registrar"), revoked, body))  # fmt: skip
    console.indexed()
    return {"valid": valid, "revoked": revoked}


def _answer(html: str) -> str:
    match = re.search(r'<p class="big" role="status">([^<]+)</p>', html)
    assert match, html[-2000:]
    return match.group(1)


def test_a_certificate_number_typed_any_way_finds_the_certificate(
    console: ConsoleWorld, certs: dict[str, str]
) -> None:
    client = console.browser()
    cid = certs["valid"]
    for typed in (cid, cid.upper().replace("0X", "0x"), cid[2:], f" {cid[10:24]} "):
        page = client.get("/verify", params={"cert": typed})
        assert page.status_code == 200, (typed, page.text[-500:])
        assert _answer(page.text) == "有效", typed
    missing = client.get("/verify", params={"cert": "0x" + "ab" * 8})
    assert missing.status_code == 404 and "没有找到编号为" in missing.text
    short = client.get("/verify", params={"cert": "12ab"})
    assert short.status_code == 422 and "证书编号" in short.text


def test_a_valid_certificate_reads_valid_with_its_facts_and_folded_checks(
    console: ConsoleWorld, certs: dict[str, str]
) -> None:
    html = console.browser().get(f"/verify?cert={certs['valid']}").text
    assert _answer(html) == "有效"
    facts = html[html.index('<dl class="facts">') : html.index("</dl>")]
    for text in (
        "出租车轨迹数据（370200-JT-2025-0601）",
        "青岛市交通运输局",
        "青岛市数据资产登记评价中心",
        "2,500,000.00 元（250 万元）",
        "北京时间",
    ):
        assert text in facts, text
    folded = r'<details class="checks">\s*<summary>技术核验明细（\d+ 项，0 项未通过）'
    assert re.search(folded, html)
    english = console.browser().get(f"/verify?cert={certs['valid']}&lang=en").text
    assert _answer(english) == "Valid" and "CNY 2,500,000.00" in english


def test_a_revoked_certificate_reads_revoked_loudly(
    console: ConsoleWorld, certs: dict[str, str]
) -> None:
    html = console.browser().get(f"/verify?cert={certs['revoked']}").text
    assert _answer(html) == "已撤销 REVOKED"
    assert "请勿采信" in html and "登记信息有误" in html
    assert "共享单车订单数据" in html  # the facts of what was revoked


def test_a_tampered_document_reads_not_authentic_without_any_facts(
    console: ConsoleWorld, certs: dict[str, str]
) -> None:
    client = console.browser()
    page = client.get(f"/verify?cert={certs['valid']}").text
    raw = re.search(r"<textarea[^>]*>(.*?)</textarea>", page, re.S)
    assert raw
    document = json.loads(raw.group(1).replace("&#34;", '"').replace("&quot;", '"'))
    document["message"]["issuedAt"] = int(document["message"]["issuedAt"]) + 86_400
    tampered = client.post("/verify", data={"document": json.dumps(document)})
    assert tampered.status_code == 200
    assert _answer(tampered.text) == "不是真实的证书"
    assert "状态：有效" not in tampered.text and '<dl class="facts">' not in tampered.text
    assert "出租车轨迹数据" not in tampered.text
    upload = client.post("/verify", files={"upload": ("cert.json", json.dumps(document),
                                                      "application/json")})  # fmt: skip
    assert _answer(upload.text) == "不是真实的证书"
    garbage = client.post("/verify", data={"document": "not a certificate"})
    assert _answer(garbage.text) == "不是真实的证书"
