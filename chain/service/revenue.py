"""Revenue split use cases: schedules, quotes, payments, remittance, accounts and balances.

One function per workflow; the routes in ``api/routes/revenue.py`` and the CLI call the
same functions. Writes validate the input, check the caller's organisation kind and city
(so a wrong caller gets a clear 403 before anything is signed), then submit one contract
call through the runtime's write path and return the journaled :class:`Operation`. Reads
that prove something (schedules, payments, outstanding remittance, balances) come from
the chain.

Money is in fen (the settlement token has 2 decimals: 1 unit = 1 fen). References
(a merchant's payment reference, a bank reference, a remittance reference) go on chain
as 32 bytes: a ``0x`` + 64 hex value is used as it is, any other text is hashed with
keccak256 so no readable bank detail is stored on chain.

Token payments are two transactions when the merchant's allowance is short: ``approve``
on the token for exactly the amount, waited for until mined (``pay`` is simulated with
``eth_call`` before it is signed, and that simulation needs the allowance), then ``pay``.
Payments of one payer are prepared one at a time in a gateway process, and the allowance
they find is net of that payer's ``pay`` transactions still in flight, so concurrent
payments neither overwrite each other's approval nor count the same allowance twice.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractCustomError, ContractLogicError, ContractPanicError

from chain import splitmath
from chain.accounts import Principal, normalise_org_id
from chain.bindings import contracts as contract_names
from chain.bindings import ids
from chain.bindings.enums import PaymentStatus, Usability
from chain.errors import (
    ChainUnavailable,
    ContractRevert,
    NotAuthorised,
    NotFound,
    OperationFailed,
    ValidationFailed,
    revert_from_exception,
)
from chain.runtime import LedgerRuntime
from chain.txpipe import IN_FLIGHT, MINED, TERMINAL, Operation

SPLIT = contract_names.SPLIT
REGISTRY = contract_names.REGISTRY
USE_AND_FINANCE = contract_names.USE_AND_FINANCE
TEST_TOKEN = contract_names.TEST_TOKEN
MAX_AMOUNT = 2**128  # amounts are < 2**128 (the contract stores uint128)
APPROVE_TIMEOUT = 60.0
FAUCET_MODES = ("memory", "local")
ZERO32 = "0x" + "00" * 32
PAY_TAG = ids.PAY_TAG
OFFCHAIN_TAG = ids.OFFCHAIN_TAG

FINANCE = "finance_dept"
OPERATOR = "operator"
MERCHANT = "merchant"
PAYER_KINDS = (MERCHANT, OPERATOR)
SETTLEMENT_NAMES = {0: "none", 1: "onchain", 2: "offchain"}

# ---------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Bracket:
    lower_bound: int
    upper_bound: int | None
    operator_bps: int
    part: int


@dataclass(frozen=True)
class Quote:
    amount: int
    operator_share: int
    treasury_share: int
    brackets: list[Bracket]
    version: int | None = None


@dataclass(frozen=True)
class ScheduleVersion:
    version: int
    effective_block: int
    finance_org_id: str
    lower_bounds: list[int]
    operator_bps: list[int]


@dataclass(frozen=True)
class Payment:
    payment_id: str
    asset_id: str
    payer: str
    payer_org_id: str
    operator_org_id: str
    settlement: str
    schedule_version: int
    block_number: int
    amount: int
    operator_share: int
    treasury_share: int
    remitted: bool
    external_ref: str
    remittance_ref: str | None


@dataclass(frozen=True)
class PaymentSubmission:
    """A journaled payment: its deterministic id, the write and the approval before it."""

    payment_id: str
    operation: Operation
    approval: Operation | None


@dataclass(frozen=True)
class AssetRevenue:
    asset_id: str
    total_paid: int
    operator_total: int
    treasury_total: int
    outstanding_remittance: int


@dataclass(frozen=True)
class OperatorRemittance:
    operator_org_id: str
    outstanding_remittance: int
    payout_account: str | None


@dataclass(frozen=True)
class AccountSetting:
    """A treasury or payout account: the one in effect and a pending change."""

    effective: str | None
    pending: str | None
    effective_at: int | None


@dataclass(frozen=True)
class PaymentContext:
    """UseAndFinance's ``paymentContext``: usability part, city, approved operator."""

    usability: Usability
    city: int
    operator_org_id: bytes

    @property
    def paid_use_approved(self) -> bool:
        return self.operator_org_id != b"\0" * 32


