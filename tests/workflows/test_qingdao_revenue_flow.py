"""The whole Qingdao flow over HTTP on the in-process chain, revenue included: register,
value, certify, recognition by Xiamen, paid-use approval, the finance department's
schedule, token payments of the DOMAIN.md worked example with exact token balances, an
off-chain payment and its remittance, pledge, release and disposal; a payment after
disposal is refused with the contract's error name. Chain state is read directly."""

from __future__ import annotations

from typing import Any

from eth_account import Account
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3

from chain.bindings.contracts import SPLIT, TEST_TOKEN
from chain.bindings.enums import Usability
from chain.indexer.models import PaymentRow, RawEvent
from tests.workflows.world import NOTICE, QINGDAO, RegistryWorld, h

YUAN = 100
BOUNDS = [0, 100_000 * YUAN, 500_000 * YUAN]
BPS = [2_000, 3_500, 5_000]
# DOMAIN.md worked example, yuan: payment -> (operator, treasury)
WORKED = [(80_000, 16_000, 64_000), (300_000, 90_000, 210_000), (1_000_000, 410_000, 590_000)]


def raw(hex_id: str) -> bytes:
    return bytes.fromhex(hex_id[2:])


def _raw_event(store: sessionmaker[Session], event: str, payment_id: str) -> dict[str, Any]:
    """The indexed event of a payment, every column."""
    with store() as session:
        rows = session.scalars(select(RawEvent).where(RawEvent.event == event))
        row = next(r for r in rows if r.args["paymentId"] == payment_id.lower())
        return {c.key: getattr(row, c.key) for c in RawEvent.__table__.columns}


