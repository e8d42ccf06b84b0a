"""The ledger's workflows through ``ledger`` commands: each command calls the same
``chain.service`` function as the gateway's route; chain state is asserted after each."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eth_account import Account

from chain.service import revenue
from chain.service.common import APPLICATION_STATUSES, ASSET_STATUSES, FINANCING_STATUSES
from tests.cli.conftest import NOTICE, QINGDAO, Cli, h


def _json_file(tmp_path: Path, name: str, document: object) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(document), encoding="utf-8")
    return str(path)


def _registered(led: Cli, tmp_path: Path, code: str) -> str:
    meta = _json_file(tmp_path, f"{code}.json", {"title": f"resource {code}", "items": 3})
    return str(led.ok("asset", "register", "--catalogue-code", code, "--domain", "7",
                      "--metadata", meta, who="holder")["id"])  # fmt: skip


def _certified(led: Cli, tmp_path: Path, code: str) -> tuple[str, str]:
    meta = _json_file(tmp_path, f"{code}.json", {"title": f"resource {code}", "items": 3})
    asset = led.ok("asset", "register", "--catalogue-code", code, "--domain", "7",
                   "--metadata", meta, who="holder")["id"]  # fmt: skip
    led.ok("asset", "value", asset, "--value-fen", "125000000", "--method", "1",
           "--report-hash", h("valuation"), who="registrar")  # fmt: skip
    led.ok("asset", "compliance", asset, "--passed", "--report-hash", h("compliance"),
           who="registrar")  # fmt: skip
    led.advance(NOTICE + 1)
    cert = led.ok("cert", "issue", asset, who="registrar")["id"]
    return str(asset), str(cert)


def test_qingdao_flow_through_the_cli(cast: Cli, tmp_path: Path) -> None:
    led = cast
    meta = _json_file(tmp_path, "meta.json", {"title": "city bus GPS traces", "items": 14})
    body = led.ok("asset", "register", "--catalogue-code", "370200-JT-0001", "--domain", "7",
                  "--metadata", meta, who="holder")  # fmt: skip
    asset = body["id"]
    assert body["kind"] == "asset" and body["operation"]["function"] == "registerResource"
    assert led.record("asset", asset)["holderOrgId"] == led.orgs["holder"]

    led.ok("asset", "value", asset, "--value-fen", "200000000", "--method", "3",
           "--report-hash", h("valuation"), who="registrar")  # fmt: skip
    assert led.record("asset", asset)["valued"] is True
    assert led.value_fen(asset) == 200_000_000
    led.ok("asset", "compliance", asset, "--passed", "--report-hash", h("compliance"),
           who="registrar")  # fmt: skip
    assert ASSET_STATUSES[led.record("asset", asset)["status"]] == "InNotice"

    led.advance(NOTICE + 1)
    cert = led.ok("cert", "issue", asset, who="registrar")["id"]
    assert led.record("asset", asset)["currentCertificateId"] == cert
    shown = led.ok("cert", "show", cert, who="holder")
    assert shown["status"] == "Active" and shown["asset_id"] == asset

    led.ok("cert", "recognise", cert, who="xm_registrar")
    reg = led.runtime.registry
    by = bytes.fromhex(led.orgs["xm_registrar"][2:])
    assert reg.functions.isRecognised(bytes.fromhex(cert[2:]), by).call() is True

    scope = _json_file(tmp_path, "scope.json", {"purpose": "traffic forecasting"})
    app = led.ok("app", "apply", asset, "--operator", led.orgs["operator"], "--scope", scope,
                 who="holder")["id"]  # fmt: skip
    led.ok("app", "review", app, "--approve", who="competent")
    led.ok("app", "review", app, "--approve", who="data_admin")
    led.ok("app", "decide", app, "--approve", who="finance")
    assert APPLICATION_STATUSES[led.record("application", app)["status"]] == "Approved"
    operator = led.runtime.use_and_finance.functions.paymentContext(
        bytes.fromhex(asset[2:])
    ).call()[2]
    assert "0x" + bytes(operator).hex() == led.orgs["operator"]

    led.ok("schedule", "set", asset, "--bracket", "0:2000", "--bracket", "10000000:3500",
           who="finance")  # fmt: skip
    [version] = revenue.list_schedules(led.runtime, asset)
    assert version.lower_bounds == [0, 10_000_000] and version.operator_bps == [2000, 3500]

    treasury, payout = Account.create().address, Account.create().address
    led.ok("account", "treasury", str(QINGDAO), treasury, who="finance")
    led.ok("account", "payout", led.orgs["operator"], payout, who="operator")
    led.ok("faucet", led.orgs["merchant"], "--amount", "50000000", who="admin")
    paid = led.ok("pay", asset, "--amount", "20000000", "--reference", "HY-2025-0001",
                  who="merchant")  # fmt: skip
    payment = revenue.get_payment(led.runtime, paid["id"])
    assert (payment.amount, payment.operator_share, payment.treasury_share) == (
        20_000_000, 5_500_000, 14_500_000)  # fmt: skip
    assert revenue.account_balance(led.runtime, treasury) == 14_500_000

    offchain = led.ok("pay", asset, "--amount", "1000000", "--reference", "BOQ-778", "--offchain",
                      who="operator")["id"]  # fmt: skip
    assert revenue.asset_revenue(led.runtime, asset).outstanding_remittance == 800_000
    led.ok("remit", offchain, "--reference", "TREASURY-2025-11-0093", who="finance")
    assert revenue.get_payment(led.runtime, offchain).remitted is True
    assert revenue.asset_revenue(led.runtime, asset).outstanding_remittance == 0

    pledge = led.ok("pledge", "request", asset, "--bank", led.orgs["bank"], "--amount-fen",
                    "60000000", "--contract-hash", h("pledge"), who="holder")["id"]  # fmt: skip
    led.ok("pledge", "confirm", pledge, who="bank")
    assert FINANCING_STATUSES[led.record("financing", pledge)["status"]] == "Active"
    code, refused = led.run("dispose", "request", asset, "--reason-hash", h("disposal"),
                            who="holder")  # fmt: skip
    assert code == 1 and refused["code"] == "AssetPledged"
    led.ok("pledge", "release", pledge, who="bank")
    assert FINANCING_STATUSES[led.record("financing", pledge)["status"]] == "Released"

    led.ok("dispose", "request", asset, "--reason-hash", h("disposal"), who="holder")
    led.ok("dispose", "confirm", asset, who="registrar")
    assert ASSET_STATUSES[led.record("asset", asset)["status"]] == "Disposed"
    assert led.ok("cert", "show", cert, who="holder")["status"] == "Revoked"


def test_revoke_prints_the_operation_and_changes_the_status(cast: Cli, tmp_path: Path) -> None:
    _, cert = _certified(cast, tmp_path, "370200-JT-REV")
    with pytest.raises(SystemExit) as refused:  # 1 is disposal's own reason
        cast.run("cert", "revoke", cert, "--reason", "1", who="registrar")
    assert refused.value.code == 2 and "invalid choice: 1" in cast.capsys.readouterr().err
    body = cast.ok("cert", "revoke", cert, "--reason", "2", who="registrar")
    assert body["operation"]["function"] == "revokeCertificate"
    assert body["operation"]["args"][1] == 2
    assert cast.record("certificate", cert)["revocationReason"] == 2
    assert cast.ok("cert", "show", cert, who="holder")["status"] == "Revoked"


def test_human_output_is_one_line(cast: Cli, tmp_path: Path) -> None:
    meta = _json_file(tmp_path, "m.json", {"title": "parking", "items": 1})
    code, out = cast.run("asset", "register", "--catalogue-code", "370200-JT-HUMAN", "--domain",
                         "7", "--metadata", meta, who="holder", json_out=False)  # fmt: skip
    assert code == 0
    assert out.count("\n") == 0 and out.startswith("asset 0x") and " mined in block " in out


def test_contract_revert_is_reported_by_its_error_name(cast: Cli, tmp_path: Path) -> None:
    meta = _json_file(tmp_path, "n.json", {"title": "taxi", "items": 2})
    asset = cast.ok("asset", "register", "--catalogue-code", "370200-JT-EARLY", "--domain", "7",
                    "--metadata", meta, who="holder")["id"]  # fmt: skip
    code, body = cast.run("cert", "issue", asset, who="registrar")
    assert code == 1 and body["code"] not in ("contract-revert", "ledger-error")
    err = cast.err
    assert err.startswith(f"error [{body['code']}]: ") and err.count("\n") == 1
    assert cast.record("asset", asset)["currentCertificateId"] == "0x" + "00" * 32


def test_wrong_organisation_is_refused_before_signing(cast: Cli, tmp_path: Path) -> None:
    asset = _registered(cast, tmp_path, "370200-JT-AUTH")
    nonce_before = cast.runtime.w3.eth.get_transaction_count(
        cast.runtime.signer_for_org(cast.orgs["holder"]).address
    )
    code, body = cast.run("cert", "issue", asset, who="holder")
    assert code == 1 and body["code"] == "not-authorised"
    assert "registrar" in body["detail"]
    signer = cast.runtime.signer_for_org(cast.orgs["holder"]).address
    assert cast.runtime.w3.eth.get_transaction_count(signer) == nonce_before


def test_no_wait_prints_the_operation_then_op_show_follows_it(cast: Cli, tmp_path: Path) -> None:
    meta = _json_file(tmp_path, "w.json", {"title": "metro", "items": 5})
    code, body = cast.run("asset", "register", "--catalogue-code", "370200-JT-NOWAIT",
                          "--domain", "7", "--metadata", meta, "--no-wait",
                          who="holder")  # fmt: skip
    assert code == 0 and body["operation"]["state"] in ("sent", "mined")
    op_id = body["operation"]["id"]
    shown = cast.ok("op", "show", op_id, who="holder")
    assert shown["id"] == op_id and shown["state"] == "mined"
    assert shown["function"] == "registerResource"
    code, other = cast.run("op", "show", op_id, who="bank")
    assert code == 1 and other["code"] == "not-found"


def test_idempotency_key_same_input_same_operation_other_input_conflict(
    cast: Cli, tmp_path: Path
) -> None:
    asset = _registered(cast, tmp_path, "370200-JT-IDEM")
    args = ("asset", "dispute", asset, "--reason-hash", h("dispute"), "--idempotency-key", "k-1")
    first = cast.ok(*args, who="registrar")
    again = cast.ok(*args, who="registrar")
    assert again["operation"]["id"] == first["operation"]["id"]
    assert cast.record("asset", asset)["disputed"] is True
    code, body = cast.run("asset", "dispute", asset, "--reason-hash", h("other"),
                          "--idempotency-key", "k-1", who="registrar")  # fmt: skip
    assert code == 1 and body["code"] == "idempotency-conflict"


def test_split_quote_needs_no_key(ledger: Cli) -> None:
    body = ledger.ok("split", "quote", "--bracket", "0:2000", "--bracket", "10000000:3500",
                     "--amount", "20000000")  # fmt: skip
    assert (body["operator_share"], body["treasury_share"]) == (5_500_000, 14_500_000)
    assert [b["part"] for b in body["brackets"]] == [10_000_000, 10_000_000]


def test_missing_or_bad_key_is_refused(ledger: Cli) -> None:
    code, body = ledger.run("asset", "show", "0x" + "11" * 32)
    assert code == 1 and body["code"] == "not-authenticated"
    code, body = ledger.run("asset", "show", "0x" + "11" * 32, "--api-key", "dal_nope")
    assert code == 1 and body["code"] == "not-authenticated"


def test_invalid_input_is_a_usage_error(cast: Cli) -> None:
    code, body = cast.run("asset", "value", "0x" + "11" * 32, "--value-fen", "-1", "--method",
                          "1", "--report-hash", h("x"), who="registrar")  # fmt: skip
    assert code == 2 and body["code"] == "validation-failed" and "value_fen" in body["detail"]
    try:
        cast.run("schedule", "set", "0x" + "11" * 32, "--bracket", "nonsense", who="finance")
    except SystemExit as exc:
        assert exc.code == 2
    else:
        raise AssertionError("a malformed bracket must be a usage error")


def test_key_create_admission_by_signer_and_org_import(ledger: Cli) -> None:
    key = ledger.ok("key", "create", who="admin")
    assert key["key_id"].startswith("key-") and key["org_id"] is None
    name = "Suzhou Data Asset Registration Centre"
    admitted = ledger.ok("org", "create", "--kind", "registrar", "--name", name,
                         "--city", "320500", "--signer", key["address"], who="admin")  # fmt: skip
    org_id = admitted["id"]
    assert ledger.ok("org", "show", org_id, who="admin")["signing_key"] == "external"
    code, _ = ledger.run("org", "rotate-key", org_id, who="admin")
    # v2: only the organisation itself changes its keys, never the consortium admin
    assert code != 0 and "an organisation consents to its own keys" in ledger.err
    code, _ = ledger.run("org", "import", org_id, "--name", "Suzhou", "--key", key["key_id"],
                         who="admin")  # fmt: skip
    assert code != 0 and "name hash" in ledger.err
    imported = ledger.ok("org", "import", org_id, "--name", name, "--key", key["key_id"],
                         who="admin")  # fmt: skip
    assert imported["signing_key"] == "held" and imported["signer_address"] == key["address"]
    listed = ledger.ok("key", "list", who="admin")
    assert {"key_id": key["key_id"], "address": key["address"], "org_id": org_id} in listed
