"""Portable certificate documents: EIP-712 typed data signed by the issuing registrar.

A data asset registration certificate lives on chain in the AssetRegistryV2. Its portable
form is a JSON document any partner city or exchange can check with nothing but an RPC
endpoint and the registry address (see :mod:`chain.verifier`)::

    {"format": "data-asset-certificate/v1",
     "domain": {"name": "DataAssetLedger", "version": "1", "chainId": 31337,
                "verifyingContract": "0x..."},
     "types": {"EIP712Domain": [...], "Certificate": [...]},
     "primaryType": "Certificate",
     "message": {"certificateId": "0x..", "assetId": "0x..", "registrarOrgId": "0x..",
                 "holderOrgId": "0x..", "metadataHash": "0x..", "kind": 0,
                 "issuedAt": 1767225600},
     "signature": "0x<65 bytes r||s||v>", "signer": "0x<registrar signing account>",
     "links": {"verify": "https://ledger.example/verify?cert=0x.."}}

The message is exactly the contract's ``CertificateDocument`` struct and the domain is
("DataAssetLedger", "1", chain id, the AssetRegistryV2 address); the registry's
``domainSeparator()`` confirms it, so ``certificateDigest(id)`` on chain equals the digest
computed here. The verifying contract is what tells a v2 document from a v1 one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final, Literal

from eth_account import Account
from eth_account.messages import SignableMessage, encode_typed_data
from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from web3 import Web3
from web3.contract import Contract

from chain import artifacts
from chain.bindings.contracts import DIRECTORY, REGISTRY
from chain.bindings.enums import CERTIFICATE_STATUSES as _STATUS_NAMES
from chain.bindings.enums import REGISTRATION_KINDS as _KIND_NAMES
from chain.bindings.enums import USABILITY as _USABILITY_NAMES

FORMAT: Final = "data-asset-certificate/v1"
PRIMARY_TYPE: Final = "Certificate"
CONTRACT_NAME = REGISTRY
#: The EIP-712 domain name and version (unchanged from v1).
DOMAIN_NAME: Final = "DataAssetLedger"
DOMAIN_VERSION: Final = "1"

#: The EIP-712 types of the document; equal to the contract's CERTIFICATE_TYPEHASH string
#: "Certificate(bytes32 certificateId,bytes32 assetId,bytes32 registrarOrgId,
#: bytes32 holderOrgId,bytes32 metadataHash,uint8 kind,uint64 issuedAt)".
CERTIFICATE_FIELDS: tuple[tuple[str, str], ...] = (
    ("certificateId", "bytes32"),
    ("assetId", "bytes32"),
    ("registrarOrgId", "bytes32"),
    ("holderOrgId", "bytes32"),
    ("metadataHash", "bytes32"),
    ("kind", "uint8"),
    ("issuedAt", "uint64"),
)
DOMAIN_FIELDS: tuple[tuple[str, str], ...] = (
    ("name", "string"),
    ("version", "string"),
    ("chainId", "uint256"),
    ("verifyingContract", "address"),
)

#: RegistrationKind of IAssetRegistryV2.
REGISTRATION_KINDS: tuple[str, ...] = tuple(_KIND_NAMES)
#: CertificateStatus of IAssetRegistryV2.
CERTIFICATE_STATUSES: tuple[str, ...] = tuple(_STATUS_NAMES)
#: Usability of IAssetRegistryV2 (the first failing part of "usable").
USABILITY: tuple[str, ...] = tuple(_USABILITY_NAMES)

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141

_BYTES32 = re.compile(r"^0x[0-9a-fA-F]{64}$")
_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
_SIGNATURE = re.compile(r"^0x[0-9a-fA-F]{130}$")


class DocumentError(ValueError):
    """A certificate document is not well formed; the message says what is wrong."""


def certificate_types() -> dict[str, list[dict[str, str]]]:
    """The ``types`` member of every certificate document (a fresh copy)."""
    return {
        "EIP712Domain": [{"name": n, "type": t} for n, t in DOMAIN_FIELDS],
        PRIMARY_TYPE: [{"name": n, "type": t} for n, t in CERTIFICATE_FIELDS],
    }


def canonical_json(value: Any) -> bytes:
    """Canonical JSON: sorted keys, no insignificant spaces, UTF-8, no NaN."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def _hex32(value: bytes | str) -> str:
    if isinstance(value, bytes | bytearray):
        if len(value) != 32:
            raise DocumentError(f"expected 32 bytes, got {len(value)}")
        return "0x" + bytes(value).hex()
    if not _BYTES32.match(value):
        raise DocumentError(f"expected 0x and 64 hex digits, got {value!r}")
    return value.lower()


