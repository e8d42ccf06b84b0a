"""Assets have names and every entity a page: the title and catalogue code the holder
typed are shown in lists and pages, search finds them (and the holder's name), ids are
shortened with a copy button and linked; revocation reaches the holder in words, the
revoked asset is not offered for paid use, and its certificate page and PDF say REVOKED."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from chain.service import assets, certificates, financing
from chain.txpipe import MINED, Operation
from tests.console.conftest import NOTICE, ConsoleWorld

HASH = "0x" + "cd" * 32
CODE = "370200-JT-2025-0001"
TITLE = "交通出行客流数据"


def _mined(world: ConsoleWorld, op: Operation) -> None:
    done = world.runtime.txpipe.wait(op.id, 30)
    assert done.state == MINED, (done.error_code, done.error_detail)


def _certify(world: ConsoleWorld, code: str, title: str) -> tuple[str, str]:
    runtime, cast = world.runtime, world.cast
    holder, registrar = cast.principal("holder"), cast.principal("registrar")
    made = assets.register_asset(runtime, holder, assets.AssetCreate(
        catalogue_code=code, domain_code=7, metadata={"title": title}))  # fmt: skip
    _mined(world, made.operation)
    value = assets.ValuationIn(value_fen=123_456_700, method_code=1, report_hash=HASH)
    _mined(world, assets.record_valuation(runtime, registrar, made.resource_id, value))
    review = assets.ComplianceIn(passed=True, report_hash=HASH)
    _mined(world, assets.record_compliance(runtime, registrar, made.resource_id, review))
    cast.advance(NOTICE + 1)
    issued = certificates.issue_certificate(runtime, registrar, made.resource_id)
    _mined(world, issued.operation)
    return made.resource_id, issued.resource_id


@pytest.fixture(scope="module")
def named(console: ConsoleWorld) -> dict[str, str]:
    """A revoked asset (the one with CODE), a certified one and a pledged one."""
    runtime, cast = console.runtime, console.cast
    revoked, revoked_cert = _certify(console, CODE, TITLE)
    body = certificates.RevocationIn(reason_code=3)
    _mined(console, certificates.revoke_certificate(runtime, cast.principal("registrar"),
                                                    revoked_cert, body))  # fmt: skip
    live, live_cert = _certify(console, "370200-GJ-2025-0002", "公交线路与站点")
    pledged, _ = _certify(console, "370200-GJ-2025-0003", "公交刷卡统计")
    pledge = financing.PledgeCreate(bank_org_id=cast.orgs["bank"], amount_fen=100_000,
                                    contract_hash=HASH)  # fmt: skip
    made = financing.request_pledge(runtime, cast.principal("holder"), pledged, pledge)
    _mined(console, made.operation)
    _mined(console, financing.confirm_pledge(runtime, cast.principal("bank"), made.resource_id))
    console.indexed()
    return {"revoked": revoked, "revoked_cert": revoked_cert, "live": live,
            "live_cert": live_cert, "pledged": pledged}  # fmt: skip


def _rows(html: str) -> dict[str, str]:
    """Holder table rows by asset name -> the row's status cell text."""
    out = {}
    for name, status in re.findall(
        r'<a href="/console/assets/0x[0-9a-f]{64}" class="asset-name">([^<]+)</a></td>'
        r'<td class="standing[^"]*">([^<]+)</td>', html):  # fmt: skip
        out[name] = status
    return out


def test_the_holder_sees_names_and_a_revoked_certificate_in_words(
    console: ConsoleWorld, named: dict[str, str]
) -> None:
    page = console.login("holder").get("/console/holder").text
    rows = _rows(page)
    assert rows[f"{TITLE}（{CODE}）"] == "证书已撤销"
    assert rows["公交线路与站点（370200-GJ-2025-0002）"] == "已发证"
    english = console.login("holder").get("/console/holder?lang=en").text
    assert _rows(english)[f"{TITLE}（{CODE}）"] == "certificate revoked"


def test_only_assets_in_force_are_offered_for_paid_use(
    console: ConsoleWorld, named: dict[str, str]
) -> None:
    page = console.login("holder").get("/console/holder").text
    select = re.search(r'<select name="asset_id">(.*?)</select>', page, re.S)
    assert select is not None
    offered = re.findall(r'<option value="(0x[0-9a-f]{64})">([^<]+)</option>', select.group(1))
    assert (named["live"], "公交线路与站点（370200-GJ-2025-0002）") in offered
    ids = {asset_id for asset_id, _ in offered}
    assert named["revoked"] not in ids and named["pledged"] not in ids


