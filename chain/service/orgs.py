"""Organisations: admission (registrars by the consortium admin, other kinds by their
city's registrar), listing with the on-chain record, and signing-key rotation.

Across gateways: an organisation's own gateway creates a key (:func:`create_key`), the
admitting gateway admits the organisation with that key's address
(``OrgCreate.signer_address``; the row there is external, it cannot sign for it), and the
own gateway then imports the organisation, binding it to its key once the chain shows
the key's account signing for it (:func:`import_org`)."""

from __future__ import annotations

import contextlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field
from web3 import Web3

from chain.accounts import CONSORTIUM_ORG_ID, Organisation, OrgKindName, Principal, org_key_name
from chain.errors import (
    Conflict,
    KeystoreUnavailable,
    NotAuthorised,
    NotFound,
    SigningKeyElsewhere,
    ValidationFailed,
)
from chain.inputs import RequestModel
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


class OrgCreate(RequestModel):
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
    signer_address: str | None = Field(
        default=None,
        pattern=r"^0x[0-9a-fA-F]{40}$",
        description="the signing account, when its key is held by another gateway (the "
        "org's own city's, from its POST /v1/keys); this gateway then records the org as "
        "external and does not sign for it. Omitted: this gateway creates the key.",
        examples=["0x5B38Da6a701c568545dCfcB03FcB875f56beddC4"],
    )


class OrgImport(RequestModel):
    """Bind an organisation admitted elsewhere to a key this gateway created for it."""

    org_id: str = Field(pattern=r"^0x[0-9a-fA-F]{64}$", examples=["0x" + "ab" * 32])
    name: str = Field(min_length=1, max_length=200, examples=["Xiamen Data Asset Registry"])
    key_id: str = Field(
        pattern=r"^key-[0-9a-f]{16}$",
        description="the key id POST /v1/keys answered",
        examples=["key-3f9a0c1d2e4b5a67"],
    )


class KeyPublic(BaseModel):
    """A signing key held by this gateway (never the key itself)."""

    key_id: str = Field(examples=["key-3f9a0c1d2e4b5a67"])
    address: str = Field(examples=["0x5B38Da6a701c568545dCfcB03FcB875f56beddC4"])
    org_id: str | None = Field(default=None, description="the org bound to it, once imported")


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
    signing_key: Literal["held", "external"] = Field(
        default="held",
        description="held: this gateway signs for the org; external: another gateway does",
    )
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
        signing_key="external" if org.is_external else "held",
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
    runtime.signer_for_org(principal.org_id)  # this gateway signs for the caller's org
    existing = runtime.accounts.find_org(org_id)
    if body.signer_address is not None:
        signer = Web3.to_checksum_address(body.signer_address)
        if existing is not None and (
            not existing.is_external or existing.signer_address.lower() != signer.lower()
        ):
            held = "its own key" if not existing.is_external else existing.signer_address
            raise Conflict(
                f"organisation {org_id} is already known to this gateway with signer "
                f"{existing.signer_address} ({held}), not {signer}",
                org_id=org_id,
            )
    else:
        if existing is not None and existing.is_external:
            raise SigningKeyElsewhere(
                f"organisation {org_id} was admitted with signer {existing.signer_address}, "
                "whose key another gateway holds; admit it again with that signer_address",
                org_id=org_id,
            )
        org = existing or runtime.provision_org(org_id, body.name, body.kind, city)
        signer = Web3.to_checksum_address(org.signer_address)
    if body.kind == "registrar":
        op = submit(runtime, principal, "admitRegistrar", [city, name_hash(body.name), signer],
                    idempotency_key=idempotency_key, request_hash=request_hash)  # fmt: skip
    else:
        op = submit(
            runtime, principal, "admitOrg", [KIND_CODES[body.kind], name_hash(body.name), signer],
            idempotency_key=idempotency_key, request_hash=request_hash,
        )  # fmt: skip
    if body.signer_address is not None and existing is None:
        # recorded once the admission is journaled (a refused one leaves no row); a
        # concurrent identical request may have recorded it already
        with contextlib.suppress(Conflict):
            runtime.accounts.create_org(org_id, body.name, body.kind, city, None, signer)
    return Created(op, org_id, "org")


