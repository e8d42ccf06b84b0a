"""Governance of the city registrars: k of n registrars admit, suspend and reinstate
registrars, set the term bounds and the threshold, mark a key compromised as of a past
time and sweep stray tokens (``OrgDirectory.propose`` / ``approve``).

Until the handover the deploying account (this gateway's consortium admin) bootstraps
registrars (``POST /v1/orgs`` kind registrar); it begins the handover naming k
(``beginHandover``) and a registrar accepts (``acceptHandover``); from then on it has no
power and governance acts need k of n registrars.
"""

from __future__ import annotations

from typing import Any, Literal

from eth_abi.abi import encode
from pydantic import BaseModel, Field, model_validator
from web3 import Web3

from chain.accounts import Principal
from chain.bindings.enums import ProposalKind, ProposalStatus
from chain.errors import NotAuthorised, NotFound
from chain.inputs import RequestModel
from chain.runtime import LedgerRuntime
from chain.service.common import (
    DIRECTORY,
    SPLIT,
    Bytes32,
    Created,
    b32,
    created_id,
    hex32,
    name_hash,
    org_id_for,
    require_consortium_admin,
    require_kind,
    simulate,
    struct,
    submit,
)
from chain.txpipe import Operation

KindName = Literal[
    "admit_registrar",
    "set_registrar_active",
    "set_term_bounds",
    "set_threshold",
    "mark_key_compromised",
    "sweep",
]
KINDS: dict[str, ProposalKind] = {
    "admit_registrar": ProposalKind.AdmitRegistrar,
    "set_registrar_active": ProposalKind.SetRegistrarActive,
    "set_term_bounds": ProposalKind.SetTermBounds,
    "set_threshold": ProposalKind.SetThreshold,
    "mark_key_compromised": ProposalKind.MarkKeyCompromised,
    "sweep": ProposalKind.Sweep,
}
KIND_OF: dict[int, str] = {int(v): k for k, v in KINDS.items()}
ADDRESS = r"^0x[0-9a-fA-F]{40}$"


class TermBoundsIn(RequestModel):
    notice_min: int = Field(ge=1, lt=2**64, examples=[5 * 86_400])
    notice_max: int = Field(ge=1, lt=2**64, examples=[60 * 86_400])
    term_min: int = Field(ge=1, lt=2**64, examples=[365 * 86_400])
    term_max: int = Field(ge=1, lt=2**64, examples=[5 * 365 * 86_400])


class ProposalIn(RequestModel):
    """A governance act; the fields its kind needs (others omitted)."""

    kind: KindName = Field(examples=["admit_registrar"])
    city_code: int | None = Field(default=None, ge=1, lt=2**32, examples=[320100],
                                  description="admit_registrar: the new registrar's city")
    name: str | None = Field(default=None, min_length=1, max_length=200,
                             description="admit_registrar: the new registrar's name")
    signer_address: str | None = Field(
        default=None, pattern=ADDRESS,
        description="admit_registrar: its signing account when another gateway holds the "
        "key; omitted: this gateway creates the key. mark_key_compromised: not used",
    )  # fmt: skip
    registrar_org_id: Bytes32 | None = Field(
        default=None, description="set_registrar_active: the registrar"
    )
    active: bool | None = Field(default=None, description="set_registrar_active")
    bounds: TermBoundsIn | None = Field(default=None, description="set_term_bounds")
    threshold: int | None = Field(default=None, ge=2, lt=2**32, description="set_threshold")
    account: str | None = Field(default=None, pattern=ADDRESS,
                                description="mark_key_compromised: the key")
    since: int | None = Field(default=None, ge=1, lt=2**64,
                              description="mark_key_compromised: compromised from (unix time)")
    token: str | None = Field(default=None, pattern=ADDRESS, description="sweep: the token")
    to: str | None = Field(default=None, pattern=ADDRESS, description="sweep: the recipient")

    @model_validator(mode="after")
    def _fields_of_kind(self) -> ProposalIn:
        needed = {
            "admit_registrar": ("city_code", "name"),
            "set_registrar_active": ("registrar_org_id", "active"),
            "set_term_bounds": ("bounds",),
            "set_threshold": ("threshold",),
            "mark_key_compromised": ("account", "since"),
            "sweep": ("token", "to"),
        }[self.kind]
        missing = [f for f in needed if getattr(self, f) is None]
        if missing:
            raise ValueError(f"a {self.kind} proposal needs {', '.join(missing)}")
        return self


