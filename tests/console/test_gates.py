"""The console's role gates are the API's: every workbench page and every form action is
walked for every kind of organisation and role of the asset's city (Qingdao) and of
another city (Jinan), and the console answers exactly what the API answers (allowed or
403). A page the API's rules close shows none of its data; a reader sees no forms."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.console import i18n
from chain.accounts import Principal
from chain.service import approvals, assets, certificates, financing, orgs, revenue
from chain.txpipe import MINED, Operation
from tests.console.conftest import BOOTSTRAP, NOTICE, ConsoleWorld

JINAN = 370100
QINGDAO_CITY = 370200
JINAN_CAST = {
    "jn-holder": ("holder", "济南市交通运输局"),
    "jn-finance": ("finance_dept", "济南市财政局"),
    "jn-bank": ("bank", "济南银行"),
    "jn-auditor": ("auditor", "济南市审计局"),
    "jn-competent": ("competent_dept", "济南市发展和改革委员会"),
}
QINGDAO_MORE = {
    "merchant": ("merchant", "青岛海纳数据科技有限公司"),
    "exchange": ("exchange", "青岛数据交易所"),
}
PAGES = ("/console/holder", "/console/registrar", "/console/finance", "/console/review",
         "/console/bank", "/console/auditor")  # fmt: skip
HASH = "0x" + "ab" * 32
TOKEN = "0x" + "cd" * 20
DAY = 86_400


def _shown(value: str, html: str) -> bool:
    """Whether a page shows an id, in full or shortened."""
    return value in html or f"{value[:8]}…{value[-4:]}" in html


def _mined(world: ConsoleWorld, op: Operation) -> None:
    done = world.runtime.txpipe.wait(op.id, 30)
    assert done.state == MINED, (done.error_code, done.error_detail)


@dataclass
class Gates:
    world: ConsoleWorld
    keys: dict[str, str] = field(default_factory=dict)
    asset: str = ""
    certificate: str = ""
    revocable: str = ""
    application: str = ""
    payment: str = ""
    pledge: str = ""
    jinan_registrar: str = ""
    #: the holder's signing key before a rotation (its own admin may mark it compromised)
    old_key: str = ""
    #: the Qingdao registrar's signing key (nobody walked here may mark it compromised)
    registrar_key: str = ""
    sessions: dict[str, TestClient] = field(default_factory=dict)

    def who(self, label: str) -> Principal:
        principal = self.world.runtime.accounts.authenticate(self.keys[label])
        assert principal is not None
        return principal

    def session(self, label: str) -> TestClient:
        if label not in self.sessions:
            client = self.world.browser()
            answer = client.post("/console/login", data={"api_key": self.keys[label]})
            assert answer.status_code == 303, answer.text
            self.sessions[label] = client
        return self.sessions[label]

    def api(self, label: str, method: str, path: str, body: Any = None) -> int:
        headers = {"Authorization": f"Bearer {self.keys[label]}"}
        client = self.world.browser()
        return client.request(method, path, json=body, headers=headers).status_code


def _admit(world: ConsoleWorld, admin: Principal, cast: dict[str, tuple[str, str]],
           keys: dict[str, str], role: str = "writer") -> None:  # fmt: skip
    runtime = world.runtime
    for label, (kind, name) in cast.items():
        made = orgs.create_org(runtime, admin, orgs.OrgCreate(name=name, kind=kind))  # type: ignore[arg-type]
        _mined(world, made.operation)
        _, keys[label] = runtime.accounts.create_user(made.resource_id, f"{label} 经办人", role)


def _certified(world: ConsoleWorld, code: str) -> tuple[str, str]:
    runtime, cast = world.runtime, world.cast
    holder, registrar = cast.principal("holder"), cast.principal("registrar")
    made = assets.register_asset(runtime, holder, assets.AssetCreate(
        catalogue_code=code, domain_code=7, metadata={"title": "公交客流"}))  # fmt: skip
    _mined(world, made.operation)
    value = assets.ValuationIn(value_fen=50_000_000, method_code=1, report_hash=HASH)
    _mined(world, assets.record_valuation(runtime, registrar, made.resource_id, value))
    review = assets.ComplianceIn(passed=True, report_hash=HASH)
    _mined(world, assets.record_compliance(runtime, registrar, made.resource_id, review))
    cast.advance(NOTICE + 1)
    issued = certificates.issue_certificate(runtime, registrar, made.resource_id)
    _mined(world, issued.operation)
    return made.resource_id, issued.resource_id


def _paid_use_with_payment(world: ConsoleWorld, g: Gates) -> None:
    """An approved application of the asset, a schedule, an off-chain payment remitted."""
    runtime, cast = world.runtime, world.cast
    applied = approvals.apply_for_paid_use(runtime, cast.principal("holder"), g.asset,
        approvals.ApplicationCreate(operator_org_id=cast.orgs["operator"],
                                    scope={"purpose": "客流预测"}))  # fmt: skip
    _mined(world, applied.operation)
    g.application = applied.resource_id
    yes = approvals.DecisionIn(approve=True)
    for label in ("competent", "dataadmin"):
        _mined(world, approvals.review_paid_use(runtime, cast.principal(label), g.application,
                                                yes))  # fmt: skip
    finance = cast.principal("finance")
    _mined(world, approvals.decide_paid_use(runtime, finance, g.application, yes))
    _mined(world, revenue.set_schedule(runtime, finance, g.asset, [0], [2000]))
    paid = revenue.record_offchain_payment(runtime, cast.principal("operator"), g.asset,
                                           100_000, "BOC-GATES-1")  # fmt: skip
    _mined(world, paid.operation)
    g.payment = paid.payment_id
    _mined(world, revenue.confirm_remittance(runtime, finance, g.payment, "GK-1"))
    due = revenue.record_offchain_payment(runtime, cast.principal("operator"), g.asset,
                                          50_000, "BOC-GATES-2")  # fmt: skip
    _mined(world, due.operation)


def _pledged(world: ConsoleWorld, g: Gates) -> None:
    runtime, cast = world.runtime, world.cast
    body = financing.PledgeCreate(bank_org_id=cast.orgs["bank"], amount_fen=1_000_000,
                                  contract_hash=HASH)  # fmt: skip
    made = financing.request_pledge(runtime, cast.principal("holder"), g.asset, body)
    _mined(world, made.operation)
    g.pledge = made.resource_id
    _mined(world, financing.confirm_pledge(runtime, cast.principal("bank"), g.pledge))


@pytest.fixture(scope="module")
def gates(console: ConsoleWorld) -> Gates:
    runtime, cast = console.runtime, console.cast
    g = Gates(console, keys=dict(cast.keys))
    _, registrar_admin = runtime.accounts.create_user(cast.orgs["registrar"], "管理员", "admin")
    qingdao_admin = runtime.accounts.authenticate(registrar_admin)
    assert qingdao_admin is not None
    _admit(console, qingdao_admin, QINGDAO_MORE, g.keys)
    accounts = runtime.accounts
    _, g.keys["finance-reader"] = accounts.create_user(cast.orgs["finance"], "只读", "reader")
    _, g.keys["holder-admin"] = runtime.accounts.create_user(cast.orgs["holder"], "管理员", "admin")
    g.keys["consortium"] = BOOTSTRAP
    boot = runtime.accounts.authenticate(BOOTSTRAP)
    assert boot is not None
    made = orgs.create_org(runtime, boot, orgs.OrgCreate(
        name="济南市数据资产登记评价中心", kind="registrar", city_code=JINAN))  # fmt: skip
    _mined(console, made.operation)
    g.jinan_registrar = made.resource_id
    _, jinan_admin_key = runtime.accounts.create_user(made.resource_id, "管理员", "admin")
    _, g.keys["jn-registrar"] = runtime.accounts.create_user(made.resource_id, "经办人", "writer")
    jinan_admin = runtime.accounts.authenticate(jinan_admin_key)
    assert jinan_admin is not None
    _admit(console, jinan_admin, JINAN_CAST, g.keys)
    g.asset, g.certificate = _certified(console, "370200-JT-2025-7001")
    _, g.revocable = _certified(console, "370200-JT-2025-7002")
    _paid_use_with_payment(console, g)
    _pledged(console, g)
    holder_admin = runtime.accounts.authenticate(g.keys["holder-admin"])
    assert holder_admin is not None
    g.old_key = runtime.accounts.get_org(cast.orgs["holder"]).signer_address
    rotation = orgs.rotate_key(runtime, holder_admin, cast.orgs["holder"])
    _mined(console, rotation.added)
    _mined(console, rotation.removed)
    g.registrar_key = runtime.accounts.get_org(cast.orgs["registrar"]).signer_address
    console.indexed()
    return g


#: Who each page opens for (the API's rules, spelled out so the walk is not circular).
OPENS = {
    "/console/holder": {"holder", "holder-admin", "jn-holder"},
    "/console/registrar": {"registrar", "jn-registrar"},
    "/console/finance": {"finance", "finance-reader", "jn-finance"},
    "/console/review": {"competent", "dataadmin", "jn-competent"},
    "/console/bank": {"bank", "jn-bank"},
    "/console/auditor": {"auditor", "jn-auditor", "holder-admin", "consortium"},
}
#: The API call whose answer for a writer of the same organisation kind decides the page
#: (the auditor page: the audit API itself, for the user).
Analog = Callable[[Gates], tuple[str, str, Any]]
PAGE_API: dict[str, Analog] = {
    "/console/holder": lambda g: ("POST", f"/v1/assets/{g.asset}/applications",
                                  {"operator_org_id": g.world.cast.orgs["operator"],
                                   "scope": {"purpose": "gate"}}),
    "/console/registrar": lambda g: ("POST", f"/v1/assets/{g.asset}/certificate", None),
    "/console/finance": lambda g: ("POST", f"/v1/applications/{g.application}/approval",
                                   {"approve": True}),
    "/console/review": lambda g: ("POST", f"/v1/applications/{g.application}/reviews",
                                  {"approve": True}),
    "/console/bank": lambda g: ("POST", f"/v1/pledges/{g.pledge}/confirmation", None),
    "/console/auditor": lambda g: ("GET", "/v1/audit/events", None),
}  # fmt: skip
#: The Qingdao writer whose API answer stands for each label's organisation kind.
SAME_KIND = {"jn-holder": "holder", "holder-admin": "holder", "jn-registrar": "registrar",
             "jn-finance": "finance", "finance-reader": "finance", "jn-bank": "bank",
             "jn-auditor": "auditor", "jn-competent": "competent"}  # fmt: skip


def test_every_page_opens_exactly_for_whom_the_api_allows_its_work(gates: Gates) -> None:
    for path in PAGES:
        opened = set()
        for label in gates.keys:
            method, api_path, body = PAGE_API[path](gates)
            asker = label if path == "/console/auditor" else SAME_KIND.get(label, label)
            api_allows = gates.api(asker, method, api_path, body) != 403
            page = gates.session(label).get(path)
            assert page.status_code in (200, 403), (path, label, page.status_code)
            assert (page.status_code == 200) == api_allows, (path, label, page.status_code)
            if page.status_code == 200:
                opened.add(label)
            else:
                assert "无权打开此页面" in page.text
                assert not _shown(gates.asset, page.text)
                assert not _shown(gates.payment, page.text)
        assert opened == OPENS[path], path


def test_a_merchant_or_holder_never_sees_the_auditors_or_finances_data(gates: Gates) -> None:
    for label in ("merchant", "holder", "operator", "bank"):
        for path in ("/console/auditor", "/console/finance"):
            page = gates.session(label).get(path)
            assert page.status_code == 403, (label, path)
            assert not _shown(gates.payment, page.text) and not _shown(gates.asset, page.text)
    auditor = gates.session("auditor").get(f"/console/auditor?q={gates.asset}")
    assert auditor.status_code == 200 and _shown(gates.asset, auditor.text)
    finance = gates.session("finance").get("/console/finance")
    assert finance.status_code == 200 and _shown(gates.payment, finance.text)


def test_home_lists_only_the_pages_the_user_may_open(gates: Gates) -> None:
    home = gates.session("consortium").get("/console").text
    assert 'href="/console/auditor"' in home
    assert 'href="/console/finance"' not in home and 'href="/console/holder"' not in home


def test_a_reader_sees_the_workbench_without_any_form(gates: Gates) -> None:
    page = gates.session("finance-reader").get("/console/finance")
    assert page.status_code == 200 and _shown(gates.payment, page.text)
    actions = re.findall(r'<form method="post" action="([^"]+)"', page.text)
    assert actions == ["/console/logout"]
    writer = gates.session("finance").get("/console/finance").text
    assert f"/console/finance/assets/{gates.asset}/schedule" in writer


#: (console path, form, API method, API path, API body) for every form action.
Action = tuple[str, dict[str, str], str, str, Any]


def _actions(g: Gates, label: str) -> list[Action]:
    cast = g.world.cast
    code = f"370200-GT-{label}-{len(g.sessions)}"
    partner = g.jinan_registrar if not label.startswith("jn-") else cast.orgs["registrar"]
    operator = cast.orgs["operator"]
    return [
        ("/console/holder/assets", {"catalogue_code": code, "domain_code": "7", "title": "t"},
         "POST", "/v1/assets", {"catalogue_code": code + "-api", "domain_code": 7,
                                "metadata": {"title": "t"}}),
        ("/console/holder/applications", {"asset_id": g.asset, "operator_org_id": operator,
                                          "purpose": "p"},
         "POST", f"/v1/assets/{g.asset}/applications",
         {"operator_org_id": operator, "scope": {"purpose": "p"}}),
        (f"/console/registrar/assets/{g.asset}/valuation", {"value_yuan": "100"},
         "POST", f"/v1/assets/{g.asset}/valuation",
         {"value_fen": 10_000, "method_code": 1, "report_hash": HASH}),
        (f"/console/registrar/assets/{g.asset}/compliance", {"passed": "yes"},
         "POST", f"/v1/assets/{g.asset}/compliance", {"passed": True, "report_hash": HASH}),
        (f"/console/registrar/assets/{g.asset}/certificate", {},
         "POST", f"/v1/assets/{g.asset}/certificate", None),
        (f"/console/registrar/certificates/{g.revocable}/revocation",
         {"reason": "registration_error"},
         "POST", f"/v1/certificates/{g.revocable}/revocation", {"reason_code": 2}),
        ("/console/registrar/recognitions", {"certificate_id": g.certificate},
         "POST", f"/v1/certificates/{g.certificate}/recognitions", None),
        ("/console/registrar/agreements", {"partner_org_id": partner},
         "POST", "/v1/agreements", {"partner_org_id": partner}),
        (f"/console/finance/assets/{g.asset}/schedule",
         {"lower_yuan": "0", "operator_pct": "20"},
         "POST", f"/v1/assets/{g.asset}/schedules", {"lower_bounds": [0], "operator_bps": [2000]}),
        (f"/console/finance/applications/{g.application}/approval", {"approve": "yes"},
         "POST", f"/v1/applications/{g.application}/approval", {"approve": True}),
        (f"/console/finance/payments/{g.payment}/remittance", {"remittance_ref": "GK-2"},
         "POST", f"/v1/payments/{g.payment}/remittance", {"remittance_ref": "GK-2"}),
        (f"/console/review/applications/{g.application}/review", {"approve": "yes"},
         "POST", f"/v1/applications/{g.application}/reviews", {"approve": True}),
        (f"/console/bank/pledges/{g.pledge}/confirm", {},
         "POST", f"/v1/pledges/{g.pledge}/confirmation", None),
        ("/console/holder/pledges", {"asset_id": g.asset, "bank_org_id": cast.orgs["bank"],
                                     "amount_yuan": "10", "contract_ref": "ZY-1"},
         "POST", f"/v1/assets/{g.asset}/pledges",
         {"bank_org_id": cast.orgs["bank"], "amount_fen": 1000, "contract_hash": HASH}),
        (f"/console/registrar/certificates/{g.certificate}/renewal", {},
         "POST", f"/v1/certificates/{g.certificate}/renewal", None),
        ("/console/exchange/recognitions", {"certificate_id": g.certificate},
         "POST", f"/v1/certificates/{g.certificate}/recognitions", None),
        (f"/console/holder/applications/{g.application}/cancellation", {},
         "POST", f"/v1/applications/{g.application}/cancellation", None),
        (f"/console/holder/pledges/{g.pledge}/cancellation", {},
         "POST", f"/v1/pledges/{g.pledge}/cancellation", None),
        ("/console/holder/disposals", {"asset_id": g.asset, "decision_ref": "CZ-1"},
         "POST", f"/v1/assets/{g.asset}/disposal", {"reason_hash": HASH}),
        (f"/console/registrar/assets/{g.asset}/disposal", {},
         "POST", f"/v1/assets/{g.asset}/disposal/confirmation", None),
        (f"/console/registrar/certificates/{g.certificate}/reissue", {},
         "POST", f"/v1/certificates/{g.certificate}/reissue", None),
        ("/console/bank/credit-lines", {"asset_id": g.asset, "amount_yuan": "100",
                                        "agreement_ref": "SX-1"},
         "POST", f"/v1/assets/{g.asset}/credit-lines",
         {"amount_fen": 10_000, "agreement_hash": HASH}),
        ("/console/governance/proposals", {"kind": "set_threshold", "threshold": "2"},
         "POST", "/v1/governance/proposals", {"kind": "set_threshold", "threshold": 2}),
        ("/console/governance/proposals",
         {"kind": "set_term_bounds", "notice_min_days": "5", "notice_max_days": "60",
          "term_min_days": "365", "term_max_days": "1825"},
         "POST", "/v1/governance/proposals",
         {"kind": "set_term_bounds", "bounds": {"notice_min": 5 * DAY, "notice_max": 60 * DAY,
                                                "term_min": 365 * DAY,
                                                "term_max": 1825 * DAY}}),
        ("/console/governance/proposals",
         {"kind": "mark_key_compromised", "account": g.registrar_key,
          "since": "2026-01-01T08:00"},
         "POST", "/v1/governance/proposals",
         {"kind": "mark_key_compromised", "account": g.registrar_key, "since": 1_767_225_600}),
        ("/console/governance/proposals", {"kind": "sweep", "token": TOKEN, "to": TOKEN},
         "POST", "/v1/governance/proposals", {"kind": "sweep", "token": TOKEN, "to": TOKEN}),
        ("/console/admin/keys/compromise", {"account": g.registrar_key},
         "POST", f"/v1/keys/{g.registrar_key}/compromise", {}),
        ("/console/admin/keys/compromise", {"account": g.old_key},
         "POST", f"/v1/keys/{g.old_key}/compromise", {}),
    ]  # fmt: skip


def test_every_form_action_answers_as_the_api_for_every_role_and_city(gates: Gates) -> None:
    allowed: dict[str, set[str]] = {}
    for label in gates.keys:
        client = gates.session(label)
        for console_path, form, method, api_path, body in _actions(gates, label):
            ours = client.post(console_path, data=form)
            theirs = gates.api(label, method, api_path, body)
            assert (ours.status_code == 403) == (theirs == 403), (
                label, console_path, ours.status_code, theirs, ours.text[-400:])  # fmt: skip
            if ours.status_code == 403:
                assert 'role="alert"' in ours.text
            else:
                allowed.setdefault(console_path.split("/0x")[0], set()).add(label)
    # spelled out: the own city's organisation of the right kind, writers and admins
    assert allowed["/console/finance/applications"] == {"finance"}
    assert allowed["/console/finance/payments"] == {"finance"}
    assert allowed["/console/review/applications"] == {"competent", "dataadmin"}
    assert allowed["/console/bank/pledges"] == {"bank"}
    assert allowed["/console/holder/applications"] == {"holder", "holder-admin"}
    assert allowed["/console/holder/pledges"] == {"holder", "holder-admin"}
    assert allowed["/console/registrar/certificates"] == {"registrar"}
    assert allowed["/console/registrar/recognitions"] >= {"exchange", "jn-registrar"}
    assert allowed["/console/holder/disposals"] == {"holder", "holder-admin"}
    assert allowed["/console/bank/credit-lines"] == {"bank"}
    assert "/console/governance/proposals" not in allowed  # registrars' admins only
    # an organisation's own admin marks its own (old) key; nobody else's, nobody else
    assert allowed["/console/admin/keys/compromise"] == {"holder-admin"}
    old = orgs.signing_account(gates.world.runtime, gates.old_key)
    assert int(old["compromisedAt"]) > 0
    registrar = orgs.signing_account(gates.world.runtime, gates.registrar_key)
    assert int(registrar["compromisedAt"]) == 0


def test_the_auditors_exports_work_from_the_console_session(gates: Gates) -> None:
    auditor = gates.session("auditor")
    page = auditor.get("/console/auditor").text
    assert 'href="/console/auditor/export?format=csv"' in page and "/v1/audit" not in page
    csv = auditor.get("/console/auditor/export?format=csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert "ResourceRegistered" in csv.text and gates.asset in csv.text
    lines = auditor.get("/console/auditor/export?format=jsonl").text.splitlines()
    assert lines and all(line.startswith("{") for line in lines)
    report = auditor.get("/console/auditor/consistency.json")
    assert report.status_code == 200 and report.json()["consistent"] is True
    for label in ("holder", "merchant", "finance"):
        for path in ("/console/auditor/export?format=csv", "/console/auditor/consistency.json"):
            answer = gates.session(label).get(path)
            assert answer.status_code == 403 and gates.asset not in answer.text, (label, path)


class _Controls(HTMLParser):
    """Visible form controls of <main> and whether each has a label (wrapping <label>,
    <label for=id> or aria-label)."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.targets: set[str] = set()
        self.controls: list[tuple[str, str, bool]] = []  # (name, id, wrapped or aria)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "label":
            self.depth += 1
            if named.get("for"):
                self.targets.add(str(named["for"]))
        elif tag in ("input", "select", "textarea") and named.get("type") != "hidden":
            direct = self.depth > 0 or bool(named.get("aria-label"))
            self.controls.append((str(named.get("name")), str(named.get("id")), direct))

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.depth -= 1

    def unlabelled(self) -> list[str]:
        return [name for name, ident, direct in self.controls
                if not direct and ident not in self.targets]  # fmt: skip


