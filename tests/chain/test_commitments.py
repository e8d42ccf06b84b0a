from __future__ import annotations

import pytest
from eth_utils import keccak

from chain.commitments import canonical_json, commit, commitment_of, opens


def test_canonical_json_sorts_keys_and_drops_spaces() -> None:
    assert canonical_json({"b": 1, "a": "交通"}) == '{"a":"交通","b":1}'.encode()


def test_commit_is_keccak_of_salt_and_canonical_json() -> None:
    salt = bytes(range(32))
    document = {"catalogue": "QD-JT-0001", "items": 13}
    assert commitment_of(document, salt) == keccak(salt + canonical_json(document))
    assert commit(document, salt).digest_hex == "0x" + keccak(salt + canonical_json(document)).hex()


def test_commit_uses_a_fresh_salt_each_time() -> None:
    first, second = commit({"x": 1}), commit({"x": 1})
    assert first.salt != second.salt
    assert first.digest != second.digest


def test_opens_accepts_the_document_and_rejects_a_changed_one() -> None:
    made = commit({"catalogue": "QD-JT-0001"})
    assert opens({"catalogue": "QD-JT-0001"}, made.salt, made.digest)
    assert not opens({"catalogue": "QD-JT-0002"}, made.salt, made.digest)


def test_commitment_refuses_short_salt() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        commitment_of({}, b"short")
