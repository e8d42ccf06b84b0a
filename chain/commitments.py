"""Salted commitments to documents: what goes on chain instead of the document.

``commit(document)`` returns a random 32-byte salt and
``keccak256(salt || canonical_json(document))``. Whoever holds the document and its salt
can check the hash; nobody can confirm a guessed catalogue entry by hashing candidates,
because the salt is unknown to them.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

from eth_utils.crypto import keccak

#: How deep objects and arrays may nest in a document the gateway commits to.
MAX_DOCUMENT_DEPTH = 32


def check_document(document: Any) -> Any:
    """``document`` unchanged when :func:`canonical_json` can encode it, else ValueError
    saying why: nested deeper than :data:`MAX_DOCUMENT_DEPTH`, a number that is not finite
    (``NaN``, ``Infinity``, ``1e400``) or text that is not valid Unicode (lone surrogates)."""
    stack: list[tuple[Any, int]] = [(document, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth >= MAX_DOCUMENT_DEPTH:
                raise ValueError(f"nested deeper than {MAX_DOCUMENT_DEPTH} levels")
            children = value.values() if isinstance(value, dict) else value
            stack.extend((child, depth + 1) for child in children)
    try:
        canonical_json(document)
    except UnicodeEncodeError as exc:
        raise ValueError("text must be valid Unicode (no lone surrogates)") from exc
    except ValueError as exc:
        raise ValueError("numbers must be finite (no NaN or Infinity)") from exc
    return document


def canonical_json(document: Any) -> bytes:
    """UTF-8 JSON with sorted keys and no insignificant white space."""
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


@dataclass(frozen=True)
class Commitment:
    salt: bytes
    digest: bytes

    @property
    def salt_hex(self) -> str:
        return "0x" + self.salt.hex()

    @property
    def digest_hex(self) -> str:
        return "0x" + self.digest.hex()


def commitment_of(document: Any, salt: bytes) -> bytes:
    if len(salt) != 32:
        raise ValueError("a commitment salt is exactly 32 bytes")
    return keccak(salt + canonical_json(document))


def commit(document: Any, salt: bytes | None = None) -> Commitment:
    """Commit to a document with a fresh random salt (or the one given)."""
    chosen = salt if salt is not None else secrets.token_bytes(32)
    return Commitment(salt=chosen, digest=commitment_of(document, chosen))


def opens(document: Any, salt: bytes, digest: bytes) -> bool:
    """True when ``document`` with ``salt`` is what ``digest`` commits to."""
    return secrets.compare_digest(commitment_of(document, salt), digest)
