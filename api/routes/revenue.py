"""Revenue split over HTTP: schedules, quotes, payments, remittance, accounts, balances.

Every route calls one function of :mod:`chain.service.revenue`. Writes answer like
``api/writes.py`` says: ``202`` + ``Location: /v1/operations/{id}``, or ``200`` with the
mined operation for ``?wait=true``; ``Idempotency-Key`` gives the same operation for the
same body. Payment writes also answer ``Link: </v1/payments/{payment_id}>; rel="payment"``
(payment ids are deterministic: known before the transaction is mined).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.auth import CurrentUser, WriterUser
from api.deps import RuntimeDep
from api.writes import WRITE_RESPONSES, WriteOpts, answer
from chain.accounts import normalise_org_id
from chain.inputs import RequestModel
from chain.service import revenue

router = APIRouter(tags=["revenue"])

HEX32 = r"^0x[0-9a-fA-F]{64}$"
MAX = 2**128
EXAMPLE_ASSET = "0x" + "a1" * 32
EXAMPLE_ORG = "0x" + "0b" * 32
EXAMPLE_PAYMENT = "0x" + "c3" * 32
YUAN = 100

Fen = Annotated[int, Field(ge=0, lt=MAX, description="Amount in fen (1 yuan = 100 fen)")]
PositiveFen = Annotated[int, Field(gt=0, lt=MAX, description="Amount in fen, > 0")]
Bps = Annotated[int, Field(ge=0, le=10_000, description="Basis points (10000 = 100 %)")]

AssetIdPath = Annotated[
    str, Path(pattern=HEX32, description="Asset id (0x + 32-byte hex)", examples=[EXAMPLE_ASSET])
]
OrgIdPath = Annotated[
    str, Path(pattern=HEX32, description="Organisation id", examples=[EXAMPLE_ORG])
]
PaymentIdPath = Annotated[
    str, Path(pattern=HEX32, description="Payment id", examples=[EXAMPLE_PAYMENT])
]
CityPath = Annotated[
    int,
    Path(gt=0, lt=2**32, description="GB/T 2260 division code of the city", examples=[370200]),
]
Reference = Annotated[
    str,
    Field(
        min_length=1,
        max_length=200,
        description="0x + 64 hex used as is; any other text is stored as its keccak256",
    ),
]

EXAMPLE_BOUNDS: list[Any] = [0, 100_000 * YUAN, 500_000 * YUAN]
EXAMPLE_BPS: list[Any] = [2_000, 3_500, 5_000]


# ---------------------------------------------------------------------------- schemas


class ScheduleIn(RequestModel):
    """Brackets ``(lower bound, operator share)``: first bound 0, bounds strictly
    increasing, shares non-decreasing and at most 10000 bp, at most 20 brackets."""

    lower_bounds: list[Fen] = Field(min_length=1, max_length=64, examples=[EXAMPLE_BOUNDS])
    operator_bps: list[Bps] = Field(min_length=1, max_length=64, examples=[EXAMPLE_BPS])

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"lower_bounds": EXAMPLE_BOUNDS, "operator_bps": EXAMPLE_BPS}]
        }
    )


class ScheduleOut(BaseModel):
    version: int = Field(examples=[1])
    effective_block: int = Field(examples=[1204])
    finance_org_id: str = Field(examples=[EXAMPLE_ORG])
    lower_bounds: list[int] = Field(examples=[EXAMPLE_BOUNDS])
    operator_bps: list[int] = Field(examples=[EXAMPLE_BPS])


class ScheduleList(BaseModel):
    asset_id: str = Field(examples=[EXAMPLE_ASSET])
    versions: list[ScheduleOut]


class QuoteIn(ScheduleIn):
    amount: Fen = Field(examples=[1_000_000 * YUAN])

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "lower_bounds": EXAMPLE_BOUNDS,
                    "operator_bps": EXAMPLE_BPS,
                    "amount": 1_000_000 * YUAN,
                }
            ]
        }
    )


class BracketOut(BaseModel):
    lower_bound: int = Field(examples=[100_000 * YUAN])
    upper_bound: int | None = Field(examples=[500_000 * YUAN])
    operator_bps: int = Field(examples=[3_500])
    part: int = Field(description="The part of the amount inside this bracket (fen)")


class QuoteOut(BaseModel):
    amount: int = Field(examples=[1_000_000 * YUAN])
    operator_share: int = Field(examples=[410_000 * YUAN])
    treasury_share: int = Field(examples=[590_000 * YUAN])
    brackets: list[BracketOut]
    version: int | None = Field(
        default=None, description="The schedule version (previews of an asset)"
    )


class PaymentIn(RequestModel):
    """A merchant (or an operator settling for one) pays in tokens with ``reference``;
    the asset's operator records an off-chain bank payment with ``offchain: true`` and
    ``bank_ref``."""

    amount: PositiveFen = Field(examples=[80_000 * YUAN])
    reference: Reference | None = Field(
        default=None, description="Payer's reference (token payments)", examples=["INV-2025-0042"]
    )
    offchain: bool = Field(default=False, description="Record a payment received off chain")
    bank_ref: Reference | None = Field(
        default=None, description="Bank reference (off-chain payments)", examples=["BOC-77812"]
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"amount": 8_000_000, "reference": "INV-2025-0042"},
                {"amount": 30_000_000, "offchain": True, "bank_ref": "BOC-20251125-77812"},
            ]
        }
    )

    @model_validator(mode="after")
    def _one_kind(self) -> PaymentIn:
        if self.offchain and not self.bank_ref:
            raise ValueError("an off-chain payment needs bank_ref")
        if not self.offchain and not self.reference:
            raise ValueError("a token payment needs reference")
        return self


class PaymentOut(BaseModel):
    payment_id: str = Field(examples=[EXAMPLE_PAYMENT])
    asset_id: str = Field(examples=[EXAMPLE_ASSET])
    payer: str
    payer_org_id: str
    operator_org_id: str
    settlement: Literal["onchain", "offchain", "none"]
    schedule_version: int = Field(examples=[1])
    block_number: int
    amount: int = Field(examples=[30_000_000])
    operator_share: int = Field(examples=[9_000_000])
    treasury_share: int = Field(examples=[21_000_000])
    remitted: bool
    external_ref: str
    remittance_ref: str | None


class PaymentList(BaseModel):
    asset_id: str
    payments: list[PaymentOut]


class RemittanceIn(RequestModel):
    remittance_ref: Reference = Field(examples=["TREASURY-2025-11-0093"])


class AssetRemittanceOut(BaseModel):
    asset_id: str = Field(examples=[EXAMPLE_ASSET])
    total_paid: int
    operator_total: int
    treasury_total: int
    outstanding_remittance: int = Field(
        description="Treasury share of off-chain payments not yet confirmed as remitted"
    )


class OperatorRemittanceOut(BaseModel):
    operator_org_id: str = Field(examples=[EXAMPLE_ORG])
    outstanding_remittance: int
    payout_account: str | None


class AccountIn(RequestModel):
    account: str = Field(
        pattern=r"^0x[0-9a-fA-F]{40}$", examples=["0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"]
    )


class AccountSettingOut(BaseModel):
    """A treasury or payout account: the one in effect and a change waiting for its delay."""

    effective: str | None = Field(description="the account payments go to now (None: unset)")
    pending: str | None = Field(description="a proposed account not yet in effect")
    effective_at: int | None = Field(
        description="unix time from which the pending account may be activated"
    )


class BalanceOut(BaseModel):
    org_id: str
    account: str
    token: str
    balance: int = Field(description="Settlement-token balance in fen")
    allowance_to_split: int


class FaucetIn(RequestModel):
    org_id: str = Field(pattern=HEX32, examples=[EXAMPLE_ORG])
    amount: PositiveFen = Field(examples=[10_000_000 * YUAN])


# ---------------------------------------------------------------------------- helpers


def _quote_out(q: revenue.Quote) -> QuoteOut:
    return QuoteOut(
        amount=q.amount,
        operator_share=q.operator_share,
        treasury_share=q.treasury_share,
        brackets=[BracketOut.model_validate(b, from_attributes=True) for b in q.brackets],
        version=q.version,
    )


def _payment_out(p: revenue.Payment) -> PaymentOut:
    return PaymentOut.model_validate(p, from_attributes=True)


def _with_payment_link(response: JSONResponse, payment_id: str) -> JSONResponse:
    response.headers["Link"] = f'</v1/payments/{payment_id}>; rel="payment"'
    response.headers["Payment-Id"] = payment_id
    return response


# ---------------------------------------------------------------------------- schedules


@router.post(
    "/v1/assets/{asset_id}/schedules",
    status_code=202,
    responses=WRITE_RESPONSES,
    summary="Set a new schedule version (finance department of the asset's city)",
    description="Applies to payments made after it is mined; earlier payments keep "
    "their version. A schedule that breaks a rule is refused with 422 naming the rule "
    "(`rule`, e.g. `SplitRateDecreasing`) and the bracket `index`.",
)
def set_schedule(
    asset_id: AssetIdPath,
    body: ScheduleIn,
    user: WriterUser,
    runtime: RuntimeDep,
    write: WriteOpts,
    request: Request,
) -> JSONResponse:
    op = revenue.set_schedule(
        runtime, user, asset_id, body.lower_bounds, body.operator_bps,
        idempotency_key=write.idempotency_key, request_hash=write.request_hash(request, body),
    )  # fmt: skip
    return answer(runtime, op, write)


@router.get(
    "/v1/assets/{asset_id}/schedules",
    response_model=ScheduleList,
    summary="Every schedule version of an asset, oldest first (from the chain)",
)
def list_schedules(asset_id: AssetIdPath, user: CurrentUser, runtime: RuntimeDep) -> ScheduleList:
    versions = revenue.list_schedules(runtime, asset_id)
    return ScheduleList(
        asset_id=asset_id.lower(),
        versions=[ScheduleOut.model_validate(v, from_attributes=True) for v in versions],
    )


# ---------------------------------------------------------------------------- quotes


@router.post(
    "/v1/split/quote",
    response_model=QuoteOut,
    summary="Split an amount by a schedule, computed by the contract (anyone, no key)",
    responses={422: {"description": "Invalid schedule (the rule is named) or amount"}},
)
def quote(body: QuoteIn, runtime: RuntimeDep) -> QuoteOut:
    return _quote_out(revenue.quote(runtime, body.lower_bounds, body.operator_bps, body.amount))


@router.get(
    "/v1/assets/{asset_id}/split/preview",
    response_model=QuoteOut,
    summary="Split an amount by the asset's current schedule (the contract's preview)",
    responses={409: {"description": "The asset has no schedule (`NoSchedule`)"}},
)
def preview(
    asset_id: AssetIdPath,
    user: CurrentUser,
    runtime: RuntimeDep,
    amount: Annotated[int, Query(ge=0, lt=MAX, description="Amount in fen", examples=[8_000_000])],
) -> QuoteOut:
    return _quote_out(revenue.preview(runtime, asset_id, amount))


# ---------------------------------------------------------------------------- payments


@router.post(
    "/v1/assets/{asset_id}/payments",
    status_code=202,
    responses=WRITE_RESPONSES,
    summary="Pay for an asset's use in tokens (merchant), or record an off-chain payment "
    "(the asset's operator, `offchain: true` + `bank_ref`)",
    description="Token payment: when the payer's allowance to RevenueSplit is short, the "
    "gateway first sends `approve(RevenueSplit, amount)` on the settlement token and waits "
    "until it is mined (the `pay` transaction is simulated before signing and that needs "
    "the allowance), then sends `pay`: two transactions, one answer. The answer's operation "
    "is the `pay` (or `recordOffchainPayment`) write; `Link` and `Payment-Id` name the "
    "payment, whose id is deterministic (asset, payer, reference). A retry with the same "
    "`Idempotency-Key` and body returns the same operation and approves nothing again.",
)
def create_payment(
    asset_id: AssetIdPath,
    body: PaymentIn,
    user: WriterUser,
    runtime: RuntimeDep,
    write: WriteOpts,
    request: Request,
) -> JSONResponse:
    digest = write.request_hash(request, body)
    if body.offchain:
        assert body.bank_ref is not None
        sub = revenue.record_offchain_payment(
            runtime, user, asset_id, body.amount, body.bank_ref,
            idempotency_key=write.idempotency_key, request_hash=digest,
        )  # fmt: skip
    else:
        assert body.reference is not None
        sub = revenue.pay(
            runtime, user, asset_id, body.amount, body.reference,
            idempotency_key=write.idempotency_key, request_hash=digest,
        )  # fmt: skip
    response = answer(runtime, sub.operation, write)
    return _with_payment_link(response, sub.payment_id)


@router.get(
    "/v1/assets/{asset_id}/payments",
    response_model=PaymentList,
    summary="Payments of an asset, oldest first (chain events with current records)",
)
def list_payments(asset_id: AssetIdPath, user: CurrentUser, runtime: RuntimeDep) -> PaymentList:
    return PaymentList(
        asset_id=asset_id.lower(),
        payments=[_payment_out(p) for p in revenue.list_payments(runtime, asset_id)],
    )


@router.get(
    "/v1/payments/{payment_id}",
    response_model=PaymentOut,
    summary="One payment record (from the chain)",
    responses={404: {"description": "No such payment"}},
)
def get_payment(payment_id: PaymentIdPath, user: CurrentUser, runtime: RuntimeDep) -> PaymentOut:
    return _payment_out(revenue.get_payment(runtime, payment_id))


@router.post(
    "/v1/payments/{payment_id}/remittance",
    status_code=202,
    responses=WRITE_RESPONSES,
    summary="Confirm an off-chain payment's treasury share was remitted (finance "
    "department of the asset's city)",
)
def confirm_remittance(
    payment_id: PaymentIdPath,
    body: RemittanceIn,
    user: WriterUser,
    runtime: RuntimeDep,
    write: WriteOpts,
    request: Request,
) -> JSONResponse:
    op = revenue.confirm_remittance(
        runtime, user, payment_id, body.remittance_ref,
        idempotency_key=write.idempotency_key, request_hash=write.request_hash(request, body),
    )  # fmt: skip
    return answer(runtime, op, write)


@router.get(
    "/v1/assets/{asset_id}/remittance",
    response_model=AssetRemittanceOut,
    summary="Totals of an asset and its outstanding remittance (from the chain)",
)
def asset_remittance(
    asset_id: AssetIdPath, user: CurrentUser, runtime: RuntimeDep
) -> AssetRemittanceOut:
    return AssetRemittanceOut.model_validate(
        revenue.asset_revenue(runtime, asset_id), from_attributes=True
    )


@router.get(
    "/v1/orgs/{org_id}/remittance",
    response_model=OperatorRemittanceOut,
    summary="Outstanding remittance of an operator over all its assets (from the chain)",
)
def operator_remittance(
    org_id: OrgIdPath, user: CurrentUser, runtime: RuntimeDep
) -> OperatorRemittanceOut:
    return OperatorRemittanceOut.model_validate(
        revenue.operator_remittance(runtime, org_id), from_attributes=True
    )


# ---------------------------------------------------------------------------- accounts


@router.put(
    "/v1/cities/{city}/treasury-account",
    status_code=202,
    responses=WRITE_RESPONSES,
    summary="Propose the city's treasury account (finance department of that city)",
    description="The first account takes effect at once; a change takes effect only after "
    "the deployment's delay (2 days in production), with `POST .../activation`.",
)
def set_treasury_account(
    city: CityPath,
    body: AccountIn,
    user: WriterUser,
    runtime: RuntimeDep,
    write: WriteOpts,
    request: Request,
) -> JSONResponse:
    op = revenue.set_treasury_account(
        runtime, user, city, body.account,
        idempotency_key=write.idempotency_key, request_hash=write.request_hash(request, body),
    )  # fmt: skip
    return answer(runtime, op, write)


@router.put(
    "/v1/orgs/{org_id}/payout-account",
    status_code=202,
    responses=WRITE_RESPONSES,
    summary="Propose an operator's payout account (that operator)",
    description="The first account takes effect at once; a change takes effect only after "
    "the deployment's delay, with `POST .../activation`.",
)
def set_payout_account(
    org_id: OrgIdPath,
    body: AccountIn,
    user: WriterUser,
    runtime: RuntimeDep,
    write: WriteOpts,
    request: Request,
) -> JSONResponse:
    op = revenue.set_payout_account(
        runtime, user, normalise_org_id(org_id), body.account,
        idempotency_key=write.idempotency_key, request_hash=write.request_hash(request, body),
    )  # fmt: skip
    return answer(runtime, op, write)


@router.post(
    "/v1/cities/{city}/treasury-account/activation",
    status_code=202,
    responses=WRITE_RESPONSES,
    summary="Put the pending treasury account into effect after its delay (finance dept)",
)
def activate_treasury_account(
    city: CityPath, user: WriterUser, runtime: RuntimeDep, write: WriteOpts, request: Request
) -> JSONResponse:
    op = revenue.activate_treasury_account(
        runtime, user, city,
        idempotency_key=write.idempotency_key, request_hash=write.request_hash(request),
    )  # fmt: skip
    return answer(runtime, op, write)


@router.get(
    "/v1/cities/{city}/treasury-account",
    response_model=AccountSettingOut,
    summary="The city's treasury account in effect and a pending change",
)
def get_treasury_account(city: CityPath, user: CurrentUser, runtime: RuntimeDep) -> Any:
    return AccountSettingOut(**asdict(revenue.treasury_setting(runtime, city)))


@router.post(
    "/v1/orgs/{org_id}/payout-account/activation",
    status_code=202,
    responses=WRITE_RESPONSES,
    summary="Put the pending payout account into effect after its delay (that operator)",
)
def activate_payout_account(
    org_id: OrgIdPath, user: WriterUser, runtime: RuntimeDep, write: WriteOpts, request: Request
) -> JSONResponse:
    op = revenue.activate_payout_account(
        runtime, user, normalise_org_id(org_id),
        idempotency_key=write.idempotency_key, request_hash=write.request_hash(request),
    )  # fmt: skip
    return answer(runtime, op, write)


@router.get(
    "/v1/orgs/{org_id}/payout-account",
    response_model=AccountSettingOut,
    summary="An operator's payout account in effect and a pending change",
)
def get_payout_account(org_id: OrgIdPath, user: CurrentUser, runtime: RuntimeDep) -> Any:
    return AccountSettingOut(**asdict(revenue.payout_setting(runtime, normalise_org_id(org_id))))


@router.get(
    "/v1/orgs/{org_id}/balance",
    response_model=BalanceOut,
    summary="Settlement-token balance of an organisation's signing account (from the chain)",
)
def org_balance(org_id: OrgIdPath, user: CurrentUser, runtime: RuntimeDep) -> BalanceOut:
    return BalanceOut.model_validate(
        revenue.token_balance(runtime, normalise_org_id(org_id)), from_attributes=True
    )


@router.post(
    "/v1/dev/faucet",
    status_code=202,
    responses=WRITE_RESPONSES,
    summary="Mint test tokens to a merchant (consortium admin; memory and local chains only)",
    description="Refused (404) on `rpc` chains: there the settlement token is the real one.",
)
def dev_faucet(
    body: FaucetIn,
    user: WriterUser,
    runtime: RuntimeDep,
    write: WriteOpts,
    request: Request,
) -> JSONResponse:
    op = revenue.faucet(
        runtime, user, normalise_org_id(body.org_id), body.amount,
        idempotency_key=write.idempotency_key, request_hash=write.request_hash(request, body),
    )  # fmt: skip
    return answer(runtime, op, write)
