"""RevenueSplit: schedules, token payments, off-chain payments, remittance, views."""

from __future__ import annotations

import random
from typing import Any

import pytest
from eth_abi import encode
from web3 import Web3
from web3.logs import DISCARD

from chain.splitmath import split as model_split
from tests.contracts.reverts import expect_revert
from tests.contracts.split.conftest import (
    ASSET,
    ASSET_DISPOSED,
    ASSET_NEW,
    ASSET_PENDING,
    ASSET_UNKNOWN,
    EXAMPLE_BOUNDS,
    EXAMPLE_BPS,
    FIN2_ORG,
    FIN_ORG,
    HOLDER_ORG,
    MER_INACTIVE_ORG,
    MER_ORG,
    OP2_ORG,
    OP_ORG,
    QINGDAO,
    SHENZHEN,
    YUAN,
    SplitEnv,
    context,
    ref,
)

ZERO32 = b"\0" * 32
UINT128_MAX = 2**128 - 1
PAY, OFFCHAIN = 1, 2  # Settlement enum


def payment_id(env: SplitEnv, asset_id: bytes, payer: str, external_ref: bytes) -> bytes:
    tag = env.split.functions.PAY_TAG().call()
    return Web3.keccak(
        encode(["bytes32", "bytes32", "address", "bytes32"], [tag, asset_id, payer, external_ref])
    )


def offchain_id(env: SplitEnv, asset_id: bytes, operator_org: bytes, bank_ref: bytes) -> bytes:
    tag = env.split.functions.OFFCHAIN_TAG().call()
    # abi.encode of four 32-byte words equals their packed concatenation
    return Web3.keccak(tag + asset_id + operator_org + bank_ref)


def pay(env: SplitEnv, amount: int, name: str, payer: str | None = None) -> Any:
    sender = payer or env.merchant
    receipt = env.tx(env.split.functions.pay(ASSET, amount, ref(name)), sender)
    (event,) = env.split.events.PaymentSettled().process_receipt(receipt, errors=DISCARD)
    return event["args"]


def revert(env: SplitEnv, fn: Any, sender: str, name: str, *args: Any) -> None:
    """Assert ``fn`` from ``sender`` reverts with custom error ``name(*args)``.

    Decoded from an eth_call of the same transaction, then the transaction itself is mined
    and must fail.
    """
    expect_revert(lambda: fn.call({"from": sender}), env.errors_abi, name, *args)
    tx_hash = fn.transact({"from": sender, "gas": 3_000_000})
    assert env.w3.eth.wait_for_transaction_receipt(tx_hash)["status"] == 0


# ------------------------------------------------------------------ worked example


@pytest.mark.parametrize(
    ("amount_yuan", "operator_yuan"),
    [(80_000, 16_000), (300_000, 90_000), (1_000_000, 410_000)],
)
def test_pay_worked_example_splits_as_domain(
    env: SplitEnv, amount_yuan: int, operator_yuan: int
) -> None:
    amount = amount_yuan * YUAN
    operator_share = operator_yuan * YUAN
    treasury_share = amount - operator_share
    merchant_before = env.balance(env.merchant)

    args = pay(env, amount, "example")

    assert args["amount"] == amount
    assert args["operatorShare"] == operator_share
    assert args["treasuryShare"] == treasury_share
    assert args["scheduleVersion"] == 1
    assert args["payer"] == env.merchant
    assert args["payerOrgId"] == MER_ORG
    assert args["assetId"] == ASSET
    assert args["externalRef"] == ref("example")
    assert args["paymentId"] == payment_id(env, ASSET, env.merchant, ref("example"))
    assert env.balance(env.payout) == operator_share
    assert env.balance(env.treasury) == treasury_share
    assert env.balance(env.merchant) == merchant_before - amount
    assert env.balance(env.split.address) == 0