def test_every_input_of_every_workbench_has_a_label(gates: Gates) -> None:
    pages = {"registrar": "/console/registrar", "finance": "/console/finance",
             "holder": "/console/holder", "competent": "/console/review",
             "bank": "/console/bank", "auditor": "/console/auditor"}  # fmt: skip
    for label, path in pages.items():
        for lang in ("zh", "en"):
            html = gates.session(label).get(f"{path}?lang={lang}").text
            parser = _Controls()
            parser.feed(html)
            assert parser.controls, (label, lang)
            assert parser.unlabelled() == [], (label, lang, parser.unlabelled())
    verify = _Controls()
    verify.feed(gates.world.browser().get("/verify").text)
    assert verify.controls and verify.unlabelled() == []


def _figure(html: str, name: str) -> str:
    match = re.search(rf'data-figure="{name}">([^<]+)<', html)
    assert match, name
    return match.group(1)


def test_finance_and_auditor_dashboards_total_the_citys_revenue(gates: Gates) -> None:
    finance = gates.session("finance").get("/console/finance?lang=zh").text
    # 1,000 yuan remitted and 500 yuan due, at 20% to the operator
    assert _figure(finance, "revenue") == "1,500.00 元"
    assert _figure(finance, "operator") == "300.00 元"
    assert _figure(finance, "treasury") == "1,200.00 元"
    assert _figure(finance, "outstanding") == "400.00 元"
    assert "<svg" in finance and "按月收益（北京时间）" in finance
    dates = re.findall(r'<td class="paid-at">([^<]+)</td>', finance)
    assert len(dates) == 2 and all(d.endswith(" 北京时间") for d in dates), dates
    assert re.search(r"已发证</span><span class=\"bar\">.*?</span><b>\d+</b>", finance)
    jinan = gates.session("jn-finance").get("/console/finance?lang=zh").text
    assert _figure(jinan, "revenue") == "0.00 元"  # another city's revenue is not its own
    auditor = gates.session("auditor").get("/console/auditor?lang=zh").text
    assert _figure(auditor, "revenue") == "1,500.00 元"
    assert re.search(r"370200 · \d+", auditor)


