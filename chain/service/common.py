"""Shared pieces of the registry use cases: kinds, ids, authorisation and the write call.

Every use case authorises in Python first (clear :class:`NotAuthorised` naming the kind,
city or role it needs) and then lets the contract judge (a revert is a
:class:`ContractRevert` whose code is the contract's error name).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

from eth_abi.abi import decode
from pydantic import AfterValidator, Field

from chain import errors
from chain.accounts import CONSORTIUM, Principal
from chain.bindings import enums, ids, structs
from chain.bindings.contracts import DIRECTORY as DIRECTORY
from chain.bindings.contracts import REGISTRY as REGISTRY
from chain.bindings.contracts import SPLIT as SPLIT
from chain.bindings.contracts import USE_AND_FINANCE as USE_AND_FINANCE
from chain.bindings.contracts import VERIFIER as VERIFIER
from chain.commitments import check_document
from chain.errors import (
    ContractRevert,
    NotAuthorised,
    NotFound,
    ValidationFailed,
    revert_from_exception,
)
from chain.runtime import LedgerRuntime
from chain.txpipe import Operation
from chain.txpipe.guards import JournalGuard
from chain.txpipe.journal import JournalRows
from chain.txpipe.rpc import RevertError

ZERO32 = ids.ZERO32
UINT128 = 2**128
UINT32 = 2**32
BYTES32_PATTERN = r"^0x[0-9a-fA-F]{64}$"
_BYTES32 = re.compile(BYTES32_PATTERN)

#: A 0x-prefixed 32-byte hex id or hash (validated at the edge).
Bytes32 = Annotated[
    str,
    Field(
        pattern=BYTES32_PATTERN,
        examples=["0x5f0a6c1e0f3f9a3b7d1c2e4f6a8b0c1d2e3f405162738495a6b7c8d9eaf0b1c2"],
    ),
]
#: An amount in fen: 0 <= value < 2**128.
AmountFen = Annotated[int, Field(ge=0, lt=UINT128, examples=[200_000_000])]
Uint32 = Annotated[int, Field(ge=0, lt=UINT32)]
#: A JSON object the gateway commits to (salted, canonical JSON): finite numbers, valid
#: Unicode, nested at most MAX_DOCUMENT_DEPTH deep.
JsonDocument = Annotated[dict[str, Any], AfterValidator(check_document)]

#: Statuses and kinds by enum value (from the one bindings package).
KIND_CODES = enums.KIND_CODES
KIND_NAMES = enums.KIND_NAMES
ASSET_STATUSES = enums.ASSET_STATUSES
COMPLIANCE_RESULTS = enums.COMPLIANCE_RESULTS
REGISTRATION_KINDS = enums.REGISTRATION_KINDS
CERTIFICATE_STATUSES = enums.CERTIFICATE_STATUSES
OBJECTION_STATUSES = enums.OBJECTION_STATUSES
APPLICATION_STATUSES = enums.APPLICATION_STATUSES
AGREEMENT_STATUSES = enums.AGREEMENT_STATUSES
FINANCING_KINDS = enums.FINANCING_KINDS
FINANCING_STATUSES = enums.FINANCING_STATUSES


@dataclass(frozen=True)
class Created:
    """A journaled write that creates a record, with the record's deterministic id."""

    operation: Operation
    resource_id: str
    kind: str


# -- ids -------------------------------------------------------------------------------


def hex32(value: bytes | str) -> str:
    """A 32-byte id as 0x hex (:class:`ValidationFailed` when it is not one)."""
    try:
        return ids.hex32(value)
    except ids.BadId as exc:
        raise ValidationFailed(
            str(exc),
            errors=[{"loc": ["id"], "msg": "expected 0x + 64 hex digits", "type": "value_error"}],
        ) from exc


def b32(value: str | bytes) -> bytes:
    return bytes.fromhex(hex32(value)[2:])


keccak_abi = ids.keccak_abi
name_hash = ids.name_hash
org_id_for = ids.org_id_for
asset_id_for = ids.asset_id_for
batch_id_for = ids.batch_id_for
objection_id_for = ids.objection_id_for
certificate_id_for = ids.certificate_id_for
application_id_for = ids.application_id_for
financing_id_for = ids.financing_id_for
agreement_id_for = ids.agreement_id_for
proposal_id_for = ids.proposal_id_for


# -- authorisation ---------------------------------------------------------------------


def require_writer(principal: Principal, action: str) -> None:
    if not principal.can_write():
        raise NotAuthorised(
            f"{action} needs the role writer or admin; this key has the role {principal.role}"
        )


def require_kind(principal: Principal, action: str, *kinds: str, city: int | None = None) -> None:
    """The caller writes for an organisation of one of ``kinds`` (in ``city`` if given)."""
    require_writer(principal, action)
    require_org_kind(principal, action, *kinds, city=city)


def require_org_kind(
    principal: Principal, action: str, *kinds: str, city: int | None = None
) -> None:
    """The caller belongs to an organisation of one of ``kinds`` (in ``city`` if given),
    whatever its role: the part of :func:`require_kind` that a read of that organisation's
    work (a console workbench) shares with its writes."""
    if principal.org_kind not in kinds:
        wanted = " or ".join(k.replace("_", " ") for k in kinds)
        raise NotAuthorised(
            f"{action} is done by a {wanted}; organisation {principal.org_id} is a "
            f"{principal.org_kind.replace('_', ' ')}",
            required_kind=list(kinds),
        )
    if city is not None and principal.city_code != city:
        raise NotAuthorised(
            f"{action} is done by an organisation of city {city}; organisation "
            f"{principal.org_id} is of city {principal.city_code}",
            required_city=city,
        )


