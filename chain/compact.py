"""The signed certificate document in compact form, small enough for the printed QR code.

A certificate document (:mod:`chain.documents`) is about 1.4 KB of JSON; everything in it
but the signed fields, the signature and the signer is fixed by the format (the EIP-712
types, the domain's name and version) or derived from the rest (the verification link).
The compact form keeps exactly what varies, in a versioned binary layout of 283 bytes::

    offset size  field
         0    1  layout version (1: data-asset-certificate/v1, domain "DataAssetLedger" "1")
         1    8  domain chainId (uint64, big-endian)
         9   20  domain verifyingContract (the AssetRegistryV2)
        29   32  certificateId        61  32  assetId          93  32  registrarOrgId
       125   32  holderOrgId         157  32  metadataHash
       189    1  kind (uint8)
       190    8  issuedAt (uint64, big-endian)
       198   20  signer
       218   65  signature (r, s, v exactly as signed: a malleated one stays detectable)

written as unpadded base64url (378 characters). It travels in three text forms, all read
by :func:`decode_text`:

- the QR's link, ``https://host/verify?cert=0x…#d=<compact>``: a phone camera opens the
  verify page, which reads the fragment (it never reaches a server's log) and checks the
  document it carries; without script the page still looks the certificate up by number;
- ``ledger:<compact>``, for places that want no host in it;
- the bare base64url text.

Decoding gives back the very document that was signed (its link is the URL before the
fragment, or the ``ledger:`` text itself), so its signature verifies exactly as the JSON
one does; a changed byte yields a document whose checks fail ("not authentic").
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Final
from urllib.parse import parse_qs, urlsplit

from web3 import Web3

from chain import documents
from chain.documents import (
    CertificateDocument,
    CertificateMessage,
    DocumentError,
    DocumentLinks,
    Eip712Domain,
    TypedField,
)

VERSION: Final = 1
SIZE: Final = 283
SCHEME: Final = "ledger:"
#: The URL fragment (or query) parameter that carries the compact document.
PARAM: Final = "d"
#: The name of the signed JSON document attached to every certificate PDF.
ATTACHMENT_NAME: Final = "certificate.json"
_HASH_FIELDS: Final = ("certificateId", "assetId", "registrarOrgId", "holderOrgId", "metadataHash")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]+$")


class CompactError(DocumentError):
    """The text is not a compact certificate document; the message says why."""


def to_bytes(document: CertificateDocument) -> bytes:
    """The 283-byte layout of ``document`` (see the module's table)."""
    domain, message = document.domain, document.message
    if (domain.name, domain.version) != (documents.DOMAIN_NAME, documents.DOMAIN_VERSION):
        raise CompactError(f"domain {domain.name!r} {domain.version!r} has no compact layout")
    if not document.types_match():
        raise CompactError("the document's EIP-712 types are not the certificate schema")
    if domain.chainId >= 2**64:
        raise CompactError(f"chain id {domain.chainId} does not fit the compact layout")
    out = bytearray([VERSION])
    out += domain.chainId.to_bytes(8, "big")
    out += bytes.fromhex(domain.verifyingContract[2:])
    for name in _HASH_FIELDS:
        out += bytes.fromhex(str(getattr(message, name))[2:])
    out += bytes([message.kind])
    out += message.issuedAt.to_bytes(8, "big")
    out += bytes.fromhex(document.signer[2:])
    out += bytes.fromhex(document.signature[2:])
    assert len(out) == SIZE
    return bytes(out)


def encode(document: CertificateDocument) -> str:
    """The compact document as unpadded base64url text."""
    return base64.urlsafe_b64encode(to_bytes(document)).decode("ascii").rstrip("=")


def qr_text(document: CertificateDocument, verify_url: str | None = None) -> str:
    """What the printed QR carries: the verification link (default: the document's own)
    with the compact document in its fragment."""
    link = verify_url or document.links.verify
    return f"{link.split('#', 1)[0]}#{PARAM}={encode(document)}"


def ledger_uri(document: CertificateDocument) -> str:
    """The ``ledger:<compact>`` form."""
    return SCHEME + encode(document)


def from_bytes(raw: bytes, link: str) -> CertificateDocument:
    """The document the 283 bytes encode, with ``link`` as its verification link."""
    if len(raw) != SIZE:
        raise CompactError(f"a compact certificate is {SIZE} bytes, this one {len(raw)}")
    if raw[0] != VERSION:
        raise CompactError(f"unknown compact layout version {raw[0]}; this reader knows {VERSION}")
    at = 1

    def take(size: int) -> bytes:
        nonlocal at
        chunk = raw[at : at + size]
        at += size
        return chunk

    chain_id = int.from_bytes(take(8), "big")
    contract = "0x" + take(20).hex()
    hashes = {name: "0x" + take(32).hex() for name in _HASH_FIELDS}
    kind = take(1)[0]
    issued_at = int.from_bytes(take(8), "big")
    signer = Web3.to_checksum_address("0x" + take(20).hex())
    signature = "0x" + take(65).hex()
    try:
        domain = Eip712Domain(
            name=documents.DOMAIN_NAME,
            version=documents.DOMAIN_VERSION,
            chainId=chain_id,
            verifyingContract=contract,
        )
        message = CertificateMessage(**hashes, kind=kind, issuedAt=issued_at)
        types = {k: [TypedField(**f) for f in v] for k, v in documents.certificate_types().items()}
        return CertificateDocument(
            format=documents.FORMAT,
            domain=domain,
            types=types,
            primaryType=documents.PRIMARY_TYPE,
            message=message,
            signature=signature,
            signer=signer,
            links=DocumentLinks(verify=link),
        )
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise CompactError(f"the compact certificate does not decode: {exc}") from exc


def decode_token(token: str, link: str | None = None) -> CertificateDocument:
    """The document of a base64url compact text (``link`` default: its ``ledger:`` form)."""
    token = token.strip().rstrip("=")
    if not _TOKEN.match(token):
        raise CompactError("a compact certificate is base64url text (A-Z a-z 0-9 - _)")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError) as exc:
        raise CompactError(f"the compact certificate is not base64url: {exc}") from exc
    return from_bytes(raw, link or SCHEME + token)


