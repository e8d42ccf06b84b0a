"""Administration from the shell: ``ledger user list|revoke|rotate``, ``ledger org terms``
and ``ledger org activate|deactivate`` against the gateway's routes; keys checked against
the gateway's account store, activation by what the chain then accepts."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import Cli


def test_user_list_rotate_and_revoke(cast: Cli) -> None:
    holder = cast.orgs["holder"]
    created = cast.ok("user", "create", holder, "--name", "holder reader", "--role", "reader",
                      who="admin")  # fmt: skip
    user_id, old_key = str(created["id"]), str(created["api_key"])
    cast.keys["reader"] = old_key

    listed = cast.ok("user", "list", holder, who="admin")
    mine = next(u for u in listed if u["id"] == user_id)
    assert mine["name"] == "holder reader" and mine["role"] == "reader"
    assert mine["revoked_at"] is None and old_key.startswith(f"dal_{mine['key_prefix']}_")
    assert all("api_key" not in u for u in listed)

    rotated = cast.ok("user", "rotate", user_id, who="admin")
    new_key = str(rotated["api_key"])
    assert rotated["id"] == user_id and new_key != old_key
    code, refused = cast.run("me", who="reader")
    assert code == 1 and refused["code"] == "not-authenticated"
    cast.keys["reader"] = new_key
    assert cast.ok("me", who="reader")["user_id"] == user_id
    assert cast.runtime.accounts.authenticate(old_key) is None

    revoked = cast.ok("user", "revoke", user_id, who="admin")
    assert revoked["id"] == user_id and revoked["revoked_at"] is not None
    code, refused = cast.run("me", who="reader")
    assert code == 1 and refused["code"] == "not-authenticated"
    assert cast.runtime.accounts.authenticate(new_key) is None


def test_revoking_ones_own_key_is_refused_by_its_code(cast: Cli) -> None:
    me = cast.ok("me", who="registrar_admin")
    code, refused = cast.run("user", "revoke", me["user_id"], who="registrar_admin")
    assert code == 1 and refused["code"] == "self-revocation"
    assert cast.err.startswith("error [self-revocation]: ")


def test_org_terms_reads_and_sets_one_term_keeping_the_other(cast: Cli) -> None:
    registrar = cast.orgs["registrar"]
    before = cast.ok("org", "terms", registrar, who="registrar_admin")
    assert before["org_id"] == registrar
    cast.ok("org", "terms", registrar, "--notice-window", "172800", who="registrar_admin")
    after = cast.ok("org", "terms", registrar, who="registrar_admin")
    assert after["notice_window_seconds"] == 172_800
    assert after["effective_notice_window_seconds"] == 172_800
    assert after["certificate_term_seconds"] == before["certificate_term_seconds"]
    cast.ok("org", "terms", registrar, "--notice-window", "0", "--certificate-term", "0",
            who="registrar_admin")  # fmt: skip
    reset = cast.ok("org", "terms", registrar, who="registrar_admin")
    # 0 asks the directory for its defaults (10 days, 3 years), stored as such
    assert (reset["notice_window_seconds"], reset["certificate_term_seconds"]) == (
        10 * 86_400, 3 * 365 * 86_400,
    )  # fmt: skip


def test_org_deactivate_stops_its_writes_and_activate_restores_them(
    cast: Cli, tmp_path: Path
) -> None:
    org = cast.admit("holder2", "holder", "Qingdao Ocean Data Bureau", "registrar_admin")
    meta = tmp_path / "m.json"
    meta.write_text(json.dumps({"title": "tides", "items": 1}), encoding="utf-8")
    register = ("asset", "register", "--domain", "7", "--metadata", str(meta))
    body = cast.ok("org", "deactivate", org, who="registrar_admin")
    assert body["operation"]["function"] == "setOrgActive"
    assert body["operation"]["args"][1] is False
    code, refused = cast.run(*register, "--catalogue-code", "370200-HY-OFF", who="holder2")
    assert code == 1 and refused["code"] == "NotOrgOfKind"  # no live key of an active org
    cast.ok("org", "activate", org, who="registrar_admin")
    asset = cast.ok(*register, "--catalogue-code", "370200-HY-ON", who="holder2")["id"]
    assert cast.record("asset", asset)["holderOrgId"] == org