@dataclass(frozen=True)
class Balance:
    org_id: str
    account: str
    token: str
    balance: int
    allowance_to_split: int


# ---------------------------------------------------------------------------- helpers


def bytes32(value: str, field: str) -> bytes:
    """A ``0x`` + 64 hex id as bytes (ValidationFailed naming ``field`` otherwise)."""
    text = value.strip()
    if len(text) != 66 or not text.startswith("0x"):
        raise _invalid(field, f"{field} must be 0x followed by 64 hex digits", value)
    try:
        return bytes.fromhex(text[2:])
    except ValueError:
        raise _invalid(field, f"{field} must be 0x followed by 64 hex digits", value) from None


def reference(value: str, field: str) -> bytes:
    """A reference as 32 bytes: 0x + 64 hex as is, other text hashed (keccak256)."""
    text = value.strip()
    if not text or len(text) > 200:
        raise _invalid(field, f"{field} must be 1 to 200 characters", value)
    if len(text) == 66 and text.startswith("0x"):
        raw = bytes32(text, field)
    else:
        raw = bytes(Web3.keccak(text=text))
    if raw == b"\0" * 32:
        raise _invalid(field, f"{field} must not be zero", value)
    return raw


def hex32(value: bytes) -> str:
    return "0x" + bytes(value).hex()


def check_amount(amount: int, field: str = "amount", *, positive: bool = False) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise _invalid(field, f"{field} must be an integer number of fen", amount)
    low = 1 if positive else 0
    if not low <= amount < MAX_AMOUNT:
        raise _invalid(field, f"{field} must be >= {low} and < 2**128 fen, got {amount}", amount)
    return amount


def _invalid(field: str, message: str, value: Any) -> ValidationFailed:
    return ValidationFailed(
        message, errors=[{"loc": [field], "msg": message, "type": "value_error"}]
    )


def validate_schedule(lower_bounds: Sequence[int], operator_bps: Sequence[int]) -> None:
    """Check a schedule by the contract's rules; ValidationFailed names rule and index."""
    for i, bound in enumerate(lower_bounds):
        check_amount(bound, f"lower_bounds[{i}]")
    for i, rate in enumerate(operator_bps):
        if isinstance(rate, bool) or not isinstance(rate, int) or not 0 <= rate <= 10_000:
            raise _invalid(
                f"operator_bps[{i}]", f"operator_bps[{i}] must be 0..10000, got {rate}", rate
            )
    try:
        splitmath.validate(lower_bounds, operator_bps)
    except splitmath.ScheduleError as exc:
        raise _schedule_error(exc) from None


_RULE_TEXT = {
    "SplitLengthMismatch": "lower_bounds and operator_bps must have the same length",
    "SplitScheduleEmpty": "a schedule needs at least one bracket",
    "SplitTooManyBrackets": f"a schedule has at most {splitmath.MAX_BRACKETS} brackets",
    "SplitFirstBoundNotZero": "the first lower bound must be 0",
    "SplitBoundsNotIncreasing": "lower bounds must strictly increase",
    "SplitRateAboveMax": "an operator share is at most 10000 basis points",
    "SplitRateDecreasing": "operator shares must not decrease",
}
_INDEXED_FIELD = {
    "SplitBoundsNotIncreasing": "lower_bounds",
    "SplitRateAboveMax": "operator_bps",
    "SplitRateDecreasing": "operator_bps",
    "SplitFirstBoundNotZero": "lower_bounds",
}


def _schedule_error(exc: splitmath.ScheduleError) -> ValidationFailed:
    rule = exc.rule
    index: int | None = None
    if rule in ("SplitBoundsNotIncreasing", "SplitRateAboveMax", "SplitRateDecreasing"):
        index = exc.args_[0]
    elif rule == "SplitFirstBoundNotZero":
        index = 0
    field = _INDEXED_FIELD.get(rule, "lower_bounds")
    loc: list[Any] = [field] if index is None else [field, index]
    where = "" if index is None else f" (bracket {index})"
    message = f"{rule}: {_RULE_TEXT.get(rule, rule)}{where}"
    return ValidationFailed(
        message,
        errors=[{"loc": loc, "msg": message, "type": rule}],
        rule=rule,
        index=index,
        rule_args=list(exc.args_),
    )


@contextlib.contextmanager
def _chain(runtime: LedgerRuntime) -> Iterator[None]:
    """Serialise reads with the write path on the in-process chain (not thread-safe)."""
    lock: contextlib.AbstractContextManager[Any] = getattr(
        runtime.txpipe, "_chain_lock", contextlib.nullcontext()
    )
    with lock:
        yield