@pytest.mark.parametrize(
    ("amount_yuan", "operator_yuan"),
    [(80_000, 16_000), (300_000, 90_000), (1_000_000, 410_000)],
)
def test_quote_and_preview_worked_example(
    split_env: SplitEnv, amount_yuan: int, operator_yuan: int
) -> None:
    amount = amount_yuan * YUAN
    expected = (operator_yuan * YUAN, (amount_yuan - operator_yuan) * YUAN)
    fns = split_env.split.functions
    assert tuple(fns.quote(EXAMPLE_BOUNDS, EXAMPLE_BPS, amount).call()) == expected
    assert tuple(fns.preview(ASSET, amount).call()) == (*expected, 1)
    assert model_split(EXAMPLE_BOUNDS, EXAMPLE_BPS, amount) == expected


def test_pay_rounds_down_once_to_the_fen(env: SplitEnv) -> None:
    # 3 fen at 33.33 % and 1 fen over a bound: one floor at the end, never per bracket
    bounds, bps = [0, 2], [3_333, 6_667]
    env.tx(env.split.functions.setSchedule(ASSET, bounds, bps), env.finance)
    args = pay(env, 3, "tiny")
    # 2 * 3333 + 1 * 6667 = 13333 -> 1 fen to the operator
    assert (args["operatorShare"], args["treasuryShare"]) == (1, 2)
    assert env.balance(env.payout) == 1
    assert env.balance(env.treasury) == 2


def test_pay_zero_and_full_rate_move_one_leg_only(env: SplitEnv) -> None:
    env.tx(env.split.functions.setSchedule(ASSET, [0], [0]), env.finance)
    receipt = env.tx(env.split.functions.pay(ASSET, 500, ref("none")), env.merchant)
    transfers = env.token.events.Transfer().process_receipt(receipt, errors=DISCARD)
    assert [(t["args"]["to"], t["args"]["value"]) for t in transfers] == [(env.treasury, 500)]
    env.tx(env.split.functions.setSchedule(ASSET, [0], [10_000]), env.finance)
    receipt = env.tx(env.split.functions.pay(ASSET, 700, ref("all")), env.merchant)
    transfers = env.token.events.Transfer().process_receipt(receipt, errors=DISCARD)
    assert [(t["args"]["to"], t["args"]["value"]) for t in transfers] == [(env.payout, 700)]


def test_pay_by_operator_account_allowed(env: SplitEnv) -> None:
    args = pay(env, 1_000, "op", payer=env.operator)
    assert args["payerOrgId"] == OP_ORG


# ------------------------------------------------------------------ schedules


def test_set_schedule_records_every_version(env: SplitEnv) -> None:
    fns = env.split.functions
    receipt = env.tx(fns.setSchedule(ASSET, [0, 500], [1_000, 9_000]), env.finance)
    (event,) = env.split.events.ScheduleSet().process_receipt(receipt, errors=DISCARD)
    assert event["args"]["assetId"] == ASSET
    assert event["args"]["version"] == 2
    assert event["args"]["lowerBounds"] == [0, 500]
    assert event["args"]["operatorBps"] == [1_000, 9_000]
    assert event["args"]["financeOrgId"] == FIN_ORG
    assert event["args"]["effectiveBlock"] == receipt["blockNumber"]

    assert fns.scheduleCount(ASSET).call() == 2
    first = fns.scheduleVersion(ASSET, 1).call()
    assert first[0] == 1
    assert first[2] == FIN_ORG
    assert (first[3], first[4]) == (EXAMPLE_BOUNDS, EXAMPLE_BPS)
    second = fns.scheduleVersion(ASSET, 2).call()
    assert second == fns.currentSchedule(ASSET).call()
    assert tuple(second) == (2, receipt["blockNumber"], FIN_ORG, [0, 500], [1_000, 9_000])
    assert first[1] < second[1]


def test_pay_keeps_split_of_version_in_effect(env: SplitEnv) -> None:
    before = pay(env, 300_000 * YUAN, "before")
    env.tx(env.split.functions.setSchedule(ASSET, [0], [5_000]), env.finance)
    after = pay(env, 300_000 * YUAN, "after")

    assert (before["scheduleVersion"], before["operatorShare"]) == (1, 90_000 * YUAN)
    assert (after["scheduleVersion"], after["operatorShare"]) == (2, 150_000 * YUAN)
    fns = env.split.functions
    old = fns.payment(before["paymentId"]).call()
    new = fns.payment(after["paymentId"]).call()
    assert (old[2], old[7]) == (1, 90_000 * YUAN)
    assert (new[2], new[7]) == (2, 150_000 * YUAN)
    assert list(fns.preview(ASSET, 300_000 * YUAN).call()) == [150_000 * YUAN, 150_000 * YUAN, 2]
    # the first version is still on record, unchanged
    assert list(fns.scheduleVersion(ASSET, 1).call())[3:] == [EXAMPLE_BOUNDS, EXAMPLE_BPS]


