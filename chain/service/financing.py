"""Financing and disposal: pledges (holder requests, bank confirms and releases), credit
lines (bank), equity contribution (holder), disposal (holder requests, registrar confirms)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from chain.accounts import Principal
from chain.errors import DisposalNotRequested, NotAuthorised, NotFound
from chain.inputs import RequestModel
from chain.runtime import LedgerRuntime
from chain.service.common import (
    USE_AND_FINANCE,
    ZERO32,
    AmountFen,
    Bytes32,
    Created,
    b32,
    chain_asset,
    created_id,
    hex32,
    require_kind,
    simulate,
    struct,
    submit,
    view,
)
from chain.txpipe import Operation

#: Who confirms and releases a pledge (a bank of the asset's city).
PLEDGEES = ("bank",)


class PledgeCreate(RequestModel):
    bank_org_id: Bytes32 = Field(description="The lending bank of the asset's city")
    amount_fen: AmountFen
    contract_hash: Bytes32 = Field(description="Commitment of the pledge contract")


class CreditLineCreate(RequestModel):
    amount_fen: AmountFen = Field(examples=[6_000_000_000])
    agreement_hash: Bytes32 = Field(description="Commitment of the credit agreement")


class EquityCreate(RequestModel):
    valuation_fen: AmountFen = Field(examples=[100_000_000])
    investee_hash: Bytes32 = Field(description="Commitment of the investee company record")


class DisposalIn(RequestModel):
    reason_hash: Bytes32 = Field(description="Commitment of the disposal decision")


class EmptyIn(RequestModel):
    """No fields: the chain holds everything the step needs."""


def _financing(runtime: LedgerRuntime, financing_id: str) -> dict[str, Any]:
    record = struct(runtime, "financing", b32(financing_id), contract=USE_AND_FINANCE)
    if int(record["recordedAt"]) == 0:
        raise NotFound(f"no financing record {hex32(financing_id)} on chain")
    return record


def _holder_of(runtime: LedgerRuntime, principal: Principal, asset_id: str,
               action: str) -> dict[str, Any]:  # fmt: skip
    require_kind(principal, action, "holder")
    asset = chain_asset(runtime, asset_id)
    if str(asset["holderOrgId"]) != principal.org_id:
        raise NotAuthorised(
            f"asset {hex32(asset_id)} is held by {asset['holderOrgId']}; {action} is done by "
            "its holder"
        )
    return asset


def request_pledge(
    runtime: LedgerRuntime,
    principal: Principal,
    asset_id: str,
    body: PledgeCreate,
    *,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
) -> Created:
    _holder_of(runtime, principal, asset_id, "requesting a pledge")
    args = [b32(asset_id), b32(body.bank_org_id), body.amount_fen, b32(body.contract_hash)]
    return _created(runtime, principal, "requestPledge", args,
                    idempotency_key=idempotency_key, request_hash=request_hash)  # fmt: skip


def _created(
    runtime: LedgerRuntime, principal: Principal, function: str, args: list[Any], *,
    idempotency_key: str | None, request_hash: str | None,
) -> Created:  # fmt: skip
    """A UseAndFinance write creating a financing record; its id comes from the contract's
    per-asset counter (no view): the simulated call returns it."""
    predicted = hex32(simulate(runtime, principal.org_id, USE_AND_FINANCE, function, args))
    op = submit(runtime, principal, function, args, contract=USE_AND_FINANCE,
                idempotency_key=idempotency_key, request_hash=request_hash)  # fmt: skip
    return Created(op, created_id(op, "financingId", predicted), "financing")


def _bank_step(
    runtime: LedgerRuntime, principal: Principal, function: str, financing_id: str,
    action: str, *, idempotency_key: str | None, request_hash: str | None,
) -> Operation:  # fmt: skip
    """A step on a pledge by its bank (which must be of the asset's city)."""
    record = _financing(runtime, financing_id)
    asset = chain_asset(runtime, str(record["assetId"]))
    require_kind(principal, action, *PLEDGEES, city=int(asset["city"]))
    if principal.org_id != str(record["counterpartyOrgId"]):
        raise NotAuthorised(
            f"{action} is done by the pledge's bank {record['counterpartyOrgId']}, "
            f"not by {principal.org_id}"
        )
    return submit(runtime, principal, function, [b32(financing_id)], contract=USE_AND_FINANCE,
                  idempotency_key=idempotency_key, request_hash=request_hash)  # fmt: skip


def confirm_pledge(
    runtime: LedgerRuntime,
    principal: Principal,
    financing_id: str,
    *,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
) -> Operation:
    return _bank_step(runtime, principal, "confirmPledge", financing_id, "confirming a pledge",
                      idempotency_key=idempotency_key, request_hash=request_hash)  # fmt: skip


def release_pledge(
    runtime: LedgerRuntime,
    principal: Principal,
    financing_id: str,
    *,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
) -> Operation:
    return _bank_step(runtime, principal, "releasePledge", financing_id, "releasing a pledge",
                      idempotency_key=idempotency_key, request_hash=request_hash)  # fmt: skip


def record_credit_line(
    runtime: LedgerRuntime,
    principal: Principal,
    asset_id: str,
    body: CreditLineCreate,
    *,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
) -> Created:
    asset = chain_asset(runtime, asset_id)
    require_kind(principal, "recording a credit line", "bank", city=int(asset["city"]))
    args = [b32(asset_id), body.amount_fen, b32(body.agreement_hash)]
    return _created(runtime, principal, "recordCreditLine", args,
                    idempotency_key=idempotency_key, request_hash=request_hash)  # fmt: skip


def record_equity_contribution(
    runtime: LedgerRuntime,
    principal: Principal,
    asset_id: str,
    body: EquityCreate,
    *,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
) -> Created:
    _holder_of(runtime, principal, asset_id, "recording an equity contribution")
    args = [b32(asset_id), body.valuation_fen, b32(body.investee_hash)]
    return _created(runtime, principal, "recordEquityContribution", args,
                    idempotency_key=idempotency_key, request_hash=request_hash)  # fmt: skip


def request_disposal(
    runtime: LedgerRuntime,
    principal: Principal,
    asset_id: str,
    body: DisposalIn,
    *,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
) -> Operation:
    _holder_of(runtime, principal, asset_id, "requesting disposal")
    return submit(runtime, principal, "requestDisposal", [b32(asset_id), b32(body.reason_hash)],
                  contract=USE_AND_FINANCE, idempotency_key=idempotency_key,
                  request_hash=request_hash)  # fmt: skip


def confirm_disposal(
    runtime: LedgerRuntime,
    principal: Principal,
    asset_id: str,
    *,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
) -> Operation:
    """The asset city's registrar confirms: current certificate revoked, record kept."""
    asset = chain_asset(runtime, asset_id)
    require_kind(principal, "confirming disposal", "registrar", city=int(asset["city"]))
    requested = view(runtime, "disposalRequest", b32(asset_id), contract=USE_AND_FINANCE)
    if hex32(bytes(requested)) == ZERO32:
        raise DisposalNotRequested(
            f"no disposal requested for asset {hex32(asset_id)}: its holder requests it first"
        )
    return submit(runtime, principal, "confirmDisposal", [b32(asset_id)],
                  contract=USE_AND_FINANCE, idempotency_key=idempotency_key,
                  request_hash=request_hash)  # fmt: skip


def cancel_pledge_request(
    runtime: LedgerRuntime,
    principal: Principal,
    financing_id: str,
    *,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
) -> Operation:
    """The holder withdraws its own pending pledge request (``cancelPledgeRequest``)."""
    require_kind(principal, "cancelling a pledge request", "holder")
    record = _financing(runtime, financing_id)
    if str(record["holderOrgId"]) != principal.org_id:
        raise NotAuthorised(
            f"pledge request {hex32(financing_id)} was made by {record['holderOrgId']}; only "
            "that holder cancels it"
        )
    return submit(runtime, principal, "cancelPledgeRequest", [b32(financing_id)],
                  contract=USE_AND_FINANCE, idempotency_key=idempotency_key,
                  request_hash=request_hash)  # fmt: skip