def _from_url(text: str) -> CertificateDocument:
    parts = urlsplit(text)
    for in_fragment, where in ((True, parts.fragment), (False, parts.query)):
        values = parse_qs(where).get(PARAM)
        if values:
            link = text.split("#", 1)[0] if in_fragment else text
            return decode_token(values[0], link)
    raise CompactError("the link carries no signed certificate (no d= in it)")


def decode_text(text: str) -> CertificateDocument:
    """The document in any text a QR, a form or a file may hold: the QR's link, a
    ``ledger:`` URI, bare base64url, or the JSON document itself."""
    text = text.strip().lstrip("\ufeff")
    if not text:
        raise CompactError("no certificate: the text is empty")
    if text.startswith("{"):
        return documents.parse_document(text)
    if text.lower().startswith(SCHEME):
        return decode_token(text[len(SCHEME) :].removeprefix("//"))
    if text.lower().startswith(("http://", "https://")):
        return _from_url(text)
    return decode_token(text)


def looks_compact(text: str) -> bool:
    """True when ``text`` is in one of the compact forms (not JSON)."""
    text = text.strip()
    if text.lower().startswith(SCHEME):
        return True
    if text.lower().startswith(("http://", "https://")):
        return f"{PARAM}=" in text
    return bool(_TOKEN.match(text)) and len(text) >= SIZE * 4 // 3 - 2


def as_json_text(document: CertificateDocument) -> str:
    """The document as the indented JSON people read and paste."""
    return json.dumps(document.to_json_dict(), ensure_ascii=False, indent=2)
