"""A minimal OpenZeppelin StandardMerkleTree (same layout, leaves and proofs) in Python."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eth_abi import encode
from web3 import Web3


def leaf_hash(types: Sequence[str], values: Sequence[Any]) -> bytes:
    """keccak256(bytes.concat(keccak256(abi.encode(values)))), the StandardMerkleTree leaf."""
    return bytes(Web3.keccak(Web3.keccak(encode(list(types), list(values)))))


def _pair(a: bytes, b: bytes) -> bytes:
    return bytes(Web3.keccak(min(a, b) + max(a, b)))


class StandardMerkleTree:
    """Leaves sorted by hash, complete binary tree in an array, sorted-pair hashing."""

    def __init__(self, values: Sequence[Sequence[Any]], types: Sequence[str]) -> None:
        self.values = [tuple(v) for v in values]
        hashed = sorted(
            ((leaf_hash(types, v), i) for i, v in enumerate(self.values)), key=lambda x: x[0]
        )
        n = len(hashed)
        self.tree: list[bytes] = [b""] * (2 * n - 1)
        self._index: dict[int, int] = {}
        for k, (hsh, i) in enumerate(hashed):
            pos = len(self.tree) - 1 - k
            self.tree[pos] = hsh
            self._index[i] = pos
        for pos in range(len(self.tree) - 1 - n, -1, -1):
            self.tree[pos] = _pair(self.tree[2 * pos + 1], self.tree[2 * pos + 2])

    @property
    def root(self) -> bytes:
        return self.tree[0]

    def proof(self, value_index: int) -> list[bytes]:
        pos = self._index[value_index]
        proof: list[bytes] = []
        while pos > 0:
            sibling = pos - 1 if pos % 2 == 0 else pos + 1
            proof.append(self.tree[sibling])
            pos = (pos - 1) // 2
        return proof
