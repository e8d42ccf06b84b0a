"""The journal's direct signing gives the bytes eth-account's ``sign_transaction`` gives."""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account

from chain.txpipe.signing import sign_transaction

TO = "0x" + "12" * 20
FEES: list[dict[str, Any]] = [
    {"maxFeePerGas": 2_000_000_001, "maxPriorityFeePerGas": 1_000_000_000},
    {"gasPrice": 0},
    {"gasPrice": 7_000_000_000},
]


@pytest.mark.parametrize("fees", FEES)
@pytest.mark.parametrize("nonce", [0, 1, 127, 128, 70_000])
@pytest.mark.parametrize("data", ["0x", "0x" + "ab" * 100])
def test_raw_transaction_and_hash_equal_eth_account(
    fees: dict[str, Any], nonce: int, data: str
) -> None:
    account = Account.from_key("0x" + "4c" * 32)
    value = 0 if nonce == 0 else 10**18 + nonce
    tx = {"chainId": 31337, "nonce": nonce, "to": TO, "data": data, "value": value,
          "gas": 123_456, **fees}  # fmt: skip
    expected = account.sign_transaction(tx)
    raw, tx_hash = sign_transaction(
        account, chain_id=31337, nonce=nonce, to=TO, data=data, value=value, gas=123_456,
        fees=fees,
    )  # fmt: skip
    assert raw == bytes(expected.raw_transaction)
    assert tx_hash == "0x" + bytes(expected.hash).hex()
    decoded = Account.recover_transaction(raw)
    assert decoded == account.address


def test_other_fee_fields_go_through_eth_account() -> None:
    account = Account.from_key("0x" + "4d" * 32)
    fees = {"maxFeePerGas": 3, "maxPriorityFeePerGas": 1, "accessList": []}
    tx = {"chainId": 1, "nonce": 4, "to": TO, "data": "0x01", "value": 0, "gas": 50_000, **fees}
    raw, tx_hash = sign_transaction(
        account, chain_id=1, nonce=4, to=TO, data="0x01", value=0, gas=50_000, fees=fees
    )
    expected = account.sign_transaction(tx)
    assert raw == bytes(expected.raw_transaction)
    assert tx_hash == "0x" + bytes(expected.hash).hex()
    assert Account.recover_transaction(raw) == account.address


def test_a_forgotten_account_leaves_no_key_behind() -> None:
    import gc
    import weakref

    from chain.txpipe import signing

    account = Account.from_key("0x" + "4e" * 32)
    address = account.address
    sign_transaction(account, chain_id=1, nonce=0, to=TO, data="0x", value=0, gas=21_000,
                     fees={"gasPrice": 1})  # fmt: skip
    assert account in signing._keys
    gone = weakref.ref(account)
    del account
    gc.collect()
    assert gone() is None
    assert all(held.address != address for held in list(signing._keys))