class HandoverIn(RequestModel):
    threshold: int = Field(ge=2, lt=2**32, examples=[2],
                           description="k: approvals a governance act needs")  # fmt: skip


class ProposalPublic(BaseModel):
    proposal_id: str
    kind: str
    status: str
    approvals: int
    threshold: int
    proposer_org_id: str
    created_at: int
    expires_at: int
    params: dict[str, Any]
    approved_by_me: bool | None = None


def _params(runtime: LedgerRuntime, principal: Principal, body: ProposalIn) -> bytes:
    if body.kind == "admit_registrar":
        assert body.city_code is not None and body.name is not None
        signer = _registrar_signer(runtime, body)
        return encode(["uint32", "bytes32", "address"],
                      [body.city_code, name_hash(body.name), signer])  # fmt: skip
    if body.kind == "set_registrar_active":
        assert body.registrar_org_id is not None
        return encode(["bytes32", "bool"], [b32(body.registrar_org_id), bool(body.active)])
    if body.kind == "set_term_bounds":
        assert body.bounds is not None
        b = body.bounds
        return encode(["(uint64,uint64,uint64,uint64)"],
                      [(b.notice_min, b.notice_max, b.term_min, b.term_max)])  # fmt: skip
    if body.kind == "set_threshold":
        return encode(["uint32"], [body.threshold])
    if body.kind == "mark_key_compromised":
        assert body.account is not None
        return encode(["address", "uint64"], [Web3.to_checksum_address(body.account), body.since])
    assert body.token is not None and body.to is not None
    target = runtime.contract(SPLIT).address
    return encode(["address", "address", "address"],
                  [target, Web3.to_checksum_address(body.token),
                   Web3.to_checksum_address(body.to)])  # fmt: skip


def _registrar_signer(runtime: LedgerRuntime, body: ProposalIn) -> str:
    """The new registrar's signing account: given, or a key this gateway creates (the org
    row is made now; it acts once the proposal runs)."""
    assert body.city_code is not None and body.name is not None
    if body.signer_address is not None:
        return Web3.to_checksum_address(body.signer_address)
    org_id = org_id_for("registrar", body.city_code, body.name)
    org = runtime.accounts.find_org(org_id)
    if org is None:
        org = runtime.provision_org(org_id, body.name, "registrar", body.city_code)
    return Web3.to_checksum_address(org.signer_address)


def propose(
    runtime: LedgerRuntime,
    principal: Principal,
    body: ProposalIn,
    *,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
) -> Created:
    """An active registrar proposes a governance act; its approval counts as the first."""
    require_kind(principal, "proposing a governance act", "registrar")
    if principal.role != "admin":
        raise NotAuthorised(
            f"proposing a governance act needs the role admin; this key is a {principal.role}"
        )
    params = _params(runtime, principal, body)
    args = [int(KINDS[body.kind]), params]
    predicted = hex32(simulate(runtime, principal.org_id, DIRECTORY, "propose", args))
    op = submit(runtime, principal, "propose", args, contract=DIRECTORY,
                idempotency_key=idempotency_key, request_hash=request_hash)  # fmt: skip
    return Created(op, created_id(op, "proposalId", predicted), "proposal")


def approve(
    runtime: LedgerRuntime,
    principal: Principal,
    proposal_id: str,
    *,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
) -> Operation:
    """Another active registrar approves; the act runs with the k-th approval."""
    require_kind(principal, "approving a governance act", "registrar")
    if principal.role != "admin":
        raise NotAuthorised(
            f"approving a governance act needs the role admin; this key is a {principal.role}"
        )
    proposal_record(runtime, proposal_id)
    return submit(runtime, principal, "approve", [b32(proposal_id)], contract=DIRECTORY,
                  idempotency_key=idempotency_key, request_hash=request_hash)  # fmt: skip