def _call(
    runtime: LedgerRuntime, contract: Contract, fn: str, *args: Any, block: int | str = "latest"
) -> Any:
    """A view call; reverts become ContractRevert (error name), transport -> 503."""
    try:
        with _chain(runtime):
            return getattr(contract.functions, fn)(*args).call(block_identifier=block)
    except (ContractCustomError, ContractLogicError, ContractPanicError) as exc:
        raise revert_from_exception(exc, [contract.abi]) from None
    except (ConnectionError, OSError, TimeoutError) as exc:
        raise ChainUnavailable(f"the chain does not answer: {type(exc).__name__}") from None
    except Exception as exc:  # eth-tester raises its own TransactionFailed for reverts
        if "revert" in str(exc).lower():
            raise revert_from_exception(exc, [contract.abi]) from None
        raise


def _split(runtime: LedgerRuntime) -> Contract:
    return runtime.contract(SPLIT)


def token_contract(runtime: LedgerRuntime) -> Contract:
    """The settlement token (the test token's ABI covers ERC-20 and its mint); its handle
    is built once per runtime."""
    return runtime.settlement_token()


def _payment_context(runtime: LedgerRuntime, asset_id: bytes) -> PaymentContext:
    """What RevenueSplitV2 reads about an asset (404 when the asset is unknown)."""
    part, city, operator = _fields(
        _call(runtime, runtime.contract(USE_AND_FINANCE), "paymentContext", asset_id),
        ("usability", "city", "operatorOrgId"),
    )
    ctx = PaymentContext(Usability(int(part)), int(city), bytes(operator))
    if ctx.usability == Usability.UnknownAsset:
        raise NotFound(f"no asset {hex32(asset_id)} on chain", code_name="UnknownAsset")
    return ctx


def _require_writer(user: Principal) -> None:
    if not user.can_write():
        raise NotAuthorised(f"role {user.role!r} may not write; needs admin or writer")


def _require_kind(user: Principal, kinds: Sequence[str], action: str) -> None:
    _require_writer(user)
    if user.org_kind not in kinds:
        raise NotAuthorised(
            f"organisation {user.org_id} ({user.org_kind}) may not {action}; "
            f"needs {' or '.join(kinds)}"
        )


def _require_finance_of(user: Principal, city: int, action: str) -> None:
    _require_kind(user, (FINANCE,), action)
    if int(user.city_code) != int(city):
        raise NotAuthorised(
            f"the finance department of city {user.city_code} may not {action} for city {city}"
        )


def _submit(
    runtime: LedgerRuntime,
    user: Principal,
    contract: Contract,
    contract_name: str,
    function: str,
    args: list[Any],
    *,
    idempotency_key: str | None,
    request_hash: str | None,
    extra_error_abis: Sequence[Any] = (),
) -> Operation:
    return runtime.txpipe.submit(
        runtime.signer_for_org(user.org_id),
        contract_name,
        contract.address,
        contract.abi,
        function,
        args,
        caller=user.user_id,
        org_id=user.org_id,
        idempotency_key=idempotency_key,
        request_hash=request_hash,
        extra_error_abis=extra_error_abis,
    )


def _existing_operation(runtime: LedgerRuntime, caller: str, key: str | None) -> Operation | None:
    if key is None:
        return None
    with runtime.sessions() as session:
        return session.scalars(
            select(Operation).where(Operation.caller == caller, Operation.idempotency_key == key)
        ).first()


# ---------------------------------------------------------------------------- schedules


def set_schedule(
    runtime: LedgerRuntime,
    user: Principal,
    asset_id: str,
    lower_bounds: Sequence[int],
    operator_bps: Sequence[int],
    *,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
) -> Operation:
    """A new schedule version for an asset (finance dept of the asset's city)."""
    asset = bytes32(asset_id, "asset_id")
    validate_schedule(lower_bounds, operator_bps)
    ctx = _payment_context(runtime, asset)
    _require_finance_of(user, ctx.city, "set the schedule of this asset")
    return _submit(
        runtime, user, _split(runtime), SPLIT, "setSchedule",
        [asset, list(lower_bounds), list(operator_bps)],
        idempotency_key=idempotency_key, request_hash=request_hash,
    )  # fmt: skip