def test_operator_merchant_and_exchange_have_their_own_workbench(gates: Gates) -> None:
    opens = {"/console/operator": {"operator"}, "/console/merchant": {"merchant"},
             "/console/exchange": {"exchange"}}  # fmt: skip
    for path, expected in opens.items():
        opened = {label for label in gates.keys
                  if gates.session(label).get(path).status_code == 200}  # fmt: skip
        assert opened == expected, path
    operator = gates.session("operator")
    assert operator.get("/console").headers["location"] == "/console/operator"
    page = operator.get("/console/operator?lang=zh").text
    assert f"/console/assets/{gates.asset}" in page and _figure(page, "due") == "400.00 元"
    assert _shown(gates.payment, page)
    exchange = gates.session("exchange")
    answer = exchange.post("/console/exchange/recognitions",
                           data={"certificate_id": gates.certificate})  # fmt: skip
    assert answer.status_code in (303, 409), answer.text[-500:]
    if answer.status_code == 303:
        op_id = answer.headers["location"].split("/")[3].split("?")[0]
        assert gates.world.runtime.txpipe.wait(op_id, 30).state == MINED
    gates.world.indexed()
    listed = exchange.get("/console/exchange?lang=zh").text
    assert f'href="/console/certificates/{gates.certificate}"' in listed
    merchant = gates.session("merchant").get("/console/merchant?lang=zh").text
    assert _figure(merchant, "spent") == "0.00 元"