def test_set_schedule_before_paid_use_approval_allowed(env: SplitEnv) -> None:
    env.tx(env.split.functions.setSchedule(ASSET_PENDING, [0], [100]), env.finance)
    assert env.split.functions.scheduleCount(ASSET_PENDING).call() == 1


@pytest.mark.parametrize(
    ("bounds", "bps", "error", "args"),
    [
        ([], [], "SplitScheduleEmpty", ()),
        ([0, 1], [1], "SplitLengthMismatch", (2, 1)),
        (list(range(21)), [0] * 21, "SplitTooManyBrackets", (21, 20)),
        ([5, 10], [1, 2], "SplitFirstBoundNotZero", (5,)),
        ([0, 10, 10], [1, 2, 3], "SplitBoundsNotIncreasing", (2, 10, 10)),
        ([0, 10, 9], [1, 2, 3], "SplitBoundsNotIncreasing", (2, 10, 9)),
        ([0, 10], [1, 10_001], "SplitRateAboveMax", (1, 10_001)),
        ([0], [65_535], "SplitRateAboveMax", (0, 65_535)),
        ([0, 10, 20], [5, 7, 6], "SplitRateDecreasing", (2, 7, 6)),
    ],
)
def test_set_schedule_invalid_reverts_with_rule(
    env: SplitEnv, bounds: list[int], bps: list[int], error: str, args: tuple[int, ...]
) -> None:
    fns = env.split.functions
    revert(env, fns.setSchedule(ASSET, bounds, bps), env.finance, error, *args)
    expect_revert(lambda: fns.quote(bounds, bps, 1).call(), env.errors_abi, error, *args)
    assert fns.scheduleCount(ASSET).call() == 1


def test_set_schedule_by_non_finance_reverts(env: SplitEnv) -> None:
    fn = env.split.functions.setSchedule(ASSET, [0], [1])
    revert(env, fn, env.operator, "NotFinanceDepartment", env.operator, QINGDAO)
    revert(env, fn, env.finance2, "NotFinanceDepartment", env.finance2, QINGDAO)
    revert(env, fn, env.holder, "NotFinanceDepartment", env.holder, QINGDAO)


def test_set_schedule_by_inactive_finance_reverts(env: SplitEnv) -> None:
    env.tx(
        env.directory.functions.setAccountOrg(env.finance, FIN_ORG, 5, QINGDAO, False),
        env.deployer,
    )
    fn = env.split.functions.setSchedule(ASSET, [0], [1])
    revert(env, fn, env.finance, "NotFinanceDepartment", env.finance, QINGDAO)


def test_set_schedule_unknown_or_disposed_asset_reverts(env: SplitEnv) -> None:
    fns = env.split.functions
    revert(
        env, fns.setSchedule(ASSET_UNKNOWN, [0], [1]), env.finance, "UnknownAsset", ASSET_UNKNOWN
    )
    revert(
        env, fns.setSchedule(ASSET_DISPOSED, [0], [1]), env.finance, "AssetDisposed", ASSET_DISPOSED
    )


def test_schedule_views_unknown_version_revert(split_env: SplitEnv) -> None:
    fns = split_env.split.functions
    abi = split_env.errors_abi
    expect_revert(
        lambda: fns.scheduleVersion(ASSET, 0).call(), abi, "UnknownScheduleVersion", ASSET, 0
    )
    expect_revert(
        lambda: fns.scheduleVersion(ASSET, 2).call(), abi, "UnknownScheduleVersion", ASSET, 2
    )
    expect_revert(lambda: fns.currentSchedule(ASSET_NEW).call(), abi, "NoSchedule", ASSET_NEW)
    expect_revert(lambda: fns.preview(ASSET_NEW, 1).call(), abi, "NoSchedule", ASSET_NEW)
    assert fns.scheduleCount(ASSET_NEW).call() == 0


