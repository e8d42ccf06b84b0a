"""Paid-use approval: the holder applies (scope document committed, operator named), the
competent department and the data administration review, the finance department decides."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from chain.accounts import Principal
from chain.commitments import commit
from chain.errors import NotAuthorised, NotFound, ValidationFailed
from chain.inputs import RequestModel
from chain.runtime import LedgerRuntime
from chain.service import asset_documents as docs
from chain.service.common import (
    USE_AND_FINANCE,
    ZERO32,
    Bytes32,
    Created,
    JsonDocument,
    b32,
    chain_asset,
    created_id,
    hex32,
    require_kind,
    require_usable,
    simulate,
    struct,
    submit,
)
from chain.txpipe import Operation

#: Who applies, who reviews and who decides paid use (the asset's city for the last two).
APPLICANTS = ("holder",)
REVIEWERS = ("competent_dept", "data_administration")
DECIDERS = ("finance_dept",)


class ApplicationCreate(RequestModel):
    operator_org_id: Bytes32 = Field(description="The authorised operator of the asset's city")
    scope: JsonDocument = Field(
        examples=[{"purpose": "traffic forecasting products", "term_months": 24,
                   "vault": "data vault, usable not visible"}],
        description="Scope of use (committed salted on chain; kept by the gateway)",
    )  # fmt: skip


class DecisionIn(RequestModel):
    approve: bool = Field(examples=[True])
    reason_hash: Bytes32 | None = Field(
        default=None, description="Commitment of the reasons; required when refusing"
    )

    @model_validator(mode="after")
    def _reason_when_refused(self) -> DecisionIn:
        if not self.approve and (self.reason_hash is None or int(self.reason_hash, 16) == 0):
            raise ValueError("reason_hash is required when refusing")
        return self


def _application(runtime: LedgerRuntime, application_id: str) -> dict[str, Any]:
    record = struct(runtime, "application", b32(application_id), contract=USE_AND_FINANCE)
    if int(record["appliedAt"]) == 0:
        raise NotFound(f"no paid-use application {hex32(application_id)} on chain")
    return record


def apply_for_paid_use(
    runtime: LedgerRuntime,
    principal: Principal,
    asset_id: str,
    body: ApplicationCreate,
    *,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
) -> Created:
    require_kind(principal, "applying for paid use", *APPLICANTS)
    asset = chain_asset(runtime, asset_id)
    if str(asset["holderOrgId"]) != principal.org_id:
        raise NotAuthorised(
            f"asset {hex32(asset_id)} is held by {asset['holderOrgId']}; only its holder applies"
        )
    require_usable(runtime, asset_id, "applying for paid use")
    if not body.scope:
        raise ValidationFailed(
            "the scope document is empty",
            errors=[{"loc": ["body", "scope"], "msg": "must not be empty", "type": "value_error"}],
        )
    scope = commit(body.scope)
    args = [b32(asset_id), scope.digest, b32(body.operator_org_id)]
    # the id comes from UseAndFinance's per-asset counter, which no view exposes: the
    # simulated call returns it (and refuses as the write would)
    predicted = hex32(simulate(runtime, principal.org_id, USE_AND_FINANCE, "applyForPaidUse",
                               args))  # fmt: skip
    op = submit(runtime, principal, "applyForPaidUse", args, contract=USE_AND_FINANCE,
                idempotency_key=idempotency_key, request_hash=request_hash)  # fmt: skip
    scope_hash = str(op.args[1]).lower()
    app_id = created_id(op, "applicationId", predicted)
    if scope_hash == scope.digest_hex:
        docs.save(runtime, docs.CommittedDocument(
            digest=scope.digest_hex, purpose="paid-use-scope", subject_id=app_id,
            org_id=principal.org_id, document=body.scope, salt=scope.salt_hex,
        ))  # fmt: skip
    return Created(op, app_id, "application")


def _decide(
    runtime: LedgerRuntime, principal: Principal, function: str, application_id: str,
    body: DecisionIn, action: str, *kinds: str, idempotency_key: str | None,
    request_hash: str | None,
) -> Operation:  # fmt: skip
    """A decision on an application by an org of ``kinds`` of the asset's city."""
    record = _application(runtime, application_id)
    asset = chain_asset(runtime, str(record["assetId"]))
    require_kind(principal, action, *kinds, city=int(asset["city"]))
    return submit(
        runtime, principal, function,
        [b32(application_id), body.approve, b32(body.reason_hash or ZERO32)],
        contract=USE_AND_FINANCE, idempotency_key=idempotency_key, request_hash=request_hash,
    )  # fmt: skip


def review_paid_use(
    runtime: LedgerRuntime,
    principal: Principal,
    application_id: str,
    body: DecisionIn,
    *,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
) -> Operation:
    """The competent department or the data administration of the asset's city reviews."""
    return _decide(
        runtime, principal, "reviewPaidUse", application_id, body,
        "reviewing a paid-use application", *REVIEWERS,
        idempotency_key=idempotency_key, request_hash=request_hash,
    )  # fmt: skip


def decide_paid_use(
    runtime: LedgerRuntime,
    principal: Principal,
    application_id: str,
    body: DecisionIn,
    *,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
) -> Operation:
    """The finance department of the asset's city decides last, after both reviews."""
    return _decide(
        runtime, principal, "decidePaidUse", application_id, body,
        "deciding on paid use", *DECIDERS,
        idempotency_key=idempotency_key, request_hash=request_hash,
    )  # fmt: skip


def cancel_application(
    runtime: LedgerRuntime,
    principal: Principal,
    application_id: str,
    *,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
) -> Operation:
    """The holder withdraws its own pending application (``cancelApplication``)."""
    require_kind(principal, "cancelling a paid-use application", "holder")
    record = _application(runtime, application_id)
    if str(record["holderOrgId"]) != principal.org_id:
        raise NotAuthorised(
            f"application {hex32(application_id)} was made by {record['holderOrgId']}; only "
            "that holder cancels it"
        )
    return submit(runtime, principal, "cancelApplication", [b32(application_id)],
                  contract=USE_AND_FINANCE, idempotency_key=idempotency_key,
                  request_hash=request_hash)  # fmt: skip