# ---------------------------------------------------------------- models


class Eip712Domain(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    version: str = Field(min_length=1)
    chainId: int = Field(ge=1)
    verifyingContract: str

    @field_validator("verifyingContract")
    @classmethod
    def _address(cls, value: str) -> str:
        if not _ADDRESS.match(value):
            raise ValueError("verifyingContract must be 0x and 40 hex digits")
        return Web3.to_checksum_address(value)


class CertificateMessage(BaseModel):
    """The signed fields: the contract's ``CertificateDocument`` struct."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    certificateId: str
    assetId: str
    registrarOrgId: str
    holderOrgId: str
    metadataHash: str
    kind: int = Field(ge=0, le=255)
    issuedAt: int = Field(ge=0, le=2**64 - 1)

    @field_validator("certificateId", "assetId", "registrarOrgId", "holderOrgId", "metadataHash")
    @classmethod
    def _bytes32(cls, value: str) -> str:
        if not _BYTES32.match(value):
            raise ValueError("must be 0x and 64 hex digits (bytes32)")
        return value.lower()

    def as_tuple(self) -> tuple[bytes, bytes, bytes, bytes, bytes, int, int]:
        """The struct as web3 passes it to ``verifyCertificateSignature``."""
        return (
            bytes.fromhex(self.certificateId[2:]),
            bytes.fromhex(self.assetId[2:]),
            bytes.fromhex(self.registrarOrgId[2:]),
            bytes.fromhex(self.holderOrgId[2:]),
            bytes.fromhex(self.metadataHash[2:]),
            self.kind,
            self.issuedAt,
        )


class TypedField(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    type: str


class DocumentLinks(BaseModel):
    model_config = ConfigDict(extra="allow")

    verify: str = Field(min_length=1)


class CertificateDocument(BaseModel):
    """A portable, signed data asset registration certificate."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["data-asset-certificate/v1"]
    domain: Eip712Domain
    types: dict[str, list[TypedField]]
    primaryType: Literal["Certificate"]
    message: CertificateMessage
    signature: str
    signer: str
    links: DocumentLinks

    @field_validator("signature")
    @classmethod
    def _signature(cls, value: str) -> str:
        if not _SIGNATURE.match(value):
            raise ValueError("must be 0x and 130 hex digits (65 bytes r, s, v)")
        return value.lower()

    @field_validator("signer")
    @classmethod
    def _signer(cls, value: str) -> str:
        if not _ADDRESS.match(value):
            raise ValueError("must be 0x and 40 hex digits (an address)")
        return Web3.to_checksum_address(value)

    @property
    def certificate_id(self) -> str:
        return self.message.certificateId

    def typed_data(self) -> dict[str, Any]:
        """The EIP-712 ``full_message`` exactly as signed."""
        return {
            "types": {k: [f.model_dump() for f in v] for k, v in self.types.items()},
            "primaryType": self.primaryType,
            "domain": self.domain.model_dump(),
            "message": self.message.model_dump(),
        }

    def to_json_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def to_canonical_json(self) -> bytes:
        return canonical_json(self.to_json_dict())

    def types_match(self) -> bool:
        expected = certificate_types()
        actual = {k: [f.model_dump() for f in v] for k, v in self.types.items()}
        return actual == expected


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]) or "document"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def parse_document(
    data: bytes | str | Mapping[str, Any] | CertificateDocument,
) -> CertificateDocument:
    """Parse and validate a certificate document; raise :class:`DocumentError` saying why not."""
    if isinstance(data, CertificateDocument):
        return data
    if isinstance(data, bytes | str):
        try:
            loaded = json.loads(data)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise DocumentError(f"the document is not JSON: {exc}") from exc
    else:
        loaded = dict(data)
    if not isinstance(loaded, dict):
        raise DocumentError("the document must be a JSON object")
    fmt = loaded.get("format")
    if fmt != FORMAT:
        raise DocumentError(f"unknown document format {fmt!r}; expected {FORMAT!r}")
    try:
        return CertificateDocument.model_validate(loaded)
    except ValidationError as exc:
        raise DocumentError(f"the certificate document is not valid: {_describe(exc)}") from exc


