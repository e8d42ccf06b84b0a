"""The consortium's governance page, used from the console: the consortium admin hands
governance to the registrars, a registrar's admin accepts, proposes a new city's registrar
and another city's registrar approves it; the directory on chain runs it. Users the API
refuses are refused alike."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from api.console import i18n
from chain.service import governance, orgs
from chain.txpipe import MINED
from tests.console.conftest import BOOTSTRAP, ConsoleWorld
from tests.console.test_gates import JINAN, _mined

XIAMEN = 350200
DAY = 86_400


class People:
    def __init__(self, console: ConsoleWorld, keys: dict[str, str]) -> None:
        self.console = console
        self.keys = keys
        self.sessions: dict[str, TestClient] = {}

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
        answer = self.session(label).post(path, data=form)
        if answer.status_code == 303:
            op_id = answer.headers["location"].split("/")[3].split("?")[0]
            op = self.console.runtime.txpipe.wait(op_id, 30)
            assert op.state == MINED, (op.error_code, op.error_detail)
        return answer


@pytest.fixture(scope="module")
def people(console: ConsoleWorld) -> People:
    runtime, cast = console.runtime, console.cast
    keys = dict(cast.keys)
    keys["consortium"] = BOOTSTRAP
    _, keys["qd-admin"] = runtime.accounts.create_user(cast.orgs["registrar"], "管理员", "admin")
    boot = runtime.accounts.authenticate(BOOTSTRAP)
    assert boot is not None
    made = orgs.create_org(runtime, boot, orgs.OrgCreate(
        name="济南市数据资产登记评价中心", kind="registrar", city_code=JINAN))  # fmt: skip
    _mined(console, made.operation)
    _, keys["jn-admin"] = runtime.accounts.create_user(made.resource_id, "管理员", "admin")
    console.indexed()
    return People(console, keys)


def _refused_alike(p: People, label: str, path: str, form: dict[str, str], api_path: str,
                   body: object = None) -> None:  # fmt: skip
    ours = p.post(label, path, form)
    theirs = p.api(label, "POST", api_path, body)
    assert theirs.status_code == 403, theirs.text
    assert ours.status_code == 403 and 'role="alert"' in ours.text, ours.text[-400:]


def test_governance_page_opens_for_whom_the_api_shows_proposals(people: People) -> None:
    for label in ("holder", "bank", "auditor", "registrar", "qd-admin", "jn-admin", "consortium"):
        page = people.session(label).get("/console/governance?lang=zh")
        api = people.api(label, "GET", "/v1/governance/proposals")
        assert (page.status_code == 200) == (api.status_code == 200), (label, page.status_code)
        if page.status_code != 200:
            assert page.status_code == 403 and "无权打开此页面" in page.text
            assert "济南市数据资产登记评价中心" not in page.text
    page = people.session("consortium").get("/console/governance?lang=zh").text
    assert "370100" in page and "370200" in page and "济南市数据资产登记评价中心" in page
    assert 'href="/console/governance"' in people.session("consortium").get("/console").text


def test_handover_proposal_and_approval_run_on_chain(people: People) -> None:
    runtime = people.console.runtime
    _refused_alike(people, "qd-admin", "/console/governance/handover", {"threshold": "2"},
                   "/v1/governance/handover", {"threshold": 2})  # fmt: skip
    assert people.post("consortium", "/console/governance/handover",
                       {"threshold": "2"}).status_code == 303  # fmt: skip
    _refused_alike(people, "registrar", "/console/governance/handover/acceptance", {},
                   "/v1/governance/handover/acceptance")  # fmt: skip
    assert people.post("qd-admin", "/console/governance/handover/acceptance",
                       {}).status_code == 303  # fmt: skip
    state = governance.governance_state(runtime)
    assert state["handed_over"] is True and state["threshold"] == 2
    form = {"kind": "admit_registrar", "city_code": str(XIAMEN), "name": "厦门市数据资产登记中心"}
    _refused_alike(people, "holder", "/console/governance/proposals", form,
                   "/v1/governance/proposals",
                   {"kind": "admit_registrar", "city_code": XIAMEN, "name": "x"})  # fmt: skip
    assert people.post("qd-admin", "/console/governance/proposals", form).status_code == 303
    page = people.session("qd-admin").get("/console/governance?lang=zh").text
    todo = page[page.index('id="todo"') : page.index('id="done"')]
    assert "接纳新城市登记机构" in todo and "城市代码 350200" in todo
    assert "已批准 1 / 需要 2" in todo and "本机构已批准" in todo
    assert "✔○</span> 已批准 1 / 需要 2" in todo  # progress in marks and words, not colour
    proposal = re.search(r'data-proposal="(0x[0-9a-f]{64})"', todo)
    assert proposal
    approve = f"/console/governance/proposals/{proposal[1]}/approval"
    assert approve not in todo  # its proposer has approved already
    assert approve in people.session("jn-admin").get("/console/governance").text
    assert people.post("jn-admin", approve, {}).status_code == 303
    record = governance.proposal_record(runtime, proposal[1])
    assert record.status == "Executed" and record.approvals == 2
    assert governance.governance_state(runtime)["active_registrars"] == 3
    page = people.session("jn-admin").get("/console/governance?lang=zh").text
    done = page[page.index('id="done"') :]
    assert proposal[1][:8] in done and "已执行" in done
    assert '<dd data-figure="threshold">2 / 3</dd>' in page
    english = people.session("jn-admin").get("/console/governance?lang=en").text
    assert "Admit a city registrar" in english and "executed" in english


def _handed_over(p: People) -> None:
    """Governance handed to the registrars (k = 2), whichever test got there first."""
    if governance.governance_state(p.console.runtime)["handed_over"]:
        return
    assert p.post("consortium", "/console/governance/handover",
                  {"threshold": "2"}).status_code == 303  # fmt: skip
    assert p.post("qd-admin", "/console/governance/handover/acceptance", {}).status_code == 303


def _todo(page: str) -> str:
    return page[page.index('id="todo"') : page.index('id="done"')]


def test_term_bounds_key_compromise_and_sweep_are_proposed_from_forms(people: People) -> None:
    from tests.console.test_gates import _Controls

    runtime = people.console.runtime
    _handed_over(people)
    page = people.session("qd-admin").get("/console/governance?lang=zh").text
    for form_id in ("bounds-form", "compromise-form", "sweep-form"):
        assert f'id="{form_id}"' in page, form_id
    for lang in ("zh", "en"):
        controls = _Controls()
        controls.feed(people.session("qd-admin").get(f"/console/governance?lang={lang}").text)
        assert controls.controls and controls.unlabelled() == [], lang
    for key in ("compromise_confirm", "sweep_confirm", "term_bounds_confirm"):
        assert f'data-confirm="{i18n.t("zh", key)}"' in page, key
    # the readers of the page see no forms; the API refuses their proposals alike
    bounds = {"kind": "set_term_bounds", "notice_min_days": "5", "notice_max_days": "30",
              "term_min_days": "365", "term_max_days": "1500"}  # fmt: skip
    body = {"kind": "set_term_bounds", "bounds": {"notice_min": 5 * DAY, "notice_max": 30 * DAY,
                                                  "term_min": 365 * DAY,
                                                  "term_max": 1500 * DAY}}  # fmt: skip
    _refused_alike(people, "registrar", "/console/governance/proposals", bounds,
                   "/v1/governance/proposals", body)  # fmt: skip
    assert 'id="bounds-form"' not in people.session("registrar").get("/console/governance").text
    # term bounds: proposed in days, approved by another city, run on chain
    assert people.post("qd-admin", "/console/governance/proposals", bounds).status_code == 303
    todo = _todo(people.session("jn-admin").get("/console/governance?lang=zh").text)
    assert "调整期限范围" in todo and "公示期 5–30 天；证书有效期 365–1500 天" in todo
    proposal = re.search(r'data-proposal="(0x[0-9a-f]{64})"', todo)
    assert proposal
    approved = people.post("jn-admin", f"/console/governance/proposals/{proposal[1]}/approval", {})
    assert approved.status_code == 303, re.findall(r'role="alert"[^>]*>(.*?)<', approved.text)
    assert governance.governance_state(runtime)["term_bounds"] == body["bounds"]
    # a key compromised since a Beijing time, and a sweep: proposed, shown in words
    key = "0x" + "12" * 20
    compromise = {"kind": "mark_key_compromised", "account": key, "since": "2026-01-01T08:00"}
    assert people.post("qd-admin", "/console/governance/proposals", compromise).status_code == 303
    sweep = {"kind": "sweep", "token": "0x" + "34" * 20, "to": "0x" + "56" * 20}
    assert people.post("qd-admin", "/console/governance/proposals", sweep).status_code == 303
    proposals = governance.list_proposals(runtime, people.console.cast.principal("registrar"))
    marked = next(p for p in proposals if p.kind == "mark_key_compromised")
    assert marked.params["account"].lower() == key and marked.params["since"] == 1_767_225_600
    assert any(p.kind == "sweep" and p.params["to"].lower() == sweep["to"] for p in proposals)
    todo = _todo(people.session("jn-admin").get("/console/governance?lang=zh").text)
    assert "标记密钥泄露" in todo and "2026-01-01 08:00" in todo and "回收误转代币" in todo


def test_a_bad_governance_form_answers_in_the_pages_language(people: People) -> None:
    _handed_over(people)
    for lang, sentence in (("zh", "请填写以 0x 开头"), ("en", "Enter an account address")):
        client = people.session("qd-admin")
        client.get(f"/console/governance?lang={lang}")
        bad = {"kind": "sweep", "token": "QD-TOKEN", "to": "nobody"}
        answer = client.post("/console/governance/proposals", data=bad)
        assert answer.status_code == 422 and 'role="alert"' in answer.text
        assert sentence in answer.text and "validation" not in answer.text.lower()
    bounds = {"kind": "set_term_bounds", "notice_min_days": "30", "notice_max_days": "3",
              "term_min_days": "1", "term_max_days": "2"}  # fmt: skip
    answer = people.session("qd-admin").post("/console/governance/proposals?lang=zh", data=bounds)
    assert answer.status_code == 422 and "下限不能大于上限" in answer.text


def test_an_organisations_admin_marks_its_own_old_key_compromised(people: People) -> None:
    from tests.console.test_gates import _Controls

    runtime, cast = people.console.runtime, people.console.cast
    keys = people.keys
    _, keys["holder-admin"] = runtime.accounts.create_user(cast.orgs["holder"], "管理员", "admin")
    admin = runtime.accounts.authenticate(keys["holder-admin"])
    assert admin is not None
    old = runtime.accounts.get_org(cast.orgs["holder"]).signer_address
    rotation = orgs.rotate_key(runtime, admin, cast.orgs["holder"])
    _mined(people.console, rotation.added)
    _mined(people.console, rotation.removed)
    page = people.session("holder-admin").get("/console/admin?lang=zh").text
    assert 'id="own-compromise-form"' in page and rotation.new_signer in page
    assert f'data-confirm="{i18n.t("zh", "compromise_confirm")}"' in page
    controls = _Controls()
    controls.feed(page)
    assert controls.unlabelled() == []
    late = people.post("holder-admin", "/console/admin/keys/compromise",
                       {"account": old, "since": "2026-13-40T99:00"})  # fmt: skip
    assert late.status_code == 422 and "北京时间" in late.text
    assert people.post("holder-admin", "/console/admin/keys/compromise",
                       {"account": old}).status_code == 303  # fmt: skip
    assert int(orgs.signing_account(runtime, old)["compromisedAt"]) > 0
