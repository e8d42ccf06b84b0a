"""The remaining workbench screens, used as their people use them: each form is posted
from the console, the chain's record and the indexed page are checked afterwards, and an
organisation of the wrong kind or of another city gets the refusal the API gives it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from chain.bindings.enums import (
    ApplicationStatus,
    AssetStatus,
    FinancingKind,
    FinancingStatus,
    ObjectionStatus,
)
from chain.service import assets, orgs
from chain.service.common import USE_AND_FINANCE, chain_asset, chain_certificate, struct
from chain.service.common import b32 as to_b32
from chain.txpipe import MINED
from tests.console.conftest import BOOTSTRAP, ConsoleWorld
from tests.console.test_gates import HASH, JINAN, _admit, _certified, _mined

JINAN_CAST = {"jn-holder": ("holder", "济南市交通运输局"), "jn-bank": ("bank", "济南银行")}


@dataclass
class World:
    console: ConsoleWorld
    keys: dict[str, str] = field(default_factory=dict)
    sessions: dict[str, TestClient] = field(default_factory=dict)

    def session(self, label: str) -> TestClient:
        if label not in self.sessions:
            client = self.console.browser()
            answer = client.post("/console/login", data={"api_key": self.keys[label]})
            assert answer.status_code == 303, answer.text
            self.sessions[label] = client
        return self.sessions[label]

    def api(self, label: str, method: str, path: str, body: object = None) -> Response:
        headers = {"Authorization": f"Bearer {self.keys[label]}"}
        return self.console.browser().request(method, path, json=body, headers=headers)

    def post(self, label: str, path: str, form: dict[str, str]) -> Response:
        """Post a console form; a write that goes through is followed until mined and
        indexed."""
        answer = self.session(label).post(path, data=form)
        if answer.status_code == 303 and "/console/operations/" in answer.headers["location"]:
            op_id = answer.headers["location"].split("/")[3].split("?")[0]
            op = self.console.runtime.txpipe.wait(op_id, 30)
            assert op.state == MINED, (op.error_code, op.error_detail)
            self.console.indexed()
        return answer

    def page(self, label: str, path: str) -> str:
        answer = self.session(label).get(path)
        assert answer.status_code == 200, answer.text[-500:]
        return answer.text


@pytest.fixture(scope="module")
def world(console: ConsoleWorld) -> World:
    runtime = console.runtime
    w = World(console, keys=dict(console.cast.keys))
    boot = runtime.accounts.authenticate(BOOTSTRAP)
    assert boot is not None
    made = orgs.create_org(runtime, boot, orgs.OrgCreate(
        name="济南市数据资产登记评价中心", kind="registrar", city_code=JINAN))  # fmt: skip
    _mined(console, made.operation)
    _, admin_key = runtime.accounts.create_user(made.resource_id, "管理员", "admin")
    _, w.keys["jn-registrar"] = runtime.accounts.create_user(made.resource_id, "经办人", "writer")
    jinan_admin = runtime.accounts.authenticate(admin_key)
    assert jinan_admin is not None
    _admit(console, jinan_admin, JINAN_CAST, w.keys)
    console.indexed()
    return w


def _refused_alike(w: World, label: str, console_path: str, form: dict[str, str],
                   api_path: str, body: object = None) -> None:  # fmt: skip
    """The console refuses ``label`` exactly as the API does (403), with a sentence."""
    ours = w.post(label, console_path, form)
    theirs = w.api(label, "POST", api_path, body)
    assert theirs.status_code == 403, theirs.text
    assert ours.status_code == 403, ours.text[-500:]
    assert 'role="alert"' in ours.text and "revert" not in ours.text.lower()


def _todo(html: str) -> str:
    match = re.search(r'<section class="card" id="todo".*?</section>', html, re.S)
    assert match
    return match.group(0)


def test_holder_withdraws_a_pending_application_and_a_pledge_request(world: World) -> None:
    runtime, cast = world.console.runtime, world.console.cast
    asset_id, _ = _certified(world.console, "370200-JT-2025-8001")
    applied = world.post("holder", "/console/holder/applications", {
        "asset_id": asset_id, "operator_org_id": cast.orgs["operator"],
        "purpose": "公交线网优化", "term_months": "12"})  # fmt: skip
    assert applied.status_code == 303
    pledged = world.post("holder", "/console/holder/pledges", {
        "asset_id": asset_id, "bank_org_id": cast.orgs["bank"], "amount_yuan": "50万",
        "contract_ref": "ZY-2026-001"})  # fmt: skip
    assert pledged.status_code == 303
    todo = _todo(world.page("holder", "/console/holder?lang=zh"))
    app_id = re.search(r"/console/holder/applications/(0x[0-9a-f]{64})/cancellation", todo)
    pledge_id = re.search(r"/console/holder/pledges/(0x[0-9a-f]{64})/cancellation", todo)
    assert app_id and pledge_id, todo
    assert "公交线网优化" in todo and "500,000.00 元（50 万元）" in todo
    # another city's holder is refused as by the API, and nothing changes
    _refused_alike(world, "jn-holder", f"/console/holder/applications/{app_id[1]}/cancellation",
                   {}, f"/v1/applications/{app_id[1]}/cancellation")  # fmt: skip
    _refused_alike(world, "bank", f"/console/holder/pledges/{pledge_id[1]}/cancellation", {},
                   f"/v1/pledges/{pledge_id[1]}/cancellation")  # fmt: skip
    for path in (f"/console/holder/applications/{app_id[1]}/cancellation",
                 f"/console/holder/pledges/{pledge_id[1]}/cancellation"):  # fmt: skip
        assert world.post("holder", path, {}).status_code == 303
    app = struct(runtime, "application", to_b32(app_id[1]), contract=USE_AND_FINANCE)
    assert int(app["status"]) == ApplicationStatus.Cancelled
    pledge = struct(runtime, "financing", to_b32(pledge_id[1]), contract=USE_AND_FINANCE)
    assert int(pledge["status"]) == FinancingStatus.Cancelled
    html = world.page("holder", "/console/holder?lang=zh")
    assert app_id[1] not in _todo(html) and pledge_id[1] not in _todo(html)
    done = html[html.index('id="done"') :]
    assert f"/console/applications/{app_id[1]}" in done and "已撤回" in done


def test_holder_requests_disposal_and_the_registrar_confirms_it(world: World) -> None:
    runtime = world.console.runtime
    asset_id, certificate_id = _certified(world.console, "370200-JT-2025-8002")
    world.console.indexed()
    form = {"asset_id": asset_id, "decision_ref": "青交发〔2026〕12号"}
    _refused_alike(world, "jn-holder", "/console/holder/disposals", form,
                   f"/v1/assets/{asset_id}/disposal", {"reason_hash": HASH})  # fmt: skip
    assert world.post("holder", "/console/holder/disposals", form).status_code == 303
    requested = runtime.contract(USE_AND_FINANCE).functions.disposalRequest(
        to_b32(asset_id)).call()  # fmt: skip
    assert int.from_bytes(requested, "big") != 0
    assert "等待登记机构确认" in _todo(world.page("holder", "/console/holder?lang=zh"))
    registrar = world.page("registrar", "/console/registrar?lang=zh")
    confirm = f"/console/registrar/assets/{asset_id}/disposal"
    assert confirm in registrar
    _refused_alike(world, "jn-registrar", confirm, {},
                   f"/v1/assets/{asset_id}/disposal/confirmation")  # fmt: skip
    assert world.post("registrar", confirm, {}).status_code == 303
    assert int(chain_asset(runtime, asset_id)["status"]) == AssetStatus.Disposed
    assert int(chain_certificate(runtime, certificate_id)["revocationReason"]) == 1  # disposed
    assert confirm not in world.page("registrar", "/console/registrar?lang=zh")
    mine = world.page("holder", f"/console/assets/{asset_id}?lang=zh")
    assert "已处置" in mine


def test_registrar_dismisses_an_objection_lodged_during_notice(world: World) -> None:
    runtime, cast = world.console.runtime, world.console.cast
    holder, registrar = cast.principal("holder"), cast.principal("registrar")
    made = assets.register_asset(
        runtime,
        holder,
        assets.AssetCreate(
            catalogue_code="370200-JT-2025-8003", domain_code=7, metadata={"title": "出租车轨迹"}
        ),
    )
    _mined(world.console, made.operation)
    asset_id = made.resource_id
    _mined(world.console, assets.record_valuation(runtime, registrar, asset_id, assets.ValuationIn(
        value_fen=80_000_000, method_code=1, report_hash=HASH)))  # fmt: skip
    _mined(
        world.console,
        assets.record_compliance(
            runtime, registrar, asset_id, assets.ComplianceIn(passed=True, report_hash=HASH)
        ),
    )
    lodged = assets.lodge_objection(runtime, cast.principal("operator"), asset_id,
                                    assets.ObjectionIn(reason_hash=HASH))  # fmt: skip
    _mined(world.console, lodged.operation)
    world.console.indexed()
    page = world.page("registrar", "/console/registrar?lang=zh")
    section = page[page.index('id="objections"') : page.index('id="disputes"')]
    assert lodged.resource_id in section and "出租车轨迹" in section
    assert "青岛公共数据运营有限公司" in section  # the objector by name
    path = f"/console/registrar/objections/{lodged.resource_id}/resolution"
    form = {"upheld": "no", "resolution_ref": "青登异〔2026〕3号"}
    _refused_alike(world, "jn-registrar", path, form,
                   f"/v1/objections/{lodged.resource_id}/resolution",
                   {"upheld": False, "resolution_hash": HASH})  # fmt: skip
    _refused_alike(world, "holder", path, form, f"/v1/objections/{lodged.resource_id}/resolution",
                   {"upheld": False, "resolution_hash": HASH})  # fmt: skip
    assert world.post("registrar", path, form).status_code == 303
    record = struct(runtime, "objection", to_b32(lodged.resource_id))
    assert int(record["status"]) == ObjectionStatus.Dismissed
    assert int(chain_asset(runtime, asset_id)["openObjections"]) == 0
    page = world.page("registrar", "/console/registrar?lang=zh")
    section = page[page.index('id="objections"') : page.index('id="disputes"')]
    assert path not in section and "已驳回" in section


def test_registrar_records_and_resolves_an_ownership_dispute(world: World) -> None:
    runtime = world.console.runtime
    asset_id, _ = _certified(world.console, "370200-JT-2025-8004")
    world.console.indexed()
    form = {"asset_id": asset_id, "reason_ref": "青仲〔2026〕7号"}
    _refused_alike(world, "jn-registrar", "/console/registrar/disputes", form,
                   f"/v1/assets/{asset_id}/disputes", {"reason_hash": HASH})  # fmt: skip
    assert world.post("registrar", "/console/registrar/disputes", form).status_code == 303
    assert chain_asset(runtime, asset_id)["disputed"] is True
    holder = world.page("holder", "/console/holder?lang=zh")
    assert "权属争议中" in holder
    page = world.page("registrar", "/console/registrar?lang=zh")
    resolve = f"/console/registrar/assets/{asset_id}/dispute-resolution"
    assert resolve in page
    answer = world.post("registrar", resolve, {"resolution_ref": "青仲〔2026〕8号"})
    assert answer.status_code == 303
    assert chain_asset(runtime, asset_id)["disputed"] is False
    assert resolve not in world.page("registrar", "/console/registrar?lang=zh")


def test_registrar_revokes_with_a_reason_in_words_and_reissues(world: World) -> None:
    runtime = world.console.runtime
    asset_id, certificate_id = _certified(world.console, "370200-JT-2025-8005")
    world.console.indexed()
    page = world.page("registrar", "/console/registrar?lang=zh")
    assert '<option value="registration_error">登记信息有误</option>' in page
    revoke = f"/console/registrar/certificates/{certificate_id}/revocation"
    typed = world.post("registrar", revoke, {"reason": "2"})
    assert typed.status_code == 422 and 'role="alert"' in typed.text
    assert int(chain_certificate(runtime, certificate_id)["revokedAt"]) == 0
    assert world.post("registrar", revoke, {"reason": "registration_error"}).status_code == 303
    revoked = chain_certificate(runtime, certificate_id)
    assert int(revoked["revokedAt"]) > 0 and int(revoked["revocationReason"]) == 2
    page = world.page("registrar", "/console/registrar?lang=zh")
    reissue = f"/console/registrar/certificates/{certificate_id}/reissue"
    section = page[page.index('id="renewals"') :]
    assert reissue in section and "登记信息有误" in section
    _refused_alike(world, "jn-registrar", reissue, {},
                   f"/v1/certificates/{certificate_id}/reissue")  # fmt: skip
    assert world.post("registrar", reissue, {}).status_code == 303
    current = str(chain_asset(runtime, asset_id)["currentCertificateId"])
    assert current.lower() != certificate_id.lower()
    renewed = chain_certificate(runtime, current)
    assert int(renewed["revokedAt"]) == 0 and str(renewed["supersedes"]).lower() == certificate_id
    assert reissue not in world.page("registrar", "/console/registrar?lang=zh")


def test_registrar_renews_a_certificate_near_its_end(world: World) -> None:
    runtime = world.console.runtime
    asset_id, certificate_id = _certified(world.console, "370200-JT-2025-8006")
    before = int(chain_certificate(runtime, certificate_id)["validUntil"])
    world.console.cast.advance(before - int(runtime.w3.eth.get_block("latest")["timestamp"])
                               - 30 * 86_400)  # fmt: skip
    world.console.indexed()
    page = world.page("registrar", "/console/registrar?lang=zh")
    assert asset_id in page
    renew = f"/console/registrar/certificates/{certificate_id}/renewal"
    section = page[page.index('id="renewals"') :]
    assert renew in section
    _refused_alike(world, "jn-registrar", renew, {}, f"/v1/certificates/{certificate_id}/renewal")
    _refused_alike(world, "bank", renew, {}, f"/v1/certificates/{certificate_id}/renewal")
    assert int(chain_certificate(runtime, certificate_id)["validUntil"]) == before
    assert world.post("registrar", renew, {}).status_code == 303
    assert int(chain_certificate(runtime, certificate_id)["validUntil"]) > before


def test_bank_records_a_credit_line_on_an_asset_of_its_city(world: World) -> None:
    runtime = world.console.runtime
    asset_id, _ = _certified(world.console, "370200-JT-2025-8007")
    world.console.indexed()
    page = world.page("bank", "/console/bank?lang=zh")
    assert f'<option value="{asset_id}">' in page
    form = {"asset_id": asset_id, "amount_yuan": "600万", "agreement_ref": "QDB-SX-2026-01"}
    _refused_alike(world, "jn-bank", "/console/bank/credit-lines", form,
                   f"/v1/assets/{asset_id}/credit-lines",
                   {"amount_fen": 600_000_000, "agreement_hash": HASH})  # fmt: skip
    _refused_alike(world, "holder", "/console/bank/credit-lines", form,
                   f"/v1/assets/{asset_id}/credit-lines",
                   {"amount_fen": 600_000_000, "agreement_hash": HASH})  # fmt: skip
    assert world.post("bank", "/console/bank/credit-lines", form).status_code == 303
    page = world.page("bank", "/console/bank?lang=zh")
    section = page[page.index('id="credit-lines"') :]
    found = re.search(r'data-copy="(0x[0-9a-f]{64})"', section)
    assert found and "6,000,000.00 元（600 万元）" in section and "青岛市交通运输局" in section
    record = struct(runtime, "financing", to_b32(found[1]), contract=USE_AND_FINANCE)
    assert int(record["kind"]) == FinancingKind.CreditLine
    assert int(record["amountFen"]) == 600_000_000
    assert str(record["assetId"]).lower() == asset_id.lower()
    bad = world.post("bank", "/console/bank/credit-lines", {**form, "amount_yuan": "6.001"})
    assert bad.status_code == 422 and 'role="alert"' in bad.text


def test_the_holder_and_bank_pages_keep_their_tabs_in_english(world: World) -> None:
    holder = world.page("holder", "/console/holder?lang=en")
    assert ">To do <span" in holder and ">Done</a>" in holder
    bank = world.page("bank", "/console/bank?lang=en")
    assert "Credit lines" in bank and "Record credit line" in bank


def test_the_workbench_strings_add_keys_and_never_replace_one() -> None:
    """A workbench string never takes over a key another page already uses (an English
    heading renamed by accident), and every key has both languages."""
    from api.console import i18n, i18n_admin, i18n_more, i18n_workbench

    source = Path(i18n.__file__).read_text(encoding="utf-8")
    ours = i18n_workbench.WORKBENCH_STRINGS
    assert set(ours["zh"]) == set(ours["en"])
    for key in ours["zh"]:
        assert f'"{key}":' not in source, key
        assert key not in i18n_more.MORE_STRINGS["zh"] and key not in i18n_admin.ADMIN_STRINGS["zh"]
        assert i18n.t("zh", key) == ours["zh"][key] and i18n.t("en", key) == ours["en"][key]
    assert i18n.t("en", "approvals") == "Paid-use applications awaiting approval"