# ------------------------------------------------------------------ accounts


def test_set_treasury_account_by_city_finance(env: SplitEnv) -> None:
    fns = env.split.functions
    receipt = env.tx(fns.setTreasuryAccount(SHENZHEN, env.holder), env.finance2)
    (event,) = env.split.events.TreasuryAccountSet().process_receipt(receipt, errors=DISCARD)
    assert dict(event["args"]) == {
        "city": SHENZHEN,
        "account": env.holder,
        "financeOrgId": FIN2_ORG,
    }
    assert fns.treasuryAccount(SHENZHEN).call() == env.holder
    assert fns.treasuryAccount(QINGDAO).call() == env.treasury


def test_set_treasury_account_reverts(env: SplitEnv) -> None:
    fns = env.split.functions
    revert(
        env,
        fns.setTreasuryAccount(SHENZHEN, env.holder),
        env.finance,
        "NotFinanceDepartment",
        env.finance,
        SHENZHEN,
    )
    revert(
        env,
        fns.setTreasuryAccount(QINGDAO, env.holder),
        env.merchant,
        "NotFinanceDepartment",
        env.merchant,
        QINGDAO,
    )
    zero = "0x" + "00" * 20
    revert(env, fns.setTreasuryAccount(QINGDAO, zero), env.finance, "ZeroAccount")


def test_set_payout_account_by_operator(env: SplitEnv) -> None:
    fns = env.split.functions
    receipt = env.tx(fns.setPayoutAccount(env.holder), env.operator2)
    (event,) = env.split.events.PayoutAccountSet().process_receipt(receipt, errors=DISCARD)
    assert dict(event["args"]) == {
        "operatorOrgId": OP2_ORG,
        "account": env.holder,
        "setBy": env.operator2,
    }
    assert fns.payoutAccount(OP2_ORG).call() == env.holder
    assert fns.payoutAccount(OP_ORG).call() == env.payout


def test_set_payout_account_reverts(env: SplitEnv) -> None:
    fns = env.split.functions
    revert(env, fns.setPayoutAccount(env.holder), env.merchant, "NotOperator", env.merchant)
    revert(env, fns.setPayoutAccount(env.holder), env.finance, "NotOperator", env.finance)
    env.tx(
        env.directory.functions.setAccountOrg(env.operator2, OP2_ORG, 6, SHENZHEN, False),
        env.deployer,
    )
    revert(env, fns.setPayoutAccount(env.holder), env.operator2, "NotOperator", env.operator2)
    zero = "0x" + "00" * 20
    revert(env, fns.setPayoutAccount(zero), env.operator, "ZeroAccount")


# ------------------------------------------------------------------ pay reverts


def test_pay_by_non_payer_reverts(env: SplitEnv) -> None:
    fn = env.split.functions.pay(ASSET, 100, ref("x"))
    revert(env, fn, env.holder, "NotPayer", env.holder, HOLDER_ORG, 2)
    revert(env, fn, env.finance, "NotPayer", env.finance, FIN_ORG, 5)
    revert(env, fn, env.merchant_inactive, "NotPayer", env.merchant_inactive, MER_INACTIVE_ORG, 7)
    revert(env, fn, env.payout, "NotPayer", env.payout, ZERO32, 0)


def test_pay_asset_state_reverts(env: SplitEnv) -> None:
    fns = env.split.functions
    m = env.merchant
    revert(env, fns.pay(ASSET_UNKNOWN, 100, ref("x")), m, "UnknownAsset", ASSET_UNKNOWN)
    revert(env, fns.pay(ASSET_DISPOSED, 100, ref("x")), m, "AssetDisposed", ASSET_DISPOSED)
    revert(env, fns.pay(ASSET_PENDING, 100, ref("x")), m, "PaidUseNotApproved", ASSET_PENDING)
    revert(env, fns.pay(ASSET_NEW, 100, ref("x")), m, "NoSchedule", ASSET_NEW)


