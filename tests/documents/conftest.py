"""A registry on the shared eth-tester chain with one issued Qingdao certificate."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from eth_tester import EthereumTester
from web3 import Web3

from chain.clients import ChainHandle
from tests.documents.ledger import Ledger

VERIFY_BASE = "https://ledger.qingdao.example"


@dataclass
class Issued:
    ledger: Ledger
    certificate_id: bytes
    asset_id: bytes


@pytest.fixture(scope="session")
def issued(w3: Web3, tester: EthereumTester) -> Issued:
    handle = ChainHandle(w3=w3, mode="memory", chain_id=int(w3.eth.chain_id), tester=tester)

    def advance(seconds: int) -> None:
        now = int(w3.eth.get_block("latest")["timestamp"])
        tester.time_travel(now + seconds)

    ledger = Ledger(handle=handle, advance=advance).deploy()
    asset_id = ledger.register_and_value("transport-analysis")
    advance(10 * 86_400 + 60)
    certificate_id = ledger.issue(asset_id)
    return Issued(ledger=ledger, certificate_id=certificate_id, asset_id=asset_id)
