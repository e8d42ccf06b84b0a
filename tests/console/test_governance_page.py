"""The consortium's governance page, used from the console: the consortium admin hands
governance to the registrars, a registrar's admin accepts, proposes a new city's registrar
and another city's registrar approves it; the directory on chain runs it. Users the API
refuses are refused alike."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from chain.service import governance, orgs
from chain.txpipe import MINED
from tests.console.conftest import BOOTSTRAP, ConsoleWorld
from tests.console.test_gates import JINAN, _mined

XIAMEN = 350200


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
