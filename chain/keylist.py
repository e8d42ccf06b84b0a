"""The registrars' signing keys, exported from the chain and signed, for verifying a
certificate with no network at all.

``ledger keys export FILE`` reads, at one block, every registrar of the OrgDirectory the
registry uses (its city, whether governance has it active) and every signing key it ever
had with the key's validity window and compromise time; it records the chain id, the
registry and directory addresses, the block (number, hash, time: the export time) and
signs the canonical JSON of all that with the exporting key (EIP-191 ``personal_sign``)::

    {"format": "data-asset-ledger-keys/v1", "chainId": 31337, "registry": "0x…",
     "directory": "0x…", "block": 120, "blockHash": "0x…", "exportedAt": 1767225600,
     "registrars": [{"orgId": "0x…", "city": 370200, "active": true,
                     "keys": [{"account": "0x…", "validFrom": …, "validUntil": 0,
                               "compromisedAt": 0}]}],
     "exporter": "0x…", "signature": "0x…"}

:func:`verify_offline` checks a certificate document against such a list: the document's
form and EIP-712 domain (the list's chain and registry), the signature's shape and the
signer it recovers to, and that the signer was a key of the issuing registrar when the
certificate was issued and not marked compromised as of then - all *as of the export*.
What needs the chain is not checked and the verdict says so: whether the certificate is
on chain, revoked or expired now, or a key was marked compromised after the export. The
list's own signature must verify; with ``trusted_exporters`` its signer must be one of
them (without, the verdict names who signed the list and whether that address is a key
of a registrar in the list).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, Final, Literal

from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from web3 import Web3

from chain import documents
from chain.bindings.enums import OrgKind
from chain.documents import CertificateDocument, DocumentError, canonical_json, format_time
from chain.verdict import Reason, Verdict, check, check_signature_shape, recover_signer

FORMAT: Final = "data-asset-ledger-keys/v1"
_ZERO32 = "0x" + "00" * 32


class KeyListError(ValueError):
    """The key list is unreadable, malformed or its signature does not verify."""


class KeyWindow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    account: str
    validFrom: int = Field(ge=0)
    validUntil: int = Field(ge=0, description="0: open-ended")
    compromisedAt: int = Field(ge=0, description="0: never marked compromised")

    @field_validator("account")
    @classmethod
    def _address(cls, value: str) -> str:
        if not Web3.is_address(value):
            raise ValueError("must be 0x and 40 hex digits (an address)")
        return str(Web3.to_checksum_address(value))

    def live_at(self, when: int) -> bool:
        """The key could sign at ``when``: in its window, not compromised as of then."""
        in_window = self.validFrom <= when and (self.validUntil == 0 or when < self.validUntil)
        return in_window and (self.compromisedAt == 0 or when < self.compromisedAt)


class RegistrarKeys(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    orgId: str
    city: int
    active: bool
    keys: list[KeyWindow]


class KeyList(BaseModel):
    """A signed export of the registrars' keys (see the module's docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["data-asset-ledger-keys/v1"]
    chainId: int = Field(ge=1)
    registry: str
    directory: str
    block: int = Field(ge=0)
    blockHash: str
    exportedAt: int = Field(ge=0)
    registrars: list[RegistrarKeys]
    exporter: str
    signature: str = ""

    @field_validator("registry", "directory", "exporter")
    @classmethod
    def _addresses(cls, value: str) -> str:
        if not Web3.is_address(value):
            raise ValueError("must be 0x and 40 hex digits (an address)")
        return str(Web3.to_checksum_address(value))

    def body(self) -> dict[str, Any]:
        """Everything the signature covers (all but the signature)."""
        data = self.model_dump(mode="json")
        data.pop("signature")
        return data

    def signed_message(self) -> bytes:
        return canonical_json(self.body())

    def recovered_exporter(self) -> str | None:
        try:
            message = encode_defunct(primitive=self.signed_message())
            return str(Account.recover_message(message, signature=self.signature))
        except Exception:  # a malformed signature recovers no one
            return None

    def key_of(self, account: str) -> tuple[RegistrarKeys, KeyWindow] | None:
        for registrar in self.registrars:
            for key in registrar.keys:
                if key.account == account:
                    return registrar, key
        return None

    def to_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), indent=1, sort_keys=True) + "\n"


