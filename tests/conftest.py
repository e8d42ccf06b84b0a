"""Shared test fixtures: one in-process EVM (eth-tester) per session, snapshot per test;
``registry_world``, the deployed ledger behind the gateway with the Qingdao cast admitted
over HTTP (one per test module; tests share its chain)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from eth_tester import EthereumTester, PyEVMBackend
from web3 import Web3
from web3.providers.eth_tester import EthereumTesterProvider

from tests.workflows.world import RegistryWorld, start_world


@pytest.fixture(scope="session")
def tester() -> EthereumTester:
    """The in-process chain shared by the whole session."""
    return EthereumTester(PyEVMBackend())


@pytest.fixture(scope="session")
def w3(tester: EthereumTester) -> Web3:
    web3 = Web3(EthereumTesterProvider(tester))
    web3.eth.default_account = web3.eth.accounts[0]
    return web3


@pytest.fixture
def evm_snapshot(tester: EthereumTester) -> Iterator[None]:
    """Revert the shared chain after the test so tests stay independent."""
    snapshot_id = tester.take_snapshot()
    yield
    tester.revert_to_snapshot(snapshot_id)


@pytest.fixture(scope="module")
def registry_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryWorld]:
    world, client = start_world(tmp_path_factory.mktemp("registry"))
    try:
        yield world
    finally:
        client.__exit__(None, None, None)
