"""Fixtures: a fresh in-process chain per test, and one automining anvil per module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from web3.contract import Contract

from chain import localnode
from chain.clients import ChainHandle, memory_chain
from tests.txpipe.helpers import anvil_config, anvil_handle, deploy_probe


@pytest.fixture
def memory() -> ChainHandle:
    return memory_chain()


@pytest.fixture
def memory_probe(memory: ChainHandle) -> Contract:
    return deploy_probe(memory)


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ledger.db'}"


@pytest.fixture(scope="module")
def anvil(tmp_path_factory: pytest.TempPathFactory) -> Iterator[localnode.LocalNodeConfig]:
    config = anvil_config(tmp_path_factory.mktemp("anvil"))
    localnode.start(config)
    try:
        yield config
    finally:
        localnode.stop(config)


@pytest.fixture(scope="module")
def anvil_chain(anvil: localnode.LocalNodeConfig) -> ChainHandle:
    return anvil_handle(anvil)


@pytest.fixture(scope="module")
def anvil_probe(anvil_chain: ChainHandle) -> Contract:
    return deploy_probe(anvil_chain)
