"""The CLI commands of the v2 routes: re-issue after a revocation for registration error,
cancellations by the holder, account activation after the delay."""

from __future__ import annotations

import json
from pathlib import Path

from eth_account import Account

from chain.service import revenue
from chain.service.common import APPLICATION_STATUSES, FINANCING_STATUSES
from tests.cli.conftest import NOTICE, QINGDAO, Cli, h


def _certified(led: Cli, tmp_path: Path, code: str) -> tuple[str, str]:
    meta = tmp_path / f"{code}.json"
    meta.write_text(json.dumps({"title": f"resource {code}", "items": 3}), encoding="utf-8")
    asset = led.ok("asset", "register", "--catalogue-code", code, "--domain", "7",
                   "--metadata", str(meta), who="holder")["id"]  # fmt: skip
    led.ok("asset", "value", asset, "--value-fen", "125000000", "--method", "1",
           "--report-hash", h("valuation"), who="registrar")  # fmt: skip
    led.ok("asset", "compliance", asset, "--passed", "--report-hash", h("compliance"),
           who="registrar")  # fmt: skip
    led.advance(NOTICE + 1)
    cert = led.ok("cert", "issue", asset, who="registrar")["id"]
    return str(asset), str(cert)


def test_reissue_and_cancellations_through_the_cli(cast: Cli, tmp_path: Path) -> None:
    asset, cert = _certified(cast, tmp_path, "370200-JT-V2CLI")
    cast.ok("cert", "revoke", cert, "--reason", "2", who="registrar")
    reissued = cast.ok("cert", "reissue", cert, who="registrar")
    assert reissued["operation"]["function"] == "reissueCertificate"
    assert cast.record("asset", asset)["currentCertificateId"] == reissued["id"]
    assert cast.ok("cert", "show", reissued["id"], who="holder")["status"] == "Active"

    scope = tmp_path / "scope.json"
    scope.write_text(json.dumps({"purpose": "cancelled"}), encoding="utf-8")
    app = cast.ok("app", "apply", asset, "--operator", cast.orgs["operator"], "--scope",
                  str(scope), who="holder")["id"]  # fmt: skip
    cast.ok("app", "cancel", app, who="holder")
    assert APPLICATION_STATUSES[cast.record("application", app)["status"]] == "Cancelled"

    pledge = cast.ok("pledge", "request", asset, "--bank", cast.orgs["bank"], "--amount-fen",
                     "100", "--contract-hash", h("pledge"), who="holder")["id"]  # fmt: skip
    code, refused = cast.run("pledge", "cancel", pledge, who="bank")
    assert code == 1 and refused["code"] == "not-authorised"
    cast.ok("pledge", "cancel", pledge, who="holder")
    assert FINANCING_STATUSES[cast.record("financing", pledge)["status"]] == "Cancelled"


def test_account_changes_activate_after_the_delay(cast: Cli) -> None:
    first, second = Account.create().address, Account.create().address
    cast.ok("account", "treasury", str(QINGDAO), first, who="finance")
    cast.ok("account", "treasury", str(QINGDAO), second, who="finance")
    setting = revenue.treasury_setting(cast.runtime, QINGDAO)
    if setting.pending is not None:  # a change: pending until the delay has passed
        assert setting.pending == second
        cast.advance(cast.runtime.deployment.account_change_delay + 1)
        cast.ok("account", "treasury-activate", str(QINGDAO), who="finance")
    assert revenue.treasury_account(cast.runtime, QINGDAO) == second
