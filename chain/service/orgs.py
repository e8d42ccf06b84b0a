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
    OperationFailed,
    SigningKeyElsewhere,
    ValidationFailed,
)
from chain.inputs import RequestModel
from chain.keys import KeystoreError
from chain.runtime import LedgerRuntime
from chain.service.common import (
    DIRECTORY,
    KIND_CODES,
    KIND_NAMES,
    Created,
    b32,
    chain_org,
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
from chain.txpipe import MINED, Operation


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
    proposed: Operation | None = None


def org_public(runtime: LedgerRuntime, org: Organisation, *, with_chain: bool = True) -> OrgPublic:
    chain: OrgChain | None = None
    if with_chain and org.org_id != CONSORTIUM_ORG_ID:
        record = chain_org(runtime, org.org_id)
        if int(record["kind"]) != 0:
            # the directory keeps no name hash (it is in OrgAdmitted); the id commits to it
            chain = OrgChain(
                kind=KIND_NAMES.get(int(record["kind"]), str(record["kind"])),
                city=int(record["city"]),
                active=bool(record["active"]),
                name_hash=hex32(name_hash(org.name)),
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

    A registrar is admitted by the consortium admin, whose key deployed the ledger
    (``OrgDirectory.bootstrapRegistrar``, until the registrars take governance over; after
    the handover the contract refuses with ``NotBootstrapper`` and registrars are admitted
    by k of n registrars through ``POST /v1/governance/proposals``); any other kind by the
    registrar of the caller's city (``admitOrg``), in that registrar's city.
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
        op = submit(runtime, principal, "bootstrapRegistrar", [city, name_hash(body.name), signer],
                    contract=DIRECTORY, idempotency_key=idempotency_key,
                    request_hash=request_hash)  # fmt: skip
    else:
        op = submit(
            runtime, principal, "admitOrg", [KIND_CODES[body.kind], name_hash(body.name), signer],
            contract=DIRECTORY, idempotency_key=idempotency_key, request_hash=request_hash,
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
    record = chain_org(runtime, org_id)
    kind_code = int(record["kind"])
    if kind_code == 0:
        raise NotFound(f"the chain has no organisation {org_id}; it is admitted first")
    kind = KIND_NAMES.get(kind_code)
    city = int(record["city"])
    if kind is None:
        raise ValidationFailed(f"organisation {org_id} has an unknown kind {kind_code}")
    if org_id_for(kind_code, city, body.name) != org_id:
        raise ValidationFailed(
            f"the name {body.name!r} does not match the name hash of organisation {org_id} "
            "on chain; give the name it was admitted with",
            errors=[{"loc": ["body", "name"], "msg": "does not hash to the on-chain name hash",
                     "type": "value_error"}],
        )  # fmt: skip
    if not bool(record["active"]):
        raise Conflict(f"organisation {org_id} is deactivated on chain", org_id=org_id)
    address = Web3.to_checksum_address(runtime.keystore.address(key_id))
    account_org, _, _, _ = view(runtime, "accountOrg", address, contract=DIRECTORY)
    signs_for = hex32(bytes(account_org))
    if signs_for != org_id:
        now = "no organisation" if int(signs_for, 16) == 0 else f"organisation {signs_for}"
        raise Conflict(
            f"the chain does not show key {key_id} ({address}) as a live signing account of "
            f"organisation {org_id}: it signs for {now}. Have the org's manager admit it "
            "with this address (signer_address) or have the org propose it as a signing key "
            "and accept it first",
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
    """An organisation's keys change only with its own consent: its own admin asks."""
    return principal.role == "admin" and principal.org_id == org.org_id


def rotate_key(
    runtime: LedgerRuntime,
    principal: Principal,
    org_id: str,
    *,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
) -> KeyRotation:
    """A new key joins with the organisation's own consent, then the old one ends.

    New keystore key -> ``proposeSigningKey(new)`` signed by the old key (the org
    consents) -> once mined, ``acceptSigningKey(org)`` signed by the new key ->
    ``removeSigningKey(old)`` signed by the new key (after the acceptance, in nonce
    order); the gateway row then points at the new key. Signatures made with the old key
    inside its window stay valid (mark it compromised to end that)."""
    org = runtime.accounts.get_org(hex32(org_id))
    if not _may_manage(principal, org):
        raise NotAuthorised(
            f"rotating the key of {org.org_id} is done by an admin of that organisation itself "
            "(an organisation consents to its own keys; a registrar never changes another "
            "organisation's keys)"
        )
    if org.org_id == CONSORTIUM_ORG_ID:
        raise ValidationFailed("the consortium admin key is not rotated through the directory")
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
    proposed = runtime.submit(
        org.org_id, DIRECTORY, "proposeSigningKey", [account.address, 0],
        caller=principal.user_id, idempotency_key=sub_key(idempotency_key, "propose"),
        request_hash=request_hash,
    )  # fmt: skip
    new_signer = Web3.to_checksum_address(str(proposed.args[0]))
    if new_signer != account.address:  # an idempotent replay: this key was proposed before
        new_name = _key_name_of(runtime, new_signer) or new_name
    mined = runtime.txpipe.wait(proposed.id, runtime.settings.receipt_timeout_seconds)
    if mined.state != MINED:
        raise OperationFailed(
            f"the proposal of the new key {new_signer} for {org.org_id} is {mined.state} "
            f"({mined.error_code or 'no receipt yet'}); the key was not rotated",
            operation_id=mined.id,
        )
    new_account = runtime.keystore.load(new_name)
    accepted = runtime.submit(
        org.org_id, DIRECTORY, "acceptSigningKey", [b32(org.org_id)],
        caller=principal.user_id, idempotency_key=sub_key(idempotency_key, "accept"),
        request_hash=request_hash, signer=new_account,
    )  # fmt: skip
    removed = runtime.submit(
        org.org_id, DIRECTORY, "removeSigningKey", [old],
        caller=principal.user_id, idempotency_key=sub_key(idempotency_key, "remove"),
        request_hash=request_hash, signer=new_account,
    )  # fmt: skip
    if org.signer_address.lower() != new_signer.lower():
        runtime.accounts.set_signer(org.org_id, new_name, new_signer)
    return KeyRotation(accepted, removed, str(removed.args[0]), new_signer, proposed)


def _key_name_of(runtime: LedgerRuntime, address: str) -> str | None:
    """The name of the keystore key with this address (None when not held here)."""
    for name in runtime.keystore.names():
        if runtime.keystore.address(name).lower() == address.lower():
            return name
    return None


class CompromiseIn(RequestModel):
    """Mark one of the organisation's signing keys compromised."""

    since: int | None = Field(
        default=None, ge=1, lt=2**64,
        description="unix time from which the key counts as compromised (its signatures "
        "for certificates issued from then on fail); omitted: now. A time in the past is "
        "dated back by the key itself (this gateway signs with it), inside its window.",
        examples=[1_767_225_600],
    )  # fmt: skip


def mark_key_compromised(
    runtime: LedgerRuntime,
    principal: Principal,
    account: str,
    body: CompromiseIn,
    *,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
) -> Operation:
    """The organisation marks one of its own keys compromised (``markKeyCompromised``).

    Signed by the compromised key itself when this gateway holds it (it may date the
    compromise back inside its window), else by the organisation's current key (as of
    now). Rotate first when the compromised key is the current one: it cannot act after.
    """
    require_writer(principal, "marking a signing key compromised")
    if principal.role != "admin":
        raise NotAuthorised(
            f"marking a signing key compromised needs the role admin; this key is a "
            f"{principal.role}"
        )
    address = Web3.to_checksum_address(account)
    key = signing_account(runtime, address)
    if int(str(key["orgId"]), 16) == 0:
        raise NotFound(f"{address} is no signing key of any organisation on chain")
    if str(key["orgId"]) != principal.org_id:
        raise NotAuthorised(
            f"{address} is a signing key of {key['orgId']}; only that organisation marks it "
            "compromised (or k of n registrars, by a governance proposal)"
        )
    name = _key_name_of(runtime, address)
    latest = int(runtime.w3.eth.get_block("latest")["timestamp"])
    if name is not None:
        since = body.since if body.since is not None else latest
        return runtime.submit(
            principal.org_id, DIRECTORY, "markKeyCompromised", [address, since],
            caller=principal.user_id, idempotency_key=idempotency_key,
            request_hash=request_hash, signer=runtime.keystore.load(name),
        )  # fmt: skip
    if body.since is not None:
        raise ValidationFailed(
            "a compromise dated back is signed by the key itself, which this gateway does "
            "not hold; omit since (as of now) or ask the registrars' governance",
            errors=[{"loc": ["body", "since"], "msg": "key not held here", "type": "value_error"}],
        )  # fmt: skip
    return submit(runtime, principal, "markKeyCompromised", [address, latest + 1],
                  contract=DIRECTORY, idempotency_key=idempotency_key,
                  request_hash=request_hash)  # fmt: skip


def signing_account(runtime: LedgerRuntime, address: str) -> dict[str, Any]:
    """The directory's record of a signing key (orgId, validFrom, validUntil,
    compromisedAt; orgId zero when the account never signed for an org)."""
    return struct(runtime, "signingKey", Web3.to_checksum_address(address), contract=DIRECTORY)


def registrar_of(runtime: LedgerRuntime, city: int) -> str:
    return hex32(bytes(view(runtime, "registrarOf", city, contract=DIRECTORY)))