def test_the_dashboard_charts_draw_the_stores_figures_for_whom_the_page_opens(
    gates: Gates,
) -> None:
    finance = gates.session("finance")
    page = finance.get("/console/finance?lang=zh").text
    assert 'data-charts="/console/finance/charts.json"' in page
    scripts = re.findall(r'<script src="([^"]+)"', page)
    assert "/console/static/vendor/echarts.min.js" in scripts
    assert all(s.startswith("/console/static/") for s in scripts), scripts  # no CDN
    script = finance.get("/console/static/vendor/echarts.min.js")
    assert script.status_code == 200 and "echarts" in script.text[:2000]
    data = finance.get("/console/finance/charts.json?lang=zh").json()
    # 1,000 yuan remitted and 500 yuan due, at 20% to the operator (as the tiles say)
    assert sum(data["revenue"]["operator"]) == 300.0
    assert sum(data["revenue"]["treasury"]) == 1200.0
    assert len(data["revenue"]["months"]) == len(data["revenue"]["operator"]) >= 1
    assert data["outstanding"]["total"] == 400.0 and data["outstanding"]["count"] == 1
    assert sum(data["outstanding"]["amounts"]) == 400.0
    assert data["labels"]["operator"] == "运营机构分成"
    assert data["labels"]["nothing"] == "暂无记录。"  # an empty chart says so
    certified = next(s for s in data["status"] if s["status"] == "Certified")
    shown = re.search(r"已发证</span><span class=\"bar\">.*?</span><b>(\d+)</b>", page)
    assert shown and certified["value"] == int(shown[1]) and certified["name"] == "已发证"
    assert "cities" not in data  # the finance department's own city only
    other = gates.session("jn-finance").get("/console/finance/charts.json").json()
    assert sum(other["revenue"]["operator"]) == 0 and other["outstanding"]["total"] == 0
    auditor = gates.session("auditor")
    every = auditor.get("/console/auditor/charts.json?lang=en").json()
    assert sum(every["revenue"]["treasury"]) == 1200.0 and every["labels"]["unit"] == "yuan"
    html = auditor.get("/console/auditor?lang=zh").text
    qingdao = re.search(r"370200 · (\d+)", html)
    assert qingdao and {"city": QINGDAO_CITY, "value": int(qingdao[1])} in every["cities"]
    for label in ("holder", "operator", "bank", "merchant"):
        refused = gates.session(label).get("/console/finance/charts.json")
        assert refused.status_code == 403 and "revenue" not in refused.text, label
    for label in ("holder", "finance"):
        refused = gates.session(label).get("/console/auditor/charts.json")
        assert refused.status_code == 403 and "cities" not in refused.text, label