def test_pay_after_disposal_reverts(env: SplitEnv) -> None:
    pay(env, 100, "before-disposal")
    env.tx(env.directory.functions.setPaymentContext(ASSET, context(disposed=True)), env.deployer)
    revert(env, env.split.functions.pay(ASSET, 100, ref("y")), env.merchant, "AssetDisposed", ASSET)


def test_pay_amount_and_reference_reverts(env: SplitEnv) -> None:
    fns = env.split.functions
    m = env.merchant
    revert(env, fns.pay(ASSET, 0, ref("x")), m, "ZeroAmount")
    revert(
        env,
        fns.pay(ASSET, UINT128_MAX + 1, ref("x")),
        m,
        "AmountTooLarge",
        UINT128_MAX + 1,
        UINT128_MAX,
    )
    revert(env, fns.pay(ASSET, 100, ZERO32), m, "EmptyReference")


def test_pay_duplicate_reference_reverts(env: SplitEnv) -> None:
    first = pay(env, 100, "once")
    revert(
        env,
        env.split.functions.pay(ASSET, 100, ref("once")),
        env.merchant,
        "DuplicatePayment",
        first["paymentId"],
        ref("once"),
    )
    # the same reference from another payer is another payment
    assert pay(env, 100, "once", payer=env.operator)["paymentId"] != first["paymentId"]


def test_pay_without_accounts_reverts(env: SplitEnv) -> None:
    fns = env.split.functions
    env.tx(
        env.directory.functions.setPaymentContext(ASSET, context(operator=OP2_ORG)), env.deployer
    )
    revert(env, fns.pay(ASSET, 100, ref("x")), env.merchant, "NoPayoutAccount", OP2_ORG)
    env.tx(env.directory.functions.setPaymentContext(ASSET, context(city=SHENZHEN)), env.deployer)
    revert(env, fns.pay(ASSET, 100, ref("x")), env.merchant, "NoTreasuryAccount", SHENZHEN)


def test_pay_without_allowance_reverts_in_token(env: SplitEnv) -> None:
    env.tx(env.token.functions.approve(env.split.address, 10), env.merchant)
    revert(
        env,
        env.split.functions.pay(ASSET, 100, ref("x")),
        env.merchant,
        "ERC20InsufficientAllowance",
        env.split.address,
        10,
        20,
    )


# ------------------------------------------------------------------ off-chain


def test_offchain_payment_and_remittance(env: SplitEnv) -> None:
    fns = env.split.functions
    amount = 1_000_000 * YUAN
    receipt = env.tx(fns.recordOffchainPayment(ASSET, amount, ref("bank-1")), env.operator)
    (event,) = env.split.events.OffchainPaymentRecorded().process_receipt(receipt, errors=DISCARD)
    args = event["args"]
    pid = offchain_id(env, ASSET, OP_ORG, ref("bank-1"))
    assert dict(args) == {
        "paymentId": pid,
        "assetId": ASSET,
        "operatorOrgId": OP_ORG,
        "recordedBy": env.operator,
        "amount": amount,
        "operatorShare": 410_000 * YUAN,
        "treasuryShare": 590_000 * YUAN,
        "scheduleVersion": 1,
        "bankRef": ref("bank-1"),
    }
    env.tx(fns.recordOffchainPayment(ASSET, 80_000 * YUAN, ref("bank-2")), env.operator)
    outstanding = (590_000 + 64_000) * YUAN
    assert fns.outstandingRemittance(ASSET).call() == outstanding
    assert fns.outstandingRemittanceByOperator(OP_ORG).call() == outstanding
    assert env.balance(env.treasury) == 0  # nothing moved on chain
    record = list(fns.payment(pid).call())
    assert record[4:6] == [OFFCHAIN, False]
    assert record[8:10] == [OP_ORG, OP_ORG]

    receipt = env.tx(fns.confirmRemittance(pid, ref("treasury-1")), env.finance)
    (event,) = env.split.events.RemittanceConfirmed().process_receipt(receipt, errors=DISCARD)
    assert dict(event["args"]) == {
        "paymentId": pid,
        "assetId": ASSET,
        "operatorOrgId": OP_ORG,
        "treasuryShare": 590_000 * YUAN,
        "remittanceRef": ref("treasury-1"),
        "financeOrgId": FIN_ORG,
    }
    assert fns.outstandingRemittance(ASSET).call() == 64_000 * YUAN
    assert fns.outstandingRemittanceByOperator(OP_ORG).call() == 64_000 * YUAN
    record = list(fns.payment(pid).call())
    assert record[5] is True
    assert record[11] == ref("treasury-1")
    totals = list(fns.assetTotals(ASSET).call())
    assert totals == [1_080_000 * YUAN, 426_000 * YUAN, 654_000 * YUAN]


