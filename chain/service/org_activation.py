"""Deactivate or reactivate an organisation (``setOrgActive``).

Who may, as the contract rules: the admin of the city's registrar for any other
organisation of its city. A registrar is suspended or reinstated only by k of n
registrars (``POST /v1/governance/proposals`` kind ``set_registrar_active``). A
deactivated organisation's keys sign nothing the ledger accepts until it is reactivated;
its records stay.
"""

from __future__ import annotations

from pydantic import Field

from chain.accounts import Principal
from chain.errors import NotAuthorised, NotFound
from chain.inputs import RequestModel
from chain.runtime import LedgerRuntime
from chain.service.common import (
    DIRECTORY,
    KIND_CODES,
    KIND_NAMES,
    b32,
    chain_org,
    hex32,
    submit,
)
from chain.txpipe import Operation


class ActivationIn(RequestModel):
    """Whether the organisation may act."""

    active: bool = Field(description="false deactivates, true reactivates", examples=[False])


def set_org_active(
    runtime: LedgerRuntime,
    principal: Principal,
    org_id: str,
    body: ActivationIn,
    *,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
) -> Operation:
    """``setOrgActive(org_id, active)`` signed by the organisation's manager."""
    target = hex32(org_id)
    record = chain_org(runtime, target)
    kind_code, city = int(record["kind"]), int(record["city"])
    if kind_code == 0:
        raise NotFound(f"the chain has no organisation {target}")
    verb = "reactivating" if body.active else "deactivating"
    if kind_code == KIND_CODES["registrar"]:
        raise NotAuthorised(
            f"{verb} a registrar is a governance act of k of n city registrars: a registrar "
            "proposes it (POST /v1/governance/proposals, kind set_registrar_active) and the "
            "others approve",
            required_kind=["registrar"],
        )
    else:
        kind = KIND_NAMES.get(kind_code, str(kind_code)).replace("_", " ")
        action = f"{verb} a {kind}"
        if principal.org_kind != "registrar" or principal.role != "admin":
            raise NotAuthorised(
                f"{action} is done by the admin of its city's registrar; this key is a "
                f"{principal.role} of a {principal.org_kind.replace('_', ' ')}",
                required_kind=["registrar"],
            )
        if principal.city_code != city:
            raise NotAuthorised(
                f"{action} of city {city} is done by that city's registrar; this key's "
                f"registrar is of city {principal.city_code}",
                required_city=city,
            )
    return submit(
        runtime, principal, "setOrgActive", [b32(target), body.active], contract=DIRECTORY,
        idempotency_key=idempotency_key, request_hash=request_hash,
    )  # fmt: skip