# ---------------------------------------------------------------- hashing and signing


def signable(typed_data: Mapping[str, Any]) -> SignableMessage:
    return encode_typed_data(full_message=dict(typed_data))


def digest(typed_data: Mapping[str, Any]) -> bytes:
    """The EIP-712 digest: keccak256(0x19 0x01 domainSeparator structHash)."""
    msg = signable(typed_data)
    return bytes(Web3.keccak(b"\x19" + msg.version + msg.header + msg.body))


def typed_data(domain: Eip712Domain, message: CertificateMessage) -> dict[str, Any]:
    return {
        "types": certificate_types(),
        "primaryType": PRIMARY_TYPE,
        "domain": domain.model_dump(),
        "message": message.model_dump(),
    }


def verify_link(base_url: str, certificate_id: str) -> str:
    return f"{base_url.rstrip('/')}/verify?cert={certificate_id}"


def sign_message(
    domain: Eip712Domain,
    message: CertificateMessage,
    account: LocalAccount,
    verify_base_url: str,
) -> CertificateDocument:
    """Sign ``message`` under ``domain`` with the registrar's key; return the document."""
    data = typed_data(domain, message)
    signed = Account.sign_message(signable(data), private_key=account.key)
    return CertificateDocument(
        format=FORMAT,
        domain=domain,
        types={k: [TypedField(**f) for f in v] for k, v in data["types"].items()},
        primaryType=PRIMARY_TYPE,
        message=message,
        signature="0x" + bytes(signed.signature).hex(),
        signer=account.address,
        links=DocumentLinks(verify=verify_link(verify_base_url, message.certificateId)),
    )


# ---------------------------------------------------------------- on-chain state


def registry_contract(w3: Web3, address: str) -> Contract:
    return w3.eth.contract(
        address=Web3.to_checksum_address(address), abi=artifacts.load(CONTRACT_NAME).abi
    )


def call_struct(contract: Contract, function: str, *args: Any) -> dict[str, Any]:
    """Call a view returning one struct and name its members after the ABI components."""
    abi: dict[str, Any] = next(
        item
        for item in artifacts.load(CONTRACT_NAME).abi
        if item.get("type") == "function" and item.get("name") == function
    )
    components = abi["outputs"][0]["components"]
    value = contract.functions[function](*args).call()
    return {c["name"]: v for c, v in zip(components, value, strict=True)}


def domain_separator(domain: Eip712Domain) -> bytes:
    """The EIP-712 domain separator of ``domain`` (what the registry's ``domainSeparator()``
    returns for its own domain)."""
    from eth_account._utils.encode_typed_data.encoding_and_hashing import hash_domain

    return bytes(hash_domain(domain.model_dump()))


def chain_domain(registry: Contract) -> Eip712Domain:
    """The registry's EIP-712 domain: ("DataAssetLedger", "1", the chain's id, the registry),
    confirmed by the registry's ``domainSeparator()`` (DocumentError when it differs: the
    contract is not a v2 certificate registry)."""
    domain = Eip712Domain(
        name=DOMAIN_NAME,
        version=DOMAIN_VERSION,
        chainId=int(registry.w3.eth.chain_id),
        verifyingContract=str(registry.address),
    )
    if bytes(registry.functions.domainSeparator().call()) != domain_separator(domain):
        raise DocumentError(f"the contract at {registry.address} is not a certificate registry")
    return domain


