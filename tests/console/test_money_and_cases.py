"""Approvers decide with the facts (purpose, holder, operator, term on every review and
finance row); money as people write it: yuan typed with decimals or 万 become exact fen
on chain, schedules are a table of brackets in yuan and percent with the split quoted by
the contract, amounts shown in 元 and 万元; times in Beijing time with the zone shown."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from api.console import money
from chain.bindings.contracts import REGISTRY
from chain.errors import ValidationFailed
from chain.service import approvals, assets, revenue
from chain.service.common import chain_asset
from chain.txpipe import MINED, Operation
from tests.console.conftest import NOTICE, ConsoleWorld

HASH = "0x" + "ef" * 32


def _mined(world: ConsoleWorld, op: Operation) -> None:
    done = world.runtime.txpipe.wait(op.id, 30)
    assert done.state == MINED, (done.error_code, done.error_detail)


def _follow(world: ConsoleWorld, response: object) -> None:
    location = response.headers["location"]  # type: ignore[attr-defined]
    assert response.status_code == 303, response.text  # type: ignore[attr-defined]
    match = re.match(r"^/console/operations/([0-9a-f-]{36})", location)
    assert match, location
    op = world.runtime.txpipe.wait(match.group(1), 30)
    assert op.state == MINED, (op.error_code, op.error_detail)
    world.indexed()


def test_yuan_text_becomes_exact_fen() -> None:
    assert money.fen_of_yuan("1,250,000.50") == 125_000_050
    assert money.fen_of_yuan("125万") == 125_000_000
    assert money.fen_of_yuan("0.29") == 29  # 0.29 * 100 is 28.999... in binary floats
    big = "90,071,992,547,409.93"  # above 2**53 fen: a float cannot hold it
    assert money.fen_of_yuan(big) == 9_007_199_254_740_993
    assert float(big.replace(",", "")) * 100 != 9_007_199_254_740_993
    for bad in ("1.005", "-3", "abc", "1e400", "NaN"):
        with pytest.raises(ValidationFailed):
            money.fen_of_yuan(bad)
    assert money.bps_of_percent("35.5") == 3550 and money.bps_of_percent("20%") == 2000
    with pytest.raises(ValidationFailed):
        money.bps_of_percent("100.01")
    assert money.yuan(800_000) == "8,000.00 元"
    assert money.yuan(125_000_050) == "1,250,000.50 元（125.00005 万元）"
    assert money.yuan(125_000_050, "en") == "CNY 1,250,000.50"
    assert money.beijing(1_797_768_000) == "2026-12-20 20:00 北京时间"  # 12:00 UTC
    assert money.beijing(1_797_768_028, "en").endswith("Beijing time (UTC+8)")
    assert Decimal(money.plain_yuan(125_000_050)) == Decimal("1250000.5")


@pytest.fixture(scope="module")
def case(console: ConsoleWorld) -> dict[str, str]:
    """A certified asset valued through the console's form with a large exact amount, an
    uncertified one, and a paid-use application with purpose and term awaiting review."""
    runtime, cast = console.runtime, console.cast
    holder, registrar = cast.principal("holder"), cast.principal("registrar")
    made = assets.register_asset(runtime, holder, assets.AssetCreate(
        catalogue_code="370200-JT-2025-0500", domain_code=7,
        metadata={"title": "地铁客流统计"}))  # fmt: skip
    _mined(console, made.operation)
    asset_id = made.resource_id
    pending = assets.register_asset(runtime, holder, assets.AssetCreate(
        catalogue_code="370200-JT-2025-0501", domain_code=7,
        metadata={"title": "未发证的资源"}))  # fmt: skip
    _mined(console, pending.operation)
    console.indexed()
    valued = console.login("registrar").post(
        f"/console/registrar/assets/{asset_id}/valuation",
        data={"value_yuan": "90,071,992,547,409.93", "report_ref": "PG-1"})  # fmt: skip
    _follow(console, valued)
    review = assets.ComplianceIn(passed=True, report_hash=HASH)
    _mined(console, assets.record_compliance(runtime, registrar, asset_id, review))
    cast.advance(NOTICE + 1)
    from chain.service import certificates

    _mined(console, certificates.issue_certificate(runtime, registrar, asset_id).operation)
    applied = approvals.apply_for_paid_use(runtime, holder, asset_id, approvals.ApplicationCreate(
        operator_org_id=cast.orgs["operator"],
        scope={"purpose": "地铁客流预测产品", "term_months": 24}))  # fmt: skip
    _mined(console, applied.operation)
    console.indexed()
    return {"asset": asset_id, "pending": pending.resource_id, "app": applied.resource_id}


def test_the_valuation_typed_in_yuan_is_exact_on_chain(
    console: ConsoleWorld, case: dict[str, str]
) -> None:
    valued = (
        console.runtime.contract(REGISTRY)
        .events.AssetValued()
        .get_logs(from_block=0, argument_filters={"assetId": bytes.fromhex(case["asset"][2:])})
    )
    assert [int(e["args"]["valuation"]["valueFen"]) for e in valued] == [9_007_199_254_740_993]
    assert chain_asset(console.runtime, case["asset"])["valued"] is True
    page = console.login("bank").get(f"/console/assets/{case['asset']}").text
    assert "90,071,992,547,409.93 元（9,007,199,254.740993 万元）" in page


def _case_facts(html: str, app_id: str) -> str:
    start = html.index(f'href="/console/applications/{app_id}"')
    block = html[:start]
    return block[block.rindex('<article class="case') :]


def test_reviewers_and_finance_see_the_application_whole(
    console: ConsoleWorld, case: dict[str, str]
) -> None:
    competent = console.login("competent").get("/console/review").text
    facts = _case_facts(competent, case["app"])
    for text in (
        "地铁客流统计（370200-JT-2025-0500）",
        "青岛市交通运输局",
        "青岛公共数据运营有限公司",
        "地铁客流预测产品",
        "期限 24 个月",
        "北京时间",
    ):
        assert text in facts, text
    yes = approvals.DecisionIn(approve=True)
    for label in ("competent", "dataadmin"):
        _mined(console, approvals.review_paid_use(console.runtime, console.cast.principal(label),
                                                  case["app"], yes))  # fmt: skip
    console.indexed()
    finance = console.login("finance").get("/console/finance").text
    facts = _case_facts(finance, case["app"])
    for text in ("地铁客流预测产品", "期限 24 个月", "青岛公共数据运营有限公司"):
        assert text in facts, text
    assert facts.count("✔") == 3  # applied and both reviews done, finance to decide
    english = console.login("finance").get("/console/finance?lang=en").text
    assert "term 24 months" in _case_facts(english, case["app"])


def test_finance_edits_a_schedule_as_brackets_in_yuan_and_percent(
    console: ConsoleWorld, case: dict[str, str]
) -> None:
    client = console.login("finance")
    page = client.get("/console/finance").text
    assert f"/console/finance/assets/{case['asset']}/schedule" in page
    assert f"/console/finance/assets/{case['pending']}/schedule" not in page  # not certified
    assert "国库缴款凭证号" in page or "待缴国库款项" in page
    rows = {"lower_yuan": ["0", "100,000", "50万", "", ""],
            "operator_pct": ["20", "35.5", "50", "", ""]}  # fmt: skip
    quote = client.post("/console/finance/quote", data={**rows, "amount_yuan": "300000"})
    assert quote.status_code == 200, quote.text
    # 100,000 at 20% + 200,000 at 35.5% = 20,000 + 71,000
    assert quote.json() == {"operator": "91,000.00 元（9.1 万元）",
                            "treasury": "209,000.00 元（20.9 万元）"}  # fmt: skip
    wrong = client.post("/console/finance/quote",
                        data={"lower_yuan": ["0", "1.001"], "operator_pct": ["20", "30"],
                              "amount_yuan": "1"})  # fmt: skip
    assert wrong.status_code == 422 and "lower_yuan[2]" in wrong.json()["error"]
    denied = console.login("bank").post("/console/finance/quote",
                                        data={**rows, "amount_yuan": "1"})  # fmt: skip
    assert denied.status_code == 403
    _follow(console, client.post(f"/console/finance/assets/{case['asset']}/schedule", data=rows))
    (schedule,) = revenue.list_schedules(console.runtime, case["asset"])[-1:]
    assert list(schedule.lower_bounds) == [0, 10_000_000, 50_000_000]
    assert list(schedule.operator_bps) == [2000, 3550, 5000]
    shown = client.get("/console/finance").text
    assert "100,000.00 元（10 万元） → 35.5%" in shown


def test_a_refusal_reads_as_a_sentence_with_what_to_do_next(console: ConsoleWorld) -> None:
    runtime, cast = console.runtime, console.cast
    registrar = cast.principal("registrar")
    made = assets.register_asset(runtime, cast.principal("holder"), assets.AssetCreate(
        catalogue_code="370200-JT-2025-0502", domain_code=7,
        metadata={"title": "公示中"}))  # fmt: skip
    _mined(console, made.operation)
    value = assets.ValuationIn(value_fen=100_000, method_code=1, report_hash=HASH)
    _mined(console, assets.record_valuation(runtime, registrar, made.resource_id, value))
    review = assets.ComplianceIn(passed=True, report_hash=HASH)
    _mined(console, assets.record_compliance(runtime, registrar, made.resource_id, review))
    ends = int(chain_asset(runtime, made.resource_id)["noticeEndsAt"])
    client = console.login("registrar")
    early = client.post(f"/console/registrar/assets/{made.resource_id}/certificate")
    assert early.status_code == 409
    sentence = f"公示期至 {money.beijing(ends)} 结束，届时可发证。"
    assert sentence in early.text, early.text[-1500:]
    assert "reverted" not in early.text and "noticeEndsAt" not in early.text
    english = client.post(f"/console/registrar/assets/{made.resource_id}/certificate?lang=en")
    assert f"The notice period ends {money.beijing(ends, 'en')}" in english.text


def test_an_unknown_refusal_names_its_code_only() -> None:
    from api.console import i18n

    assert i18n.revert_sentence("zh", "BrandNewError", {"x": 1}) == (
        "链上操作失败（错误代码 BrandNewError）。"
    )
    done = i18n.operation_error_sentence(
        "zh", "NoticeWindowOpen", "the contract reverted with NoticeWindowOpen("
        "assetId=0x12, noticeEndsAt=1797768000)")  # fmt: skip
    assert done == (
        "公示期尚未结束，公示期满后才能发证。公示期至 2026-12-20 20:00 北京时间 结束，届时可发证。"
    )