def test_the_registrar_page_lists_the_agreements_as_the_chain_has_them(gates: Gates) -> None:
    """Agreements come from the indexed store, not from the directory's logs on each
    load: once indexed, the page shows what the chain says, to both parties only."""
    runtime = gates.world.runtime
    qingdao = gates.who("registrar")
    if not certificates.list_agreements(runtime, qingdao):
        body = certificates.AgreementIn(partner_org_id=gates.jinan_registrar)
        _mined(gates.world, certificates.propose_agreement(runtime, qingdao, body).operation)
    gates.world.indexed()
    on_chain = certificates.list_agreements(runtime, qingdao)
    assert on_chain
    for label in ("registrar", "jn-registrar"):
        page = gates.session(label).get("/console/registrar?lang=zh").text
        for agreement in on_chain:
            assert _shown(agreement.agreement_id, page), label
            assert "济南市数据资产登记评价中心" in page
            assert i18n.status_name("zh", agreement.status) in page
    proposed = [a for a in on_chain if a.status == "Proposed"]
    for agreement in proposed:  # the partner signs; its proposer does not
        signature = f"/console/registrar/agreements/{agreement.agreement_id}/signature"
        partner, proposer = "jn-registrar", "registrar"
        if agreement.partner_org_id != gates.jinan_registrar:
            partner, proposer = proposer, partner
        assert signature in gates.session(partner).get("/console/registrar").text
        assert signature not in gates.session(proposer).get("/console/registrar").text