def _hex(value: bytes) -> str:
    return "0x" + bytes(value).hex()


def read_registrars(w3: Web3, registry_address: str) -> KeyList:
    """The unsigned key list of the chain at its latest block (every read at that block)."""
    registry = documents.registry_contract(w3, registry_address)
    documents.chain_domain(registry)  # raises DocumentError: not a certificate registry
    directory = documents.directory_contract(registry)
    head = w3.eth.get_block("latest")
    at = int(head["number"])
    d = directory.functions
    registrars: list[RegistrarKeys] = []
    index = 1
    while True:
        org_id = bytes(d.orgIdAt(index).call(block_identifier=at))
        if org_id == bytes(32):
            break
        index += 1
        kind, city, active, _index, _count = d.org(org_id).call(block_identifier=at)
        if int(kind) != int(OrgKind.Registrar):
            continue
        keys = []
        for account in d.orgKeys(org_id).call(block_identifier=at):
            owner, valid_from, valid_until, compromised = d.signingKey(account).call(
                block_identifier=at
            )
            if bytes(owner) != org_id:
                continue
            keys.append(KeyWindow(account=account, validFrom=int(valid_from),
                                  validUntil=int(valid_until),
                                  compromisedAt=int(compromised)))  # fmt: skip
        registrars.append(
            RegistrarKeys(orgId=_hex(org_id), city=int(city), active=bool(active), keys=keys)
        )
    return KeyList(
        format=FORMAT, chainId=int(w3.eth.chain_id), registry=str(registry.address),
        directory=str(directory.address), block=at, blockHash=_hex(head["hash"]),
        exportedAt=int(head["timestamp"]), registrars=registrars, exporter=_ZERO32[:42],
    )  # fmt: skip


def sign(keylist: KeyList, account: LocalAccount) -> KeyList:
    """``keylist`` signed by ``account`` (its address becomes the exporter)."""
    unsigned = keylist.model_copy(update={"exporter": account.address, "signature": ""})
    signed = Account.sign_message(
        encode_defunct(primitive=unsigned.signed_message()), private_key=account.key
    )
    return unsigned.model_copy(update={"signature": _hex(signed.signature)})


def export(w3: Web3, registry_address: str, account: LocalAccount) -> KeyList:
    """Read the registrars' keys from the chain and sign the list with ``account``."""
    return sign(read_registrars(w3, registry_address), account)


def load(text: str | bytes) -> KeyList:
    """Parse a key list and check its signature (:class:`KeyListError` saying why not)."""
    try:
        raw = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise KeyListError(f"the key list is not JSON: {exc}") from exc
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise KeyListError(f"not a key list: the format is not {FORMAT!r}")
    try:
        keylist = KeyList.model_validate(raw)
    except ValidationError as exc:
        raise KeyListError(f"the key list is malformed: {exc}") from exc
    if keylist.recovered_exporter() != Web3.to_checksum_address(keylist.exporter):
        raise KeyListError(
            f"the key list's signature does not verify: it was not signed by its stated "
            f"exporter {keylist.exporter}, or it was changed after signing"
        )
    return keylist


def _key_list_reason(keylist: KeyList, trusted: list[str]) -> Reason:
    exporter = Web3.to_checksum_address(keylist.exporter)
    when = format_time(keylist.exportedAt)
    if trusted and exporter not in trusted:
        return Reason(
            code="key_list", ok=False,
            detail=f"the key list was signed by {exporter}, who is not a trusted exporter "
            f"({', '.join(trusted)})",
        )  # fmt: skip
    found = keylist.key_of(exporter)
    who = (f"a key of registrar {found[0].orgId}" if found
           else "not a registrar's key in the list")  # fmt: skip
    pinned = "a trusted exporter" if trusted else "exporter not pinned (--trust-exporter)"
    return Reason(
        code="key_list", ok=True,
        detail=f"key list of chain {keylist.chainId} at block {keylist.block}, exported "
        f"{when}, signed by {exporter} ({who}; {pinned})",
    )  # fmt: skip