def list_schedules(runtime: LedgerRuntime, asset_id: str) -> list[ScheduleVersion]:
    """Every schedule version of an asset, oldest first: RevenueSplitV2 stores only the
    current one; each version is in its ScheduleSet event (filtered by the indexed asset)."""
    asset = bytes32(asset_id, "asset_id")
    found = []
    for log in _logs(runtime, "ScheduleSet", {"assetId": asset}):
        a = log["args"]
        found.append(ScheduleVersion(
            version=int(a["version"]), effective_block=int(a["effectiveBlock"]),
            finance_org_id=hex32(a["financeOrgId"]),
            lower_bounds=[int(b) for b in a["lowerBounds"]],
            operator_bps=[int(r) for r in a["operatorBps"]],
        ))  # fmt: skip
    return sorted(found, key=lambda v: v.version)


def _logs(runtime: LedgerRuntime, event: str, filters: dict[str, Any]) -> list[Any]:
    """RevenueSplitV2 logs of one event since its deployment, in chain order."""
    split = _split(runtime)
    start = runtime.deployment.contracts[SPLIT].block if runtime.deployment.contracts else 0
    with _chain(runtime):
        logs = split.events[event].get_logs(from_block=start, argument_filters=filters)
    return sorted(logs, key=lambda log: (int(log["blockNumber"]), int(log["logIndex"])))


def _fields(raw: Any, names: Sequence[str]) -> tuple[Any, ...]:
    if isinstance(raw, dict):
        return tuple(raw[n] for n in names)
    return tuple(raw)


# ---------------------------------------------------------------------------- quotes


def quote(
    runtime: LedgerRuntime, lower_bounds: Sequence[int], operator_bps: Sequence[int], amount: int
) -> Quote:
    """Split ``amount`` by a schedule: the shares come from the contract's pure ``quote``."""
    check_amount(amount)
    validate_schedule(lower_bounds, operator_bps)
    operator, treasury = _call(
        runtime, _split(runtime), "quote", list(lower_bounds), list(operator_bps), amount
    )
    return Quote(
        amount=amount,
        operator_share=int(operator),
        treasury_share=int(treasury),
        brackets=_brackets(lower_bounds, operator_bps, amount),
    )


def _brackets(
    lower_bounds: Sequence[int], operator_bps: Sequence[int], amount: int
) -> list[Bracket]:
    parts = splitmath.bracket_parts(lower_bounds, amount)
    return [
        Bracket(
            lower_bound=int(lower_bounds[i]),
            upper_bound=int(lower_bounds[i + 1]) if i + 1 < len(lower_bounds) else None,
            operator_bps=int(operator_bps[i]),
            part=int(parts[i]),
        )
        for i in range(len(lower_bounds))
    ]


def preview(runtime: LedgerRuntime, asset_id: str, amount: int) -> Quote:
    """Split ``amount`` by the asset's current schedule (the contract's ``preview``)."""
    asset = bytes32(asset_id, "asset_id")
    check_amount(amount)
    split = _split(runtime)
    operator, treasury, version = _call(runtime, split, "preview", asset, amount)
    _, bounds, bps = _fields(
        _call(runtime, split, "currentSchedule", asset), ("version", "lowerBounds", "operatorBps")
    )
    return Quote(
        amount=amount,
        operator_share=int(operator),
        treasury_share=int(treasury),
        brackets=_brackets([int(b) for b in bounds], [int(r) for r in bps], amount),
        version=int(version),
    )


# ---------------------------------------------------------------------------- accounts


def set_treasury_account(
    runtime: LedgerRuntime,
    user: Principal,
    city: int,
    account: str,
    *,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
) -> Operation:
    """Propose the treasury account of a city (that city's finance department): the first
    takes effect at once, a later change after the deployment's delay
    (:func:`activate_treasury_account`). Never zero, the split contract or the token."""
    if not 0 < city < 2**32:
        raise _invalid("city", f"city must be a uint32 division code, got {city}", city)
    address = _address(account, "account")
    _require_finance_of(user, city, "set the treasury account")
    return _submit(
        runtime, user, _split(runtime), SPLIT, "proposeTreasuryAccount", [city, address],
        idempotency_key=idempotency_key, request_hash=request_hash,
    )  # fmt: skip


def activate_treasury_account(
    runtime: LedgerRuntime,
    user: Principal,
    city: int,
    *,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
) -> Operation:
    """Put a city's pending treasury account into effect once its delay has passed (the
    contract lets anyone; the gateway lets that city's finance department)."""
    if not 0 < city < 2**32:
        raise _invalid("city", f"city must be a uint32 division code, got {city}", city)
    _require_finance_of(user, city, "activate the treasury account")
    return _submit(
        runtime, user, _split(runtime), SPLIT, "activateTreasuryAccount", [city],
        idempotency_key=idempotency_key, request_hash=request_hash,
    )  # fmt: skip


