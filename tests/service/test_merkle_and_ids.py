"""Pure parts of the registry use cases: Merkle tree, deterministic ids, authorisation."""

from __future__ import annotations

from typing import Any, cast

import pytest
from web3 import Web3

from chain.accounts import Principal
from chain.errors import NotAuthorised
from chain.merkle import StandardMerkleTree, leaf_hash, resource_tree, verify
from chain.runtime import LedgerRuntime
from chain.service import assets, common, orgs
from tests.contracts.merkle import StandardMerkleTree as ReferenceTree

TYPES = ("bytes32", "bytes32", "uint32")


def items(n: int) -> list[tuple[bytes, bytes, int]]:
    return [
        (bytes(Web3.keccak(text=f"c{i}")), bytes(Web3.keccak(text=f"m{i}")), i) for i in range(n)
    ]


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 13])
def test_tree_matches_the_reference_and_every_proof_verifies(n: int) -> None:
    values = items(n)
    tree = resource_tree(values)
    reference = ReferenceTree(values, TYPES)
    assert tree.root == reference.root
    for i in range(n):
        assert tree.proof(i) == reference.proof(i)
        assert verify(tree.root, leaf_hash(TYPES, values[i]), tree.proof(i))
        assert tree.verify(i, tree.proof(i))


def test_proof_of_another_leaf_does_not_verify() -> None:
    tree = resource_tree(items(4))
    assert not verify(tree.root, tree.leaf(0), tree.proof(1))
    with pytest.raises(IndexError):
        tree.proof(4)
    with pytest.raises(ValueError):
        StandardMerkleTree([], TYPES)


def test_ids_follow_the_contract_formulas() -> None:
    name = "Qingdao Municipal Transport Bureau"
    org = common.org_id_for("holder", 370200, name)
    assert org == common.hex32(
        Web3.keccak(
            (2).to_bytes(32, "big") + (370200).to_bytes(32, "big") + bytes(Web3.keccak(text=name))
        )
    )
    a, b_ = "0x" + "01" * 32, "0x" + "02" * 32
    assert common.agreement_id_for(a, b_) == common.agreement_id_for(b_, a)


def principal(kind: str, role: str = "writer", city: int = 370200) -> Principal:
    return Principal("u", "user", "0x" + "aa" * 32, "org", kind, city, role)


def test_service_refuses_before_touching_the_chain() -> None:
    no_chain = cast(LedgerRuntime, None)
    body = assets.AssetCreate(catalogue_code="c", domain_code=1, metadata={})
    with pytest.raises(NotAuthorised, match="holder"):
        assets.register_asset(no_chain, principal("registrar"), body)
    with pytest.raises(NotAuthorised, match="role writer or admin"):
        assets.register_asset(no_chain, principal("holder", role="reader"), body)
    create: Any = orgs.OrgCreate(name="n", kind="holder")
    with pytest.raises(NotAuthorised, match="role admin"):
        orgs.create_org(no_chain, principal("registrar"), create)
    with pytest.raises(NotAuthorised, match="city"):
        orgs.create_org(no_chain, principal("registrar", role="admin", city=350200),
                        orgs.OrgCreate(name="n", kind="holder", city_code=370200))  # fmt: skip
    with pytest.raises(NotAuthorised, match="consortium"):
        orgs.create_org(no_chain, principal("registrar", role="admin"),
                        orgs.OrgCreate(name="n", kind="registrar", city_code=1))  # fmt: skip
