"""Organisations: admission (registrars by the consortium admin, other kinds by their
city's registrar), listing with the on-chain record, and signing-key rotation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field
from web3 import Web3

from chain.accounts import CONSORTIUM_ORG_ID, Organisation, Principal, org_key_name
from chain.errors import KeystoreUnavailable, NotAuthorised, ValidationFailed
from chain.keys import KeystoreError
from chain.runtime import LedgerRuntime
from chain.service.common import (
    KIND_CODES,
    KIND_NAMES,
    Created,
    b32,
    hex32,
    name_hash,
    org_id_for,
    require_consortium_admin,
    require_writer,
    struct,
    sub_key,
    submit,
    view,
)
from chain.txpipe import Operation

OrgKindName = Literal[
    "registrar",
    "holder",
    "competent_dept",
    "data_administration",
    "finance_dept",
    "operator",
    "merchant",
    "exchange",
    "bank",
    "auditor",
]


class OrgCreate(BaseModel):
    """Admit an organisation: a registrar (consortium admin) or an org of the caller's city."""

    name: str = Field(min_length=1, max_length=200, examples=["Qingdao Transport Bureau"])
    kind: OrgKindName = Field(examples=["holder"])
    city_code: int | None = Field(
        default=None,
        ge=1,
        lt=2**32,
        description="GB/T 2260 city code; required for registrars, else the registrar's city",
        examples=[370200],
    )


class OrgChain(BaseModel):
    kind: str
    city: int
    active: bool
    name_hash: str


class OrgPublic(BaseModel):
    org_id: str = Field(examples=["0x" + "ab" * 32])
    name: str
    kind: str
    city_code: int
    signer_address: str
    created_at: str | None
    chain: OrgChain | None = None


@dataclass(frozen=True)
class KeyRotation:
    added: Operation
    removed: Operation
    old_signer: str
    new_signer: str


def org_public(runtime: LedgerRuntime, org: Organisation, *, with_chain: bool = True) -> OrgPublic:
    chain: OrgChain | None = None
    if with_chain and org.org_id != CONSORTIUM_ORG_ID:
        record = struct(runtime, "org", b32(org.org_id))
        if int(record["kind"]) != 0:
            chain = OrgChain(
                kind=KIND_NAMES.get(int(record["kind"]), str(record["kind"])),
                city=int(record["city"]),
                active=bool(record["active"]),
                name_hash=str(record["nameHash"]),
            )
    created: datetime | None = org.created_at
    return OrgPublic(
        org_id=org.org_id,
        name=org.name,
        kind=org.kind,
        city_code=org.city_code,
        signer_address=org.signer_address,
        created_at=created.isoformat() if created else None,
        chain=chain,
    )


def create_org(
    runtime: LedgerRuntime,
    principal: Principal,
    body: OrgCreate,
    *,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
) -> Created:
    """Provision the org's signing key and gateway row, then admit it on chain.

    A registrar is admitted by the consortium admin (``admitRegistrar``); any other kind
    by the registrar of the caller's city (``admitOrg``), in that registrar's city.
    """
    action = f"admitting a {body.kind.replace('_', ' ')}"
    require_writer(principal, action)
    if principal.role != "admin":
        raise NotAuthorised(f"{action} needs the role admin; this key is a {principal.role}")
    if body.kind == "registrar":
        require_consortium_admin(principal, action)
        if body.city_code is None:
            raise ValidationFailed(
                "a registrar needs its city code",
                errors=[{"loc": ["body", "city_code"], "msg": "required for a registrar",
                         "type": "missing"}],
            )  # fmt: skip
        city = body.city_code
    else:
        if principal.org_kind != "registrar":
            raise NotAuthorised(
                f"{action} is done by the admin of its city's registrar; this key is an admin "
                f"of a {principal.org_kind.replace('_', ' ')}"
            )
        if body.city_code is not None and body.city_code != principal.city_code:
            raise NotAuthorised(
                f"the registrar of city {principal.city_code} admits organisations of its own "
                f"city only, not of city {body.city_code}",
                required_city=principal.city_code,
            )
        city = principal.city_code
    org_id = org_id_for(body.kind, city, body.name)
    org = runtime.accounts.find_org(org_id) or runtime.provision_org(
        org_id, body.name, body.kind, city
    )
    signer = Web3.to_checksum_address(org.signer_address)
    if body.kind == "registrar":
        op = submit(runtime, principal, "admitRegistrar", [city, name_hash(body.name), signer],
                    idempotency_key=idempotency_key, request_hash=request_hash)  # fmt: skip
    else:
        op = submit(
            runtime, principal, "admitOrg", [KIND_CODES[body.kind], name_hash(body.name), signer],
            idempotency_key=idempotency_key, request_hash=request_hash,
        )  # fmt: skip
    return Created(op, org_id, "org")