def set_payout_account(
    runtime: LedgerRuntime,
    user: Principal,
    org_id: str,
    account: str,
    *,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
) -> Operation:
    """Propose the payout account of the caller's operator organisation (the first takes
    effect at once, a later change after the delay: :func:`activate_payout_account`)."""
    target = normalise_org_id(org_id)
    address = _address(account, "account")
    _require_kind(user, (OPERATOR,), "set a payout account")
    if user.org_id != target:
        raise NotAuthorised(
            f"organisation {user.org_id} may not set the payout account of {target}"
        )
    return _submit(
        runtime, user, _split(runtime), SPLIT, "proposePayoutAccount", [address],
        idempotency_key=idempotency_key, request_hash=request_hash,
    )  # fmt: skip


def activate_payout_account(
    runtime: LedgerRuntime,
    user: Principal,
    org_id: str,
    *,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
) -> Operation:
    """Put an operator's pending payout account into effect once its delay has passed."""
    target = normalise_org_id(org_id)
    _require_kind(user, (OPERATOR,), "activate a payout account")
    if user.org_id != target:
        raise NotAuthorised(
            f"organisation {user.org_id} may not activate the payout account of {target}"
        )
    return _submit(
        runtime, user, _split(runtime), SPLIT, "activatePayoutAccount",
        [bytes32(target, "org_id")],
        idempotency_key=idempotency_key, request_hash=request_hash,
    )  # fmt: skip


def _address(value: str, field: str) -> str:
    if not Web3.is_address(value):
        raise _invalid(field, f"{field} must be a 0x-prefixed 20-byte address", value)
    address = Web3.to_checksum_address(value)
    if int(address, 16) == 0:
        raise _invalid(field, f"{field} must not be the zero address", value)
    return address


def treasury_account(runtime: LedgerRuntime, city: int) -> str | None:
    found = str(_call(runtime, _split(runtime), "treasuryAccount", city))
    return None if int(found, 16) == 0 else Web3.to_checksum_address(found)


def payout_account(runtime: LedgerRuntime, org_id: str) -> str | None:
    operator = bytes32(normalise_org_id(org_id), "org_id")
    found = str(_call(runtime, _split(runtime), "payoutAccount", operator))
    return None if int(found, 16) == 0 else Web3.to_checksum_address(found)


def _setting(effective: str | None, pending: Any) -> AccountSetting:
    account, effective_at = _fields(pending, ("account", "effectiveAt"))
    waiting = int(str(account), 16) != 0
    return AccountSetting(
        effective=effective,
        pending=Web3.to_checksum_address(str(account)) if waiting else None,
        effective_at=int(effective_at) if waiting else None,
    )


def treasury_setting(runtime: LedgerRuntime, city: int) -> AccountSetting:
    """A city's treasury account in effect and its pending change (if any)."""
    pending = _call(runtime, _split(runtime), "pendingTreasuryAccount", city)
    return _setting(treasury_account(runtime, city), pending)


def payout_setting(runtime: LedgerRuntime, org_id: str) -> AccountSetting:
    """An operator's payout account in effect and its pending change (if any)."""
    operator = bytes32(normalise_org_id(org_id), "org_id")
    pending = _call(runtime, _split(runtime), "pendingPayoutAccount", operator)
    return _setting(payout_account(runtime, org_id), pending)


# ---------------------------------------------------------------------------- payments


def payment_id_of(asset_id: bytes, payer: str, external_ref: bytes) -> str:
    """The contract's id of a token payment (same asset, payer and reference -> same id)."""
    return ids.payment_id_for(hex32(asset_id), payer, external_ref)


def offchain_payment_id_of(asset_id: bytes, operator_org_id: bytes, bank_ref: bytes) -> str:
    return ids.offchain_payment_id_for(hex32(asset_id), hex32(operator_org_id), bank_ref)