def test_search_finds_titles_codes_and_holder_names(
    console: ConsoleWorld, named: dict[str, str]
) -> None:
    client = console.login("bank")
    by_code = client.get(f"/console/assets?q={CODE}").text
    assert f"/console/assets/{named['revoked']}" in by_code
    assert f"/console/assets/{named['live']}" not in by_code
    by_word = client.get("/console/assets?q=交通").text  # the title and the holder's name
    for key in ("revoked", "live", "pledged"):
        assert f"/console/assets/{named[key]}" in by_word
    by_title = client.get("/console/assets?q=刷卡").text
    assert f"/console/assets/{named['pledged']}" in by_title
    assert f"/console/assets/{named['live']}" not in by_title
    assert "暂无记录" in client.get("/console/assets?q=不存在的名称").text


def test_every_entity_has_a_linked_page_with_short_ids_to_copy(
    console: ConsoleWorld, named: dict[str, str]
) -> None:
    client = console.login("bank")
    asset = client.get(f"/console/assets/{named['revoked']}")
    assert asset.status_code == 200
    html = asset.text
    assert f"<h1>{TITLE}</h1>" in html and CODE in html and "证书已撤销" in html
    assert "1,234,567.00" in html
    holder = console.cast.orgs["holder"]
    assert f'<a href="/console/orgs/{holder}">青岛市交通运输局</a>' in html
    cert = named["revoked_cert"]
    assert f'href="/console/certificates/{cert}" class="mono" title="{cert}">' in html
    assert f'data-copy="{named["revoked"]}"' in html  # the full id behind the copy button
    assert f"{cert[:8]}…{cert[-4:]}" in html
    cert_page = client.get(f"/console/certificates/{cert}").text
    assert "此证书已撤销，不再有效" in cert_page and "持有单位申请撤销" in cert_page
    link = f'href="/console/assets/{named["revoked"]}" class="asset-name">{TITLE}（{CODE}）'
    assert link in cert_page
    org = client.get(f"/console/orgs/{holder}").text
    assert "青岛市交通运输局" in org and f"/console/assets/{named['live']}" in org
    assert client.get(f"/console/assets/0x{'0' * 63}1").status_code == 404
    assert client.get("/console/assets/not-an-id").status_code == 422


def test_the_certificate_pdf_downloads_from_the_console_with_the_revoked_mark(
    console: ConsoleWorld, named: dict[str, str]
) -> None:
    client = console.login("holder")
    answer = client.get(f"/console/certificates/{named['revoked_cert']}/pdf")
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    assert "attachment" in answer.headers["content-disposition"]
    text = PdfReader(io.BytesIO(answer.content)).pages[0].extract_text()
    assert "REVOKED" in text and named["revoked_cert"] in text
    live = client.get(f"/console/certificates/{named['live_cert']}/pdf").content
    assert "REVOKED" not in PdfReader(io.BytesIO(live)).pages[0].extract_text()
    anonymous = console.browser().get(f"/console/certificates/{named['live_cert']}/pdf")
    assert anonymous.status_code == 303


def test_the_holder_requests_a_pledge_the_bank_sees_it_by_name(
    console: ConsoleWorld, named: dict[str, str]
) -> None:
    holder = console.login("holder")
    page = holder.get("/console/holder?lang=zh").text
    form = re.search(r'<form method="post" action="/console/holder/pledges".*?</form>', page, re.S)
    assert form and named["live"] in form.group(0) and named["revoked"] not in form.group(0)
    answer = holder.post("/console/holder/pledges", data={
        "asset_id": named["live"], "bank_org_id": console.cast.orgs["bank"],
        "amount_yuan": "50万", "contract_ref": "ZY-2025-01"})  # fmt: skip
    assert answer.status_code == 303, answer.text[-800:]
    op_id = answer.headers["location"].split("/")[3].split("?")[0]
    assert console.runtime.txpipe.wait(op_id, 30).state == MINED
    console.indexed()
    mine = holder.get("/console/holder?lang=zh").text
    pledges = mine[mine.index('id="todo"') : mine.index('id="pledges"')]  # awaits the bank
    assert "公交线路与站点（370200-GJ-2025-0002）" in pledges and "500,000.00 元" in pledges
    assert "/cancellation" in pledges
    bank = console.login("bank").get("/console/bank?lang=zh").text
    assert "公交线路与站点（370200-GJ-2025-0002）" in bank and "已申请" in bank