def _decode(kind: int, params: bytes) -> dict[str, Any]:
    from eth_abi.abi import decode

    try:
        if kind == ProposalKind.AdmitRegistrar:
            city, nh, account = decode(["uint32", "bytes32", "address"], params)
            return {"city_code": city, "name_hash": hex32(nh),
                    "signer_address": Web3.to_checksum_address(account)}  # fmt: skip
        if kind == ProposalKind.SetRegistrarActive:
            org, active = decode(["bytes32", "bool"], params)
            return {"registrar_org_id": hex32(org), "active": bool(active)}
        if kind == ProposalKind.SetTermBounds:
            ((nmin, nmax, tmin, tmax),) = decode(["(uint64,uint64,uint64,uint64)"], params)
            return {"bounds": {"notice_min": nmin, "notice_max": nmax, "term_min": tmin,
                               "term_max": tmax}}  # fmt: skip
        if kind == ProposalKind.SetThreshold:
            (threshold,) = decode(["uint32"], params)
            return {"threshold": threshold}
        if kind == ProposalKind.MarkKeyCompromised:
            account, since = decode(["address", "uint64"], params)
            return {"account": Web3.to_checksum_address(account), "since": since}
        target, token, to = decode(["address", "address", "address"], params)
        return {"target": Web3.to_checksum_address(target),
                "token": Web3.to_checksum_address(token), "to": Web3.to_checksum_address(to)}
    except Exception:  # params the contract would refuse on execution: show them raw
        return {"raw": "0x" + params.hex()}


def proposal_record(
    runtime: LedgerRuntime, proposal_id: str, principal: Principal | None = None
) -> ProposalPublic:
    record = struct(runtime, "proposal", b32(proposal_id), contract=DIRECTORY)
    status = int(record["status"])
    if status == ProposalStatus.None_:
        raise NotFound(f"no governance proposal {hex32(proposal_id)} on chain")
    directory = runtime.contract(DIRECTORY)
    mine: bool | None = None
    if principal is not None and principal.org_kind == "registrar":
        mine = bool(directory.functions.hasApproved(b32(proposal_id), b32(principal.org_id))
                    .call())  # fmt: skip
    params = bytes.fromhex(str(record["params"])[2:])
    return ProposalPublic(
        proposal_id=hex32(proposal_id),
        kind=KIND_OF.get(int(record["kind"]), str(record["kind"])),
        status=ProposalStatus.name_of(status),
        approvals=int(record["approvals"]),
        threshold=int(directory.functions.threshold().call()),
        proposer_org_id=str(record["proposerOrgId"]),
        created_at=int(record["createdAt"]),
        expires_at=int(record["expiresAt"]),
        params=_decode(int(record["kind"]), params),
        approved_by_me=mine,
    )


def list_proposals(runtime: LedgerRuntime, principal: Principal) -> list[ProposalPublic]:
    """Every proposal (from the directory's ProposalCreated logs), current state."""
    if principal.org_kind != "registrar" and not principal.is_consortium_admin:
        raise NotAuthorised("governance proposals are read by registrars and the consortium")
    directory = runtime.contract(DIRECTORY)
    start = runtime.deployment.deployment_block if runtime.deployment.contracts else 0
    logs = directory.events.ProposalCreated().get_logs(from_block=start)
    ids = list(dict.fromkeys(hex32(bytes(log["args"]["proposalId"])) for log in logs))
    return [proposal_record(runtime, i, principal) for i in ids]


def begin_handover(
    runtime: LedgerRuntime,
    principal: Principal,
    body: HandoverIn,
    *,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
) -> Operation:
    """Step 1: the deploying account (consortium admin) names k."""
    require_consortium_admin(principal, "handing governance over to the registrars")
    return submit(runtime, principal, "beginHandover", [body.threshold], contract=DIRECTORY,
                  idempotency_key=idempotency_key, request_hash=request_hash)  # fmt: skip


def accept_handover(
    runtime: LedgerRuntime,
    principal: Principal,
    *,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
) -> Operation:
    """Step 2: an active registrar accepts; the deploying account loses every power."""
    require_kind(principal, "accepting the governance handover", "registrar")
    if principal.role != "admin":
        raise NotAuthorised(
            f"accepting the handover needs the role admin; this key is a {principal.role}"
        )
    return submit(runtime, principal, "acceptHandover", [], contract=DIRECTORY,
                  idempotency_key=idempotency_key, request_hash=request_hash)  # fmt: skip


def governance_state(runtime: LedgerRuntime) -> dict[str, Any]:
    directory = runtime.contract(DIRECTORY)
    bootstrapper = str(directory.functions.bootstrapper().call())
    bounds = struct(runtime, "termBounds", contract=DIRECTORY)
    return {
        "threshold": int(directory.functions.threshold().call()),
        "active_registrars": int(directory.functions.activeRegistrars().call()),
        "handed_over": int(bootstrapper, 16) == 0,
        "bootstrapper": None if int(bootstrapper, 16) == 0 else bootstrapper,
        "term_bounds": {"notice_min": int(bounds["noticeMin"]),
                        "notice_max": int(bounds["noticeMax"]),
                        "term_min": int(bounds["termMin"]), "term_max": int(bounds["termMax"])},
    }  # fmt: skip