def list_orgs(runtime: LedgerRuntime, principal: Principal) -> list[OrgPublic]:
    """Organisations known to this gateway (admins; an org admin sees its city's orgs)."""
    _require_admin(principal, "listing organisations")
    orgs = runtime.accounts.list_orgs()
    if not principal.is_consortium_admin:
        orgs = [o for o in orgs if o.city_code == principal.city_code]
    return [org_public(runtime, o, with_chain=False) for o in orgs]


def get_org(runtime: LedgerRuntime, principal: Principal, org_id: str) -> OrgPublic:
    """One organisation with its on-chain record."""
    org = runtime.accounts.get_org(hex32(org_id))
    if principal.org_id != org.org_id:
        _require_admin(principal, "reading another organisation")
    return org_public(runtime, org)


def _require_admin(principal: Principal, action: str) -> None:
    if principal.role != "admin":
        raise NotAuthorised(f"{action} needs the role admin; this key is a {principal.role}")


def _may_manage(principal: Principal, org: Organisation) -> bool:
    if principal.role != "admin":
        return False
    if principal.org_id == org.org_id:
        return True
    if org.kind == "registrar":
        return principal.is_consortium_admin
    return principal.org_kind == "registrar" and principal.city_code == org.city_code


def rotate_key(
    runtime: LedgerRuntime,
    principal: Principal,
    org_id: str,
    *,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
) -> KeyRotation:
    """New keystore key -> ``addSigningAccount``, then ``removeSigningAccount`` of the old
    one (both signed by the old key, so they are mined in that order); the gateway row
    then points at the new key. Signatures made with the old key inside its window stay
    valid."""
    org = runtime.accounts.get_org(hex32(org_id))
    if not _may_manage(principal, org):
        raise NotAuthorised(
            f"rotating the key of {org.org_id} is done by an admin of that organisation or of "
            "its manager (the consortium for registrars, the city's registrar otherwise)"
        )
    if org.org_id == CONSORTIUM_ORG_ID:
        raise ValidationFailed("the consortium admin key is not rotated through the registry")
    old = Web3.to_checksum_address(org.signer_address)
    base = org_key_name(org.org_id)
    generation = len([n for n in runtime.keystore.names() if n.startswith(base)])
    new_name = f"{base}-k{generation + 1}"
    try:
        account = runtime.keystore.get_or_create(new_name)
    except KeystoreError as exc:
        raise KeystoreUnavailable(f"cannot create a new signing key for {org.org_id}") from exc
    runtime.handle.fund(account.address)
    caller_org = org.org_id
    added = runtime.submit(
        caller_org, "AssetRegistry", "addSigningAccount", [b32(org.org_id), account.address, 0],
        caller=principal.user_id, idempotency_key=sub_key(idempotency_key, "add"),
        request_hash=request_hash,
    )  # fmt: skip
    removed = runtime.submit(
        caller_org, "AssetRegistry", "removeSigningAccount", [old],
        caller=principal.user_id, idempotency_key=sub_key(idempotency_key, "remove"),
        request_hash=request_hash,
    )  # fmt: skip
    new_signer = str(added.args[1]) if added.args else account.address
    if new_signer.lower() != account.address.lower():  # an idempotent replay: done before
        return KeyRotation(added, removed, str(removed.args[0]), new_signer)
    runtime.accounts.set_signer(org.org_id, new_name, account.address)
    return KeyRotation(added, removed, old, account.address)


def signing_account(runtime: LedgerRuntime, address: str) -> dict[str, Any]:
    record = struct(runtime, "signingAccount", Web3.to_checksum_address(address))
    return record


def registrar_of(runtime: LedgerRuntime, city: int) -> str:
    return hex32(bytes(view(runtime, "registrarOf", city)))
