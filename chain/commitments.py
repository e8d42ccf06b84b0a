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