def pay(
    runtime: LedgerRuntime,
    user: Principal,
    asset_id: str,
    amount: int,
    external_ref: str,
    *,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
    approve_timeout: float = APPROVE_TIMEOUT,
) -> PaymentSubmission:
    """Pay for the use of an asset in the settlement token (merchant, or an operator
    settling for a merchant); split and settled in the ``pay`` transaction.

    Two steps when the payer's allowance to RevenueSplit is short: ``approve`` exactly
    ``amount`` on the token and wait until it is mined, then ``pay`` (whose ``eth_call``
    simulation needs the allowance). A retry with the same Idempotency-Key returns the
    first payment's operation and approves nothing.
    """
    asset = bytes32(asset_id, "asset_id")
    check_amount(amount, positive=True)
    ref = reference(external_ref, "reference")
    _require_kind(user, PAYER_KINDS, "pay for an asset")
    signer = runtime.signer_for_org(user.org_id)
    payment_id = payment_id_of(asset, signer.address, ref)
    split = _split(runtime)
    token = token_contract(runtime)
    approval: Operation | None = None
    with runtime.txpipe.payer_turn(signer.address):
        if _existing_operation(runtime, user.user_id, idempotency_key) is None:
            ctx = _payment_context(runtime, asset)
            if ctx.usability != Usability.Usable:  # the contract's rule, said before signing
                raise ContractRevert(
                    "AssetNotUsable", {"assetId": asset, "part": int(ctx.usability)}
                )
            if not ctx.paid_use_approved:
                raise ContractRevert("PaidUseNotApproved", {"assetId": asset})
            # ``pay`` transactions of this payer not yet in a block spend the allowance (and
            # the balance) first: they come before any new transaction in nonce order.
            # Nonce, allowance and balance are read at one block, so a payment counts once.
            block = _head(runtime)
            with _chain(runtime):
                mined = runtime.w3.eth.get_transaction_count(signer.address, block)
            queued = _queued_payments(runtime, signer.address, split.address, mined)
            allowance = int(_call(runtime, token, "allowance", signer.address, split.address,
                                  block=block)) - queued  # fmt: skip
            if allowance < amount:
                balance = (
                    int(_call(runtime, token, "balanceOf", signer.address, block=block)) - queued
                )
                if balance < amount:
                    raise ContractRevert(
                        "ERC20InsufficientBalance",
                        {"sender": signer.address, "balance": max(balance, 0), "needed": amount},
                    )
                approval = _submit(
                    runtime, user, token, TEST_TOKEN, "approve", [split.address, amount],
                    idempotency_key=None if idempotency_key is None
                    else f"{idempotency_key}:approve",
                    request_hash=request_hash,
                )  # fmt: skip
                approval = runtime.txpipe.wait(approval.id, approve_timeout)
                if approval.state != MINED:
                    raise OperationFailed(
                        f"approving {amount} fen to RevenueSplit ended {approval.state}; "
                        "the payment was not sent",
                        operation_id=approval.id,
                    )
        op = _submit(
            runtime, user, split, SPLIT, "pay", [asset, amount, ref],
            idempotency_key=idempotency_key, request_hash=request_hash,
            extra_error_abis=[token.abi],
        )  # fmt: skip
    return PaymentSubmission(payment_id=payment_id, operation=op, approval=approval)


def _head(runtime: LedgerRuntime) -> int:
    try:
        with _chain(runtime):
            return int(runtime.w3.eth.block_number)
    except (ConnectionError, OSError, TimeoutError) as exc:
        raise ChainUnavailable(f"the chain does not answer: {type(exc).__name__}") from None


def _queued_payments(
    runtime: LedgerRuntime, payer: str, split_address: str, from_nonce: int
) -> int:
    """Fen in this payer's journaled ``pay`` transactions from ``from_nonce`` on (the ones
    not in a block at the head the allowance was read at)."""
    with runtime.sessions() as session:
        queued = session.scalars(
            select(Operation).where(
                Operation.signer == payer,
                Operation.nonce >= from_nonce,
                Operation.chain_id == runtime.txpipe.chain_id,
                Operation.contract_address == split_address,
                Operation.function == "pay",
                Operation.state.in_(IN_FLIGHT),
            )
        )
        return sum(int(op.args[1]) for op in queued)