def require_consortium_admin(principal: Principal, action: str) -> None:
    if not principal.is_consortium_admin:
        raise NotAuthorised(
            f"{action} is done by the consortium admin; this key is a {principal.role} of a "
            f"{principal.org_kind.replace('_', ' ')}"
        )


def is_consortium(principal: Principal) -> bool:
    return principal.org_kind == CONSORTIUM


# -- chain access ----------------------------------------------------------------------


def submit(
    runtime: LedgerRuntime,
    principal: Principal,
    function: str,
    args: list[Any],
    *,
    contract: str = REGISTRY,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
    org_id: str | None = None,
    journal_with: JournalRows | None = None,
    guard: JournalGuard | None = None,
) -> Operation:
    """Write ``contract.function(*args)`` (the registry unless named) signed by the
    caller's organisation; ``journal_with(op)`` gives rows committed with the journaled
    operation (not for an idempotent replay), ``guard`` a condition checked when it is
    journaled (:mod:`chain.txpipe.guards`)."""
    return runtime.submit(
        org_id or principal.org_id,
        contract,
        function,
        args,
        caller=principal.user_id,
        idempotency_key=idempotency_key,
        request_hash=request_hash,
        journal_with=journal_with,
        guard=guard,
    )


def simulate(
    runtime: LedgerRuntime, org_id: str, contract: str, function: str, args: list[Any]
) -> Any:
    """What ``contract.function(*args)`` returns when the org's signer calls it now (the id
    a write is about to create, for ids made from a counter no view exposes)."""
    signer = runtime.signer_for_org(org_id)
    handle = runtime.contract(contract)
    data = handle.encode_abi(function, args=args)
    outputs = structs.function_abi(handle, function)["outputs"]
    abis = [runtime.contract(n).abi for n in runtime.deployment.contracts]
    try:
        raw = runtime.txpipe.rpc.call({"from": signer.address, "to": handle.address, "data": data})
    except RevertError as exc:  # a refusal: the contract's error, as submit raises it
        raise revert_from_exception(exc, abis) from exc
    except Exception as exc:  # the in-process chain raises its own TransactionFailed
        if "revert" in str(exc).lower():
            raise revert_from_exception(exc, abis) from exc
        raise
    values = decode([errors.abi_type(o) for o in outputs], raw)
    return values[0] if len(values) == 1 else values


def view(runtime: LedgerRuntime, function: str, *args: Any, contract: str = REGISTRY) -> Any:
    return runtime.contract(contract).functions[function](*args).call()


def read(runtime: LedgerRuntime, function: str, *args: Any, contract: str = REGISTRY) -> Any:
    """A view's outputs by name (structs as dicts, bytes as 0x hex)."""
    return structs.read(runtime.contract(contract), function, *args)


def struct(
    runtime: LedgerRuntime, function: str, *args: Any, contract: str = REGISTRY
) -> dict[str, Any]:
    """A view returning one struct, members named after the ABI components."""
    return structs.read_struct(runtime.contract(contract), function, *args)


def chain_asset(runtime: LedgerRuntime, asset_id: str) -> dict[str, Any]:
    """The asset as the registry holds it: ``holderOrgId`` and ``city`` (``holderOf``)
    and its state (``assetState``: status, nonce, current certificate...).
    :class:`NotFound` when it is not registered."""
    aid = b32(asset_id)
    holder = read(runtime, "holderOf", aid)
    if int(str(holder["holderOrgId"]), 16) == 0:
        raise NotFound(f"no asset {hex32(asset_id)} on chain")
    state = struct(runtime, "assetState", aid)
    return {"holderOrgId": str(holder["holderOrgId"]), "city": int(holder["city"]), **state}


def chain_certificate(runtime: LedgerRuntime, certificate_id: str) -> dict[str, Any]:
    record = struct(runtime, "certificate", b32(certificate_id))
    if int(record["issuedAt"]) == 0:
        raise NotFound(f"no certificate {hex32(certificate_id)} on chain")
    return record


def chain_org(runtime: LedgerRuntime, org_id: str) -> dict[str, Any]:
    """The directory's record of an organisation (kind 0 when unknown)."""
    return struct(runtime, "org", b32(org_id), contract=DIRECTORY)


def usability(runtime: LedgerRuntime, asset_id: str) -> enums.Usability:
    part, _ = view(runtime, "usability", b32(asset_id))
    return enums.Usability(int(part))


def require_usable(runtime: LedgerRuntime, asset_id: str, action: str) -> None:
    """Refuse early, as the contract would, when the asset is not usable: the problem's
    code is ``AssetNotUsable`` and its detail names the failing part in words."""
    part = usability(runtime, asset_id)
    if part != enums.Usability.Usable:
        raise asset_not_usable(asset_id, part, action)


def asset_not_usable(asset_id: str, part: int, action: str | None = None) -> ContractRevert:
    """``AssetNotUsable(assetId, part)`` with the part in words (and by name)."""
    words = enums.usability_words(part)
    doing = f"{action}: " if action else ""
    return ContractRevert(
        "AssetNotUsable",
        {"assetId": b32(asset_id), "part": int(part)},
        detail=f"{doing}asset {hex32(asset_id)} is not usable: {words} "
        f"({enums.Usability.name_of(part)})",
    )


def created_id(op: Operation, arg: str, predicted: str) -> str:
    """The id a write created: from its event once mined (an idempotent replay), else the
    one predicted before it was sent."""
    for event in op.events or []:
        args = event.get("args", {}) if isinstance(event, dict) else {}
        if arg in args:
            return hex32(str(args[arg]))
    return predicted


def sub_key(key: str | None, part: str) -> str | None:
    """A derived idempotency key for the n-th write of one request."""
    return None if key is None else f"{key}:{part}"