def _id_bytes(certificate_id: bytes | str) -> bytes:
    return bytes.fromhex(_hex32(certificate_id)[2:])


def chain_message(registry: Contract, certificate_id: bytes | str) -> CertificateMessage:
    """The signed fields of an issued certificate, from on-chain state."""
    cid = _id_bytes(certificate_id)
    cert = call_struct(registry, "certificate", cid)
    if int(cert["issuedAt"]) == 0:
        raise DocumentError(f"no certificate {_hex32(cid)} on chain")
    return message_of(cid, cert)


def message_of(certificate_id: bytes | str, cert: Mapping[str, Any]) -> CertificateMessage:
    """The signed fields of a certificate from its on-chain ``Certificate`` record."""
    cid = _id_bytes(certificate_id)
    return CertificateMessage(
        certificateId=_hex32(cid),
        assetId=_hex32(cert["assetId"]),
        registrarOrgId=_hex32(cert["registrarOrgId"]),
        holderOrgId=_hex32(cert["holderOrgId"]),
        metadataHash=_hex32(cert["metadataHash"]),
        kind=int(cert["kind"]),
        issuedAt=int(cert["issuedAt"]),
    )


def build_document(
    w3: Web3,
    registry_address: str,
    certificate_id: bytes | str,
    account: LocalAccount,
    verify_base_url: str,
) -> CertificateDocument:
    """Build the certificate's typed data from the chain and sign it with ``account``.

    ``account`` must be a signing account of the issuing registrar that was valid at the
    certificate's issue time, otherwise verifiers reject the document.
    """
    registry = registry_contract(w3, registry_address)
    return sign_message(
        chain_domain(registry), chain_message(registry, certificate_id), account, verify_base_url
    )


# ---------------------------------------------------------------- the printable view

#: GB/T 2260 codes of the cities the product knows by name (others print as the code).
CITY_NAMES: dict[int, tuple[str, str]] = {
    110000: ("北京市", "Beijing"),
    310000: ("上海市", "Shanghai"),
    370200: ("青岛市", "Qingdao"),
    350200: ("厦门市", "Xiamen"),
    420100: ("武汉市", "Wuhan"),
    440300: ("深圳市", "Shenzhen"),
    520100: ("贵阳市", "Guiyang"),
    330100: ("杭州市", "Hangzhou"),
    320100: ("南京市", "Nanjing"),
    510100: ("成都市", "Chengdu"),
    370100: ("济南市", "Jinan"),
    210200: ("大连市", "Dalian"),
}


class CertificateView(BaseModel):
    """What a printed certificate shows, read from the chain at printing time."""

    model_config = ConfigDict(frozen=True)

    certificate_id: str
    asset_id: str
    catalogue_hash: str
    holder_org_id: str
    registrar_org_id: str
    value_fen: int
    city: int
    domain_code: int
    kind: str
    issued_at: int
    valid_until: int
    status: str
    revocation_reason: int = 0
    replaced_by: str | None = None
    printed_at: int
    holder_name: str | None = None
    registrar_name: str | None = None
    #: v2 facts: the re-issued or amended certificate, the first failing part of "usable",
    #: an ownership dispute, the issuing registrar's standing
    supersedes: str | None = None
    usability: str = "Usable"
    disputed: bool = False
    registrar_active: bool = True

    @property
    def city_names(self) -> tuple[str, str]:
        return CITY_NAMES.get(self.city, (str(self.city), str(self.city)))


def format_yuan(fen: int) -> str:
    """Fen as yuan with thousands separators: 123456789 -> '1,234,567.89'."""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    return f"{sign}{yuan:,}.{cents:02d}"


