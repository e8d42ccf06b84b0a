"""The console's administration page: admins only (the API's role limits), users with
revoke and rotate buttons (a new key shown once, the old one refused at once), a
registrar's terms form and activation toggles, the consortium admin's registrar toggles;
every input labelled, Chinese and English."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from fastapi.testclient import TestClient
from httpx import Response

from api.console import i18n
from chain.service.common import DIRECTORY, read, struct
from chain.txpipe import MINED
from tests.console.conftest import BOOTSTRAP, ConsoleWorld

DAY = 86_400


class _Labels(HTMLParser):
    """Collects visible form controls that sit outside any <label>."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.controls = 0
        self.unlabelled: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "label":
            self.depth += 1
        elif tag in ("input", "select", "textarea") and named.get("type") != "hidden":
            self.controls += 1
            if self.depth == 0:
                self.unlabelled.append(str(named.get("name") or named.get("id")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.depth -= 1


def _unlabelled(html: str) -> tuple[int, list[str]]:
    main = html[html.index("<main>") :]
    parser = _Labels()
    parser.feed(main)
    return parser.controls, parser.unlabelled


def _admin(console: ConsoleWorld, label: str, org_label: str) -> str:
    """An admin user of a cast organisation, under ``label`` in the cast's keys."""
    if label not in console.cast.keys:
        org = console.cast.orgs[org_label]
        _, console.cast.keys[label] = console.runtime.accounts.create_user(org, label, "admin")
    return console.cast.keys[label]


def _login(console: ConsoleWorld, key: str) -> TestClient:
    client = console.browser()
    assert client.post("/console/login", data={"api_key": key}).status_code == 303
    return client


def _user_id(console: ConsoleWorld, key: str) -> str:
    principal = console.runtime.accounts.authenticate(key)
    assert principal is not None
    return principal.user_id


def _mined(console: ConsoleWorld, client: TestClient, response: Response) -> None:
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    match = re.match(r"^/console/operations/([0-9a-f-]{36})\?next=/console/admin$", location)
    assert match, location
    op = console.runtime.txpipe.wait(match.group(1), 30)
    assert op.state == MINED, (op.error_code, op.error_detail)
    assert f"操作 {op.id} 已上链" in client.get(location).text


def _active(console: ConsoleWorld, label: str) -> bool:
    org = bytes.fromhex(console.cast.orgs[label][2:])
    return bool(struct(console.runtime, "org", org, contract=DIRECTORY)["active"])


def test_non_admins_do_not_see_the_page_nor_act(console: ConsoleWorld) -> None:
    assert console.browser().get("/console/admin").headers["location"] == "/console/login"
    writer = console.login("holder")
    assert 'href="/console/admin"' not in writer.get("/console/holder").text
    page = writer.get("/console/admin")
    assert page.status_code == 403
    assert "您的单位或角色无权执行此操作" in page.text and 'id="users"' not in page.text
    target_key = console.cast.keys["bank"]
    target = _user_id(console, target_key)
    for path in (f"/console/admin/users/{target}/revocation", f"/console/admin/users/{target}/key"):
        refused = writer.post(path)
        assert refused.status_code == 403 and 'id="users"' not in refused.text
    assert console.runtime.accounts.authenticate(target_key) is not None
    registrar_writer = console.login("registrar")
    terms = registrar_writer.post(
        "/console/admin/terms", data={"notice_window_days": "1", "certificate_term_days": "1"}
    )
    assert terms.status_code == 403 and "for admins" in terms.text
    toggle = registrar_writer.post(f"/console/admin/orgs/{console.cast.orgs['bank']}/activation",
                                   data={"active": "no"})  # fmt: skip
    assert toggle.status_code == 403
    registrar = bytes.fromhex(console.cast.orgs["registrar"][2:])
    assert read(console.runtime, "termsOf", registrar, contract=DIRECTORY) == {
        "noticeWindow": 10 * DAY, "certificateTerm": 1095 * DAY}  # fmt: skip
    assert _active(console, "bank") is True


def test_org_admin_sees_its_users_and_revokes_a_key(console: ConsoleWorld) -> None:
    admin = _login(console, _admin(console, "holder_admin", "holder"))
    holder_org = console.cast.orgs["holder"]
    _, leaked = console.runtime.accounts.create_user(holder_org, "leaked script", "writer")
    page = admin.get("/console/admin?lang=en")
    assert page.status_code == 200, page.text
    assert 'href="/console/admin"' in page.text and "Users of 青岛市交通运输局" in page.text
    for user in console.runtime.accounts.list_users(holder_org):
        assert f'data-user="{user.id}"' in page.text and f"dal_{user.key_prefix}_…" in page.text
        assert user.key_hash not in page.text
    assert leaked not in page.text and 'id="terms"' not in page.text
    own = _user_id(console, console.cast.keys["holder_admin"])
    assert f'action="/console/admin/users/{own}/revocation"' not in page.text
    leaked_id = _user_id(console, leaked)
    response = admin.post(f"/console/admin/users/{leaked_id}/revocation")
    assert response.status_code == 303
    assert response.headers["location"] == f"/console/admin?org={holder_org}&revoked={leaked_id}"
    assert console.runtime.accounts.authenticate(leaked) is None
    assert console.runtime.accounts.get_user(leaked_id).revoked_at is not None
    after = admin.get(response.headers["location"])
    assert "The API key of leaked script is revoked." in after.text
    row = after.text[after.text.index(f'data-user="{leaked_id}"') :].split("</tr>")[0]
    assert "Revoked" in row and "Rotate key" not in row
    own_try = admin.post(f"/console/admin/users/{own}/revocation")
    assert own_try.status_code == 409
    assert "You cannot revoke your own key" in own_try.text
    assert console.runtime.accounts.get_user(own).revoked_at is None


def test_org_admin_creates_a_user_whose_key_is_shown_once(console: ConsoleWorld) -> None:
    admin = _login(console, _admin(console, "holder_admin", "holder"))
    holder_org = console.cast.orgs["holder"]
    form = {"org_id": holder_org, "name": "数据填报员", "role": "reader"}
    response = admin.post("/console/admin/users", data=form)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    (key,) = re.findall(r'id="new-api-key" class="mono" value="(dal_[^"]+)"', response.text)
    principal = console.runtime.accounts.authenticate(key)
    assert principal is not None and principal.org_id == holder_org
    assert principal.role == "reader" and principal.user_name == "数据填报员"
    row = response.text.split(f'data-user="{principal.user_id}"')[1].split("</tr>")[0]
    assert "只读" in row and f"dal_{key[4:12]}_…" in row
    assert key not in admin.get("/console/admin").text
    bank = console.cast.orgs["bank"]
    before = len(console.runtime.accounts.list_users(bank))
    other = admin.post("/console/admin/users", data={"org_id": bank, "name": "x", "role": "admin"})
    assert other.status_code == 403 and 'id="new-key"' not in other.text
    registrar = _login(console, _admin(console, "registrar_admin", "registrar"))
    refused = registrar.post("/console/admin/users",
                             data={"org_id": bank, "name": "x", "role": "admin"})  # fmt: skip
    assert refused.status_code == 403
    assert len(console.runtime.accounts.list_users(bank)) == before
    bad = admin.post("/console/admin/users",
                     data={"org_id": holder_org, "name": "x", "role": "owner"})  # fmt: skip
    assert bad.status_code == 422 and "输入有误" in bad.text


def test_rotating_a_key_shows_the_new_key_once(console: ConsoleWorld) -> None:
    admin = _login(console, _admin(console, "holder_admin", "holder"))
    _, old = console.runtime.accounts.create_user(console.cast.orgs["holder"], "bot", "reader")
    user_id = _user_id(console, old)
    response = admin.post(f"/console/admin/users/{user_id}/key")
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    (new,) = re.findall(r'id="new-api-key" class="mono" value="(dal_[^"]+)"', response.text)
    assert "bot 的新 API 密钥（仅显示这一次" in response.text
    assert console.runtime.accounts.authenticate(old) is None
    principal = console.runtime.accounts.authenticate(new)
    assert principal is not None and principal.user_id == user_id
    again = admin.get("/console/admin")
    assert again.status_code == 200 and new not in again.text
    assert f"dal_{new[4:12]}_…" in again.text


def test_rotating_your_own_key_keeps_the_session_and_ends_the_old_ones(
    console: ConsoleWorld,
) -> None:
    key = _admin(console, "bank_admin", "bank")
    admin, elsewhere = _login(console, key), _login(console, key)
    own = _user_id(console, key)
    response = admin.post(f"/console/admin/users/{own}/key")
    assert response.status_code == 200 and "当前会话已切换到新密钥" in response.text
    (new,) = re.findall(r'id="new-api-key" class="mono" value="(dal_[^"]+)"', response.text)
    assert "console_session=" in response.headers["set-cookie"]
    assert admin.get("/console/admin").status_code == 200  # this browser: the new session
    assert elsewhere.get("/console/admin").headers["location"] == "/console/login"
    assert console.runtime.accounts.authenticate(key) is None
    console.cast.keys["bank_admin"] = new


def test_registrar_admin_sets_terms_and_toggles_an_org(console: ConsoleWorld) -> None:
    admin = _login(console, _admin(console, "registrar_admin", "registrar"))
    page = admin.get("/console/admin")
    assert page.status_code == 200
    assert "现行：公示期 10 天，证书有效期 1095 天。" in page.text
    for label in ("holder", "bank", "auditor"):
        assert f'data-org="{console.cast.orgs[label]}"' in page.text
    assert f'data-org="{console.cast.orgs["registrar"]}"' not in page.text
    response = admin.post(
        "/console/admin/terms", data={"notice_window_days": "5", "certificate_term_days": "365"}
    )
    _mined(console, admin, response)
    registrar = bytes.fromhex(console.cast.orgs["registrar"][2:])
    assert read(console.runtime, "termsOf", registrar, contract=DIRECTORY) == {
        "noticeWindow": 5 * DAY, "certificateTerm": 365 * DAY}  # fmt: skip
    assert "现行：公示期 5 天，证书有效期 365 天。" in admin.get("/console/admin").text
    too_long = admin.post(
        "/console/admin/terms", data={"notice_window_days": "400", "certificate_term_days": "365"}
    )
    assert too_long.status_code == 422 and "输入有误" in too_long.text
    bank = console.cast.orgs["bank"]
    _mined(console, admin, admin.post(f"/console/admin/orgs/{bank}/activation",
                                      data={"active": "no"}))  # fmt: skip
    assert _active(console, "bank") is False
    row = admin.get("/console/admin").text.split(f'data-org="{bank}"')[1].split("</tr>")[0]
    assert "已停用" in row and "重新启用" in row and 'value="yes"' in row
    _mined(console, admin, admin.post(f"/console/admin/orgs/{bank}/activation",
                                      data={"active": "yes"}))  # fmt: skip
    assert _active(console, "bank") is True
    _mined(console, admin, admin.post("/console/admin/terms",
                                      data={"notice_window_days": "0",
                                            "certificate_term_days": "0"}))  # fmt: skip
    other_org = admin.get(f"/console/admin?org={console.cast.orgs['holder']}")
    assert other_org.status_code == 403 and 'id="users"' not in other_org.text


def test_consortium_admin_picks_any_org_and_toggles_registrars(console: ConsoleWorld) -> None:
    root = _login(console, BOOTSTRAP)
    holder = console.cast.orgs["holder"]
    page = root.get(f"/console/admin?org={holder}&lang=en")
    assert page.status_code == 200 and "Users of 青岛市交通运输局" in page.text
    assert f'<option value="{holder}" selected>' in page.text
    assert f'data-org="{console.cast.orgs["registrar"]}"' in page.text
    assert f'data-org="{holder}"' not in page.text and 'id="terms"' not in page.text


def test_every_input_of_the_page_has_a_label_in_both_languages(console: ConsoleWorld) -> None:
    admin = _login(console, _admin(console, "registrar_admin", "registrar"))
    for lang in i18n.LANGS:
        html = admin.get(f"/console/admin?lang={lang}").text
        controls, unlabelled = _unlabelled(html)
        assert controls >= 2 and unlabelled == [], (lang, unlabelled)
    root = _login(console, BOOTSTRAP)
    controls, unlabelled = _unlabelled(root.get("/console/admin").text)
    assert controls >= 1 and unlabelled == []
    for key in i18n.ADMIN_STRINGS["zh"]:
        assert i18n.t("zh", key) != i18n.t("en", key) or key == "api_key"
