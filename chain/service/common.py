"""Shared pieces of the registry use cases: kinds, ids, authorisation and the write call.

Every use case authorises in Python first (clear :class:`NotAuthorised` naming the kind,
city or role it needs) and then lets the contract judge (a revert is a
:class:`ContractRevert` whose code is the contract's error name).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from eth_abi.abi import encode
from pydantic import AfterValidator, Field
from web3 import Web3

from chain.accounts import CONSORTIUM, Principal
from chain.commitments import check_document
from chain.errors import NotAuthorised, NotFound, ValidationFailed, register_revert_status
from chain.runtime import LedgerRuntime
from chain.txpipe import Operation

REGISTRY = "AssetRegistry"
ZERO32 = "0x" + "00" * 32
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

#: Gateway organisation kinds -> ILedgerDirectory.OrgKind.
KIND_CODES: dict[str, int] = {
    "registrar": 1,
    "holder": 2,
    "competent_dept": 3,
    "data_administration": 4,
    "finance_dept": 5,
    "operator": 6,
    "merchant": 7,
    "exchange": 8,
    "bank": 9,
    "auditor": 10,
}
KIND_NAMES: dict[int, str] = {v: k for k, v in KIND_CODES.items()}
ASSET_STATUSES = ("None", "Registered", "InNotice", "Certified", "Disposed", "Deregistered")
COMPLIANCE_RESULTS = ("None", "Passed", "Failed")
REGISTRATION_KINDS = ("Initial", "Change", "Correction", "Deregistration")
CERTIFICATE_STATUSES = ("Unknown", "Active", "Revoked", "Expired", "Superseded")
OBJECTION_STATUSES = ("None", "Open", "Upheld", "Dismissed")
APPLICATION_STATUSES = ("None", "Applied", "Approved", "Rejected")
AGREEMENT_STATUSES = ("None", "Proposed", "Active", "Withdrawn")
FINANCING_KINDS = ("Pledge", "CreditLine", "EquityContribution")
FINANCING_STATUSES = ("None", "Requested", "Active", "Released", "Recorded")


#: HTTP status of registry errors whose names do not say it (others follow chain.errors)
REVERT_STATUSES: dict[str, int] = {
    **dict.fromkeys(
        ("NotOrgOfKind", "KindNotAllowed", "NotOrgManager", "NotHolder", "NotCounterparty",
         "NotConsortiumAdmin", "SelfRecognition", "AccountNotLive", "OrgInactive"),
        403,
    ),
    **dict.fromkeys(
        ("NoticeWindowOpen", "NoticeWindowClosed", "ObjectionsOpen", "ObjectionNotOpen",
         "OwnershipDisputed", "NoDispute", "ReviewsIncomplete", "BatchComplete", "AccountInUse",
         "NotRecognised", "NotCurrentCertificate", "CertificateNotActive", "AssetPledged",
         "RegistrarExists", "OrgExists"),
        409,
    ),
}
for _name, _status in REVERT_STATUSES.items():
    register_revert_status(_name, _status)


@dataclass(frozen=True)
class Created:
    """A journaled write that creates a record, with the record's deterministic id."""

    operation: Operation
    resource_id: str
    kind: str


# -- ids -------------------------------------------------------------------------------


def hex32(value: bytes | str) -> str:
    if isinstance(value, bytes | bytearray):
        if len(value) != 32:
            raise ValueError("expected 32 bytes")
        return "0x" + bytes(value).hex()
    text = value.lower()
    if not text.startswith("0x"):
        text = "0x" + text
    if not _BYTES32.match(text):
        raise ValidationFailed(
            f"{value!r} is not a 0x-prefixed 32-byte hex string",
            errors=[{"loc": ["id"], "msg": "expected 0x + 64 hex digits", "type": "value_error"}],
        )
    return text


def b32(value: str | bytes) -> bytes:
    return bytes.fromhex(hex32(value)[2:])


def keccak_abi(types: Sequence[str], values: Sequence[Any]) -> bytes:
    """keccak256(abi.encode(...)), as the contract derives its ids."""
    return bytes(Web3.keccak(encode(list(types), list(values))))


