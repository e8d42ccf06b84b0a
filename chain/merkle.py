"""OpenZeppelin StandardMerkleTree in Python: same leaves, layout, root and proofs.

Leaves are ``keccak256(keccak256(abi.encode(values)))``; the tree is a complete binary
tree in an array with the leaves sorted by hash at the end; pairs are hashed sorted.
Proofs verify with OpenZeppelin ``MerkleProof.verify`` (and so with the registry's
``materialiseResource`` / ``proveResource``) and with :func:`verify` here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eth_abi.abi import encode
from web3 import Web3

#: the leaf encoding of a batch item of the AssetRegistry
RESOURCE_LEAF_TYPES = ("bytes32", "bytes32", "uint32")


def leaf_hash(types: Sequence[str], values: Sequence[Any]) -> bytes:
    """keccak256(bytes.concat(keccak256(abi.encode(values))))."""
    return bytes(Web3.keccak(Web3.keccak(encode(list(types), list(values)))))


def hash_pair(a: bytes, b: bytes) -> bytes:
    return bytes(Web3.keccak(min(a, b) + max(a, b)))


def verify(root: bytes, leaf: bytes, proof: Sequence[bytes]) -> bool:
    """``MerkleProof.verify``: fold the proof over the leaf with sorted-pair hashing."""
    node = leaf
    for sibling in proof:
        node = hash_pair(node, sibling)
    return node == root


class StandardMerkleTree:
    """A tree over typed values; ``proof(i)`` proves the i-th value given."""

    def __init__(self, values: Sequence[Sequence[Any]], types: Sequence[str]) -> None:
        if not values:
            raise ValueError("a Merkle tree needs at least one value")
        self.types = tuple(types)
        self.values = [tuple(v) for v in values]
        hashed = sorted(
            ((leaf_hash(self.types, v), i) for i, v in enumerate(self.values)),
            key=lambda item: item[0],
        )
        n = len(hashed)
        self.tree: list[bytes] = [b""] * (2 * n - 1)
        self._position: dict[int, int] = {}
        for k, (digest, i) in enumerate(hashed):
            position = len(self.tree) - 1 - k
            self.tree[position] = digest
            self._position[i] = position
        for position in range(len(self.tree) - 1 - n, -1, -1):
            self.tree[position] = hash_pair(
                self.tree[2 * position + 1], self.tree[2 * position + 2]
            )

    @property
    def root(self) -> bytes:
        return self.tree[0]

    def leaf(self, index: int) -> bytes:
        return self.tree[self._position[index]]

    def proof(self, index: int) -> list[bytes]:
        if index not in self._position:
            raise IndexError(f"no value {index} in a tree of {len(self.values)}")
        position = self._position[index]
        proof: list[bytes] = []
        while position > 0:
            sibling = position - 1 if position % 2 == 0 else position + 1
            proof.append(self.tree[sibling])
            position = (position - 1) // 2
        return proof

    def verify(self, index: int, proof: Sequence[bytes]) -> bool:
        return verify(self.root, self.leaf(index), proof)


def resource_tree(items: Sequence[tuple[bytes, bytes, int]]) -> StandardMerkleTree:
    """The tree of (catalogueHash, metadataHash, domainCode) batch items."""
    return StandardMerkleTree(items, RESOURCE_LEAF_TYPES)