def test_offchain_payment_reverts(env: SplitEnv) -> None:
    fns = env.split.functions
    op = env.operator
    revert(
        env,
        fns.recordOffchainPayment(ASSET, 100, ref("b")),
        env.operator2,
        "NotAuthorisedOperator",
        env.operator2,
        OP_ORG,
    )
    revert(
        env,
        fns.recordOffchainPayment(ASSET, 100, ref("b")),
        env.merchant,
        "NotAuthorisedOperator",
        env.merchant,
        OP_ORG,
    )
    revert(env, fns.recordOffchainPayment(ASSET, 0, ref("b")), op, "ZeroAmount")
    revert(env, fns.recordOffchainPayment(ASSET, 100, ZERO32), op, "EmptyReference")
    revert(
        env,
        fns.recordOffchainPayment(ASSET_PENDING, 1, ref("b")),
        op,
        "PaidUseNotApproved",
        ASSET_PENDING,
    )
    revert(
        env,
        fns.recordOffchainPayment(ASSET_DISPOSED, 1, ref("b")),
        op,
        "AssetDisposed",
        ASSET_DISPOSED,
    )
    revert(env, fns.recordOffchainPayment(ASSET_NEW, 1, ref("b")), op, "NoSchedule", ASSET_NEW)
    env.tx(fns.recordOffchainPayment(ASSET, 100, ref("b")), op)
    revert(
        env,
        fns.recordOffchainPayment(ASSET, 100, ref("b")),
        op,
        "DuplicatePayment",
        offchain_id(env, ASSET, OP_ORG, ref("b")),
        ref("b"),
    )
    env.tx(env.directory.functions.setAccountOrg(op, OP_ORG, 6, QINGDAO, False), env.deployer)
    revert(
        env,
        fns.recordOffchainPayment(ASSET, 100, ref("c")),
        op,
        "NotAuthorisedOperator",
        op,
        OP_ORG,
    )


def test_confirm_remittance_reverts(env: SplitEnv) -> None:
    fns = env.split.functions
    env.tx(fns.recordOffchainPayment(ASSET, 1_000, ref("bank")), env.operator)
    pid = offchain_id(env, ASSET, OP_ORG, ref("bank"))
    onchain = pay(env, 1_000, "chain")["paymentId"]
    unknown = ref("nothing")
    fin = env.finance
    revert(env, fns.confirmRemittance(unknown, ref("r")), fin, "UnknownPayment", unknown)
    revert(env, fns.confirmRemittance(onchain, ref("r")), fin, "NotOffchainPayment", onchain)
    revert(
        env,
        fns.confirmRemittance(pid, ref("r")),
        env.finance2,
        "NotFinanceDepartment",
        env.finance2,
        QINGDAO,
    )
    revert(
        env,
        fns.confirmRemittance(pid, ref("r")),
        env.operator,
        "NotFinanceDepartment",
        env.operator,
        QINGDAO,
    )
    revert(env, fns.confirmRemittance(pid, ZERO32), fin, "EmptyReference")
    env.tx(fns.confirmRemittance(pid, ref("r")), fin)
    revert(env, fns.confirmRemittance(pid, ref("r2")), fin, "AlreadyRemitted", pid, ref("r"))
    expect_revert(lambda: fns.payment(unknown).call(), env.errors_abi, "UnknownPayment", unknown)


# ------------------------------------------------------------------ conservation