def format_date(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%d")


def format_time(timestamp: int) -> str:
    """A block time to the second, in UTC: 1767225600 -> '2026-01-01 00:00:00 UTC'."""
    return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _logs(registry: Contract, event: str, asset_id: bytes) -> list[Any]:
    """The registry's ``event`` logs of one asset (its first indexed argument), in order."""
    abi: Mapping[str, Any] = next(
        i for i in artifacts.load(CONTRACT_NAME).abi
        if i.get("type") == "event" and i.get("name") == event
    )
    topic0 = Web3.keccak(text=f"{event}({','.join(_abi_type(p) for p in abi['inputs'])})")
    topics = [HexBytes(topic0).to_0x_hex(), HexBytes(asset_id).to_0x_hex()]
    logs = registry.w3.eth.get_logs(
        {"address": registry.address, "fromBlock": 0, "toBlock": "latest", "topics": topics}
    )
    decoder = registry.events[event]()
    return [decoder.process_log(log) for log in logs]


def _abi_type(param: Mapping[str, Any]) -> str:
    kind = str(param["type"])
    if kind.startswith("tuple"):
        return f"({','.join(_abi_type(c) for c in param['components'])}){kind[5:]}"
    return kind


def asset_facts(registry: Contract, asset_id: bytes | str) -> dict[str, Any]:
    """What the registry keeps of an asset only in events: catalogue hash, domain code and
    city (ResourceRegistered) and the latest valuation in fen (AssetValued)."""
    aid = _id_bytes(asset_id)
    registered = _logs(registry, "ResourceRegistered", aid)
    if not registered:
        raise DocumentError(f"no asset {_hex32(aid)} on chain")
    resource = registered[0]["args"]["resource"]
    valued = _logs(registry, "AssetValued", aid)
    return {
        "catalogueHash": _hex32(resource["catalogueHash"]),
        "domainCode": int(resource["domainCode"]),
        "city": int(resource["city"]),
        "valueFen": int(valued[-1]["args"]["valuation"]["valueFen"]) if valued else 0,
    }


def directory_contract(registry: Contract) -> Contract:
    """The OrgDirectory the registry reads (organisations, keys, registrars' standing)."""
    address = Web3.to_checksum_address(registry.functions.directory().call())
    return registry.w3.eth.contract(address=address, abi=artifacts.load(DIRECTORY).abi)


def load_view(
    w3: Web3,
    registry_address: str,
    certificate_id: bytes | str,
    holder_name: str | None = None,
    registrar_name: str | None = None,
) -> CertificateView:
    """Read what the printed certificate shows from the chain (status as of the latest block)."""
    registry = registry_contract(w3, registry_address)
    cid = _id_bytes(certificate_id)
    cert = call_struct(registry, "certificate", cid)
    if int(cert["issuedAt"]) == 0:
        raise DocumentError(f"no certificate {_hex32(cid)} on chain")
    asset = asset_facts(registry, cert["assetId"])
    state = call_struct(registry, "assetState", cert["assetId"])
    part, _city = registry.functions.usability(cert["assetId"]).call()
    registrar = directory_contract(registry).functions.org(cert["registrarOrgId"]).call()
    status = int(registry.functions.certificateStatus(cid).call())
    replaced = _hex32(cert["replacedBy"])
    supersedes = _hex32(cert["supersedes"])
    return CertificateView(
        certificate_id=_hex32(cid),
        asset_id=_hex32(cert["assetId"]),
        catalogue_hash=asset["catalogueHash"],
        holder_org_id=_hex32(cert["holderOrgId"]),
        registrar_org_id=_hex32(cert["registrarOrgId"]),
        value_fen=int(asset["valueFen"]),
        city=int(asset["city"]),
        domain_code=int(asset["domainCode"]),
        kind=REGISTRATION_KINDS[int(cert["kind"])],
        issued_at=int(cert["issuedAt"]),
        valid_until=int(cert["validUntil"]),
        status=CERTIFICATE_STATUSES[status],
        revocation_reason=int(cert["revocationReason"]),
        replaced_by=None if int(replaced, 16) == 0 else replaced,
        supersedes=None if int(supersedes, 16) == 0 else supersedes,
        usability=USABILITY[int(part)],
        disputed=bool(state["disputed"]),
        registrar_active=bool(registrar[2]),
        printed_at=int(w3.eth.get_block("latest")["timestamp"]),
        holder_name=holder_name,
        registrar_name=registrar_name,
    )