def name_hash(name: str) -> bytes:
    return bytes(Web3.keccak(text=name))


def org_id_for(kind: str, city: int, name: str) -> str:
    """keccak256(abi.encode(uint8 kind, uint32 city, bytes32 keccak256(name)))."""
    values = [KIND_CODES[kind], city, name_hash(name)]
    return hex32(keccak_abi(["uint8", "uint32", "bytes32"], values))


def asset_id_for(holder_org_id: str, domain_code: int, catalogue_hash: str | bytes) -> str:
    return hex32(
        keccak_abi(
            ["bytes32", "uint32", "bytes32"], [b32(holder_org_id), domain_code, b32(catalogue_hash)]
        )
    )


def batch_id_for(holder_org_id: str, root: bytes) -> str:
    return hex32(keccak_abi(["bytes32", "bytes32"], [b32(holder_org_id), root]))


def objection_id_for(asset_id: str, objector_org_id: str, reason_hash: str) -> str:
    return hex32(
        keccak_abi(["bytes32"] * 3, [b32(asset_id), b32(objector_org_id), b32(reason_hash)])
    )


def certificate_id_for(registrar_org_id: str, asset_id: str, nonce: int) -> str:
    return hex32(
        keccak_abi(["bytes32", "bytes32", "uint256"], [b32(registrar_org_id), b32(asset_id), nonce])
    )


def application_id_for(holder: str, asset_id: str, scope_hash: str, nonce: int) -> str:
    return hex32(
        keccak_abi(
            ["bytes32", "bytes32", "bytes32", "uint256"],
            [b32(holder), b32(asset_id), b32(scope_hash), nonce],
        )
    )


def financing_id_for(asset_id: str, counterparty: str, kind: int, nonce: int) -> str:
    return hex32(
        keccak_abi(
            ["bytes32", "bytes32", "uint8", "uint256"],
            [b32(asset_id), b32(counterparty), kind, nonce],
        )
    )


def agreement_id_for(a: str, b: str) -> str:
    low, high = sorted([b32(a), b32(b)])
    return hex32(keccak_abi(["bytes32", "bytes32"], [low, high]))


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
    idempotency_key: str | None = None,
    request_hash: str | None = None,
    org_id: str | None = None,
) -> Operation:
    """Write ``AssetRegistry.function(*args)`` signed by the caller's organisation."""
    return runtime.submit(
        org_id or principal.org_id,
        REGISTRY,
        function,
        args,
        caller=principal.user_id,
        idempotency_key=idempotency_key,
        request_hash=request_hash,
    )


def view(runtime: LedgerRuntime, function: str, *args: Any) -> Any:
    return runtime.contract(REGISTRY).functions[function](*args).call()


def struct(runtime: LedgerRuntime, function: str, *args: Any) -> dict[str, Any]:
    """A view returning one struct, members named after the ABI components."""
    contract = runtime.contract(REGISTRY)
    abi = next(
        item
        for item in contract.abi
        if item.get("type") == "function" and item.get("name") == function
    )
    components = abi["outputs"][0]["components"]  # type: ignore[typeddict-item]
    value = contract.functions[function](*args).call()
    return {c["name"]: _plain(v) for c, v in zip(components, value, strict=True)}


def _plain(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    return value


def chain_asset(runtime: LedgerRuntime, asset_id: str) -> dict[str, Any]:
    """The on-chain asset record; :class:`NotFound` when it is not registered."""
    record = struct(runtime, "asset", b32(asset_id))
    if int(record["registeredAt"]) == 0:
        raise NotFound(f"no asset {hex32(asset_id)} on chain")
    return record


def chain_certificate(runtime: LedgerRuntime, certificate_id: str) -> dict[str, Any]:
    record = struct(runtime, "certificate", b32(certificate_id))
    if int(record["issuedAt"]) == 0:
        raise NotFound(f"no certificate {hex32(certificate_id)} on chain")
    return record


def sub_key(key: str | None, part: str) -> str | None:
    """A derived idempotency key for the n-th write of one request."""
    return None if key is None else f"{key}:{part}"