def _signer_reason(doc: CertificateDocument, keylist: KeyList) -> Reason:
    signer = doc.signer
    issued = doc.message.issuedAt
    as_of = f"as of the key list exported {format_time(keylist.exportedAt)}"
    found = keylist.key_of(signer)
    if found is None:
        return Reason(code="signer_registrar", ok=False,
                      detail=f"{signer} is not a signing key of any registrar {as_of}")  # fmt: skip
    registrar, key = found
    if registrar.orgId != doc.message.registrarOrgId:
        return Reason(
            code="signer_registrar", ok=False,
            detail=f"{signer} signs for registrar {registrar.orgId}, not the issuing "
            f"registrar {doc.message.registrarOrgId} ({as_of})",
        )  # fmt: skip
    if not key.live_at(issued):
        return Reason(
            code="signer_registrar", ok=False,
            detail=f"{signer} is a key of the issuing registrar but could not sign when the "
            f"certificate was issued on {documents.format_date(issued)} (window "
            f"{key.validFrom}-{key.validUntil or 'open'}, compromised "
            f"{key.compromisedAt or 'never'}; {as_of})",
        )  # fmt: skip
    return Reason(
        code="signer_registrar", ok=True,
        detail=f"{signer} was a signing key of the issuing registrar (city {registrar.city}) "
        f"when the certificate was issued, not marked compromised ({as_of})",
    )  # fmt: skip


def verify_offline(
    document: CertificateDocument | Mapping[str, Any] | str | bytes,
    keylist: KeyList,
    trusted_exporters: Iterable[str] = (),
) -> Verdict:
    """Authenticity of ``document`` against ``keylist`` with no network (see the module)."""
    as_of = keylist.exportedAt
    try:
        doc = documents.parse_document(document)
    except DocumentError as exc:
        return Verdict(
            valid=False, status="Unknown", offline_as_of=as_of,
            key_list_exporter=keylist.exporter,
            reasons=[Reason(code="format", ok=False, detail=str(exc))],
        )  # fmt: skip
    trusted = [str(Web3.to_checksum_address(a)) for a in trusted_exporters]
    recovered = recover_signer(doc)
    registry = Web3.to_checksum_address(keylist.registry)
    reasons = [
        Reason(code="format", ok=True, detail=f"well-formed {documents.FORMAT}"),
        _key_list_reason(keylist, trusted),
        check("types", doc.types_match(), "EIP-712 types are the certificate schema",
              "the EIP-712 types are not the certificate schema"),
        check("domain",
              (doc.domain.name, doc.domain.version)
              == (documents.DOMAIN_NAME, documents.DOMAIN_VERSION),
              "the ledger's EIP-712 domain",
              f"domain {doc.domain.name!r} version {doc.domain.version!r} is not the ledger's"),
        check("chain_id", doc.domain.chainId == keylist.chainId,
              f"signed for chain {keylist.chainId}",
              f"signed for chain {doc.domain.chainId}, the key list is of chain "
              f"{keylist.chainId}"),
        check("verifying_contract", doc.domain.verifyingContract == registry,
              f"signed for registry {registry}",
              f"signed for contract {doc.domain.verifyingContract}, the key list is of "
              f"registry {registry}"),
        check_signature_shape(doc.signature),
        check("signature", recovered is not None and recovered == doc.signer,
              f"signed by {recovered}",
              f"the signature recovers to {recovered}, not the stated signer {doc.signer}"),
        _signer_reason(doc, keylist),
    ]  # fmt: skip
    issuer = next((r for r in keylist.registrars if r.orgId == doc.message.registrarOrgId), None)
    if issuer is not None:
        reasons.append(check(
            "registrar_active", issuer.active,
            f"the issuing registrar was active as of {format_time(as_of)}",
            f"the issuing registrar was suspended as of {format_time(as_of)}",
        ))  # fmt: skip
    reasons.append(Reason(
        code="status_not_checked", ok=True,
        detail="offline: whether the certificate is on chain, revoked or expired now needs "
        "the chain (ledger verify --rpc-url); keys marked compromised after the export are "
        "not known here",
    ))  # fmt: skip
    return Verdict(
        valid=all(r.ok for r in reasons), status="Unknown", reasons=reasons,
        certificate_id=doc.certificate_id, issuer=doc.message.registrarOrgId,
        holder=doc.message.holderOrgId, asset_id=doc.message.assetId, signer=doc.signer,
        recovered_signer=recovered, chain_id=keylist.chainId, registry=registry,
        registrar_active=issuer.active if issuer else None, offline_as_of=as_of,
        key_list_exporter=keylist.exporter,
    )  # fmt: skip