def test_many_payments_balances_equal_recorded_sums(env: SplitEnv) -> None:
    check_conservation(env, per_version=8)


@pytest.mark.deep
def test_many_payments_balances_equal_recorded_sums_in_long_runs(env: SplitEnv) -> None:
    check_conservation(env, per_version=40)


def check_conservation(env: SplitEnv, per_version: int) -> None:
    """Payments across three schedule versions: balances equal the recorded sums."""
    rng = random.Random(20251125)
    fns = env.split.functions
    merchant_before = env.balance(env.merchant)
    operator_before = env.balance(env.operator)
    schedules = [
        (EXAMPLE_BOUNDS, EXAMPLE_BPS),
        ([0, 7, 1_000, 99_999], [1, 3_333, 3_334, 9_999]),
        ([0, 1], [0, 10_000]),
    ]
    total = operator_sum = treasury_sum = 0
    versions_seen: set[int] = set()
    for i in range(3 * per_version):
        if i % per_version == 0 and i:
            bounds, bps = schedules[i // per_version]
            env.tx(fns.setSchedule(ASSET, bounds, bps), env.finance)
        version = fns.scheduleCount(ASSET).call()
        bounds, bps = schedules[version - 1]
        amount = rng.choice([1, 3, 7, 9_999, rng.randint(1, 2_000_000 * YUAN)])
        payer = env.operator if i % 7 == 0 else env.merchant
        args = pay(env, amount, f"pay-{i}", payer=payer)
        assert (args["operatorShare"], args["treasuryShare"]) == model_split(bounds, bps, amount)
        assert args["operatorShare"] + args["treasuryShare"] == amount
        versions_seen.add(args["scheduleVersion"])
        total += amount
        operator_sum += args["operatorShare"]
        treasury_sum += args["treasuryShare"]
    assert versions_seen == {1, 2, 3}
    assert env.balance(env.payout) == operator_sum
    assert env.balance(env.treasury) == treasury_sum
    paid_by_payers = (merchant_before - env.balance(env.merchant)) + (
        operator_before - env.balance(env.operator)
    )
    assert paid_by_payers == total
    assert env.balance(env.split.address) == 0
    assert list(fns.assetTotals(ASSET).call()) == [total, operator_sum, treasury_sum]
    assert fns.outstandingRemittance(ASSET).call() == 0


# ------------------------------------------------------------------ views and token


def test_payment_record_and_views(env: SplitEnv) -> None:
    fns = env.split.functions
    args = pay(env, 300_000 * YUAN, "view")
    record = list(fns.payment(args["paymentId"]).call())
    block = env.w3.eth.block_number
    assert record == [
        ASSET,
        env.merchant,
        1,
        block,
        PAY,
        True,
        300_000 * YUAN,
        90_000 * YUAN,
        MER_ORG,
        OP_ORG,
        ref("view"),
        ZERO32,
    ]
    assert fns.directory().call() == env.directory.address
    assert fns.settlementToken().call() == env.token.address


def test_token_is_fen_denominated_and_only_deployer_mints(env: SplitEnv) -> None:
    fns = env.token.functions
    assert fns.decimals().call() == 2
    assert fns.name().call() == "Digital Yuan Test Token"
    assert fns.symbol().call() == "tCNY"
    assert fns.minter().call() == env.deployer
    revert(env, fns.mint(env.merchant, 1), env.merchant, "NotMinter", env.merchant)
    env.tx(fns.mint(env.payout, 5), env.deployer)
    assert env.balance(env.payout) == 5


def test_split_math_holds_for_huge_amounts(split_env: SplitEnv) -> None:
    fns = split_env.split.functions
    top = 2**256 - 1
    assert list(fns.quote([0], [10_000], top).call()) == [top, 0]
    assert list(fns.quote([0], [9_999], top).call()) == list(model_split([0], [9_999], top))
    bounds = [0, 2**128, 2**200]
    bps = [1, 5_000, 10_000]
    for amount in (2**128, 2**128 + 1, 2**200, top):
        assert list(fns.quote(bounds, bps, amount).call()) == list(model_split(bounds, bps, amount))
