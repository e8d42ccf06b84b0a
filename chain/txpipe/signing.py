"""Signing a journaled write: the raw transaction and its hash, encoded directly.

The same bytes ``LocalAccount.sign_transaction`` gives for the two forms the pipeline
sends (EIP-1559 with ``maxFeePerGas``/``maxPriorityFeePerGas``, or EIP-155 legacy with
``gasPrice``: signatures are deterministic, RFC 6979), without its generic transaction
validation and typed-transaction machinery, which cost about as much as the signature.
Any other field set goes through ``sign_transaction`` itself."""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import Any

import rlp
from coincurve import PrivateKey
from eth_account.signers.local import LocalAccount
from eth_hash.auto import keccak

_DYNAMIC_FEES = frozenset({"maxFeePerGas", "maxPriorityFeePerGas"})
_LEGACY_FEES = frozenset({"gasPrice"})
#: libsecp256k1 keys by the account holding them: gone with the account (a rotated key's
#: account is forgotten by ``chain.signers``), never kept under the key's bytes
_keys: weakref.WeakKeyDictionary[LocalAccount, PrivateKey] = weakref.WeakKeyDictionary()


def _sign(account: LocalAccount, digest: bytes) -> tuple[int, int, int]:
    """(recovery id, r, s) of a 32-byte digest: libsecp256k1, RFC 6979, low s."""
    key = _keys.get(account)
    if key is None:
        key = _keys[account] = PrivateKey(bytes(account.key))
    signature = key.sign_recoverable(digest, hasher=None)
    return (
        signature[64],
        int.from_bytes(signature[:32], "big"),
        int.from_bytes(signature[32:64], "big"),
    )


def sign_transaction(
    account: LocalAccount,
    *,
    chain_id: int,
    nonce: int,
    to: str,
    data: str,
    value: int,
    gas: int,
    fees: Mapping[str, Any],
) -> tuple[bytes, str]:
    """The signed raw transaction and its hash (``0x`` hex) of a contract call."""
    fields = frozenset(fees)
    target = bytes.fromhex(to.removeprefix("0x"))
    calldata = bytes.fromhex(data.removeprefix("0x"))
    if fields == _DYNAMIC_FEES:
        body = [chain_id, nonce, int(fees["maxPriorityFeePerGas"]), int(fees["maxFeePerGas"]),
                gas, target, value, calldata, []]  # fmt: skip
        v, r, s = _sign(account, keccak(b"\x02" + rlp.encode(body)))
        raw = b"\x02" + rlp.encode([*body, v, r, s])
    elif fields == _LEGACY_FEES:
        body = [nonce, int(fees["gasPrice"]), gas, target, value, calldata]
        v, r, s = _sign(account, keccak(rlp.encode([*body, chain_id, 0, 0])))
        raw = rlp.encode([*body, v + 35 + 2 * chain_id, r, s])
    else:
        tx = {"chainId": chain_id, "nonce": nonce, "to": to, "data": data, "value": value,
              "gas": gas, **fees}  # fmt: skip
        signed = account.sign_transaction(tx)
        return bytes(signed.raw_transaction), "0x" + bytes(signed.hash).hex()
    return raw, "0x" + keccak(raw).hex()
