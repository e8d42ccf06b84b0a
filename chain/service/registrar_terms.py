"""A registrar's terms: its public notice window and certificate term.

The registrar itself sets them (``OrgDirectory.setRegistrarTerms``, signed by its own
key); anyone reads them (``termsOf``, the effective terms: the directory stores them with
the defaults and the current bounds applied). 0 means the contract's default: 10 days of
notice, a three-year term. The contract bounds both (k of n registrars set the bounds
inside hard limits: notice from the deployment's floor to 60 days, term 1 to 5 years;
``TermsOutOfBounds`` otherwise); the gateway also refuses values beyond a year of notice
or twenty years of term before asking the chain.
Setting terms is policy: it needs the registrar's admin, not any of its writers.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from chain.accounts import Principal
from chain.errors import NotAuthorised, NotFound
from chain.inputs import RequestModel
from chain.runtime import LedgerRuntime
from chain.service.common import (
    DIRECTORY,
    KIND_CODES,
    b32,
    chain_org,
    hex32,
    require_kind,
    submit,
    view,
)
from chain.txpipe import Operation

DAY = 86_400
#: the contract's defaults, used when a term is 0
DEFAULT_NOTICE_WINDOW = 10 * DAY
DEFAULT_CERTIFICATE_TERM = 3 * 365 * DAY
MAX_NOTICE_WINDOW = 365 * DAY
MAX_CERTIFICATE_TERM = 20 * 365 * DAY


class TermsIn(RequestModel):
    """A registrar's notice window and certificate term, in seconds (0 = the default)."""

    notice_window_seconds: int = Field(
        ge=0, le=MAX_NOTICE_WINDOW,
        description="public notice before a certificate may be issued; 0 = 10 days; at most "
        "365 days",
        examples=[5 * DAY],
    )  # fmt: skip
    certificate_term_seconds: int = Field(
        ge=0, le=MAX_CERTIFICATE_TERM,
        description="validity of a new certificate; 0 = 3 years; at most 20 years",
        examples=[365 * DAY],
    )  # fmt: skip


class TermsOut(BaseModel):
    """A registrar's terms as the chain holds them, and what applies."""

    org_id: str = Field(examples=["0x" + "ab" * 32])
    notice_window_seconds: int = Field(
        description="in force (the directory keeps the effective value: the default for 0, "
        "clamped into the current bounds)"
    )
    certificate_term_seconds: int = Field(description="in force (as notice_window_seconds)")
    effective_notice_window_seconds: int = Field(examples=[DEFAULT_NOTICE_WINDOW])
    effective_certificate_term_seconds: int = Field(examples=[DEFAULT_CERTIFICATE_TERM])


def get_terms(runtime: LedgerRuntime, org_id: str) -> TermsOut:
    """The terms of a registrar, read from the chain (:class:`NotFound` for another kind)."""
    registrar = hex32(org_id)
    record = chain_org(runtime, registrar)
    if int(record["kind"]) != KIND_CODES["registrar"]:
        raise NotFound(f"organisation {registrar} is not a registrar on chain; only registrars "
                       "have terms")  # fmt: skip
    notice, term = view(runtime, "termsOf", b32(registrar), contract=DIRECTORY)
    notice, term = int(notice), int(term)
    return TermsOut(
        org_id=registrar,
        notice_window_seconds=notice,
        certificate_term_seconds=term,
        effective_notice_window_seconds=notice,
        effective_certificate_term_seconds=term,
    )


def set_terms(
    runtime: LedgerRuntime,
    principal: Principal,
    org_id: str,
    body: TermsIn,
    *,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
) -> Operation:
    """``setRegistrarTerms`` signed by the registrar ``org_id``, by its own admin."""
    action = "setting a registrar's terms"
    require_kind(principal, action, "registrar")
    registrar = hex32(org_id)
    if principal.org_id != registrar:
        raise NotAuthorised(
            f"{action} is done by that registrar itself; this key is of organisation "
            f"{principal.org_id}, not {registrar}",
            org_id=registrar,
        )
    if principal.role != "admin":
        raise NotAuthorised(f"{action} needs the role admin; this key is a {principal.role}")
    return submit(
        runtime, principal, "setRegistrarTerms",
        [body.notice_window_seconds, body.certificate_term_seconds], contract=DIRECTORY,
        idempotency_key=idempotency_key, request_hash=request_hash,
    )  # fmt: skip