def record_offchain_payment(
    runtime: LedgerRuntime,
    user: Principal,
    asset_id: str,
    amount: int,
    bank_ref: str,
    *,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
) -> PaymentSubmission:
    """Record a payment the asset's authorised operator received off chain (bank)."""
    asset = bytes32(asset_id, "asset_id")
    check_amount(amount, positive=True)
    ref = reference(bank_ref, "bank_ref")
    _require_kind(user, (OPERATOR,), "record an off-chain payment")
    ctx = _payment_context(runtime, asset)
    operator_org = ctx.operator_org_id
    if operator_org != b"\0" * 32 and hex32(operator_org) != user.org_id:
        raise NotAuthorised(
            f"organisation {user.org_id} is not the authorised operator of asset {asset_id} "
            f"({hex32(operator_org)})",
            code_name="NotAuthorisedOperator",
        )
    op = _submit(
        runtime, user, _split(runtime), SPLIT, "recordOffchainPayment", [asset, amount, ref],
        idempotency_key=idempotency_key, request_hash=request_hash,
    )  # fmt: skip
    payment_id = offchain_payment_id_of(asset, bytes32(user.org_id, "org_id"), ref)
    return PaymentSubmission(payment_id=payment_id, operation=op, approval=None)


def confirm_remittance(
    runtime: LedgerRuntime,
    user: Principal,
    payment_id: str,
    remittance_ref: str,
    *,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
) -> Operation:
    """Confirm an off-chain payment's treasury share reached the treasury (finance)."""
    pid = bytes32(payment_id, "payment_id")
    ref = reference(remittance_ref, "remittance_ref")
    found = get_payment(runtime, payment_id)
    if found.settlement != "offchain":
        raise ContractRevert(
            "NotOffchainPayment",
            {"paymentId": pid},
            detail=f"payment {payment_id} was settled in tokens and reached the treasury "
            "in that transaction; only off-chain payments are confirmed as remitted",
        )
    ctx = _payment_context(runtime, bytes32(found.asset_id, "asset_id"))
    _require_finance_of(user, ctx.city, "confirm this remittance")
    return _submit(
        runtime, user, _split(runtime), SPLIT, "confirmRemittance", [pid, ref],
        idempotency_key=idempotency_key, request_hash=request_hash,
    )  # fmt: skip


def get_payment(runtime: LedgerRuntime, payment_id: str) -> Payment:
    """One payment from the chain (404 when unknown): RevenueSplitV2 stores its status;
    the record is in its PaymentSettled or OffchainPaymentRecorded event and the
    remittance in RemittanceConfirmed."""
    pid = bytes32(payment_id, "payment_id")
    status = PaymentStatus(int(_call(runtime, _split(runtime), "paymentStatus", pid)))
    if status == PaymentStatus.None_:
        raise NotFound(f"no payment {payment_id}", code_name="UnknownPayment")
    if status == PaymentStatus.Settled:
        logs = _logs(runtime, "PaymentSettled", {"paymentId": pid})
    else:
        logs = _logs(runtime, "OffchainPaymentRecorded", {"paymentId": pid})
    if not logs:
        raise ChainUnavailable(f"the node returned no event for payment {payment_id}")
    return _payment(runtime, logs[0], status)


def _payment(runtime: LedgerRuntime, log: Any, status: PaymentStatus) -> Payment:
    a = log["args"]
    onchain = log["event"] == "PaymentSettled"
    remittance: str | None = None
    if status == PaymentStatus.OffchainRemitted:
        confirmed = _logs(runtime, "RemittanceConfirmed", {"paymentId": a["paymentId"]})
        remittance = hex32(confirmed[0]["args"]["remittanceRef"]) if confirmed else None
    return Payment(
        payment_id=hex32(a["paymentId"]),
        asset_id=hex32(a["assetId"]),
        payer=Web3.to_checksum_address(a["payer"] if onchain else a["recordedBy"]),
        payer_org_id=hex32(a["payerOrgId"] if onchain else a["operatorOrgId"]),
        operator_org_id=hex32(a["operatorOrgId"]),
        settlement="onchain" if onchain else "offchain",
        schedule_version=int(a["scheduleVersion"]),
        block_number=int(log["blockNumber"]),
        amount=int(a["amount"]),
        operator_share=int(a["operatorShare"]),
        treasury_share=int(a["treasuryShare"]),
        remitted=status in (PaymentStatus.Settled, PaymentStatus.OffchainRemitted),
        external_ref=hex32(a["externalRef"] if onchain else a["bankRef"]),
        remittance_ref=remittance,
    )


def list_payments(runtime: LedgerRuntime, asset_id: str) -> list[Payment]:
    """Every payment of an asset (PaymentSettled and OffchainPaymentRecorded events,
    filtered by the indexed asset id), oldest first, with their current status."""
    asset = bytes32(asset_id, "asset_id")
    logs = _logs(runtime, "PaymentSettled", {"assetId": asset})
    logs += _logs(runtime, "OffchainPaymentRecorded", {"assetId": asset})
    logs.sort(key=lambda log: (int(log["blockNumber"]), int(log["logIndex"])))
    split = _split(runtime)
    return [
        _payment(runtime, log, PaymentStatus(int(_call(
            runtime, split, "paymentStatus", bytes(log["args"]["paymentId"])))))
        for log in logs
    ]  # fmt: skip