def test_qingdao_flow_with_revenue_settles_exact_shares_until_disposal(
    registry_world: RegistryWorld,
) -> None:
    w = registry_world
    reg = w.reg
    split = w.runtime.contract(SPLIT)
    token = w.runtime.contract(TEST_TOKEN)
    xm = raw(w.orgs["xm_registrar"])

    def balance(account: str) -> int:
        return int(token.functions.balanceOf(Web3.to_checksum_address(account)).call())

    # -- register, value, compliance, notice, certificate ------------------------------
    response = w.ok("POST", "/v1/assets", "holder", {
        "catalogue_code": "370200-JT-2025-0101",
        "domain_code": 7,
        "metadata": {"title": "city transport analysis data resource set",
                     "categories": 3, "items": 13},
    })  # fmt: skip
    asset_id = response.headers["Ledger-Resource-Id"]
    assert w.status_of(asset_id) == "Registered"
    w.in_notice(asset_id)
    assert w.status_of(asset_id) == "InNotice"
    w.advance(NOTICE + 1)
    response = w.ok("POST", f"/v1/assets/{asset_id}/certificate", "registrar")
    cert_id = response.headers["Ledger-Resource-Id"]
    assert w.status_of(asset_id) == "Certified"
    assert w.asset(asset_id)["currentCertificateId"] == cert_id

    # -- a partner city recognises it --------------------------------------------------
    assert reg.functions.isRecognised(raw(cert_id), xm).call() is False
    w.ok("POST", f"/v1/certificates/{cert_id}/recognitions", "xm_registrar")
    assert reg.functions.isRecognised(raw(cert_id), xm).call() is True

    # -- paid use: apply, two reviews, approval -----------------------------------------
    response = w.ok("POST", f"/v1/assets/{asset_id}/applications", "holder", {
        "operator_org_id": w.orgs["operator"], "scope": {"purpose": "traffic forecasting"},
    })  # fmt: skip
    app_id = response.headers["Ledger-Resource-Id"]
    w.ok("POST", f"/v1/applications/{app_id}/reviews", "competent", {"approve": True})
    w.ok("POST", f"/v1/applications/{app_id}/reviews", "data_admin", {"approve": True})
    w.ok("POST", f"/v1/applications/{app_id}/approval", "finance", {"approve": True})
    usability, city, operator = w.uaf.functions.paymentContext(raw(asset_id)).call()
    assert (usability, city) == (Usability.Usable, QINGDAO)
    assert "0x" + operator.hex() == w.orgs["operator"]

    # -- faucet; finance sets the schedule; treasury and payout accounts ---------------
    merchant_signer = w.runtime.accounts.get_org(w.orgs["merchant"]).signer_address
    w.ok("POST", "/v1/dev/faucet", "admin",
         {"org_id": w.orgs["merchant"], "amount": 2_000_000 * YUAN})  # fmt: skip
    assert balance(merchant_signer) == 2_000_000 * YUAN
    # paying before a schedule exists is refused by the contract
    early = w.call("POST", f"/v1/assets/{asset_id}/payments", "merchant",
                   {"amount": 100 * YUAN, "reference": "before-schedule"})  # fmt: skip
    assert early.status_code == 409, early.text
    assert early.headers["content-type"].startswith("application/problem+json")
    assert early.json()["code"] == "NoSchedule"
    w.ok("POST", f"/v1/assets/{asset_id}/schedules", "finance",
         {"lower_bounds": BOUNDS, "operator_bps": BPS})  # fmt: skip
    versions = w.client.get(f"/v1/assets/{asset_id}/schedules",
                            headers=w.auth("auditor")).json()["versions"]  # fmt: skip
    assert [(v["version"], v["lower_bounds"], v["operator_bps"]) for v in versions] == [
        (1, BOUNDS, BPS)
    ]
    assert versions[0]["finance_org_id"] == w.orgs["finance"]
    treasury, payout = Account.create().address, Account.create().address
    w.ok("PUT", f"/v1/cities/{QINGDAO}/treasury-account", "finance", {"account": treasury})
    w.ok("PUT", f"/v1/orgs/{w.orgs['operator']}/payout-account", "operator", {"account": payout})
    assert split.functions.treasuryAccount(QINGDAO).call() == treasury
    assert split.functions.payoutAccount(raw(w.orgs["operator"])).call() == payout
    version, bounds, bps = split.functions.currentSchedule(raw(asset_id)).call()
    assert (version, list(bounds), list(bps)) == (1, BOUNDS, BPS)

    # -- token payments: the worked example, exact balances after each -----------------
    paid_ids = []
    for n, (amount, operator_share, treasury_share) in enumerate(WORKED):
        payout0, treasury0 = balance(payout), balance(treasury)
        response = w.ok("POST", f"/v1/assets/{asset_id}/payments", "merchant",
                        {"amount": amount * YUAN, "reference": f"QD-INV-{n}"})  # fmt: skip
        pid = response.headers["Payment-Id"]
        paid_ids.append(pid)
        settled = w.events(response, "PaymentSettled")
        assert settled[0]["paymentId"] == pid
        assert balance(payout) - payout0 == operator_share * YUAN
        assert balance(treasury) - treasury0 == treasury_share * YUAN
        record = w.client.get(f"/v1/payments/{pid}", headers=w.auth("auditor")).json()
        assert (record["operator_share"], record["treasury_share"]) == (
            operator_share * YUAN, treasury_share * YUAN,
        )  # fmt: skip
        assert record["settlement"] == "onchain" and record["schedule_version"] == 1
    assert balance(payout) == 516_000 * YUAN
    assert balance(treasury) == 864_000 * YUAN
    assert balance(merchant_signer) == 620_000 * YUAN
    assert balance(split.address) == 0

    # -- off-chain payment by the operator, remittance confirmed by finance -------------
    response = w.ok("POST", f"/v1/assets/{asset_id}/payments", "operator",
                    {"amount": 300_000 * YUAN, "offchain": True,
                     "bank_ref": "BOC-20251125-0001"})  # fmt: skip
    off_id = response.headers["Payment-Id"]
    remittance = w.client.get(f"/v1/assets/{asset_id}/remittance",
                              headers=w.auth("auditor")).json()  # fmt: skip
    assert remittance["outstanding_remittance"] == 210_000 * YUAN
    assert split.functions.outstandingRemittance(raw(asset_id)).call() == 210_000 * YUAN
    assert remittance["total_paid"] == 1_680_000 * YUAN
    assert remittance["operator_total"] == 606_000 * YUAN
    by_op = w.client.get(f"/v1/orgs/{w.orgs['operator']}/remittance",
                         headers=w.auth("operator")).json()  # fmt: skip
    assert by_op["outstanding_remittance"] == 210_000 * YUAN
    assert balance(treasury) == 864_000 * YUAN  # nothing moved on chain
    w.ok("POST", f"/v1/payments/{off_id}/remittance", "finance",
         {"remittance_ref": "TREASURY-2025-11-0001"})  # fmt: skip
    remittance = w.client.get(f"/v1/assets/{asset_id}/remittance",
                              headers=w.auth("auditor")).json()  # fmt: skip
    assert remittance == {
        "asset_id": asset_id,
        "total_paid": 1_680_000 * YUAN,
        "operator_total": 606_000 * YUAN,
        "treasury_total": 1_074_000 * YUAN,
        "outstanding_remittance": 0,
    }
    by_op = w.client.get(f"/v1/orgs/{w.orgs['operator']}/remittance",
                         headers=w.auth("operator")).json()  # fmt: skip
    assert by_op["outstanding_remittance"] == 0
    assert split.functions.outstandingRemittance(raw(asset_id)).call() == 0
    listed = w.client.get(f"/v1/assets/{asset_id}/payments",
                          headers=w.auth("auditor")).json()["payments"]  # fmt: skip
    assert [p["payment_id"] for p in listed] == [*paid_ids, off_id]
    assert all(p["remitted"] for p in listed)

    # -- the auditor's consistency check against the deployed contracts ----------------
    # The report compares at the store's last indexed block: it is about everything only
    # when the store holds the head (each waited write answered once its block was indexed).
    audit = w.client.get("/v1/audit/consistency", headers=w.auth("auditor")).json()
    assert audit["block"] == w.runtime.w3.eth.block_number
    assert audit["consistent"] is True, audit["differences"]
    assert audit["checked"]["assets_with_payments"] >= 1 and audit["checked"]["certificates"] >= 1
    store = w.client.app.state.indexer_store
    with store() as session, session.begin():  # a quiet edit of one indexed payment
        row = session.get(PaymentRow, off_id.lower())
        assert row is not None and int(row.operator_share) == 90_000 * YUAN and row.remitted
        share = int(row.treasury_share)
        row.remitted = False  # the store now claims the treasury share is still owed
    try:
        audit = w.client.get("/v1/audit/consistency", headers=w.auth("auditor")).json()
        assert audit["consistent"] is False
        assert share > 0 and audit["differences"] == [{
            "kind": "payment_status", "id": off_id.lower(),
            "store": "offchain_outstanding", "chain": "offchain_remitted",
        }, {
            "kind": "payment_totals", "id": asset_id, "field": "outstanding",
            "store": share, "chain": 0,
        }, {
            "kind": "row", "change": "changed", "table": "idx_payments",
            "key": {"payment_id": off_id.lower()}, "id": off_id.lower(),
            "field": "remitted", "store": False, "chain": True,
        }]  # fmt: skip
    finally:
        with store() as session, session.begin():
            row = session.get(PaymentRow, off_id.lower())
            assert row is not None
            row.remitted = True
    audit = w.client.get("/v1/audit/consistency", headers=w.auth("auditor")).json()
    assert audit["consistent"] is True
    # an indexed event edited (9,000,000 fen -> 900,000), another deleted: both are named
    settled = _raw_event(store, "PaymentSettled", paid_ids[1])
    assert settled["args"]["operatorShare"] == 90_000 * YUAN
    key = {"block_number": settled["block_number"], "log_index": settled["log_index"]}
    with store() as session, session.begin():
        args = {**settled["args"], "operatorShare": 9_000 * YUAN}
        session.execute(update(RawEvent).where(RawEvent.id == settled["id"]).values(args=args))
    audit = w.client.get("/v1/audit/consistency", headers=w.auth("auditor")).json()
    assert audit["differences"] == [{
        "kind": "row", "change": "changed", "table": "idx_events", "key": key,
        "id": f"{key['block_number']}/{key['log_index']}", "field": "args.operatorShare",
        "store": 9_000 * YUAN, "chain": 90_000 * YUAN,
    }]  # fmt: skip
    with store() as session, session.begin():
        session.execute(
            update(RawEvent).where(RawEvent.id == settled["id"]).values(args=settled["args"])
        )
    offchain = _raw_event(store, "OffchainPaymentRecorded", off_id)
    with store() as session, session.begin():
        session.execute(delete(RawEvent).where(RawEvent.id == offchain["id"]))
    audit = w.client.get("/v1/audit/consistency", headers=w.auth("auditor")).json()
    assert audit["consistent"] is False and len(audit["differences"]) == 1
    gone = audit["differences"][0]
    assert (gone["change"], gone["table"], gone["store"]) == ("missing", "idx_events", None)
    assert gone["chain"] == {k: v for k, v in offchain.items() if k != "id"}
    with store() as session, session.begin():
        session.execute(insert(RawEvent).values(**offchain))
    audit = w.client.get("/v1/audit/consistency", headers=w.auth("auditor")).json()
    assert audit["consistent"] is True

    # -- pledge, release ---------------------------------------------------------------
    response = w.ok("POST", f"/v1/assets/{asset_id}/pledges", "holder", {
        "bank_org_id": w.orgs["bank"], "amount_fen": 2_000_000_00,
        "contract_hash": h("pledge contract 0101"),
    })  # fmt: skip
    pledge_id = response.headers["Ledger-Resource-Id"]
    w.ok("POST", f"/v1/pledges/{pledge_id}/confirmation", "bank")
    assert "0x" + w.uaf.functions.pledgeOf(raw(asset_id)).call().hex() == pledge_id
    w.ok("POST", f"/v1/pledges/{pledge_id}/release", "bank")
    record = w.client.get(f"/v1/pledges/{pledge_id}/onchain", headers=w.auth("bank")).json()
    assert record["status"] == "Released"
    assert w.uaf.functions.pledgeOf(raw(asset_id)).call() == bytes(32)

    # -- disposal; a payment afterwards is refused with the contract's error name ------
    w.ok("POST", f"/v1/assets/{asset_id}/disposal", "holder", {"reason_hash": h("disposal")})
    w.ok("POST", f"/v1/assets/{asset_id}/disposal/confirmation", "registrar")
    assert w.status_of(asset_id) == "Disposed"
    assert reg.functions.isRecognised(raw(cert_id), xm).call() is False
    late = w.call("POST", f"/v1/assets/{asset_id}/payments", "merchant",
                  {"amount": 100 * YUAN, "reference": "after-disposal"})  # fmt: skip
    assert late.status_code == 409, late.text
    assert late.headers["content-type"].startswith("application/problem+json")
    problem = late.json()
    assert problem["code"] == "AssetNotUsable"  # the usability part that fails: Disposed
    assert "Traceback" not in late.text
    assert balance(merchant_signer) == 620_000 * YUAN
    assert balance(payout) == 516_000 * YUAN