def _require_gateway_admin(principal: Principal, action: str) -> None:
    if not principal.is_consortium_admin:
        raise NotAuthorised(
            f"{action} is done by an admin of this gateway (its root organisation); this "
            f"key is a {principal.role} of a {principal.org_kind.replace('_', ' ')}"
        )


def create_key(runtime: LedgerRuntime, principal: Principal) -> KeyPublic:
    """A new encrypted keystore key held by this gateway, bound to no org yet: its
    address is what another gateway admits the org with (``signer_address``)."""
    _require_gateway_admin(principal, "creating a signing key")
    key_id = f"key-{secrets.token_hex(8)}"
    try:
        account = runtime.keystore.create(key_id)
    except KeystoreError as exc:
        raise KeystoreUnavailable("cannot create a new signing key") from exc
    runtime.handle.fund(account.address)
    return KeyPublic(key_id=key_id, address=account.address)


def list_keys(runtime: LedgerRuntime, principal: Principal) -> list[KeyPublic]:
    """Keys created by :func:`create_key`, with the org each is bound to."""
    _require_gateway_admin(principal, "listing signing keys")
    keys = []
    for name in runtime.keystore.names():
        if not name.startswith("key-"):
            continue
        bound = runtime.accounts.find_org_by_key(name)
        address = Web3.to_checksum_address(runtime.keystore.address(name))
        keys.append(KeyPublic(key_id=name, address=address, org_id=bound.org_id if bound else None))
    return keys


def import_org(runtime: LedgerRuntime, principal: Principal, body: OrgImport) -> OrgPublic:
    """Bind an org admitted on chain (by another gateway) to a key this gateway holds.

    The chain must show the org, active, with the key's account as a live signing account
    of it (``accountOrg``); the name must hash to the org's name hash. Users of this
    gateway can then act for the org.
    """
    _require_gateway_admin(principal, "importing an organisation")
    org_id = hex32(body.org_id)
    key_id = body.key_id
    if not runtime.keystore.exists(key_id):
        raise NotFound(f"this gateway holds no key {key_id}; create one with POST /v1/keys")
    bound = runtime.accounts.find_org_by_key(key_id)
    if bound is not None:
        raise Conflict(f"key {key_id} is already bound to organisation {bound.org_id}")
    existing = runtime.accounts.find_org(org_id)
    if existing is not None and not existing.is_external:
        raise Conflict(f"organisation {org_id} is already signed for by this gateway")
    record = struct(runtime, "org", b32(org_id))
    kind_code = int(record["kind"])
    if kind_code == 0:
        raise NotFound(f"the chain has no organisation {org_id}; it is admitted first")
    kind = KIND_NAMES.get(kind_code)
    city = int(record["city"])
    if kind is None:
        raise ValidationFailed(f"organisation {org_id} has an unknown kind {kind_code}")
    if hex32(name_hash(body.name)) != hex32(record["nameHash"]):
        raise ValidationFailed(
            f"the name {body.name!r} does not match the name hash of organisation {org_id} "
            "on chain; give the name it was admitted with",
            errors=[{"loc": ["body", "name"], "msg": "does not hash to the on-chain name hash",
                     "type": "value_error"}],
        )  # fmt: skip
    if not bool(record["active"]):
        raise Conflict(f"organisation {org_id} is deactivated on chain", org_id=org_id)
    address = Web3.to_checksum_address(runtime.keystore.address(key_id))
    account_org, _, _, _ = view(runtime, "accountOrg", address)
    signs_for = hex32(bytes(account_org))
    if signs_for != org_id:
        now = "no organisation" if int(signs_for, 16) == 0 else f"organisation {signs_for}"
        raise Conflict(
            f"the chain does not show key {key_id} ({address}) as a live signing account of "
            f"organisation {org_id}: it signs for {now}. Have the org's manager admit it "
            "with this address (signer_address) or add it as a signing account first",
            org_id=org_id,
            signer_address=address,
        )
    if existing is not None:
        runtime.accounts.set_signer(org_id, key_id, address)
    else:
        runtime.accounts.create_org(org_id, body.name, kind, city, key_id, address)
    return org_public(runtime, runtime.accounts.get_org(org_id))


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
    if org.is_external:
        raise SigningKeyElsewhere(
            f"this gateway does not hold the signing key of organisation {org.org_id}; its "
            "own gateway rotates it",
            org_id=org.org_id,
        )
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