# ---------------------------------------------------------------------------- totals


def asset_revenue(runtime: LedgerRuntime, asset_id: str) -> AssetRevenue:
    """Totals of an asset (summed from its payment events) and the treasury share not yet
    confirmed as remitted (the contract's ``outstandingRemittance``)."""
    asset = bytes32(asset_id, "asset_id")
    payments = list_payments(runtime, asset_id)
    outstanding = int(_call(runtime, _split(runtime), "outstandingRemittance", asset))
    return AssetRevenue(
        asset_id=hex32(asset),
        total_paid=sum(p.amount for p in payments),
        operator_total=sum(p.operator_share for p in payments),
        treasury_total=sum(p.treasury_share for p in payments),
        outstanding_remittance=outstanding,
    )


def operator_remittance(runtime: LedgerRuntime, org_id: str) -> OperatorRemittance:
    """The treasury share an operator recorded off chain and has not yet remitted (its
    OffchainPaymentRecorded events whose payments are not remitted)."""
    operator = normalise_org_id(org_id)
    raw = bytes32(operator, "org_id")
    split = _split(runtime)
    outstanding = 0
    for log in _logs(runtime, "OffchainPaymentRecorded", {"operatorOrgId": raw}):
        status = int(_call(runtime, split, "paymentStatus", bytes(log["args"]["paymentId"])))
        if status == PaymentStatus.OffchainOutstanding:
            outstanding += int(log["args"]["treasuryShare"])
    return OperatorRemittance(
        operator_org_id=operator,
        outstanding_remittance=outstanding,
        payout_account=payout_account(runtime, operator),
    )


def token_balance(runtime: LedgerRuntime, org_id: str) -> Balance:
    """The settlement-token balance of an organisation's signing account (from chain)."""
    org = runtime.accounts.get_org(org_id)
    token = token_contract(runtime)
    account = Web3.to_checksum_address(org.signer_address)
    return Balance(
        org_id=org.org_id,
        account=account,
        token=token.address,
        balance=int(_call(runtime, token, "balanceOf", account)),
        allowance_to_split=int(
            _call(runtime, token, "allowance", account, _split(runtime).address)
        ),
    )


def account_balance(runtime: LedgerRuntime, account: str) -> int:
    """The settlement-token balance of any account (treasury, payout)."""
    return int(_call(runtime, token_contract(runtime), "balanceOf", _address(account, "account")))


# ---------------------------------------------------------------------------- faucet


def faucet(
    runtime: LedgerRuntime,
    user: Principal,
    org_id: str,
    amount: int,
    *,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
) -> Operation:
    """Mint test tokens to a merchant's signing account (consortium admin; ``memory`` and
    ``local`` chains only, never ``rpc``)."""
    check_amount(amount, positive=True)
    if runtime.handle.mode not in FAUCET_MODES or TEST_TOKEN not in runtime.deployment.contracts:
        raise NotFound(
            f"the faucet exists only on memory and local chains with the test token "
            f"(this chain: {runtime.handle.mode})"
        )
    if not user.is_consortium_admin:
        raise NotAuthorised("only the consortium admin may mint test tokens")
    org = runtime.accounts.get_org(org_id)
    if org.kind not in PAYER_KINDS:
        raise NotAuthorised(
            f"test tokens go to merchants and operators, not to a {org.kind} organisation"
        )
    token = runtime.contract(TEST_TOKEN)
    return runtime.txpipe.submit(
        runtime.admin,
        TEST_TOKEN,
        token.address,
        token.abi,
        "mint",
        [Web3.to_checksum_address(org.signer_address), amount],
        caller=user.user_id,
        org_id=user.org_id,
        idempotency_key=idempotency_key,
        request_hash=request_hash,
    )


def wait_mined(runtime: LedgerRuntime, op: Operation, timeout: float = 60.0) -> Operation:
    """Wait for an operation (CLI use); OperationFailed when it did not succeed."""
    done = op if op.state in TERMINAL else runtime.txpipe.wait(op.id, timeout)
    if done.state != MINED:
        raise OperationFailed(
            f"operation {done.id} ended {done.state}: {done.error_code or ''}",
            operation_id=done.id,
        )
    return done
