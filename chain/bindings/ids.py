"""Deterministic ids, derived exactly as the v2 contracts derive them.

- org id          = keccak256(abi.encode(uint8 kind, uint32 city, bytes32 nameHash))
- batch id        = keccak256(abi.encode(holderOrgId, merkleRoot))
- asset id        = keccak256(abi.encode(holderOrgId, uint32 domainCode, catalogueHash))
- objection id    = keccak256(abi.encode(assetId, objectorOrgId, reasonHash))
- certificate id  = keccak256(abi.encode(registrarOrgId, assetId, uint256 nonce)) with the
                    registry's per-asset counter
- application id  = keccak256(abi.encode(holderOrgId, assetId, scopeHash, uint256 nonce))
- financing id    = keccak256(abi.encode(assetId, counterpartyOrgId, uint8 kind, uint256 nonce))
                    with UseAndFinance's per-asset counter
- agreement id    = keccak256(abi.encode(lowerRegistrarOrgId, higherRegistrarOrgId))
- proposal id     = keccak256(abi.encode(uint8 kind, keccak256(params), proposerOrgId,
                    uint64 proposer's nonce))
- payment id      = keccak256(abi.encode(PAY_TAG, assetId, payer, externalRef)) and
                    keccak256(abi.encode(OFFCHAIN_TAG, assetId, operatorOrgId, bankRef))
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from eth_abi.abi import encode
from web3 import Web3

from chain.bindings.enums import KIND_CODES

ZERO32 = "0x" + "00" * 32
_BYTES32 = re.compile(r"^0x[0-9a-fA-F]{64}$")
PAY_TAG = bytes(Web3.keccak(text="RevenueSplit.pay"))
OFFCHAIN_TAG = bytes(Web3.keccak(text="RevenueSplit.offchain"))


class BadId(ValueError):
    """Not a 0x-prefixed 32-byte hex string."""


def hex32(value: bytes | str) -> str:
    if isinstance(value, bytes | bytearray):
        if len(value) != 32:
            raise BadId("expected 32 bytes")
        return "0x" + bytes(value).hex()
    text = value.lower()
    if not text.startswith("0x"):
        text = "0x" + text
    if not _BYTES32.match(text):
        raise BadId(f"{value!r} is not a 0x-prefixed 32-byte hex string")
    return text


def b32(value: str | bytes) -> bytes:
    return bytes.fromhex(hex32(value)[2:])


def keccak_abi(types: Sequence[str], values: Sequence[Any]) -> bytes:
    """keccak256(abi.encode(...)), as the contracts derive their ids."""
    return bytes(Web3.keccak(encode(list(types), list(values))))


def name_hash(name: str) -> bytes:
    return bytes(Web3.keccak(text=name))


def org_id_for(kind: str | int, city: int, name: str) -> str:
    code = KIND_CODES[kind] if isinstance(kind, str) else int(kind)
    return hex32(keccak_abi(["uint8", "uint32", "bytes32"], [code, city, name_hash(name)]))


def asset_id_for(holder_org_id: str, domain_code: int, catalogue_hash: str | bytes) -> str:
    return hex32(
        keccak_abi(
            ["bytes32", "uint32", "bytes32"], [b32(holder_org_id), domain_code, b32(catalogue_hash)]
        )
    )


def batch_id_for(holder_org_id: str, root: bytes | str) -> str:
    return hex32(keccak_abi(["bytes32", "bytes32"], [b32(holder_org_id), b32(root)]))


def objection_id_for(asset_id: str, objector_org_id: str, reason_hash: str) -> str:
    return hex32(
        keccak_abi(["bytes32"] * 3, [b32(asset_id), b32(objector_org_id), b32(reason_hash)])
    )


def certificate_id_for(registrar_org_id: str, asset_id: str, nonce: int) -> str:
    return hex32(
        keccak_abi(["bytes32", "bytes32", "uint256"], [b32(registrar_org_id), b32(asset_id), nonce])
    )


def application_id_for(holder: str, asset_id: str, scope_hash: str, nonce: int) -> str:
    return hex32(
        keccak_abi(
            ["bytes32", "bytes32", "bytes32", "uint256"],
            [b32(holder), b32(asset_id), b32(scope_hash), nonce],
        )
    )


def financing_id_for(asset_id: str, counterparty: str, kind: int, nonce: int) -> str:
    return hex32(
        keccak_abi(
            ["bytes32", "bytes32", "uint8", "uint256"],
            [b32(asset_id), b32(counterparty), int(kind), nonce],
        )
    )


def agreement_id_for(a: str, b: str) -> str:
    low, high = sorted([b32(a), b32(b)])
    return hex32(keccak_abi(["bytes32", "bytes32"], [low, high]))


def proposal_id_for(kind: int, params: bytes, proposer_org_id: str, nonce: int) -> str:
    return hex32(
        keccak_abi(
            ["uint8", "bytes32", "bytes32", "uint64"],
            [int(kind), bytes(Web3.keccak(params)), b32(proposer_org_id), nonce],
        )
    )


def payment_id_for(asset_id: str, payer: str, external_ref: str | bytes) -> str:
    return hex32(
        keccak_abi(
            ["bytes32", "bytes32", "address", "bytes32"],
            [PAY_TAG, b32(asset_id), Web3.to_checksum_address(payer), b32(external_ref)],
        )
    )


def offchain_payment_id_for(asset_id: str, operator_org_id: str, bank_ref: str | bytes) -> str:
    return hex32(
        keccak_abi(
            ["bytes32"] * 4, [OFFCHAIN_TAG, b32(asset_id), b32(operator_org_id), b32(bank_ref)]
        )
    )
