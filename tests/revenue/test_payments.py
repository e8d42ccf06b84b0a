"""Revenue split over HTTP: the worked example of DOMAIN.md with real token payments,
forward-only schedule changes, refusals, off-chain payments and remittance, idempotency."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from chain.service import revenue
from chain.txpipe import Operation
from tests.revenue.conftest import EXAMPLE_BOUNDS, EXAMPLE_BPS, QINGDAO, YUAN, RevenueLedger

# DOMAIN.md worked example: payment -> (operator, treasury), in yuan.
WORKED = [
    (80_000, 16_000, 64_000),
    (300_000, 90_000, 210_000),
    (1_000_000, 410_000, 590_000),
]


def test_quote_worked_example_without_key(rl: RevenueLedger) -> None:
    for amount, operator, treasury in WORKED:
        r = rl.post(
            "/v1/split/quote",
            None,
            {"lower_bounds": EXAMPLE_BOUNDS, "operator_bps": EXAMPLE_BPS, "amount": amount * YUAN},
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["operator_share"] == operator * YUAN
        assert body["treasury_share"] == treasury * YUAN
        assert sum(b["part"] for b in body["brackets"]) == amount * YUAN
    parts = [b["part"] for b in body["brackets"]]
    assert parts == [100_000 * YUAN, 400_000 * YUAN, 500_000 * YUAN]
    assert body["brackets"][2]["upper_bound"] is None


def test_pay_worked_example_settles_exact_token_shares(rl: RevenueLedger) -> None:
    asset = rl.approved_asset()
    before = rl.get(f"/v1/orgs/{rl.orgs['merchant']}/balance").json()["balance"]
    for n, (amount, operator, treasury) in enumerate(WORKED):
        payout0, treasury0 = rl.balance(rl.payout), rl.balance(rl.treasury)
        preview = rl.get(f"/v1/assets/{asset}/split/preview", amount=amount * YUAN).json()
        assert (preview["operator_share"], preview["version"]) == (operator * YUAN, 1)
        r = rl.write(
            "POST", f"/v1/assets/{asset}/payments", "merchant",
            {"amount": amount * YUAN, "reference": f"INV-worked-{n}"},
        )  # fmt: skip
        pid = r.headers["Payment-Id"]
        assert r.headers["Link"] == f'</v1/payments/{pid}>; rel="payment"'
        settled = [e for e in r.json()["events"] if e["event"] == "PaymentSettled"]
        assert settled[0]["args"]["paymentId"] == pid
        assert rl.balance(rl.payout) - payout0 == operator * YUAN
        assert rl.balance(rl.treasury) - treasury0 == treasury * YUAN
        record = rl.get(f"/v1/payments/{pid}").json()
        assert record["settlement"] == "onchain" and record["remitted"] is True
        assert (record["operator_share"], record["treasury_share"]) == (
            operator * YUAN,
            treasury * YUAN,
        )
    after = rl.get(f"/v1/orgs/{rl.orgs['merchant']}/balance").json()["balance"]
    assert before - after == 1_380_000 * YUAN
    listed = rl.get(f"/v1/assets/{asset}/payments").json()["payments"]
    assert [p["amount"] for p in listed] == [a * YUAN for a, _, _ in WORKED]
    totals = rl.get(f"/v1/assets/{asset}/remittance").json()
    assert totals == {
        "asset_id": asset,
        "total_paid": 1_380_000 * YUAN,
        "operator_total": 516_000 * YUAN,
        "treasury_total": 864_000 * YUAN,
        "outstanding_remittance": 0,
    }


def test_schedule_change_applies_only_to_later_payments(rl: RevenueLedger) -> None:
    asset = rl.approved_asset()
    first = rl.write(
        "POST", f"/v1/assets/{asset}/payments", "merchant",
        {"amount": 300_000 * YUAN, "reference": "before-change"},
    ).headers["Payment-Id"]  # fmt: skip
    rl.set_schedule(asset, [0], [1_000])
    second = rl.write(
        "POST", f"/v1/assets/{asset}/payments", "merchant",
        {"amount": 300_000 * YUAN, "reference": "after-change"},
    ).headers["Payment-Id"]  # fmt: skip
    p1 = rl.get(f"/v1/payments/{first}").json()
    p2 = rl.get(f"/v1/payments/{second}").json()
    assert (p1["schedule_version"], p1["operator_share"]) == (1, 90_000 * YUAN)
    assert (p2["schedule_version"], p2["operator_share"]) == (2, 30_000 * YUAN)
    versions = rl.get(f"/v1/assets/{asset}/schedules").json()["versions"]
    assert [(v["version"], v["operator_bps"]) for v in versions] == [
        (1, EXAMPLE_BPS),
        (2, [1_000]),
    ]
    assert versions[0]["finance_org_id"] == rl.orgs["finance"]
    assert versions[0]["effective_block"] < p1["block_number"] < versions[1]["effective_block"]
    # token payments reached the treasury already: no remittance to confirm
    r = rl.post(f"/v1/payments/{first}/remittance", "finance", {"remittance_ref": "T"})
    assert r.status_code == 409 and r.json()["code"] == "NotOffchainPayment"
    missing = "0x" + "ee" * 32
    assert rl.get(f"/v1/payments/{missing}").status_code == 404
    r = rl.post(f"/v1/payments/{missing}/remittance", "finance", {"remittance_ref": "T"})
    assert r.status_code == 404


def test_pay_before_approval_is_refused(rl: RevenueLedger) -> None:
    asset = rl.certified_asset()
    r = rl.post(
        f"/v1/assets/{asset}/payments", "merchant", {"amount": 100 * YUAN, "reference": "early"}
    )
    assert r.status_code == 409, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "PaidUseNotApproved"
    assert rl.get(f"/v1/assets/{asset}/payments").json()["payments"] == []


def test_pay_after_disposal_is_refused(rl: RevenueLedger) -> None:
    asset = rl.approved_asset()
    raw = bytes.fromhex(asset[2:])
    rl.tx("holder", "requestDisposal", raw, b"\x01" * 32)
    rl.tx("registrar", "confirmDisposal", raw)
    r = rl.post(
        f"/v1/assets/{asset}/payments", "merchant", {"amount": 100 * YUAN, "reference": "late"}
    )
    assert r.status_code == 409, r.text
    assert r.json()["code"] == "AssetNotUsable"
    assert r.json()["contract_error"]["args"]["part"] == 3  # Usability.Disposed
    assert "the asset was disposed of" in r.json()["detail"]
    off = rl.post(
        f"/v1/assets/{asset}/payments", "operator",
        {"amount": 100 * YUAN, "offchain": True, "bank_ref": "late-bank"},
    )  # fmt: skip
    assert off.status_code == 409 and off.json()["code"] == "AssetNotUsable"
    assert "the asset was disposed of" in off.json()["detail"]
    s = rl.post(
        f"/v1/assets/{asset}/schedules",
        "finance",
        {"lower_bounds": [0], "operator_bps": [100]},
    )
    assert s.status_code == 409 and s.json()["code"] == "AssetNotUsable"
    assert s.json()["contract_error"]["args"]["part"] == 3


def test_payments_by_wrong_kind_or_role_are_refused(rl: RevenueLedger) -> None:
    asset = rl.approved_asset()
    body = {"amount": 100 * YUAN, "reference": "wrong"}
    for who in ("holder", "finance", "reader"):
        r = rl.post(f"/v1/assets/{asset}/payments", who, body)
        assert r.status_code == 403, (who, r.text)
        assert r.json()["code"] == "not-authorised"
    # an operator that is not the asset's authorised operator cannot record off chain
    r = rl.post(
        f"/v1/assets/{asset}/payments", "operator2",
        {"amount": 100 * YUAN, "offchain": True, "bank_ref": "not-mine"},
    )  # fmt: skip
    assert r.status_code == 403 and r.json()["code"] == "not-authorised"
    # merchants cannot record off-chain payments or set schedules
    r = rl.post(
        f"/v1/assets/{asset}/payments", "merchant",
        {"amount": 100 * YUAN, "offchain": True, "bank_ref": "x"},
    )  # fmt: skip
    assert r.status_code == 403
    r = rl.post(
        f"/v1/assets/{asset}/schedules", "merchant", {"lower_bounds": [0], "operator_bps": [1]}
    )
    assert r.status_code == 403
    assert rl.post(f"/v1/assets/{asset}/payments", None, body).status_code == 401
    assert rl.get(f"/v1/assets/{asset}/payments").json()["payments"] == []


def test_offchain_payment_and_remittance_confirmation(rl: RevenueLedger) -> None:
    asset = rl.approved_asset()
    operator = rl.orgs["operator"]
    owed0 = rl.get(f"/v1/orgs/{operator}/remittance").json()["outstanding_remittance"]
    r = rl.write(
        "POST", f"/v1/assets/{asset}/payments", "operator",
        {"amount": 300_000 * YUAN, "offchain": True, "bank_ref": "BOC-20251125-77812"},
    )  # fmt: skip
    pid = r.headers["Payment-Id"]
    record = rl.get(f"/v1/payments/{pid}").json()
    assert record["settlement"] == "offchain" and record["remitted"] is False
    assert (record["operator_share"], record["treasury_share"]) == (90_000 * YUAN, 210_000 * YUAN)
    assert record["payer_org_id"] == operator and record["remittance_ref"] is None
    outstanding = rl.get(f"/v1/assets/{asset}/remittance").json()
    assert outstanding["outstanding_remittance"] == 210_000 * YUAN
    by_op = rl.get(f"/v1/orgs/{operator}/remittance").json()
    assert by_op["outstanding_remittance"] - owed0 == 210_000 * YUAN
    assert by_op["payout_account"] == rl.payout
    # only the finance department of the asset's city confirms
    wrong = rl.post(f"/v1/payments/{pid}/remittance", "operator", {"remittance_ref": "T-1"})
    assert wrong.status_code == 403
    rl.write("POST", f"/v1/payments/{pid}/remittance", "finance", {"remittance_ref": "T-1"})
    done = rl.get(f"/v1/payments/{pid}").json()
    assert done["remitted"] is True and done["remittance_ref"] is not None
    assert rl.get(f"/v1/assets/{asset}/remittance").json()["outstanding_remittance"] == 0
    by_op = rl.get(f"/v1/orgs/{operator}/remittance").json()
    assert by_op["outstanding_remittance"] == owed0
    again = rl.post(f"/v1/payments/{pid}/remittance", "finance", {"remittance_ref": "T-2"})
    assert again.status_code == 409 and again.json()["code"] == "AlreadyRemitted"
    listed = rl.get(f"/v1/assets/{asset}/payments").json()["payments"]
    assert [(p["payment_id"], p["remitted"]) for p in listed] == [(pid, True)]


def test_bad_schedule_is_refused_naming_the_rule(rl: RevenueLedger) -> None:
    asset = "0x" + "ab" * 32  # validation happens before anything else
    cases = [
        ([0, 100, 50], [1_000, 2_000, 3_000], "SplitBoundsNotIncreasing", 2),
        ([0, 100, 200], [1_000, 3_000, 2_000], "SplitRateDecreasing", 2),
        ([5, 100], [1_000, 2_000], "SplitFirstBoundNotZero", 0),
        ([0, 100], [1_000], "SplitLengthMismatch", None),
    ]
    for bounds, bps, rule, index in cases:
        body = {"lower_bounds": bounds, "operator_bps": bps}
        for r in (
            rl.post(f"/v1/assets/{asset}/schedules", "finance", body),
            rl.post("/v1/split/quote", None, {**body, "amount": 1}),
        ):
            assert r.status_code == 422, r.text
            problem = r.json()
            assert problem["code"] == "validation-failed"
            assert problem["rule"] == rule and problem.get("index") == index
            assert rule in problem["detail"]
    r = rl.post(
        "/v1/split/quote", None, {"lower_bounds": [0], "operator_bps": [10_001], "amount": 1}
    )
    assert r.status_code == 422
    r = rl.post(
        "/v1/split/quote", None, {"lower_bounds": [0], "operator_bps": [1], "amount": 2**128}
    )
    assert r.status_code == 422


def test_pay_approves_first_then_retry_with_same_key_creates_one_payment(
    rl: RevenueLedger,
) -> None:
    asset = rl.approved_asset()
    merchant = rl.orgs["merchant2"]
    rl.fund("merchant2", 10_000 * YUAN)
    assert rl.get(f"/v1/orgs/{merchant}/balance").json()["allowance_to_split"] == 0
    body = {"amount": 5_000 * YUAN, "reference": "retry-me"}
    key = {"Idempotency-Key": "pay-retry-1"}
    first = rl.write("POST", f"/v1/assets/{asset}/payments", "merchant2", body, **key)
    again = rl.write("POST", f"/v1/assets/{asset}/payments", "merchant2", body, **key)
    assert first.json()["id"] == again.json()["id"]
    assert first.json()["function"] == "pay"
    assert first.headers["Payment-Id"] == again.headers["Payment-Id"]
    balance = rl.get(f"/v1/orgs/{merchant}/balance").json()
    # approve(amount) was mined before pay, and pay used all of it; the retry approved nothing
    assert (balance["balance"], balance["allowance_to_split"]) == (5_000 * YUAN, 0)
    other = rl.post(f"/v1/assets/{asset}/payments", "merchant2", {**body, "amount": 1}, **key)
    assert other.status_code == 409, other.text
    assert other.json()["code"] == "idempotency-conflict"
    payments = rl.get(f"/v1/assets/{asset}/payments").json()["payments"]
    assert [p["payment_id"] for p in payments] == [first.headers["Payment-Id"]]
    # the same reference again without the key is a duplicate on chain
    dup = rl.post(f"/v1/assets/{asset}/payments", "merchant", {**body, "reference": "dup"})
    assert dup.status_code == 202
    dup = rl.post(f"/v1/assets/{asset}/payments", "merchant", {**body, "reference": "dup"})
    assert dup.status_code == 409 and dup.json()["code"] == "DuplicatePayment"
    # more than the balance: refused before anything is signed
    poor = rl.post(
        f"/v1/assets/{asset}/payments", "merchant2", {"amount": 6_000 * YUAN, "reference": "p"}
    )
    assert poor.status_code == 422 and poor.json()["code"] == "ERC20InsufficientBalance"


def test_concurrent_payments_by_one_payer_all_settle_with_exact_totals(
    rl: RevenueLedger,
) -> None:
    asset = rl.approved_asset()
    merchant = rl.orgs["merchant2"]
    principal = rl.runtime.accounts.authenticate(rl.keys["merchant2"])
    assert principal is not None
    # some payments find the allowance short and approve; later ones find it covered. The
    # payments spend the whole balance, so a payment counted twice would be refused.
    amounts = [3_000 * YUAN, 1_000 * YUAN, 2_000 * YUAN, 500 * YUAN, 2_500 * YUAN, 1_500 * YUAN]
    rl.fund("merchant2", sum(amounts))
    before = rl.get(f"/v1/orgs/{merchant}/balance").json()
    amounts += [before["balance"] - sum(amounts)] if before["balance"] > sum(amounts) else []

    def pay(n: int) -> Operation:
        made = revenue.pay(rl.runtime, principal, asset, amounts[n], f"together-{n}")
        return rl.runtime.txpipe.wait(made.operation.id, 60)

    with ThreadPoolExecutor(len(amounts)) as pool:
        ops = list(pool.map(pay, range(len(amounts))))
    assert [(op.function, op.state) for op in ops] == [("pay", "mined")] * len(amounts)
    totals = revenue.asset_revenue(rl.runtime, asset)
    assert totals.total_paid == sum(amounts)
    assert totals.operator_total + totals.treasury_total == sum(amounts)
    after = rl.get(f"/v1/orgs/{merchant}/balance").json()
    assert after["balance"] == before["balance"] - sum(amounts) == 0


def test_faucet_only_for_the_consortium_admin(rl: RevenueLedger) -> None:
    r = rl.post("/v1/dev/faucet", "merchant", {"org_id": rl.orgs["merchant"], "amount": 1})
    assert r.status_code == 403
    r = rl.post("/v1/dev/faucet", "admin", {"org_id": rl.orgs["holder"], "amount": 1})
    assert r.status_code == 403


def test_treasury_and_payout_accounts_only_by_their_owners(rl: RevenueLedger) -> None:
    account = {"account": rl.treasury}
    assert rl.client.put(
        f"/v1/cities/{QINGDAO}/treasury-account", json=account, headers=rl.auth("operator")
    ).status_code == 403  # fmt: skip
    assert rl.client.put(
        "/v1/cities/350200/treasury-account", json=account, headers=rl.auth("finance")
    ).status_code == 403  # fmt: skip
    assert rl.client.put(
        f"/v1/orgs/{rl.orgs['operator']}/payout-account", json=account,
        headers=rl.auth("operator2"),
    ).status_code == 403  # fmt: skip
    zero = {"account": "0x" + "00" * 20}
    assert rl.client.put(
        f"/v1/orgs/{rl.orgs['operator']}/payout-account", json=zero, headers=rl.auth("operator")
    ).status_code == 422  # fmt: skip
